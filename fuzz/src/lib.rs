//! What the fuzz targets share: one verifier, and the key pair that signs for it.

use std::sync::LazyLock;

use scw_private::Verifier;
use scw_private::testing::KeyPair;

/// Test-only key pair A, which the verifier trusts.
pub static KEYS: LazyLock<KeyPair> = LazyLock::new(|| {
    KeyPair::from_private_pem(include_str!("../../runtime/test-keys/rsa2048-a.private.pem")).unwrap()
});

/// A verifier for container `ct` of namespace `ns` that trusts [`KEYS`].
pub static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| KEYS.verifier("ns", "ct"));
