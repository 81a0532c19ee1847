//! The verified-token cache: every rule about remembering accepted tokens lives here.
//!
//! Platform tokens are long-lived and sent with every call, and an RS256 check costs tens of
//! microseconds (about 90 µs with the platform's 4096-bit keys). The cache keeps the parsed
//! claims of tokens that were *accepted* (signature, time claims and scope), so a later
//! request with the same token skips the signature:
//!
//! - **Lookup** is by the whole token. The map hashes it with a fast keyed hash (foldhash,
//!   seeded at random per process) and a hit compares every byte, so a hit is always the very
//!   token that verified; no digest can collide.
//! - **A hit is re-checked** for time: `exp`, `nbf` and `iat` against the clock now. A token
//!   whose time is up is forgotten and refused. The scope rule runs on every request
//!   regardless, outside this module.
//! - **Only accepted tokens are inserted**: a refused token never takes a slot.
//! - **Eviction** is `quick_cache`'s: O(1) per operation, and scan-resistant (a burst of
//!   one-off tokens does not flush the tokens in steady use). Capacity is counted in tokens.
//!
//! An entry holds the token (about 1 KiB at 4096 bits) and its claims: about 1.8 KiB of
//! resident memory in all, measured with 5,000 entries (`cache_memory_per_entry` in
//! `tests/tests/load.rs`), so under 2 MiB at the default capacity.

use std::fmt;
use std::sync::Arc;

use quick_cache::sync::Cache;

use crate::verification::claims::RawClaims;
use crate::verification::rejection::Rejection;
use crate::verification::token::{self, Rules};

/// Accepted tokens' claims, shared by every request of a verifier.
pub(crate) struct TokenCache {
    /// `None` when the capacity is 0: every token is verified in full.
    entries: Option<Cache<Box<str>, Arc<RawClaims>>>,
}

