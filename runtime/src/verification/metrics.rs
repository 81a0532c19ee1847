//! What a check records through the `metrics` facade (feature `metrics`), and the names it
//! records under.
//!
//! Every key is made at compile time, one `static` per combination of labels: its labels are
//! `&'static str` and its hash a constant, so registering it hashes and allocates nothing of
//! ours. Each verifier registers every key once, with the recorder installed when it checks
//! its first request, and then counts through the handles it got: no lookup per check. With
//! no recorder installed the facade hands out no-op handles. Without the feature every
//! function here is empty and every argument unused.

#[cfg(feature = "metrics")]
use std::time::Instant;

use http::HeaderName;

use crate::verification::access::Access;
use crate::verification::extract::RequestHeaders;
use crate::verification::rejection::Rejection;

/// Checks, by outcome (`accepted`, `refused`, `misconfigured`) and `protocol`, with `access`
/// when accepted, `class` and `reason` when refused, and `setting` when misconfigured.
#[cfg(feature = "metrics")]
pub const CHECKS_TOTAL: &str = "scw_private_checks_total";
/// Tokens found in the verified-token cache (the signature is not checked again).
#[cfg(feature = "metrics")]
pub const TOKEN_CACHE_HITS_TOTAL: &str = "scw_private_token_cache_hits_total";
/// Tokens not found in the cache, or every token when the cache is off.
#[cfg(feature = "metrics")]
pub const TOKEN_CACHE_MISSES_TOTAL: &str = "scw_private_token_cache_misses_total";
/// The time a full verification takes (signature and claims), on a cache miss only.
#[cfg(feature = "metrics")]
pub const TOKEN_VERIFICATION_SECONDS: &str = "scw_private_token_verification_seconds";

/// The buckets for [`TOKEN_VERIFICATION_SECONDS`], in seconds: a verification costs about
/// 35 µs with a 2048-bit key and 100 µs with the platform's 4096-bit one, on a quiet core.
#[cfg(feature = "metrics")]
pub const TOKEN_VERIFICATION_SECONDS_BUCKETS: &[f64] = &[
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01,
];

/// The protocol a request speaks, for the `protocol` label: the one its refusal is answered
/// in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    // In this order: `Protocol as usize` indexes the handles.
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

fn is_grpc_content_type(value: &[u8]) -> bool {
    let prefix = b"application/grpc";
    value.len() >= prefix.len()
        && value[..prefix.len()].eq_ignore_ascii_case(prefix)
        && matches!(value.get(prefix.len()), None | Some(b'+' | b';'))
}

/// What one verifier records through: the recorder's handles for every metric and label
/// combination, registered when the verifier checks its first request and reused after. A
/// handle increments the recorder's own counter, with no lookup in the recorder's map: about
/// 80 ns saved per handle and check with Prometheus's recorder, which is what keeps a check
/// within its budget (`docs/performance.md`). Without the feature it is empty.
#[derive(Default)]
pub(crate) struct Instruments {
    #[cfg(feature = "metrics")]
    handles: std::sync::OnceLock<record::Handles>,
}

impl std::fmt::Debug for Instruments {
    /// Whether the handles are registered: a verifier that registered them before any
    /// recorder was installed counts into no-op handles.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        #[cfg(feature = "metrics")]
        let registered = self.handles.get().is_some();
        #[cfg(not(feature = "metrics"))]
        let registered = false;
        f.debug_struct("Instruments")
            .field("registered", &registered)
            .finish()
    }
}

#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
impl Instruments {
    #[cfg(feature = "metrics")]
    fn handles(&self) -> &record::Handles {
        // The recorder installed now: `main` installs it before the first request.
        self.handles.get_or_init(record::Handles::register)
    }

    /// One check's outcome.
    #[inline]
    pub(crate) fn check(&self, result: Result<&Access, &Rejection>, protocol: Protocol) {
        #[cfg(feature = "metrics")]
        self.handles().check(result, protocol).increment(1);
    }

    /// A token found in the cache.
    #[inline]
    pub(crate) fn cache_hit(&self) {
        #[cfg(feature = "metrics")]
        self.handles().cache_hits.increment(1);
    }

    /// A token not found in the cache: its full verification is timed.
    #[inline]
    pub(crate) fn cache_miss(&self) -> Timer<'_> {
        #[cfg(feature = "metrics")]
        {
            let handles = self.handles();
            handles.cache_misses.increment(1);
            Timer {
                histogram: &handles.verification_seconds,
                start: Instant::now(),
            }
        }
        #[cfg(not(feature = "metrics"))]
        Timer {
            instruments: std::marker::PhantomData,
        }
    }
}

