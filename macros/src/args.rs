//! The arguments inside the attribute's parentheses: `worker_threads = 4, allow_leaks`,
//! `flavor = "current_thread"`.
//!
//! Parsing happens in two steps:
//!
//! 1. [`RawArg`] reads the shape every argument shares, a name and, after `=`, an optional
//!    value, so that a syntax slip is reported once, at the token where it happens.
//! 2. [`Options::parse`] gives each name its meaning for one attribute ([`Kind`]), checks
//!    values (and that they fit together: `worker_threads` needs the multi-thread flavor),
//!    and collects every mistake (unknown name, duplicate, bad value, clash) into one
//!    [`syn::Error`], so the user sees them all in a single build. The options it returns
//!    are usable even when there are errors: a bad argument keeps its default, which lets
//!    the caller still expand the function and spare the user cascading errors.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, LitInt, Token};

/// Which attribute the arguments belong to; each accepts its own names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[goro::main]`.
    Main,
    /// `#[goro::test]`.
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for error messages.
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[goro::main]",
            Kind::Test => "#[goro::test]",
        }
    }

    /// The argument names this attribute accepts, in the order the docs list them.
    fn accepted(self) -> &'static [&'static str] {
        match self {
            Kind::Main => &[FLAVOR, WORKER_THREADS],
            Kind::Test => &[
                FLAVOR,
                WORKER_THREADS,
                TIMEOUT_MS,
                ALLOW_LEAKS,
                START_PAUSED,
            ],
        }
    }
}

const FLAVOR: &str = "flavor";
const WORKER_THREADS: &str = "worker_threads";
const TIMEOUT_MS: &str = "timeout_ms";
const ALLOW_LEAKS: &str = "allow_leaks";
const START_PAUSED: &str = "start_paused";

/// The runtime an attribute asks for: `flavor = "multi_thread"` (the default) or
/// `flavor = "current_thread"`, tokio's names and spelling.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Worker threads run the tasks.
    #[default]
    MultiThread,
    /// The thread that runs the body runs the tasks too.
    CurrentThread,
}

const MULTI_THREAD: &str = "multi_thread";
const CURRENT_THREAD: &str = "current_thread";

/// The options of one attribute, each at its default unless the user gave a valid value.
///
/// `#[goro::main]` only ever sets `flavor` and `worker_threads`; the other fields keep their
/// defaults.
#[derive(Debug, Default)]
pub(crate) struct Options {
    /// `flavor = "..."`.
    pub(crate) flavor: Flavor,
    /// `worker_threads = N` with `N >= 1`; `None` leaves the choice to the runtime. Always
    /// `None` with the current-thread flavor.
    pub(crate) worker_threads: Option<usize>,
    /// `timeout_ms = N` with `N >= 1`; `None` means no timeout.
    pub(crate) timeout_ms: Option<u64>,
    /// The `allow_leaks` flag.
    pub(crate) allow_leaks: bool,
    /// `start_paused = true | false`.
    pub(crate) start_paused: bool,
}

