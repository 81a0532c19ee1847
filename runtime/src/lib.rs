//! Protect HTTP handlers of a [Scaleway Serverless Container] in *private* mode with one
//! attribute.
//!
//! A private container receives a JWT with every request, issued by the platform for its
//! namespace or for the container itself. This crate verifies it: RS256 against the key the
//! platform injects in `SCW_PUBLIC_KEY`, the time claims, and the scope rule (which token may
//! call which container). It fails closed: on any doubt a protected handler does not run.
//!
//! [Scaleway Serverless Container]: https://www.scaleway.com/en/serverless-containers/
//!
//! ```toml
//! [dependencies]
//! scw-private = { version = "0.1", features = ["axum-0_8"] }   # or "actix-web-4", "tower", "tonic-0_14"
//! ```
//!
//! ```
//! # #[cfg(feature = "axum-0_8")] mod example {
//! use scw_private::{Claims, scw_private};
//!
//! #[scw_private]
//! async fn handler(claims: Claims) -> String {
//!     format!("hello, {:?} token", claims.kind())
//! }
//! # }
//! ```
//!
//! - [`#[scw_private]`](scw_private): the attribute, its arguments, and what it expands to.
//! - Before the server binds its port, [`Verifier::preflight_handlers`] checks every protected
//!   handler of the program, so a misconfiguration fails the deploy instead of answering 500.
//! - Serverless Functions: the attribute keeps the runtime's exact
//!   `handler(req: Request) -> Response` ([the attribute's page](scw_private#serverless-functions)).
//! - On a laptop there is no platform key: run the service behind `scw-jwt edge` (the
//!   [`scw-jwt`](https://crates.io/crates/scw-jwt) crate: a stand-in for the platform's edge
//!   that mints tokens), or give it a [`Verifier`] of your own; `testing` (feature `testing`)
//!   makes keys and tokens in tests.
//!
//! # Usage
//!
//! The crate is framework-neutral at its core: a [`Verifier`] checks a request's headers
//! against a [`Policy`] and returns how the request got in ([`Access`]) or a [`Rejection`]
//! that renders as an RFC 6750 response.
//!
//! ```
//! use scw_private::{Policy, RejectionKind, Verifier};
//!
//! # let pem = include_str!("../test-keys/rsa2048-a.pkcs1.pem");
//! let verifier = Verifier::builder()
//!     .public_key_pem(pem) // the PEM text of the key that signs your tokens
//!     .namespace_id("11111111-1111-1111-1111-111111111111")
//!     .container_id("22222222-2222-2222-2222-222222222222")
//!     .build()?;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-auth-token", "not-a-jwt".parse().unwrap());
//! let refusal = verifier.authorize(&headers, &Policy::new()).unwrap_err();
//! assert_eq!(refusal.kind(), RejectionKind::InvalidToken);
//! assert_eq!(refusal.status(), 401);
//! # Ok::<(), scw_private::ConfigError>(())
//! ```
//!
//! On the platform, [`Verifier::global`] reads everything from the environment on first use
//! (the names are in [`env`](mod@env)):
//!
#![doc = include_str!("../docs/variables.md")]
//!
//! # The token profile
//!
//! Real platform tokens have the header `{"alg":"RS256","typ":"JWT"}`, a signature by a
//! 4096-bit key given as PKCS#1, and the payload
//! `{"application_claim":[{"namespace_id":"","application_id":"<id>"}],"version":2,
//! "aud":"functions","jti":"<uuid>","iat":..,"iss":"SCALEWAY","nbf":..,"sub":"token"}`: no
//! `exp`, exactly one entry, `namespace_id` empty in a token issued for a container alone.
//! The verifier accepts exactly that and refuses what is ambiguous: more than one entry, an
//! entry that is not a JSON object, a registered claim of the wrong type (`null` included).
//!
//! # The IAM era
//!
//! The platform's edge now authenticates calls to a private container itself, with a legacy
//! JWT or an IAM secret key, which cannot be verified here. By default such a key alone is
//! refused; `#[scw_private(platform_iam)]` trusts the edge where `SCW_PUBLIC` says `false`.
//! What that trusts, and how `SCW_PUBLIC` is read: [`guide::iam_era`].
//!
//! # Cost
//!
//! An RS256 check costs tens of microseconds, about 90 µs with a 4096-bit key. Platform tokens
//! are long-lived and sent with every call, so a verifier remembers the tokens it accepted
//! (1024 by default, see [`VerifierBuilder::cache_capacity`]): the same token again costs a
//! hash, a comparison and a lookup. Time claims and the scope rule are checked on every
//! request regardless.
//!
//! # Responses
//!
#![doc = include_str!("../docs/responses.md")]
//!
//! The description is the refusal's [`Reason`]. A gRPC call (`content-type:
//! application/grpc`, `+proto` or `+json`) is refused in gRPC's own words: a trailers-only
//! response (HTTP 200, no body) whose `grpc-status` is the class's code and whose
//! `grpc-message` is the same description ([`guide::grpc`]).
//!
//! # API at a glance
//!
//! - [`scw_private`]: the attribute for axum and actix-web handlers and tonic methods.
//! - [`Access`]: how a request got in (a verified token, a public container, the platform's
//!   word); [`Claims`], [`OptionalClaims`], [`TokenKind`]: what a verified token says.
//! - [`Policy`], [`Scope`]: what one handler requires.
//! - [`registry`]: [`ProtectedHandler`](registry::ProtectedHandler) and
//!   [`PreflightError`](registry::PreflightError), every `#[scw_private]` handler of the
//!   program, and why one cannot be served.
//! - [`Verifier`], [`VerifierBuilder`]: the check, from the environment or explicit values.
//! - [`Rejection`], [`RejectionKind`], [`Reason`]: a refusal, its class and its cause.
//! - [`ConfigError`], [`Origin`], [`KeyError`], [`PublicKey`]: configuration and the key.
//! - [`RequestHeaders`]: header access, to verify requests of any HTTP library.
//! - [`env`](mod@env): the names of the platform's variables.
//! - `layer` (feature `tower`): `ScwPrivateLayer`, the check as tower middleware, answering
//!   gRPC calls in gRPC.
//! - `tonic_0_14` (feature `tonic-0_14`): `protect`, which enforces the attribute on a
//!   service's methods before tonic reads a call, and `ScwPrivateInterceptor`, for one service.
//! - `testing` (feature `testing`): key pairs and tokens for development and tests.
//! - `metrics` (feature `metrics`): the names and labels of what checks record.
//! - `openapi` (features `aide-0_15`, `utoipa-6`): protected operations in OpenAPI documents.
//!
//! # Features
//!
//! - `aws-lc-rs` (default): verify signatures with aws-lc-rs. `rust-crypto`: the pure-Rust
//!   `rsa` crate instead. With both, aws-lc-rs is used and nothing panics. jsonwebtoken's
//!   process-wide crypto provider is neither installed nor used (not even read, which would
//!   install one): the application's own jsonwebtoken calls use whatever it installs.
//! - `tracing` (default): one event per refusal with its class and reason, never a token or a
//!   key. Install a subscriber (for example `tracing_subscriber::fmt::init()`) to see them;
//!   the levels are below ([Logs](#logs)).
//! - `metrics`: every check counted by outcome, cache hits and misses, and verification time,
//!   through the [`metrics`](https://docs.rs/metrics) facade; the application installs the
//!   recorder (Prometheus, OpenTelemetry, ...). Names and labels: `metrics`; exporting them
//!   from a serverless container: [`guide::metrics`].
//! - `axum-0_8`, `actix-web-4`: the extractors `#[scw_private]` relies on, and `Claims` as an
//!   extractor.
//! - `tower`: `layer::ScwPrivateLayer`, the same check as tower middleware for any service.
//! - `tonic-0_14`: `tonic_0_14`, gRPC services with tonic 0.14 (`#[scw_private]` on methods
//!   behind `protect`, the interceptor); implies `tower`. Refusals are gRPC statuses.
//! - `testing`: `testing`, key pairs and tokens for development and tests. They are made with
//!   the aws-lc-rs crate, but enabling `testing` never changes which backend verifies.
//! - `aide-0_15`, `utoipa-6`: `openapi`, the security schemes and requirements in OpenAPI
//!   documents generated with aide or utoipa.
//!
//! # Logs
//!
//! With the `tracing` feature, every event has the target `scw_private`, and its level says
//! who can act on it:
//!
//! | level | event | how often |
//! |---|---|---|
//! | `error` | the server is misconfigured (key, ids, `SCW_PUBLIC`, a policy): protected requests answer 500 | once when the environment is read; then at most once a minute, the rest at `debug` |
//! | `warn` | a refusal that says something about the server's setup, with a `hint` (an IAM key sent to a route without `platform_iam`) | at most once a minute, the rest at `debug` |
//! | `debug` | every other refusal: its `class` and `reason` | every refusal |
//! | `trace` | a call let in on the platform's word (`platform_iam`) | every such call |
//!
//! A refusal is the protection working, and anyone who can reach the port can cause one: at
//! `info`, a flood of bad requests would become the loudest line of the service's log (axum
//! logs its own rejections at `trace`). The recommended filter, `scw_private=warn`, shows
//! every misconfiguration and every hint; `scw_private=debug` shows every refusal with its
//! reason.
//!
//! A refusal's event also says where it happened, so it can be matched with the platform's
//! logs and with the handler that refused:
//! - `route`: the router's template where the framework gives one (axum's `MatchedPath`,
//!   actix-web's resource pattern: `/users/{id}`, without the ids), else the path without its
//!   query (the tower layer); a gRPC call's `/package.Service/Method` behind
//!   `tonic_0_14::protect`. An interceptor sees the metadata alone: it logs `/package.Service`
//!   when built with `service_name`, else no route, as [`Verifier::authorize`]. Read only for a refused request; a path segment shaped like a JWT is logged as
//!   `{token}`.
//! - `request_id`: the request's `X-Request-ID`, which the platform's edge sets, when it is at
//!   most 64 visible ASCII characters (on a public container or a local run the client sets
//!   it: anything else is left out). It is a log field only, never part of an answer.
//!
//! No span is opened per check: a check that hits the cache costs well under a microsecond,
//! which a span would outweigh, and the request's own span (tower-http's `TraceLayer`,
//! `tracing-actix-web`, tonic's) already holds the events. With an OpenTelemetry pipeline,
//! the events map by the conventions: a refusal (401, 403, 400; `UNAUTHENTICATED`,
//! `PERMISSION_DENIED`, `INVALID_ARGUMENT`) is the client's doing and leaves a server span's
//! status unset, as OpenTelemetry's HTTP and gRPC conventions say of 4xx and of those codes;
//! a misconfiguration (500, `INTERNAL`) is a server error, and so is its `error` event.
//!
//! Your own middleware can read why a request was refused: the refusals of the extractors and
//! the attribute (axum, actix-web), of the layer and of `tonic_0_14::protect` carry the
//! [`RejectionKind`] in their response's extensions; a `tonic::Status` made from a refusal
//! (the interceptor's) has the [`Rejection`] as its `source()`, for an interceptor that wraps
//! it.
//!
//! # Guides
//!
//! - [`guide::iam_era`]: what `platform_iam` trusts, and what `SCW_PUBLIC` means.
//! - [`guide::migrating`]: from jwt-authorizer or a hand-written `jsonwebtoken` middleware.
//! - [`guide::grpc`]: tonic services on an h2c container, three ways, refused in gRPC's words.
//! - [`guide::metrics`]: what the `metrics` feature records, and how it reaches Cockpit.
// `deny` rather than `forbid`: the registry's one linker-section static is allowed, with its
// reason beside it (`registry.rs`); there is no unsafe block in the crate.
#![deny(unsafe_code)]
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Three layers, each importing only those below it (`scripts/layers.sh` keeps it so):
// - `verification`: the core, which knows no framework and nothing of the macro;
// - `registry` and `expansion`: what `#[scw_private]` expansions record and name;
// - `integration`: axum, actix-web, tower, tonic and OpenAPI, on top of both.
// `__private` below is assembled from the last two; nothing in the crate imports it.
mod expansion;
mod integration;
pub mod registry;
mod verification;

