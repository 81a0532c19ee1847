//! The scope rule: which tokens grant access to this container. All of it lives here.
//!
//! A token must carry exactly one `application_claim` entry: the platform's own runtime
//! refuses more than one ("semantic is yet undefined"), and so does this crate (401
//! `invalid_token`). A token with none grants nothing (403). The entry grants access to
//! container C of namespace N when
//! - its container id is non-empty, equals C, and its namespace id is empty or equals N
//!   (a container token), or
//! - its container id is empty and its namespace id is non-empty and equals N (a namespace token).
//!
//! Ids are compared byte for byte, and an entry with neither id grants nothing. This is
//! stricter than the platform's own runtime, which lets a sibling container's token in
//! because its namespace matches.

use crate::verification::claims::{Entry, RawClaims, TokenKind};
use crate::verification::rejection::{Reason, Rejection};

/// Which tokens a protected handler accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// A namespace token for this namespace or a container token for this container (the default).
    #[default]
    AnyToken,
    /// Only a container token for this container.
    ContainerToken,
    /// Only a namespace token for this namespace.
    NamespaceToken,
}

impl Scope {
    /// Whether checking this scope needs the container id (the namespace id is always needed).
    pub(crate) fn needs_container_id(self) -> bool {
        !matches!(self, Self::NamespaceToken)
    }

    /// Why a valid token that this scope does not accept is refused.
    fn refusal(self) -> Reason {
        match self {
            Self::AnyToken => Reason::NotGranted,
            Self::ContainerToken => Reason::ContainerTokenRequired,
            Self::NamespaceToken => Reason::NamespaceTokenRequired,
        }
    }
}

/// The container being protected. Ids are never empty: an id that is needed but missing is a
/// misconfiguration, reported before any token is looked at, never a match on `""`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    pub(crate) namespace_id: &'a str,
    /// `None` only when the scope does not need it ([`Scope::NamespaceToken`]).
    pub(crate) container_id: Option<&'a str>,
}

/// What the token with `claims` grants to `target` under `scope`, or why it is refused.
pub(crate) fn grant(
    claims: &RawClaims,
    target: Target<'_>,
    scope: Scope,
) -> Result<TokenKind, Rejection> {
    if claims.application_claim.len() > 1 {
        return Err(Rejection::new(Reason::SeveralEntries));
    }
    claims
        .entry()
        .and_then(|entry| grant_entry(entry, target, scope))
        .ok_or(Rejection::new(scope.refusal()))
}

/// What one entry grants to `target` under `scope`, if anything.
fn grant_entry(entry: &Entry, target: Target<'_>, scope: Scope) -> Option<TokenKind> {
    match (entry.container_id.as_deref(), entry.namespace_id.as_deref()) {
        (Some(container), namespace) => {
            let accepted = matches!(scope, Scope::AnyToken | Scope::ContainerToken)
                && target.container_id == Some(container)
                && namespace.is_none_or(|namespace| namespace == target.namespace_id);
            accepted.then_some(TokenKind::Container)
        }
        (None, Some(namespace)) => {
            let accepted = matches!(scope, Scope::AnyToken | Scope::NamespaceToken)
                && namespace == target.namespace_id;
            accepted.then_some(TokenKind::Namespace)
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verification::rejection::RejectionKind;

    const HERE: Target<'static> = Target {
        namespace_id: "ns-1",
        container_id: Some("ct-1"),
    };

    fn entry(namespace_id: Option<&str>, container_id: Option<&str>) -> Entry {
        Entry {
            namespace_id: namespace_id.map(str::to_owned),
            container_id: container_id.map(str::to_owned),
        }
    }

    fn grant(entry: Entry, target: Target<'_>, scope: Scope) -> Option<TokenKind> {
        grant_entry(&entry, target, scope)
    }

    fn claims(json: &str) -> RawClaims {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn namespace_token_for_this_namespace() {
        let e = || entry(Some("ns-1"), None);
        assert_eq!(
            grant(e(), HERE, Scope::AnyToken),
            Some(TokenKind::Namespace)
        );
        assert_eq!(
            grant(e(), HERE, Scope::NamespaceToken),
            Some(TokenKind::Namespace)
        );
        assert_eq!(grant(e(), HERE, Scope::ContainerToken), None);
    }

    #[test]
    fn container_token_for_this_container_with_or_without_namespace() {
        for ns in [Some("ns-1"), None] {
            let e = || entry(ns, Some("ct-1"));
            assert_eq!(
                grant(e(), HERE, Scope::AnyToken),
                Some(TokenKind::Container)
            );
            assert_eq!(
                grant(e(), HERE, Scope::ContainerToken),
                Some(TokenKind::Container)
            );
            assert_eq!(grant(e(), HERE, Scope::NamespaceToken), None);
        }
    }

    #[test]
    fn sibling_container_is_refused_even_in_the_same_namespace() {
        for scope in [
            Scope::AnyToken,
            Scope::ContainerToken,
            Scope::NamespaceToken,
        ] {
            assert_eq!(grant(entry(Some("ns-1"), Some("ct-2")), HERE, scope), None);
        }
    }

    #[test]
    fn this_container_under_another_namespace_is_refused() {
        assert_eq!(
            grant(entry(Some("ns-2"), Some("ct-1")), HERE, Scope::AnyToken),
            None
        );
    }

    #[test]
    fn other_namespace_and_empty_entries_grant_nothing() {
        for scope in [
            Scope::AnyToken,
            Scope::ContainerToken,
            Scope::NamespaceToken,
        ] {
            assert_eq!(grant(entry(Some("ns-2"), None), HERE, scope), None);
            assert_eq!(grant(entry(None, None), HERE, scope), None);
        }
    }

    #[test]
    fn comparison_is_exact() {
        for id in ["NS-1", "ns-1 ", " ns-1", "ns-", "ns-1\0"] {
            assert_eq!(
                grant(entry(Some(id), None), HERE, Scope::AnyToken),
                None,
                "{id:?}"
            );
        }
        assert_eq!(
            grant(entry(None, Some("CT-1")), HERE, Scope::AnyToken),
            None
        );
    }

    #[test]
    fn namespace_scope_needs_no_container_id() {
        let target = Target {
            namespace_id: "ns-1",
            container_id: None,
        };
        assert_eq!(
            grant(entry(Some("ns-1"), None), target, Scope::NamespaceToken),
            Some(TokenKind::Namespace)
        );
        assert_eq!(
            grant(entry(None, Some("ct-1")), target, Scope::AnyToken),
            None
        );
    }

    #[test]
    fn a_token_carries_exactly_one_entry() {
        let one = claims(r#"{"application_claim":[{"namespace_id":"ns-1"}]}"#);
        assert_eq!(
            super::grant(&one, HERE, Scope::AnyToken),
            Ok(TokenKind::Namespace)
        );
        // More than one is refused as the platform's runtime refuses it, even when one grants.
        let two = claims(
            r#"{"application_claim":[{"namespace_id":"ns-1"},{"namespace_id":"ns-1","application_id":"ct-1"}]}"#,
        );
        let refusal = super::grant(&two, HERE, Scope::AnyToken).unwrap_err();
        assert_eq!(refusal.kind(), RejectionKind::InvalidToken);
        // None grants nothing.
        for none in [
            "{}",
            r#"{"application_claim":[]}"#,
            r#"{"application_claim":null}"#,
        ] {
            let refusal = super::grant(&claims(none), HERE, Scope::AnyToken).unwrap_err();
            assert_eq!(refusal.kind(), RejectionKind::InsufficientScope, "{none}");
        }
    }
}
