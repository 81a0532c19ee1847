//! Checks that need the whole attribute or the function: argument combinations and the
//! shapes of handler the rewrite supports. Every independent mistake is reported, each once.

use syn::{FnArg, PathArguments, Signature, Type};

use crate::args::Args;

/// axum and actix-web both take handlers of at most 16 extractors; the guard is one of them.
const MAX_HANDLER_PARAMS: usize = 15;

/// Collects independent errors into one `syn::Error`: the crate's one way to report every
/// mistake at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn push_all(&mut self, error: Option<syn::Error>) {
        if let Some(error) = error {
            self.push(error);
        }
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

pub(crate) fn args(args: &Args) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let (Some(_), Some(container)) = (&args.namespace, &args.container) {
        errors.push(syn::Error::new_spanned(
            container,
            "cannot have both `namespace` and `container`",
        ));
    }
    if let (Some(_), Some((keyword, _))) = (&args.namespace, &args.container_id) {
        errors.push(syn::Error::new_spanned(
            keyword,
            "cannot have both `namespace` and `container_id`; a namespace token names no container",
        ));
    }
    // IAM keys are scoped to a project: the platform's word says nothing of a namespace or a
    // container, so a route that requires one cannot also take that word.
    if args.platform_iam.is_some() {
        if let Some(namespace) = &args.namespace {
            errors.push(syn::Error::new_spanned(
                namespace,
                "cannot have both `platform_iam` and `namespace`; IAM keys are scoped to a project, so the platform's word names no namespace",
            ));
        }
        if let Some(container) = &args.container {
            errors.push(syn::Error::new_spanned(
                container,
                "cannot have both `platform_iam` and `container`; IAM keys are scoped to a project, so the platform's word names no container",
            ));
        }
    }
    let ids = [
        (
            "namespace_id",
            args.namespace_id.as_ref().map(|(_, lit)| lit),
        ),
        (
            "container_id",
            args.container_id.as_ref().map(|(_, lit)| lit),
        ),
    ];
    for (name, lit) in ids.into_iter().filter_map(|(name, lit)| Some((name, lit?))) {
        if lit.value().is_empty() {
            errors.push(syn::Error::new_spanned(
                lit,
                format!("`{name}` cannot be empty"),
            ));
        }
    }
    if let Some((_, lit)) = &args.route {
        let route = lit.value();
        if route.is_empty() || route.contains('/') {
            errors.push(syn::Error::new_spanned(
                lit,
                "`route` is the method's name in its gRPC route, like `route = \"GetHTTPStatus\"` for `/pkg.Service/GetHTTPStatus`",
            ));
        }
    }
    if let Some((_, lit)) = &args.header {
        let name = lit.value();
        if !is_header_name(&name) {
            errors.push(syn::Error::new_spanned(
                lit,
                format!("`{name}` is not a valid HTTP header name"),
            ));
        }
    }
    errors.finish()
}

/// `token` in RFC 9110 section 5.6.2.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(crate) fn function(sig: &Signature, args: &Args) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            "`#[scw_private]` cannot be applied to a `const fn`",
        ));
    } else if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "`#[scw_private]` can only be applied to `async fn`s",
        ));
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "`#[scw_private]` cannot be applied to an `unsafe fn`; a handler is safe to call",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "`#[scw_private]` cannot be applied to an `extern fn`",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "`#[scw_private]` cannot be applied to a variadic function",
        ));
    }
    for input in &sig.inputs {
        match input {
            // A tonic method, which `expand` refuses before this is asked.
            FnArg::Receiver(_) => {}
            FnArg::Typed(param) if args.public_if_env.is_some() && is_claims(&param.ty) => {
                errors.push(syn::Error::new_spanned(
                    &param.ty,
                    "a `public_if_env` handler cannot take `Claims`; there are none when the container is public, so take `Option<Claims>`",
                ));
            }
            FnArg::Typed(param) if args.platform_iam.is_some() && is_claims(&param.ty) => {
                errors.push(syn::Error::new_spanned(
                    &param.ty,
                    "a `platform_iam` handler cannot take `Claims`; there are none when the platform's edge vouches for the call, so take `Option<Claims>`",
                ));
            }
            FnArg::Typed(_) => {}
        }
    }
    if let Some(extra) = sig.inputs.iter().nth(MAX_HANDLER_PARAMS) {
        errors.push(syn::Error::new_spanned(
            extra,
            format!(
                "`#[scw_private]` adds a parameter of its own, so a handler can take at most {MAX_HANDLER_PARAMS}; this is one too many"
            ),
        ));
    }
    errors.finish()
}

