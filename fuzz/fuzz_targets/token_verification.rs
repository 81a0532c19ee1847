//! Arbitrary text as a token: never a panic, never accepted.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scw_private::{Policy, Verifier};

static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| {
    Verifier::builder()
        .public_key_pem(include_str!("../../test-keys/rsa2048-a.pkcs1.pem"))
        .namespace_id("ns")
        .container_id("ct")
        .build()
        .unwrap()
});

fuzz_target!(|token: &str| {
    assert!(VERIFIER.verify(token, &Policy::new()).is_err());
});
