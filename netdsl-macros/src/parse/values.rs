//! Endpoints, slices and sizes: the value syntax inside statements.

use proc_macro2::{Delimiter, TokenTree};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Ident, LitInt, Token};

use super::{tokens_between, BinOp, EndInput, MemberInput, SizeInput, SizeKind, SliceInput};

/// Whether a `[..]` comes next and more of the path follows it (`.x` or another `[..]`).
fn index_then_more(input: ParseStream) -> bool {
    if !input.peek(syn::token::Bracket) {
        return false;
    }
    let fork = input.fork();
    if fork.parse::<proc_macro2::Group>().is_err() {
        return false;
    }
    (fork.peek(Token![.]) && !fork.peek(Token![..])) || fork.peek(syn::token::Bracket)
}

pub(super) fn parse_end(input: ParseStream) -> syn::Result<EndInput> {
    let begin = input.cursor();
    let name: Ident = input.parse()?;
    let mut index = None;
    if index_then_more(input) {
        index = Some(parse_slice(input)?);
    }
    let mut members = Vec::new();
    let mut port = None;
    while input.peek(Token![.]) && !input.peek(Token![..]) {
        input.parse::<Token![.]>()?;
        let word = input.call(Ident::parse_any)?;
        // `x.neurons`, `c.learning`; other words are items of an instance (or, after an item,
        // an unknown port the model reports).
        if word == "neurons" || word == "learning" {
            port = Some(word);
            break;
        }
        let mut m = MemberInput {
            name: word,
            index: None,
        };
        if index_then_more(input) {
            m.index = Some(parse_slice(input)?);
        }
        members.push(m);
    }
    let mut slice = None;
    if input.peek(syn::token::Bracket) {
        slice = Some(parse_slice(input)?);
    }
    // `arr.output[0]`: the last index of an instance path is kept as the slice; the model
    // decides (arrays are indexed, single items sliced).
    let tokens = tokens_between(begin, input.cursor());
    Ok(EndInput {
        name,
        index,
        members,
        port,
        slice,
        tokens,
    })
}

pub(super) fn parse_slice(input: ParseStream) -> syn::Result<SliceInput> {
    let begin = input.cursor();
    let content;
    syn::bracketed!(content in input);
    let tokens = tokens_between(begin, input.cursor());
    if content.is_empty() {
        return Err(syn::Error::new_spanned(
            &tokens,
            "empty slice: write an index `[i]` or a range `[i..j]`, `[..j]`, `[i..]`",
        ));
    }
    let mut lo = None;
    let mut hi = None;
    let range;
    if content.peek(Token![..]) {
        range = true;
    } else {
        lo = Some(parse_size(&content)?);
        range = content.peek(Token![..]);
    }
    if range {
        if content.peek(Token![..=]) {
            return Err(content.error("use an exclusive range `i..j` (`..=` is not supported)"));
        }
        content.parse::<Token![..]>()?;
        if !content.is_empty() {
            hi = Some(parse_size(&content)?);
        }
    }
    if !content.is_empty() {
        return Err(
            content.error("unexpected tokens in slice; expected `i`, `i..j`, `..j` or `i..`")
        );
    }
    Ok(SliceInput {
        lo,
        hi,
        range,
        tokens,
    })
}

/// `sum := product (('+' | '-') product)*`.
pub fn parse_size(input: ParseStream) -> syn::Result<SizeInput> {
    let begin = input.cursor();
    let mut lhs = parse_product(input)?;
    loop {
        let op = if input.peek(Token![->]) || input.peek(Token![-=]) || input.peek(Token![+=]) {
            break;
        } else if input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
            BinOp::Add
        } else if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            BinOp::Sub
        } else {
            break;
        };
        let rhs = parse_product(input)?;
        lhs = SizeInput {
            kind: SizeKind::Binary {
                lhs: Box::new(lhs),
                op,
                rhs: Box::new(rhs),
            },
            tokens: tokens_between(begin, input.cursor()),
        };
    }
    Ok(lhs)
}

fn parse_product(input: ParseStream) -> syn::Result<SizeInput> {
    let begin = input.cursor();
    let mut lhs = parse_atom(input)?;
    while input.peek(Token![*]) && !input.peek(Token![*=]) {
        input.parse::<Token![*]>()?;
        let rhs = parse_atom(input)?;
        lhs = SizeInput {
            kind: SizeKind::Binary {
                lhs: Box::new(lhs),
                op: BinOp::Mul,
                rhs: Box::new(rhs),
            },
            tokens: tokens_between(begin, input.cursor()),
        };
    }
    Ok(lhs)
}

fn parse_atom(input: ParseStream) -> syn::Result<SizeInput> {
    let begin = input.cursor();
    let kind = if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        if !lit.suffix().is_empty() && lit.suffix() != "usize" {
            return Err(syn::Error::new(
                lit.span(),
                format!("sizes are `usize`; remove the suffix `{}`", lit.suffix()),
            ));
        }
        SizeKind::Lit(lit)
    } else if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let inner = parse_size(&content)?;
        if !content.is_empty() {
            return Err(content.error("unexpected tokens in a size; expected `)`"));
        }
        SizeKind::Paren(Box::new(inner))
    } else if input.peek(syn::token::Brace) {
        match input.parse::<TokenTree>()? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                if g.stream().is_empty() {
                    return Err(syn::Error::new(g.span(), "empty size block"));
                }
                SizeKind::Block(g.stream())
            }
            other => return Err(syn::Error::new(other.span(), "expected a size")),
        }
    } else if input.peek(Ident::peek_any) || input.peek(Token![::]) {
        let path = input.call(syn::Path::parse_mod_style)?;
        if input.peek(Token![.]) && !input.peek(Token![..]) {
            let base = match path.get_ident() {
                Some(id) => id.clone(),
                None => {
                    return Err(syn::Error::new_spanned(
                        &path,
                        "only a plain item name can have a size field (`x.n`, `x.d`)",
                    ))
                }
            };
            input.parse::<Token![.]>()?;
            let field: Ident = input.call(Ident::parse_any)?;
            SizeKind::Field { base, field }
        } else {
            SizeKind::Path(path)
        }
    } else if input.peek(syn::LitFloat) {
        let lit: syn::LitFloat = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!("sizes are whole numbers, found `{lit}`"),
        ));
    } else {
        return Err(input.error(
            "expected a size: an integer, a `const`, `x.n`, `x.d`, `x.size_in`, `x.size_out`, or a path like `crate::N`",
        ));
    };
    Ok(SizeInput {
        kind,
        tokens: tokens_between(begin, input.cursor()),
    })
}
