//! Per-item code: nodes, ensembles, endpoints, connections and probes.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::values::{
    dist, float, float_matrix, float_vec, neuron, rt, rule, solver, synapse, vec_dist,
};
use crate::model::*;

fn with_move(c: &syn::ExprClosure) -> syn::ExprClosure {
    let mut c = c.clone();
    if c.capture.is_none() {
        c.capture = Some(syn::Token![move](c.inputs_begin.span));
    }
    c
}

pub(super) fn node_output(m: &Model, n: &Node, name: &Ident) -> TokenStream {
    let p = rt();
    match &n.output {
        NodeOutput::Passthrough => quote!(#p::network::NodeOutput::Passthrough),
        NodeOutput::Constant(e) => {
            let span = e.span();
            let v = match e {
                Expr::Array(a) => {
                    let v = a.elems.iter().map(float);
                    quote_spanned!(span=> [#(#v),*])
                }
                Expr::Lit(_) | Expr::Unary(_) => {
                    let v = float(e);
                    quote_spanned!(span=> [#v])
                }
                _ => quote!(#e),
            };
            match n.size_out.const_arg() {
                Some(k) => {
                    quote_spanned!(span=> #p::network::NodeOutput::Constant(#p::constant::<#k>(#v)))
                }
                None => {
                    quote_spanned!(span=> #p::network::NodeOutput::Constant(::std::vec::Vec::from(#v)))
                }
            }
        }
        NodeOutput::Time(c) => {
            let span = c.span();
            let c = with_move(c);
            match n.size_out.const_arg() {
                Some(k) => {
                    quote_spanned!(span=> #p::network::NodeOutput::Time(#p::time::<_, #k>(#c)))
                }
                None => quote_spanned!(span=> #p::network::NodeOutput::Time(#p::time_any(#c))),
            }
        }
        NodeOutput::TimeInput(c) => {
            let span = c.span();
            let c = with_move(c);
            match n.size_out.const_arg() {
                Some(k) => {
                    quote_spanned!(span=> #p::network::NodeOutput::TimeInput(#p::time_input::<_, #k>(#c)))
                }
                None => {
                    quote_spanned!(span=> #p::network::NodeOutput::TimeInput(#p::time_input_any(#c)))
                }
            }
        }
        NodeOutput::Process(e) => {
            let span = e.span();
            quote_spanned!(span=> #p::network::NodeOutput::Process(::std::boxed::Box::new(#e)))
        }
        NodeOutput::Stage {
            state,
            method,
            expr,
        } => {
            let span = expr.span();
            let arg = &m.args[*state];
            let ty = &arg.ty;
            let sname = arg.name.to_string();
            let idx = m.args[..*state]
                .iter()
                .enumerate()
                .filter(|(k, _)| m.state_args[*k])
                .count();
            let mname = method.to_string();
            let expect = format!("netdsl: state `{sname}` of node `{name}` has the wrong type");
            let call = match n.size_out.const_arg() {
                Some(k) => {
                    quote_spanned!(span=> #p::Stage::<#ty, _, #k>::call(&<#ty>::#method, __s, t, x, out))
                }
                None => {
                    quote_spanned!(span=> #p::StageAny::<#ty, _>::call(&<#ty>::#method, __s, t, x, out))
                }
            };
            quote!(#p::network::NodeOutput::Stage {
                state: #idx,
                method: #p::Cow::Borrowed(#mname),
                call: |__s: &mut dyn #p::Any, t: f64, x: &[f64], out: &mut [f64]| {
                    let __s = __s.downcast_mut::<#ty>().expect(#expect);
                    #call
                },
            })
        }
    }
}

pub(super) fn ensemble(e: &Ensemble) -> TokenStream {
    let p = rt();
    let (n, d) = (e.n.tokens(), e.d.tokens());
    let mut sets = Vec::new();
    if !(e.neuron.kind == NeuronKind::Lif && e.neuron.fields.is_empty()) {
        let v = neuron(&e.neuron);
        sets.push(quote!(__spec.neuron_type = #v;));
    }
    if let Some(x) = &e.max_rates {
        let v = dist(x);
        sets.push(quote!(__spec.max_rates = #v;));
    }
    if let Some(x) = &e.intercepts {
        let v = dist(x);
        sets.push(quote!(__spec.intercepts = #v;));
    }
    if let Some(x) = &e.radius {
        let v = float(x);
        sets.push(quote!(__spec.radius = #v;));
    }
    if let Some(x) = &e.encoders {
        let v = vec_dist(x);
        sets.push(quote!(__spec.encoders = #v;));
    }
    if let Some(x) = &e.normalize_encoders {
        sets.push(quote!(__spec.normalize_encoders = #x;));
    }
    if let Some(x) = &e.gain {
        let v = float_vec(x);
        sets.push(quote!(__spec.gain = ::core::option::Option::Some(#v);));
    }
    if let Some(x) = &e.bias {
        let v = float_vec(x);
        sets.push(quote!(__spec.bias = ::core::option::Option::Some(#v);));
    }
    if let Some(x) = &e.eval_points {
        let v = vec_dist(x);
        sets.push(quote!(__spec.eval_points = #v;));
    }
    if let Some(x) = &e.n_eval_points {
        sets.push(quote!(__spec.n_eval_points = ::core::option::Option::Some((#x) as usize);));
    }
    if let Some(x) = &e.initial_voltage {
        let v = dist(x);
        sets.push(quote!(__spec.initial_voltage = ::core::option::Option::Some(#v);));
    }
    for (k, x) in &e.initial_state {
        let v = dist(x);
        sets.push(quote!(__spec.initial_state.push((::std::string::String::from(#k), #v));));
    }
    if let Some(x) = &e.seed {
        sets.push(quote!(__spec.seed = ::core::option::Option::Some((#x) as u64);));
    }
    if sets.is_empty() {
        return quote!(#p::network::EnsembleSpec::new(#n, #d));
    }
    quote!({
        let mut __spec = #p::network::EnsembleSpec::new(#n, #d);
        #(#sets)*
        __spec
    })
}

/// The runtime index of item `i` (element `elem` of an array item): items before it that are
/// arrays count their elements.
pub(super) fn item_index(m: &Model, i: usize, elem: Option<&Size>) -> TokenStream {
    let base = own_items(&m.item_counts[..i]);
    match elem {
        Some(k) => quote!((#base + #k)),
        None => base,
    }
}

/// The runtime index of the network's own connection `c` (without the instances' before it):
/// a connection in a `for` loop is one per iteration, its checked copies none.
pub(super) fn own_conns(m: &Model, c: usize) -> TokenStream {
    let mut fixed = 0usize;
    let mut loops = Vec::new();
    for conn in &m.conns[..c] {
        match conn.role {
            ConnRole::Plain => fixed += 1,
            ConnRole::Check => {}
            ConnRole::Emit { lp } => {
                let (lo, hi) = (&m.loops[lp].lo, &m.loops[lp].hi);
                loops.push(quote!((#hi - #lo)));
            }
        }
    }
    if loops.is_empty() {
        quote!(#fixed)
    } else {
        quote!((#fixed #(+ #loops)*))
    }
}

fn conn_index(m: &Model, c: usize) -> TokenStream {
    let own = own_conns(m, c);
    let off = own_offset(m, "CONNS");
    quote!(#own #off)
}

/// Indices of the network's own connections and probes start after its instances'.
fn own_offset(m: &Model, what: &str) -> TokenStream {
    if m.hierarchical() {
        let k = if what == "CONNS" { 1 } else { 2 };
        let t = offsets(
            &owner(&m.name, &m.generics),
            quote!(0usize),
            m.instances.len(),
        )[k]
            .clone();
        quote!(+ #t)
    } else {
        quote!()
    }
}

fn endpoint(m: &Model, t: Target, elem: Option<&Size>) -> TokenStream {
    let p = rt();
    match t {
        Target::Virtual { v, port } => {
            let vi = &m.virtuals[v];
            let s = &vi.shape;
            match (vi.learning, port) {
                (true, _) => quote!(#p::network::Endpoint::Learning((#s).index)),
                (false, Port::Value) => quote!(#p::network::Endpoint::Value((#s).index)),
                (false, Port::Neurons) => quote!(#p::network::Endpoint::Neurons((#s).index)),
            }
        }
        Target::Learning { conn } if m.hierarchical() => {
            let c = conn_index(m, conn);
            quote!(#p::network::Endpoint::Learning(#c))
        }
        Target::Item {
            item,
            port: Port::Value,
        } => {
            let i = item_index(m, item, elem);
            quote!(#p::network::Endpoint::Value(#i))
        }
        Target::Item {
            item,
            port: Port::Neurons,
        } => {
            let i = item_index(m, item, elem);
            quote!(#p::network::Endpoint::Neurons(#i))
        }
        Target::Learning { conn } => quote!(#p::network::Endpoint::Learning(#conn)),
    }
}

/// The slice of an end: as written, or, for an item inside an instance, its view's (`arr.x[2]`
/// of a single item) and then the one written.
fn end_slice(m: &Model, t: Target, s: &Option<(Size, Size)>) -> Option<TokenStream> {
    let p = rt();
    let written = s
        .as_ref()
        .map(|(lo, hi)| quote!(::core::option::Option::Some(#lo..#hi)));
    match t {
        Target::Virtual { v, .. } if !m.virtuals[v].learning => {
            let sh = &m.virtuals[v].shape;
            let w = written.unwrap_or(quote!(::core::option::Option::None));
            Some(quote!(#p::ItemShape::slice(#sh, #w)))
        }
        _ => written,
    }
}

pub(super) fn connection(m: &Model, c: &Conn, s: &crate::check::ConnSizes) -> TokenStream {
    let p = rt();
    let (pre, post) = (
        endpoint(m, c.pre.target, c.pre.elem.as_ref()),
        endpoint(m, c.post.target, c.post.elem.as_ref()),
    );
    let mut sets = Vec::new();
    if let Some(sl) = end_slice(m, c.pre.target, &s.pre_slice) {
        sets.push(quote!(__c.pre_slice = #sl;));
    }
    if let Some(sl) = end_slice(m, c.post.target, &s.post_slice) {
        sets.push(quote!(__c.post_slice = #sl;));
    }
    if let Some(f) = &c.function {
        let span = f.expr.span();
        let fe = match &f.expr {
            Expr::Closure(cl) => {
                let cl = with_move(cl);
                quote!(#cl)
            }
            e => quote!(#e),
        };
        let fs = s.func_size.clone().unwrap_or_else(|| s.out_size.clone());
        let call = match (s.src_size.const_arg(), fs.const_arg()) {
            (Some(i), Some(o)) => quote_spanned!(span=> #p::func::<_, #i, #o>(#fe)),
            _ => quote_spanned!(span=> #p::func_any(#fe)),
        };
        let text = quote!(#fe).to_string();
        sets.push(
            quote!(__c.function = ::core::option::Option::Some(#p::network::Function {
            size_out: #fs,
            f: #call,
            text: #p::Cow::Borrowed(#text),
        });),
        );
    }
    if let Some(t) = &c.transform {
        let v = match t {
            Transform::Scalar(e) => {
                let v = float(e);
                quote!(#p::network::Transform::Scalar(#v))
            }
            Transform::Computed(e) => {
                // rustc checks the value's shape against the sizes (in, out) where they are
                // const arguments; otherwise the runtime does, naming the connection.
                let span = e.span();
                let x = s.func_size.clone().unwrap_or_else(|| s.src_size.clone());
                match (x.const_arg(), s.out_size.const_arg()) {
                    (Some(i), Some(o)) => quote_spanned!(span=> #p::transform::<#i, #o, _, _>(#e)),
                    _ => {
                        let (i, o) = (x.tokens(), s.out_size.tokens());
                        quote_spanned!(span=> #p::TransformAny::build_any(#e, #i, #o))
                    }
                }
            }
            Transform::Diagonal(v) => {
                let v = v.iter().map(float);
                quote!(#p::network::Transform::Diagonal(::std::vec![#(#v),*]))
            }
            Transform::Matrix(rows) => {
                let m = float_matrix(rows);
                quote!(#p::network::Transform::Matrix(#m))
            }
        };
        sets.push(quote!(__c.transform = #v;));
    }
    if let Some(sy) = &c.synapse {
        let v = synapse(sy);
        sets.push(quote!(__c.synapse = #v;));
    }
    if let Some(so) = &c.solver {
        let v = solver(so);
        sets.push(quote!(__c.solver = #v;));
    }
    if let Some(r) = &c.rule {
        let v = rule(r);
        sets.push(quote!(__c.learning = ::core::option::Option::Some(#v);));
    }
    if let Some(e) = &c.eval_points {
        let v = match e {
            Expr::Array(a) => {
                let rows: Option<Vec<Vec<Expr>>> = a
                    .elems
                    .iter()
                    .map(|r| match r {
                        Expr::Array(r) => Some(r.elems.iter().cloned().collect()),
                        _ => None,
                    })
                    .collect();
                match rows {
                    Some(rows) => float_matrix(&rows),
                    None => quote!(#e),
                }
            }
            _ => quote!(#e),
        };
        sets.push(quote!(__c.eval_points = ::core::option::Option::Some(#v);));
    }
    if let Some(e) = &c.seed {
        sets.push(quote!(__c.seed = ::core::option::Option::Some((#e) as u64);));
    }
    if c.storage_f32.is_some() {
        sets.push(quote!(__c.weight_storage = #p::network::WeightStorage::F32;));
    }
    let label = &c.label;
    let label = match c.role {
        ConnRole::Emit { lp } => {
            let var = &m.loops[lp].var;
            let vs = var.to_string();
            quote!(#p::loop_label(#label, #vs, #var))
        }
        _ => quote!(::std::string::String::from(#label)),
    };
    quote!({
        let mut __c = #p::network::ConnectionSpec::new(#pre, #post);
        #(#sets)*
        __c.label = ::core::option::Option::Some(#label);
        __c
    })
}

pub(super) fn probe(m: &Model, pr: &Probe) -> TokenStream {
    let p = rt();
    let target = match pr.target {
        ProbeOf::Item(i) => {
            let i = item_index(m, i, pr.elem.as_ref());
            quote!(#p::network::ProbeOf::Item(#i))
        }
        ProbeOf::Conn(c) if m.hierarchical() => {
            let c = conn_index(m, c);
            quote!(#p::network::ProbeOf::Conn(#c))
        }
        ProbeOf::Conn(c) => quote!(#p::network::ProbeOf::Conn(#c)),
        ProbeOf::Virtual(v) => {
            let s = &m.virtuals[v].shape;
            quote!(#p::network::ProbeOf::Item((#s).index))
        }
    };
    let attr = Ident::new(&format!("{:?}", pr.attr), Span::call_site());
    let mut sets = Vec::new();
    if let Some(s) = &pr.synapse {
        let v = synapse(s);
        sets.push(quote!(__p.synapse = #v;));
    }
    if let Some(e) = &pr.sample_every {
        let v = float(e);
        sets.push(quote!(__p.sample_every = ::core::option::Option::Some(#v);));
    }
    if let Some(s) = &pr.solver {
        let v = solver(s);
        sets.push(quote!(__p.solver = #v;));
    }
    quote!({
        let mut __p = #p::network::ProbeSpec::new(#target, #p::plan::ProbeAttr::#attr);
        #(#sets)*
        __p
    })
}
