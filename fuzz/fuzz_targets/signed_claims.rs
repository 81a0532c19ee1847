//! Arbitrary JOSE headers and payloads, correctly signed with the verifier's key: never a
//! panic, and anything accepted really grants this container by the scope rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scw_private::{Policy, TokenKind};
use scw_private_fuzz::{KEYS, VERIFIER};

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
            other => panic!("a kind of token this target does not know: {other:?}"),
        }
    }
});
