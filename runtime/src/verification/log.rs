//! One `tracing` event per refusal, without ever logging a token or a key.
//!
//! Events carry the refusal's class and reason (fixed strings), and for a misconfiguration
//! what is wrong (a [`ConfigError`](crate::ConfigError), whose messages name settings, never
//! values). Nothing here is handed a token, an IAM key or a PEM, so nothing here can log one.
//!
//! The levels, by who can act on the event (the crate's docs, "Logs", say the same):
//! - `error`: the server is misconfigured (a key, an id, `SCW_PUBLIC`); only its operator
//!   can fix it, and every protected request fails until then. At most once a minute per
//!   process; the rest at `debug`.
//! - `warn`: a refusal that says something about the server's setup, with a hint (an IAM key
//!   sent to a route without `platform_iam`). At most once a minute; the rest at `debug`.
//! - `debug`: every other refusal. A refusal is the protection working, and anyone who can
//!   reach the port can cause one, so at `info` a flood of bad requests would be the loudest
//!   line of the log (axum logs its own rejections at `trace`).
//! - `trace`: a call let in on the platform's word, which on a `platform_iam` route is every
//!   call without a JWT.
//!
//! The recommended filter, `scw_private=warn`, shows every `error` and every hint.

use crate::verification::rejection::Rejection;

/// Misconfiguration and hints are logged at their level at most this often; the events in
/// between are logged at debug level, so a broken deployment under load does not flood the
/// log.
#[cfg(feature = "tracing")]
const LOUD_EVERY_SECS: u64 = 60;

/// Decides whether an error-level event is due: at most one per interval, across threads.
#[cfg(feature = "tracing")]
struct Limiter {
    /// Seconds since the Unix epoch of the last error-level event; 0 for none yet.
    last: std::sync::atomic::AtomicU64,
}

