//! The rewrite of a tonic service method: a function with a `self` receiver.
//!
//! axum and actix-web handlers take no `self`, so a receiver says the attribute is on a gRPC
//! method, `async fn say_hello(&self, request: Request<HelloRequest>) -> Result<.., Status>`.
//! Its signature belongs to the service trait and cannot change: the check goes at the top of
//! the body instead, before anything reads the request (for a streaming call, before the
//! stream is polled):
//!
//! ```text
//! {
//!     const __SCW_POLICY: ::scw_private::__private::Policy = ::scw_private::__private::Policy::new()...;
//!     #[..distributed_slice(..)] static __SCW_HANDLER: .. = protected_handler("say_hello", .., __SCW_POLICY);
//!     let mut request = request;
//!     if let Err(status) = ::scw_private::__private::MethodRequest::authorize(&mut request, &__SCW_POLICY) {
//!         return Err(status);
//!     }
//!     ..   // the body as written
//! }
//! ```
//!
//! The policy is a `const` in the body, so every argument works and nothing goes beside the
//! method (which an `impl` block would not accept).
//!
//! tonic's service traits go through async-trait, whose attribute on the `impl` runs first:
//! this attribute then sees `fn say_hello(..) -> Pin<Box<dyn Future<..>>>` with the body
//! `Box::pin(async move { .. })`, and puts the check at the top of that `async` block, where
//! the method's body now is (the shape tracing's `#[instrument]` recognises too). A method still
//! `async` (a trait with native `async fn`) gets it at the top of its body.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Block, Expr, FnArg, Pat, Signature, Stmt};

use crate::args::Args;

/// Whether the attribute is on a method, by its `self` receiver.
pub(crate) fn is_method(sig: &Signature) -> bool {
    matches!(sig.inputs.first(), Some(FnArg::Receiver(_)))
}

/// The method's request parameter: the one after `self`, bound to a name.
fn request(sig: &Signature) -> syn::Result<&syn::Ident> {
    let shape = "a tonic method takes `self` and its request, like `async fn say_hello(&self, request: Request<HelloRequest>)`";
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
                "`#[scw_private]` checks the request before the method runs: bind it to a name, like `request: Request<HelloRequest>`",
            )),
        },
        FnArg::Receiver(receiver) => Err(syn::Error::new_spanned(receiver, shape)),
    }
}

/// The `async` block async-trait made of the method's body: the body's last expression,
/// `Box::pin(async move { .. })` (by any path to `pin`).
fn async_trait_body(body: &mut Block) -> Option<&mut Block> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = body.stmts.last_mut() else {
        return None;
    };
    let Expr::Path(function) = &*call.func else {
        return None;
    };
    let is_pin = function
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == "pin");
    if call.args.len() != 1 || !is_pin {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(block)) if block.capture.is_some() => Some(&mut block.block),
        _ => None,
    }
}

