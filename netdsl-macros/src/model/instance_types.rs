//! The model's records of subnetwork instances and of paths into them (the types only; what
//! the macro does with them is in `instances.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::sizes::Size;
use crate::parse::SizeInput;

/// `net name: Type<..>(args);`
pub struct Instance {
    pub name: Ident,
    pub ty: syn::Path,
    pub args: Vec<Expr>,
    /// `net s[N]: ..`: how many.
    pub count_input: Option<SizeInput>,
    pub count: Option<Size>,
    /// Mentions a generic parameter of the outer network.
    pub generic: bool,
}

impl Instance {
    /// `* N` for an array of instances.
    pub fn times(&self) -> TokenStream {
        match &self.count {
            Some(n) => quote!(* #n),
            None => quote!(),
        }
    }

    /// `<Ty as Subnet>`, spanned at the type as written.
    pub fn subnet(&self) -> TokenStream {
        let ty = &self.ty;
        let span = ty.span();
        quote_spanned!(span=> <#ty as ::netdsl::__private::Subnet>)
    }
}

/// An item (or a named connection's `.learning`) inside an instance, as the outer network
/// uses it.
pub struct Virtual {
    /// The path as written, `arr.ens[1]`: its name in messages.
    pub text: String,
    /// A const expression: the `ItemShape` (or, for `learning`, the `ConnShape`) with indices
    /// in the outer network.
    pub shape: TokenStream,
    /// A named connection's error input.
    pub learning: bool,
    /// Used as an ensemble (`.neurons`, a neuron probe): the rules see an ensemble.
    pub ensemble: bool,
    pub generic: bool,
}

impl Virtual {
    /// A size of the virtual item, as a Rust expression rustc evaluates.
    pub fn size(&self, field: &str) -> Size {
        let f = Ident::new(field, Span::call_site());
        let s = &self.shape;
        Size::opaque(
            format!("{}.{field}", self.text),
            quote!((#s).#f),
            self.generic,
            false,
        )
    }
}

/// A condition rustc checks (`const` assertion) for a path into an instance.
pub struct SubnetCheck {
    pub cond: TokenStream,
    pub msg: String,
    pub span: Span,
    pub generic: bool,
}
