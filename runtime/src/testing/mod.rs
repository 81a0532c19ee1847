//! Keys and tokens for development and tests (feature `testing`).
//!
//! Nobody outside Scaleway holds the platform's private key, so a protected service cannot be
//! called locally with a real token. This module makes a key pair of your own, mints tokens
//! exactly as the platform does (and every kind of bad token a test needs to prove a
//! refusal), and hands you a [`Verifier`](crate::Verifier) that trusts them, so a test
//! protects a handler and calls it without touching the process environment.
//!
//! Keys are made and tokens signed with the aws-lc-rs crate (it builds C code). Enabling
//! `testing` does not change which backend *verifies* signatures: that is the one the
//! `aws-lc-rs` or `rust-crypto` feature names, in tests as in production, so a service that
//! ships `rust-crypto` and adds `testing` to its dev-dependencies tests the verification it
//! ships.
//!
//! # Example
//!
//! A test that mints a token and calls a protected axum handler:
//!
//! ```
//! # #[cfg(feature = "axum-0_8")] {
//! use axum::{Extension, Router, body::Body, http::Request, routing::get};
//! use scw_private::{Claims, scw_private, testing::KeyPair};
//! use tower::ServiceExt as _;
//!
//! #[scw_private]
//! async fn hello(claims: Claims) -> String {
//!     format!("hello {:?}", claims.kind())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let keys = KeyPair::generate();
//! let verifier = keys.verifier("my-namespace-id", "my-container-id");
//! let app = Router::new().route("/", get(hello)).layer(Extension(verifier));
//!
//! let token = keys.token().namespace("my-namespace-id").expires_in(3600).sign();
//! let request = Request::get("/").header("X-Auth-Token", token).body(Body::empty()).unwrap();
//! let response = app.clone().oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 200);
//!
//! let sibling = keys.token().container("my-namespace-id", "another-container").sign();
//! let request = Request::get("/").header("X-Auth-Token", sibling).body(Body::empty()).unwrap();
//! assert_eq!(app.oneshot(request).await.unwrap().status(), 403);
//! # });
//! # }
//! ```

mod keys;
mod token;

pub use self::keys::{KeyPair, KeyPairError};
pub use self::token::{Algorithm, TokenBuilder};

/// A fresh, random secret in the shape of an IAM API key's (a UUID), for tests of what a
/// service does when the platform's edge forwards one in `X-Auth-Token`.
///
/// ```
/// let key = scw_private::testing::iam_secret_key();
/// assert_eq!(key.len(), 36);
/// assert_ne!(key, scw_private::testing::iam_secret_key());
/// ```
pub fn iam_secret_key() -> String {
    token::random_uuid()
}

/// Whether `value` has the shape of an IAM API key's secret key (a UUID, `8-4-4-4-12`
/// hexadecimal digits in any case): the rule the verifier uses to recognise one, for tools
/// that must never echo such a value.
///
/// ```
/// use scw_private::testing::{iam_secret_key, is_iam_secret_key};
///
/// assert!(is_iam_secret_key(&iam_secret_key()));
/// assert!(is_iam_secret_key("7E2A9C41-5B3D-4F6E-8A1C-2D4B6F8E0A13"));
/// assert!(!is_iam_secret_key("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"));
/// ```
pub fn is_iam_secret_key(value: &str) -> bool {
    crate::verification::extract::is_iam_key(value)
}
