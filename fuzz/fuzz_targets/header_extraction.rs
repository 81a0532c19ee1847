//! Arbitrary bytes in `Authorization` and `X-Auth-Token`: never a panic, never accepted.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use scw_private::Policy;
use scw_private_fuzz::VERIFIER;

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