impl Options {
    /// Reads the attribute's arguments for `kind`.
    ///
    /// Returns the options (bad arguments left at their defaults) and, if anything was
    /// wrong, one error holding every mistake found.
    pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> (Options, Option<syn::Error>) {
        let mut options = Options::default();
        let raw = match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(tokens) {
            Ok(raw) => raw,
            Err(error) => return (options, Some(error)),
        };

        let mut errors = Errors::default();
        let mut seen: Vec<String> = Vec::new();
        // Where `worker_threads` was written, for the clash with the current-thread flavor.
        let mut worker_threads_at = None;
        for arg in raw {
            let name = arg.name.unraw().to_string();
            if !kind.accepted().contains(&name.as_str()) {
                errors.push(syn::Error::new(arg.name.span(), unknown(kind, &name)));
                continue;
            }
            if seen.contains(&name) {
                let message = format!("duplicate argument `{name}`");
                errors.push(syn::Error::new(arg.name.span(), message));
                continue;
            }
            seen.push(name.clone());

            let result = match name.as_str() {
                FLAVOR => arg.flavor().map(|flavor| options.flavor = flavor),
                WORKER_THREADS => {
                    worker_threads_at = Some(arg.name.span());
                    arg.positive_int(WORKER_THREADS, "usize", "4")
                        .map(|n| options.worker_threads = Some(n))
                }
                TIMEOUT_MS => arg
                    .positive_int(TIMEOUT_MS, "u64", "5000")
                    .map(|n| options.timeout_ms = Some(n)),
                ALLOW_LEAKS => arg.flag(ALLOW_LEAKS).map(|()| options.allow_leaks = true),
                START_PAUSED => arg.bool(START_PAUSED).map(|b| options.start_paused = b),
                _ => unreachable!("`{name}` is in `Kind::accepted` but has no meaning"),
            };
            if let Err(error) = result {
                errors.push(error);
            }
        }
        if let (Flavor::CurrentThread, Some(at)) = (options.flavor, worker_threads_at) {
            let message = format!(
                "`{WORKER_THREADS}` needs the multi-thread flavor: a current-thread runtime runs \
                 its tasks on the one thread that runs the function. Remove `{WORKER_THREADS}`, \
                 or write `{FLAVOR} = \"{MULTI_THREAD}\"`"
            );
            errors.push(syn::Error::new(at, message));
            options.worker_threads = None;
        }
        (options, errors.into_inner())
    }
}

/// The message for a name the attribute does not accept, listing the ones it does.
fn unknown(kind: Kind, name: &str) -> String {
    let attribute = kind.attribute();
    let mut message = match kind {
        Kind::Main if Kind::Test.accepted().contains(&name) => format!(
            "`{name}` is only accepted by `#[goro::test]`; \
             `{attribute}` accepts only `{FLAVOR}` and `{WORKER_THREADS}`"
        ),
        Kind::Main => format!(
            "unknown argument `{name}`; `{attribute}` accepts only `{FLAVOR}` and \
             `{WORKER_THREADS}`"
        ),
        Kind::Test => format!(
            "unknown argument `{name}`; `{attribute}` accepts `{FLAVOR}`, `{WORKER_THREADS}`, \
             `{TIMEOUT_MS}`, `{ALLOW_LEAKS}` and `{START_PAUSED}`"
        ),
    };
    if name == "flavour" {
        message.push_str("; the flavor is spelled as in tokio: `flavor`");
    }
    message
}

/// One argument as written: `name` or `name = value`.
struct RawArg {
    name: Ident,
    value: Option<(Token![=], Expr)>,
}

impl Parse for RawArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `parse_any` also takes keywords, so `#[goro::test(async)]` reads as an unknown
        // argument rather than as a puzzling "expected identifier".
        let name = Ident::parse_any(input).map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected an argument name, such as `worker_threads`",
            )
        })?;
        let value = if input.peek(Token![=]) {
            Some((input.parse()?, input.parse()?))
        } else if input.is_empty() || input.peek(Token![,]) {
            None
        } else {
            let message = format!("expected `=` or `,` after `{}`", name.unraw());
            return Err(input.error(message));
        };
        Ok(RawArg { name, value })
    }
}

impl RawArg {
    /// The value of `name = N` where `N` is an integer literal of at least 1 that fits `T`
    /// (`ty` names `T`, and is the one suffix accepted besides none).
    fn positive_int<T>(&self, name: &str, ty: &str, example: &str) -> syn::Result<T>
    where
        T: std::str::FromStr + PartialEq + From<u8>,
        T::Err: std::fmt::Display,
    {
        let expected =
            || format!("`{name}` must be a positive integer literal, such as `{name} = {example}`");
        let Some((_, value)) = &self.value else {
            let message = format!("`{name}` needs a value, such as `{name} = {example}`");
            return Err(syn::Error::new(self.name.span(), message));
        };
        let Some(Lit::Int(literal)) = literal(value) else {
            return Err(syn::Error::new_spanned(value, expected()));
        };
        check_suffix(literal, ty)?;
        let n: T = literal.base10_parse().map_err(|_| {
            syn::Error::new(literal.span(), format!("`{name}` must fit in a `{ty}`"))
        })?;
        if n == T::from(0) {
            return Err(syn::Error::new(
                literal.span(),
                format!("`{name}` must be at least 1"),
            ));
        }
        Ok(n)
    }

