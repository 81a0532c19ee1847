//! What a token says: the raw payload as the platform writes it, and the verified claims a
//! handler receives.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

/// The verified claims of a request's token, handed to a protected handler.
///
/// They describe the `application_claim` entry that granted access, plus the token's
/// registered claims when present. Declare a parameter of this type in a handler protected by
/// `#[scw_private]` to receive them; the token is verified once per request either way.
/// Cloning is cheap: the parsed token is shared. Serialized (with `serde`), the claims are an
/// object with `namespace_id`, `container_id`, `kind` (`"namespace"` or `"container"`), `exp`,
/// `iat`, `nbf`, `jti`, `iss` and `sub`, absent values as `null`.
#[derive(Clone)]
pub struct Claims {
    raw: Arc<RawClaims>,
    /// Index of the granting entry in `raw.application_claim`.
    entry: usize,
    kind: TokenKind,
}

impl Claims {
    pub(crate) fn new(raw: Arc<RawClaims>, entry: usize, kind: TokenKind) -> Self {
        Self { raw, entry, kind }
    }

    fn entry(&self) -> Entry<'_> {
        // The entry settled when the token was verified; it settles the same way again.
        self.raw
            .application_claim
            .get(self.entry)
            .and_then(|entry| entry.settle().ok())
            .unwrap_or_default()
    }

    /// The namespace the granting entry names, if any.
    pub fn namespace_id(&self) -> Option<&str> {
        self.entry().namespace_id
    }

    /// The container the granting entry names, if any (`application_id` or `container_id`).
    pub fn container_id(&self) -> Option<&str> {
        self.entry().container_id
    }

    /// Whether the granting entry is a namespace token or a container token.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// Expiry (`exp`), seconds since the Unix epoch. `None` for a token that never expires.
    pub fn exp(&self) -> Option<i64> {
        self.raw.exp
    }

    /// Issue time (`iat`), seconds since the Unix epoch.
    pub fn iat(&self) -> Option<i64> {
        self.raw.iat
    }

    /// Start of validity (`nbf`), seconds since the Unix epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.raw.nbf
    }

    /// Token id (`jti`).
    pub fn jti(&self) -> Option<&str> {
        self.raw.jti.as_deref()
    }

    /// Issuer (`iss`).
    pub fn iss(&self) -> Option<&str> {
        self.raw.iss.as_deref()
    }

    /// Subject (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.raw.sub.as_deref()
    }

    fn view(&self) -> ClaimsView<'_> {
        ClaimsView {
            namespace_id: self.namespace_id(),
            container_id: self.container_id(),
            kind: self.kind,
            exp: self.exp(),
            iat: self.iat(),
            nbf: self.nbf(),
            jti: self.jti(),
            iss: self.iss(),
            sub: self.sub(),
        }
    }
}

/// The claims as plain values, for `Debug`, `PartialEq` and `Serialize`.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct ClaimsView<'a> {
    namespace_id: Option<&'a str>,
    container_id: Option<&'a str>,
    kind: TokenKind,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<&'a str>,
    iss: Option<&'a str>,
    sub: Option<&'a str>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.view(), f)
    }
}

impl PartialEq for Claims {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for Claims {}

impl Serialize for Claims {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

/// Which kind of token granted access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Issued with `namespace_id`: valid for every container of the namespace.
    Namespace,
    /// Issued with `container_id`: valid for that container only.
    Container,
}

/// The payload of a platform token. Unknown members are ignored; a duplicated known member, or
/// one of the wrong type, makes the token invalid.
#[derive(Debug, Deserialize)]
pub(crate) struct RawClaims {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub(crate) application_claim: Vec<RawEntry>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) nbf: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) iat: Option<i64>,
    #[serde(default)]
    pub(crate) aud: Option<Audience>,
    #[serde(default)]
    pub(crate) iss: Option<String>,
    #[serde(default)]
    pub(crate) sub: Option<String>,
    #[serde(default)]
    pub(crate) jti: Option<String>,
}

/// One `application_claim` entry. Documentation revisions spell the container field
/// `application_id` and `container_id`; both are read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawEntry {
    #[serde(default)]
    pub(crate) namespace_id: Option<String>,
    #[serde(default)]
    pub(crate) application_id: Option<String>,
    #[serde(default)]
    pub(crate) container_id: Option<String>,
}

/// An entry with its ids settled: `None` where the id is absent or empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub(crate) namespace_id: Option<&'a str>,
    pub(crate) container_id: Option<&'a str>,
}

/// Two spellings of the container id that disagree.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ConflictingContainerIds;

