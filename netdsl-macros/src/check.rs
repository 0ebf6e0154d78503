//! Phase 3: the compile-time checks. The rules are netdsl-plan's (`validate`, shared with the
//! runtime builder): this phase describes the model to them, turns each definite violation into
//! an error on the user's tokens and each deferred one into a [`Deferred`] assertion that rustc
//! evaluates (sizes the macro cannot evaluate).

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::Expr;

use netdsl_plan as np;
use netdsl_plan::validate::{
    At, Cmp, ConnDecl, Declared, FunctionDecl, ItemDecl, ParamDecl, ParamOf, Side, SizeLike,
    SliceDecl, Texts, TransformDecl, Validated,
};

use crate::model::*;
use crate::parse::first_span;

/// A check rustc must do: `assert!(cond, msg)` in a const context, spanned at the user's tokens.
pub struct Deferred {
    pub cond: TokenStream,
    pub msg: String,
    pub span: Span,
    pub generic: bool,
}

/// The sizes of one connection, as the plan and the emitted code need them.
pub type ConnSizes = np::validate::ConnSizes<Size>;

pub struct Checked {
    pub conns: Vec<ConnSizes>,
    pub deferred: Vec<Deferred>,
    /// The structure the plan is lowered from (validated: no synapse-free cycle).
    pub structure: np::Structure<Size>,
}

impl SizeLike for Size {
    fn known(&self) -> Option<usize> {
        self.value()
    }
    fn plus(&self, other: &Self) -> Self {
        Size::add(self, other)
    }
    fn minus(&self, other: &Self) -> Option<Self> {
        Size::sub(self, other)
    }
    fn show(&self) -> String {
        Size::show(self)
    }
    fn text(&self) -> String {
        Size::text(self)
    }
}

fn port(p: Port) -> np::Port {
    match p {
        Port::Value => np::Port::Value,
        Port::Neurons => np::Port::Neurons,
    }
}

fn end(m: &Model, t: Target) -> np::End {
    match t {
        Target::Virtual { v, port: p } => np::End::Item {
            item: m.items.len() + v,
            port: port(p),
        },
        Target::Item { item, port: p } => np::End::Item {
            item,
            port: port(p),
        },
        Target::Learning { conn } => np::End::Learning { conn },
    }
}

pub fn neuron_class(n: &Neuron) -> np::NeuronClass {
    match n.kind {
        NeuronKind::Lif => np::NeuronClass::Lif,
        NeuronKind::SpikingRectifiedLinear => np::NeuronClass::SpikingRectifiedLinear,
        NeuronKind::LifRate
        | NeuronKind::RectifiedLinear
        | NeuronKind::Sigmoid
        | NeuronKind::Tanh => np::NeuronClass::Rate,
        NeuronKind::Direct => np::NeuronClass::Direct,
        NeuronKind::AdaptiveLif => np::NeuronClass::AdaptiveLif,
        NeuronKind::AdaptiveLifRate => np::NeuronClass::AdaptiveLifRate,
        NeuronKind::Izhikevich => np::NeuronClass::Izhikevich,
        NeuronKind::RegularSpiking | NeuronKind::StochasticSpiking | NeuronKind::PoissonSpiking => {
            // The wrapper's rates, its own voltage (RegularSpiking) and its base's state.
            let base = n.base.as_deref().map(neuron_class).map(|c| c.states());
            let b = base.unwrap_or_default();
            np::NeuronClass::RatesToSpikes(np::NeuronStates {
                voltage: b.voltage || n.kind == NeuronKind::RegularSpiking,
                rate_out: true,
                ..b
            })
        }
    }
}

