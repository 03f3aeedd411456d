//! Checking the annotated function and writing its expansion.
//!
//! Both attributes follow the same steps:
//!
//! 1. Read the arguments ([`Options::parse`]); a bad one keeps its default.
//! 2. Read the item as a function; if it is not one there is nothing to expand, and the
//!    item is given back unchanged beside the error.
//! 3. Check the signature: `async`, no arguments, no generic parameters (and, for a test,
//!    no `#[test]` of its own). Each mistake is an error spanned on the offending tokens.
//! 4. Expand anyway, leaving out what was wrong (arguments, generics, a second `#[test]`),
//!    and put the errors beside the expansion as `compile_error!`s. The user then sees
//!    our messages and not a cascade such as "`main` function not found" or "`main`
//!    function is not allowed to be `async`".

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::{AttrStyle, Attribute, Block, Generics, Ident, Item, ItemFn};

use crate::args::{Errors, Flavor, Kind, Options};

/// Expands `#[goro::main(args)]` on `item`.
pub(crate) fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Main, args, item)
}

/// Expands `#[goro::test(args)]` on `item`.
pub(crate) fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Test, args, item)
}

fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (options, args_error) = Options::parse(kind, args);
    errors.extend(args_error);

    let function = match parse_function(kind, item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return with_errors(item, errors);
        }
    };

    let function = check(kind, function, &mut errors);
    let call = match kind {
        Kind::Main => main_call(&options),
        Kind::Test => test_call(&options),
    };
    with_errors(emit(kind, function, call), errors)
}

/// Reads `item` as a function, with a clear message if it is some other item.
fn parse_function(kind: Kind, item: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<Item>(item)? {
        Item::Fn(function) => Ok(function),
        other => {
            let message = format!("`{}` can only be used on an `async fn`", kind.attribute());
            Err(syn::Error::new(first_token_span(&other), message))
        }
    }
}

/// The span of an item's first token (its `struct`, `impl`, … keyword, or an attribute),
/// short enough for an error to point at without underlining the whole item.
fn first_token_span(item: &Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}

/// Checks the signature of `function`, recording each mistake in `errors`, and removes
/// what would make the expansion fail again for the same mistake.
fn check(kind: Kind, mut function: ItemFn, errors: &mut Errors) -> ItemFn {
    let sig = &mut function.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "the `async` keyword is missing from the function declaration",
        ));
    }
    // A sync function is expanded like an async one: its body is a valid `async` block.
    sig.asyncness = None;

    if !sig.inputs.is_empty() {
        let message = match kind {
            Kind::Main => "`main` cannot take arguments; read them with `std::env::args()`",
            Kind::Test => "test functions cannot take arguments",
        };
        errors.push(syn::Error::new_spanned(&sig.inputs, message));
        sig.inputs.clear();
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let message = match kind {
            Kind::Main => "`main` cannot have generic parameters",
            Kind::Test => "test functions cannot have generic parameters",
        };
        errors.push(syn::Error::new_spanned(&sig.generics, message));
        sig.generics = Generics::default();
    }
    if let Some(variadic) = sig.variadic.take() {
        errors.push(syn::Error::new_spanned(
            variadic,
            "unexpected variadic argument",
        ));
    }

    if kind == Kind::Test {
        function.attrs.retain(|attr| {
            if !is_test_attribute(attr) {
                return true;
            }
            errors.push(syn::Error::new_spanned(
                attr,
                "`#[goro::test]` already makes this function a test; remove this attribute",
            ));
            false
        });
    }
    function
}

/// Whether `attr` makes a test of its own: the built-in `#[test]` (written plainly or
/// through a prelude path), or another runtime's `#[krate::test]`, `#[goro::test]` included.
fn is_test_attribute(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    match segments.as_slice() {
        [test] | [_, test] => test == "test",
        [krate, prelude, _edition, test] => {
            (krate == "core" || krate == "std") && prelude == "prelude" && test == "test"
        }
        _ => false,
    }
}

/// Writes the sync function: the user's outer attributes (plus `#[test]` for a test),
/// visibility and checked signature, and a body that hands the user's body, as an
/// `async move` block, to `call` (`block_on_main` or `run_test`).
fn emit(kind: Kind, function: ItemFn, call: Call) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    // syn keeps a body's inner attributes (`#![allow(..)]`) with the outer ones; they
    // stay at the top of the generated body.
    let (inner, outer): (Vec<Attribute>, Vec<Attribute>) = attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Inner(_)));
    let test_attribute = match kind {
        Kind::Main => quote! {},
        Kind::Test => quote! { #[::core::prelude::v1::test] },
    };
    let Call { function, options } = call;
    let span = tail_span(&block);
    let function = Ident::new(function, span);
    let body = quote_spanned! {span=>
        ::goro::__private::#function(#options, async move #block)
    };
    quote! {
        #test_attribute
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #body
        }
    }
}

