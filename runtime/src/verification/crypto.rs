//! Which implementation of RSA verifies signatures.
//!
//! `jsonwebtoken` keeps a process-wide default provider, and panics on first use when Cargo
//! feature unification enables both of its backends, or neither, and nothing was installed.
//! Choosing that default is the application's decision, not a library's: an application that
//! installs its own after a library did gets an error. Even *reading* it is not neutral: when
//! exactly one backend is enabled, `CryptoProvider::try_get_default` installs that backend
//! for good. So this crate neither installs nor reads the process default: signatures are
//! verified through the provider this module names, picked by this crate's own features
//! (`aws-lc-rs`, else `rust-crypto`), and the application's `jsonwebtoken` calls use
//! whatever it installs.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "enable one of the features `aws-lc-rs` (the default) or `rust-crypto` of `scw-private`"
);

#[cfg(feature = "aws-lc-rs")]
static PREFERRED: &CryptoProvider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
static PREFERRED: &CryptoProvider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

/// The provider that verifies this crate's signatures.
pub(crate) fn provider() -> &'static CryptoProvider {
    PREFERRED
}

#[cfg(test)]
mod tests {
    /// The backend is the one the crypto features name; `testing` (which signs with the
    /// aws-lc-rs crate) must not switch verification to aws-lc-rs behind a user's back.
    #[test]
    fn the_crypto_features_alone_pick_the_backend() {
        #[cfg(feature = "aws-lc-rs")]
        let expected = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
        #[cfg(not(feature = "aws-lc-rs"))]
        let expected = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
        assert!(std::ptr::eq(super::provider(), expected));
    }
}
