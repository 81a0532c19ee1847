//! What a check leaves in a request for the handler's extractors, and how each extractor
//! reads it: one set of rules for axum and actix-web, whether the attribute or the tower layer
//! checked the request.
//!
//! Behind `#[scw_private]` (or the layer) the check already ran, so the extractors read its
//! finding and the token is verified once. Without it, they check the request themselves
//! with the default [`Policy`], which only a verified token passes.

use crate::verification::access::Access;
use crate::verification::claims::Claims;
use crate::verification::extract::RequestHeaders;
use crate::verification::metrics::Protocol;
use crate::verification::policy::Policy;
use crate::verification::rejection::{Reason, Rejection, RejectionKind};
use crate::verification::verifier::Verifier;

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

/// What an accepted request carries for the handler: the finding, for the extractors (so the
/// token is not checked again), the [`Access`], and the [`Claims`] when a token let it in,
/// for code that reads the extensions itself (a handler that takes the whole request, a
/// service behind the tower layer). axum's: actix-web's extensions are of another type.
#[cfg(feature = "axum-0_8")]
pub(crate) fn hand_over(extensions: &mut http::Extensions, access: Access) {
    if let Some(claims) = access.claims() {
        extensions.insert(claims.clone());
    }
    extensions.insert(Found::Allowed(access.clone()));
    extensions.insert(access);
}

/// Without a finding: the request checked now, with the default policy.
pub(crate) fn check_now<'a, H>(
    verifier: &'a Verifier,
    headers: &'a H,
) -> impl FnOnce() -> Result<Access, Rejection> + 'a
where
    H: RequestHeaders + ?Sized,
{
    // The extractors' frameworks answer in HTTP whatever the request's content type.
    move || verifier.authorize_on(headers, &Policy::new(), Protocol::Http, || None)
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

/// The rules on their own, so the published crate's tests pin them; the HTTP suites in
/// `tests/` prove each framework reaches them.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::verification::claims::{RawClaims, TokenKind};

    fn token() -> Access {
        let raw: RawClaims =
            serde_json::from_str(r#"{"application_claim":[{"namespace_id":"ns"}]}"#).unwrap();
        Access::Token(Claims::new(Arc::new(raw), TokenKind::Namespace))
    }

    fn never() -> Result<Access, Rejection> {
        panic!("a request already checked was checked again")
    }

    fn answers(answer: Result<Access, Rejection>) -> impl FnOnce() -> Result<Access, Rejection> {
        move || answer
    }

    fn refused(reason: Reason) -> Result<Access, Rejection> {
        Err(Rejection::new(reason))
    }

    fn reason<T: std::fmt::Debug>(result: Result<T, Rejection>) -> Reason {
        result.unwrap_err().reason()
    }

    #[test]
    fn a_finding_is_read_and_never_checked_again() {
        for allowed in [token(), Access::PublicContainer, Access::PlatformIam] {
            let found = Found::Allowed(allowed.clone());
            assert_eq!(access(Some(&found), never).unwrap(), allowed);
        }
        assert!(access(Some(&Found::Refused), never).is_err());
        assert_eq!(
            claims(Some(&Found::Allowed(token())), never).unwrap(),
            token().into_claims().unwrap()
        );
        assert_eq!(
            optional_claims(Some(&Found::Allowed(token())), never).unwrap(),
            token().into_claims()
        );
    }

    #[test]
    fn without_a_finding_the_check_decides() {
        assert_eq!(access(None, answers(Ok(token()))).unwrap(), token());
        assert_eq!(
            reason(access(None, answers(refused(Reason::Expired)))),
            Reason::Expired
        );
        assert_eq!(
            reason(claims(None, answers(refused(Reason::BadSignature)))),
            Reason::BadSignature
        );
    }

    #[test]
    fn claims_need_a_verified_token() {
        for tokenless in [Access::PublicContainer, Access::PlatformIam] {
            let found = Found::Allowed(tokenless.clone());
            assert_eq!(reason(claims(Some(&found), never)), Reason::NoToken);
            assert_eq!(
                reason(claims(None, answers(Ok(tokenless)))),
                Reason::NoToken
            );
        }
    }

    #[test]
    fn optional_claims_are_none_only_without_a_token() {
        // Let in without a token, by the check or by the default policy's own answer.
        for tokenless in [Access::PublicContainer, Access::PlatformIam] {
            let found = Found::Allowed(tokenless.clone());
            assert_eq!(optional_claims(Some(&found), never).unwrap(), None);
            assert_eq!(optional_claims(None, answers(Ok(tokenless))).unwrap(), None);
        }
        // No check ran and the request has no token.
        assert_eq!(
            optional_claims(None, answers(refused(Reason::NoToken))).unwrap(),
            None
        );
        // A token that is there but refused is a refusal, whatever class of refusal.
        for refusal in [
            Reason::BadSignature,
            Reason::Expired,
            Reason::SeveralTokens,
            Reason::NotGranted,
            Reason::Misconfigured,
        ] {
            assert_eq!(
                reason(optional_claims(None, answers(refused(refusal)))),
                refusal
            );
        }
        // The check refused the request: its extractors refuse too, even though the reason
        // they carry (never sent) is the missing-credentials one.
        assert!(optional_claims(Some(&Found::Refused), never).is_err());
    }
}