impl TokenCache {
    /// A cache of about `capacity` tokens; 0 turns it off.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: (capacity > 0).then(|| Cache::new(capacity)),
        }
    }

    /// The claims of `token` if it was accepted before, `None` if it was not (or the cache is
    /// off). Its signature is not checked again, but time passes: its time claims are, at
    /// `now`, and a token whose time is up is forgotten and refused.
    pub(crate) fn lookup(
        &self,
        token: &str,
        rules: &Rules,
        now: i64,
    ) -> Option<Result<Arc<RawClaims>, Rejection>> {
        let entries = self.entries.as_ref()?;
        let claims = entries.get(token)?;
        Some(match token::check_registered(&claims, rules, now) {
            Ok(()) => Ok(claims),
            Err(rejection) => {
                entries.remove(token);
                Err(rejection)
            }
        })
    }

    /// Remembers a token that was just accepted.
    pub(crate) fn insert(&self, token: &str, claims: Arc<RawClaims>) {
        if let Some(entries) = &self.entries {
            entries.insert(token.into(), claims);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, Cache::len)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the tokens.
        let mut debug = f.debug_struct("TokenCache");
        match &self.entries {
            Some(entries) => debug
                .field("capacity", &entries.capacity())
                .field("len", &entries.len()),
            None => debug.field("capacity", &0),
        };
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::verification::rejection::Reason;

    fn claims(exp: Option<i64>) -> Arc<RawClaims> {
        let json = match exp {
            Some(exp) => format!(r#"{{"exp":{exp}}}"#),
            None => "{}".to_owned(),
        };
        Arc::new(serde_json::from_str(&json).unwrap())
    }

    #[test]
    fn debug_shows_the_size_never_a_token() {
        let cache = TokenCache::new(8);
        cache.insert("secret.token.value", claims(None));
        let debug = format!("{cache:?}");
        assert_eq!(debug, "TokenCache { capacity: 8, len: 1 }");
        assert_eq!(
            format!("{:?}", TokenCache::new(0)),
            "TokenCache { capacity: 0 }"
        );
    }

    #[test]
    fn a_hit_is_the_same_token_byte_for_byte() {
        let cache = TokenCache::new(8);
        cache.insert("a.b.c", claims(None));
        assert!(cache.lookup("a.b.c", &Rules::default(), 0).is_some());
        for other in ["a.b.C", "a.b.c ", "a.b", "a.b.cc", ""] {
            assert!(
                cache.lookup(other, &Rules::default(), 0).is_none(),
                "{other:?}"
            );
        }
    }

    #[test]
    fn a_hit_whose_time_is_up_is_refused_and_forgotten() {
        let cache = TokenCache::new(8);
        cache.insert("t", claims(Some(1_000)));
        let rules = Rules::default();
        assert!(matches!(cache.lookup("t", &rules, 900), Some(Ok(_))));
        let refusal = cache
            .lookup("t", &rules, 1_000 + rules.leeway)
            .unwrap()
            .unwrap_err();
        assert_eq!(refusal.reason(), Reason::Expired);
        assert!(cache.lookup("t", &rules, 900).is_none(), "forgotten");
    }

    #[test]
    fn capacity_bounds_the_cache_and_zero_turns_it_off() {
        let cache = TokenCache::new(16);
        for i in 0..1_000 {
            cache.insert(&format!("token-{i}"), claims(None));
            assert!(cache.len() <= 16, "{}", cache.len());
        }
        let off = TokenCache::new(0);
        off.insert("t", claims(None));
        assert!(off.lookup("t", &Rules::default(), 0).is_none());
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn debug_shows_no_token() {
        let cache = TokenCache::new(4);
        cache.insert("secret.token.here", claims(None));
        let debug = format!("{cache:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("len: 1"), "{debug}");
    }

    /// A deterministic Zipf(s = 1) stream over `n` ranks (xorshift64 and the inverse CDF).
    fn zipf_stream(n: usize, len: usize, mut seed: u64) -> Vec<usize> {
        let weights: Vec<f64> = (1..=n).map(|rank| 1.0 / rank as f64).collect();
        let total: f64 = weights.iter().sum();
        let mut cumulative = Vec::with_capacity(n);
        let mut sum = 0.0;
        for weight in weights {
            sum += weight / total;
            cumulative.push(sum);
        }
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let u = (seed >> 11) as f64 / (1u64 << 53) as f64;
                cumulative.partition_point(|&c| c < u).min(n - 1)
            })
            .collect()
    }

    /// The hit rate of an exact LRU cache of `capacity` on `stream`.
    fn exact_lru_hit_rate(stream: &[usize], capacity: usize) -> f64 {
        let mut last_use: HashMap<usize, usize> = HashMap::new();
        let mut by_age: BTreeMap<usize, usize> = BTreeMap::new();
        let mut hits = 0;
        for (time, &key) in stream.iter().enumerate() {
            match last_use.insert(key, time) {
                Some(previous) => {
                    hits += 1;
                    by_age.remove(&previous);
                }
                None if last_use.len() > capacity => {
                    let (_, oldest) = by_age.pop_first().unwrap();
                    last_use.remove(&oldest);
                }
                None => {}
            }
            by_age.insert(time, key);
        }
        hits as f64 / stream.len() as f64
    }

    /// 10,000 distinct accepted tokens, requested with a Zipf distribution, at the default
    /// capacity of 1,024: the cache's policy must do at least as well as an exact LRU of the
    /// same size, give or take the noise of its random hash seed.
    #[test]
    fn zipf_hit_rate_at_least_an_exact_lru_s() {
        const DISTINCT: usize = 10_000;
        const CAPACITY: usize = 1_024;
        let stream = zipf_stream(DISTINCT, 200_000, 0x2545_f491_4f6c_dd1d);
        let tokens: Vec<String> = (0..DISTINCT).map(|i| format!("token-{i}")).collect();
        let cache = TokenCache::new(CAPACITY);
        let rules = Rules::default();
        let accepted = claims(None);
        let mut hits = 0;
        for &rank in &stream {
            let token = &tokens[rank];
            match cache.lookup(token, &rules, 0) {
                Some(_) => hits += 1,
                None => cache.insert(token, Arc::clone(&accepted)),
            }
        }
        let ours = hits as f64 / stream.len() as f64;
        let lru = exact_lru_hit_rate(&stream, CAPACITY);
        println!(
            "Zipf(1) over {DISTINCT} tokens, capacity {CAPACITY}: hit rate {ours:.4}, exact LRU {lru:.4}"
        );
        assert!(
            ours >= lru - 0.01,
            "hit rate {ours:.4} against an exact LRU's {lru:.4}"
        );
    }
}
