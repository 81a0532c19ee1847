//! The attribute's arguments, parsed with every keyword kept beside its value so errors can
//! point at the keyword (a duplicate) or at the value (a bad one).

use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Path, Token};

pub(crate) mod kw {
    syn::custom_keyword!(namespace);
    syn::custom_keyword!(container);
    syn::custom_keyword!(namespace_id);
    syn::custom_keyword!(container_id);
    syn::custom_keyword!(public_if_env);
    syn::custom_keyword!(platform_iam);
    syn::custom_keyword!(header);
    syn::custom_keyword!(on_reject);
    syn::custom_keyword!(route);
}

/// `#[scw_private(...)]` as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) namespace: Option<kw::namespace>,
    pub(crate) container: Option<kw::container>,
    pub(crate) namespace_id: Option<(kw::namespace_id, LitStr)>,
    pub(crate) container_id: Option<(kw::container_id, LitStr)>,
    pub(crate) public_if_env: Option<kw::public_if_env>,
    pub(crate) platform_iam: Option<kw::platform_iam>,
    pub(crate) header: Option<(kw::header, LitStr)>,
    pub(crate) on_reject: Option<(kw::on_reject, Path)>,
    pub(crate) route: Option<(kw::route, LitStr)>,
    pub(crate) krate: Option<(Token![crate], Path)>,
}

impl Args {
    /// The tokens of every argument but `crate`: what says something of a policy.
    pub(crate) fn policy_keywords(&self) -> Vec<proc_macro2::TokenStream> {
        let mut keywords = Vec::new();
        let mut push = |keyword: Option<&dyn quote::ToTokens>| {
            if let Some(keyword) = keyword {
                keywords.push(keyword.to_token_stream());
            }
        };
        push(self.namespace.as_ref().map(|k| k as _));
        push(self.container.as_ref().map(|k| k as _));
        push(self.namespace_id.as_ref().map(|(k, _)| k as _));
        push(self.container_id.as_ref().map(|(k, _)| k as _));
        push(self.public_if_env.as_ref().map(|k| k as _));
        push(self.platform_iam.as_ref().map(|k| k as _));
        push(self.header.as_ref().map(|(k, _)| k as _));
        push(self.on_reject.as_ref().map(|(k, _)| k as _));
        push(self.route.as_ref().map(|(k, _)| k as _));
        keywords
    }
}

