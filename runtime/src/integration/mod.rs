//! The framework integrations: how axum, actix-web, tower, tonic and the OpenAPI generators
//! hand a request to the verification core, and its finding back to the handler.
//!
//! This layer sits on top of the core (`verification`) and of the macro's glue (`registry`,
//! `expansion`): it may import both, and neither imports it.

#[cfg(feature = "actix-web-4")]
mod actix;
#[cfg(feature = "axum-0_8")]
pub(crate) mod axum;
#[cfg(any(feature = "axum-0_8", feature = "actix-web-4"))]
mod handoff;
#[cfg(feature = "tower")]
pub mod layer;
#[cfg(any(feature = "aide-0_15", feature = "utoipa-6"))]
pub mod openapi;
#[cfg(feature = "tonic-0_14")]
pub mod tonic_0_14;

#[cfg(any(feature = "tower", feature = "tonic-0_14"))]
use crate::Access;
#[cfg(any(feature = "axum-0_8", feature = "tonic-0_14"))]
use crate::Verifier;

/// The verifier of a form that has no moment to be given one (the attribute on an HTTP
/// handler, the extractors, `tonic_0_14::authorize`): a request extension of type
/// [`Verifier`] (an application's own), else [`Verifier::global`]. The forms that are built
/// (the tower layer, the tonic interceptor, `tonic_0_14::protect`) never call this: they keep
/// the verifier they were built with, so an `Extension` layer on the wrong side of them
/// cannot swap their rules for the defaults.
/// actix-web's extractors read app data instead, by the same rule (`actix.rs`).
///
/// Borrowed, never cloned: this runs on every request.
#[cfg(any(feature = "axum-0_8", feature = "tonic-0_14"))]
pub(crate) fn request_verifier(extensions: &http::Extensions) -> &Verifier {
    extensions
        .get::<Verifier>()
        .unwrap_or_else(|| Verifier::global())
}

/// Puts what the check found where the protected service reads it: the [`Access`], the
/// [`Claims`](crate::Claims) when a token let the request in, and with axum the finding, so axum's extractors
/// behind the tower layer or a tonic interceptor do not check the token again.
#[cfg(any(feature = "tower", feature = "tonic-0_14"))]
pub(crate) fn hand_to_service(extensions: &mut http::Extensions, access: Access) {
    #[cfg(feature = "axum-0_8")]
    handoff::hand_over(extensions, access);
    #[cfg(not(feature = "axum-0_8"))]
    {
        if let Some(claims) = access.claims() {
            extensions.insert(claims.clone());
        }
        extensions.insert(access);
    }
}