    /// Checks that a flag such as `allow_leaks` came without a value.
    fn flag(&self, name: &str) -> syn::Result<()> {
        match &self.value {
            None => Ok(()),
            Some((eq, value)) => {
                let mut tokens = eq.to_token_stream();
                value.to_tokens(&mut tokens);
                let message = format!("`{name}` is a flag and takes no value; write `{name}`");
                Err(syn::Error::new_spanned(tokens, message))
            }
        }
    }

    /// The value of `flavor = "multi_thread"` or `flavor = "current_thread"`.
    fn flavor(&self) -> syn::Result<Flavor> {
        let choices =
            format!("`{FLAVOR} = \"{MULTI_THREAD}\"` or `{FLAVOR} = \"{CURRENT_THREAD}\"`");
        let Some((_, value)) = &self.value else {
            let message = format!("`{FLAVOR}` needs a value: {choices}");
            return Err(syn::Error::new(self.name.span(), message));
        };
        match literal(value) {
            Some(Lit::Str(s)) if s.value() == MULTI_THREAD => Ok(Flavor::MultiThread),
            Some(Lit::Str(s)) if s.value() == CURRENT_THREAD => Ok(Flavor::CurrentThread),
            _ => {
                let message = format!(
                    "`{FLAVOR}` must be the string \"{MULTI_THREAD}\" or \"{CURRENT_THREAD}\": \
                     write {choices}"
                );
                Err(syn::Error::new_spanned(value, message))
            }
        }
    }

    /// The value of `name = true` or `name = false`.
    fn bool(&self, name: &str) -> syn::Result<bool> {
        let Some((_, value)) = &self.value else {
            let message = format!("`{name}` needs a value: `{name} = true` or `{name} = false`");
            return Err(syn::Error::new(self.name.span(), message));
        };
        match literal(value) {
            Some(Lit::Bool(b)) => Ok(b.value),
            _ => {
                let message = format!("`{name}` must be `true` or `false`");
                Err(syn::Error::new_spanned(value, message))
            }
        }
    }
}

/// The literal a value is, seeing through the invisible groups that `macro_rules!` puts
/// around an `$n:expr` it forwards; `None` for anything that is not a literal.
fn literal(mut value: &Expr) -> Option<&Lit> {
    loop {
        match value {
            Expr::Lit(expr) => return Some(&expr.lit),
            Expr::Group(group) => value = &group.expr,
            _ => return None,
        }
    }
}

/// Accepts `4` and `4usize` (for `ty` = `usize`) but not `4u8`, which would be a lie.
fn check_suffix(literal: &LitInt, ty: &str) -> syn::Result<()> {
    let suffix = literal.suffix();
    if suffix.is_empty() || suffix == ty {
        return Ok(());
    }
    let message = format!(
        "expected a `{ty}`, found a `{suffix}` literal; write `{}`",
        literal.base10_digits()
    );
    Err(syn::Error::new(literal.span(), message))
}

