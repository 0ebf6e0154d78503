//! Statements to the model: declarations first, then items, connections and probes.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::Ident;

use super::names::{
    decl_what, did_you_mean, suggest, take_param, Builder, Decl, Resolve, CONN_PARAMS, PROBE_PARAMS,
};
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
            }
            StmtInput::Conn { name, .. } => {
                if let Some(n) = name {
                    b.declare(n, Decl::Conn(b.conn_stmts.len()));
                }
                b.conn_stmts.push(s);
            }
            StmtInput::Probe { name, .. } => {
                b.declare(name, Decl::Probe(probe_count));
                probe_count += 1;
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
    let mut conns = Vec::new();
    for c in 0..b.conn_stmts.len() {
        match build_conn(&mut b, c) {
            Some(conn) => conns.push(conn),
            None => ok = false,
        }
    }
    let mut probes = Vec::new();
    for s in &net.stmts {
        if let StmtInput::Probe {
            name,
            target,
            attrs,
            target_tokens,
            params,
        } = s
        {
            match build_probe(&mut b, name, target, attrs, target_tokens, params) {
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
        state_args,
        complete,
    };
    (Some(model), errors)
}

fn resolve_end(b: &mut Builder, e: &EndInput, is_post: bool) -> Option<End> {
    let key = e.name.to_string();
    let port_name = e.port.as_ref().map(|p| p.to_string());
    let target = match b.names.get(&key).copied() {
        Some(Decl::Item(i)) => {
            let port = match port_name.as_deref() {
                None => Port::Value,
                // Whether the item has neurons is a rule of netdsl-plan (validate).
                Some("neurons") => Port::Neurons,
                Some(p) => {
                    let s = suggest(p, ["neurons"]);
                    let port = e
                        .port
                        .as_ref()
                        .map(|p| p.span())
                        .unwrap_or_else(|| e.name.span());
                    b.err(syn::Error::new(port, format!("unknown port `.{p}` of `{key}`{}; a connection end is `x`, `x.neurons` or `conn.learning`", did_you_mean(s))));
                    return None;
                }
            };
            Target::Item { item: i, port }
        }
        Some(Decl::Conn(c)) => {
            if port_name.as_deref() != Some("learning") {
                b.err(syn::Error::new_spanned(
                    &e.tokens,
                    format!("`{key}` is a connection; the only way into a connection is its error input `{key}.learning`"),
                ));
                return None;
            }
            Target::Learning { conn: c }
        }
        Some(d) => {
            b.err(syn::Error::new(
                e.name.span(),
                format!(
                    "`{key}` is a {}; a connection joins ensembles, nodes and `conn.learning`",
                    decl_what(d)
                ),
            ));
            return None;
        }
        None => {
            b.unknown(
                &e.name,
                if is_post {
                    "connection target"
                } else {
                    "connection source"
                },
                |d| matches!(d, Decl::Item(_) | Decl::Conn(_)),
            );
            return None;
        }
    };
    let slice = match &e.slice {
        None => None,
        Some(s) => {
            let lo = match &s.lo {
                Some(x) => b.size(x),
                None => Some(Size::Known(0)),
            };
            let hi = match (&s.hi, s.range) {
                (Some(x), _) => b.size(x),
                (None, true) => None, // filled in by check: the end's size
                (None, false) => lo.as_ref().map(|l| Size::add(l, &Size::Known(1))),
            };
            let lo = lo?;
            if s.hi.is_some() || !s.range {
                hi.as_ref()?;
            }
            Some(Slice {
                lo,
                hi: hi.unwrap_or(Size::Known(usize::MAX)),
                input: s.clone(),
            })
        }
    };
    Some(End {
        target,
        slice,
        input: e.clone(),
    })
}

fn build_conn(b: &mut Builder, c: usize) -> Option<Conn> {
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

#[allow(clippy::too_many_arguments)]
fn build_probe(
    b: &mut Builder,
    name: &Ident,
    target: &Ident,
    attrs: &[Ident],
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
    let words: Vec<String> = attrs.iter().map(|a| a.to_string()).collect();
    let words: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    let bad = |b: &mut Builder, what: String| {
        b.err(syn::Error::new_spanned(target_tokens, what));
    };
    let (of, attr) = match b.names.get(&key).copied() {
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
            (ProbeOf::Item(i), attr)
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
        attr,
        synapse,
        solver,
        sample_every: p.get("sample_every").map(|e| (*e).clone()),
        attr_word: words.last().copied().unwrap_or("neurons").to_string(),
        tokens: target_tokens.clone(),
    })
}
