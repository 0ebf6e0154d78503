//! Subnetwork instances (`net arr: EnsembleArray<2, 50>(1.0);`) and paths into them
//! (`arr.ens[1].neurons`).
//!
//! The macro cannot see another invocation's items, so every network type describes itself to
//! rustc instead: `impl Subnet for Type` (see the facade's `__private`) has `const SHAPE`, a
//! struct with one field per item, named connection and instance, and `ITEMS`/`CONNS`/`PROBES`.
//! A path into an instance becomes a *virtual item* of the outer network: a const expression
//! (`<Ty as Subnet>::SHAPE.ens`) for its index and sizes. The rules see virtual items with
//! sizes as Rust expressions (so mismatches become deferred `const` assertions on the user's
//! tokens), and a misspelt item is rustc's "no field" error on the user's word, with its
//! suggestion.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use super::instance_types::{Instance, SubnetCheck, Virtual};
use super::names::{mentions, Builder, Decl};
use super::sizes::Size;
use crate::parse::{MemberInput, SizeInput, SliceInput};

/// Where instance `j`'s items, connections and probes start in the outer network: own items
/// first, then the instances' items in order; the instances' connections and probes come
/// before the outer network's own. `j = 0` is the own items' count; later ones are the hidden
/// consts [`offset_consts`] chains (`<Owner>::__NETDSL_ITEMS_AT_j`), so the expansion stays
/// linear in the number of instances.
pub fn offsets(owner: &TokenStream, own_items: TokenStream, j: usize) -> [TokenStream; 3] {
    if j == 0 {
        return [own_items, quote!(0usize), quote!(0usize)];
    }
    let [a, b, c] = at_names(j);
    [quote!(#owner::#a), quote!(#owner::#b), quote!(#owner::#c)]
}

fn at_names(j: usize) -> [Ident; 3] {
    [
        format_ident!("__NETDSL_ITEMS_AT_{}", j),
        format_ident!("__NETDSL_CONNS_AT_{}", j),
        format_ident!("__NETDSL_PROBES_AT_{}", j),
    ]
}

/// `const __NETDSL_ITEMS_AT_j: usize = <previous> + <Ty as Subnet>::ITEMS * count;` (and
/// connections, probes) for `j = 1..=instances.len()`, items of the network's inherent impl.
pub fn offset_consts(
    owner: &TokenStream,
    own_items: TokenStream,
    instances: &[Instance],
) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, inst) in instances.iter().enumerate() {
        let prev = offsets(owner, own_items.clone(), k);
        let names = at_names(k + 1);
        let sub = inst.subnet();
        let times = inst.times();
        for ((name, p), what) in names.iter().zip(prev).zip(["ITEMS", "CONNS", "PROBES"]) {
            let w = Ident::new(what, Span::call_site());
            out.extend(quote!(
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                const #name: usize = #p + #sub::#w #times;
            ));
        }
    }
    out
}

