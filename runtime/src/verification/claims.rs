//! What a token says: the raw payload as the platform writes it, and the verified claims a
//! handler receives.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

/// The verified claims of a request's token, handed to a protected handler.
///
/// They describe the token's one `application_claim` entry, which granted access, plus its
/// registered claims when present. Declare a parameter of this type in a handler protected by
/// `#[scw_private]` to receive them; the token is verified once per request either way.
/// Cloning is cheap: the parsed token is shared. Serialized (with `serde`), the claims are an
/// object with `namespace_id`, `container_id`, `kind` (`"namespace"` or `"container"`), `exp`,
/// `iat`, `nbf`, `jti`, `iss` and `sub`, absent values as `null`.
#[derive(Clone)]
pub struct Claims {
    raw: Arc<RawClaims>,
    kind: TokenKind,
}

impl Claims {
    /// The claims of a token whose one entry granted access as `kind`.
    pub(crate) fn new(raw: Arc<RawClaims>, kind: TokenKind) -> Self {
        Self { raw, kind }
    }

    /// The namespace the token's entry names, if any.
    pub fn namespace_id(&self) -> Option<&str> {
        self.raw.entry()?.namespace_id.as_deref()
    }

    /// The container the token's entry names, if any (`application_id` or `container_id`).
    pub fn container_id(&self) -> Option<&str> {
        self.raw.entry()?.container_id.as_deref()
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
///
/// Serialized as `"namespace"` or `"container"`. New kinds may appear in a minor release, so
/// a `match` needs a wildcard arm:
///
/// ```compile_fail,E0004
/// # use scw_private::TokenKind;
/// fn describe(kind: TokenKind) -> &'static str {
///     match kind {
///         TokenKind::Namespace => "every container of the namespace",
///         TokenKind::Container => "this container",
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenKind {
    /// Issued with `namespace_id`: valid for every container of the namespace.
    Namespace,
    /// Issued with `container_id`: valid for that container only.
    Container,
}

/// The payload of a platform token, settled when parsed: later code reads fields.
///
/// Unknown members are ignored. A known member that is duplicated or of the wrong JSON type
/// (`null` included, CVE-2026-25537) makes the token invalid, never absent.
#[derive(Debug, Deserialize)]
pub(crate) struct RawClaims {
    /// The entries as sent; how many there must be is the scope rule's business
    /// ([`crate::verification::scope::grant`]). `null` reads as no entry at all.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub(crate) application_claim: Vec<Entry>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) nbf: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    pub(crate) iat: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) aud: Option<Audience>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) iss: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) sub: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) jti: Option<String>,
}

impl RawClaims {
    /// The token's entry, when it has exactly one (see [`crate::verification::scope::grant`]).
    pub(crate) fn entry(&self) -> Option<&Entry> {
        match self.application_claim.as_slice() {
            [entry] => Some(entry),
            _ => None,
        }
    }
}

/// One `application_claim` entry, settled: an empty id is an absent one, and the two
/// spellings of the container id (`application_id`, `container_id` in another documentation
/// revision) are one field.
///
/// Only a JSON object is an entry: serde's derived structs would also read an array by
/// position (`[["<namespace>"]]`), so this type has a visitor of its own that accepts maps
/// alone. Ids are strings or `null` (absent); two spellings that disagree, a duplicated
/// member or an id of another type make the token invalid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) namespace_id: Option<String>,
    pub(crate) container_id: Option<String>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an `application_claim` entry (a JSON object)")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        use serde::de::Error;

        // `Some(None)`: present and `null` or empty.
        let mut namespace_id: Option<Option<String>> = None;
        let mut application_id: Option<Option<String>> = None;
        let mut container_id: Option<Option<String>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "namespace_id" => &mut namespace_id,
                "application_id" => &mut application_id,
                "container_id" => &mut container_id,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(A::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let id: Option<String> = map.next_value()?;
            *slot = Some(id.filter(|id| !id.is_empty()));
        }
        let container_id = match (application_id.flatten(), container_id.flatten()) {
            (Some(a), Some(c)) if a != c => {
                return Err(A::Error::custom("conflicting container ids"));
            }
            (a, c) => a.or(c),
        };
        Ok(Entry {
            namespace_id: namespace_id.flatten(),
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

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Entry>, D::Error> {
    Ok(Option::<Vec<Entry>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A member that, when present, must have its type: `null` is a wrong type, not an absence
/// (an absent member is `None` through `#[serde(default)]`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A NumericDate (RFC 7519 section 2): a JSON number of seconds, possibly fractional, read as
/// whole seconds rounded down. `null`, strings, booleans, arrays and objects are refused.
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Big(u64),
        Float(f64),
    }
    Ok(Some(match Number::deserialize(deserializer)? {
        Number::Int(n) => n,
        Number::Big(n) => i64::try_from(n).unwrap_or(i64::MAX),
        // `as` saturates, and serde_json never yields NaN or infinities.
        Number::Float(f) => f.floor() as i64,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<RawClaims, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn entry(json: &str) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(json)
    }

    fn ids(namespace_id: Option<&str>, container_id: Option<&str>) -> Entry {
        Entry {
            namespace_id: namespace_id.map(str::to_owned),
            container_id: container_id.map(str::to_owned),
        }
    }

    #[test]
    fn reads_both_spellings_of_the_container_id() {
        assert_eq!(
            entry(r#"{"namespace_id":"n","application_id":"a"}"#).unwrap(),
            ids(Some("n"), Some("a"))
        );
        assert_eq!(
            entry(r#"{"container_id":"c"}"#).unwrap(),
            ids(None, Some("c"))
        );
        assert_eq!(
            entry(r#"{"application_id":"c","container_id":"c"}"#).unwrap(),
            ids(None, Some("c"))
        );
    }

    #[test]
    fn empty_and_null_ids_are_absent_and_conflicting_spellings_are_refused() {
        assert_eq!(
            entry(r#"{"namespace_id":"","application_id":"","container_id":"c"}"#).unwrap(),
            ids(None, Some("c"))
        );
        assert_eq!(
            entry(r#"{"namespace_id":null,"application_id":null}"#).unwrap(),
            ids(None, None)
        );
        assert!(entry(r#"{"application_id":"a","container_id":"c"}"#).is_err());
    }

    #[test]
    fn an_entry_is_a_json_object_and_nothing_else() {
        // Read by position, these would name a namespace (found by an outside review).
        for shape in [
            r#"["n"]"#,
            r#"["n", "c"]"#,
            r#"[["n"]]"#,
            "[]",
            r#""n""#,
            "1",
            "true",
            "null",
        ] {
            assert!(entry(shape).is_err(), "{shape}");
            let claims = format!(r#"{{"application_claim":[{shape}]}}"#);
            assert!(parse(&claims).is_err(), "{claims}");
        }
    }

    #[test]
    fn duplicated_or_mistyped_ids_are_refused() {
        assert!(entry(r#"{"namespace_id":"a","namespace_id":"b"}"#).is_err());
        assert!(entry(r#"{"application_id":"a","application_id":"a"}"#).is_err());
        for id in ["1", "true", "[]", "{}"] {
            assert!(
                entry(&format!(r#"{{"namespace_id":{id}}}"#)).is_err(),
                "{id}"
            );
        }
        assert_eq!(
            entry(r#"{"namespace_id":"n","version":2,"other":[1]}"#).unwrap(),
            ids(Some("n"), None),
            "unknown members are ignored"
        );
    }

    #[test]
    fn the_entry_is_read_only_when_there_is_exactly_one() {
        let one = parse(r#"{"application_claim":[{"namespace_id":"n"}]}"#).unwrap();
        assert_eq!(one.entry(), Some(&ids(Some("n"), None)));
        let two =
            parse(r#"{"application_claim":[{"namespace_id":"n"},{"namespace_id":"m"}]}"#).unwrap();
        assert_eq!(two.entry(), None);
        assert_eq!(parse("{}").unwrap().entry(), None);
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
        assert_eq!(parse("{}").unwrap().exp, None);
    }

    /// CVE-2026-25537: jsonwebtoken before 10.3 read a time claim of the wrong type as absent.
    #[test]
    fn registered_claims_of_the_wrong_type_are_refused_never_absent() {
        for claim in ["exp", "nbf", "iat"] {
            for value in ["null", r#""1700000000""#, "[1]", r#"{"a":1}"#, "true"] {
                let json = format!(r#"{{"{claim}":{value}}}"#);
                assert!(parse(&json).is_err(), "{json}");
            }
        }
        for claim in ["aud", "iss", "sub", "jti"] {
            for value in ["null", "5", r#"{"a":1}"#, "true"] {
                let json = format!(r#"{{"{claim}":{value}}}"#);
                assert!(parse(&json).is_err(), "{json}");
            }
        }
        for value in ["[null]", "[5]", r#"[{"a":1}]"#] {
            let json = format!(r#"{{"aud":{value}}}"#);
            assert!(parse(&json).is_err(), "{json}");
        }
    }

    #[test]
    fn malformed_shapes_are_errors_not_defaults() {
        assert!(parse(r#"{"application_claim":{"namespace_id":"n"}}"#).is_err());
        assert!(parse(r#"{"application_claim":"n"}"#).is_err());
        assert!(parse(r#"{"application_claim":[{"namespace_id":5}]}"#).is_err());
        assert!(parse(r#"{"exp":1,"exp":2}"#).is_err(), "duplicate members");
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
        assert!(!Audience::One("other".into()).contains_any(&accepted));
        assert!(!Audience::Many(vec!["other".into()]).contains_any(&accepted));
        assert!(Audience::Many(vec!["functions".into()]).contains_any(&accepted));
    }

    fn claims(json: &str, kind: TokenKind) -> Claims {
        Claims::new(Arc::new(parse(json).unwrap()), kind)
    }

    const FULL: &str = r#"{"application_claim":[{"namespace_id":"ns","application_id":"ct"}],
        "exp":3,"iat":1,"nbf":2,"jti":"j","iss":"SCALEWAY","sub":"token","aud":"functions"}"#;

    #[test]
    fn accessors_read_the_one_entry_and_the_registered_claims() {
        let c = claims(FULL, TokenKind::Container);
        assert_eq!(
            (c.namespace_id(), c.container_id(), c.kind()),
            (Some("ns"), Some("ct"), TokenKind::Container)
        );
        assert_eq!((c.exp(), c.iat(), c.nbf()), (Some(3), Some(1), Some(2)));
        assert_eq!(
            (c.jti(), c.iss(), c.sub()),
            (Some("j"), Some("SCALEWAY"), Some("token"))
        );
        let bare = claims(
            r#"{"application_claim":[{"namespace_id":"ns"}]}"#,
            TokenKind::Namespace,
        );
        assert_eq!(
            (bare.container_id(), bare.exp(), bare.jti()),
            (None, None, None)
        );
    }

    /// `Debug` and `Serialize` show what a handler may log: the claims, never the token.
    #[test]
    fn debug_and_serialize_show_the_claims() {
        let c = claims(FULL, TokenKind::Container);
        assert_eq!(
            format!("{c:?}"),
            "ClaimsView { namespace_id: Some(\"ns\"), container_id: Some(\"ct\"), \
             kind: Container, exp: Some(3), iat: Some(1), nbf: Some(2), jti: Some(\"j\"), \
             iss: Some(\"SCALEWAY\"), sub: Some(\"token\") }"
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({
                "namespace_id": "ns", "container_id": "ct", "kind": "container",
                "exp": 3, "iat": 1, "nbf": 2, "jti": "j", "iss": "SCALEWAY", "sub": "token"
            })
        );
        assert_eq!(
            serde_json::to_value(TokenKind::Namespace).unwrap(),
            serde_json::json!("namespace")
        );
    }

    #[test]
    fn claims_are_equal_when_what_they_say_is() {
        let a = claims(FULL, TokenKind::Container);
        assert_eq!(a, claims(FULL, TokenKind::Container));
        assert_ne!(a, claims(FULL, TokenKind::Namespace));
        assert_ne!(
            a,
            claims(
                &FULL.replace(r#""jti":"j""#, r#""jti":"k""#),
                TokenKind::Container
            )
        );
    }
}