/// Every error found so far, combined into one so that all of them get reported.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `error` to the ones already collected.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds every error in `error`, if there is one.
    pub(crate) fn extend(&mut self, error: Option<syn::Error>) {
        if let Some(error) = error {
            self.push(error);
        }
    }

    /// The combined error, or `None` if nothing went wrong.
    pub(crate) fn into_inner(self) -> Option<syn::Error> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(kind: Kind, tokens: TokenStream) -> Options {
        let (options, error) = Options::parse(kind, tokens);
        assert!(error.is_none(), "unexpected error: {error:?}");
        options
    }

    fn messages(kind: Kind, tokens: TokenStream) -> Vec<String> {
        let (_, error) = Options::parse(kind, tokens);
        error.into_iter().flatten().map(|e| e.to_string()).collect()
    }

    #[test]
    fn no_arguments_means_defaults() {
        let options = parse(Kind::Test, quote! {});
        assert_eq!(options.worker_threads, None);
        assert_eq!(options.timeout_ms, None);
        assert!(!options.allow_leaks);
        assert!(!options.start_paused);
    }

    #[test]
    fn every_test_argument() {
        let tokens = quote! {
            worker_threads = 3, timeout_ms = 1_500u64, allow_leaks, start_paused = true,
        };
        let options = parse(Kind::Test, tokens);
        assert_eq!(options.worker_threads, Some(3));
        assert_eq!(options.timeout_ms, Some(1500));
        assert!(options.allow_leaks);
        assert!(options.start_paused);
    }

    #[test]
    fn both_flavors_by_tokio_s_names() {
        let options = parse(Kind::Main, quote! { flavor = "current_thread" });
        assert_eq!(options.flavor, Flavor::CurrentThread);
        let options = parse(
            Kind::Test,
            quote! { flavor = "multi_thread", worker_threads = 3 },
        );
        assert_eq!(options.flavor, Flavor::MultiThread);
        assert_eq!(options.worker_threads, Some(3));
        assert_eq!(parse(Kind::Test, quote! {}).flavor, Flavor::MultiThread);
    }

    #[test]
    fn worker_threads_with_the_current_thread_flavor_is_an_error() {
        let tokens = quote! { worker_threads = 2, flavor = "current_thread" };
        let (options, error) = Options::parse(Kind::Test, tokens);
        let messages: Vec<String> = error.into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 1, "{messages:#?}");
        assert!(messages[0].contains("needs the multi-thread flavor"));
        assert_eq!(options.flavor, Flavor::CurrentThread);
        assert_eq!(options.worker_threads, None);
    }

    #[test]
    fn a_flavor_is_one_of_two_strings() {
        for tokens in [
            quote! { flavor = "single_thread" },
            quote! { flavor = current_thread },
        ] {
            let found = messages(Kind::Main, tokens);
            assert!(found[0].contains("must be the string"), "{found:?}");
        }
        let found = messages(Kind::Test, quote! { flavor });
        assert!(found[0].contains("needs a value"), "{found:?}");
        let found = messages(Kind::Test, quote! { flavour = "current_thread" });
        assert!(found[0].contains("spelled as in tokio"), "{found:?}");
    }

    #[test]
    fn main_takes_worker_threads() {
        let options = parse(Kind::Main, quote! { worker_threads = 4usize });
        assert_eq!(options.worker_threads, Some(4));
    }

    #[test]
    fn a_value_forwarded_by_macro_rules_is_seen_through_its_group() {
        use proc_macro2::{Delimiter, Group, TokenTree};
        let value = TokenTree::Group(Group::new(Delimiter::None, quote! { 2 }));
        let options = parse(Kind::Test, quote! { worker_threads = #value });
        assert_eq!(options.worker_threads, Some(2));
    }

    #[test]
    fn every_mistake_is_reported_and_the_rest_still_counts() {
        let tokens = quote! {
            worker_threads = 0, bogus, timeout_ms = 9, timeout_ms = 10, allow_leaks = false,
        };
        let (options, error) = Options::parse(Kind::Test, tokens);
        let messages: Vec<String> = error.into_iter().flatten().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert!(messages[0].contains("at least 1"));
        assert!(messages[1].contains("unknown argument `bogus`"));
        assert!(messages[2].contains("duplicate argument `timeout_ms`"));
        assert!(messages[3].contains("is a flag"));
        assert_eq!(options.worker_threads, None);
        assert_eq!(options.timeout_ms, Some(9));
        assert!(!options.allow_leaks);
    }

    #[test]
    fn too_large_values_are_rejected() {
        let tokens = quote! { timeout_ms = 18446744073709551616 };
        assert_eq!(
            messages(Kind::Test, tokens),
            ["`timeout_ms` must fit in a `u64`"]
        );
    }

    #[test]
    fn main_names_the_attribute_a_test_argument_belongs_to() {
        let found = messages(Kind::Main, quote! { timeout_ms = 5 });
        assert!(
            found[0].contains("only accepted by `#[goro::test]`"),
            "{found:?}"
        );
    }
}