fn item_decl(m: &Model, it: &Item) -> ItemDecl<Size> {
    let kind = match &it.kind {
        ItemKind::Ensemble(e) => np::ItemKind::Ensemble {
            n: e.n.clone(),
            d: e.d.clone(),
            neuron: neuron_class(&e.neuron),
        },
        ItemKind::Node(n) => np::ItemKind::Node {
            size_in: n.size_in.clone(),
            size_out: n.size_out.clone(),
            kind: match &n.output {
                NodeOutput::Constant(_) => np::NodeKind::Constant,
                NodeOutput::Time(_) => np::NodeKind::Time,
                NodeOutput::TimeInput(_) => np::NodeKind::TimeInput,
                NodeOutput::Passthrough => np::NodeKind::Passthrough,
                NodeOutput::Stage { state, method, .. } => np::NodeKind::Stage {
                    state: m.args[*state].name.to_string().into(),
                    method: method.to_string().into(),
                },
                NodeOutput::Process(_) => np::NodeKind::Process,
            },
        },
    };
    let mut d = ItemDecl::new(it.name.to_string(), kind);
    if let ItemKind::Ensemble(e) = &it.kind {
        d.neuron_name = format!("{:?}", e.neuron.kind).into();
        // max_rates >= 1 / tau_ref where both are literal.
        if matches!(
            e.neuron.kind,
            NeuronKind::Lif
                | NeuronKind::LifRate
                | NeuronKind::AdaptiveLif
                | NeuronKind::AdaptiveLifRate
                | NeuronKind::Sigmoid
                | NeuronKind::Tanh
        ) {
            let default = if matches!(e.neuron.kind, NeuronKind::Sigmoid | NeuronKind::Tanh) {
                0.0025
            } else {
                0.002
            };
            d.tau_ref = match e.neuron.field("tau_ref") {
                Some(x) => literal_f64(x),
                None => Some(default),
            };
        }
        d.max_rate = e.max_rates.as_ref().and_then(max_of_rates);
        d.radius = e.radius.as_ref().and_then(literal_f64);
    }
    d
}

/// An item inside an instance, as the rules see it: sizes rustc evaluates; an ensemble where
/// it is used as one (`.neurons`), else a node (its own checks ran in its own network).
fn virtual_decl(v: &Virtual) -> ItemDecl<Size> {
    let kind = if v.learning {
        np::ItemKind::Node {
            size_in: v.size("error_size"),
            size_out: Size::Known(0),
            kind: np::NodeKind::TimeInput,
        }
    } else if v.ensemble {
        np::ItemKind::Ensemble {
            n: v.size("n"),
            d: v.size("size_out"),
            neuron: np::NeuronClass::Lif,
        }
    } else {
        np::ItemKind::Node {
            size_in: v.size("size_in"),
            size_out: v.size("size_out"),
            kind: np::NodeKind::TimeInput,
        }
    };
    ItemDecl::new(v.text.clone(), kind)
}

/// Whether a violation is about an item's own declaration (not one of this network's items:
/// an item inside an instance, checked in its own network).
fn about_inner_item(m: &Model, at: At) -> bool {
    let i = match at {
        At::EnsembleNeurons(i)
        | At::EnsembleDims(i)
        | At::EnsembleMaxRates(i)
        | At::EnsembleRadius(i)
        | At::NodeSizeOut(i)
        | At::NodeOutput(i) => i,
        _ => return false,
    };
    i >= m.items.len()
}

/// Whether a violation is about the emitted copy of a connection in a `for` loop (its loop
/// variable is the runtime one; the copies at the range's ends are the ones checked).
fn about_emitted_copy(m: &Model, at: At) -> bool {
    let c = match at {
        At::Conn(c)
        | At::ConnPre(c)
        | At::ConnPost(c)
        | At::ConnPreSlice(c)
        | At::ConnPostSlice(c)
        | At::ConnTransform(c)
        | At::ConnStorage(c) => c,
        At::Param(k) => match params(m).into_iter().nth(k).map(|(d, _)| d.of) {
            Some(
                ParamOf::ConnSynapse(c)
                | ParamOf::ConnRule(c)
                | ParamOf::RuleSynapse(c)
                | ParamOf::ConnTransform(c),
            ) => c,
            _ => return false,
        },
        _ => return false,
    };
    m.conns
        .get(c)
        .is_some_and(|c| matches!(c.role, ConnRole::Emit { .. }))
}

fn slice_decl(s: &Option<Slice>) -> Option<SliceDecl<Size>> {
    s.as_ref().map(|s| SliceDecl {
        lo: s.lo.clone(),
        hi: (s.input.hi.is_some() || !s.input.range).then(|| s.hi.clone()),
        index: !s.input.range,
    })
}

/// A neuron type's name as written (`LIF`).
fn neuron_word(k: NeuronKind) -> &'static str {
    NEURON_NAMES
        .iter()
        .find(|(_, kind, _)| *kind == k)
        .map_or("", |(name, _, _)| name)
}

fn neuron_params(i: usize, n: &Neuron, out: &mut Vec<(ParamDecl, TokenStream)>) {
    for (k, v) in &n.fields {
        if let Some(x) = literal_f64(v) {
            let name = k.to_string();
            if let Some(d) = ParamDecl::new(ParamOf::Neurons(i), neuron_word(n.kind), name, x) {
                out.push((d, v.to_token_stream()));
            }
        }
    }
    if let Some(b) = &n.base {
        neuron_params(i, b, out);
    }
}

