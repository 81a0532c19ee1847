//! The rewrite.
//!
//! Input:
//!
//! ```text
//! #[scw_private(container)]
//! pub async fn handler(Path(id): Path<u32>) -> impl IntoResponse { ... }
//! ```
//!
//! Output:
//!
//! ```text
//! pub async fn handler(
//!     _: ::scw_private::__private::Guard<::scw_private::__private::Flags<1, false, false>>,
//!     Path(id): Path<u32>,
//! ) -> impl IntoResponse {
//!     const _: () = {   // a compile error that names the feature when no framework is enabled
//!         fn __scw_requires_a_framework<T: ::scw_private::__private::FrameworkEnabled>() {}
//!         let _ = __scw_requires_a_framework::<()>;
//!     };
//!     // the handler, recorded for `Verifier::preflight_handlers`
//!     #[::scw_private::__private::linkme::distributed_slice(::scw_private::__private::SCW_PRIVATE_0_1_HANDLERS)]
//!     #[linkme(crate = ::scw_private::__private::linkme)]
//!     static __SCW_HANDLER: ::scw_private::__private::ProtectedHandler =
//!         ::scw_private::__private::protected_handler("handler", ::core::module_path!(), ..::POLICY);
//!     { ... }   // the body as written
//! }
//! ```
//!
//! The guard is an extractor that runs first, so a refused request never reaches the other
//! extractors (nor its body). Its type parameter is the policy, because extractors take no
//! arguments. A policy of flags (`container`, `namespace`, `public_if_env`, `platform_iam`)
//! is the runtime's `Flags<SCOPE, PUBLIC_IF_ENV, PLATFORM_IAM>`, so nothing goes beside the
//! handler and it may be an associated function in an `impl` block. A policy that names a
//! string (`namespace_id`, `container_id`, `header`) or a function (`on_reject`) cannot be a
//! const generic: it gets a type of its own beside the handler, which must then be a free
//! function:
//!
//! ```text
//! #[doc(hidden)]
//! #[allow(non_camel_case_types)]
//! pub struct __scw_private_handler;
//! const _: () = {
//!     impl ::scw_private::__private::HandlerPolicy for __scw_private_handler {
//!         const POLICY: ::scw_private::__private::Policy =
//!             ::scw_private::__private::Policy::new().header("X-Token");
//!     }
//!     impl ::scw_private::__private::RenderRejection<__scw_private_handler> for ::scw_private::__private::Refusal {
//!         fn render(self) -> ::scw_private::__private::Reply {
//!             ::scw_private::__private::Reply::Default(self.0)   // or `on_reject`'s response
//!         }
//!     }
//! };
//! ```

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Signature, Visibility, parse_quote};

use crate::args::Args;
use crate::{service, validate};

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    if is_impl(&item) {
        // A tonic service's `impl`: its table and its methods' own checks.
        return match syn::parse2::<Args>(args) {
            Ok(args) => service::expand(&args, item),
            Err(error) => {
                let error = error.into_compile_error();
                quote!(#item #error)
            }
        };
    }
    let args = syn::parse2::<Args>(args).and_then(|args| validate::args(&args).map(|()| args));
    let function = syn::parse2::<Function>(item.clone());
    let function = match (&args, function) {
        (Ok(args), Ok(function)) => validate_function(&function, args).map(|()| function),
        (Err(_), Ok(function)) => {
            // Report mistakes in the function too, unless they depend on the arguments.
            validate_function(&function, &Args::default()).map(|()| function)
        }
        (_, Err(error)) => Err(error),
    };
    match (args, function) {
        (Ok(args), Ok(function)) => rewrite(&args, function),
        (args, function) => {
            let mut errors = args.err();
            if let Err(error) = function {
                match &mut errors {
                    Some(errors) => errors.combine(error),
                    None => errors = Some(error),
                }
            }
            // The item as written, so IDEs keep working, and the errors that fail the build.
            let errors = errors.map(syn::Error::into_compile_error);
            quote!(#item #errors)
        }
    }
}

/// Whether the item is an `impl` block (after its attributes), without parsing it.
fn is_impl(item: &TokenStream) -> bool {
    let head = |input: ParseStream<'_>| -> syn::Result<bool> {
        input.call(Attribute::parse_outer)?;
        let _: Option<syn::Token![unsafe]> = input.parse()?;
        Ok(input.peek(syn::Token![impl]))
    };
    syn::parse::Parser::parse2(
        |input: ParseStream<'_>| {
            let is_impl = head(input)?;
            // The rest is for the rewrite to read.
            input.parse::<TokenStream>()?;
            Ok(is_impl)
        },
        item.clone(),
    )
    .unwrap_or(false)
}

