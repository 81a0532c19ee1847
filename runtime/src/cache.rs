//! The verified-token cache: a token that verified once skips the signature check next time.
//!
//! Platform tokens are long-lived and sent with every call, and an RS256 signature check costs
//! tens of microseconds. The cache keeps the parsed claims of tokens that were *accepted*,
//! keyed by the SHA-256 digest of the whole token, so a later request with the same bytes
//! needs one hash and one map lookup instead. Time claims and the scope rule are still checked
//! on every request, and an entry whose `exp` has passed is dropped when it is next seen.
//!
//! Capacity is bounded (1024 entries by default). When full, expired entries go first, then
//! an arbitrary one: tokens are reused often or not at all, so recency bookkeeping would cost
//! every request for little gain. An entry holds the 32-byte digest and the token's parsed
//! claims: about 800 bytes of resident memory for a platform token, measured with 5,000
//! entries (`cache_memory_per_entry` in `tests/tests/load.rs`), so under 1 MiB at the default.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::claims::RawClaims;

/// SHA-256 of a token.
pub(crate) type Digest = [u8; 32];

#[cfg(feature = "aws-lc-rs")]
pub(crate) fn digest(token: &str) -> Digest {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().try_into().expect("SHA-256 is 32 bytes")
}

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) fn digest(token: &str) -> Digest {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// Accepted tokens' claims by digest, bounded, shared by every request of a verifier.
#[derive(Debug)]
pub(crate) struct TokenCache {
    capacity: usize,
    entries: RwLock<HashMap<Digest, Arc<RawClaims>>>,
}

impl TokenCache {
    /// A cache of at most `capacity` entries (which must be at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: RwLock::new(HashMap::with_capacity(capacity.min(1024))),
        }
    }

    pub(crate) fn get(&self, digest: &Digest) -> Option<Arc<RawClaims>> {
        // A panic elsewhere while the lock was held leaves a map that is still consistent.
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .cloned()
    }

    pub(crate) fn remove(&self, digest: &Digest) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(digest);
    }

    /// Stores an accepted token's claims, making room if needed: expired entries first
    /// (`exp` at or before `expired_at`), then an arbitrary one.
    pub(crate) fn insert(&self, digest: Digest, claims: Arc<RawClaims>, expired_at: i64) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&digest) {
            entries.retain(|_, claims| claims.exp.is_none_or(|exp| exp > expired_at));
            if entries.len() >= self.capacity
                && let Some(victim) = entries.keys().next().copied()
            {
                entries.remove(&victim);
            }
        }
        entries.insert(digest, claims);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: Option<i64>) -> Arc<RawClaims> {
        let json = match exp {
            Some(exp) => format!(r#"{{"exp":{exp}}}"#),
            None => "{}".to_owned(),
        };
        Arc::new(serde_json::from_str(&json).unwrap())
    }

    #[test]
    fn digests_are_sha_256() {
        let hex: String = digest("abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn capacity_is_a_bound_and_expired_entries_go_first() {
        let cache = TokenCache::new(3);
        cache.insert(digest("a"), claims(Some(100)), 0);
        cache.insert(digest("b"), claims(None), 0);
        cache.insert(digest("c"), claims(Some(5000)), 0);
        assert_eq!(cache.len(), 3);
        // At time 1000, "a" has expired: it makes room, the others stay.
        cache.insert(digest("d"), claims(None), 1000);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&digest("a")).is_none());
        assert!(cache.get(&digest("b")).is_some() && cache.get(&digest("c")).is_some());
        // Nothing expired: one entry goes, the bound holds.
        for token in ["e", "f", "g", "h"] {
            cache.insert(digest(token), claims(None), 1000);
            assert_eq!(cache.len(), 3);
        }
        assert!(cache.get(&digest("h")).is_some());
    }

    #[test]
    fn a_present_entry_is_replaced_not_evicting_another() {
        let cache = TokenCache::new(2);
        cache.insert(digest("a"), claims(None), 0);
        cache.insert(digest("b"), claims(None), 0);
        cache.insert(digest("a"), claims(Some(7)), 0);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&digest("a")).unwrap().exp, Some(7));
        assert!(cache.get(&digest("b")).is_some());
    }
}