fn synapse_param(of: ParamOf, s: Option<&Synapse>, out: &mut Vec<(ParamDecl, TokenStream)>) {
    let (kind, e) = match s {
        Some(Synapse::Lowpass(e)) => ("Lowpass", e),
        Some(Synapse::Alpha(e)) => ("Alpha", e),
        _ => return,
    };
    if let Some(x) = literal_f64(e) {
        out.extend(ParamDecl::new(of, kind, "tau", x).map(|d| (d, e.to_token_stream())));
    }
}

/// `Lowpass(x)` or `Alpha(x)` as written in a rule's `pre_synapse`.
fn synapse_call(e: &Expr) -> Option<Synapse> {
    let Expr::Call(c) = e else {
        // A number is a `Lowpass` time constant.
        return literal_f64(e).map(|_| Synapse::Lowpass(e.clone()));
    };
    let Expr::Path(p) = &*c.func else { return None };
    let word = p.path.segments.last()?.ident.to_string();
    let arg = (c.args.len() == 1).then(|| c.args[0].clone())?;
    match word.as_str() {
        "Lowpass" => Some(Synapse::Lowpass(arg)),
        "Alpha" => Some(Synapse::Alpha(arg)),
        _ => None,
    }
}

/// Every literal parameter value with a valid range, and its tokens, in the runtime's order.
pub fn params(m: &Model) -> Vec<(ParamDecl, TokenStream)> {
    let mut out = Vec::new();
    for (i, it) in m.items.iter().enumerate() {
        if let ItemKind::Ensemble(e) = &it.kind {
            neuron_params(i, &e.neuron, &mut out);
        }
    }
    for (c, conn) in m.conns.iter().enumerate() {
        let mut entry = |e: &Expr, all: bool| {
            if let Some(x) = literal_f64(e) {
                if all || !x.is_finite() {
                    let d = ParamDecl::new(ParamOf::ConnTransform(c), "transform", "transform", x);
                    out.extend(d.map(|d| (d, e.to_token_stream())));
                }
            }
        };
        match &conn.transform {
            Some(Transform::Scalar(e)) => entry(e, true),
            Some(Transform::Diagonal(v)) => v.iter().for_each(|e| entry(e, false)),
            Some(Transform::Matrix(rows)) => rows.iter().flatten().for_each(|e| entry(e, false)),
            _ => {}
        }
        synapse_param(ParamOf::ConnSynapse(c), conn.synapse.as_ref(), &mut out);
        if let Some(r) = &conn.rule {
            let kind = match r.kind {
                RuleKind::Pes => "PES",
                RuleKind::Mpes => "mPES",
            };
            for (k, v) in &r.fields {
                if k == "pre_synapse" {
                    let s = synapse_call(v);
                    synapse_param(ParamOf::RuleSynapse(c), s.as_ref(), &mut out);
                } else if let Some(x) = literal_f64(v) {
                    let d = ParamDecl::new(ParamOf::ConnRule(c), kind, k.to_string(), x);
                    out.extend(d.map(|d| (d, v.to_token_stream())));
                }
            }
        }
    }
    for (q, p) in m.probes.iter().enumerate() {
        synapse_param(ParamOf::ProbeSynapse(q), p.synapse.as_ref(), &mut out);
        if let Some(e) = &p.sample_every {
            if let Some(x) = literal_f64(e) {
                let d = ParamDecl::new(ParamOf::Probe(q), "probe", "sample_every", x);
                out.extend(d.map(|d| (d, e.to_token_stream())));
            }
        }
    }
    out
}

