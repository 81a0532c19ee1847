//! What a check leaves in a request for the handler's extractors, and how each extractor
//! reads it: one set of rules for axum and actix-web, whether the attribute or the tower layer
//! checked the request.
//!
//! Behind `#[scw_private]` (or the layer) the check already ran, so the extractors read its
//! finding and the token is verified once. Without it, they check the request themselves
//! with the default [`Policy`], which only a verified token passes.

use crate::access::Access;
use crate::claims::Claims;
use crate::extract::RequestHeaders;
use crate::policy::Policy;
use crate::rejection::{Reason, Rejection, RejectionKind};
use crate::verifier::Verifier;

/// The finding of a handler's check, left in the request's extensions.
#[derive(Clone, Debug)]
pub(crate) enum Found {
    /// The request was let through, this way.
    Allowed(Access),
    /// The check refused the request. actix-web asks every extractor of a handler for a
    /// future before it polls the first, so an extractor must not verify (and log) again.
    #[cfg_attr(
        not(feature = "actix-web-4"),
        allow(dead_code, reason = "only actix-web polls on")
    )]
    Refused,
}

/// Without a finding: the request checked now, with the default policy.
pub(crate) fn check_now<'a, H>(
    verifier: &'a Verifier,
    headers: &'a H,
) -> impl FnOnce() -> Result<Access, Rejection> + 'a
where
    H: RequestHeaders + ?Sized,
{
    move || verifier.authorize(headers, &Policy::new())
}

/// The [`Access`] extractor: how the request got in.
pub(crate) fn access(
    found: Option<&Found>,
    check: impl FnOnce() -> Result<Access, Rejection>,
) -> Result<Access, Rejection> {
    match found {
        Some(Found::Allowed(access)) => Ok(access.clone()),
        // The check's own refusal is the response; this one is never seen.
        Some(Found::Refused) => Err(Rejection::new(Reason::NoToken)),
        None => check(),
    }
}

/// The [`Claims`] extractor: a verified token is required.
pub(crate) fn claims(
    found: Option<&Found>,
    check: impl FnOnce() -> Result<Access, Rejection>,
) -> Result<Claims, Rejection> {
    access(found, check)?
        .into_claims()
        .ok_or(Rejection::new(Reason::NoToken))
}

/// `Option<Claims>` where the framework lets this crate decide (axum), and
/// [`OptionalClaims`](crate::OptionalClaims) everywhere: `None` when the check let the
/// request in without a token, or, without a check, when the request carries none. A token
/// that is present but refused is a refusal.
pub(crate) fn optional_claims(
    found: Option<&Found>,
    check: impl FnOnce() -> Result<Access, Rejection>,
) -> Result<Option<Claims>, Rejection> {
    match access(found, check) {
        Ok(access) => Ok(access.into_claims()),
        Err(rejection)
            if found.is_none() && rejection.kind() == RejectionKind::MissingCredentials =>
        {
            Ok(None)
        }
        Err(rejection) => Err(rejection),
    }
}
