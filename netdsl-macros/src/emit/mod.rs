//! Phase 5: the generated code. The network type, its `const PLAN`, its constructor, and
//! `network()` which describes it to the runtime through `::netdsl::__private`. On errors a stub
//! with the same API is emitted instead, so one mistake gives one error.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::check::{Checked, Deferred};
use crate::model::*;
use crate::parse::NetworkInput;
use netdsl_plan as np;
use values::{dist, float, float_matrix, float_vec, neuron, rt, rule, solver, synapse, vec_dist};

mod values;

fn escape(msg: &str) -> String {
    msg.replace('{', "{{").replace('}', "}}")
}

fn deferred_assert(d: &Deferred) -> TokenStream {
    let cond = &d.cond;
    let msg = escape(&d.msg);
    quote_spanned!(d.span=> ::core::assert!(#cond, #msg);)
}

/// Generic parameter lists: `<const N: usize>` and `<N>`.
fn generics(m_generics: &[crate::parse::GenericInput]) -> (TokenStream, TokenStream) {
    if m_generics.is_empty() {
        return (quote!(), quote!());
    }
    let names: Vec<&Ident> = m_generics.iter().map(|g| &g.name).collect();
    let tys: Vec<&syn::Type> = m_generics.iter().map(|g| &g.ty).collect();
    (quote!(<#(const #names: #tys),*>), quote!(<#(#names),*>))
}

fn opkind(k: np::OpKind) -> Ident {
    Ident::new(&format!("{k:?}"), Span::call_site())
}

fn plan_tokens(plan: &np::Plan<Size>) -> TokenStream {
    let p = rt();
    let pl = quote!(#p::plan);
    let cow = quote!(#p::Cow);
    let name = plan.name.as_ref();
    let signals = plan.signals.iter().map(|s| {
        let n = s.name.as_ref();
        let shape = match &s.shape {
            np::Shape::Vec(a) => quote!(#pl::Shape::Vec(#a)),
            np::Shape::Mat(a, b) => quote!(#pl::Shape::Mat(#a, #b)),
        };
        quote!(#pl::SignalDesc { name: #cow::Borrowed(#n), shape: #shape })
    });
    let refs = |v: &[np::SigRef<Size>]| {
        let r = v.iter().map(|r| {
            let s = r.signal;
            let range = match &r.range {
                Some((a, b)) => quote!(::core::option::Option::Some((#a, #b))),
                None => quote!(::core::option::Option::None),
            };
            quote!(#pl::SigRef { signal: #s, range: #range })
        });
        quote!(#cow::Borrowed(&[#(#r),*]))
    };
    let ops = plan.ops.iter().map(|o| {
        let kind = opkind(o.kind);
        let owner = match o.owner {
            np::Owner::Time => quote!(#pl::Owner::Time),
            np::Owner::Item(i) => quote!(#pl::Owner::Item(#i)),
            np::Owner::Conn(i) => quote!(#pl::Owner::Conn(#i)),
            np::Owner::Probe(i) => quote!(#pl::Owner::Probe(#i)),
        };
        let label = o.label.as_ref();
        let (sets, incs, reads, updates) = (
            refs(&o.sets),
            refs(&o.incs),
            refs(&o.reads),
            refs(&o.updates),
        );
        quote!(#pl::OpDesc {
            kind: #pl::OpKind::#kind,
            owner: #owner,
            label: #cow::Borrowed(#label),
            sets: #sets,
            incs: #incs,
            reads: #reads,
            updates: #updates,
        })
    });
    quote!(#pl::Plan {
        name: #cow::Borrowed(#name),
        signals: #cow::Borrowed(&[#(#signals),*]),
        ops: #cow::Borrowed(&[#(#ops),*]),
    })
}

fn with_move(c: &syn::ExprClosure) -> syn::ExprClosure {
    let mut c = c.clone();
    if c.capture.is_none() {
        c.capture = Some(syn::Token![move](c.inputs_begin.span));
    }
    c
}

fn node_output(m: &Model, n: &Node, name: &Ident) -> TokenStream {
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

fn ensemble(e: &Ensemble) -> TokenStream {
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
fn item_index(m: &Model, i: usize, elem: Option<&Size>) -> TokenStream {
    let base = own_items(&m.item_counts[..i]);
    match elem {
        Some(k) => quote!((#base + #k)),
        None => base,
    }
}

/// The runtime index of the network's own connection `c` (without the instances' before it):
/// a connection in a `for` loop is one per iteration, its checked copies none.
fn own_conns(m: &Model, c: usize) -> TokenStream {
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

fn connection(m: &Model, c: &Conn, s: &crate::check::ConnSizes) -> TokenStream {
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

fn probe(m: &Model, pr: &Probe) -> TokenStream {
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

/// The full expansion of a checked network.
/// `plan` is `None` for a network with instances: the macro cannot see their items, so the
/// runtime computes its plan (with the same rules) when it is built.
pub fn emit(m: &Model, ck: &Checked, plan: Option<&np::Plan<Size>>) -> TokenStream {
    let p = rt();
    let name = &m.name;
    let vis = &m.vis;
    let attrs = &m.attrs;
    let (gparams, gargs) = generics(&m.generics);
    let arg_names: Vec<&Ident> = m.args.iter().map(|a| &a.name).collect();
    let arg_tys: Vec<&syn::Type> = m.args.iter().map(|a| &a.ty).collect();
    let name_str = name.to_string();
    let generic = !m.generics.is_empty();

    let plan_const = plan.map(|plan| {
        let plan_ts = plan_tokens(plan);
        let plan_doc =
            "The static step plan, computed at compile time (its `Display` is the plan text).";
        quote!(
            #[doc = #plan_doc]
            pub const PLAN: #p::plan::Plan = #plan_ts;
        )
    });
    let set_plan =
        plan.map(|_| quote!(__net.static_plan = ::core::option::Option::Some(Self::PLAN);));

    // Deferred checks.
    let (free, inline): (Vec<&Deferred>, Vec<&Deferred>) =
        ck.deferred.iter().partition(|d| !(generic && d.generic));
    let free_asserts = free.iter().map(|d| {
        let a = deferred_assert(d);
        quote_spanned!(d.span=> const _: () = { #a };)
    });
    let inline_asserts: Vec<TokenStream> = inline.iter().map(|d| deferred_assert(d)).collect();
    let (checks_item, checks_use) = if generic {
        (
            quote!(
                #[doc(hidden)]
                const __NETDSL_CHECKS: () = { #(#inline_asserts)* };
            ),
            quote!(let () = Self::__NETDSL_CHECKS;),
        )
    } else {
        (quote!(), quote!())
    };

    // Block consts.
    let assoc_consts = m.consts.iter().map(|c| {
        let (n, v) = (&c.name, c.size.tokens());
        let doc = format!(
            "`const {} = {}` of the network block.",
            c.name,
            c.size.text()
        );
        quote!(#[doc = #doc] #[allow(non_upper_case_globals)] pub const #n: usize = #v;)
    });
    let local_consts = m.consts.iter().filter(|c| !c.size.is_generic()).map(|c| {
        let (n, v) = (&c.name, c.size.tokens());
        quote!(#[allow(non_upper_case_globals, dead_code)] const #n: usize = #v;)
    });

    // States: the constructor arguments that stages borrow, in argument order.
    let mut states = Vec::new();
    for (k, a) in m.args.iter().enumerate() {
        let n = &a.name;
        let s = n.to_string();
        if m.state_args[k] {
            states.push(quote!(__net.add_state(#s, #n);));
        }
    }
    let items = m.items.iter().zip(&m.item_counts).map(|(it, count)| {
        let n = it.name.to_string();
        let name = match count {
            Some(_) => quote!(::std::format!("{}[{}]", #n, __k)),
            None => quote!(#n),
        };
        let add = match &it.kind {
            ItemKind::Ensemble(e) => {
                let spec = ensemble(e);
                quote!(__net.add_ensemble(#name, #spec);)
            }
            ItemKind::Node(nd) => {
                let out = node_output(m, nd, &it.name);
                let (si, so) = (nd.size_in.tokens(), nd.size_out.tokens());
                quote!(__net.add_node(#name, #si, #so, #out);)
            }
        };
        match count {
            Some(c) => quote!(for __k in 0..#c { #add }),
            None => add,
        }
    });
    // Connections in order; those of a `for` loop as one loop (their checked copies are not
    // emitted).
    let mut conns: Vec<TokenStream> = Vec::new();
    let mut run: Option<(usize, Vec<TokenStream>)> = None;
    let flush_loop = |run: &mut Option<(usize, Vec<TokenStream>)>, conns: &mut Vec<TokenStream>| {
        if let Some((lp, body)) = run.take() {
            let l = &m.loops[lp];
            let (var, lo, hi) = (&l.var, &l.lo, &l.hi);
            conns.push(quote!(for #var in #lo..#hi { #(#body)* }));
        }
    };
    for (c, s) in m.conns.iter().zip(&ck.conns) {
        match c.role {
            ConnRole::Check => {}
            ConnRole::Plain => {
                flush_loop(&mut run, &mut conns);
                let spec = connection(m, c, s);
                conns.push(quote!(__net.connect(#spec);));
            }
            ConnRole::Emit { lp } => {
                if run.as_ref().is_some_and(|(l, _)| *l != lp) {
                    flush_loop(&mut run, &mut conns);
                }
                let spec = connection(m, c, s);
                run.get_or_insert_with(|| (lp, Vec::new()))
                    .1
                    .push(quote!(__net.connect(#spec);));
            }
        }
    }
    flush_loop(&mut run, &mut conns);
    let probes = m.probes.iter().map(|pr| {
        let n = pr.name.to_string();
        let spec = probe(m, pr);
        quote!(__net.probe(#n, #spec);)
    });
    let embeds = m.instances.iter().enumerate().map(|(j, inst)| {
        let [items_at, conns_at, probes_at] =
            offsets(&owner(&m.name, &m.generics), own_items(&m.item_counts), j);
        let (ty, args) = (&inst.ty, &inst.args);
        let n = inst.name.to_string();
        let span = ty.span();
        let new = quote_spanned!(span=> <#ty>::new(#(#args),*));
        let sub = inst.subnet();
        // Stays in `network()`: it moves `__net`'s own value (and may name arguments).
        let st = match &inst.count {
            None => {
                quote!(#p::embed(&mut __net, #n, #new.network(), #items_at, #conns_at, #probes_at);)
            }
            Some(c) => quote!(for __k in 0..#c {
                #p::embed(
                    &mut __net,
                    &::std::format!("{}[{}]", #n, __k),
                    #new.network(),
                    #items_at + __k * #sub::ITEMS,
                    #conns_at + __k * #sub::CONNS,
                    #probes_at + __k * #sub::PROBES,
                );
            }),
        };
        (st, true)
    });
    let statements: Vec<(TokenStream, bool)> = items
        .map(|s| (s, false))
        .chain(embeds)
        .chain(conns.into_iter().chain(probes).map(|s| (s, false)))
        .collect();
    let arg_strs: Vec<String> = arg_names.iter().map(|a| unraw(a)).collect();
    let (parts, body) = split_parts(statements, &arg_strs, &m.generics);
    let subnet = emit_subnet(m, ck);
    let offset_items = offset_consts(
        &owner(&m.name, &m.generics),
        own_items(&m.item_counts),
        &m.instances,
    );
    let ctor_doc = format!("A `{name_str}` network owning its state values.");

    quote! {
        #(#attrs)*
        #vis struct #name #gparams {
            #(#arg_names: #arg_tys,)*
        }

        #(#free_asserts)*

        impl #gparams #name #gargs {
            #plan_const
            #(#assoc_consts)*
            #checks_item
            #offset_items

            #[doc = #ctor_doc]
            #[allow(clippy::new_without_default)]
            pub fn new(#(#arg_names: #arg_tys),*) -> Self {
                #checks_use
                Self { #(#arg_names),* }
            }

            /// The network description for the runtime, carrying the compile-time plan.
            #[allow(unused_variables, unused_mut, clippy::all)]
            pub fn network(self) -> #p::network::Network {
                #checks_use
                #(#local_consts)*
                let Self { #(#arg_names),* } = self;
                let mut __net = #p::network::Network::new(#name_str);
                #(#parts)*
                #(#states)*
                #(#body)*
                #set_plan
                __net
            }

            /// Build a simulator with time step `dt` (seconds); random parameters not given
            /// explicitly are drawn from network seed 0 (see `build_seeded`).
            pub fn build(self, dt: f64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                #p::sim::Simulator::new(self.network(), dt)
            }

            /// Build a simulator with time step `dt` (seconds), drawing every random parameter
            /// not given explicitly (encoders, rates, intercepts, eval points, initial voltages,
            /// device variability) from `seed`: same seed, same numbers.
            pub fn build_seeded(self, dt: f64, seed: u64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                let mut __net = self.network();
                __net.seed = seed;
                #p::sim::Simulator::new(__net, dt)
            }
        }

        #subnet
    }
}

/// The hidden shape struct's name: `__NameItems` (rustc names it in "no field" errors).
fn shape_name(name: &Ident) -> Ident {
    format_ident!("__{}Items", unraw(name))
}

/// What an outer network needs to instantiate this one (`net x: Name<..>(..)`): the shape
/// struct (one field per item, named connection and instance) and `impl Subnet`.
fn emit_subnet(m: &Model, ck: &Checked) -> TokenStream {
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

/// Statements of `network()` per helper function: rustc and LLVM take time superlinear in the
/// size of one function, so a big network built in one body compiles slowly (a 200-ensemble
/// network spent most of its build optimising that one function).
const PART_LEN: usize = 8;

/// An identifier's name without `r#`.
fn unraw(i: &Ident) -> String {
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
fn split_parts(
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

/// The network type with the same API and no content, emitted next to errors so code that uses
/// the network does not fail with secondary errors.
pub fn emit_stub(net: &NetworkInput, consts: &[(Ident, TokenStream)]) -> TokenStream {
    let p = rt();
    let name = &net.name;
    let vis = &net.vis;
    let attrs = &net.attrs;
    let (gparams, gargs) = generics(&net.generics);
    let arg_names: Vec<&Ident> = net.args.iter().map(|a| &a.name).collect();
    let arg_tys: Vec<&syn::Type> = net.args.iter().map(|a| &a.ty).collect();
    let name_str = name.to_string();
    let consts = consts
        .iter()
        .map(|(n, v)| quote!(#[allow(non_upper_case_globals)] pub const #n: usize = #v;));
    quote! {
        #(#attrs)*
        #vis struct #name #gparams {
            #(#arg_names: #arg_tys,)*
        }
        #[allow(dead_code, unused_variables, clippy::all)]
        impl #gparams #name #gargs {
            pub const PLAN: #p::plan::Plan = #p::plan::Plan {
                name: #p::Cow::Borrowed(#name_str),
                signals: #p::Cow::Borrowed(&[]),
                ops: #p::Cow::Borrowed(&[]),
            };
            #(#consts)*
            pub fn new(#(#arg_names: #arg_tys),*) -> Self {
                Self { #(#arg_names),* }
            }
            pub fn network(self) -> #p::network::Network {
                #p::network::Network::new(#name_str)
            }
            pub fn build(self, dt: f64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                #p::sim::Simulator::new(self.network(), dt)
            }
            pub fn build_seeded(self, dt: f64, seed: u64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                let _ = seed;
                #p::sim::Simulator::new(self.network(), dt)
            }
        }
    }
}