/// A check made with no verifier at hand (a tonic method's own check that finds its call
/// unchecked): registered with the recorder now, a slower path for a misconfiguration.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#[allow(
    dead_code,
    reason = "only the tonic integration has a check without a verifier"
)]
pub(crate) fn check_without_verifier(result: Result<&Access, &Rejection>, protocol: Protocol) {
    #[cfg(feature = "metrics")]
    metrics::with_recorder(|recorder| {
        recorder.register_counter(record::check_key(result, protocol), &record::METADATA)
    })
    .increment(1);
}

/// A full verification's time, recorded by [`Timer::stop`].
#[must_use]
pub(crate) struct Timer<'a> {
    #[cfg(feature = "metrics")]
    histogram: &'a metrics::Histogram,
    #[cfg(feature = "metrics")]
    start: Instant,
    #[cfg(not(feature = "metrics"))]
    instruments: std::marker::PhantomData<&'a Instruments>,
}

impl Timer<'_> {
    #[inline]
    pub(crate) fn stop(self) {
        #[cfg(feature = "metrics")]
        self.histogram.record(self.start.elapsed().as_secs_f64());
    }
}

#[cfg(feature = "metrics")]
mod record {
    use metrics::{Counter, Histogram, Key, Level, Metadata};

    use super::{
        CHECKS_TOTAL, Protocol, TOKEN_CACHE_HITS_TOTAL, TOKEN_CACHE_MISSES_TOTAL,
        TOKEN_VERIFICATION_SECONDS,
    };
    use crate::env;
    use crate::verification::access::Access;
    use crate::verification::claims::TokenKind;
    use crate::verification::config::ConfigError;
    use crate::verification::rejection::{Reason, Rejection};

    pub(super) static METADATA: Metadata<'static> =
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

            /// Every reason a client's request is refused for.
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

    /// Slots for refusals, indexed by the reason's discriminant: `Misconfigured`, the last
    /// variant, has none (a test checks that every other one fits).
    pub(super) const REASON_SLOTS: usize = Reason::Misconfigured as usize;

    /// How a request got in, as the `access` label says it.
    #[derive(Clone, Copy)]
    enum Way {
        NamespaceToken,
        ContainerToken,
        PublicContainer,
        PlatformIam,
    }

    const WAYS: [Way; 4] = [
        Way::NamespaceToken,
        Way::ContainerToken,
        Way::PublicContainer,
        Way::PlatformIam,
    ];

    fn way(access: &Access) -> Way {
        match access {
            Access::Token(claims) => match claims.kind() {
                TokenKind::Namespace => Way::NamespaceToken,
                TokenKind::Container => Way::ContainerToken,
            },
            Access::PublicContainer => Way::PublicContainer,
            Access::PlatformIam => Way::PlatformIam,
        }
    }

