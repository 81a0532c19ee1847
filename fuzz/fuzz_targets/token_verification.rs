//! Arbitrary text as a token: never a panic, never accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scw_private::Policy;
use scw_private_fuzz::VERIFIER;

fuzz_target!(|token: &str| {
    assert!(VERIFIER.verify(token, &Policy::new()).is_err());
});
