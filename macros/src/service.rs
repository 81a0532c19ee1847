//! The rewrite of a tonic service's `impl` block: `#[scw_private]` above
//! `#[tonic::async_trait]`, with `#[scw_private(..)]` on the methods to protect.
//!
//! tonic's generated server decodes a call's message, and merges its trailers into the
//! metadata, before it calls the method, so the method's body cannot be where a call is
//! checked. This rewrite gives the service a table of its methods instead, which
//! `scw_private::tonic_0_14::protect` enforces in front of the generated server, on the
//! call's headers alone, before a byte of its message is read. It runs before async-trait
//! (attributes expand from the outside in), so the methods are still `async fn`s:
//!
//! ```text
//! #[scw_private]                                 impl Greeter for MyGreeter {
//! #[tonic::async_trait]                              async fn say_hello(&self, request: ..) -> .. {
//! impl Greeter for MyGreeter {                           #[..distributed_slice(..)] static __SCW_HANDLER: .. = ..;
//!     #[scw_private(namespace)]           =>             if let Err(status) = MethodRequest::confirm(&request, "say_hello") {
//!     async fn say_hello(&self, request: ..)                 return Err(status);
//!         -> .. { body }                                 }
//!     async fn other(..) -> .. { .. }                    body
//! }                                                  }
//!                                                    async fn other(..) -> .. { .. }
//!                                                }
//!                                                const _: () = {
//!                                                    impl ProtectedService for MyGreeter {
//!                                                        fn __methods() -> &'static [ServiceMethod] { &[
//!                                                            ServiceMethod::protected("say_hello", None, Policy::new().scope(..)),
//!                                                            ServiceMethod::public("other"),
//!                                                        ] }
//!                                                    }
//!                                                };
//! ```
//!
//! The body's `confirm` is the second line: it refuses a call the table's check did not see
//! (a service served without `protect`), and never reads the request's metadata.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt as _;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItem, ImplItemFn, ItemImpl, Pat, Signature};

use crate::args::Args;
use crate::validate::Errors;
use crate::{expand, validate};

/// Whether the attribute is on a method, by its `self` receiver.
pub(crate) fn is_method(sig: &Signature) -> bool {
    matches!(sig.inputs.first(), Some(FnArg::Receiver(_)))
}

/// The error of `#[scw_private(..)]` on a method whose `impl` does not carry the attribute:
/// there, the method's body would be the first place the call is checked, after tonic has
/// read its message.
pub(crate) fn lone_method_error() -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        "`#[scw_private]` on a tonic method needs `#[scw_private]` on its `impl` block too, above \
         `#[tonic::async_trait]`; serve the service with `scw_private::tonic_0_14::protect`, \
         which checks each call before its message is read",
    )
}

/// Whether `attr` is `#[scw_private]` or `#[scw_private(..)]`, by any path ending so.
fn is_ours(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|last| last.ident == "scw_private")
}