/// Every independent mistake in the function. A method (a `self` receiver) is a tonic
/// method, which the attribute on its `impl` rewrites: reaching one here means that
/// attribute is missing.
fn validate_function(function: &Function, args: &Args) -> syn::Result<()> {
    if service::is_method(&function.sig) {
        return Err(service::lone_method_error());
    }
    let mut errors = validate::function(&function.sig, args).err();
    if let Some((keyword, _)) = &args.route {
        let error = syn::Error::new_spanned(
            keyword,
            "`route` names a gRPC method's route; it goes on a method of a tonic service's `impl`",
        );
        match &mut errors {
            Some(errors) => errors.combine(error),
            None => errors = Some(error),
        }
    }
    errors.map_or(Ok(()), Err)
}

/// The handler as written. What the rewrite reads (attributes, visibility, signature) is
/// parsed; the body stays tokens, untouched, spans and all.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Group,
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        if input.fork().parse::<Signature>().is_err() {
            // Another kind of item: point at its keyword and name (`struct Handler`).
            let head: TokenStream = std::iter::from_fn(|| input.parse::<TokenTree>().ok())
                .take(2)
                .collect();
            let message = if head.is_empty() {
                "`#[scw_private]` can only be applied to `async fn`s with a body, like `async fn handler() -> &'static str { .. }`"
            } else {
                "`#[scw_private]` can only be applied to `async fn`s"
            };
            return Err(syn::Error::new_spanned(head, message));
        }
        let sig: Signature = input.parse()?;
        let body = match input.parse::<TokenTree>() {
            Ok(TokenTree::Group(body)) if body.delimiter() == proc_macro2::Delimiter::Brace => body,
            _ => {
                return Err(syn::Error::new_spanned(
                    &sig.ident,
                    "`#[scw_private]` can only be applied to `async fn`s with a body, like `async fn handler() -> &'static str { .. }`",
                ));
            }
        };
        if !input.is_empty() {
            return Err(input.error("expected one function"));
        }
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for Function {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let Self {
            attrs,
            vis,
            sig,
            body,
        } = self;
        tokens.extend(quote!(#(#attrs)* #vis #sig #body));
    }
}

fn rewrite(args: &Args, mut function: Function) -> TokenStream {
    let krate = match &args.krate {
        Some((_, path)) => path.to_token_stream(),
        None => quote!(::scw_private),
    };
    // The policy is the guard's type parameter, since extractors take no arguments.
    let (policy_type, beside) = match flags(args, &krate) {
        // A type the runtime defines: nothing goes beside the handler, so the handler may
        // also be an associated function in an `impl` block.
        Some(flags) => (flags, TokenStream::new()),
        None => own_policy_type(args, &krate, &function),
    };
    // How the check runs: an extractor in front of the others, or, for a handler that takes
    // the whole request, at the top of its body, so the signature stays as written.
    let check = match whole_request(&function.sig) {
        Some((request, response)) => {
            let argument = format_ident!("__scw_request", span = Span::mixed_site());
            let (pat, ty) = (&request.pat, &request.ty);
            let checked = quote_spanned! {response.span()=>
                let #pat: #ty = match #krate::__private::check_request::<#policy_type, _>(#argument) {
                    ::core::result::Result::Ok(request) => request,
                    ::core::result::Result::Err(refusal) => return refusal,
                };
            };
            function.sig.inputs[0] = parse_quote!(#argument: #ty);
            checked
        }
        None => {
            let guard: FnArg = parse_quote!(_: #krate::__private::Guard<#policy_type>);
            function.sig.inputs.insert(0, guard);
            TokenStream::new()
        }
    };

    // In the body, where items are allowed whatever surrounds the handler: the compile error
    // that names the feature when no framework is enabled, and the handler's record.
    let requires_framework = format_ident!("__scw_requires_a_framework", span = Span::mixed_site());
    let record = format_ident!("__SCW_HANDLER", span = Span::mixed_site());
    let name = function.sig.ident.to_string();
    let body = &function.body;
    let body = quote_spanned! {body.span()=> {
        const _: () = {
            fn #requires_framework<T: #krate::__private::FrameworkEnabled>() {}
            let _ = #requires_framework::<()>;
        };
        #[#krate::__private::linkme::distributed_slice(#krate::__private::SCW_PRIVATE_0_1_HANDLERS)]
        #[linkme(crate = #krate::__private::linkme)]
        static #record: #krate::__private::ProtectedHandler =
            #krate::__private::protected_handler(
                #name,
                ::core::module_path!(),
                <#policy_type as #krate::__private::HandlerPolicy>::POLICY,
            );
        #check
        #body
    }};
    function.body = Group::new(proc_macro2::Delimiter::Brace, body);
    quote! {
        #beside
        #function
    }
}

/// The one parameter and the return type of a handler of the Functions runtime's exact shape,
/// `handler(req: Request) -> Response` (any path to types of those names, axum's in practice),
/// or `None`. Such a handler may be called directly, `handler(req).await`, by the runtime, so
/// it must keep its signature.
fn whole_request(sig: &Signature) -> Option<(&syn::PatType, &syn::Type)> {
    let named = |ty: &syn::Type, name: &str| match ty {
        syn::Type::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .segments
                    .last()
                    .is_some_and(|last| last.ident == name)
        }
        _ => false,
    };
    let (Some(FnArg::Typed(request)), 1) = (sig.inputs.first(), sig.inputs.len()) else {
        return None;
    };
    let syn::ReturnType::Type(_, response) = &sig.output else {
        return None;
    };
    (named(&request.ty, "Request") && named(response, "Response")).then_some((request, &**response))
}

