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
