//! The layer's policies by path: which policy a request is checked with, or none.

use std::sync::Arc;

use crate::Policy;

/// What the layer does with a request whose path falls under an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rule {
    /// Checked with this policy.
    Check(Policy),
    /// Let through unchecked.
    Public,
}

/// The layer's policy for every request, and the entries that override it by path prefix.
/// The longest matching prefix wins; no entry means the layer's own policy, so what no entry
/// matches is never public.
#[derive(Clone, Debug)]
pub(super) struct Paths {
    default: Policy,
    entries: Arc<Vec<(&'static str, Rule)>>,
}

impl Paths {
    pub(super) fn new(default: Policy) -> Self {
        Self {
            default,
            entries: Arc::new(Vec::new()),
        }
    }

    /// Adds an entry; a later entry for the same prefix replaces the earlier one.
    #[track_caller]
    pub(super) fn with(mut self, prefix: &'static str, rule: Rule) -> Self {
        assert!(
            prefix.starts_with('/'),
            "a path prefix of `ScwPrivateLayer` starts with `/`, like \"/admin\" or \"/grpc.health.v1.Health\"; got {prefix:?}"
        );
        let entries = Arc::make_mut(&mut self.entries);
        entries.retain(|(known, _)| *known != prefix);
        entries.push((prefix, rule));
        self
    }

    /// The rule for a request to `path`.
    pub(super) fn rule(&self, path: &str) -> Rule {
        let mut best: Option<(&str, Rule)> = None;
        for (prefix, rule) in self.entries.iter() {
            if !covers(prefix, path) || best.is_some_and(|(known, _)| known.len() >= prefix.len()) {
                continue;
            }
            // A path a server might read otherwise than it is written is never let through
            // unchecked on the strength of its text.
            if *rule == Rule::Public && !plain(path) {
                continue;
            }
            best = Some((prefix, *rule));
        }
        best.map_or(Rule::Check(self.default), |(_, rule)| rule)
    }

    /// Every policy the layer may check a request with, for
    /// [`Verifier::preflight_all`](crate::Verifier::preflight_all).
    pub(super) fn policies(&self) -> impl Iterator<Item = &Policy> {
        std::iter::once(&self.default).chain(self.entries.iter().filter_map(
            |(_, rule)| match rule {
                Rule::Check(policy) => Some(policy),
                Rule::Public => None,
            },
        ))
    }
}

/// Whether `prefix` covers `path`: the same path, or a path below it, segment by segment
/// (`/admin` covers `/admin` and `/admin/users`, not `/administrator`).
fn covers(prefix: &str, path: &str) -> bool {
    let Some(rest) = path.strip_prefix(prefix) else {
        return false;
    };
    rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/')
}

/// A path with no percent-encoding, no empty segment and no dot segment: read the same way by
/// every router.
fn plain(path: &str) -> bool {
    !path.contains('%')
        && !path.contains("//")
        && path
            .split('/')
            .all(|segment| segment != "." && segment != "..")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;

    const CONTAINER: Policy = Policy::new().scope(Scope::ContainerToken);

    fn paths() -> Paths {
        Paths::new(Policy::new())
            .with("/admin", Rule::Check(CONTAINER))
            .with("/grpc.health.v1.Health", Rule::Public)
            .with("/admin/status", Rule::Public)
            .with("/public/", Rule::Public)
    }

    #[test]
    fn the_longest_prefix_wins_and_nothing_unmatched_is_public() {
        let paths = paths();
        for (path, rule) in [
            ("/admin", Rule::Check(CONTAINER)),
            ("/admin/users", Rule::Check(CONTAINER)),
            ("/admin/status", Rule::Public),
            ("/admin/status/x", Rule::Public),
            ("/administrator", Rule::Check(Policy::new())),
            ("/grpc.health.v1.Health/Check", Rule::Public),
            ("/grpc.health.v1.HealthX/Check", Rule::Check(Policy::new())),
            ("/public/a", Rule::Public),
            ("/public", Rule::Check(Policy::new())),
            ("/", Rule::Check(Policy::new())),
            ("", Rule::Check(Policy::new())),
        ] {
            assert_eq!(paths.rule(path), rule, "{path}");
        }
    }

    #[test]
    fn a_path_read_two_ways_is_never_public() {
        let paths = paths();
        for path in [
            "/public/../admin",
            "/public/./a",
            "/public//a",
            "/public/%2e%2e/admin",
            "/admin/status/../users",
        ] {
            assert_ne!(paths.rule(path), Rule::Public, "{path}");
        }
        // It falls to the checked entry it is under, or the layer's own policy.
        assert_eq!(paths.rule("/admin/status/../users"), Rule::Check(CONTAINER));
    }

    #[test]
    fn a_later_entry_replaces_an_earlier_one_and_policies_are_listed() {
        let paths = Paths::new(Policy::new())
            .with("/a", Rule::Public)
            .with("/a", Rule::Check(CONTAINER));
        assert_eq!(paths.rule("/a"), Rule::Check(CONTAINER));
        let listed: Vec<_> = paths.policies().copied().collect();
        assert_eq!(listed, [Policy::new(), CONTAINER]);
    }

    #[test]
    #[should_panic(expected = "starts with `/`")]
    fn a_prefix_starts_with_a_slash() {
        let _ = Paths::new(Policy::new()).with("admin", Rule::Public);
    }
}