/// The runtime's `Flags<SCOPE, PUBLIC_IF_ENV, PLATFORM_IAM>` for a policy that names no
/// string and no function, or `None`.
fn flags(args: &Args, krate: &TokenStream) -> Option<TokenStream> {
    if args.namespace_id.is_some()
        || args.container_id.is_some()
        || args.header.is_some()
        || args.on_reject.is_some()
    {
        return None;
    }
    // The codes of `__private::Flags`.
    let scope: u8 = if args.container.is_some() {
        1
    } else if args.namespace.is_some() {
        2
    } else {
        0
    };
    let scope = proc_macro2::Literal::u8_unsuffixed(scope);
    let public_if_env = args.public_if_env.is_some();
    let platform_iam = args.platform_iam.is_some();
    Some(quote!(#krate::__private::Flags<#scope, #public_if_env, #platform_iam>))
}

/// A policy that names strings or an `on_reject` function gets a type of its own beside the
/// handler (which must then be a free function): the type and, in an anonymous `const`, its
/// policy and how it renders a refusal.
fn own_policy_type(
    args: &Args,
    krate: &TokenStream,
    function: &Function,
) -> (TokenStream, TokenStream) {
    let policy_type = format_ident!(
        "__scw_private_{}",
        function.sig.ident,
        span = Span::mixed_site()
    );
    let policy = policy(args, krate);
    let render = match &args.on_reject {
        // Spanned on the user's path so a wrong signature is reported there.
        Some((_, path)) => {
            quote_spanned!(path.span()=> #krate::__private::IntoReply::into_reply(#path(self.0)))
        }
        None => quote!(#krate::__private::Reply::Default(self.0)),
    };
    let vis = &function.vis;
    let beside = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #policy_type;

        const _: () = {
            impl #krate::__private::HandlerPolicy for #policy_type {
                const POLICY: #krate::__private::Policy = #policy;
            }

            impl #krate::__private::RenderRejection<#policy_type> for #krate::__private::Refusal {
                fn render(self) -> #krate::__private::Reply {
                    #render
                }
            }
        };
    };
    (policy_type.into_token_stream(), beside)
}

