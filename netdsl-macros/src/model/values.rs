//! Values: what the user's expressions mean (neuron types, synapses, transforms, functions,
//! learning rules, solvers, storage) and the items built from them.

use syn::{Expr, Ident};

use super::names::{did_you_mean, suggest, take_param, Builder, ENSEMBLE_PARAMS};
use super::sizes::Size;
use super::*;
use crate::parse::*;

pub(super) fn build_item(
    b: &mut Builder,
    i: usize,
    sizes: Option<(Size, Size)>,
    state_args: &mut [bool],
) -> Option<Item> {
    match b.items[i] {
        StmtInput::Ensemble { name, n, d, params } => {
            let mut errs = Vec::new();
            let p = take_param(params, ENSEMBLE_PARAMS, "ensemble", &mut errs);
            b.errors.extend(errs);
            let neuron = match p.get("neuron") {
                Some(e) => parse_neuron(b, e)?,
                None => Neuron {
                    kind: NeuronKind::Lif,
                    fields: Vec::new(),
                    span: name.span(),
                    preset: None,
                    base: None,
                },
            };
            let (n_size, d_size) = sizes?;
            let g = |k: &str| p.get(k).map(|e| (*e).clone());
            Some(Item {
                name: name.clone(),
                kind: ItemKind::Ensemble(Ensemble {
                    n: n_size,
                    d: d_size,
                    n_input: n.clone(),
                    d_input: d.clone(),
                    neuron,
                    max_rates: g("max_rates"),
                    intercepts: g("intercepts"),
                    radius: g("radius"),
                    encoders: g("encoders"),
                    normalize_encoders: g("normalize_encoders"),
                    gain: g("gain"),
                    bias: g("bias"),
                    eval_points: g("eval_points"),
                    n_eval_points: g("n_eval_points"),
                    initial_voltage: g("initial_voltage"),
                    initial_state: ["refractory_time", "adaptation", "recovery"]
                        .into_iter()
                        .filter_map(|k| g(&format!("initial_{k}")).map(|e| (k, e)))
                        .collect(),
                    seed: g("seed"),
                }),
            })
        }
        StmtInput::Node {
            name,
            size_in: _,
            size_out,
            output,
            params,
        } => {
            let mut errs = Vec::new();
            let _ = take_param(params, &[], "node", &mut errs);
            b.errors.extend(errs);
            let out = match output {
                None => NodeOutput::Passthrough,
                Some(NodeOutputInput::Process(e)) => NodeOutput::Process(e.clone()),
                Some(NodeOutputInput::Expr(e)) => {
                    match e {
                        Expr::Path(p) if p.path.is_ident("None") => NodeOutput::Passthrough,
                        Expr::Closure(c) => match c.inputs.len() {
                            1 => NodeOutput::Time(c.clone()),
                            2 => NodeOutput::TimeInput(c.clone()),
                            k => {
                                b.err(syn::Error::new_spanned(
                                &c.inputs,
                                format!("a node function takes `|t|` or `|t, x|`, not {k} arguments"),
                            ));
                                return None;
                            }
                        },
                        Expr::Field(f) => {
                            let base = match &*f.base {
                                Expr::Path(p) => p.path.get_ident().cloned(),
                                _ => None,
                            };
                            let method = match &f.member {
                                syn::Member::Named(m) => Some(m.clone()),
                                _ => None,
                            };
                            match (base, method) {
                                (Some(base), Some(method)) => {
                                    match b.net.args.iter().position(|a| a.name == base) {
                                        Some(k) => {
                                            state_args[k] = true;
                                            NodeOutput::Stage {
                                                state: k,
                                                method,
                                                expr: e.clone(),
                                            }
                                        }
                                        None => {
                                            let s = suggest(
                                                &base.to_string(),
                                                b.net
                                                    .args
                                                    .iter()
                                                    .map(|a| a.name.to_string())
                                                    .collect::<Vec<_>>()
                                                    .iter()
                                                    .map(|s| s.as_str()),
                                            )
                                            .map(|s| s.to_string());
                                            let list = if b.net.args.is_empty() {
                                                "the network has no constructor arguments; declare them as `Name(state: Type) { .. }`".to_string()
                                            } else {
                                                format!("state values are the constructor arguments: {}", b.net.args.iter().map(|a| format!("`{}`", a.name)).collect::<Vec<_>>().join(", "))
                                            };
                                            b.err(syn::Error::new(
                                                base.span(),
                                                format!(
                                                    "unknown state value `{base}`{}; {list}",
                                                    did_you_mean(s.as_deref())
                                                ),
                                            ));
                                            return None;
                                        }
                                    }
                                }
                                _ => NodeOutput::Constant(e.clone()),
                            }
                        }
                        _ => NodeOutput::Constant(e.clone()),
                    }
                }
            };
            let (si, so) = sizes?;
            Some(Item {
                name: name.clone(),
                kind: ItemKind::Node(Node {
                    size_in: si,
                    size_out: so,
                    size_out_input: size_out.clone(),
                    output: out,
                }),
            })
        }
        _ => None,
    }
}

