//! Random input never panics and is never accepted.

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use scw_private::testing::KeyPair;
use scw_private::{Policy, PublicKey, Verifier};

const PUBLIC_KEY: &str = include_str!("../test-keys/rsa2048-a.pkcs1.pem");
/// A valid namespace token for `ns`, signed by test key A, for the mutations to start from.
fn valid_token() -> String {
    KeyPair::from_private_pem(include_str!("../test-keys/rsa2048-a.private.pem"))
        .unwrap()
        .sign_raw(
            r#"{"alg":"RS256","typ":"JWT"}"#,
            r#"{"application_claim":[{"namespace_id":"ns"}]}"#,
        )
}

fn verifier() -> Verifier {
    Verifier::builder()
        .public_key_pem(PUBLIC_KEY)
        .namespace_id("ns")
        .container_id("ct")
        .build()
        .unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn the_valid_token_verifies() {
    verifier().verify(&valid_token(), &Policy::new()).unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_header_bytes_are_never_accepted(
        authorization in proptest::collection::vec(any::<u8>(), 0..600),
        x_auth_token in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..600)),
    ) {
        let mut headers = HeaderMap::new();
        // Bytes `http` itself refuses in a header value never reach a verifier.
        if let Ok(value) = HeaderValue::from_bytes(&authorization) {
            headers.append("authorization", value);
        }
        if let Some(Ok(value)) = x_auth_token.map(|v| HeaderValue::from_bytes(&v)) {
            headers.append("x-auth-token", value);
        }
        prop_assert!(verifier().authorize(&headers, &Policy::new()).is_err());
    }

    #[test]
    fn arbitrary_bearer_tokens_are_never_accepted(token in "[A-Za-z0-9_.=+/~-]{0,400}") {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
        prop_assert!(verifier().authorize(&headers, &Policy::new()).is_err());
    }

    #[test]
    fn arbitrary_strings_are_never_accepted_as_tokens(token in ".{0,600}") {
        prop_assert!(verifier().verify(&token, &Policy::new()).is_err());
    }

    #[test]
    fn any_change_to_a_valid_token_is_refused(
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_.=+/ -]",
        edit in 0..4u8,
    ) {
        let token = valid_token();
        let at = position.index(token.len());
        let mutated = match edit {
            0 => format!("{}{}{}", &token[..at], replacement, &token[at + 1..]),
            1 => format!("{}{}", &token[..at], &token[at + 1..]),
            2 => format!("{}{}{}", &token[..at], replacement, &token[at..]),
            _ => token[..at].to_owned(),
        };
        prop_assume!(mutated != token);
        prop_assert!(verifier().verify(&mutated, &Policy::new()).is_err(), "accepted {mutated}");
    }

    #[test]
    fn arbitrary_text_never_panics_the_key_loader(text in ".{0,3000}") {
        let _ = PublicKey::from_pem(&text);
    }

    #[test]
    fn damaged_pem_never_panics_the_key_loader(
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9+/=\\n \\\\-]",
    ) {
        let at = position.index(PUBLIC_KEY.len());
        let damaged = format!("{}{}{}", &PUBLIC_KEY[..at], replacement, &PUBLIC_KEY[at + 1..]);
        // It may still load (a changed base64 digit can still be a key); it must not panic,
        // and a key it loads is still a checked RSA key.
        if let Ok(key) = PublicKey::from_pem(&damaged) {
            prop_assert!((2048..=8192).contains(&key.bits()));
        }
    }
}