pub(crate) fn policy(args: &Args, krate: &TokenStream) -> TokenStream {
    let mut policy = quote!(#krate::__private::Policy::new());
    if args.container.is_some() {
        policy = quote!(#policy.scope(#krate::__private::Scope::ContainerToken));
    }
    if args.namespace.is_some() {
        policy = quote!(#policy.scope(#krate::__private::Scope::NamespaceToken));
    }
    if let Some((_, id)) = &args.namespace_id {
        policy = quote!(#policy.namespace_id(#id));
    }
    if let Some((_, id)) = &args.container_id {
        policy = quote!(#policy.container_id(#id));
    }
    if let Some((_, header)) = &args.header {
        policy = quote!(#policy.header(#header));
    }
    if args.public_if_env.is_some() {
        policy = quote!(#policy.public_if_env(true));
    }
    if args.platform_iam.is_some() {
        policy = quote!(#policy.platform_iam(true));
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: &str, item: &str) -> String {
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn an_impl_block_is_a_tonic_service() {
        for item in [
            "impl Greeter for G { #[scw_private] async fn a(&self, r: R) -> X { b() } }",
            "#[tonic::async_trait] unsafe impl Greeter for G {}",
        ] {
            let out = expand_str("", item);
            assert!(out.contains("ProtectedService for G"), "{item}: {out}");
        }
        assert!(!is_impl(&"async fn h() {}".parse().unwrap()));
        assert!(!is_impl(&"struct S;".parse().unwrap()));
    }

    #[test]
    fn a_function_needs_a_braced_body() {
        for item in ["async fn h();", "async fn h() (x)", "async fn h() [x]"] {
            let error = syn::parse_str::<Function>(item).err().unwrap().to_string();
            assert!(error.contains("with a body"), "{item}: {error}");
        }
        assert!(syn::parse_str::<Function>("async fn h() {}").is_ok());
    }

    #[test]
    fn prepends_the_guard_and_keeps_the_item() {
        let out = expand_str(
            "container",
            "/// Docs.\n#[inline] pub async fn h<T: Clone>(x: T) -> u8 where T: Send { 1 }",
        );
        assert!(out.contains("pub async fn h < T : Clone > (_ : :: scw_private :: __private :: Guard < :: scw_private :: __private :: Flags < 1 , false , false > > , x : T) -> u8 where T : Send"), "{out}");
        assert!(
            out.contains("# [doc = \" Docs.\"]") && out.contains("# [inline]"),
            "{out}"
        );
        // The record and the framework check are in the body, before the body as written.
        assert!(out.contains("static __SCW_HANDLER"), "{out}");
        assert!(
            out.contains("protected_handler (\"h\" , :: core :: module_path ! ()"),
            "{out}"
        );
        assert!(out.ends_with("{ 1 } } }"), "{out}");
    }

    #[test]
    fn a_handler_that_takes_the_whole_request_keeps_its_signature_and_is_checked_in_its_body() {
        for item in [
            "pub async fn handler(req: Request) -> Response { 1 }",
            "pub async fn handler(mut req: axum::extract::Request) -> axum::response::Response { 1 }",
        ] {
            let out = expand_str("container", item);
            let (head, body) = out.split_once('{').unwrap();
            assert!(!head.contains("Guard"), "{out}");
            assert!(head.contains("(__scw_request :"), "{out}");
            assert!(
                body.contains("check_request :: < :: scw_private :: __private :: Flags < 1 , false , false > , _ > (__scw_request)"),
                "{out}"
            );
            assert!(body.contains("Err (refusal) => return refusal"), "{out}");
            assert!(
                out.ends_with("{ 1 } } }") || out.ends_with("{ 1 } }"),
                "{out}"
            );
        }
        // Any other shape gets the guard: more parameters, another return type, no type path.
        for item in [
            "async fn h(claims: Claims, req: Request) -> Response {}",
            "async fn h(req: Request) -> String {}",
            "async fn h(req: Request) {}",
            "async fn h(req: Requests) -> Response {}",
            "async fn h(req: <T as X>::Request) -> Response {}",
            "async fn h(req: &Request) -> Response {}",
        ] {
            let out = expand_str("", item);
            assert!(
                out.contains("Guard") && !out.contains("check_request"),
                "{item}: {out}"
            );
        }
    }

    #[test]
    fn a_policy_of_flags_is_the_runtime_s_type_and_puts_nothing_beside_the_handler() {
        for (args, flags) in [
            ("", "Flags < 0 , false , false >"),
            ("container", "Flags < 1 , false , false >"),
            ("namespace, public_if_env", "Flags < 2 , true , false >"),
            ("platform_iam", "Flags < 0 , false , true >"),
        ] {
            let out = expand_str(args, "async fn h() {}");
            assert!(out.contains(flags), "{args}: {out}");
            assert!(out.starts_with("async fn h"), "{args}: {out}");
            assert!(!out.contains("struct"), "{args}: {out}");
        }
    }

    #[test]
    fn a_policy_that_names_a_string_or_a_function_gets_a_type_of_its_own() {
        for (args, call) in [
            ("namespace_id = \"n\"", ". namespace_id (\"n\")"),
            ("container_id = \"c\"", ". container_id (\"c\")"),
            ("header = \"X-T\"", ". header (\"X-T\")"),
            ("on_reject = reject", "reject (self . 0)"),
        ] {
            let out = expand_str(args, "pub async fn h() {}");
            assert!(
                out.contains("pub struct __scw_private_h ;"),
                "{args}: {out}"
            );
            assert!(out.contains(call), "{args}: {out}");
            assert!(
                out.contains("Guard < __scw_private_h >") && !out.contains("Flags"),
                "{args}: {out}"
            );
        }
        let out = expand_str("container, header = \"X-T\"", "async fn h() {}");
        assert!(
            out.contains("Policy :: new () . scope (:: scw_private :: __private :: Scope :: ContainerToken) . header (\"X-T\")"),
            "{out}"
        );
    }

    #[test]
    fn on_error_the_item_is_kept_and_errors_are_emitted() {
        let out = expand_str("bogus", "async fn h() {}");
        assert!(
            out.contains("async fn h () { }") && out.contains("compile_error"),
            "{out}"
        );
        assert!(out.contains("unknown argument `bogus`"), "{out}");
        assert!(!out.contains("Guard"), "{out}");
    }

    #[test]
    fn independent_mistakes_are_all_reported() {
        let out = expand_str("namespace, container", "fn h() {}");
        assert!(out.contains("cannot have both"), "{out}");
        assert!(out.contains("can only be applied to `async fn`s"), "{out}");
    }

    #[test]
    fn uses_the_renamed_crate() {
        let out = expand_str("crate = ::renamed", "async fn h() {}");
        assert!(out.contains(":: renamed :: __private :: Guard"), "{out}");
        assert!(!out.contains("scw_private ::"), "{out}");
    }

    #[test]
    fn never_panics_on_odd_input() {
        let args = [
            "",
            "=",
            ",",
            ",,",
            "namespace,,",
            "namespace =",
            "namespace = \"x\"",
            "namespace(x)",
            "container container",
            "header = ",
            "header = b\"x\"",
            "header = \"\"",
            "header = \"\\u{0}\"",
            "header = r#\"x\"#",
            "header = 'x'",
            "on_reject = 1 + 2",
            "on_reject = ::",
            "on_reject = a::<T>",
            "on_reject = self",
            "on_reject = crate::x",
            "crate",
            "crate = ",
            "crate = 1",
            "crate = ::",
            "(",
            "[]",
            "{}",
            "namespace_id = \"a\" \"b\"",
            "namespace_id = \"\u{1F600}\"",
            "container_id = -1",
            "public_if_env = ",
            "public_if_env()",
            "platform_iam",
            "platform_iam = true",
            "platform_iam, container",
            "platform_iam, namespace, platform_iam",
            "public_if_env,",
            "Namespace",
            "r#namespace",
            "namespace::x",
            "#",
            "'a",
            "1.5",
            "namespace, container, namespace_id = \"\"",
        ];
        let items = [
            "",
            "async fn",
            "struct S;",
            "impl X {}",
            "async fn h(self) {}",
            "async fn h(",
            "const async fn h() {}",
            "extern \"C\" { fn f(); }",
            "async fn h();",
            "fn",
            "mod m;",
            "trait T { async fn h(); }",
            "macro_rules! m {}",
            "async fn h<'a, T: 'a, const N: usize>(x: &'a [T; N]) where T: Copy {}",
            "pub(in crate) async unsafe extern \"C\" fn h() {}",
            "#[doc] async fn h(..) {}",
            "async fn h(mut x: Claims, (a, b): (Claims, Claims)) {}",
            "async fn r#type() {}",
        ];
        for args in args {
            for item in items {
                let (Ok(args), Ok(item)) =
                    (args.parse::<TokenStream>(), item.parse::<TokenStream>())
                else {
                    continue;
                };
                let _ = expand(args, item);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]

        /// Random sequences of attribute tokens never make the macro panic.
        #[test]
        fn never_panics_on_random_arguments(
            words in proptest::collection::vec(proptest::sample::select(&WORDS[..]), 0..12)
        ) {
            if let Ok(args) = words.join(" ").parse::<TokenStream>() {
                let _ = expand(args, "async fn h(c: Claims) {}".parse().unwrap());
            }
        }
    }

    const WORDS: [&str; 25] = [
        "namespace",
        "container",
        "namespace_id",
        "container_id",
        "public_if_env",
        "platform_iam",
        "header",
        "on_reject",
        "crate",
        "=",
        ",",
        "::",
        "\"x\"",
        "\"\"",
        "\"X Y\"",
        "42",
        "foo",
        "(",
        ")",
        "-",
        "self",
        "b\"x\"",
        "'c'",
        ";",
        "#",
    ];
}
