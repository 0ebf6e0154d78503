//! Statements: one `;`-separated statement of a network body to its `StmtInput`.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Token, Type};

use super::values::{parse_end, parse_size, parse_slice};
use super::{
    kw, split_statements, tokens_between, NodeOutputInput, ParamInput, SizeInput, StmtInput,
};

pub(super) fn parse_stmt(input: ParseStream) -> syn::Result<StmtInput> {
    if input.peek(Token![const]) {
        input.parse::<Token![const]>()?;
        let name: Ident = input.parse()?;
        if input.peek(Token![:]) {
            input.parse::<Token![:]>()?;
            let _ty: Type = input.parse()?;
        }
        input.parse::<Token![=]>()?;
        let size = parse_size(input)?;
        expect_end(input, "after a const's value")?;
        return Ok(StmtInput::Const { name, size });
    }
    if input.peek(Token![for]) {
        let begin = input.cursor();
        input.parse::<Token![for]>()?;
        let var: Ident = input.parse()?;
        input.parse::<Token![in]>()?;
        let lo = parse_size(input)?;
        if input.peek(Token![..=]) {
            return Err(input.error("use an exclusive range `a..b` (`..=` is not supported)"));
        }
        input.parse::<Token![..]>()?;
        let hi = parse_size(input)?;
        let tokens = tokens_between(begin, input.cursor());
        let content;
        syn::braced!(content in input);
        let inner: TokenStream = content.parse()?;
        let mut body = Vec::new();
        for chunk in split_statements(inner) {
            body.push(parse_stmt.parse2(chunk)?);
        }
        expect_end(input, "after a `for` block")?;
        return Ok(StmtInput::For {
            var,
            lo,
            hi,
            body,
            tokens,
        });
    }
    if input.peek(kw::node) && input.peek2(Ident) {
        input.parse::<kw::node>()?;
        let name: Ident = input.parse()?;
        let count = parse_count(input)?;
        input.parse::<Token![:]>()?;
        let first = parse_size(input)?;
        let (size_in, size_out) = if input.peek(Token![->]) {
            input.parse::<Token![->]>()?;
            (Some(first), parse_size(input)?)
        } else {
            (None, first)
        };
        let mut output = None;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if input.peek(kw::process) && !input.peek2(Token![,]) && !input.peek2(Token![.]) {
                input.parse::<kw::process>()?;
                output = Some(NodeOutputInput::Process(input.parse()?));
            } else {
                output = Some(NodeOutputInput::Expr(input.parse()?));
            }
        }
        let params = parse_params(input)?;
        return Ok(array_of(
            count,
            StmtInput::Node {
                name,
                size_in,
                size_out,
                output,
                params,
            },
        ));
    }
    if input.peek(kw::ensemble) && input.peek2(Ident) {
        input.parse::<kw::ensemble>()?;
        let name: Ident = input.parse()?;
        let count = parse_count(input)?;
        input.parse::<Token![:]>()?;
        let n = parse_size(input)?;
        let w: Ident = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `neurons` after the neuron count, e.g. `ensemble a: 100 neurons, 1 dims`",
            )
        })?;
        if w != "neurons" {
            return Err(syn::Error::new(
                w.span(),
                format!("expected `neurons` after the neuron count, found `{w}`"),
            ));
        }
        input
            .parse::<Token![,]>()
            .map_err(|e| syn::Error::new(e.span(), "expected `, D dims` after the neuron count"))?;
        let d = parse_size(input)?;
        let w: Ident = input
            .call(Ident::parse_any)
            .map_err(|e| syn::Error::new(e.span(), "expected `dims` after the dimension count"))?;
        if !matches!(w.to_string().as_str(), "dims" | "dim" | "dimensions") {
            return Err(syn::Error::new(
                w.span(),
                format!("expected `dims` after the dimension count, found `{w}`"),
            ));
        }
        let params = parse_params(input)?;
        return Ok(array_of(count, StmtInput::Ensemble { name, n, d, params }));
    }
    if input.peek(kw::probe) && input.peek2(Ident) {
        input.parse::<kw::probe>()?;
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let begin = input.cursor();
        let target: Ident = input.parse()?;
        let mut attrs = Vec::new();
        let mut indices = vec![None];
        if input.peek(syn::token::Bracket) {
            indices[0] = Some(parse_slice(input)?);
        }
        while input.peek(Token![.]) && !input.peek(Token![..]) {
            input.parse::<Token![.]>()?;
            attrs.push(input.call(Ident::parse_any)?);
            indices.push(None);
            if input.peek(syn::token::Bracket) {
                indices[attrs.len()] = Some(parse_slice(input)?);
            }
        }
        let target_tokens = tokens_between(begin, input.cursor());
        let params = parse_params(input)?;
        return Ok(StmtInput::Probe {
            name,
            target,
            attrs,
            indices,
            target_tokens,
            params,
        });
    }
    if input.peek(kw::net) && input.peek2(Ident) {
        input.parse::<kw::net>()?;
        let name: Ident = input.parse()?;
        let mut count = None;
        if input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            count = Some(parse_size(&content)?);
            if !content.is_empty() {
                return Err(content.error("expected `]` after the number of instances"));
            }
        }
        input.parse::<Token![:]>()?;
        let ty = parse_type_path(input)?;
        let mut args = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            args = Punctuated::<Expr, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect();
        }
        expect_end(input, "after an instance `net name: Type<..>(args)`")?;
        return Ok(StmtInput::Net {
            name,
            count,
            ty,
            args,
        });
    }
    // A connection, optionally named: `conn learn: pre -> post, ..`.
    let begin = input.cursor();
    let mut name = None;
    if input.peek(kw::conn) && input.peek2(Ident) {
        input.parse::<kw::conn>()?;
        name = Some(input.parse::<Ident>()?);
        input.parse::<Token![:]>()?;
    }
    if !input.peek(Ident) {
        return Err(input.error(
            "expected a statement: `const`, `node`, `ensemble`, `probe`, or a connection `a -> b`",
        ));
    }
    let pre = parse_end(input)?;
    if !input.peek(Token![->]) {
        return Err(input.error(format!(
            "expected `->` after `{}` (a connection `a -> b`), or a statement keyword (`const`, `node`, `ensemble`, `conn`, `probe`)",
            pre.text()
        )));
    }
    input.parse::<Token![->]>()?;
    let post = parse_end(input)?;
    let tokens = tokens_between(begin, input.cursor());
    let params = parse_params(input)?;
    Ok(StmtInput::Conn {
        name,
        pre,
        post,
        params,
        tokens,
    })
}