pub(super) type Named = (Ident, Vec<(Ident, Expr)>, bool);

pub(super) fn expr_name(e: &Expr) -> Option<Named> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| (i.clone(), Vec::new(), false)),
        Expr::Struct(s) => {
            let id = s.path.get_ident()?.clone();
            let fields = s
                .fields
                .iter()
                .filter_map(|f| match &f.member {
                    syn::Member::Named(n) => Some((n.clone(), f.expr.clone())),
                    _ => None,
                })
                .collect();
            Some((id, fields, true))
        }
        _ => None,
    }
}

pub(super) fn check_fields(
    b: &mut Builder,
    what: &str,
    fields: &[(Ident, Expr)],
    allowed: &[&str],
) -> bool {
    let mut ok = true;
    for (k, _) in fields {
        let key = k.to_string();
        if !allowed.contains(&key.as_str()) {
            let s = suggest(&key, allowed.iter().copied());
            let exp = if allowed.is_empty() {
                "it has no parameters".to_string()
            } else {
                format!(
                    "expected {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            b.err(syn::Error::new(
                k.span(),
                format!(
                    "unknown field `{key}` of `{what}`{}; {exp}",
                    did_you_mean(s)
                ),
            ));
            ok = false;
        }
    }
    ok
}

pub(super) fn parse_neuron(b: &mut Builder, e: &Expr) -> Option<Neuron> {
    let names: Vec<&str> = NEURON_NAMES.iter().map(|(n, _, _)| *n).collect();
    // `Izhikevich::chattering()` (or without the parentheses): a preset.
    let preset_path = match e {
        Expr::Call(c) if c.args.is_empty() => match &*c.func {
            Expr::Path(p) => Some(p),
            _ => None,
        },
        Expr::Path(p) if p.path.segments.len() == 2 => Some(p),
        _ => None,
    };
    if let Some(p) = preset_path.filter(|p| p.path.segments.len() == 2) {
        let (ty, pre) = (&p.path.segments[0].ident, &p.path.segments[1].ident);
        let presets: Vec<&str> = IZHIKEVICH_PRESETS.iter().map(|(n, _)| *n).collect();
        if ty != "Izhikevich" {
            b.err(syn::Error::new(
                ty.span(),
                format!(
                    "only `Izhikevich` has presets (`Izhikevich::{}()`)",
                    presets.join("()`, `Izhikevich::")
                ),
            ));
            return None;
        }
        let Some((_, variant)) = IZHIKEVICH_PRESETS.iter().find(|(n, _)| pre == n) else {
            let s = suggest(&pre.to_string(), presets.iter().copied());
            b.err(syn::Error::new(
                pre.span(),
                format!(
                    "unknown Izhikevich preset `{pre}`{}; expected one of {}",
                    did_you_mean(s),
                    presets.join(", ")
                ),
            ));
            return None;
        };
        return Some(Neuron {
            kind: NeuronKind::Izhikevich,
            fields: Vec::new(),
            span: pre.span(),
            preset: Some(variant),
            base: None,
        });
    }
    // `RegularSpiking(LIFRate)` / `RegularSpiking(LIFRate { .. }, amplitude)`.
    let (id, mut fields) = match e {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                let id = p.path.get_ident().expect("ident").clone();
                let mut fields = Vec::new();
                let args: Vec<&Expr> = c.args.iter().collect();
                if let Some(a) = args.first() {
                    fields.push((Ident::new("base", id.span()), (*a).clone()));
                }
                if let Some(a) = args.get(1) {
                    fields.push((Ident::new("amplitude", id.span()), (*a).clone()));
                }
                if args.is_empty() || args.len() > 2 {
                    b.err(syn::Error::new_spanned(
                        c,
                        format!("`{id}(base)` or `{id}(base, amplitude)` takes 1 or 2 arguments"),
                    ));
                    return None;
                }
                (id, fields)
            }
            _ => {
                b.err(syn::Error::new_spanned(
                    e,
                    format!("expected a neuron type: {}", names.join(", ")),
                ));
                return None;
            }
        },
        _ => match expr_name(e) {
            Some((id, fields, _)) => (id, fields),
            None => {
                b.err(syn::Error::new_spanned(
                    e,
                    format!("expected a neuron type: {}", names.join(", ")),
                ));
                return None;
            }
        },
    };
    let key = id.to_string();
    let Some((_, kind, allowed)) = NEURON_NAMES.iter().find(|(n, _, _)| *n == key) else {
        let s = suggest(&key, names.iter().copied());
        b.err(syn::Error::new(
            id.span(),
            format!(
                "unknown neuron type `{key}`{}; expected one of {}",
                did_you_mean(s),
                names.join(", ")
            ),
        ));
        return None;
    };
    if !check_fields(b, &key, &fields, allowed) {
        return None;
    }
    let mut base = None;
    if kind.is_wrapper() {
        let Some(i) = fields.iter().position(|(k, _)| k == "base") else {
            b.err(syn::Error::new(
                id.span(),
                format!("`{key}` needs a base rate type: `{key}(LIFRate)`"),
            ));
            return None;
        };
        let (_, be) = fields.remove(i);
        let inner = parse_neuron(b, &be)?;
        if inner.kind.is_wrapper() || inner.kind == NeuronKind::Direct {
            b.err(syn::Error::new_spanned(
                &be,
                format!("the base of `{key}` must be a neuron type other than Direct, RegularSpiking, StochasticSpiking or PoissonSpiking"),
            ));
            return None;
        }
        // Nengo: the wrapper's state (RegularSpiking: voltage) must not overlap the base's.
        let base_voltage = matches!(
            inner.kind,
            NeuronKind::Lif
                | NeuronKind::SpikingRectifiedLinear
                | NeuronKind::AdaptiveLif
                | NeuronKind::Izhikevich
        );
        if *kind == NeuronKind::RegularSpiking && base_voltage {
            let bn = NEURON_NAMES
                .iter()
                .find(|(_, k, _)| *k == inner.kind)
                .map_or("?", |(n, _, _)| *n);
            b.err(syn::Error::new_spanned(
                &be,
                format!("RegularSpiking(base_type={bn}()) and {bn}() have an overlapping state variable (voltage); use a rate type as the base"),
            ));
            return None;
        }
        base = Some(Box::new(inner));
    }
    Some(Neuron {
        kind: *kind,
        fields,
        span: id.span(),
        preset: None,
        base,
    })
}