/// `<Name<N, ..>>`: the network type, as consts and paths name it.
pub fn owner(name: &Ident, generics: &[crate::parse::GenericInput]) -> TokenStream {
    let g = generics.iter().map(|g| &g.name);
    if generics.is_empty() {
        quote!(<#name>)
    } else {
        quote!(<#name<#(#g),*>>)
    }
}

/// The runtime items a network adds itself (an array counts its elements), before its
/// instances': `3usize`, or an expression with arrays.
pub fn own_items(counts: &[Option<Size>]) -> TokenStream {
    let singles = counts.iter().filter(|c| c.is_none()).count();
    let arrays: Vec<TokenStream> = counts.iter().flatten().map(Size::tokens).collect();
    if arrays.is_empty() {
        quote!(#singles)
    } else {
        quote!((#singles #(+ #arrays)*))
    }
}

impl Builder<'_> {
    /// Resolve `base[k0].m1[k1]...mn[kn]` (base an instance) to a virtual item; `neurons`,
    /// `learning`: the port it is used with; `post`: used as a connection target.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn virtual_item(
        &mut self,
        j: usize,
        base_index: Option<&SliceInput>,
        members: &[MemberInput],
        learning: bool,
        neurons: bool,
        post: bool,
        tokens: &TokenStream,
    ) -> Option<usize> {
        let span = crate::parse::first_span(tokens);
        let base_name = self.instances[j].name.clone();
        if members.is_empty() {
            self.err(syn::Error::new(
                span,
                format!("`{base_name}` is a subnetwork instance; connect to one of its items, e.g. `{base_name}.input`"),
            ));
            return None;
        }
        let count = self.instances[j].count.clone();
        let k0 = match (base_index, &count) {
            (Some(s), None) => {
                self.err(syn::Error::new_spanned(
                    &s.tokens,
                    format!("`{base_name}` is one instance, not an array of them"),
                ));
                return None;
            }
            (None, Some(_)) => {
                self.err(syn::Error::new(
                    span,
                    format!("`{base_name}` is an array of instances; pick one, `{base_name}[i]`"),
                ));
                return None;
            }
            (Some(s), Some(n)) if !s.range => {
                let k = self.size(s.lo.as_ref()?)?;
                let msg = format!(
                    "index {} is out of range: `{base_name}` has {} instances",
                    k.text(),
                    n.show()
                );
                self.less(&k, n, &s.tokens, &msg);
                Some(k)
            }
            (Some(s), Some(_)) => {
                self.err(syn::Error::new_spanned(
                    &s.tokens,
                    format!("pick one instance of `{base_name}` with `[i]`"),
                ));
                return None;
            }
            (None, None) => None,
        };
        let own = self.own_items();
        let owner = owner(&self.net.name, &self.net.generics);
        let [items_at, conns_at, _] = offsets(&owner, own, j);
        let inst = &self.instances[j];
        let mut generic = inst.generic || k0.as_ref().is_some_and(Size::is_generic);
        let sub = inst.subnet();
        let mut items = items_at;
        let mut conns = conns_at;
        let mut base_name = base_name.to_string();
        if let Some(k) = &k0 {
            let kt = k.tokens();
            items = quote!(#items + #kt * #sub::ITEMS);
            conns = quote!(#conns + #kt * #sub::CONNS);
            base_name = format!("{base_name}[{}]", k.text());
        }
        let mut shape = quote!(#sub::SHAPE);
        let mut text = base_name;
        let mut checks = Vec::new();
        let p = quote!(::netdsl::__private);
        for (i, m) in members.iter().enumerate() {
            let f = &m.name;
            let idx = match &m.index {
                Some(s) => {
                    if s.range {
                        self.err(syn::Error::new_spanned(
                            &s.tokens,
                            "a range selects values; pick one element of an array with `[i]`",
                        ));
                        return None;
                    }
                    let k = self.index_size(s.lo.as_ref()?)?;
                    generic |= k.is_generic();
                    Some(k)
                }
                None => None,
            };
            let field = quote!(#shape.#f);
            let prefix = text.clone();
            text = format!("{text}.{}", m.text());
            if i + 1 < members.len() {
                let k = idx.clone().unwrap_or(Size::Known(0));
                let kt = k.tokens();
                if idx.is_some() {
                    checks.push((
                        quote!(#kt < (#field).len),
                        format!("`{text}`: index {} is out of range of the instance array `{prefix}.{f}`", k.text()),
                    ));
                } else {
                    checks.push((
                        quote!(!(#field).array),
                        format!("`{prefix}.{f}` is an array of instances; pick one with `{prefix}.{f}[i]`"),
                    ));
                }
                items = quote!(#items + (#field).item_base(#kt));
                conns = quote!(#conns + (#field).conn_base(#kt));
                shape = quote!(#field.shape);
                continue;
            }
            if learning {
                if idx.is_some() {
                    self.err(syn::Error::new(f.span(), "a connection is not an array"));
                    return None;
                }
                shape = quote!(#p::ConnShape::shifted(#field, #conns));
                continue;
            }
            let mut s = field.clone();
            if let Some(k) = &idx {
                let kt = k.tokens();
                checks.push((
                    quote!(#p::ItemShape::at_ok(#field, #kt, #post)),
                    format!(
                        "`{text}`: index {} is out of range of `{prefix}.{f}`",
                        k.text()
                    ),
                ));
                s = quote!(#p::ItemShape::at(#s, #kt));
            }
            checks.push((
                quote!(!(#s).array),
                format!("`{text}` is an array of items; connect one element, `{text}[i]`"),
            ));
            if neurons {
                checks.push((
                    quote!((#s).has_neurons()),
                    format!("`{text}` has no neurons: only a single ensemble (not a node, not one value of it) has `.neurons`"),
                ));
            }
            shape = quote!(#p::ItemShape::shifted(#s, #items));
        }
        if !self.emit_copy {
            for (cond, msg) in checks {
                self.subnet_checks.push(SubnetCheck {
                    cond,
                    msg,
                    span,
                    generic,
                });
            }
        }
        let key = shape.to_string();
        let found = self
            .virtuals
            .iter()
            .position(|v| v.text == text && v.learning == learning && v.shape.to_string() == key);
        let v = match found {
            Some(v) => v,
            None => {
                self.virtuals.push(Virtual {
                    text,
                    shape,
                    learning,
                    ensemble: false,
                    generic,
                });
                self.virtuals.len() - 1
            }
        };
        self.virtuals[v].ensemble |= neurons;
        Some(v)
    }

    fn index_size(&mut self, s: &SizeInput) -> Option<Size> {
        self.size(s)
    }

    /// A condition on sizes: an error now where both are known, else a `const` assertion.
    fn require(
        &mut self,
        ok: Option<bool>,
        cond: TokenStream,
        generic: bool,
        at: &TokenStream,
        msg: String,
    ) {
        match ok {
            Some(true) => {}
            Some(false) => self.err(syn::Error::new_spanned(at, msg)),
            None if self.emit_copy => {}
            None => self.subnet_checks.push(SubnetCheck {
                cond,
                msg,
                span: crate::parse::first_span(at),
                generic,
            }),
        }
    }

    /// `n > 0`.
    pub(super) fn positive(&mut self, n: &Size, at: &TokenStream, msg: &str) {
        let t = n.tokens();
        let ok = n.value().map(|v| v > 0);
        self.require(ok, quote!(#t > 0), n.is_generic(), at, msg.to_string());
    }

    /// `a < b`.
    pub(super) fn less(&mut self, a: &Size, b: &Size, at: &TokenStream, msg: &str) {
        let (x, y) = (a.tokens(), b.tokens());
        let ok = a.value().zip(b.value()).map(|(a, b)| a < b);
        let generic = a.is_generic() || b.is_generic();
        self.require(ok, quote!(#x < #y), generic, at, msg.to_string());
    }

    /// Element `s` of array item `item` (`e[i]`), checked against its length.
    pub(super) fn element(&mut self, item: usize, s: &SliceInput, name: &Ident) -> Option<Size> {
        if s.range {
            self.err(syn::Error::new_spanned(
                &s.tokens,
                format!("`{name}` is an array of items: pick one with `{name}[i]` (a range selects values of one item)"),
            ));
            return None;
        }
        let k = self.size(s.lo.as_ref()?)?;
        let n = self.item_count_sizes.get(item).cloned().flatten()?;
        let msg = format!(
            "index {} is out of range: `{name}` has {} elements",
            k.text(),
            n.show()
        );
        self.less(&k, &n, &s.tokens, &msg);
        Some(k)
    }

    /// Items the outer network adds itself, before the instances' items.
    pub(super) fn own_items(&self) -> TokenStream {
        own_items(&self.item_count_sizes)
    }

    pub(super) fn instance_of(&self, name: &Ident) -> Option<usize> {
        match self.names.get(&name.to_string()) {
            Some(Decl::Inst(j)) => Some(*j),
            _ => None,
        }
    }

    /// Does a token stream mention a generic parameter of the network?
    pub(super) fn mentions_generic(&self, ts: &TokenStream) -> bool {
        self.net
            .generics
            .iter()
            .any(|g| mentions(ts, &g.name.to_string()))
    }
}
