//! The `#[scw_private]` attribute. Use it through the `scw-private` crate, which documents it
//! and holds the verifier the generated code calls.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

mod args;
mod expand;
mod validate;

use proc_macro::TokenStream;

/// Protects an async HTTP handler: see the `scw-private` crate for the arguments.
#[proc_macro_attribute]
pub fn scw_private(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}
