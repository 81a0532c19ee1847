//! What a check records through the `metrics` facade (feature `metrics`), and the names it
//! records under.
//!
//! Every key is made at compile time, one `static` per combination of labels: its labels are
//! `&'static str` and its hash a constant, so a check hashes and allocates nothing for metrics
//! (a recorder may, in its own map). With no recorder installed the facade hands out no-op
//! handles. Without the feature every function here is empty and every argument unused.

#[cfg(feature = "metrics")]
use std::time::Instant;

use http::HeaderName;

use crate::verification::access::Access;
use crate::verification::extract::RequestHeaders;
use crate::verification::rejection::Rejection;

#[cfg(feature = "metrics")]
/// Checks, by outcome (`accepted`, `refused`, `misconfigured`) and `protocol`, with `access`
/// when accepted, `class` and `reason` when refused, and `setting` when misconfigured.
pub const CHECKS_TOTAL: &str = "scw_private_checks_total";
#[cfg(feature = "metrics")]
/// Tokens found in the verified-token cache (the signature is not checked again).
pub const TOKEN_CACHE_HITS_TOTAL: &str = "scw_private_token_cache_hits_total";
#[cfg(feature = "metrics")]
/// Tokens not found in the cache, or every token when the cache is off.
pub const TOKEN_CACHE_MISSES_TOTAL: &str = "scw_private_token_cache_misses_total";
#[cfg(feature = "metrics")]
/// The time a full verification takes (signature and claims), on a cache miss only.
pub const TOKEN_VERIFICATION_SECONDS: &str = "scw_private_token_verification_seconds";

#[cfg(feature = "metrics")]
/// The buckets for [`TOKEN_VERIFICATION_SECONDS`], in seconds: a verification costs about
/// 35 µs with a 2048-bit key and 100 µs with the platform's 4096-bit one, on a quiet core.
pub const TOKEN_VERIFICATION_SECONDS_BUCKETS: &[f64] = &[
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01,
];

/// The protocol a request speaks, for the `protocol` label: the one its refusal is answered
/// in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http,
    Grpc,
}

impl Protocol {
    /// gRPC when the request's `content-type` is `application/grpc`, alone, with a
    /// `+proto`/`+json` (any) suffix, or with parameters; `application/grpc-web` is another
    /// protocol, answered in HTTP.
    pub(crate) fn of<H: RequestHeaders + ?Sized>(headers: &H) -> Self {
        // The first value, as `HeaderMap::get` reads it.
        let content_type = headers
            .header_values(&HeaderName::from_static("content-type"))
            .next();
        match content_type {
            Some(value) if is_grpc_content_type(value) => Self::Grpc,
            _ => Self::Http,
        }
    }
}

impl Protocol {
    /// The protocol a form answers in, from whether it answers in gRPC.
    pub(crate) fn answering(grpc: bool) -> Self {
        if grpc { Self::Grpc } else { Self::Http }
    }
}

fn is_grpc_content_type(value: &[u8]) -> bool {
    let prefix = b"application/grpc";
    value.len() >= prefix.len()
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(value.get(prefix.len()), None | Some(b'+' | b';'))
}

/// One check's outcome.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#[inline]
pub(crate) fn check(result: Result<&Access, &Rejection>, protocol: Protocol) {
    #[cfg(feature = "metrics")]
    record::counter(record::check_key(result, protocol));
}

/// A token found in the cache.
#[inline]
pub(crate) fn cache_hit() {
    #[cfg(feature = "metrics")]
    record::counter(record::key!(TOKEN_CACHE_HITS_TOTAL));
}

/// A token not found in the cache: its full verification is timed.
#[inline]
pub(crate) fn cache_miss() -> Timer {
    #[cfg(feature = "metrics")]
    {
        record::counter(record::key!(TOKEN_CACHE_MISSES_TOTAL));
        Timer {
            start: Instant::now(),
        }
    }
    #[cfg(not(feature = "metrics"))]
    Timer {}
}

/// A full verification's time, recorded by [`Timer::stop`].
#[must_use]
pub(crate) struct Timer {
    #[cfg(feature = "metrics")]
    start: Instant,
}

