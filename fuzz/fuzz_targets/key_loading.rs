//! Arbitrary text as `SCW_PUBLIC_KEY`: never a panic; whatever loads is a checked RSA key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scw_private::PublicKey;

fuzz_target!(|text: &str| {
    if let Ok(key) = PublicKey::from_pem(text) {
        assert!((scw_private::PublicKey::MIN_BITS..=scw_private::PublicKey::MAX_BITS).contains(&key.bits()));
    }
});
