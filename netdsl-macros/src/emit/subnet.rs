//! The hidden shape struct and `impl Subnet` for outer networks.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use super::generics;
use super::items::{item_index, own_conns};
use super::parts::unraw;
use super::values::rt;
use crate::check::Checked;
use crate::model::*;

/// The hidden shape struct's name: `__NameItems` (rustc names it in "no field" errors).
fn shape_name(name: &Ident) -> Ident {
    format_ident!("__{}Items", unraw(name))
}

/// What an outer network needs to instantiate this one (`net x: Name<..>(..)`): the shape
/// struct (one field per item, named connection and instance) and `impl Subnet`.
pub(super) fn emit_subnet(m: &Model, ck: &Checked) -> TokenStream {
    let p = rt();
    let name = &m.name;
    let vis = &m.vis;
    let (gparams, gargs) = generics(&m.generics);
    let shape = shape_name(name);
    let mut fields = Vec::new();
    let mut values = Vec::new();
    for (i, it) in m.items.iter().enumerate() {
        let n = &it.name;
        let at = item_index(m, i, None);
        fields.push(quote!(pub #n: #p::ItemShape));
        let mut v = match &it.kind {
            ItemKind::Ensemble(e) => {
                let (nn, d) = (e.n.tokens(), e.d.tokens());
                quote!(#p::ItemShape::ensemble(#at, #nn, #d))
            }
            ItemKind::Node(nd) => {
                let (si, so) = (nd.size_in.tokens(), nd.size_out.tokens());
                quote!(#p::ItemShape::node(#at, #si, #so))
            }
        };
        if let Some(c) = &m.item_counts[i] {
            v = quote!(#p::ItemShape::array(#v, #c));
        }
        values.push(quote!(#n: #v));
    }
    let me = owner(&m.name, &m.generics);
    let conn_off = offsets(&me, quote!(0usize), m.instances.len())[1].clone();
    for (c, (conn, sz)) in m.conns.iter().zip(&ck.conns).enumerate() {
        let Some(n) = &conn.name else { continue };
        let err = sz.error_size.clone().unwrap_or_else(|| sz.out_size.clone());
        let own = own_conns(m, c);
        fields.push(quote!(pub #n: #p::ConnShape));
        values.push(quote!(#n: #p::ConnShape { index: #own + #conn_off, error_size: #err }));
    }
    let own = own_items(&m.item_counts);
    for (j, inst) in m.instances.iter().enumerate() {
        let n = &inst.name;
        let sub = inst.subnet();
        let [items_at, conns_at, _] = offsets(&me, own.clone(), j);
        let (len, array) = match &inst.count {
            Some(c) => (c.tokens(), true),
            None => (quote!(1), false),
        };
        fields.push(quote!(pub #n: #p::Inst<#sub::Shape>));
        values.push(quote!(#n: #p::Inst {
            items: #items_at,
            conns: #conns_at,
            items_each: #sub::ITEMS,
            conns_each: #sub::CONNS,
            len: #len,
            array: #array,
            shape: #sub::SHAPE,
        }));
    }
    let [items, conns, probes] = offsets(&me, own, m.instances.len());
    let n_conns = own_conns(m, m.conns.len());
    let n_probes = m.probes.len();
    let doc = format!("Where the items of `{name}` sit, for networks that instantiate it.");
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, non_snake_case, dead_code, private_interfaces)]
        #[derive(Clone, Copy)]
        #vis struct #shape #gparams {
            #(#fields,)*
        }

        #[allow(private_interfaces)]
        impl #gparams #p::Subnet for #name #gargs {
            type Shape = #shape #gargs;
            const SHAPE: Self::Shape = #shape { #(#values,)* };
            const ITEMS: usize = #items;
            const CONNS: usize = #conns + #n_conns;
            const PROBES: usize = #probes + #n_probes;
        }
    }
}