impl Timer {
    #[inline]
    pub(crate) fn stop(self) {
        #[cfg(feature = "metrics")]
        record::histogram(
            record::key!(TOKEN_VERIFICATION_SECONDS),
            self.start.elapsed().as_secs_f64(),
        );
    }
}

#[cfg(feature = "metrics")]
mod record {
    use metrics::{Key, Level, Metadata};

    use super::{CHECKS_TOTAL, Protocol};
    use crate::env;
    use crate::verification::access::Access;
    use crate::verification::claims::TokenKind;
    use crate::verification::config::ConfigError;
    use crate::verification::rejection::{Reason, Rejection};

    static METADATA: Metadata<'static> =
        Metadata::new("scw_private", Level::INFO, Some(module_path!()));

    /// A `&'static Key` built at compile time, with its hash.
    macro_rules! key {
        ($name:expr) => {{
            static KEY: ::metrics::Key = ::metrics::Key::from_static_name($name);
            &KEY
        }};
        ($name:expr; $($label:literal = $value:expr),+ $(,)?) => {{
            static LABELS: &[::metrics::Label] =
                &[$(::metrics::Label::from_static_parts($label, $value)),+];
            static KEY: ::metrics::Key = ::metrics::Key::from_static_parts($name, LABELS);
            &KEY
        }};
    }
    pub(super) use key;

    /// [`CHECKS_TOTAL`]'s key for these labels, with `protocol` last.
    macro_rules! check_key {
        ($protocol:expr; $($label:literal = $value:expr),+) => {
            match $protocol {
                Protocol::Http => key!(CHECKS_TOTAL; $($label = $value,)+ "protocol" = "http"),
                Protocol::Grpc => key!(CHECKS_TOTAL; $($label = $value,)+ "protocol" = "grpc"),
            }
        };
    }

