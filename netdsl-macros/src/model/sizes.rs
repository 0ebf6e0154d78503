//! Sizes: a number the macro knows, or a Rust const expression rustc evaluates.

use std::rc::Rc;

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};

use crate::parse::BinOp;

/// A size: a number the macro knows, or a Rust const expression rustc evaluates.
#[derive(Clone, Debug)]
pub enum Size {
    Known(usize),
    Expr(Rc<SizeExpr>),
}

#[derive(Debug)]
pub struct SizeExpr {
    /// Source-like text for messages.
    pub text: String,
    /// A Rust `usize` expression.
    pub tokens: TokenStream,
    /// Conditions that must hold before `tokens` can be evaluated (no unsigned underflow).
    pub guards: Vec<TokenStream>,
    /// Mentions a generic parameter of the network.
    pub generic: bool,
    /// Is exactly one generic parameter (usable as a const argument).
    pub bare_generic: bool,
}

impl From<usize> for Size {
    fn from(n: usize) -> Self {
        Size::Known(n)
    }
}

impl PartialEq for Size {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Size::Known(a), Size::Known(b)) => a == b,
            (Size::Expr(a), Size::Expr(b)) => a.text == b.text,
            _ => false,
        }
    }
}

impl Size {
    pub fn value(&self) -> Option<usize> {
        match self {
            Size::Known(n) => Some(*n),
            Size::Expr(_) => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Size::Known(n) => n.to_string(),
            Size::Expr(e) => e.text.clone(),
        }
    }

    /// For messages: `101` or `` `crate::N + 1` ``.
    pub fn show(&self) -> String {
        match self {
            Size::Known(n) => n.to_string(),
            Size::Expr(e) => format!("`{}`", e.text),
        }
    }

    /// A Rust expression of type `usize`.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Size::Known(n) => {
                let lit = syn::LitInt::new(&format!("{n}usize"), Span::call_site());
                quote!(#lit)
            }
            Size::Expr(e) => {
                let t = &e.tokens;
                quote!((#t))
            }
        }
    }

    pub fn guards(&self) -> Vec<TokenStream> {
        match self {
            Size::Known(_) => Vec::new(),
            Size::Expr(e) => e.guards.clone(),
        }
    }

    pub fn is_generic(&self) -> bool {
        matches!(self, Size::Expr(e) if e.generic)
    }

    /// A const generic argument, when rustc accepts one here.
    pub fn const_arg(&self) -> Option<TokenStream> {
        match self {
            Size::Known(_) => Some(self.tokens()),
            Size::Expr(e) if e.bare_generic => Some(e.tokens.clone()),
            Size::Expr(e) if !e.generic => {
                let t = &e.tokens;
                Some(quote!({ #t }))
            }
            Size::Expr(_) => None,
        }
    }

    pub fn opaque(text: String, tokens: TokenStream, generic: bool, bare_generic: bool) -> Size {
        Size::Expr(Rc::new(SizeExpr {
            text,
            tokens,
            guards: Vec::new(),
            generic,
            bare_generic,
        }))
    }

    fn combine(a: &Size, b: &Size, op: BinOp, guard: Option<TokenStream>) -> Size {
        let (at, bt) = (a.tokens(), b.tokens());
        let tokens = match op {
            BinOp::Add => quote!(#at + #bt),
            BinOp::Sub => quote!(#at - #bt),
            BinOp::Mul => quote!(#at * #bt),
        };
        let mut guards = a.guards();
        guards.extend(b.guards());
        guards.extend(guard);
        Size::Expr(Rc::new(SizeExpr {
            text: format!("{} {} {}", a.text(), op.text(), b.text()),
            tokens,
            guards,
            generic: a.is_generic() || b.is_generic(),
            bare_generic: false,
        }))
    }

    pub fn add(a: &Size, b: &Size) -> Size {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => Size::Known(x.saturating_add(*y)),
            (Size::Known(0), _) => b.clone(),
            (_, Size::Known(0)) => a.clone(),
            _ => Size::combine(a, b, BinOp::Add, None),
        }
    }

    pub fn mul(a: &Size, b: &Size) -> Size {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => Size::Known(x.saturating_mul(*y)),
            (Size::Known(1), _) => b.clone(),
            (_, Size::Known(1)) => a.clone(),
            _ => Size::combine(a, b, BinOp::Mul, None),
        }
    }

    /// `a - b`; `None` when both are known and `b > a`.
    pub fn sub(a: &Size, b: &Size) -> Option<Size> {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => x.checked_sub(*y).map(Size::Known),
            (_, Size::Known(0)) => Some(a.clone()),
            _ => {
                let (at, bt) = (a.tokens(), b.tokens());
                Some(Size::combine(a, b, BinOp::Sub, Some(quote!(#at >= #bt))))
            }
        }
    }
}

impl ToTokens for Size {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens());
    }
}