pub(super) fn parse_synapse(b: &mut Builder, e: &Expr) -> Option<Synapse> {
    match e {
        Expr::Path(p) if p.path.is_ident("None") => Some(Synapse::None),
        Expr::Call(c) => {
            let name = match &*c.func {
                Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
                _ => None,
            };
            let args: Vec<&Expr> = c.args.iter().collect();
            match (name.as_deref(), args.len()) {
                (Some("Lowpass"), 1) => Some(Synapse::Lowpass(args[0].clone())),
                (Some("Alpha"), 1) => Some(Synapse::Alpha(args[0].clone())),
                (Some("LinearFilter"), 2) => {
                    Some(Synapse::LinearFilter(args[0].clone(), args[1].clone()))
                }
                (Some(n @ ("Lowpass" | "Alpha" | "LinearFilter")), k) => {
                    let want = if n == "LinearFilter" {
                        "2 arguments (num, den)"
                    } else {
                        "1 argument (tau)"
                    };
                    b.err(syn::Error::new_spanned(
                        c,
                        format!("`{n}` takes {want}, found {k}"),
                    ));
                    None
                }
                (Some(n), _) => {
                    let s = suggest(n, ["Lowpass", "Alpha", "LinearFilter"]);
                    b.err(syn::Error::new_spanned(
                        &c.func,
                        format!("unknown synapse `{n}`{}; expected `None`, a time constant, `Lowpass(tau)`, `Alpha(tau)` or `LinearFilter(num, den)`", did_you_mean(s)),
                    ));
                    None
                }
                (None, _) => Some(Synapse::Lowpass(e.clone())),
            }
        }
        _ => Some(Synapse::Lowpass(e.clone())),
    }
}