const EXPECTED: &str = "expected one of `namespace`, `container`, `namespace_id`, `container_id`, \
                        `public_if_env`, `platform_iam`, `header`, `on_reject`, `route`, `crate`";

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::namespace) {
                flag(input, &mut args.namespace, "namespace")?;
            } else if lookahead.peek(kw::container) {
                flag(input, &mut args.container, "container")?;
            } else if lookahead.peek(kw::public_if_env) {
                flag(input, &mut args.public_if_env, "public_if_env")?;
            } else if lookahead.peek(kw::platform_iam) {
                flag(input, &mut args.platform_iam, "platform_iam")?;
            } else if lookahead.peek(kw::namespace_id) {
                string(input, &mut args.namespace_id, "namespace_id")?;
            } else if lookahead.peek(kw::container_id) {
                string(input, &mut args.container_id, "container_id")?;
            } else if lookahead.peek(kw::header) {
                string(input, &mut args.header, "header")?;
            } else if lookahead.peek(kw::route) {
                string(input, &mut args.route, "route")?;
            } else if lookahead.peek(kw::on_reject) {
                let expected = "the path of a function, like `on_reject = my_rejection`";
                path(input, &mut args.on_reject, "on_reject", expected)?;
            } else if lookahead.peek(Token![crate]) {
                let expected = "the path of the `scw_private` crate, like `crate = ::my_scw`";
                path(input, &mut args.krate, "crate", expected)?;
            } else if input.peek(syn::Ident) {
                let unknown: syn::Ident = input.parse()?;
                let message = match closest(&unknown.to_string()) {
                    Some(known) => format!("unknown argument `{unknown}`; did you mean `{known}`?"),
                    None => format!("unknown argument `{unknown}`; {EXPECTED}"),
                };
                return Err(syn::Error::new_spanned(&unknown, message));
            } else {
                return Err(lookahead.error());
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

/// Every argument's keyword, for "did you mean".
const KEYWORDS: [&str; 10] = [
    "namespace",
    "container",
    "namespace_id",
    "container_id",
    "public_if_env",
    "platform_iam",
    "header",
    "on_reject",
    "route",
    "crate",
];

/// The keyword a misspelt argument most likely meant: within two edits, and closer than any
/// other.
fn closest(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    KEYWORDS
        .iter()
        .map(|known| (edits(&unknown, known), *known))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance, by bytes: keywords are ASCII.
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A flag: `name` alone.
fn flag<K>(input: ParseStream<'_>, slot: &mut Option<K>, name: &str) -> syn::Result<()>
where
    K: Parse + quote::ToTokens + Copy,
{
    let keyword: K = input.parse()?;
    no_value(input, name)?;
    set(slot, keyword, keyword, name)
}

/// `name = "..."`.
fn string<K>(input: ParseStream<'_>, slot: &mut Option<(K, LitStr)>, name: &str) -> syn::Result<()>
where
    K: Parse + quote::ToTokens + Copy,
{
    let keyword: K = input.parse()?;
    let value = string_value(input, &keyword, name)?;
    set(slot, (keyword, value), keyword, name)
}

/// `name = path`.
fn path<K>(
    input: ParseStream<'_>,
    slot: &mut Option<(K, Path)>,
    name: &str,
    expected: &str,
) -> syn::Result<()>
where
    K: Parse + quote::ToTokens + Copy,
{
    let keyword: K = input.parse()?;
    let value = path_value(input, &keyword, name, expected)?;
    set(slot, (keyword, value), keyword, name)
}

/// Stores `value` unless the argument was already given; the error points at the repeat.
fn set<T>(
    slot: &mut Option<T>,
    value: T,
    keyword: impl quote::ToTokens,
    name: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new_spanned(
            keyword,
            format!("`{name}` specified more than once"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

/// Flags take no value: `public_if_env = true` is an error on `= true`.
fn no_value(input: ParseStream<'_>, name: &str) -> syn::Result<()> {
    if input.peek(Token![=]) || input.peek(syn::token::Paren) {
        let value = value_tokens(input)?;
        return Err(syn::Error::new_spanned(
            value,
            format!("`{name}` takes no value; write `{name}` alone"),
        ));
    }
    Ok(())
}

/// `= "..."`.
fn string_value(
    input: ParseStream<'_>,
    keyword: &impl quote::ToTokens,
    name: &str,
) -> syn::Result<LitStr> {
    if !input.peek(Token![=]) {
        let message = format!("`{name}` takes a value; write `{name} = \"...\"`");
        return Err(syn::Error::new_spanned(keyword, message));
    }
    input.parse::<Token![=]>()?;
    if input.peek(LitStr) {
        return input.parse();
    }
    let value = value_tokens(input)?;
    Err(syn::Error::new_spanned(
        value,
        format!("`{name}` takes a string literal, like `{name} = \"...\"`"),
    ))
}

/// `= path`.
fn path_value(
    input: ParseStream<'_>,
    keyword: &impl quote::ToTokens,
    name: &str,
    expected: &str,
) -> syn::Result<Path> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new_spanned(
            keyword,
            format!("`{name}` takes {expected}"),
        ));
    }
    input.parse::<Token![=]>()?;
    let fork = input.fork();
    if fork.call(Path::parse_mod_style).is_ok() && (fork.is_empty() || fork.peek(Token![,])) {
        return input.call(Path::parse_mod_style);
    }
    let value = value_tokens(input)?;
    Err(syn::Error::new_spanned(
        value,
        format!("`{name}` takes {expected}"),
    ))
}

/// Everything up to the next top-level comma, for pointing an error at a whole value.
fn value_tokens(input: ParseStream<'_>) -> syn::Result<proc_macro2::TokenStream> {
    input.step(|cursor| {
        let mut rest = *cursor;
        let mut tokens = proc_macro2::TokenStream::new();
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            tokens.extend([tt]);
            rest = next;
        }
        if tokens.is_empty() {
            return Err(cursor.error("expected a value"));
        }
        Ok((tokens, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &str) -> Result<Args, String> {
        syn::parse_str::<Args>(args).map_err(|e| e.to_string())
    }

    /// The columns an argument error covers: its start and its end.
    fn error_columns(args: &str) -> (usize, usize) {
        let span = syn::parse_str::<Args>(args).err().unwrap().span();
        (span.start().column, span.end().column)
    }

    #[test]
    fn errors_point_at_the_whole_offending_value() {
        // `= true` and `(true)`: the value a flag must not take.
        assert_eq!(error_columns("public_if_env = true, container"), (14, 20));
        assert_eq!(error_columns("platform_iam(true)"), (12, 18));
        // The value, up to the next comma, whatever it is made of.
        assert_eq!(error_columns("header = X-Token, container"), (9, 16));
        assert_eq!(error_columns("on_reject = 1 + 2"), (12, 17));
        // A missing value: the keyword.
        assert_eq!(error_columns("container, header"), (11, 17));
    }

    #[test]
    fn a_misspelt_argument_gets_a_suggestion() {
        for (typed, meant) in [
            ("contianer", "container"),
            ("Container", "container"),
            ("namespce", "namespace"),
            ("platform_am", "platform_iam"),
            ("heder", "header"),
            ("routes", "route"),
        ] {
            let error = parse(typed).err().unwrap();
            assert!(
                error.contains(&format!("did you mean `{meant}`?")),
                "{typed}: {error}"
            );
        }
        let error = parse("scope").err().unwrap();
        assert!(error.contains("expected one of"), "{error}");
        assert_eq!(edits("abc", "abc"), 0);
        assert_eq!(edits("abc", "abd"), 1);
        assert_eq!(edits("", "ab"), 2);
        assert_eq!(edits("ab", ""), 2);
        assert_eq!(edits("ab", "ba"), 2);
    }

    #[test]
    fn flags_take_no_value() {
        for args in [
            "public_if_env = true",
            "platform_iam(true)",
            "container = \"x\"",
        ] {
            let error = parse(args).err().unwrap_or_default();
            assert!(error.contains("takes no value; write"), "{args}: {error}");
        }
        assert!(parse("public_if_env, container").is_ok());
    }

    #[test]
    fn strings_take_a_string_literal() {
        let args = parse(r#"header = "X-Token", namespace_id = "ns""#).unwrap();
        assert_eq!(args.header.unwrap().1.value(), "X-Token");
        assert_eq!(args.namespace_id.unwrap().1.value(), "ns");
        assert_eq!(
            parse("header").err().unwrap(),
            "`header` takes a value; write `header = \"...\"`"
        );
        assert_eq!(
            parse("header = X").err().unwrap(),
            "`header` takes a string literal, like `header = \"...\"`"
        );
    }

    #[test]
    fn paths_take_a_path_and_nothing_after_it() {
        let args = parse("on_reject = my::refusal, crate = ::renamed").unwrap();
        let on_reject = args.on_reject.unwrap().1;
        assert_eq!(quote::quote!(#on_reject).to_string(), "my :: refusal");
        for args in [
            "on_reject = my::refusal()",
            "on_reject = \"f\"",
            "on_reject",
        ] {
            let error = parse(args).err().unwrap_or_default();
            assert!(
                error.starts_with("`on_reject` takes the path of a function"),
                "{args}: {error}"
            );
        }
    }
}