/// The `#[scw_private]` on an `impl` block: the arguments are `crate = path` at most.
pub(crate) fn expand(args: &Args, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let krate = match &args.krate {
        Some((_, path)) => path.to_token_stream(),
        None => quote!(::scw_private),
    };
    for keyword in args.policy_keywords() {
        errors.push(syn::Error::new_spanned(
            keyword,
            "on an `impl` block, `#[scw_private]` takes no policy (only `crate = ..`); put \
             `#[scw_private(..)]` on each method to protect",
        ));
    }
    let service = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(service) => service,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[scw_private]` on an `impl` block protects a tonic service: \
                 `impl Greeter for MyGreeter { .. }`",
            );
            let error = error.into_compile_error();
            return quote!(#item #error);
        }
    };
    // On error, the item as written but for the methods' own attributes, which would each
    // report the missing `impl` attribute again: one mistake, one error.
    let mut as_written = service.clone();
    for item in &mut as_written.items {
        if let ImplItem::Fn(method) = item {
            method.attrs.retain(|attr| !is_ours(attr));
        }
    }
    let mut service = service;
    if service.trait_.is_none() {
        errors.push(syn::Error::new_spanned(
            &service.self_ty,
            "`#[scw_private]` on an `impl` block protects a tonic service, an `impl` of its \
             generated trait: `impl Greeter for MyGreeter`; on an inherent `impl`, put it on each \
             handler instead",
        ));
    }
    let mut entries = Vec::new();
    let mut folded_names: Vec<(String, syn::Ident)> = Vec::new();
    for item in &mut service.items {
        let ImplItem::Fn(method) = item else { continue };
        let name = method.sig.ident.unraw().to_string();
        let ours: Vec<Attribute> = method
            .attrs
            .iter()
            .filter(|a| is_ours(a))
            .cloned()
            .collect();
        method.attrs.retain(|attr| !is_ours(attr));
        if let Some(repeat) = ours.get(1) {
            errors.push(syn::Error::new_spanned(
                repeat,
                "`#[scw_private]` specified more than once on this method",
            ));
        }
        let Some(attr) = ours.first() else {
            errors.push_all(distinct(&mut folded_names, &name, &method.sig.ident, None));
            entries.push(
                quote!(#krate::__private::ServiceMethod::public(#name, ::core::module_path!())),
            );
            continue;
        };
        let method_args = match parse_method_args(attr) {
            Ok(method_args) => method_args,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let route = method_args.route.as_ref().map(|(_, route)| route);
        errors.push_all(distinct(&mut folded_names, &name, &method.sig.ident, route));
        if let Err(error) = check_method(method, &method_args) {
            errors.push(error);
            continue;
        }
        let policy = expand::policy(&method_args, &krate);
        let route = match route {
            Some(route) => quote!(::core::option::Option::Some(#route)),
            None => quote!(::core::option::Option::None),
        };
        entries.push(quote!(
            #krate::__private::ServiceMethod::protected(#name, ::core::module_path!(), #route, #policy)
        ));
        rewrite(method, &krate, &policy, &name);
    }
    if let Err(errors) = errors.finish() {
        // The item, so IDEs keep working, and the errors that fail the build.
        let errors = errors.into_compile_error();
        return quote!(#as_written #errors);
    }
    let (impl_generics, _, where_clause) = service.generics.split_for_impl();
    let self_ty = &service.self_ty;
    quote! {
        #service
        const _: () = {
            impl #impl_generics #krate::__private::ProtectedService for #self_ty #where_clause {
                fn __methods() -> &'static [#krate::__private::ServiceMethod] {
                    const METHODS: &[#krate::__private::ServiceMethod] = &[#(#entries),*];
                    METHODS
                }
            }
        };
    }
}

/// A method's own `#[scw_private(..)]`, with what only a method may say (`route`) and what it
/// may not (`on_reject`, `crate`).
fn parse_method_args(attr: &Attribute) -> syn::Result<Args> {
    let args = match &attr.meta {
        syn::Meta::Path(_) => Args::default(),
        syn::Meta::List(list) => syn::parse2::<Args>(list.tokens.clone())?,
        syn::Meta::NameValue(meta) => {
            return Err(syn::Error::new_spanned(
                meta,
                "expected `#[scw_private]` or `#[scw_private(..)]`",
            ));
        }
    };
    validate::args(&args)?;
    let mut errors = Errors::default();
    if let Some((keyword, _)) = &args.on_reject {
        errors.push(syn::Error::new_spanned(
            keyword,
            "`on_reject` renders an HTTP refusal; a tonic method's refusal is its `Status`, with the gRPC code of the refusal's class",
        ));
    }
    if let Some((keyword, _)) = &args.krate {
        errors.push(syn::Error::new_spanned(
            keyword,
            "give `crate = ..` once, on the `impl` block's `#[scw_private]`",
        ));
    }
    errors.finish().map(|()| args)
}

/// A method the table can protect: an `async fn` (async-trait has not run yet) taking `self`
/// and its request, bound to a name.
fn check_method(method: &ImplItemFn, _args: &Args) -> syn::Result<()> {
    let sig = &method.sig;
    let mut errors = Errors::default();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "`#[scw_private]` can only be applied to `async fn`s; on a tonic service, put \
             `#[scw_private]` above `#[tonic::async_trait]` on the `impl`, so that it sees the \
             methods before async-trait rewrites them",
        ));
    }
    if let Err(error) = request(sig) {
        errors.push(error);
    }
    errors.finish()
}

/// The method's request parameter: the one after `self`, bound to a name.
fn request(sig: &Signature) -> syn::Result<&syn::Ident> {
    let shape = "a tonic method takes `self` and its request, like `async fn say_hello(&self, request: Request<HelloRequest>)`";
    if !is_method(sig) {
        return Err(syn::Error::new_spanned(&sig.ident, shape));
    }
    let mut typed = sig.inputs.iter().skip(1);
    let (Some(first), None) = (typed.next(), typed.next()) else {
        return Err(match sig.inputs.iter().nth(2) {
            Some(extra) => syn::Error::new_spanned(extra, shape),
            None => syn::Error::new_spanned(&sig.inputs, shape),
        });
    };
    match first {
        FnArg::Typed(param) => match &*param.pat {
            Pat::Ident(ident) if ident.subpat.is_none() => Ok(&ident.ident),
            other => Err(syn::Error::new_spanned(
                other,
                "`#[scw_private]` names the request in the method's own check: bind it to a name, like `request: Request<HelloRequest>`",
            )),
        },
        FnArg::Receiver(receiver) => Err(syn::Error::new_spanned(receiver, shape)),
    }
}