pub(super) fn parse_transform(b: &mut Builder, e: &Expr) -> Option<Transform> {
    match e {
        Expr::Array(a) => {
            let rows: Vec<&Expr> = a.elems.iter().collect();
            if rows.is_empty() {
                b.err(syn::Error::new_spanned(e, "empty transform"));
                return None;
            }
            if rows.iter().any(|r| matches!(r, Expr::Repeat(_))) {
                // `[[1.0; 3], [2.0; 3]]`: rustc knows the shape.
                return Some(Transform::Computed(e.clone()));
            }
            let nested = rows.iter().filter(|r| matches!(r, Expr::Array(_))).count();
            if nested == 0 {
                return Some(Transform::Diagonal(rows.into_iter().cloned().collect()));
            }
            if nested != rows.len() {
                b.err(syn::Error::new_spanned(e, "a transform is a scalar, a vector `[a, b]` or a matrix `[[a, b], [c, d]]`; this mixes rows and numbers"));
                return None;
            }
            let mut out = Vec::new();
            for r in rows {
                if let Expr::Array(r) = r {
                    out.push(r.elems.iter().cloned().collect::<Vec<_>>());
                }
            }
            let w = out[0].len();
            for (k, r) in out.iter().enumerate() {
                if r.len() != w {
                    b.err(syn::Error::new_spanned(
                        &a.elems[k],
                        format!("matrix row {k} has {} columns but row 0 has {w}", r.len()),
                    ));
                    return None;
                }
            }
            Some(Transform::Matrix(out))
        }
        Expr::Repeat(r) => {
            let n = match &*r.len {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => i.base10_parse::<usize>().ok(),
                _ => None,
            };
            match n {
                Some(n) if !matches!(&*r.expr, Expr::Array(_) | Expr::Repeat(_)) => {
                    Some(Transform::Diagonal(vec![(*r.expr).clone(); n]))
                }
                // `[[-2.5; 50]; 30]`, `[0.5; N]`: rustc knows the shape.
                _ => Some(Transform::Computed(e.clone())),
            }
        }
        Expr::Lit(_) | Expr::Unary(_) | Expr::Binary(_) | Expr::Paren(_) | Expr::Cast(_) => {
            Some(Transform::Scalar(e.clone()))
        }
        // A constructor argument of a number type is a scalar as before; one of another type
        // (`w: [[f64; 2]; 3]`, an `Array2`) is computed.
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let id = p.path.get_ident()?;
            let arg = b.net.args.iter().find(|a| a.name == *id);
            let number = |t: &syn::Type| {
                let s = quote::ToTokens::to_token_stream(t).to_string();
                matches!(
                    s.as_str(),
                    "f64"
                        | "f32"
                        | "i8"
                        | "i16"
                        | "i32"
                        | "i64"
                        | "u8"
                        | "u16"
                        | "u32"
                        | "u64"
                        | "usize"
                        | "isize"
                )
            };
            let lower = id
                .to_string()
                .chars()
                .next()
                .is_some_and(char::is_lowercase);
            match arg {
                Some(a) if !number(&a.ty) => Some(Transform::Computed(e.clone())),
                None if !lower => Some(Transform::Computed(e.clone())),
                _ => Some(Transform::Scalar(e.clone())),
            }
        }
        // Calls, methods, macros, blocks, consts: any Rust value of a transform type.
        _ => Some(Transform::Computed(e.clone())),
    }
}

