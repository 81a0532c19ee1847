//! The verification core: the key, the token, its claims, the scope rule, the policy, the
//! refusal, the verifier and its cache, the platform's variables.
//!
//! Everything a request's check needs, and nothing about how a framework hands the request
//! over or how `#[scw_private]` expansions find the check: this layer imports neither the
//! integrations nor the macro's glue, and names no framework feature (`scripts/layers.sh`
//! fails the build of CI when it does).

pub(crate) mod access;
pub(crate) mod builder;
pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod config;
pub(crate) mod crypto;
pub(crate) mod der;
pub(crate) mod extract;
pub(crate) mod key;
pub(crate) mod log;
pub(crate) mod metrics;
pub(crate) mod platform;
pub(crate) mod policy;
pub(crate) mod rejection;
pub(crate) mod scope;
pub(crate) mod token;
pub(crate) mod verifier;