    /// The `reason` label of every refusal but a misconfiguration, with its `class`
    /// (`RejectionKind::code`, which a test checks): one arm per variant, so a new variant
    /// does not build until it has its labels.
    macro_rules! refusals {
        ($($variant:ident => $class:literal, $reason:literal;)+) => {
            fn refused_key(reason: Reason, protocol: Protocol) -> Option<&'static Key> {
                Some(match reason {
                    $(Reason::$variant => check_key!(protocol;
                        "outcome" = "refused", "class" = $class, "reason" = $reason),)+
                    Reason::Misconfigured => return None,
                })
            }

            #[cfg(test)]
            pub(super) const REFUSALS: &[Reason] = &[$(Reason::$variant),+];
        };
    }

    refusals! {
        NoToken => "missing_token", "no_token";
        SeveralTokens => "invalid_request", "several_tokens";
        HeaderTooLarge => "invalid_request", "header_too_large";
        HeaderNotAscii => "invalid_request", "header_not_ascii";
        HeaderEmpty => "invalid_request", "header_empty";
        HeaderMalformed => "invalid_request", "header_malformed";
        IamKey => "invalid_token", "iam_key";
        TokenTooLarge => "invalid_token", "token_too_large";
        Malformed => "invalid_token", "malformed";
        UnsupportedAlgorithm => "invalid_token", "unsupported_algorithm";
        CriticalHeader => "invalid_token", "critical_header";
        BadSignature => "invalid_token", "bad_signature";
        MalformedClaims => "invalid_token", "malformed_claims";
        SeveralEntries => "invalid_token", "several_entries";
        Expired => "invalid_token", "expired";
        NoExpiry => "invalid_token", "no_expiry";
        NotYetValid => "invalid_token", "not_yet_valid";
        IssuedInTheFuture => "invalid_token", "issued_in_the_future";
        TooOld => "invalid_token", "too_old";
        NoIssueTime => "invalid_token", "no_issue_time";
        AudienceNotAccepted => "invalid_token", "audience_not_accepted";
        IssuerNotAccepted => "invalid_token", "issuer_not_accepted";
        NotGranted => "insufficient_scope", "not_granted";
        ContainerTokenRequired => "insufficient_scope", "container_token_required";
        NamespaceTokenRequired => "insufficient_scope", "namespace_token_required";
    }

    pub(super) fn check_key(
        result: Result<&Access, &Rejection>,
        protocol: Protocol,
    ) -> &'static Key {
        match result {
            Ok(access) => accepted_key(access, protocol),
            Err(rejection) => refused_key(rejection.reason(), protocol)
                .unwrap_or_else(|| misconfigured_key(rejection.config_error(), protocol)),
        }
    }

    fn accepted_key(access: &Access, protocol: Protocol) -> &'static Key {
        match access {
            Access::Token(claims) => match claims.kind() {
                TokenKind::Namespace => {
                    check_key!(protocol; "outcome" = "accepted", "access" = "namespace_token")
                }
                TokenKind::Container => {
                    check_key!(protocol; "outcome" = "accepted", "access" = "container_token")
                }
            },
            Access::PublicContainer => {
                check_key!(protocol; "outcome" = "accepted", "access" = "public_container")
            }
            Access::PlatformIam => {
                check_key!(protocol; "outcome" = "accepted", "access" = "platform_iam")
            }
        }
    }

    /// The setting to mend: the variable's own name where one is at fault (`key` for
    /// `SCW_PUBLIC_KEY`, `public` for `SCW_PUBLIC`), else what in the code is.
    fn misconfigured_key(error: Option<&ConfigError>, protocol: Protocol) -> &'static Key {
        macro_rules! setting {
            ($setting:literal) => {
                check_key!(protocol; "outcome" = "misconfigured", "setting" = $setting)
            };
        }
        match error {
            Some(ConfigError::Key { .. }) => setting!("key"),
            Some(
                ConfigError::MissingNamespaceId { .. } | ConfigError::PaddedNamespaceId { .. },
            ) => {
                setting!("namespace_id")
            }
            Some(
                ConfigError::MissingContainerId { .. } | ConfigError::PaddedContainerId { .. },
            ) => {
                setting!("container_id")
            }
            Some(ConfigError::InvalidPrivacy) => setting!("public"),
            Some(ConfigError::NotUnicode { variable }) => match *variable {
                env::PUBLIC_KEY => setting!("key"),
                env::NAMESPACE_ID => setting!("namespace_id"),
                env::CONTAINER_ID => setting!("container_id"),
                env::PUBLIC => setting!("public"),
                _ => setting!("other"),
            },
            Some(ConfigError::ConflictingPolicy { .. }) => setting!("policy"),
            Some(ConfigError::InvalidHeaderName { .. } | ConfigError::NoHeaders) => {
                setting!("headers")
            }
            Some(ConfigError::UncheckedMethod { .. }) => setting!("method"),
            None => setting!("other"),
        }
    }

    #[inline]
    pub(super) fn counter(key: &'static Key) {
        metrics::with_recorder(|recorder| recorder.register_counter(key, &METADATA)).increment(1);
    }

    #[inline]
    pub(super) fn histogram(key: &'static Key, value: f64) {
        metrics::with_recorder(|recorder| recorder.register_histogram(key, &METADATA))
            .record(value);
    }
}

