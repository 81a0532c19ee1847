//! Support for the integration tests, one job per module, all re-exported at the root:
//! test-only keys and tokens (`fixtures`), the table of what every protected route must answer
//! to every token (`matrix`), a raw HTTP/1.1 client over loopback, so requests can carry exactly
//! the bytes a test wants (`client`), servers on loopback (`servers`), keep-alive connections
//! and memory for the load test (`load`), the scenarios every framework must pass, and the
//! test gRPC service with its client (`grpc`).

mod client;
mod fixtures;
pub mod grpc;
pub mod h2;
mod load;
mod matrix;
pub mod scenarios;
mod servers;

pub use client::*;
pub use fixtures::*;
pub use load::*;
pub use matrix::*;
pub use servers::*;

/// The README's Rust blocks, compiled (and run, unless marked `no_run`) as this crate's
/// doctests, so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
