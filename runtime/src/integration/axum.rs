//! axum 0.8: the guard, `Access` and `Claims` as extractors, `Rejection` as a response.
//!
//! The verifier is the request extension of type [`Verifier`] when the application adds one
//! (`Router::layer(Extension(verifier))`), and [`Verifier::global`] otherwise.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::expansion::{Guard, HandlerPolicy, Refusal, RenderRejection, Reply};
use crate::integration::handoff::{self, Found};
use crate::integration::request_verifier;
use crate::verification::metrics::Protocol;
use crate::{Access, Claims, OptionalClaims, Rejection, Verifier};

/// The RFC 6750 response, with the [`RejectionKind`](crate::RejectionKind) in its extensions for logging
/// middleware.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = self.to_response().into_response();
        response.extensions_mut().insert(self.kind());
        response
    }
}

fn verifier(parts: &Parts) -> &Verifier {
    request_verifier(&parts.extensions)
}

impl<S, P> FromRequestParts<S> for Guard<P>
where
    S: Send + Sync,
    P: HandlerPolicy,
    Refusal: RenderRejection<P>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let route = || Some(matched_route(&parts.extensions, &parts.uri));
        match verifier(parts).authorize_on(&parts.headers, &P::POLICY, Protocol::Http, route) {
            Ok(access) => {
                parts.extensions.insert(Found::Allowed(access));
                Ok(Guard::new())
            }
            Err(rejection) => Err(render(RenderRejection::<P>::render(Refusal(rejection)))),
        }
    }
}

/// The check of a handler that takes the whole request and answers a response,
/// `handler(req: Request) -> Response`: the exact shape the Functions runtime calls, which
/// the attribute keeps by checking inside the body instead of adding an extractor. So a call
/// `handler(req).await` from code of the runtime's is checked too, and a handler mounted in a
/// router works as any other. An accepted request carries what the check found in its
/// extensions, as behind the tower layer: [`Access`], and [`Claims`] when a token let it in.
#[allow(
    clippy::result_large_err,
    reason = "the refusal is the response the handler returns at once; boxing it would allocate for nothing"
)]
pub fn check_request<P, B>(
    mut request: axum::http::Request<B>,
) -> Result<axum::http::Request<B>, Response>
where
    P: HandlerPolicy,
    Refusal: RenderRejection<P>,
{
    let verifier = request_verifier(request.extensions());
    let route = || Some(matched_route(request.extensions(), request.uri()));
    match verifier.authorize_on(request.headers(), &P::POLICY, Protocol::Http, route) {
        Ok(access) => {
            handoff::hand_over(request.extensions_mut(), access);
            Ok(request)
        }
        Err(rejection) => Err(render(RenderRejection::<P>::render(Refusal(rejection)))),
    }
}

/// The route of a refused request, for its event: the router's template (`/users/{id}`,
/// which says which handler refused without the ids in the path), else the path without its
/// query.
fn matched_route<'a>(
    extensions: &'a http::Extensions,
    uri: &'a http::Uri,
) -> std::borrow::Cow<'a, str> {
    match extensions.get::<axum::extract::MatchedPath>() {
        Some(matched) => matched.as_str().into(),
        None => uri.path().into(),
    }
}

fn render(reply: Reply) -> Response {
    match reply {
        Reply::Default(rejection) => rejection.into_response(),
        Reply::Axum(response) => response,
        #[cfg(feature = "actix-web-4")]
        Reply::Actix(_) => {
            // An `on_reject` written for actix-web on an axum handler: still refuse.
            #[cfg(feature = "tracing")]
            tracing::error!(target: "scw_private", "`on_reject` returned an actix-web response to an axum handler");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// How the request got in: what the `#[scw_private]` check (or the layer) found, or on a
/// handler without either, the request checked with the default [`Policy`](crate::Policy) (a verified token
/// is required).
impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        handoff::access(
            parts.extensions.get(),
            handoff::check_now(verifier(parts), &parts.headers),
        )
    }
}

/// The verified claims of a request.
///
/// Behind `#[scw_private]` they are the ones its check found, so the token is verified once.
/// On a handler without the attribute the extractor verifies the request itself with the
/// default [`Policy`](crate::Policy).
impl<S: Send + Sync> FromRequestParts<S> for Claims {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        handoff::claims(
            parts.extensions.get(),
            handoff::check_now(verifier(parts), &parts.headers),
        )
    }
}

/// `Option<Claims>`: `None` when a `public_if_env` or `platform_iam` check let the request
/// through without a token, or, on a handler without the attribute, when the request carries
/// no token. A token that is present but refused is still a refusal.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Claims {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        handoff::optional_claims(
            parts.extensions.get(),
            handoff::check_now(verifier(parts), &parts.headers),
        )
    }
}

/// The same as `Option<Claims>`.
impl<S: Send + Sync> FromRequestParts<S> for OptionalClaims {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        handoff::optional_claims(
            parts.extensions.get(),
            handoff::check_now(verifier(parts), &parts.headers),
        )
        .map(OptionalClaims)
    }
}