/// The method's name as routes compare it (`_` dropped, ASCII lower case), and an error when
/// another method of the `impl` already compares equal: the wrapper could not tell which one
/// a route names. A method with a `route` is compared by that route instead.
fn distinct(
    seen: &mut Vec<(String, syn::Ident)>,
    name: &str,
    ident: &syn::Ident,
    route: Option<&syn::LitStr>,
) -> Option<syn::Error> {
    let compared = route.map_or_else(|| name.to_owned(), syn::LitStr::value);
    let folded: String = compared
        .chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if let Some((_, other)) = seen.iter().find(|(seen, _)| *seen == folded) {
        return Some(syn::Error::new_spanned(
            ident,
            format!(
                "`{}` and `{}` name the same gRPC route once `_` is dropped and case ignored; \
                 give the protected one its route, like `#[scw_private(route = \"..\")]`",
                other.unraw(),
                ident.unraw(),
            ),
        ));
    }
    seen.push((folded, ident.clone()));
    None
}

/// The method's own check first in its body, and its record for preflight.
fn rewrite(method: &mut ImplItemFn, krate: &TokenStream, policy: &TokenStream, name: &str) {
    // `check_method` accepted the signature, so the request is there.
    let Ok(request) = request(&method.sig).cloned() else {
        return;
    };
    let record = format_ident!("__SCW_HANDLER", span = Span::mixed_site());
    // Spanned on the request, the path to the trait included, so a request that is no tonic
    // request is reported there, once: rustc reports the call's bound and its return type
    // apart, and merges them only when both point at the same tokens.
    let krate = respan(krate, request.span());
    let confirm = quote::quote_spanned! {request.span()=>
        if let ::core::result::Result::Err(status) =
            #krate::__private::MethodRequest::confirm(&#request, #name)
        {
            return ::core::result::Result::Err(status);
        }
    };
    let span = method.block.span();
    let stmts = &method.block.stmts;
    method.block = syn::parse_quote_spanned! {span=> {
        #[#krate::__private::linkme::distributed_slice(#krate::__private::SCW_PRIVATE_0_1_HANDLERS)]
        #[linkme(crate = #krate::__private::linkme)]
        static #record: #krate::__private::ProtectedHandler =
            #krate::__private::protected_handler(#name, ::core::module_path!(), #policy);
        #confirm
        #(#stmts)*
    }};
}