pub mod env;
pub mod guide;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(feature = "metrics")]
pub mod metrics {
    #![doc = include_str!("../docs/metrics.md")]
    pub use crate::verification::metrics::{
        CHECKS_TOTAL, TOKEN_CACHE_HITS_TOTAL, TOKEN_CACHE_MISSES_TOTAL, TOKEN_VERIFICATION_SECONDS,
        TOKEN_VERIFICATION_SECONDS_BUCKETS, describe,
    };
}
#[cfg(feature = "tower")]
pub use crate::integration::layer;
#[cfg(any(feature = "aide-0_15", feature = "utoipa-6"))]
pub use crate::integration::openapi;
#[cfg(feature = "tonic-0_14")]
pub use crate::integration::tonic_0_14;

#[doc = include_str!("../docs/attribute.md")]
#[doc = include_str!("../docs/arguments.md")]
#[doc = include_str!("../docs/attribute-reference.md")]
#[doc(inline)]
pub use scw_private_macros::scw_private;

pub use crate::verification::access::{Access, OptionalClaims};
pub use crate::verification::builder::VerifierBuilder;
pub use crate::verification::claims::{Claims, TokenKind};
pub use crate::verification::config::{ConfigError, Origin};
pub use crate::verification::extract::RequestHeaders;
pub use crate::verification::key::{KeyError, PublicKey};
pub use crate::verification::policy::Policy;
pub use crate::verification::rejection::{Reason, Rejection, RejectionKind};
pub use crate::verification::scope::Scope;
pub use crate::verification::verifier::Verifier;

/// The workspace's one log-capture helper, for the tests of `log.rs`.
#[cfg(all(test, feature = "tracing"))]
#[path = "../tests/support/captured_logs.rs"]
mod captured_logs;

#[doc(hidden)]
pub mod __private {
    //! Not public API: what `#[scw_private]` expansions name. May change in any release.
    #[cfg(not(feature = "tonic-0_14"))]
    pub use crate::expansion::ProtectedServiceStandIn as ProtectedService;
    pub use crate::expansion::*;
    #[cfg(feature = "axum-0_8")]
    pub use crate::integration::axum::check_request;
    #[cfg(feature = "tonic-0_14")]
    pub use crate::integration::tonic_0_14::ProtectedService;
    pub use crate::registry::{SCW_PRIVATE_0_1_HANDLERS, protected_handler};
}