    fn accepted_key(way: Way, protocol: Protocol) -> &'static Key {
        match way {
            Way::NamespaceToken => {
                check_key!(protocol; "outcome" = "accepted", "access" = "namespace_token")
            }
            Way::ContainerToken => {
                check_key!(protocol; "outcome" = "accepted", "access" = "container_token")
            }
            Way::PublicContainer => {
                check_key!(protocol; "outcome" = "accepted", "access" = "public_container")
            }
            Way::PlatformIam => {
                check_key!(protocol; "outcome" = "accepted", "access" = "platform_iam")
            }
        }
    }

    /// What to mend in a misconfigured server, as the `setting` label says it.
    #[derive(Clone, Copy)]
    enum Setting {
        Key,
        NamespaceId,
        ContainerId,
        Public,
        Policy,
        Headers,
        Method,
        Other,
    }

    const SETTINGS: [Setting; 8] = [
        Setting::Key,
        Setting::NamespaceId,
        Setting::ContainerId,
        Setting::Public,
        Setting::Policy,
        Setting::Headers,
        Setting::Method,
        Setting::Other,
    ];

    /// The variable's own name where one is at fault (`key` for `SCW_PUBLIC_KEY`, `public`
    /// for `SCW_PUBLIC`), else what in the code is.
    fn setting(error: Option<&ConfigError>) -> Setting {
        match error {
            Some(ConfigError::Key { .. }) => Setting::Key,
            Some(
                ConfigError::MissingNamespaceId { .. } | ConfigError::PaddedNamespaceId { .. },
            ) => Setting::NamespaceId,
            Some(
                ConfigError::MissingContainerId { .. } | ConfigError::PaddedContainerId { .. },
            ) => Setting::ContainerId,
            Some(ConfigError::InvalidPrivacy) => Setting::Public,
            Some(ConfigError::NotUnicode { variable }) => match *variable {
                env::PUBLIC_KEY => Setting::Key,
                env::NAMESPACE_ID => Setting::NamespaceId,
                env::CONTAINER_ID => Setting::ContainerId,
                env::PUBLIC => Setting::Public,
                _ => Setting::Other,
            },
            Some(ConfigError::ConflictingPolicy { .. }) => Setting::Policy,
            Some(ConfigError::InvalidHeaderName { .. } | ConfigError::NoHeaders) => {
                Setting::Headers
            }
            Some(ConfigError::UncheckedMethod { .. }) => Setting::Method,
            None => Setting::Other,
        }
    }

    fn misconfigured_key(setting: Setting, protocol: Protocol) -> &'static Key {
        macro_rules! named {
            ($setting:literal) => {
                check_key!(protocol; "outcome" = "misconfigured", "setting" = $setting)
            };
        }
        match setting {
            Setting::Key => named!("key"),
            Setting::NamespaceId => named!("namespace_id"),
            Setting::ContainerId => named!("container_id"),
            Setting::Public => named!("public"),
            Setting::Policy => named!("policy"),
            Setting::Headers => named!("headers"),
            Setting::Method => named!("method"),
            Setting::Other => named!("other"),
        }
    }

    /// The key a check's outcome is counted under.
    #[allow(
        dead_code,
        reason = "only the tonic integration has a check without a verifier"
    )]
    pub(super) fn check_key(
        result: Result<&Access, &Rejection>,
        protocol: Protocol,
    ) -> &'static Key {
        match result {
            Ok(access) => accepted_key(way(access), protocol),
            Err(rejection) => refused_key(rejection.reason(), protocol)
                .unwrap_or_else(|| misconfigured_key(setting(rejection.config_error()), protocol)),
        }
    }

    /// A handle per protocol, `[http, grpc]`, as `Protocol as usize` indexes them.
    type PerProtocol<T> = [T; 2];

    pub(super) struct Handles {
        accepted: [PerProtocol<Counter>; WAYS.len()],
        refused: [PerProtocol<Counter>; REASON_SLOTS],
        misconfigured: [PerProtocol<Counter>; SETTINGS.len()],
        pub(super) cache_hits: Counter,
        pub(super) cache_misses: Counter,
        pub(super) verification_seconds: Histogram,
    }

    impl Handles {
        /// Every handle, from the recorder installed now (the facade's no-op one if none is).
        pub(super) fn register() -> Self {
            metrics::with_recorder(|recorder| {
                let counter = |key: &'static Key| recorder.register_counter(key, &METADATA);
                let both = |key: &dyn Fn(Protocol) -> &'static Key| {
                    [counter(key(Protocol::Http)), counter(key(Protocol::Grpc))]
                };
                let mut refused = std::array::from_fn(|_| [Counter::noop(), Counter::noop()]);
                for &reason in REFUSALS {
                    refused[reason as usize] =
                        both(&|protocol| refused_key(reason, protocol).expect("a refusal"));
                }
                Self {
                    accepted: WAYS.map(|way| both(&|protocol| accepted_key(way, protocol))),
                    refused,
                    misconfigured: SETTINGS
                        .map(|setting| both(&|protocol| misconfigured_key(setting, protocol))),
                    cache_hits: counter(key!(TOKEN_CACHE_HITS_TOTAL)),
                    cache_misses: counter(key!(TOKEN_CACHE_MISSES_TOTAL)),
                    verification_seconds: recorder
                        .register_histogram(key!(TOKEN_VERIFICATION_SECONDS), &METADATA),
                }
            })
        }

        /// The counter a check's outcome goes to: the handle of [`check_key`]'s key.
        pub(super) fn check(
            &self,
            result: Result<&Access, &Rejection>,
            protocol: Protocol,
        ) -> &Counter {
            let per_protocol = match result {
                Ok(access) => &self.accepted[way(access) as usize],
                Err(rejection) => match rejection.reason() {
                    Reason::Misconfigured => {
                        &self.misconfigured[setting(rejection.config_error()) as usize]
                    }
                    reason => &self.refused[reason as usize],
                },
            };
            &per_protocol[protocol as usize]
        }
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
        // Each has a slot of its own among the handles.
        assert!(
            record::REFUSALS
                .iter()
                .all(|&r| (r as usize) < record::REASON_SLOTS)
        );
    }

    /// Each outcome's handle is its own key's: counted through a verifier's instruments, each
    /// series holds its own count, read from a Prometheus recorder's text.
    #[cfg(feature = "metrics")]
    #[test]
    fn every_outcome_is_counted_in_its_own_series() {
        use crate::verification::access::Access;
        use crate::verification::config::{ConfigError, Origin};
        use crate::verification::key::KeyError;

        let origin = Origin::Environment;
        let misconfigurations = || {
            [
                ConfigError::Key {
                    origin,
                    error: KeyError::Empty,
                },
                ConfigError::MissingNamespaceId { origin },
                ConfigError::MissingContainerId { origin },
                ConfigError::InvalidPrivacy,
                ConfigError::ConflictingPolicy {
                    first: "a",
                    second: "b",
                },
                ConfigError::NoHeaders,
                ConfigError::UncheckedMethod { method: "m" },
            ]
            .map(Rejection::misconfigured)
        };
        let mut outcomes: Vec<Result<Access, Rejection>> =
            vec![Ok(Access::PublicContainer), Ok(Access::PlatformIam)];
        outcomes.extend(record::REFUSALS.iter().map(|&r| Err(Rejection::new(r))));
        outcomes.extend(misconfigurations().map(Err));

        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let prometheus = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let instruments = Instruments::default();
            // Outcome i is counted i + 1 times over HTTP, and i + 2 times over gRPC.
            for (i, outcome) in outcomes.iter().enumerate() {
                for _ in 0..=i {
                    instruments.check(outcome.as_ref(), Protocol::Http);
                    instruments.check(outcome.as_ref(), Protocol::Grpc);
                }
                instruments.check(outcome.as_ref(), Protocol::Grpc);
            }
            instruments.cache_hit();
            instruments.cache_miss().stop();
            instruments.cache_miss().stop();
        });
        let text = prometheus.render();
        let value = |key: &metrics::Key| {
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!(r#"{}="{}""#, l.key(), l.value()))
                .collect();
            let series = format!("{}{{{}}} ", key.name(), labels.join(","));
            text.lines()
                .find_map(|line| line.strip_prefix(&series)?.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("no {series} in {text}"))
        };
        for (i, outcome) in outcomes.iter().enumerate() {
            let count = i as u64 + 1;
            assert_eq!(
                value(record::check_key(outcome.as_ref(), Protocol::Http)),
                count
            );
            assert_eq!(
                value(record::check_key(outcome.as_ref(), Protocol::Grpc)),
                count + 1
            );
        }
        assert!(
            text.contains("\nscw_private_token_cache_hits_total 1\n"),
            "{text}"
        );
        assert!(
            text.contains("\nscw_private_token_cache_misses_total 2\n"),
            "{text}"
        );
        assert!(
            text.contains("\nscw_private_token_verification_seconds_count 2\n"),
            "{text}"
        );
    }

    #[cfg(feature = "metrics")]
    #[test]
    fn debug_says_whether_the_handles_are_registered() {
        let instruments = Instruments::default();
        assert_eq!(
            format!("{instruments:?}"),
            "Instruments { registered: false }"
        );
        instruments.cache_hit();
        assert_eq!(
            format!("{instruments:?}"),
            "Instruments { registered: true }"
        );
    }

    /// `describe` gives the recorder each metric's help text, which Prometheus prints.
    #[cfg(feature = "metrics")]
    #[test]
    fn every_metric_is_described() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let prometheus = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            let instruments = Instruments::default();
            instruments.check(Err(&Rejection::new(crate::Reason::NoToken)), Protocol::Http);
            instruments.cache_hit();
            instruments.cache_miss().stop();
        });
        let text = prometheus.render();
        for name in [
            CHECKS_TOTAL,
            TOKEN_CACHE_HITS_TOTAL,
            TOKEN_CACHE_MISSES_TOTAL,
            TOKEN_VERIFICATION_SECONDS,
        ] {
            assert!(text.contains(&format!("# HELP {name} ")), "{name}: {text}");
        }
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
        for (variable, expected) in [
            (crate::env::NAMESPACE_ID, "namespace_id"),
            (crate::env::CONTAINER_ID, "container_id"),
            ("SOMETHING_ELSE", "other"),
        ] {
            assert_eq!(setting(ConfigError::NotUnicode { variable }), expected);
        }
        assert_eq!(setting(ConfigError::NoHeaders), "headers");
        assert_eq!(
            setting(ConfigError::UncheckedMethod { method: "/a.B/C" }),
            "method"
        );
    }
}
