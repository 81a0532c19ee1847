//! A library does not set process-wide state: verifying requests installs no jsonwebtoken
//! crypto provider, so an application can install its own afterwards. That provider then
//! serves the application's own jsonwebtoken calls, while the crate keeps verifying its
//! signatures with the backend its features name: it never reads the process-wide one.
//!
//! One test per binary: the process-wide provider can be installed once.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier, KeyUtils};
use jsonwebtoken::{Algorithm, DecodingKey};
use scw_private::Policy;
use tests::Token;

/// How many verifiers the application's provider made.
static MADE: AtomicUsize = AtomicUsize::new(0);

/// The application's provider: aws-lc-rs, counting its verifiers.
fn counting_verifier(
    algorithm: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    MADE.fetch_add(1, Ordering::SeqCst);
    (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.verifier_factory)(algorithm, key)
}

static APPLICATION: LazyLock<CryptoProvider> = LazyLock::new(|| {
    let aws_lc = &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER;
    let utils = &aws_lc.key_utils;
    CryptoProvider {
        signer_factory: aws_lc.signer_factory,
        verifier_factory: counting_verifier,
        key_utils: KeyUtils {
            rsa_pub_components_from_private_key: utils.rsa_pub_components_from_private_key,
            rsa_pub_components_from_public_key: utils.rsa_pub_components_from_public_key,
            ec_pub_components_from_private_key: utils.ec_pub_components_from_private_key,
            ed_pub_components_from_private_key: utils.ed_pub_components_from_private_key,
            compute_digest: utils.compute_digest,
        },
    }
});

#[test]
fn the_application_installs_its_provider_after_requests_were_verified() {
    // Every token verified in full: the cache would skip the signature.
    let verifier = scw_private::Verifier::builder()
        .public_key_pem(tests::PUBLIC_KEY)
        .namespace_id(tests::NS)
        .container_id(tests::CT)
        .cache_capacity(0)
        .build()
        .unwrap();
    let mut headers = http::HeaderMap::new();
    let token = Token::Container.value().unwrap();
    headers.insert("x-auth-token", token.parse().unwrap());
    verifier.authorize(&headers, &Policy::new()).unwrap();

    // What an application's `main` does. It succeeds only if nothing was installed before
    // (`try_get_default` would itself install a default in this one-backend build, so the
    // installation is the test), and must not fail, nor the usual `.expect` panic.
    APPLICATION
        .install_default()
        .expect("the library installed a process-wide provider");
    assert!(std::ptr::eq(
        CryptoProvider::try_get_default().unwrap(),
        &*APPLICATION
    ));

    // The application's provider is the process default, for its own jsonwebtoken calls...
    let key = DecodingKey::from_rsa_pem(tests::PUBLIC_KEY.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
    validation.required_spec_claims.clear();
    validation.set_audience(&["functions"]);
    jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
    assert_eq!(
        MADE.load(Ordering::SeqCst),
        1,
        "the application's provider is in force"
    );
    // ...and the crate keeps verifying with the backend its features name, reading no
    // process-wide state.
    verifier.authorize(&headers, &Policy::new()).unwrap();
    assert_eq!(MADE.load(Ordering::SeqCst), 1);
}
