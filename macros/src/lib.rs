//! The `#[scw_private]` attribute. Use it through the `scw-private` crate, which documents it
//! and holds the verifier the generated code calls.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

mod args;
mod expand;
mod service;
mod validate;

use proc_macro::TokenStream;

// No doc comment: rustdoc appends an item's own docs after those of its `#[doc(inline)]`
// re-export, and `scw_private::scw_private` carries the whole page (arguments, errors,
// expansion). A sentence here would trail that page.
#[allow(
    missing_docs,
    reason = "documented on its re-export, `scw_private::scw_private`"
)]
#[proc_macro_attribute]
pub fn scw_private(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}