/// `tokens`, every one of them (groups' contents too) pointed at `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let inner = respan(&group.stream(), span);
                token = proc_macro2::TokenTree::Group(proc_macro2::Group::new(
                    group.delimiter(),
                    inner,
                ));
            }
            token.set_span(span);
            token
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respan_keeps_every_token() {
        // The spans themselves only show in a compiler's output (the UI test
        // `method_without_tonic` reports one error, at the request); the tokens must not change.
        let path = quote!(::scw_private::__private::MethodRequest::confirm(&(request)));
        assert_eq!(
            respan(&path, Span::call_site()).to_string(),
            path.to_string()
        );
    }

    fn expand_str(args: &str, item: &str) -> String {
        let args: Args = syn::parse_str(args).unwrap();
        expand(&args, item.parse().unwrap()).to_string()
    }

    const SERVICE: &str = "
        #[tonic::async_trait]
        impl Greeter for MyGreeter {
            #[scw_private(namespace)]
            async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
                body()
            }
            #[scw_private::scw_private(route = \"GetHTTPStatus\")]
            async fn status(&self, mut req: Request<()>) -> Result<Response<()>, Status> { other() }
            async fn public(&self, request: Request<()>) -> Result<Response<()>, Status> { open() }
            type Stream = S;
        }";

    #[test]
    fn the_table_lists_every_method_and_the_bodies_confirm() {
        let out = expand_str("", SERVICE);
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("impl :: scw_private :: __private :: ProtectedService for MyGreeter"),
            "{out}"
        );
        assert!(
            out.contains("ServiceMethod :: protected (\"say_hello\" , :: core :: module_path ! () , :: core :: option :: Option :: None , :: scw_private :: __private :: Policy :: new () . scope (:: scw_private :: __private :: Scope :: NamespaceToken))"),
            "{out}"
        );
        assert!(
            out.contains("ServiceMethod :: protected (\"status\" , :: core :: module_path ! () , :: core :: option :: Option :: Some (\"GetHTTPStatus\")"),
            "{out}"
        );
        assert!(
            out.contains("ServiceMethod :: public (\"public\" , :: core :: module_path ! ())"),
            "{out}"
        );
        // The method attributes are gone; async-trait's stays, after the rewrite.
        assert!(!out.contains("# [scw_private"), "{out}");
        assert!(out.contains("# [tonic :: async_trait]"), "{out}");
        // Each protected body confirms first, then runs as written.
        assert!(
            out.contains("MethodRequest :: confirm (& request , \"say_hello\") { return :: core :: result :: Result :: Err (status) ; } body ()"),
            "{out}"
        );
        assert!(
            out.contains("MethodRequest :: confirm (& req , \"status\")"),
            "{out}"
        );
        assert!(!out.contains("confirm (& request , \"public\")"), "{out}");
        assert_eq!(out.matches("protected_handler (").count(), 2, "{out}");
    }

    #[test]
    fn generics_and_the_crate_path_are_kept() {
        let out = expand_str(
            "crate = ::renamed",
            "impl<T: Send> Greeter for G<T> where T: Sync {
                #[scw_private] async fn a(&self, r: R) -> X { b() }
            }",
        );
        assert!(
            out.contains("impl < T : Send > :: renamed :: __private :: ProtectedService for G < T > where T : Sync"),
            "{out}"
        );
        assert!(!out.contains(":: scw_private ::"), "{out}");
    }

    fn errors(args: &str, item: &str) -> String {
        let out = expand_str(args, item);
        assert!(out.contains("compile_error"), "{out}");
        out
    }

    #[test]
    fn mistakes_are_reported_together_and_the_item_is_kept() {
        let out = errors(
            "container",
            "impl Greeter for G {
                #[scw_private(on_reject = f)] async fn a(&self, r: R) -> X { b() }
                #[scw_private] fn c(&self, r: R) -> X { d() }
                #[scw_private] async fn e(&self) -> X { f() }
                #[scw_private] #[scw_private] async fn g(&self, r: R) -> X { h() }
            }",
        );
        for expected in [
            "takes no policy",
            "`on_reject` renders an HTTP refusal",
            "above `#[tonic::async_trait]`",
            "takes `self` and its request",
            "specified more than once",
        ] {
            assert!(out.contains(expected), "{expected}: {out}");
        }
        // The item as written but for the methods' own attributes, which would each report
        // the same mistake again.
        assert!(!out.contains("# [scw_private"), "{out}");
        assert!(
            out.contains("async fn a (& self , r : R) -> X { b () }"),
            "{out}"
        );
    }

    #[test]
    fn an_inherent_impl_or_another_item_is_refused() {
        assert!(errors("", "impl G { async fn a(&self) {} }").contains("inherent"));
        assert!(errors("", "impl Greeter for G { fn }").contains("protects a tonic service"));
    }

    #[test]
    fn methods_a_route_cannot_tell_apart_are_refused() {
        let out = errors(
            "",
            "impl S for G {
                async fn get_ab(&self, r: R) -> X { a() }
                #[scw_private] async fn get_a_b(&self, r: R) -> X { b() }
            }",
        );
        assert!(
            out.contains("`get_ab` and `get_a_b` name the same gRPC route"),
            "{out}"
        );
        // A route of its own tells them apart.
        let out = expand_str(
            "",
            "impl S for G {
                async fn get_ab(&self, r: R) -> X { a() }
                #[scw_private(route = \"GetAB2\")] async fn get_a_b(&self, r: R) -> X { b() }
            }",
        );
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn other_attributes_stay_and_a_request_must_be_a_plain_name() {
        let out = expand_str(
            "",
            "impl S for G {
                #[allow(unused)]
                #[scw_private]
                #[doc = \"kept\"]
                async fn a(&self, r: R) -> X { b() }
            }",
        );
        assert!(out.contains("# [allow (unused)]"), "{out}");
        assert!(out.contains("# [doc = \"kept\"]"), "{out}");
        for pattern in ["req @ _", "_", "(a, b)"] {
            let out = errors(
                "",
                &format!(
                    "impl S for G {{ #[scw_private] async fn a(&self, {pattern}: R) -> X {{ b() }} }}"
                ),
            );
            assert!(out.contains("bind it to a name"), "{pattern}: {out}");
        }
    }

    #[test]
    fn a_raw_name_is_its_route_s_name() {
        let out = expand_str(
            "",
            "impl S for G { #[scw_private] async fn r#type(&self, r: R) -> X { a() } }",
        );
        assert!(
            out.contains("ServiceMethod :: protected (\"type\""),
            "{out}"
        );
    }
}
