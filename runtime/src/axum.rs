//! axum 0.8: the guard and `Claims` as extractors, `Rejection` as a response.
//!
//! The verifier is the request extension of type [`Verifier`] when the application adds one
//! (`Router::layer(Extension(verifier))`), and [`Verifier::global`] otherwise.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::private::{Guard, HandlerPolicy, RenderRejection, Reply, Verified};
use crate::{Claims, Policy, Reason, Rejection, RejectionKind, Verifier};

/// The RFC 6750 response, with the [`RejectionKind`] in its extensions for logging
/// middleware.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = self.to_response().into_response();
        response.extensions_mut().insert(self.kind());
        response
    }
}

fn verifier(parts: &Parts) -> &Verifier {
    parts
        .extensions
        .get::<Verifier>()
        .unwrap_or_else(|| Verifier::global())
}

impl<S, P> FromRequestParts<S> for Guard<P>
where
    S: Send + Sync,
    P: HandlerPolicy,
    Rejection: RenderRejection<P>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match verifier(parts).authorize(&parts.headers, &P::POLICY) {
            Ok(verified) => {
                parts
                    .extensions
                    .insert(verified.map_or(Verified::WithoutToken, Verified::Token));
                Ok(Guard::new())
            }
            Err(rejection) => Err(render(RenderRejection::<P>::render(rejection))),
        }
    }
}

fn render(reply: Reply) -> Response {
    match reply {
        Reply::Default(rejection) => rejection.into_response(),
        Reply::Axum(response) => response,
        #[cfg(feature = "actix-web")]
        Reply::Actix(_) => {
            // An `on_reject` written for actix-web on an axum handler: still refuse.
            #[cfg(feature = "tracing")]
            tracing::error!(target: "scw_private", "`on_reject` returned an actix-web response to an axum handler");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The verified claims of a request.
///
/// Behind `#[scw_private]` they are the ones its check found, so the token is verified once.
/// On a handler without the attribute the extractor verifies the request itself with the
/// default [`Policy`].
impl<S: Send + Sync> FromRequestParts<S> for Claims {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Verified>() {
            Some(Verified::Token(claims)) => return Ok(claims.clone()),
            // Let through without a token (or refused, unreachable in axum, which stops at the guard).
            Some(Verified::WithoutToken | Verified::Refused) => {
                return Err(Rejection::new(Reason::NoToken));
            }
            None => {}
        }
        match verifier(parts).authorize(&parts.headers, &Policy::new())? {
            Some(claims) => Ok(claims),
            // Unreachable with `Policy::new()`, which never lets a request through untokened.
            None => Err(Rejection::new(Reason::NoToken)),
        }
    }
}

/// `Option<Claims>`: `None` when a `public_if_env` or `platform_iam` check let the request
/// through without a token, or, on a handler without the attribute, when the request carries
/// no token. A token that is present but refused is still a refusal.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Claims {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        match parts.extensions.get::<Verified>() {
            Some(Verified::Token(claims)) => return Ok(Some(claims.clone())),
            Some(Verified::WithoutToken) => return Ok(None),
            Some(Verified::Refused) => return Err(Rejection::new(Reason::NoToken)),
            None => {}
        }
        match verifier(parts).authorize(&parts.headers, &Policy::new()) {
            Ok(claims) => Ok(claims),
            Err(rejection) if rejection.kind() == RejectionKind::MissingCredentials => Ok(None),
            Err(rejection) => Err(rejection),
        }
    }
}