/// The errors of a method the attribute cannot protect: every independent mistake.
pub(crate) fn validate(sig: &Signature, body: &TokenStream, args: &Args) -> syn::Result<()> {
    let mut errors: Vec<syn::Error> = Vec::new();
    if sig.asyncness.is_none() && sig.constness.is_none() {
        let async_trait = syn::parse2::<Block>(quote!({ #body }))
            .ok()
            .and_then(|mut block| async_trait_body(&mut block).map(|_| ()));
        if async_trait.is_none() {
            errors.push(syn::Error::new_spanned(
                sig.fn_token,
                "`#[scw_private]` can only be applied to `async fn`s (on a tonic service method, with `#[tonic::async_trait]` on the `impl`)",
            ));
        }
    }
    if let Some((keyword, _)) = &args.on_reject {
        errors.push(syn::Error::new_spanned(
            keyword,
            "`on_reject` renders an HTTP refusal; a tonic method's refusal is its `Status`, with the gRPC code of the refusal's class",
        ));
    }
    if let Err(error) = request(sig) {
        errors.push(error);
    }
    errors
        .into_iter()
        .reduce(|mut all, error| {
            all.combine(error);
            all
        })
        .map_or(Ok(()), Err)
}

/// The method's body (inside its braces) with the check at the top. `policy` is the
/// policy's expression.
pub(crate) fn rewrite(
    krate: &TokenStream,
    policy: &TokenStream,
    sig: &Signature,
    body: TokenStream,
) -> syn::Result<TokenStream> {
    let request = request(sig)?;
    let policy_const = format_ident!("__SCW_POLICY", span = Span::mixed_site());
    let record = format_ident!("__SCW_HANDLER", span = Span::mixed_site());
    let name = sig.ident.to_string();
    let check = quote! {
        const #policy_const: #krate::__private::Policy = #policy;
        #[#krate::__private::linkme::distributed_slice(#krate::__private::SCW_PRIVATE_0_1_HANDLERS)]
        #[linkme(crate = #krate::__private::linkme)]
        static #record: #krate::__private::ProtectedHandler =
            #krate::__private::protected_handler(#name, ::core::module_path!(), #policy_const);
        #[allow(unused_mut)]
        let mut #request = #request;
        if let ::core::result::Result::Err(status) =
            #krate::__private::MethodRequest::authorize(&mut #request, &#policy_const)
        {
            return ::core::result::Result::Err(status);
        }
    };
    let check = syn::parse2::<Block>(quote!({ #check }))?.stmts;
    let mut body = syn::parse2::<Block>(quote!({ #body }))?;
    let target = if sig.asyncness.is_some() {
        &mut body
    } else {
        async_trait_body(&mut body)
            .ok_or_else(|| syn::Error::new_spanned(sig.fn_token, "expected an `async fn`"))?
    };
    target.stmts.splice(0..0, check);
    let stmts = body.stmts;
    Ok(quote!(#(#stmts)*))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(item: &str) -> Signature {
        syn::parse_str::<syn::ItemFn>(item).unwrap().sig
    }

    #[test]
    fn a_receiver_makes_a_method() {
        assert!(is_method(&sig("async fn m(&self, r: R) {}")));
        assert!(is_method(&sig("async fn m(self: Arc<Self>, r: R) {}")));
        assert!(!is_method(&sig("async fn h(r: R) {}")));
        assert!(!is_method(&sig("async fn h() {}")));
    }

    #[test]
    fn the_request_is_the_one_named_parameter_after_self() {
        assert_eq!(
            request(&sig("async fn m(&self, req: R) {}")).unwrap(),
            "req"
        );
        assert_eq!(
            request(&sig("async fn m(&self, mut req: R) {}")).unwrap(),
            "req"
        );
        for (item, error) in [
            ("async fn m(&self) {}", "takes `self` and its request"),
            (
                "async fn m(&self, a: A, b: B) {}",
                "takes `self` and its request",
            ),
            ("async fn m(&self, _: R) {}", "bind it to a name"),
            ("async fn m(&self, (a, b): R) {}", "bind it to a name"),
            ("async fn m(&self, req @ _: R) {}", "bind it to a name"),
        ] {
            let message = request(&sig(item)).unwrap_err().to_string();
            assert!(message.contains(error), "{item}: {message}");
        }
    }

    #[test]
    fn finds_the_block_async_trait_made() {
        let mut body: Block =
            syn::parse_str("{ let x = 1; Box::pin(async move { body() }) }").unwrap();
        let inner = async_trait_body(&mut body).unwrap();
        assert_eq!(quote!(#inner).to_string(), "{ body () }");
        let mut path: Block =
            syn::parse_str("{ ::std::boxed::Box::pin(async move { body() }) }").unwrap();
        assert!(async_trait_body(&mut path).is_some());
        for other in [
            "{ Box::pin(async { body() }) }",
            "{ Box::pin(async move { body() }); }",
            "{ Box::new(async move { body() }) }",
            "{ Box::pin(future) }",
            "{ Box::pin(async move {}, 1) }",
            "{ body() }",
            "{}",
        ] {
            let mut body: Block = syn::parse_str(other).unwrap();
            assert!(async_trait_body(&mut body).is_none(), "{other}");
        }
    }

    #[test]
    fn the_check_goes_first_in_the_async_block() {
        let krate = quote!(::scw_private);
        let policy = quote!(P);
        let native = rewrite(
            &krate,
            &policy,
            &sig("async fn m(&self, request: R) {}"),
            quote!(body();),
        )
        .unwrap()
        .to_string();
        assert!(native.starts_with("const __SCW_POLICY"), "{native}");
        assert!(native.contains("let mut request = request ;"), "{native}");
        assert!(
            native.contains("MethodRequest :: authorize (& mut request , & __SCW_POLICY)"),
            "{native}"
        );
        assert!(
            native.ends_with("return :: core :: result :: Result :: Err (status) ; } body () ;"),
            "{native}"
        );

        let rewritten = rewrite(
            &krate,
            &policy,
            &sig("fn m(&self, request: R) -> Pin<Box<dyn Future>> {}"),
            quote!(Box::pin(async move { body() })),
        )
        .unwrap()
        .to_string();
        assert!(
            rewritten.starts_with("Box :: pin (async move { const __SCW_POLICY"),
            "{rewritten}"
        );
        assert!(rewritten.ends_with("} body () })"), "{rewritten}");
    }

    #[test]
    fn on_reject_and_a_plain_fn_are_refused() {
        let args: Args = syn::parse_str("on_reject = f").unwrap();
        let errors = validate(&sig("fn m(&self, r: R) {}"), &quote!(r), &args)
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("`async fn`"), "{errors:?}");
        assert!(errors[1].contains("`on_reject`"), "{errors:?}");
        let async_trait = quote!(Box::pin(async move { r }));
        assert!(validate(&sig("fn m(&self, r: R) {}"), &async_trait, &Args::default()).is_ok());
        // A method still `async` needs no async-trait body.
        assert!(
            validate(
                &sig("async fn m(&self, r: R) {}"),
                &quote!(r),
                &Args::default()
            )
            .is_ok()
        );
    }
}
