//! Which implementation of RSA verifies signatures.
//!
//! `jsonwebtoken` panics on its first use when Cargo feature unification enables both of its
//! backends, or neither, and no process-wide provider was installed. This module picks one
//! explicitly so that cannot happen to a protected handler.

use jsonwebtoken::crypto::CryptoProvider;

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "enable one of the features `aws-lc-rs` (the default) or `rust-crypto` of `scw-private`"
);

#[cfg(feature = "aws-lc-rs")]
static PREFERRED: &CryptoProvider = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
static PREFERRED: &CryptoProvider = &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;

/// The provider the application installed, or ours, installed as the process default so that
/// the application's own `jsonwebtoken` calls cannot panic either.
pub(crate) fn provider() -> &'static CryptoProvider {
    if let Some(installed) = CryptoProvider::try_get_default() {
        return installed;
    }
    // Losing a race to another installer is fine: whichever won is a real provider.
    let _ = PREFERRED.install_default();
    CryptoProvider::try_get_default().unwrap_or(PREFERRED)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_provider_is_always_available() {
        let provider = super::provider();
        assert!(std::ptr::eq(
            provider,
            jsonwebtoken::crypto::CryptoProvider::try_get_default().unwrap()
        ));
    }
}
