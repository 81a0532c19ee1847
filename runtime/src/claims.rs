//! What a token says: the raw payload as the platform writes it, and the verified claims a
//! handler receives.

use serde::{Deserialize, Deserializer, Serialize};

/// The verified claims of a request's token, handed to a protected handler.
///
/// They describe the `application_claim` entry that granted access, plus the token's
/// registered claims when present. Declare a parameter of this type in a handler protected by
/// `#[scw_private]` to receive them; the token is verified once per request either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Claims {
    /// The namespace the granting entry names, if any.
    pub namespace_id: Option<String>,
    /// The container the granting entry names, if any.
    pub container_id: Option<String>,
    /// Whether the granting entry is a namespace token or a container token.
    pub kind: TokenKind,
    /// Expiry (`exp`), seconds since the Unix epoch. `None` for a token that never expires.
    pub exp: Option<i64>,
    /// Issue time (`iat`), seconds since the Unix epoch.
    pub iat: Option<i64>,
    /// Start of validity (`nbf`), seconds since the Unix epoch.
    pub nbf: Option<i64>,
    /// Token id (`jti`).
    pub jti: Option<String>,
    /// Issuer (`iss`).
    pub iss: Option<String>,
    /// Subject (`sub`).
    pub sub: Option<String>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