impl RawEntry {
    pub(crate) fn settle(&self) -> Result<Entry<'_>, ConflictingContainerIds> {
        fn present(id: &Option<String>) -> Option<&str> {
            id.as_deref().filter(|id| !id.is_empty())
        }
        let container_id = match (present(&self.application_id), present(&self.container_id)) {
            (Some(a), Some(c)) if a != c => return Err(ConflictingContainerIds),
            (a, c) => a.or(c),
        };
        Ok(Entry {
            namespace_id: present(&self.namespace_id),
            container_id,
        })
    }
}

/// `aud`: one string or an array of strings (RFC 7519 section 4.1.3).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn contains_any(&self, accepted: &[String]) -> bool {
        match self {
            Self::One(aud) => accepted.iter().any(|a| a == aud),
            Self::Many(auds) => auds.iter().any(|aud| accepted.iter().any(|a| a == aud)),
        }
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<RawEntry>, D::Error> {
    Ok(Option::<Vec<RawEntry>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A NumericDate (RFC 7519 section 2): a JSON number of seconds, possibly fractional, read as
/// whole seconds rounded down. Strings, booleans and non-finite values are refused.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Big(u64),
        Float(f64),
    }
    Ok(match Option::<Number>::deserialize(deserializer)? {
        None => None,
        Some(Number::Int(n)) => Some(n),
        Some(Number::Big(n)) => Some(i64::try_from(n).unwrap_or(i64::MAX)),
        // `as` saturates, and serde_json never yields NaN or infinities.
        Some(Number::Float(f)) => Some(f.floor() as i64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RawClaims, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn reads_both_spellings_of_the_container_id() {
        let claims = parse(r#"{"application_claim":[{"namespace_id":"n","application_id":"a"},{"container_id":"c"}]}"#).unwrap();
        let entries: Vec<_> = claims
            .application_claim
            .iter()
            .map(|e| e.settle().unwrap())
            .collect();
        assert_eq!(
            entries[0],
            Entry {
                namespace_id: Some("n"),
                container_id: Some("a")
            }
        );
        assert_eq!(
            entries[1],
            Entry {
                namespace_id: None,
                container_id: Some("c")
            }
        );
    }

    #[test]
    fn empty_ids_are_absent_and_conflicting_spellings_are_refused() {
        let entry = RawEntry {
            namespace_id: Some(String::new()),
            application_id: Some(String::new()),
            container_id: Some("c".into()),
        };
        assert_eq!(
            entry.settle().unwrap(),
            Entry {
                namespace_id: None,
                container_id: Some("c")
            }
        );
        let same = RawEntry {
            application_id: Some("c".into()),
            container_id: Some("c".into()),
            ..RawEntry::default()
        };
        assert_eq!(same.settle().unwrap().container_id, Some("c"));
        let conflict = RawEntry {
            application_id: Some("a".into()),
            container_id: Some("c".into()),
            ..RawEntry::default()
        };
        assert_eq!(conflict.settle(), Err(ConflictingContainerIds));
    }

    #[test]
    fn numeric_dates_accept_numbers_only() {
        assert_eq!(
            parse(r#"{"exp":1700000000}"#).unwrap().exp,
            Some(1_700_000_000)
        );
        assert_eq!(
            parse(r#"{"exp":1700000000.9}"#).unwrap().exp,
            Some(1_700_000_000)
        );
        assert_eq!(parse(r#"{"exp":-5}"#).unwrap().exp, Some(-5));
        assert_eq!(
            parse(r#"{"exp":18446744073709551615}"#).unwrap().exp,
            Some(i64::MAX)
        );
        assert_eq!(parse(r#"{"exp":null}"#).unwrap().exp, None);
        assert!(parse(r#"{"exp":"1700000000"}"#).is_err());
        assert!(parse(r#"{"exp":true}"#).is_err());
    }

    #[test]
    fn malformed_shapes_are_errors_not_defaults() {
        assert!(parse(r#"{"application_claim":{"namespace_id":"n"}}"#).is_err());
        assert!(parse(r#"{"application_claim":["n"]}"#).is_err());
        assert!(parse(r#"{"application_claim":[{"namespace_id":5}]}"#).is_err());
        assert!(parse(r#"{"exp":1,"exp":2}"#).is_err(), "duplicate members");
        assert!(parse(r#"{"aud":5}"#).is_err());
        assert!(
            parse(r#"{"application_claim":null}"#)
                .unwrap()
                .application_claim
                .is_empty()
        );
    }

    #[test]
    fn audience_matching() {
        let one = Audience::One("functions".into());
        let many = Audience::Many(vec!["x".into(), "functions".into()]);
        let accepted = ["functions".to_owned()];
        assert!(one.contains_any(&accepted));
        assert!(many.contains_any(&accepted));
        assert!(!Audience::Many(vec![]).contains_any(&accepted));
        assert!(!one.contains_any(&[]));
    }
}
