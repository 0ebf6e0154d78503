//! Statements to the model: declarations first, then items, connections and probes.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

use super::build_ends::resolve_end;
use super::instance_types::Instance;
use syn::Ident;

use super::names::{decl_what, take_param, Builder, Decl, Resolve, CONN_PARAMS, PROBE_PARAMS};
use super::sizes::Size;
use super::solver::parse_solver;
use super::values::{
    build_item, parse_function, parse_rule, parse_storage, parse_synapse, parse_transform,
};
use super::*;
use crate::parse::*;

/// Build the model of one network; every error found is returned, combined.
pub fn build(net: &NetworkInput) -> (Option<Model>, Vec<syn::Error>) {
    let mut b = Builder {
        net,
        errors: Vec::new(),
        names: BTreeMap::new(),
        consts: Vec::new(),
        const_sizes: Vec::new(),
        items: Vec::new(),
        item_sizes: Vec::new(),
        conn_stmts: Vec::new(),
        instances: Vec::new(),
        virtuals: Vec::new(),
        subnet_checks: Vec::new(),
        item_counts: Vec::new(),
        item_count_sizes: Vec::new(),
        conn_loops: Vec::new(),
        loops: Vec::new(),
        loop_vars: Vec::new(),
        emit_copy: false,
    };
    for (i, g) in net.generics.iter().enumerate() {
        b.declare(&g.name, Decl::Generic(i));
        let ty = &g.ty;
        if quote!(#ty).to_string() != "usize" {
            b.err(syn::Error::new_spanned(
                ty,
                "const size parameters must be `usize`",
            ));
        }
    }
    for (i, a) in net.args.iter().enumerate() {
        b.declare(&a.name, Decl::Arg(i));
    }
    let mut probe_count = 0;
    for s in &net.stmts {
        match s {
            StmtInput::Const { name, size } => {
                b.declare(name, Decl::Const(b.consts.len()));
                b.consts.push((name, size));
                b.const_sizes.push(Resolve::Todo);
            }
            StmtInput::Ensemble { name, .. } | StmtInput::Node { name, .. } => {
                b.declare(name, Decl::Item(b.items.len()));
                b.items.push(s);
                b.item_sizes.push(Resolve::Todo);
                b.item_counts.push(None);
            }
            StmtInput::Array { count, item } => {
                if let StmtInput::Ensemble { name, .. } | StmtInput::Node { name, .. } = &**item {
                    b.declare(name, Decl::Item(b.items.len()));
                    b.items.push(item);
                    b.item_sizes.push(Resolve::Todo);
                    b.item_counts.push(Some(count));
                }
            }
            StmtInput::Conn { name, .. } => {
                if let Some(n) = name {
                    b.declare(n, Decl::Conn(b.conn_stmts.len()));
                }
                b.conn_stmts.push(s);
                b.conn_loops.push(None);
            }
            StmtInput::For { body, tokens, .. } => {
                let lp = b.loops.len();
                b.loops.push(s);
                for st in body {
                    match st {
                        StmtInput::Conn { name, .. } => {
                            if let Some(n) = name {
                                b.err(syn::Error::new(
                                    n.span(),
                                    format!("`{n}`: a connection in a `for` loop cannot be named (it is one per iteration)"),
                                ));
                            }
                            b.conn_stmts.push(st);
                            b.conn_loops.push(Some(lp));
                        }
                        _ => b.err(syn::Error::new_spanned(
                            tokens,
                            "only connections go in a `for` loop; declare arrays of items with `ensemble e[N]: ..`",
                        )),
                    }
                }
            }
            StmtInput::Probe { name, .. } => {
                b.declare(name, Decl::Probe(probe_count));
                probe_count += 1;
            }
            StmtInput::Net {
                name,
                count,
                ty,
                args,
                ..
            } => {
                b.declare(name, Decl::Inst(b.instances.len()));
                let last = ty.segments.last().map(|s| s.ident.to_string());
                if last.as_deref() == Some(net.name.to_string().as_str()) {
                    b.err(syn::Error::new_spanned(
                        ty,
                        format!(
                            "`{}` cannot contain an instance of itself (it would be infinitely large)",
                            net.name
                        ),
                    ));
                }
                let generic = b.mentions_generic(&ty.to_token_stream());
                b.instances.push(Instance {
                    name: name.clone(),
                    ty: ty.clone(),
                    args: args.clone(),
                    count_input: count.clone(),
                    count: None,
                    generic,
                });
            }
        }
    }

    let mut consts = Vec::new();
    for i in 0..b.consts.len() {
        let (name, _) = b.consts[i];
        if let Some(size) = b.const_size(i, name) {
            consts.push(Const {
                name: name.clone(),
                size,
            });
        }
    }

    let mut state_args = vec![false; net.args.len()];
    let mut items = Vec::new();
    let mut ok = true;
    for i in 0..b.items.len() {
        let sizes = b.item_size(i);
        match build_item(&mut b, i, sizes, &mut state_args) {
            Some(item) => items.push(item),
            None => ok = false,
        }
    }
    let items_ok = ok;
    for i in 0..b.items.len() {
        let count = b.item_counts[i].and_then(|c| {
            let name = match b.items[i] {
                StmtInput::Ensemble { name, .. } | StmtInput::Node { name, .. } => name.clone(),
                _ => b.net.name.clone(),
            };
            let n = b.size(c)?;
            b.positive(
                &n,
                &c.tokens,
                &format!("`{name}` must have at least one element"),
            );
            Some(n)
        });
        b.item_count_sizes.push(count);
    }
    for j in 0..b.instances.len() {
        if let Some(c) = b.instances[j].count_input.clone() {
            let n = b.size(&c);
            if let Some(n) = &n {
                let name = &b.instances[j].name;
                let msg = format!("`{name}` must have at least one instance");
                b.positive(n, &c.tokens, &msg);
                b.instances[j].generic |= n.is_generic();
            }
            if n.is_none() {
                ok = false;
            }
            b.instances[j].count = n;
        }
    }
    let mut loops = Vec::new();
    for lp in b.loops.clone() {
        if let StmtInput::For {
            var,
            lo,
            hi,
            tokens,
            ..
        } = lp
        {
            let (l, h) = (b.size(lo), b.size(hi));
            let (Some(l), Some(h)) = (l, h) else {
                ok = false;
                continue;
            };
            b.less(
                &l,
                &h,
                tokens,
                &format!(
                    "the range `{}..{}` of the `for` loop is empty",
                    lo.text(),
                    hi.text()
                ),
            );
            loops.push(Loop {
                var: var.clone(),
                lo: l,
                hi: h,
            });
        }
    }
    let mut conns = Vec::new();
    for c in 0..b.conn_stmts.len() {
        let Some(lp) = b.conn_loops[c] else {
            match build_conn(&mut b, c, ConnRole::Plain) {
                Some(conn) => conns.push(conn),
                None => ok = false,
            }
            continue;
        };
        let Some(l) = loops.get(lp) else {
            ok = false;
            continue;
        };
        let var = l.var.to_string();
        let (lo, last) = (l.lo.clone(), Size::sub(&l.hi, &Size::Known(1)));
        let vt = &l.var;
        // The emitted copy: the loop variable is the runtime one; its checks are the ends'.
        let n_err = b.errors.len();
        b.emit_copy = true;
        b.loop_vars.push((
            var.clone(),
            Size::opaque(var.clone(), quote!(#vt), true, false),
        ));
        let emitted = build_conn(&mut b, c, ConnRole::Emit { lp });
        b.loop_vars.pop();
        b.emit_copy = false;
        b.errors.truncate(n_err);
        // The copies checked: the first and last values of the range.
        b.loop_vars.push((var.clone(), lo));
        let first = build_conn(&mut b, c, ConnRole::Check);
        b.loop_vars.pop();
        let n_first = b.errors.len();
        let last_copy = last.and_then(|last| {
            b.loop_vars.push((var.clone(), last));
            let r = build_conn(&mut b, c, ConnRole::Check);
            b.loop_vars.pop();
            r
        });
        // The same mistake at both ends is one error.
        let seen: Vec<String> = b.errors[n_err..n_first]
            .iter()
            .map(|e| e.to_string())
            .collect();
        let later: Vec<syn::Error> = b.errors.drain(n_first..).collect();
        b.errors
            .extend(later.into_iter().filter(|e| !seen.contains(&e.to_string())));
        match (emitted, first, last_copy) {
            (Some(e), Some(f), Some(l)) => conns.extend([e, f, l]),
            _ => ok = false,
        }
    }
    let mut probes = Vec::new();
    for s in &net.stmts {
        if let StmtInput::Probe {
            name,
            target,
            attrs,
            indices,
            target_tokens,
            params,
        } = s
        {
            match build_probe(&mut b, name, target, attrs, indices, target_tokens, params) {
                Some(p) if ok => probes.push(p),
                _ => ok = false,
            }
        }
    }
    let errors = std::mem::take(&mut b.errors);
    let complete = ok && errors.is_empty();
    if !complete {
        // Item indices are only right when every item built; learning targets and probes
        // name connections by index, so only plain connections are still checked.
        if items_ok {
            conns.retain(|c| !matches!(c.post.target, Target::Learning { .. }));
        } else {
            conns.clear();
        }
        probes.clear();
    }
    let model = Model {
        attrs: net.attrs.clone(),
        vis: net.vis.clone(),
        name: net.name.clone(),
        generics: net
            .generics
            .iter()
            .map(|g| GenericInput {
                name: g.name.clone(),
                ty: g.ty.clone(),
            })
            .collect(),
        args: net
            .args
            .iter()
            .map(|a| ArgInput {
                name: a.name.clone(),
                ty: a.ty.clone(),
            })
            .collect(),
        consts,
        items,
        conns,
        probes,
        instances: std::mem::take(&mut b.instances),
        virtuals: std::mem::take(&mut b.virtuals),
        subnet_checks: std::mem::take(&mut b.subnet_checks),
        item_counts: std::mem::take(&mut b.item_count_sizes),
        loops,
        state_args,
        complete,
    };
    (Some(model), errors)
}

fn build_conn(b: &mut Builder, c: usize, role: ConnRole) -> Option<Conn> {
    let StmtInput::Conn {
        name,
        pre,
        post,
        params,
        tokens,
        ..
    } = b.conn_stmts[c]
    else {
        return None;
    };
    let pre_e = resolve_end(b, pre, false);
    let post_e = resolve_end(b, post, true);
    let mut errs = Vec::new();
    let p = take_param(params, CONN_PARAMS, "connection", &mut errs);
    b.errors.extend(errs);
    let mut ok = true;
    let function = match p.get("function") {
        Some(e) => {
            let f = parse_function(b, e);
            ok &= f.is_some();
            f
        }
        None => None,
    };
    let transform = match p.get("transform") {
        Some(e) => {
            let t = parse_transform(b, e);
            ok &= t.is_some();
            t
        }
        None => None,
    };
    let synapse = match p.get("synapse") {
        Some(e) => {
            let s = parse_synapse(b, e);
            ok &= s.is_some();
            s
        }
        None => None,
    };
    let solver = match p.get("solver") {
        Some(e) => {
            let s = parse_solver(b, e);
            ok &= s.is_some();
            s
        }
        None => None,
    };
    let rule = match p.get("learning") {
        Some(e) => {
            let r = parse_rule(b, e);
            ok &= r.is_some();
            r
        }
        None => None,
    };
    let storage_f32 = match p.get("storage") {
        Some(e) => match parse_storage(b, e) {
            Some(f32) => f32.then(|| e.to_token_stream()),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    let (pre_e, post_e) = (pre_e?, post_e?);
    if !ok {
        return None;
    }
    let label = match name {
        Some(n) => n.to_string(),
        None => format!("{} -> {}", pre.label(), post.label()),
    };
    Some(Conn {
        label,
        name: name.clone(),
        role,
        pre: pre_e,
        post: post_e,
        function,
        transform,
        transform_expr: p.get("transform").map(|e| (*e).clone()),
        synapse,
        solver,
        rule,
        eval_points: p.get("eval_points").map(|e| (*e).clone()),
        seed: p.get("seed").map(|e| (*e).clone()),
        storage_f32,
        tokens: tokens.clone(),
    })
}

/// Words that end the path of a probe into an instance and start its attribute.
const PROBE_WORDS: &[&str] = &[
    "neurons",
    "spikes",
    "voltage",
    "refractory",
    "refractory_time",
    "decoded",
    "decoded_output",
    "value",
    "weights",
    "error",
    "learning",
    "r_pos",
    "r_neg",
    "resistance_pos",
    "resistance_neg",
];

#[allow(clippy::too_many_arguments)]
fn build_probe(
    b: &mut Builder,
    name: &Ident,
    target: &Ident,
    attrs: &[Ident],
    indices: &[Option<SliceInput>],
    target_tokens: &TokenStream,
    params: &[ParamInput],
) -> Option<Probe> {
    let mut errs = Vec::new();
    let p = take_param(params, PROBE_PARAMS, "probe", &mut errs);
    b.errors.extend(errs);
    let synapse = match p.get("synapse") {
        Some(e) => Some(parse_synapse(b, e)?),
        None => None,
    };
    let key = target.to_string();
    // `arr.ens[0].neurons`: the path into an instance, then the attribute words.
    let mut virtual_path = None;
    let mut attrs = attrs;
    if let Some(j) = b.instance_of(target) {
        let k = attrs
            .iter()
            .position(|a| PROBE_WORDS.contains(&a.to_string().as_str()))
            .unwrap_or(attrs.len());
        let members: Vec<MemberInput> = attrs[..k]
            .iter()
            .zip(&indices[1..])
            .map(|(a, i)| MemberInput {
                name: a.clone(),
                index: i.clone(),
            })
            .collect();
        virtual_path = Some((j, members));
        attrs = &attrs[k..];
    }
    let mut elem = None;
    if virtual_path.is_none() {
        let array = match b.names.get(&key) {
            Some(Decl::Item(i)) => b.item_counts[*i].is_some().then_some(*i),
            _ => None,
        };
        match (array, &indices[0]) {
            (Some(i), Some(s)) if !s.range && indices[1..].iter().all(Option::is_none) => {
                elem = Some(b.element(i, s, target)?);
            }
            (Some(_), _) => {
                b.err(syn::Error::new_spanned(
                    target_tokens,
                    format!("`{key}` is an array of items; probe one element, `{key}[i]`"),
                ));
                return None;
            }
            (None, _) if indices.iter().any(Option::is_some) => {
                b.err(syn::Error::new_spanned(
                    target_tokens,
                    "only items of subnetwork instances and arrays take an index in a probe",
                ));
                return None;
            }
            _ => {}
        }
    }
    let words: Vec<String> = attrs.iter().map(|a| a.to_string()).collect();
    let words: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    let bad = |b: &mut Builder, what: String| {
        b.err(syn::Error::new_spanned(target_tokens, what));
    };
    let decl = match virtual_path {
        Some(_) => Some(Decl::Item(usize::MAX)),
        None => b.names.get(&key).copied(),
    };
    let (of, attr) = match decl {
        Some(Decl::Item(i)) => {
            let attr = match words.as_slice() {
                [] | ["value"] | ["decoded"] | ["decoded_output"] | ["output"] => ProbeAttr::Value,
                ["neurons"] | ["spikes"] | ["neurons", "spikes"] | ["neurons", "output"] => {
                    ProbeAttr::Spikes
                }
                ["voltage"] | ["neurons", "voltage"] => ProbeAttr::Voltage,
                ["input"] | ["neurons", "input"] => ProbeAttr::Input,
                ["refractory"]
                | ["neurons", "refractory"]
                | ["refractory_time"]
                | ["neurons", "refractory_time"] => ProbeAttr::Refractory,
                ["adaptation"] | ["neurons", "adaptation"] => ProbeAttr::Adaptation,
                ["recovery"] | ["neurons", "recovery"] => ProbeAttr::Recovery,
                ["rate_out"] | ["neurons", "rate_out"] => ProbeAttr::RateOut,
                _ => {
                    bad(b, format!("unknown probe attribute `{}` of `{key}`; an ensemble has `x` (decoded value), `x.neurons` (spikes), `x.neurons.voltage`, `x.neurons.input`, `x.neurons.refractory`, `x.neurons.adaptation`, `x.neurons.recovery`, `x.neurons.rate_out`; a node has `x` (its output)", words.join(".")));
                    return None;
                }
            };
            match &virtual_path {
                Some((j, members)) => {
                    let neurons = attr != ProbeAttr::Value;
                    let v = b.virtual_item(
                        *j,
                        indices[0].as_ref(),
                        members,
                        false,
                        neurons,
                        false,
                        target_tokens,
                    )?;
                    (ProbeOf::Virtual(v), attr)
                }
                None => (ProbeOf::Item(i), attr),
            }
        }
        Some(Decl::Conn(c)) => {
            let attr = match words.as_slice() {
                [] | ["output"] => ProbeAttr::Output,
                ["weights"] => ProbeAttr::Weights,
                ["error"] | ["learning"] | ["learning", "error"] => ProbeAttr::Error,
                ["r_pos"] | ["resistance_pos"] => ProbeAttr::ResistancePos,
                ["r_neg"] | ["resistance_neg"] => ProbeAttr::ResistanceNeg,
                _ => {
                    bad(b, format!("unknown probe attribute `{}` of connection `{key}`; expected `{key}` (output), `{key}.weights`, `{key}.error`, `{key}.r_pos`, `{key}.r_neg`", words.join(".")));
                    return None;
                }
            };
            (ProbeOf::Conn(c), attr)
        }
        Some(d) => {
            b.err(syn::Error::new(
                target.span(),
                format!(
                    "`{key}` is a {}; probes record ensembles, nodes and named connections",
                    decl_what(d)
                ),
            ));
            return None;
        }
        None => {
            b.unknown(target, "probe target", |d| {
                matches!(d, Decl::Item(_) | Decl::Conn(_))
            });
            return None;
        }
    };
    let solver = match p.get("solver") {
        Some(e) => {
            let decoded = matches!(of, ProbeOf::Item(i)
                if attr == ProbeAttr::Value && matches!(b.items[i], StmtInput::Ensemble { .. }));
            if !decoded {
                b.err(syn::Error::new_spanned(
                    e,
                    format!(
                        "`solver` is for a probe of an ensemble's decoded value (Nengo's \
                         `Probe(ens, solver=…)`); `{key}{}` is not one",
                        words.iter().map(|w| format!(".{w}")).collect::<String>()
                    ),
                ));
                return None;
            }
            let s = parse_solver(b, e)?;
            if s.weights {
                b.err(syn::Error::new_spanned(
                    e,
                    "a probe's solver solves decoders: `weights: true` has no effect on a probe \
                     (Nengo only warns); remove it",
                ));
                return None;
            }
            Some(s)
        }
        None => None,
    };
    Some(Probe {
        name: name.clone(),
        target: of,
        elem,
        attr,
        synapse,
        solver,
        sample_every: p.get("sample_every").map(|e| (*e).clone()),
        attr_word: words.last().copied().unwrap_or("neurons").to_string(),
        tokens: target_tokens.clone(),
    })
}