/// `[N]` after an item's name: how many.
fn parse_count(input: ParseStream) -> syn::Result<Option<SizeInput>> {
    if !input.peek(syn::token::Bracket) {
        return Ok(None);
    }
    let content;
    syn::bracketed!(content in input);
    let n = parse_size(&content)?;
    if !content.is_empty() {
        return Err(content.error("expected `]` after the number of items"));
    }
    Ok(Some(n))
}

fn array_of(count: Option<SizeInput>, item: StmtInput) -> StmtInput {
    match count {
        Some(count) => StmtInput::Array {
            count,
            item: Box::new(item),
        },
        None => item,
    }
}

/// `path::to::Type<2, 50>`: a path whose last segment may have generic arguments (not
/// `Type(..)`: the parentheses are the constructor's arguments).
fn parse_type_path(input: ParseStream) -> syn::Result<syn::Path> {
    let leading_colon: Option<Token![::]> = input.parse()?;
    let mut segments = Punctuated::new();
    loop {
        let ident = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a network type, e.g. `net arr: EnsembleArray<2, 50>;`",
            )
        })?;
        let mut seg = syn::PathSegment::from(ident);
        if input.peek(Token![<]) && !input.peek(Token![<=]) {
            seg.arguments = syn::PathArguments::AngleBracketed(input.parse()?);
        }
        segments.push_value(seg);
        if input.peek(Token![::]) {
            segments.push_punct(input.parse()?);
        } else {
            break;
        }
    }
    Ok(syn::Path {
        leading_colon,
        segments,
    })
}

fn expect_end(input: ParseStream, what: &str) -> syn::Result<()> {
    if input.is_empty() {
        Ok(())
    } else {
        Err(input.error(format!("unexpected tokens {what}; expected `;`")))
    }
}

fn parse_params(input: ParseStream) -> syn::Result<Vec<ParamInput>> {
    let mut params = Vec::new();
    while !input.is_empty() {
        if !input.peek(Token![,]) {
            return Err(input.error("expected `,` and a parameter `name = value`, or `;`"));
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Ident = input.call(Ident::parse_any)?;
        if !input.peek(Token![=]) || input.peek(Token![==]) {
            return Err(syn::Error::new(
                key.span(),
                format!("expected `= value` after `{key}`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        params.push(ParamInput { key, value });
    }
    Ok(params)
}
