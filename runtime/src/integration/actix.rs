//! actix-web 4: the guard, `Access` and `Claims` as extractors, `Rejection` as an error response.
//!
//! The verifier is the app data of type [`Verifier`] or `web::Data<Verifier>` when the
//! application adds one (`App::app_data(verifier)`), and [`Verifier::global`] otherwise.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError, web};

use crate::expansion::{Guard, HandlerPolicy, Refusal, RenderRejection, Reply};
use crate::integration::handoff::{self, Found};
use crate::verification::extract::RequestHeaders;
use crate::verification::metrics::Protocol;
use crate::{Access, Claims, OptionalClaims, Rejection, Verifier};

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
    Refusal: RenderRejection<P>,
{
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The resource's pattern (`/users/{id}`), else the path without its query.
        let route = || {
            Some(
                req.match_pattern()
                    .map_or_else(|| req.path().into(), Into::into),
            )
        };
        ready(
            match verifier(req).authorize_on(req.headers(), &P::POLICY, Protocol::Http, route) {
                Ok(access) => {
                    req.extensions_mut().insert(Found::Allowed(access));
                    Ok(Guard::new())
                }
                Err(rejection) => {
                    req.extensions_mut().insert(Found::Refused);
                    Err(error(RenderRejection::<P>::render(Refusal(rejection))))
                }
            },
        )
    }
}

fn error(reply: Reply) -> actix_web::Error {
    match reply {
        Reply::Default(rejection) => rejection.into(),
        Reply::Actix(response) => {
            InternalError::from_response("request refused by scw-private", response).into()
        }
        #[cfg(feature = "axum-0_8")]
        Reply::Axum(_) => {
            // An `on_reject` written for axum on an actix-web handler: still refuse.
            #[cfg(feature = "tracing")]
            tracing::error!(target: "scw_private", "`on_reject` returned an axum response to an actix-web handler");
            actix_web::error::ErrorInternalServerError("request refused")
        }
    }
}

/// How the request got in: what the `#[scw_private]` check found, or on a handler without
/// it, the request checked with the default [`Policy`](crate::Policy) (a verified token is
/// required).
impl FromRequest for Access {
    type Error = Rejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<Found>().cloned();
        ready(handoff::access(
            found.as_ref(),
            handoff::check_now(verifier(req), req.headers()),
        ))
    }
}

/// The verified claims of a request.
///
/// Behind `#[scw_private]` they are the ones its check found, so the token is verified once.
/// On a handler without the attribute the extractor verifies the request itself with the
/// default [`Policy`](crate::Policy).
///
/// `Option<Claims>` is `None` when the check let the request through without a token. Note
/// that actix-web's `Option<T>` turns *every* error into `None`: on a handler without the
/// attribute, take [`OptionalClaims`] instead, which refuses a token that is present but bad.
impl FromRequest for Claims {
    type Error = Rejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<Found>().cloned();
        ready(handoff::claims(
            found.as_ref(),
            handoff::check_now(verifier(req), req.headers()),
        ))
    }
}

/// `None` when the request carries no token (or the check let it in without one); a token
/// that is present but refused is a refusal, as with axum's `Option<Claims>`.
impl FromRequest for OptionalClaims {
    type Error = Rejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<Found>().cloned();
        ready(
            handoff::optional_claims(
                found.as_ref(),
                handoff::check_now(verifier(req), req.headers()),
            )
            .map(OptionalClaims),
        )
    }
}