/// The model as netdsl-plan's rules read it.
pub fn declared(m: &Model) -> Declared<Size> {
    let conns = m
        .conns
        .iter()
        .map(|c| ConnDecl {
            label: c.label.clone().into(),
            pre: end(m, c.pre.target),
            pre_slice: slice_decl(&c.pre.slice),
            post: end(m, c.post.target),
            post_slice: slice_decl(&c.post.slice),
            function: c.function.as_ref().map(|f| FunctionDecl {
                size_out: f.size_out.clone(),
                identity: f.identity,
            }),
            transform: match &c.transform {
                None | Some(Transform::Scalar(_)) => TransformDecl::Scalar,
                Some(Transform::Computed(_)) => TransformDecl::Implied,
                Some(Transform::Diagonal(v)) => TransformDecl::Diagonal(Size::Known(v.len())),
                Some(Transform::Matrix(rows)) => TransformDecl::Matrix {
                    rows: Size::Known(rows.len()),
                    cols: Size::Known(rows.first().map(|r| r.len()).unwrap_or(0)),
                },
            },
            synapse: !matches!(c.synapse, Some(Synapse::None)),
            rule: c.rule.as_ref().map(|r| match r.kind {
                RuleKind::Pes => np::RuleKind::Pes,
                RuleKind::Mpes => np::RuleKind::Mpes,
            }),
            weight_solver: c.solver.as_ref().map(|s| s.weights).unwrap_or(false),
            storage_f32: c.storage_f32.is_some(),
        })
        .collect();
    let probes = m
        .probes
        .iter()
        .map(|p| np::Probe {
            name: p.name.to_string().into(),
            target: match p.target {
                ProbeOf::Item(i) => np::ProbeTarget::Item(i),
                ProbeOf::Virtual(v) => np::ProbeTarget::Item(m.items.len() + v),
                ProbeOf::Conn(c) => np::ProbeTarget::Conn(c),
            },
            attr: p.attr,
            synapse: !matches!(p.synapse, None | Some(Synapse::None)),
        })
        .collect();
    Declared {
        name: m.name.to_string().into(),
        items: m
            .items
            .iter()
            .map(|it| item_decl(m, it))
            .chain(m.virtuals.iter().map(virtual_decl))
            .collect(),
        conns,
        probes,
        params: params(m).into_iter().map(|(d, _)| d).collect(),
    }
}

/// The user's text for the parts of a statement messages quote.
struct Source<'m>(&'m Model);

impl Texts for Source<'_> {
    fn end(&self, conn: usize, side: Side) -> String {
        self.0
            .conns
            .get(conn)
            .map_or_else(String::new, |c| match side {
                Side::Pre => c.pre.input.text(),
                Side::Post => c.post.input.text(),
            })
    }

    fn slice(&self, conn: usize, side: Side) -> String {
        let s = self.0.conns.get(conn).and_then(|c| match side {
            Side::Pre => c.pre.slice.as_ref(),
            Side::Post => c.post.slice.as_ref(),
        });
        s.map(|s| s.input.text()).unwrap_or_default()
    }

    fn probe_attr(&self, probe: usize) -> String {
        self.0
            .probes
            .get(probe)
            .map(|p| p.attr_word.clone())
            .unwrap_or_default()
    }
}

/// The tokens a position stands for.
fn tokens_at(m: &Model, at: At) -> TokenStream {
    let ens = |i: usize| match m.items.get(i).map(|it| &it.kind) {
        Some(ItemKind::Ensemble(e)) => Some(e),
        _ => None,
    };
    let node = |i: usize| match m.items.get(i).map(|it| &it.kind) {
        Some(ItemKind::Node(n)) => Some(n),
        _ => None,
    };
    let conn = |c: usize| m.conns.get(c);
    let toks = match at {
        At::EnsembleNeurons(i) => ens(i).map(|e| e.n_input.tokens.clone()),
        At::EnsembleDims(i) => ens(i).map(|e| e.d_input.tokens.clone()),
        At::EnsembleMaxRates(i) => {
            ens(i).and_then(|e| e.max_rates.as_ref().map(ToTokens::to_token_stream))
        }
        At::EnsembleRadius(i) => {
            ens(i).and_then(|e| e.radius.as_ref().map(ToTokens::to_token_stream))
        }
        At::NodeSizeOut(i) => node(i).map(|n| n.size_out_input.tokens.clone()),
        At::NodeOutput(i) => node(i).and_then(|n| match &n.output {
            NodeOutput::Constant(e) | NodeOutput::Process(e) => Some(e.to_token_stream()),
            _ => None,
        }),
        At::Conn(c) => conn(c).map(|c| c.tokens.clone()),
        At::ConnPre(c) => conn(c).map(|c| c.pre.input.tokens.clone()),
        At::ConnPost(c) => conn(c).map(|c| c.post.input.tokens.clone()),
        At::ConnPreSlice(c) => {
            conn(c).and_then(|c| c.pre.slice.as_ref().map(|s| s.input.tokens.clone()))
        }
        At::ConnPostSlice(c) => {
            conn(c).and_then(|c| c.post.slice.as_ref().map(|s| s.input.tokens.clone()))
        }
        At::ConnTransform(c) => {
            conn(c).and_then(|c| c.transform_expr.as_ref().map(ToTokens::to_token_stream))
        }
        At::ConnStorage(c) => conn(c).and_then(|c| c.storage_f32.clone()),
        At::Probe(p) => m.probes.get(p).map(|p| p.tokens.clone()),
        At::Param(k) => params(m).into_iter().nth(k).map(|(_, t)| t),
    };
    toks.unwrap_or_default()
}