pub(super) fn parse_function(b: &mut Builder, e: &Expr) -> Option<Function> {
    match e {
        Expr::Closure(c) => {
            if c.inputs.len() != 1 {
                b.err(syn::Error::new_spanned(
                    &c.inputs,
                    format!(
                        "a connection function takes one argument `|x|`, not {}",
                        c.inputs.len()
                    ),
                ));
                return None;
            }
            let mut size_out = None;
            if let syn::ReturnType::Type(_, ty) = &c.output {
                if let syn::Type::Array(a) = &**ty {
                    if let Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Int(i),
                        ..
                    }) = &a.len
                    {
                        size_out = i.base10_parse::<usize>().ok().map(Size::Known);
                    }
                }
            } else if let Expr::Array(a) = &*c.body {
                size_out = Some(Size::Known(a.elems.len()));
            }
            let identity = match (&c.inputs[0], &*c.body) {
                (syn::Pat::Ident(p), Expr::Path(q)) => q.path.is_ident(&p.ident),
                _ => false,
            };
            Some(Function {
                expr: e.clone(),
                size_out,
                identity,
            })
        }
        _ => Some(Function {
            expr: e.clone(),
            size_out: None,
            identity: false,
        }),
    }
}

pub(super) fn parse_rule(b: &mut Builder, e: &Expr) -> Option<Rule> {
    let names = ["PES", "mPES"];
    let Some((id, fields, _)) = expr_name(e) else {
        b.err(syn::Error::new_spanned(e, "expected a learning rule: `PES`, `PES { learning_rate, pre_synapse }` or `mPES { gain, threshold, .. }`"));
        return None;
    };
    let key = id.to_string();
    let (kind, allowed): (RuleKind, &[&str]) = match key.as_str() {
        "PES" => (RuleKind::Pes, &["learning_rate", "pre_synapse"]),
        "mPES" => (
            RuleKind::Mpes,
            &[
                "gain",
                "threshold",
                "pre_synapse",
                "model",
                "variability",
                "seed",
            ],
        ),
        _ => {
            let s = suggest(&key, names);
            b.err(syn::Error::new(
                id.span(),
                format!(
                    "unknown learning rule `{key}`{}; expected `PES` or `mPES`",
                    did_you_mean(s)
                ),
            ));
            return None;
        }
    };
    if !check_fields(b, &key, &fields, allowed) {
        return None;
    }
    Some(Rule { kind, fields })
}

/// `storage = f32` or `storage = f64`: whether the weights are single precision.
pub(super) fn parse_storage(b: &mut Builder, e: &Expr) -> Option<bool> {
    let word = match e {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    };
    match word.as_deref() {
        Some("f32") => Some(true),
        Some("f64") => Some(false),
        _ => {
            b.err(syn::Error::new_spanned(
                e,
                "expected `f32` or `f64`: the precision the connection's weight matrix is stored in",
            ));
            None
        }
    }
}