#[cfg(feature = "tracing")]
impl Limiter {
    const fn new() -> Self {
        Self {
            last: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether an error-level event is due at `now` (seconds), claiming it if so.
    fn due(&self, now: u64) -> bool {
        use std::sync::atomic::Ordering;
        let now = now.max(1);
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= LOUD_EVERY_SECS;
        due && self
            .last
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

/// The limiters of the events that are loud at most once a minute.
#[cfg(feature = "tracing")]
struct Loud {
    misconfigured: Limiter,
    iam_key_hint: Limiter,
    stripped_token_hint: Limiter,
}

#[cfg(feature = "tracing")]
impl Loud {
    const fn new() -> Self {
        Self {
            misconfigured: Limiter::new(),
            iam_key_hint: Limiter::new(),
            stripped_token_hint: Limiter::new(),
        }
    }
}

/// Where a refused request was going and how the platform names it, for the refusal's event:
/// read only when a request is refused, so an accepted one pays nothing for it.
#[derive(Clone, Copy, Default)]
#[cfg_attr(
    not(feature = "tracing"),
    allow(
        dead_code,
        reason = "read by the refusal's event, with the `tracing` feature"
    )
)]
pub(crate) struct Context<'a> {
    /// The route, as the form knows it: a framework's matched template, else the path without
    /// its query; a gRPC call's `/package.Service/Method`.
    pub(crate) route: Option<&'a str>,
    /// The request's `X-Request-ID`, when it is short visible ASCII ([`request_id`]).
    pub(crate) request_id: Option<&'a str>,
}

/// `route` with every segment that looks like a JWT (it starts as every JWT's header does,
/// `eyJ`, and holds a dot) replaced by `{token}`: where a form logs the path itself, a client
/// may have put its token there, and no token is ever logged.
pub(crate) fn without_tokens(route: std::borrow::Cow<'_, str>) -> std::borrow::Cow<'_, str> {
    let looks_like_a_token = |segment: &str| segment.starts_with("eyJ") && segment.contains('.');
    if !route.split('/').any(looks_like_a_token) {
        return route;
    }
    let segments: Vec<&str> = route
        .split('/')
        .map(|segment| {
            if looks_like_a_token(segment) {
                "{token}"
            } else {
                segment
            }
        })
        .collect();
    segments.join("/").into()
}

/// The longest `X-Request-ID` logged. The platform's are UUIDs (36 characters); on a public
/// container or a local run the client sets it, so anything longer is not logged at all.
const REQUEST_ID_MAX: usize = 64;

/// The request's `X-Request-ID`, if it is at most [`REQUEST_ID_MAX`] visible ASCII characters
/// (no space, no control character): what the platform sends, and nothing a client could
/// use to forge a log line or flood the log.
pub(crate) fn request_id<H: crate::RequestHeaders + ?Sized>(headers: &H) -> Option<&str> {
    let name = http::HeaderName::from_static("x-request-id");
    let mut values = headers.header_values(&name);
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let visible = !value.is_empty()
        && value.len() <= REQUEST_ID_MAX
        && value.iter().all(|byte| byte.is_ascii_graphic());
    // Visible ASCII is UTF-8.
    visible.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// One refusal event at a literal level, with the context's fields where it has them.
#[cfg(feature = "tracing")]
macro_rules! refusal_event {
    ($level:expr, $context:expr, $($rest:tt)*) => {
        match ($context.route, $context.request_id) {
            (Some(route), Some(request_id)) => {
                tracing::event!(target: "scw_private", $level, route, request_id, $($rest)*)
            }
            (Some(route), None) => tracing::event!(target: "scw_private", $level, route, $($rest)*),
            (None, Some(request_id)) => {
                tracing::event!(target: "scw_private", $level, request_id, $($rest)*)
            }
            (None, None) => tracing::event!(target: "scw_private", $level, $($rest)*),
        }
    };
}

/// A refusal; `private` when the platform says the container is private (`SCW_PUBLIC=false`),
/// where a request without a token may mean the edge did not forward it.
#[cfg(feature = "tracing")]
pub(crate) fn refused(rejection: &Rejection, private: bool, context: Context<'_>) {
    static LOUD: Loud = Loud::new();
    refused_with(rejection, private, context, &LOUD);
}

#[cfg(feature = "tracing")]
fn refused_with(rejection: &Rejection, private: bool, context: Context<'_>, loud: &Loud) {
    use tracing::Level;

    use std::time::{SystemTime, UNIX_EPOCH};

    use crate::verification::rejection::RejectionKind;

    let class = rejection.kind().code();
    let reason = rejection.reason().as_str();
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    // A refusal that says something about the server's setup carries a hint, loud once a
    // minute.
    let hint = if rejection.reason() == crate::Reason::IamKey {
        // The client is told what it can do; what the server can do is said here.
        Some((
            "if the platform's edge authenticates this container's calls, protect the route \
             with `platform_iam`",
            &loud.iam_key_hint,
        ))
    } else if private && rejection.reason() == crate::Reason::NoToken {
        // Behind the platform's edge every call carried a credential, so none here may mean
        // the edge did not forward it: the first deploy's most likely puzzle.
        Some((
            "this container is private, so the platform's edge admitted this call with a \
             credential it may not forward; if callers do send one, protect the route with \
             `platform_iam`",
            &loud.stripped_token_hint,
        ))
    } else {
        None
    };
    if let Some((hint, limiter)) = hint {
        if limiter.due(now()) {
            refusal_event!(Level::WARN, context, class, reason, hint, "request refused");
        } else {
            refusal_event!(
                Level::DEBUG,
                context,
                class,
                reason,
                hint,
                "request refused"
            );
        }
        return;
    }
    if rejection.kind() != RejectionKind::Misconfigured {
        refusal_event!(Level::DEBUG, context, class, reason, "request refused");
        return;
    }
    let cause = rejection
        .config_error()
        .map(ToString::to_string)
        .unwrap_or_default();
    if loud.misconfigured.due(now()) {
        refusal_event!(Level::ERROR, context, class, %cause, "request refused: the server is misconfigured");
    } else {
        refusal_event!(Level::DEBUG, context, class, %cause, "request refused: the server is misconfigured");
    }
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn refused(_: &Rejection, _: bool, _: Context<'_>) {}

/// Reports once, when the environment is first read, a key that will make every protected
/// request fail.
#[cfg(feature = "tracing")]
pub(crate) fn unusable_key(problem: &crate::ConfigError) {
    tracing::error!(
        target: "scw_private",
        %problem,
        "protected handlers will answer 500 (gRPC: INTERNAL)"
    );
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn unusable_key(_: &crate::ConfigError) {}

/// Reports once, when the environment is first read, a `SCW_PUBLIC` that is neither `true`
/// nor `false`: every route then trusts nothing, which is safe but not what was deployed.
#[cfg(feature = "tracing")]
pub(crate) fn unusable_privacy(problem: &crate::ConfigError) {
    tracing::error!(
        target: "scw_private",
        %problem,
        "the container's privacy setting cannot be used"
    );
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn unusable_privacy(_: &crate::ConfigError) {}

/// A request let through on the platform's word (`platform_iam` on a private container). At
/// trace level: on such a route it is every call without a JWT, not an event.
#[cfg(feature = "tracing")]
pub(crate) fn trusted_platform() {
    tracing::trace!(target: "scw_private", "request let through: authenticated by the platform's edge");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn trusted_platform() {}

#[cfg(all(test, feature = "tracing"))]
mod tests {
    use http::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::{Policy, Verifier};

    #[test]
    fn a_token_in_a_route_is_never_logged() {
        let token = crate::verification::token::tests::sign(&json!({}));
        let path = format!("/reports/{token}/pdf");
        assert_eq!(without_tokens(path.as_str().into()), "/reports/{token}/pdf");
        assert_eq!(without_tokens(format!("/{token}").into()), "/{token}");
        // Nothing else is touched, nor copied.
        for kept in ["/users/{id}", "/eyJ-not-a-token", "/a.b/c", "/"] {
            let route = without_tokens(kept.into());
            assert!(matches!(route, std::borrow::Cow::Borrowed(_)), "{kept}");
            assert_eq!(route, kept);
        }
    }

    #[test]
    fn only_one_short_visible_request_id_is_kept() {
        let with = |values: &[&[u8]]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(
                    "x-request-id",
                    http::HeaderValue::from_bytes(value).unwrap(),
                );
            }
            headers
        };
        let uuid = "6f1c2b7e-1d4a-4c55-9a8b-0e3f5d7c9a21";
        assert_eq!(request_id(&with(&[uuid.as_bytes()])), Some(uuid));
        let longest = "a".repeat(REQUEST_ID_MAX);
        assert_eq!(
            request_id(&with(&[longest.as_bytes()])),
            Some(longest.as_str())
        );
        let too_long = "a".repeat(REQUEST_ID_MAX + 1);
        assert_eq!(request_id(&with(&[too_long.as_bytes()])), None);
        // What `http` lets through that is not visible ASCII: a space, a tab, obs-text.
        for refused in [&b""[..], b"a b", b"a\tb", b"caf\xc3\xa9"] {
            assert_eq!(request_id(&with(&[refused])), None, "{refused:?}");
        }
        assert_eq!(request_id(&with(&[b"a", b"b"])), None, "two ids: neither");
        assert_eq!(request_id(&HeaderMap::new()), None);
    }

    #[test]
    fn a_refusal_carries_its_route_and_request_id_where_known() {
        let loud = Loud::new();
        let context = Context {
            route: Some("/users/{id}"),
            request_id: Some("req-1"),
        };
        // Both fields, the route only, the id only, neither.
        let contexts = [
            context,
            Context {
                request_id: None,
                ..context
            },
            Context {
                route: None,
                ..context
            },
            Context::default(),
        ];
        let logs = capture(|| {
            for context in contexts {
                let expired = Rejection::new(crate::Reason::Expired);
                refused_with(&expired, false, context, &loud);
            }
        });
        let lines: Vec<&str> = logs.lines().collect();
        assert_eq!(lines.len(), 4, "{logs}");
        assert!(
            lines[0].contains(r#"route="/users/{id}" request_id="req-1""#),
            "{logs}"
        );
        assert!(
            lines[1].contains(r#"route="/users/{id}""#) && !lines[1].contains("request_id"),
            "{logs}"
        );
        assert!(
            lines[2].contains(r#"request_id="req-1""#) && !lines[2].contains("route"),
            "{logs}"
        );
        assert!(
            !lines[3].contains("route") && !lines[3].contains("request_id"),
            "{logs}"
        );
    }

    #[test]
    fn misconfiguration_is_an_error_at_most_once_a_minute() {
        let limiter = Limiter::new();
        assert!(limiter.due(1_000), "the first is due");
        assert!(!limiter.due(1_000));
        assert!(!limiter.due(1_059));
        assert!(limiter.due(1_060), "a minute later");
        assert!(!limiter.due(1_061));
        assert!(
            Limiter::new().due(0),
            "a clock at the epoch still logs once"
        );
    }

    /// This thread's events at every level while `run` runs.
    fn capture(run: impl FnOnce()) -> String {
        let logs = crate::captured_logs::CapturedLogs::default();
        tracing::subscriber::with_default(logs.subscriber(), run);
        logs.text()
    }

    #[test]
    fn refusals_are_logged_with_their_class_and_reason_and_no_secret() {
        const IAM_KEY: &str = "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";
        let good = crate::verification::token::tests::sign(
            &json!({"application_claim": [{"namespace_id": "ns"}]}),
        );
        let forged = format!("{good}x");
        let private_pem = include_str!("../../test-keys/rsa2048-a.private.pem");
        let public_pem = include_str!("../../test-keys/rsa2048-a.pkcs1.pem");
        let secrets = [
            good.as_str(),
            forged.as_str(),
            IAM_KEY,
            private_pem.lines().nth(1).unwrap(),
        ];

        let logs = capture(|| {
            let verifier = Verifier::builder()
                .public_key_pem(public_pem)
                .namespace_id("elsewhere")
                .container_id("ct")
                .build()
                .unwrap();
            for value in [forged.as_str(), IAM_KEY, good.as_str()] {
                let mut headers = HeaderMap::new();
                headers.insert("x-auth-token", value.parse().unwrap());
                assert!(verifier.authorize(&headers, &Policy::new()).is_err());
            }
            // A private key where the public one belongs: the cause is logged, not the key.
            let broken = Verifier::from_variables(move |name| match name {
                "SCW_PUBLIC_KEY" => Some(private_pem.to_owned()),
                _ => None,
            });
            let mut headers = HeaderMap::new();
            headers.insert("x-auth-token", good.parse().unwrap());
            assert!(broken.authorize(&headers, &Policy::new()).is_err());
        });
        assert!(logs.contains("class=\"invalid_token\""), "{logs}");
        // A refusal is the protection working: debug level, never louder.
        let refusal = logs
            .lines()
            .find(|line| line.contains("reason=\"malformed token\""))
            .unwrap();
        assert!(refusal.contains("DEBUG"), "{logs}");
        assert!(logs.contains("reason=\"malformed token\""), "{logs}");
        assert!(logs.contains("IAM secret key"), "{logs}");
        assert!(logs.contains("class=\"insufficient_scope\""), "{logs}");
        assert!(logs.contains("this is a private key"), "{logs}");
        for secret in secrets {
            assert!(!logs.contains(secret), "a secret reached the logs:\n{logs}");
        }
    }

    #[test]
    fn an_unusable_scw_public_is_an_error_once_and_an_iam_key_gets_the_server_s_hint() {
        let logs = capture(|| {
            let verifier = Verifier::from_variables(|name| match name {
                "SCW_PUBLIC" => Some("flase".into()),
                "SCW_PUBLIC_KEY" => {
                    Some(include_str!("../../test-keys/rsa2048-a.pkcs1.pem").into())
                }
                "SCW_NAMESPACE_ID" => Some("ns".into()),
                "SCW_APPLICATION_ID" => Some("ct".into()),
                _ => None,
            });
            for _ in 0..3 {
                let mut headers = HeaderMap::new();
                headers.insert(
                    "x-auth-token",
                    "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f".parse().unwrap(),
                );
                let refusal = verifier
                    .authorize(&headers, &Policy::new().platform_iam(true))
                    .unwrap_err();
                assert_eq!(refusal.reason(), crate::Reason::IamKey);
            }
        });
        let errors: Vec<&str> = logs.lines().filter(|line| line.contains("ERROR")).collect();
        assert_eq!(errors.len(), 1, "{logs}");
        assert!(
            errors[0].contains("`SCW_PUBLIC` is neither `true` nor `false`"),
            "{logs}"
        );
        let hints: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains("protect the route with `platform_iam`"))
            .collect();
        assert_eq!(hints.len(), 3, "every refusal carries the hint: {logs}");
        // Other tests of this process may have had the minute's loud one.
        let loud = hints.iter().filter(|hint| hint.contains("WARN")).count();
        assert!(loud <= 1, "{logs}");
        assert_eq!(
            hints.iter().filter(|hint| hint.contains("DEBUG")).count(),
            hints.len() - loud,
            "{logs}"
        );
    }

    #[test]
    fn only_a_private_container_s_missing_token_gets_the_edge_s_hint() {
        let logs = capture(|| {
            for public in [false, true] {
                let verifier = Verifier::builder()
                    .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
                    .namespace_id("ns")
                    .container_id("ct")
                    .public(public)
                    .build()
                    .unwrap();
                assert!(
                    verifier
                        .authorize(&HeaderMap::new(), &Policy::new())
                        .is_err()
                );
            }
        });
        let refusals: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains("carries no token"))
            .collect();
        assert_eq!(refusals.len(), 2, "{logs}");
        assert!(refusals[0].contains("may not forward"), "private: {logs}");
        assert!(!refusals[1].contains("may not forward"), "public: {logs}");
    }

    #[test]
    fn each_event_has_its_level() {
        let loud = Loud::new();
        let logs = capture(|| {
            for _ in 0..2 {
                refused_with(
                    &Rejection::new(crate::Reason::IamKey),
                    false,
                    Context::default(),
                    &loud,
                );
                refused_with(
                    &Rejection::new(crate::Reason::Expired),
                    false,
                    Context::default(),
                    &loud,
                );
                refused_with(
                    &Rejection::new(crate::Reason::NotGranted),
                    false,
                    Context::default(),
                    &loud,
                );
                refused_with(
                    &Rejection::misconfigured(crate::ConfigError::NoHeaders),
                    false,
                    Context::default(),
                    &loud,
                );
                refused_with(
                    &Rejection::new(crate::Reason::NoToken),
                    true,
                    Context::default(),
                    &loud,
                );
                refused_with(
                    &Rejection::new(crate::Reason::NoToken),
                    false,
                    Context::default(),
                    &loud,
                );
            }
        });
        let level = |needle: &str| -> Vec<&str> {
            logs.lines()
                .filter(|line| line.contains(needle))
                .map(|line| line.split_whitespace().next().unwrap_or_default())
                .collect()
        };
        // Loud once a minute, then quiet: the hint at warn, a misconfiguration at error.
        assert_eq!(level("an IAM secret key"), ["WARN", "DEBUG"], "{logs}");
        assert_eq!(level("misconfigured"), ["ERROR", "DEBUG"], "{logs}");
        // No token on a private container: the edge may not forward it, said once a minute;
        // elsewhere no token is a client's doing.
        assert_eq!(level("may not forward"), ["WARN", "DEBUG"], "{logs}");
        assert_eq!(
            level("carries no token"),
            ["WARN", "DEBUG", "DEBUG", "DEBUG"],
            "{logs}"
        );
        // A refusal by a client's doing is never louder than debug.
        assert_eq!(level("token expired"), ["DEBUG", "DEBUG"], "{logs}");
        assert_eq!(level("insufficient_scope"), ["DEBUG", "DEBUG"], "{logs}");
    }

    #[test]
    fn an_unusable_key_is_reported_once_and_the_platform_s_word_at_trace_level() {
        let private_pem = include_str!("../../test-keys/rsa2048-a.private.pem");
        let logs = capture(|| {
            let broken = Verifier::from_variables(move |name| match name {
                "SCW_PUBLIC_KEY" => Some(private_pem.to_owned()),
                _ => None,
            });
            for _ in 0..3 {
                assert!(broken.authorize(&HeaderMap::new(), &Policy::new()).is_err());
            }
            let behind_the_edge = Verifier::builder()
                .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
                .public(false)
                .build()
                .unwrap();
            let access = behind_the_edge
                .authorize(&HeaderMap::new(), &Policy::new().platform_iam(true))
                .unwrap();
            assert_eq!(access, crate::Access::PlatformIam);
        });
        assert_eq!(
            logs.matches("protected handlers will answer 500 (gRPC: INTERNAL)")
                .count(),
            1,
            "once, when the key is loaded: {logs}"
        );
        let trusted: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains("authenticated by the platform's edge"))
            .collect();
        assert_eq!(trusted.len(), 1, "{logs}");
        assert!(trusted[0].contains("TRACE"), "{logs}");
    }
}
