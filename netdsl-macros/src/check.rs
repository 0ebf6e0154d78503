//! Phase 3: the compile-time checks. Sizes the macro knows are compared here (errors on the
//! user's tokens); sizes it cannot evaluate become [`Deferred`] assertions that rustc evaluates.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Expr;

use crate::model::*;
use crate::parse::first_span;

/// A check rustc must do: `assert!(cond, msg)` in a const context, spanned at the user's tokens.
pub struct Deferred {
    pub cond: TokenStream,
    pub msg: String,
    pub span: Span,
    pub generic: bool,
}

/// The sizes of one connection, as the plan needs them.
#[derive(Clone)]
pub struct ConnSizes {
    /// Source slice `[lo, hi)` (on the source's value, neurons or output).
    pub pre_slice: Option<(Size, Size)>,
    /// Size of the source after its slice (all neurons for a decoded ensemble source).
    pub pre_size: Size,
    /// What the function or transform sees: the source value after its slice.
    pub src_size: Size,
    pub func_size: Option<Size>,
    pub out_size: Size,
    pub post_slice: Option<(Size, Size)>,
    pub error_size: Option<Size>,
    pub transform: netdsl_plan::TransformKind,
    pub weight_solver: bool,
    pub synapse: bool,
}

pub struct Checked {
    pub conns: Vec<ConnSizes>,
    pub deferred: Vec<Deferred>,
}

struct Checker<'m> {
    m: &'m Model,
    errors: Vec<syn::Error>,
    deferred: Vec<Deferred>,
    /// Deferred slice conditions of the current connection: its size checks only apply when
    /// its slices are valid (so one bad slice gives one error).
    slice_ok: Vec<TokenStream>,
}

/// "`a` has 2 dimensions", "`a.neurons` has 1 neuron", "`n` has size_in 3".
fn has(name: &str, what: &str, n: &Size) -> String {
    match (what, n.value()) {
        ("dimensions", Some(1)) => format!("`{name}` has 1 dimension"),
        ("neurons", Some(1)) => format!("`{name}` has 1 neuron"),
        ("dimensions" | "neurons", _) => format!("`{name}` has {} {what}", n.show()),
        _ => format!("`{name}` has {what} {}", n.show()),
    }
}

impl<'m> Checker<'m> {
    fn err(&mut self, tokens: &TokenStream, msg: String) {
        self.errors.push(syn::Error::new_spanned(tokens, msg));
    }

