//! actix-web 4: the guard and `Claims` as extractors, `Rejection` as an error response.
//!
//! The verifier is the app data of type [`Verifier`] or `web::Data<Verifier>` when the
//! application adds one (`App::app_data(verifier)`), and [`Verifier::global`] otherwise.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError, web};

use crate::extract::RequestHeaders;
use crate::private::{Guard, HandlerPolicy, RenderRejection, Reply, Verified};
use crate::{Claims, Policy, Reason, Rejection, Verifier};

impl RequestHeaders for HeaderMap {
    fn header_values<'a>(&'a self, name: &http::HeaderName) -> impl Iterator<Item = &'a [u8]> {
        // actix-web has its own `HeaderName` type (of `http` 0.2): look up by the string.
        self.get_all(name.as_str()).map(|value| value.as_bytes())
    }
}

impl ResponseError for Rejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The RFC 6750 response, with the [`RejectionKind`](crate::RejectionKind) in its
    /// extensions for logging middleware.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code())
            .insert_header(("www-authenticate", self.www_authenticate().as_bytes()))
            .insert_header(("cache-control", "no-store"))
            .content_type("application/json")
            .body(self.body());
        response.extensions_mut().insert(self.kind());
        response
    }
}

fn verifier(req: &HttpRequest) -> &Verifier {
    req.app_data::<Verifier>()
        .or_else(|| {
            req.app_data::<web::Data<Verifier>>()
                .map(|data| data.get_ref())
        })
        .unwrap_or_else(|| Verifier::global())
}

impl<P> FromRequest for Guard<P>
where
    P: HandlerPolicy,
    Rejection: RenderRejection<P>,
{
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match verifier(req).authorize(req.headers(), &P::POLICY) {
            Ok(verified) => {
                req.extensions_mut()
                    .insert(verified.map_or(Verified::WithoutToken, Verified::Token));
                Ok(Guard::new())
            }
            Err(rejection) => {
                req.extensions_mut().insert(Verified::Refused);
                Err(error(RenderRejection::<P>::render(rejection)))
            }
        })
    }
}

fn error(reply: Reply) -> actix_web::Error {
    match reply {
        Reply::Default(rejection) => rejection.into(),
        Reply::Actix(response) => {
            InternalError::from_response("request refused by scw-private", response).into()
        }
        #[cfg(feature = "axum")]
        Reply::Axum(_) => {
            // An `on_reject` written for axum on an actix-web handler: still refuse.
            #[cfg(feature = "tracing")]
            tracing::error!(target: "scw_private", "`on_reject` returned an axum response to an actix-web handler");
            actix_web::error::ErrorInternalServerError("request refused")
        }
    }
}

/// The verified claims of a request.
///
/// Behind `#[scw_private]` they are the ones its check found, so the token is verified once.
/// On a handler without the attribute the extractor verifies the request itself with the
/// default [`Policy`]. `Option<Claims>` is `None` when a `public_if_env` or `platform_iam`
/// check let the request through without a token.
impl FromRequest for Claims {
    type Error = Rejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        match req.extensions().get::<Verified>() {
            Some(Verified::Token(claims)) => return ready(Ok(claims.clone())),
            // `Option<Claims>` turns this into `None`, as it does any error.
            Some(Verified::WithoutToken) => return ready(Err(Rejection::new(Reason::NoToken))),
            // The guard's refusal is the response; this one is never seen.
            Some(Verified::Refused) => return ready(Err(Rejection::new(Reason::NoToken))),
            None => {}
        }
        ready(
            match verifier(req).authorize(req.headers(), &Policy::new()) {
                Ok(Some(claims)) => Ok(claims),
                Ok(None) => Err(Rejection::new(Reason::NoToken)),
                Err(rejection) => Err(rejection),
            },
        )
    }
}
