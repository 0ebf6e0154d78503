//! Splitting `network()` into `#[inline(never)]` helper functions.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::generics;
use super::values::rt;

/// Statements of `network()` per helper function: rustc and LLVM take time superlinear in the
/// size of one function, so a big network built in one body compiles slowly (a 200-ensemble
/// network spent most of its build optimising that one function).
const PART_LEN: usize = 8;

/// An identifier's name without `r#`.
pub(super) fn unraw(i: &Ident) -> String {
    let s = i.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// Whether `ts` names a constructor argument, `self` or `Self`: then it must stay in the body of
/// `network()`, where those are in scope. (Items of the block and module items are
/// in scope in a nested `fn` too; a macro from outside cannot name a local, but a format string
/// can, so literals with `{arg}` or `{arg:` count too. An argument named like a field the
/// expansion sets, e.g. `label`, keeps more statements inline: slower to compile, still right.)
fn names_a_local(ts: &TokenStream, args: &[String]) -> bool {
    ts.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => {
            let s = unraw(&i);
            s == "self" || s == "Self" || args.contains(&s)
        }
        proc_macro2::TokenTree::Group(g) => names_a_local(&g.stream(), args),
        // Format strings capture by name: `"{scale}"`, `"{scale:.2}"`.
        proc_macro2::TokenTree::Literal(l) => {
            let s = l.to_string();
            s.contains('{')
                && args
                    .iter()
                    .any(|a| s.contains(&format!("{{{a}}}")) || s.contains(&format!("{{{a}:")))
        }
        _ => false,
    })
}

/// Moves runs of up to [`PART_LEN`] statements that use no local of `network()` into
/// `#[inline(never)] fn __netdsl_part_K(__net: &mut Network)` items (generic over the network's
/// const generics), called in order; the rest stay inline. Returns (the items, the body).
pub(super) fn split_parts(
    statements: Vec<(TokenStream, bool)>,
    args: &[String],
    m_generics: &[crate::parse::GenericInput],
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let p = rt();
    let (gparams, _) = generics(m_generics);
    let gnames: Vec<&Ident> = m_generics.iter().map(|g| &g.name).collect();
    let turbofish = if gnames.is_empty() {
        quote!()
    } else {
        quote!(::<#(#gnames),*>)
    };
    let mut parts = Vec::new();
    let mut body = Vec::new();
    let mut run: Vec<TokenStream> = Vec::new();
    let flush =
        |run: &mut Vec<TokenStream>, parts: &mut Vec<TokenStream>, body: &mut Vec<TokenStream>| {
            if run.is_empty() {
                return;
            }
            let f = format_ident!("__netdsl_part_{}", parts.len());
            parts.push(quote! {
                #[inline(never)]
                fn #f #gparams (__net: &mut #p::network::Network) {
                    #(#run)*
                }
            });
            body.push(quote!(#f #turbofish (&mut __net);));
            run.clear();
        };
    for (st, local) in statements {
        if local || names_a_local(&st, args) {
            flush(&mut run, &mut parts, &mut body);
            body.push(st);
        } else {
            run.push(st);
            if run.len() == PART_LEN {
                flush(&mut run, &mut parts, &mut body);
            }
        }
    }
    flush(&mut run, &mut parts, &mut body);
    (parts, body)
}