fn cmp_tokens(c: &Cmp<Size>) -> TokenStream {
    match c {
        Cmp::Eq(a, b) => quote!(#a == #b),
        Cmp::Le(a, b) => quote!(#a <= #b),
        Cmp::Lt(a, b) => quote!(#a < #b),
        Cmp::Positive(a) => quote!(#a > 0),
    }
}

/// `(guard) && .. && cmp && ..`: the guards keep rustc from evaluating an underflowing size.
fn conjunction(cmps: &[Cmp<Size>]) -> TokenStream {
    let mut seen: Vec<&Size> = Vec::new();
    for c in cmps {
        for s in c.operands() {
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
    }
    let mut out = TokenStream::new();
    for g in seen.iter().flat_map(|s| s.guards()) {
        out.extend(quote!((#g) &&));
    }
    let cs = cmps.iter().map(cmp_tokens);
    out.extend(quote!(#(#cs)&&*));
    out
}

fn deferred(m: &Model, at: At, d: &np::validate::Deferred<Size>, msg: String) -> Deferred {
    let mut cond = conjunction(&d.require);
    if !d.given.is_empty() {
        let given = d.given.iter().map(|g| conjunction(g));
        cond = quote!(!(#(#given)&&*) || (#cond));
    }
    let generic = d
        .require
        .iter()
        .flat_map(|c| c.operands())
        .any(|s| s.is_generic());
    Deferred {
        cond,
        msg,
        span: first_span(&tokens_at(m, at)),
        generic,
    }
}

/// A float literal (possibly negated), as f64.
pub fn literal_f64(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
            syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => literal_f64(&u.expr).map(|v| -v),
        Expr::Paren(p) => literal_f64(&p.expr),
        // `f64::NAN`, `f64::INFINITY`, `f64::NEG_INFINITY` (also `core::f64::..`).
        Expr::Path(p) if p.qself.is_none() => {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            let n = segs.len();
            if n < 2 || segs[n - 2] != "f64" {
                return None;
            }
            match segs[n - 1].as_str() {
                "NAN" => Some(f64::NAN),
                "INFINITY" => Some(f64::INFINITY),
                "NEG_INFINITY" => Some(f64::NEG_INFINITY),
                _ => None,
            }
        }
        Expr::Group(g) => literal_f64(&g.expr),
        _ => None,
    }
}

/// The highest literal rate of `Uniform(lo, hi)`, `[a, b, ..]` or a literal.
fn max_of_rates(e: &Expr) -> Option<f64> {
    match e {
        Expr::Call(c) => {
            let args: Vec<f64> = c.args.iter().map(literal_f64).collect::<Option<Vec<_>>>()?;
            args.into_iter().reduce(f64::max)
        }
        Expr::Array(a) => a
            .elems
            .iter()
            .map(literal_f64)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .reduce(f64::max),
        _ => literal_f64(e),
    }
}

/// Run every rule; errors are returned all together.
pub fn check(m: &Model) -> Result<Checked, Vec<syn::Error>> {
    let decl = declared(m);
    // The rules trust nothing but the lowering they end with trusts them; a panic there would
    // be a macro bug, so it becomes an error.
    let v: Validated<Size> =
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| np::validate(&decl))) {
            Ok(v) => v,
            Err(_) => {
                return Err(vec![syn::Error::new(
                    m.name.span(),
                    "internal error in netdsl's rules (please report this network)",
                )])
            }
        };
    let texts = Source(m);
    let mut errors = Vec::new();
    // Paths into instances, array indices and counts, loop ranges first: rustc stops at the
    // first failing assertion of a generic network, and these explain the size checks after.
    let mut later: Vec<Deferred> = m
        .subnet_checks
        .iter()
        .map(|c| Deferred {
            cond: c.cond.clone(),
            msg: c.msg.clone(),
            span: c.span,
            generic: c.generic,
        })
        .collect();
    for x in &v.violations {
        if about_inner_item(m, x.at) || about_emitted_copy(m, x.at) {
            continue;
        }
        let msg = x.message_with(&decl, &texts);
        match &x.deferred {
            None => errors.push(syn::Error::new_spanned(tokens_at(m, x.at), msg)),
            Some(d) => later.push(deferred(m, x.at, d, msg)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let conns: Option<Vec<ConnSizes>> = v.sizes.into_iter().collect();
    match (conns, v.structure) {
        (Some(conns), Some(structure)) => Ok(Checked {
            conns,
            deferred: later,
            structure,
        }),
        _ => Err(vec![syn::Error::new(
            Span::call_site(),
            "internal: a connection was not checked",
        )]),
    }
}
