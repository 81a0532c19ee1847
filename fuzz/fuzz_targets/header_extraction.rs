//! Arbitrary bytes in `Authorization` and `X-Auth-Token`: never a panic, never accepted.
#![no_main]

use std::sync::LazyLock;

use http::{HeaderMap, HeaderValue};
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

fuzz_target!(|data: &[u8]| {
    // The first byte says where the second header starts.
    let Some((&split, rest)) = data.split_first() else { return };
    let (first, second) = rest.split_at(usize::from(split).min(rest.len()));
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(first) {
        headers.append("authorization", value);
    }
    if let Ok(value) = HeaderValue::from_bytes(second) {
        headers.append("x-auth-token", value);
    }
    assert!(VERIFIER.authorize(&headers, &Policy::new()).is_err());
});