/// Describes every metric to the installed recorder (its help text and unit), for exporters
/// that print them, as Prometheus's `# HELP` lines: call it once after installing the
/// recorder. Recording needs no description.
#[cfg(feature = "metrics")]
pub fn describe() {
    use metrics::Unit;
    metrics::describe_counter!(
        CHECKS_TOTAL,
        Unit::Count,
        "Requests checked by scw-private, by outcome, protocol, access, class, reason and setting"
    );
    metrics::describe_counter!(
        TOKEN_CACHE_HITS_TOTAL,
        Unit::Count,
        "Tokens found in scw-private's verified-token cache"
    );
    metrics::describe_counter!(
        TOKEN_CACHE_MISSES_TOTAL,
        Unit::Count,
        "Tokens verified in full by scw-private (not in its cache)"
    );
    metrics::describe_histogram!(
        TOKEN_VERIFICATION_SECONDS,
        Unit::Seconds,
        "Time scw-private spends verifying a token in full (cache misses only)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_is_the_content_type_grpc_answers_in() {
        let protocol = |values: &[&str]| {
            let mut headers = http::HeaderMap::new();
            for value in values {
                headers.append("content-type", value.parse().unwrap());
            }
            Protocol::of(&headers)
        };
        for grpc in [
            "application/grpc",
            "application/grpc+proto",
            "Application/GRPC+json",
            "application/grpc;charset=utf-8",
        ] {
            assert_eq!(protocol(&[grpc]), Protocol::Grpc, "{grpc}");
        }
        for http in [
            "application/grpc-web",
            "application/json",
            "application/grp",
            "",
        ] {
            assert_eq!(protocol(&[http]), Protocol::Http, "{http}");
        }
        assert_eq!(protocol(&[]), Protocol::Http);
        assert_eq!(
            protocol(&["application/grpc", "text/plain"]),
            Protocol::Grpc
        );
        assert_eq!(
            protocol(&["text/plain", "application/grpc"]),
            Protocol::Http
        );
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn every_refusal_has_its_class_and_reason_labels() {
        use crate::verification::rejection::Reason;

        let label = |key: &metrics::Key, name: &str| {
            key.labels()
                .find(|label| label.key() == name)
                .map(|label| label.value().to_owned())
        };
        let mut reasons = std::collections::HashSet::new();
        for &reason in record::REFUSALS {
            for protocol in [Protocol::Http, Protocol::Grpc] {
                let key = record::check_key(Err(&Rejection::new(reason)), protocol);
                assert_eq!(key.name(), CHECKS_TOTAL);
                assert_eq!(label(key, "outcome").as_deref(), Some("refused"));
                assert_eq!(
                    label(key, "class").as_deref(),
                    Some(reason.kind().code()),
                    "{reason:?}"
                );
                let expected = match protocol {
                    Protocol::Http => "http",
                    Protocol::Grpc => "grpc",
                };
                assert_eq!(label(key, "protocol").as_deref(), Some(expected));
                reasons.insert(label(key, "reason").unwrap());
            }
        }
        // One label per reason, and every label snake case.
        assert_eq!(reasons.len(), record::REFUSALS.len());
        assert!(
            reasons
                .iter()
                .all(|r| r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        assert!(!record::REFUSALS.contains(&Reason::Misconfigured));
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn a_misconfiguration_names_the_setting() {
        use crate::verification::config::{ConfigError, Origin};
        use crate::verification::key::KeyError;

        let setting = |error: ConfigError| {
            let key = record::check_key(Err(&Rejection::misconfigured(error)), Protocol::Http);
            assert_eq!(
                key.labels()
                    .find(|l| l.key() == "outcome")
                    .map(|l| l.value()),
                Some("misconfigured")
            );
            assert!(
                key.labels()
                    .all(|l| l.key() != "class" && l.key() != "reason")
            );
            key.labels()
                .find(|label| label.key() == "setting")
                .map(|label| label.value().to_owned())
                .unwrap()
        };
        let origin = Origin::Environment;
        assert_eq!(
            setting(ConfigError::Key {
                origin,
                error: KeyError::Empty
            }),
            "key"
        );
        assert_eq!(
            setting(ConfigError::MissingNamespaceId { origin }),
            "namespace_id"
        );
        assert_eq!(
            setting(ConfigError::PaddedContainerId { origin }),
            "container_id"
        );
        assert_eq!(setting(ConfigError::InvalidPrivacy), "public");
        assert_eq!(
            setting(ConfigError::NotUnicode {
                variable: crate::env::PUBLIC_KEY
            }),
            "key"
        );
        assert_eq!(
            setting(ConfigError::NotUnicode {
                variable: crate::env::PUBLIC
            }),
            "public"
        );
        assert_eq!(setting(ConfigError::NoHeaders), "headers");
        assert_eq!(
            setting(ConfigError::UncheckedMethod { method: "/a.B/C" }),
            "method"
        );
    }
}