/// Whether `ty` names the runtime's claims type (`Claims`, `scw_private::Claims`, ...), not
/// wrapped in `Option`.
fn is_claims(ty: &Type) -> bool {
    match ty {
        Type::Paren(inner) => is_claims(&inner.elem),
        Type::Group(inner) => is_claims(&inner.elem),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|last| {
            last.ident == "Claims" && matches!(last.arguments, PathArguments::None)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_claims_type_by_its_last_segment() {
        for ty in [
            "Claims",
            "scw_private::Claims",
            "::scw_private::Claims",
            "(Claims)",
        ] {
            assert!(is_claims(&syn::parse_str(ty).unwrap()), "{ty}");
        }
        for ty in ["Option<Claims>", "MyClaims", "Claims<T>", "&Claims"] {
            assert!(!is_claims(&syn::parse_str(ty).unwrap()), "{ty}");
        }
    }

    #[test]
    fn a_route_is_one_non_empty_segment() {
        let route_error = |route: &str| {
            let parsed: Args = syn::parse_str(&format!("route = {route:?}")).unwrap();
            args(&parsed).err().map(|e| e.to_string())
        };
        assert_eq!(route_error("GetHTTPStatus"), None);
        for bad in ["", "a/b", "/GetHTTPStatus"] {
            let error = route_error(bad).unwrap_or_default();
            assert!(error.contains("name in its gRPC route"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn header_names_are_rfc_9110_tokens() {
        assert!(is_header_name("X-Auth-Token"));
        assert!(is_header_name("scw_functions_token"));
        for bad in ["", "X Token", "X:Token", "Tök", "X\nY"] {
            assert!(!is_header_name(bad), "{bad:?}");
        }
    }

    fn function_errors(args: &str, item: &str) -> String {
        let args: Args = syn::parse_str(args).unwrap();
        let item: syn::ItemFn = syn::parse_str(item).unwrap();
        function(&item.sig, &args).map_or_else(|e| e.to_string(), |()| String::new())
    }

    #[test]
    fn claims_needs_a_token_route_and_option_claims_does_not() {
        for args in ["public_if_env", "platform_iam"] {
            let refused = function_errors(args, "async fn h(c: Claims) {}");
            assert!(
                refused.contains("cannot take `Claims`"),
                "{args}: {refused}"
            );
            assert!(refused.contains(args), "{args}: {refused}");
            assert_eq!(
                function_errors(args, "async fn h(c: Option<Claims>) {}"),
                ""
            );
            assert_eq!(function_errors(args, "async fn h(x: u8) {}"), "");
        }
        assert_eq!(function_errors("", "async fn h(c: Claims) {}"), "");
        assert_eq!(function_errors("container", "async fn h(c: Claims) {}"), "");
    }

    #[test]
    fn a_header_name_that_is_no_token_is_refused() {
        let check = |args: &str| {
            let args: Args = syn::parse_str(args).unwrap();
            super::args(&args).map_or_else(|e| e.to_string(), |()| String::new())
        };
        assert_eq!(check(r#"header = "X-Admin-Token""#), "");
        assert_eq!(
            check(r#"header = "X Admin""#),
            "`X Admin` is not a valid HTTP header name"
        );
    }

    #[test]
    fn claims_behind_a_type_group_or_a_qualified_path() {
        // What a `macro_rules!` fragment hands on: a type in an invisible group.
        let grouped = Type::Group(syn::TypeGroup {
            attrs: Vec::new(),
            group_token: Default::default(),
            elem: Box::new(syn::parse_str("Claims").unwrap()),
        });
        assert!(is_claims(&grouped));
        // `<T as Trait>::Claims` is an associated type, not the runtime's claims.
        assert!(!is_claims(&syn::parse_str("<T as Trait>::Claims").unwrap()));
    }
}
