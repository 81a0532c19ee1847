//! One `tracing` event per refusal, without ever logging a token or a key.

use crate::rejection::Rejection;

/// Misconfiguration is logged at error level at most this often; the refusals in between
/// are logged at debug level, so a broken deployment under load does not flood the log.
#[cfg(feature = "tracing")]
const MISCONFIGURED_EVERY_SECS: u64 = 60;

#[cfg(feature = "tracing")]
pub(crate) fn refused(rejection: &Rejection) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    use crate::rejection::RejectionKind;

    static LAST_ERROR: AtomicU64 = AtomicU64::new(0);

    let class = rejection.kind().code();
    let reason = rejection.reason().as_str();
    if rejection.kind() != RejectionKind::Misconfigured {
        tracing::info!(target: "scw_private", class, reason, "request refused");
        return;
    }
    let cause = rejection
        .config_error()
        .map(ToString::to_string)
        .unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .max(1);
    let last = LAST_ERROR.load(Ordering::Relaxed);
    let due = last == 0 || now.saturating_sub(last) >= MISCONFIGURED_EVERY_SECS;
    if due
        && LAST_ERROR
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        tracing::error!(target: "scw_private", class, %cause, "request refused: the server is misconfigured");
    } else {
        tracing::debug!(target: "scw_private", class, %cause, "request refused: the server is misconfigured");
    }
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn refused(_: &Rejection) {}

/// Reports once, when the environment is first read, a key that will make every protected
/// request fail.
#[cfg(feature = "tracing")]
pub(crate) fn unusable_key(problem: &crate::ConfigError) {
    tracing::error!(target: "scw_private", %problem, "protected handlers will answer 500");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn unusable_key(_: &crate::ConfigError) {}

/// A request let through on the platform's word (`platform_iam` on a private container). At
/// debug level: on such a route it is every call without a JWT, not an event.
#[cfg(feature = "tracing")]
pub(crate) fn trusted_platform() {
    tracing::debug!(target: "scw_private", "request let through: authenticated by the platform's edge");
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn trusted_platform() {}