    fn defer(
        &mut self,
        tokens: &TokenStream,
        cond: TokenStream,
        guards: Vec<TokenStream>,
        generic: bool,
        msg: String,
    ) {
        let mut all = TokenStream::new();
        for g in guards {
            all.extend(quote!((#g) &&));
        }
        all.extend(cond);
        self.deferred.push(Deferred {
            cond: all,
            msg,
            span: first_span(tokens),
            generic,
        });
    }

    /// `a == b`, now or deferred. `msg(a, b)` words the failure.
    fn expect_eq(
        &mut self,
        tokens: &TokenStream,
        a: &Size,
        b: &Size,
        msg: impl Fn(String, String) -> String,
    ) -> bool {
        match (a.value(), b.value()) {
            (Some(x), Some(y)) => {
                if x != y {
                    self.err(tokens, msg(a.show(), b.show()));
                    return false;
                }
                true
            }
            _ => {
                if a == b {
                    return true;
                }
                let (at, bt) = (a.tokens(), b.tokens());
                let mut guards = a.guards();
                guards.extend(b.guards());
                let generic = a.is_generic() || b.is_generic();
                let mut cond = TokenStream::new();
                for g in guards {
                    cond.extend(quote!((#g) &&));
                }
                cond.extend(quote!(#at == #bt));
                if !self.slice_ok.is_empty() {
                    let ok = &self.slice_ok;
                    cond = quote!(!(#(#ok)&&*) || (#cond));
                }
                self.defer(tokens, cond, Vec::new(), generic, msg(a.show(), b.show()));
                true
            }
        }
    }

    fn item(&self, i: usize) -> &'m Item {
        &self.m.items[i]
    }

    /// The full size of an end and how to name it: (size, "`pre` has 2 dimensions").
    fn end_size(
        &self,
        t: Target,
        sizes: &[Option<ConnSizes>],
        is_post: bool,
    ) -> Option<(Size, &'static str)> {
        match t {
            Target::Item { item, port } => match (&self.item(item).kind, port) {
                (ItemKind::Ensemble(e), Port::Value) => Some((e.d.clone(), "dimensions")),
                (ItemKind::Ensemble(e), Port::Neurons) => Some((e.n.clone(), "neurons")),
                (ItemKind::Node(n), _) => {
                    if is_post {
                        Some((n.size_in.clone(), "size_in"))
                    } else {
                        Some((n.size_out.clone(), "size_out"))
                    }
                }
            },
            Target::Learning { conn } => sizes
                .get(conn)
                .and_then(|s| s.as_ref())
                .and_then(|s| s.error_size.clone())
                .map(|s| (s, "error dimensions")),
        }
    }

    /// Check a slice against the full size; returns the slice and the sliced length.
    fn slice(
        &mut self,
        end: &End,
        full: &Size,
        what: &str,
    ) -> Option<(Option<(Size, Size)>, Size)> {
        let Some(s) = &end.slice else {
            return Some((None, full.clone()));
        };
        let name = end.input.text();
        let hi = if s.input.range && s.input.hi.is_none() {
            full.clone()
        } else {
            s.hi.clone()
        };
        let lo = s.lo.clone();
        let text = s.input.text();
        let toks = &s.input.tokens;
        let full_desc = has(&name, what, full);
        match (lo.value(), hi.value(), full.value()) {
            (Some(l), Some(h), f) => {
                if !s.input.range {
                    if let Some(f) = f {
                        if l >= f {
                            let idx = if text == l.to_string() {
                                format!("index {l}")
                            } else {
                                format!("index `{text}` = {l}")
                            };
                            self.err(
                                toks,
                                format!(
                                    "{idx} is out of range: {full_desc} (valid indices 0..{f})"
                                ),
                            );
                            return None;
                        }
                    }
                } else if h < l {
                    self.err(
                        toks,
                        format!("slice `{text}` is reversed: it starts at {l} and ends at {h}"),
                    );
                    return None;
                } else if h == l {
                    self.err(
                        toks,
                        format!("slice `{text}` is empty: it starts and ends at {l}"),
                    );
                    return None;
                } else if let Some(f) = f {
                    if h > f {
                        self.err(toks, format!("slice `{text}` ends at {h} but {full_desc}"));
                        return None;
                    }
                }
                if f.is_none() {
                    let (ht, ft) = (hi.tokens(), full.tokens());
                    let g = full.is_generic();
                    self.slice_ok.push(quote!(#ht <= #ft));
                    self.defer(
                        toks,
                        quote!(#ht <= #ft),
                        full.guards(),
                        g,
                        format!("slice `{text}` ends at {h} but {full_desc}, which is smaller"),
                    );
                }
            }
            _ => {
                let (lt, ht, ft) = (lo.tokens(), hi.tokens(), full.tokens());
                let mut guards = lo.guards();
                guards.extend(hi.guards());
                guards.extend(full.guards());
                let g = lo.is_generic() || hi.is_generic() || full.is_generic();
                let mut cond = TokenStream::new();
                for gd in &guards {
                    cond.extend(quote!((#gd) &&));
                }
                cond.extend(quote!(#lt < #ht && #ht <= #ft));
                self.slice_ok.push(cond.clone());
                self.defer(
                    toks,
                    cond,
                    Vec::new(),
                    g,
                    format!(
                        "slice `{text}` must be a non-empty range within 0..{}, but {full_desc}",
                        full.text()
                    ),
                );
            }
        }
        let len = Size::sub(&hi, &lo).unwrap_or(Size::Known(0));
        Some((Some((lo, hi)), len))
    }

    fn conn(&mut self, c: &Conn, sizes: &[Option<ConnSizes>]) -> Option<ConnSizes> {
        let label = &c.label;
        let ct = &c.tokens;
        self.slice_ok.clear();
        let Target::Item {
            item: pre_item,
            port: pre_port,
        } = c.pre.target
        else {
            return None;
        };
        let pre_kind = &self.item(pre_item).kind;
        let pre_direct =
            matches!(pre_kind, ItemKind::Ensemble(e) if e.neuron.kind == NeuronKind::Direct);
        let pre_ens = matches!(pre_kind, ItemKind::Ensemble(_));
        let decoded = pre_ens && pre_port == Port::Value && !pre_direct;
        let pre_name = self.item(pre_item).name.to_string();

        // Source.
        if let ItemKind::Node(n) = pre_kind {
            if n.size_out.value() == Some(0) {
                self.err(&c.pre.input.tokens, format!("`{pre_name}` has no output (size_out 0) and cannot be a connection's source"));
                return None;
            }
        }
        let (pre_full, pre_what) = self.end_size(c.pre.target, sizes, false)?;
        let (pre_slice, src_size) = self.slice(&c.pre, &pre_full, pre_what)?;
        let pre_size = if decoded {
            match pre_kind {
                ItemKind::Ensemble(e) => e.n.clone(),
                _ => src_size.clone(),
            }
        } else {
            src_size.clone()
        };
        let src_text = c.pre.input.label();
        let src_desc = match &c.pre.slice {
            Some(_) => format!("`{}` gives {}", src_text, src_size.show()),
            None => has(&c.pre.input.text(), pre_what, &src_size),
        };

        // Target.
        let post_is_learning = matches!(c.post.target, Target::Learning { .. });
        if let Target::Learning { conn } = c.post.target {
            if self
                .m
                .conns
                .get(conn)
                .map(|x| x.rule.is_none())
                .unwrap_or(true)
            {
                let n = c.post.input.name.to_string();
                self.err(&c.post.input.tokens, format!("connection `{n}` has no learning rule, so `{n}.learning` takes no error; give it `learning = PES` (or `mPES`)"));
                return None;
            }
        }
        if let Target::Item { item, .. } = c.post.target {
            if let ItemKind::Node(n) = &self.item(item).kind {
                if n.size_in.value() == Some(0) {
                    let name = &self.item(item).name;
                    self.err(&c.post.input.tokens, format!("`{name}` takes no input (size_in 0); declare it `node {name}: IN -> OUT = |t, x| ..` to give it one"));
                    return None;
                }
            }
        }
        let (post_full, post_what) = self.end_size(c.post.target, sizes, true)?;
        let (post_slice, post_size) = self.slice(&c.post, &post_full, post_what)?;
        let post_text = c.post.input.label();
        let post_desc = match &c.post.slice {
            Some(_) => format!("`{}` takes {}", post_text, post_size.show()),
            None => match (post_what, post_size.value()) {
                ("dimensions", Some(1)) => {
                    format!("`{}` takes 1 (it has 1 dimension)", c.post.input.text())
                }
                ("dimensions" | "neurons", _) => format!(
                    "`{}` takes {} (it has {} {post_what})",
                    c.post.input.text(),
                    post_size.show(),
                    post_size.show()
                ),
                _ => format!(
                    "`{}` takes {} (its {post_what})",
                    c.post.input.text(),
                    post_size.show()
                ),
            },
        };

        let weight_solver = c.solver.as_ref().map(|s| s.weights).unwrap_or(false);
        let rule = c.rule.as_ref().map(|r| r.kind);

        // Rule and solver validity.
        if weight_solver {
            let post_ok = matches!(c.post.target, Target::Item { item, port: Port::Value } if matches!(&self.item(item).kind, ItemKind::Ensemble(e) if e.neuron.kind != NeuronKind::Direct));
            if !decoded || !post_ok {
                self.err(ct, format!("`solver = LstsqL2 {{ weights: true }}` needs a decoded ensemble on both ends (`pre -> post`); `{label}` is not one"));
                return None;
            }
        }
        if let Some(r) = &c.rule {
            match r.kind {
                RuleKind::Pes => {
                    if !pre_ens || pre_direct {
                        self.err(ct, format!("PES learns from the pre neurons' activity, but `{pre_name}` is {}; learn on a connection from an ensemble", if pre_direct { "a Direct-mode ensemble" } else { "a node" }));
                        return None;
                    }
                    if matches!(c.transform, Some(Transform::Diagonal(..))) {
                        self.err(ct, "PES cannot learn a diagonal (vector) transform; use a scalar or a matrix".to_string());
                        return None;
                    }
                }
                RuleKind::Mpes => {
                    let post_neurons = matches!(
                        c.post.target,
                        Target::Item {
                            port: Port::Neurons,
                            ..
                        }
                    );
                    if pre_port != Port::Neurons || !post_neurons {
                        self.err(ct, format!("mPES runs on memristive synapses between neurons: write `pre.neurons -> post.neurons`, not `{label}`"));
                        return None;
                    }
                    if c.function.is_some() {
                        self.err(
                            ct,
                            "an mPES connection's weights are its devices: it takes no `function`"
                                .to_string(),
                        );
                        return None;
                    }
                }
            }
        }

        // Function.
        let mut func_size = None;
        let mut x = src_size.clone();
        if let Some(f) = &c.function {
            if pre_port == Port::Neurons {
                self.err(&c.pre.input.tokens, format!("a `function` needs a decoded source, but `{}` is neuron activity; connect from `{pre_name}`", c.pre.input.text()));
                return None;
            }
            let fs = if f.identity {
                Some(x.clone())
            } else {
                f.size_out.clone()
            };
            func_size = fs.clone();
            if let Some(fs) = fs {
                x = fs;
            }
        }
        let fdesc = match (&c.function, &func_size) {
            (Some(_), Some(s)) => format!(", and `function` returns {}", s.show()),
            _ => String::new(),
        };

        // Transform: what goes out.
        let out_size;
        let implied_func = c.function.is_some() && func_size.is_none();
        match (&c.transform, rule) {
            (None | Some(Transform::Scalar(_)), _) => {
                if weight_solver || implied_func {
                    out_size = post_size.clone();
                } else {
                    out_size = x.clone();
                }
            }
            (Some(Transform::Diagonal(v)), _) => {
                let k = Size::Known(v.len());
                let tt = c
                    .transform_expr
                    .as_ref()
                    .map(quote::ToTokens::to_token_stream)
                    .unwrap_or_default();
                if !implied_func {
                    let ok = self.expect_eq(&tt, &k, &x, |k, x| if fdesc.is_empty() { format!("transform vector has {k} entries but {src_desc}; a vector transform multiplies element by element") } else { format!("transform vector has {k} entries but {src_desc}{fdesc}, so {x}; a vector transform multiplies element by element") });
                    if !ok {
                        return None;
                    }
                }
                out_size = k;
                if implied_func {
                    func_size = Some(out_size.clone());
                }
            }
            (Some(Transform::Matrix(rows)), _) => {
                let r = Size::Known(rows.len());
                let cols = Size::Known(rows.first().map(|r| r.len()).unwrap_or(0));
                let tt = c
                    .transform_expr
                    .as_ref()
                    .map(quote::ToTokens::to_token_stream)
                    .unwrap_or_default();
                if implied_func {
                    func_size = Some(cols.clone());
                } else {
                    let (rr, cc) = (r.text(), cols.text());
                    let ok = self.expect_eq(&tt, &cols, &x, |c, x| if fdesc.is_empty() { format!("transform matrix is {rr}x{cc} (out x in): its {c} columns must match the source, but {src_desc}") } else { format!("transform matrix is {rr}x{cc} (out x in): its {c} columns must match the source, but {src_desc}{fdesc}, so {x}") });
                    if !ok {
                        return None;
                    }
                }
                out_size = r;
            }
        }
        if implied_func && func_size.is_none() {
            func_size = Some(out_size.clone());
        }

        // Source vs target.
        let mut out_size = out_size;
        if weight_solver {
            // Solved into the post neurons: decoded sizes must match post dims (after slice).
            let tdesc = match &c.transform {
                Some(Transform::Matrix(r)) => format!(" (after the {}-row transform)", r.len()),
                _ => String::new(),
            };
            let ok = self.expect_eq(ct, &x_after(&c.transform, &x), &post_size, |a, b| format!("size mismatch in `{label}`: {src_desc}{fdesc}, sending {a}{tdesc}, but {post_desc}; expected {b}"));
            if !ok {
                return None;
            }
            if let Target::Item { item, .. } = c.post.target {
                if let ItemKind::Ensemble(e) = &self.item(item).kind {
                    out_size = e.n.clone();
                }
            }
        } else {
            let tdesc = match &c.transform {
                Some(Transform::Matrix(r)) => format!(" through the {}-row transform", r.len()),
                _ => String::new(),
            };
            let changed = c.function.is_some() || matches!(c.transform, Some(Transform::Matrix(_)));
            let learned_post = match c.post.target {
                Target::Learning { conn } => self
                    .m
                    .conns
                    .get(conn)
                    .map(|l| (l.label.clone(), l.post.input.label())),
                _ => None,
            };
            let ok = self.expect_eq(ct, &out_size, &post_size, |a, b| {
                if let (true, Some((l, p))) = (post_is_learning, &learned_post) {
                    format!("error size mismatch: `{label}` sends {a} values, but the error of `{l}` has {b} (the dimensions of its target `{p}`)")
                } else if changed {
                    format!("size mismatch in `{label}`: {src_desc}{fdesc}, sending {a}{tdesc}, but {post_desc}")
                } else {
                    format!("size mismatch in `{label}`: {src_desc} but {post_desc}")
                }
            });
            if !ok {
                return None;
            }
            out_size = post_size.clone();
        }

        // Learning error size.
        let post_neurons = matches!(
            c.post.target,
            Target::Item {
                port: Port::Neurons,
                ..
            }
        ) || weight_solver;
        let error_size = if rule.is_some() {
            if post_neurons {
                match c.post.target {
                    Target::Item { item, .. } => match &self.item(item).kind {
                        ItemKind::Ensemble(e) => Some(e.d.clone()),
                        ItemKind::Node(n) => Some(n.size_in.clone()),
                    },
                    _ => None,
                }
            } else {
                Some(out_size.clone())
            }
        } else {
            None
        };

        let transform = match &c.transform {
            None | Some(Transform::Scalar(_)) => netdsl_plan::TransformKind::Scalar,
            Some(Transform::Diagonal(..)) => netdsl_plan::TransformKind::Diagonal,
            Some(Transform::Matrix(..)) => netdsl_plan::TransformKind::Matrix,
        };
        let synapse = !matches!(c.synapse, Some(Synapse::None));
        if let Some(st) = &c.storage_f32 {
            // The runtime keeps an f32 matrix only where its weights op is the one user of a
            // fixed matrix with more than one row: refuse what it would refuse, here.
            let matrix =
                decoded || weight_solver || transform == netdsl_plan::TransformKind::Matrix;
            let why = if rule.is_some() {
                Some(format!("`{label}` learns: its weights change every step"))
            } else if !matrix {
                Some(format!(
                    "`{label}` has a scalar or vector transform, not a weight matrix"
                ))
            } else if out_size.value() == Some(1) {
                Some(format!(
                    "`{label}` has one output, so its weights are a single row"
                ))
            } else {
                None
            };
            if let Some(why) = why {
                self.err(st, format!("`storage = f32` keeps a fixed weight matrix (more than one row) in single precision, but {why}; leave the weights `f64`"));
                return None;
            }
        }
        Some(ConnSizes {
            pre_slice,
            pre_size,
            src_size,
            func_size,
            out_size,
            post_slice,
            error_size,
            transform,
            weight_solver,
            synapse,
        })
    }

    fn ensemble(&mut self, e: &Ensemble, name: &syn::Ident) {
        if e.n.value() == Some(0) {
            self.err(
                &e.n_input.tokens,
                format!("ensemble `{name}` has 0 neurons; it needs at least 1"),
            );
        }
        if e.d.value() == Some(0) {
            self.err(
                &e.d_input.tokens,
                format!("ensemble `{name}` has 0 dimensions; it needs at least 1"),
            );
        }
        for (s, what) in [(&e.n, "neurons"), (&e.d, "dimensions")] {
            if s.value().is_none() {
                let t = s.tokens();
                let toks = if what == "neurons" {
                    &e.n_input.tokens
                } else {
                    &e.d_input.tokens
                };
                self.defer(
                    toks,
                    quote!(#t > 0),
                    s.guards(),
                    s.is_generic(),
                    format!(
                        "ensemble `{name}` must have at least one {} (`{}`)",
                        if what == "neurons" {
                            "neuron"
                        } else {
                            "dimension"
                        },
                        s.text()
                    ),
                );
            }
        }
        // max_rates >= 1 / tau_ref where both are literal.
        if matches!(e.neuron.kind, NeuronKind::Lif | NeuronKind::LifRate) {
            let tau_ref = match e.neuron.field("tau_ref") {
                Some(x) => literal_f64(x),
                None => Some(0.002),
            };
            if let (Some(tau_ref), Some(mr)) = (tau_ref, &e.max_rates) {
                if tau_ref <= 0.0 {
                    return;
                }
                let limit = 1.0 / tau_ref;
                if let Some(hi) = max_of_rates(mr) {
                    if hi >= limit {
                        let toks = quote::ToTokens::to_token_stream(mr);
                        self.err(&toks, format!("max_rates up to {hi} Hz in `{name}`, but LIF neurons with tau_ref = {tau_ref} s cannot fire at or above 1/tau_ref = {limit} Hz"));
                    }
                }
            }
        }
        if let Some(r) = &e.radius {
            if let Some(v) = literal_f64(r) {
                if v <= 0.0 {
                    let toks = quote::ToTokens::to_token_stream(r);
                    self.err(
                        &toks,
                        format!("radius of `{name}` must be positive, found {v}"),
                    );
                }
            }
        }
    }

    fn node(&mut self, n: &Node, name: &syn::Ident) {
        match &n.output {
            NodeOutput::Passthrough => {
                let toks = n.size_out_input.tokens.clone();
                self.expect_eq(&toks, &n.size_in, &n.size_out, |a, b| format!("passthrough node `{name}` passes its input through: size_in {a} must equal size_out {b}"));
            }
            NodeOutput::Constant(e) | NodeOutput::Process(e)
                if n.size_in.value().is_some_and(|v| v > 0) =>
            {
                let toks = quote::ToTokens::to_token_stream(e);
                self.err(&toks, format!("node `{name}` has size_in {} but its output ignores input; use `|t, x| ..` or declare `node {name}: 0 -> OUT`", n.size_in.show()));
            }
            _ => {}
        }
    }
}

fn x_after(t: &Option<Transform>, x: &Size) -> Size {
    match t {
        Some(Transform::Matrix(r)) => Size::Known(r.len()),
        _ => x.clone(),
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

/// Run every check; errors are returned all together.
pub fn check(m: &Model) -> Result<Checked, Vec<syn::Error>> {
    let mut ck = Checker {
        m,
        errors: Vec::new(),
        deferred: Vec::new(),
        slice_ok: Vec::new(),
    };
    for item in &m.items {
        match &item.kind {
            ItemKind::Ensemble(e) => ck.ensemble(e, &item.name),
            ItemKind::Node(n) => ck.node(n, &item.name),
        }
    }
    // Connections into `conn.learning` need the learned connection's sizes: those first.
    let mut sizes: Vec<Option<ConnSizes>> = vec![None; m.conns.len()];
    let mut failed = vec![false; m.conns.len()];
    for pass in 0..2 {
        for (i, c) in m.conns.iter().enumerate() {
            let into_learning = matches!(c.post.target, Target::Learning { .. });
            if into_learning != (pass == 1) {
                continue;
            }
            if let Target::Learning { conn } = c.post.target {
                if failed.get(conn).copied().unwrap_or(true)
                    && m.conns.get(conn).is_some_and(|x| x.rule.is_some())
                {
                    failed[i] = true;
                    continue;
                }
            }
            match ck.conn(c, &sizes) {
                Some(s) => sizes[i] = Some(s),
                None => failed[i] = true,
            }
        }
    }
    if !ck.errors.is_empty() {
        return Err(ck.errors);
    }
    let conns: Option<Vec<ConnSizes>> = sizes.into_iter().collect();
    match conns {
        Some(conns) => Ok(Checked {
            conns,
            deferred: ck.deferred,
        }),
        None => Err(vec![syn::Error::new(
            Span::call_site(),
            "internal: a connection was not checked",
        )]),
    }
}