/// Where the call that runs the body is said to be: the last token of the body's last
/// statement (or the braces of an empty body). A mismatch between what the body gives and
/// the return type then points at the user's tail expression, not at the attribute.
fn tail_span(block: &Block) -> Span {
    block
        .stmts
        .last()
        .and_then(|stmt| stmt.to_token_stream().into_iter().last())
        .map_or_else(|| block.brace_token.span.join(), |token| token.span())
}

/// What a function hands its body to: the runtime entry point and its first argument.
struct Call {
    /// `block_on_main` or `run_test`, in goro's `__private` module.
    function: &'static str,
    /// The `Flavor` of `block_on_main`, or the `TestOptions` of `run_test`.
    options: TokenStream,
}

/// `::goro::__private::block_on_main(flavor, ..)`.
fn main_call(options: &Options) -> Call {
    Call {
        function: "block_on_main",
        options: flavor(options),
    }
}

/// `::goro::__private::run_test(TestOptions { .. }, ..)`.
fn test_call(options: &Options) -> Call {
    let flavor = flavor(options);
    let timeout_ms = option(options.timeout_ms.map(|n| quote!(#n)));
    let allow_leaks = options.allow_leaks;
    let start_paused = options.start_paused;
    Call {
        function: "run_test",
        options: quote! {
            ::goro::__private::TestOptions {
                flavor: #flavor,
                timeout_ms: #timeout_ms,
                allow_leaks: #allow_leaks,
                start_paused: #start_paused,
            }
        },
    }
}

/// The runtime the options ask for, as goro's `__private::Flavor`.
fn flavor(options: &Options) -> TokenStream {
    match options.flavor {
        Flavor::CurrentThread => quote! { ::goro::__private::Flavor::CurrentThread },
        Flavor::MultiThread => {
            let worker_threads = option(options.worker_threads.map(|n| quote!(#n)));
            quote! {
                ::goro::__private::Flavor::MultiThread { worker_threads: #worker_threads }
            }
        }
    }
}

/// `Some(value)` or `None`, by absolute path.
fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote! { ::core::option::Option::Some(#value) },
        None => quote! { ::core::option::Option::None },
    }
}

/// `tokens` preceded by one `compile_error!` per error.
fn with_errors(tokens: TokenStream, errors: Errors) -> TokenStream {
    match errors.into_inner() {
        Some(error) => {
            let mut out = error.into_compile_error();
            out.extend(tokens);
            out
        }
        None => tokens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compares token streams by their printed form without whitespace, which ignores
    /// spans and whether `>>` was written as one token or two.
    fn assert_tokens(actual: TokenStream, expected: TokenStream) {
        let print = |tokens: TokenStream| tokens.to_string().replace(' ', "");
        assert_eq!(print(actual), print(expected));
    }

    #[test]
    fn main_expansion() {
        let item = quote! {
            /// Docs.
            pub async fn main() -> Result<(), Box<dyn Error>> {
                #![allow(unused)]
                work().await?;
                Ok(())
            }
        };
        let expected = quote! {
            /// Docs.
            pub fn main() -> Result<(), Box<dyn Error>> {
                #![allow(unused)]
                ::goro::__private::block_on_main(
                    ::goro::__private::Flavor::MultiThread {
                        worker_threads: ::core::option::Option::Some(2usize)
                    },
                    async move {
                        work().await?;
                        Ok(())
                    }
                )
            }
        };
        assert_tokens(main(quote! { worker_threads = 2 }, item), expected);
    }

    #[test]
    fn test_expansion_keeps_other_attributes() {
        let item = quote! {
            #[should_panic]
            async fn fails() { panic!() }
        };
        let expected = quote! {
            #[::core::prelude::v1::test]
            #[should_panic]
            fn fails() {
                ::goro::__private::run_test(
                    ::goro::__private::TestOptions {
                        flavor: ::goro::__private::Flavor::CurrentThread,
                        timeout_ms: ::core::option::Option::Some(100u64),
                        allow_leaks: true,
                        start_paused: false,
                    },
                    async move { panic!() }
                )
            }
        };
        assert_tokens(
            test(
                quote! { timeout_ms = 100, allow_leaks, flavor = "current_thread" },
                item,
            ),
            expected,
        );
    }

    #[test]
    fn a_mistake_still_expands_without_the_offending_part() {
        let item = quote! { async fn main(args: Vec<String>) {} };
        let output = main(TokenStream::new(), item).to_string();
        assert!(output.starts_with(":: core :: compile_error !"), "{output}");
        assert!(output.contains("fn main () {"), "{output}");
        assert!(output.contains("block_on_main"), "{output}");
    }
}
