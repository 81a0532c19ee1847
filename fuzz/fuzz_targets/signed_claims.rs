//! Arbitrary JOSE headers and payloads, correctly signed with the verifier's key: never a
//! panic, and anything accepted really grants this container by the scope rule.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scw_private::testing::KeyPair;
use scw_private::{Policy, TokenKind, Verifier};

static KEYS: LazyLock<KeyPair> =
    LazyLock::new(|| KeyPair::from_private_pem(include_str!("../../test-keys/rsa2048-a.private.pem")).unwrap());
static VERIFIER: LazyLock<Verifier> = LazyLock::new(|| KEYS.verifier("ns", "ct"));

fuzz_target!(|data: &str| {
    // "header\npayload"; without a newline, the data is the payload under a valid header.
    let (header, payload) = data.split_once('\n').unwrap_or(("{\"alg\":\"RS256\"}", data));
    let token = KEYS.sign_raw(header, payload);
    if let Ok(claims) = VERIFIER.verify(&token, &Policy::new()) {
        match claims.kind() {
            TokenKind::Namespace => {
                assert_eq!(claims.namespace_id(), Some("ns"));
                assert_eq!(claims.container_id(), None);
            }
            TokenKind::Container => {
                assert_eq!(claims.container_id(), Some("ct"));
                assert!(matches!(claims.namespace_id(), None | Some("ns")));
            }
        }
    }
});
