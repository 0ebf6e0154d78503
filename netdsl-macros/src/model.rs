//! Phase 2: syntax to the network model. Names are resolved (with "did you mean"), sizes are
//! evaluated where the macro can (literals, block consts, `x.n`, ...) and kept as Rust
//! expressions where it cannot (outside consts, generic parameters).

use std::collections::BTreeMap;
use std::rc::Rc;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, ExprClosure, Ident};

use crate::parse::*;

// ------------------------------------------------------------------------------------------
// Sizes
// ------------------------------------------------------------------------------------------

/// A size: a number the macro knows, or a Rust const expression rustc evaluates.
#[derive(Clone, Debug)]
pub enum Size {
    Known(usize),
    Expr(Rc<SizeExpr>),
}

#[derive(Debug)]
pub struct SizeExpr {
    /// Source-like text for messages.
    pub text: String,
    /// A Rust `usize` expression.
    pub tokens: TokenStream,
    /// Conditions that must hold before `tokens` can be evaluated (no unsigned underflow).
    pub guards: Vec<TokenStream>,
    /// Mentions a generic parameter of the network.
    pub generic: bool,
    /// Is exactly one generic parameter (usable as a const argument).
    pub bare_generic: bool,
}

impl From<usize> for Size {
    fn from(n: usize) -> Self {
        Size::Known(n)
    }
}

impl PartialEq for Size {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Size::Known(a), Size::Known(b)) => a == b,
            (Size::Expr(a), Size::Expr(b)) => a.text == b.text,
            _ => false,
        }
    }
}

impl Size {
    pub fn value(&self) -> Option<usize> {
        match self {
            Size::Known(n) => Some(*n),
            Size::Expr(_) => None,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Size::Known(n) => n.to_string(),
            Size::Expr(e) => e.text.clone(),
        }
    }

    /// For messages: `101` or `` `crate::N + 1` ``.
    pub fn show(&self) -> String {
        match self {
            Size::Known(n) => n.to_string(),
            Size::Expr(e) => format!("`{}`", e.text),
        }
    }

    /// A Rust expression of type `usize`.
    pub fn tokens(&self) -> TokenStream {
        match self {
            Size::Known(n) => {
                let lit = syn::LitInt::new(&format!("{n}usize"), Span::call_site());
                quote!(#lit)
            }
            Size::Expr(e) => {
                let t = &e.tokens;
                quote!((#t))
            }
        }
    }

    pub fn guards(&self) -> Vec<TokenStream> {
        match self {
            Size::Known(_) => Vec::new(),
            Size::Expr(e) => e.guards.clone(),
        }
    }

    pub fn is_generic(&self) -> bool {
        matches!(self, Size::Expr(e) if e.generic)
    }

    /// A const generic argument, when rustc accepts one here.
    pub fn const_arg(&self) -> Option<TokenStream> {
        match self {
            Size::Known(_) => Some(self.tokens()),
            Size::Expr(e) if e.bare_generic => Some(e.tokens.clone()),
            Size::Expr(e) if !e.generic => {
                let t = &e.tokens;
                Some(quote!({ #t }))
            }
            Size::Expr(_) => None,
        }
    }

    pub fn opaque(text: String, tokens: TokenStream, generic: bool, bare_generic: bool) -> Size {
        Size::Expr(Rc::new(SizeExpr {
            text,
            tokens,
            guards: Vec::new(),
            generic,
            bare_generic,
        }))
    }

    fn combine(a: &Size, b: &Size, op: BinOp, guard: Option<TokenStream>) -> Size {
        let (at, bt) = (a.tokens(), b.tokens());
        let tokens = match op {
            BinOp::Add => quote!(#at + #bt),
            BinOp::Sub => quote!(#at - #bt),
            BinOp::Mul => quote!(#at * #bt),
        };
        let mut guards = a.guards();
        guards.extend(b.guards());
        guards.extend(guard);
        Size::Expr(Rc::new(SizeExpr {
            text: format!("{} {} {}", a.text(), op.text(), b.text()),
            tokens,
            guards,
            generic: a.is_generic() || b.is_generic(),
            bare_generic: false,
        }))
    }

    pub fn add(a: &Size, b: &Size) -> Size {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => Size::Known(x.saturating_add(*y)),
            (Size::Known(0), _) => b.clone(),
            (_, Size::Known(0)) => a.clone(),
            _ => Size::combine(a, b, BinOp::Add, None),
        }
    }

    pub fn mul(a: &Size, b: &Size) -> Size {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => Size::Known(x.saturating_mul(*y)),
            (Size::Known(1), _) => b.clone(),
            (_, Size::Known(1)) => a.clone(),
            _ => Size::combine(a, b, BinOp::Mul, None),
        }
    }

    /// `a - b`; `None` when both are known and `b > a`.
    pub fn sub(a: &Size, b: &Size) -> Option<Size> {
        match (a, b) {
            (Size::Known(x), Size::Known(y)) => x.checked_sub(*y).map(Size::Known),
            (_, Size::Known(0)) => Some(a.clone()),
            _ => {
                let (at, bt) = (a.tokens(), b.tokens());
                Some(Size::combine(a, b, BinOp::Sub, Some(quote!(#at >= #bt))))
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// The model
// ------------------------------------------------------------------------------------------

pub struct Model {
    pub attrs: Vec<syn::Attribute>,
    pub vis: syn::Visibility,
    pub name: Ident,
    pub generics: Vec<GenericInput>,
    pub args: Vec<ArgInput>,
    pub consts: Vec<Const>,
    pub items: Vec<Item>,
    pub conns: Vec<Conn>,
    pub probes: Vec<Probe>,
    /// Which constructor arguments are state values borrowed by stages.
    pub state_args: Vec<bool>,
    /// False when some statement failed: only the items that built are here, with no
    /// connections or probes (their indices would be wrong); item checks still run.
    pub complete: bool,
}

pub struct Const {
    pub name: Ident,
    pub size: Size,
}

pub struct Item {
    pub name: Ident,
    pub kind: ItemKind,
}

#[allow(clippy::large_enum_variant)]
pub enum ItemKind {
    Ensemble(Ensemble),
    Node(Node),
}

pub struct Ensemble {
    pub n: Size,
    pub d: Size,
    pub n_input: SizeInput,
    pub d_input: SizeInput,
    pub neuron: Neuron,
    pub max_rates: Option<Expr>,
    pub intercepts: Option<Expr>,
    pub radius: Option<Expr>,
    pub encoders: Option<Expr>,
    pub normalize_encoders: Option<Expr>,
    pub gain: Option<Expr>,
    pub bias: Option<Expr>,
    pub eval_points: Option<Expr>,
    pub n_eval_points: Option<Expr>,
    pub initial_voltage: Option<Expr>,
    pub seed: Option<Expr>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NeuronKind {
    Lif,
    LifRate,
    RectifiedLinear,
    SpikingRectifiedLinear,
    Direct,
}

pub const NEURON_NAMES: &[(&str, NeuronKind, &[&str])] = &[
    (
        "LIF",
        NeuronKind::Lif,
        &["tau_rc", "tau_ref", "min_voltage", "amplitude"],
    ),
    (
        "LIFRate",
        NeuronKind::LifRate,
        &["tau_rc", "tau_ref", "amplitude"],
    ),
    (
        "RectifiedLinear",
        NeuronKind::RectifiedLinear,
        &["amplitude"],
    ),
    (
        "SpikingRectifiedLinear",
        NeuronKind::SpikingRectifiedLinear,
        &["amplitude"],
    ),
    ("Direct", NeuronKind::Direct, &[]),
];

pub struct Neuron {
    pub kind: NeuronKind,
    pub fields: Vec<(Ident, Expr)>,
    pub span: Span,
}

impl Neuron {
    pub fn field(&self, name: &str) -> Option<&Expr> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

pub struct Node {
    pub size_in: Size,
    pub size_out: Size,
    pub size_out_input: SizeInput,
    pub output: NodeOutput,
}

pub enum NodeOutput {
    Constant(Expr),
    Time(ExprClosure),
    TimeInput(ExprClosure),
    Passthrough,
    Stage {
        state: usize,
        method: Ident,
        expr: Expr,
    },
    Process(Expr),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Port {
    Value,
    Neurons,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    Item { item: usize, port: Port },
    Learning { conn: usize },
}

pub struct End {
    pub target: Target,
    pub slice: Option<Slice>,
    pub input: EndInput,
}

pub struct Slice {
    pub lo: Size,
    pub hi: Size,
    pub input: SliceInput,
}

pub enum Transform {
    Scalar(Expr),
    Diagonal(Vec<Expr>),
    Matrix(Vec<Vec<Expr>>),
}

pub struct Function {
    pub expr: Expr,
    /// Output size, when the macro can read it (array body, `-> [f64; K]`, identity).
    pub size_out: Option<Size>,
    /// `|x| x`.
    pub identity: bool,
}

pub enum Synapse {
    None,
    Lowpass(Expr),
    Alpha(Expr),
    LinearFilter(Expr, Expr),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RuleKind {
    Pes,
    Mpes,
}

pub struct Rule {
    pub kind: RuleKind,
    pub fields: Vec<(Ident, Expr)>,
}

pub struct Solver {
    pub reg: Option<Expr>,
    pub weights: bool,
}

pub struct Conn {
    pub label: String,
    pub pre: End,
    pub post: End,
    pub function: Option<Function>,
    pub transform: Option<Transform>,
    pub transform_expr: Option<Expr>,
    /// `None` = default `Lowpass(0.005)`.
    pub synapse: Option<Synapse>,
    pub solver: Option<Solver>,
    pub rule: Option<Rule>,
    pub eval_points: Option<Expr>,
    pub seed: Option<Expr>,
    /// `storage = f32`: the weight matrix in single precision (the tokens, for errors);
    /// `None` for the default (`f64`, also when written out).
    pub storage_f32: Option<TokenStream>,
    pub tokens: TokenStream,
}

/// What a probe records: the plan crate's own attribute, so the two never drift apart.
pub use netdsl_plan::ProbeAttr;

pub enum ProbeOf {
    Item(usize),
    Conn(usize),
}

pub struct Probe {
    pub name: Ident,
    pub target: ProbeOf,
    pub attr: ProbeAttr,
    pub synapse: Option<Synapse>,
    pub sample_every: Option<Expr>,
}

// ------------------------------------------------------------------------------------------
// Names
// ------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decl {
    Generic(usize),
    Arg(usize),
    Const(usize),
    Item(usize),
    Conn(usize),
    Probe(usize),
}

fn decl_what(d: Decl) -> &'static str {
    match d {
        Decl::Generic(_) => "generic parameter",
        Decl::Arg(_) => "constructor argument",
        Decl::Const(_) => "const",
        Decl::Item(_) => "item",
        Decl::Conn(_) => "connection",
        Decl::Probe(_) => "probe",
    }
}

/// Edit distance with adjacent transpositions (optimal string alignment).
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The closest candidate, if close enough to be a likely typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d <= limit && *c != name)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn did_you_mean(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

// ------------------------------------------------------------------------------------------
// Building the model
// ------------------------------------------------------------------------------------------

#[derive(Clone)]
enum Resolve<T> {
    Todo,
    Busy,
    Done(Option<T>),
}

struct Builder<'a> {
    net: &'a NetworkInput,
    errors: Vec<syn::Error>,
    names: BTreeMap<String, Decl>,
    consts: Vec<(&'a Ident, &'a SizeInput)>,
    const_sizes: Vec<Resolve<Size>>,
    /// (name, stmt) of each item.
    items: Vec<&'a StmtInput>,
    item_sizes: Vec<Resolve<(Size, Size)>>,
    conn_stmts: Vec<&'a StmtInput>,
}

impl<'a> Builder<'a> {
    fn err(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    fn declare(&mut self, name: &Ident, d: Decl) {
        let key = name.to_string();
        if let Some(prev) = self.names.get(&key).copied() {
            let what = match prev {
                Decl::Item(i) => self.item_what(i).to_string(),
                Decl::Arg(_) => "a constructor argument".to_string(),
                d => format!("a {}", decl_what(d)),
            };
            let msg = format!(
                "`{key}` is defined twice: it is already {what} of this network; names must be unique"
            );
            self.err(syn::Error::new(name.span(), msg));
            return;
        }
        self.names.insert(key, d);
    }

    fn unknown(&mut self, name: &Ident, what: &str, filter: impl Fn(Decl) -> bool) {
        let key = name.to_string();
        let cands: Vec<&str> = self
            .names
            .iter()
            .filter(|(_, d)| filter(**d))
            .map(|(k, _)| k.as_str())
            .collect();
        let s = suggest(&key, cands.iter().copied()).map(|s| s.to_string());
        let msg = format!("unknown {what} `{key}`{}", did_you_mean(s.as_deref()));
        self.err(syn::Error::new(name.span(), msg));
    }

    // -------------------------------- sizes ------------------------------------------------

    fn size(&mut self, s: &SizeInput) -> Option<Size> {
        match &s.kind {
            SizeKind::Lit(l) => match l.base10_parse::<usize>() {
                Ok(n) => Some(Size::Known(n)),
                Err(e) => {
                    self.err(e);
                    None
                }
            },
            SizeKind::Paren(inner) => self.size(inner),
            SizeKind::Block(ts) => {
                let generic = self
                    .net
                    .generics
                    .iter()
                    .any(|g| mentions(ts, &g.name.to_string()));
                Some(Size::opaque(
                    format!("{{ {ts} }}"),
                    quote!({ #ts }),
                    generic,
                    false,
                ))
            }
            SizeKind::Binary { lhs, op, rhs } => {
                let a = self.size(lhs);
                let b = self.size(rhs);
                let (a, b) = (a?, b?);
                match op {
                    BinOp::Add => Some(Size::add(&a, &b)),
                    BinOp::Mul => Some(Size::mul(&a, &b)),
                    BinOp::Sub => match Size::sub(&a, &b) {
                        Some(s) => Some(s),
                        None => {
                            self.err(syn::Error::new_spanned(
                                &s.tokens,
                                format!(
                                    "size `{}` is negative: {} - {} underflows",
                                    s.text(),
                                    a.text(),
                                    b.text()
                                ),
                            ));
                            None
                        }
                    },
                }
            }
            SizeKind::Path(p) => {
                if let Some(id) = p.get_ident() {
                    let key = id.to_string();
                    match self.names.get(&key).copied() {
                        Some(Decl::Const(i)) => return self.const_size(i, id),
                        Some(Decl::Generic(_)) => {
                            return Some(Size::opaque(key, quote!(#id), true, true))
                        }
                        Some(Decl::Item(i)) => {
                            let what = self.item_what(i);
                            self.err(syn::Error::new(
                                id.span(),
                                format!(
                                    "`{key}` is {what}, not a size; write `{key}.{}`",
                                    if what == "an ensemble" {
                                        "n` or `".to_string() + &key + ".d"
                                    } else {
                                        "size_in` or `".to_string() + &key + ".size_out"
                                    }
                                ),
                            ));
                            return None;
                        }
                        Some(d) => {
                            self.err(syn::Error::new(
                                id.span(),
                                format!("`{key}` is a {}, not a size", decl_what(d)),
                            ));
                            return None;
                        }
                        None => {
                            // Lower-case: a typo of a block name. Upper-case: an outside const.
                            let upper = key.chars().all(|c| !c.is_lowercase());
                            if !upper {
                                self.unknown(id, "size", |d| {
                                    matches!(d, Decl::Const(_) | Decl::Generic(_) | Decl::Item(_))
                                });
                                return None;
                            }
                        }
                    }
                }
                let text = path_text(p);
                let span = p.span();
                Some(Size::opaque(text, quote_spanned!(span=> #p), false, false))
            }
            SizeKind::Field { base, field } => {
                let key = base.to_string();
                let i = match self.names.get(&key).copied() {
                    Some(Decl::Item(i)) => i,
                    Some(d) => {
                        self.err(syn::Error::new(
                            base.span(),
                            format!(
                                "`{key}` is a {}; only ensembles and nodes have sizes",
                                decl_what(d)
                            ),
                        ));
                        return None;
                    }
                    None => {
                        self.unknown(base, "item", |d| matches!(d, Decl::Item(_)));
                        return None;
                    }
                };
                let (a, b) = self.item_size(i)?;
                let is_ens = matches!(self.items[i], StmtInput::Ensemble { .. });
                let f = field.to_string();
                match (is_ens, f.as_str()) {
                    (true, "n" | "n_neurons") => Some(a),
                    (true, "d" | "dims" | "dimensions" | "size_in" | "size_out") => Some(b),
                    (false, "d" | "size_out") => Some(b),
                    (false, "size_in") => Some(a),
                    (false, "n" | "n_neurons") => {
                        self.err(syn::Error::new(
                            field.span(),
                            format!("`{key}` is a node and has no neurons; use `{key}.size_in` or `{key}.size_out`"),
                        ));
                        None
                    }
                    _ => {
                        let fields: &[&str] = if is_ens {
                            &["n", "d", "size_in", "size_out"]
                        } else {
                            &["d", "size_in", "size_out"]
                        };
                        let s = suggest(&f, fields.iter().copied());
                        self.err(syn::Error::new(
                            field.span(),
                            format!(
                                "unknown size field `{f}` of `{key}`; expected one of {}{}",
                                fields
                                    .iter()
                                    .map(|f| format!("`{f}`"))
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                did_you_mean(s)
                            ),
                        ));
                        None
                    }
                }
            }
        }
    }

    fn item_what(&self, i: usize) -> &'static str {
        match self.items[i] {
            StmtInput::Ensemble { .. } => "an ensemble",
            _ => "a node",
        }
    }

    fn const_size(&mut self, i: usize, at: &Ident) -> Option<Size> {
        match self.const_sizes[i].clone() {
            Resolve::Done(s) => s,
            Resolve::Busy => {
                self.err(syn::Error::new(
                    at.span(),
                    format!("const `{at}` is defined in terms of itself"),
                ));
                None
            }
            Resolve::Todo => {
                self.const_sizes[i] = Resolve::Busy;
                let s = self.size(self.consts[i].1);
                self.const_sizes[i] = Resolve::Done(s.clone());
                s
            }
        }
    }

    fn item_size(&mut self, i: usize) -> Option<(Size, Size)> {
        match self.item_sizes[i].clone() {
            Resolve::Done(s) => s,
            Resolve::Busy => {
                let name = match self.items[i] {
                    StmtInput::Ensemble { name, .. } | StmtInput::Node { name, .. } => name,
                    _ => unreachable_name(),
                };
                self.err(syn::Error::new(
                    name.span(),
                    format!("the size of `{name}` depends on itself"),
                ));
                None
            }
            Resolve::Todo => {
                self.item_sizes[i] = Resolve::Busy;
                let r = match self.items[i] {
                    StmtInput::Ensemble { n, d, .. } => {
                        let n = self.size(n);
                        let d = self.size(d);
                        n.zip(d)
                    }
                    StmtInput::Node {
                        size_in,
                        size_out,
                        output,
                        ..
                    } => {
                        let out = self.size(size_out);
                        let inp = match size_in {
                            Some(s) => self.size(s),
                            None => {
                                if node_takes_input(output.as_ref()) {
                                    out.clone()
                                } else {
                                    Some(Size::Known(0))
                                }
                            }
                        };
                        inp.zip(out)
                    }
                    _ => None,
                };
                self.item_sizes[i] = Resolve::Done(r.clone());
                r
            }
        }
    }
}

fn unreachable_name() -> &'static Ident {
    // Items are only ensembles and nodes; this is never reached. Kept panic-free.
    thread_local! {
        static ID: &'static Ident = Box::leak(Box::new(Ident::new("item", Span::call_site())));
    }
    ID.with(|i| *i)
}

/// Whether a token stream mentions an identifier.
pub fn mentions(ts: &TokenStream, name: &str) -> bool {
    ts.clone().into_iter().any(|tt| match tt {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

/// Whether a node with only one size given takes input (`size_in = size_out`).
fn node_takes_input(out: Option<&NodeOutputInput>) -> bool {
    match out {
        None => true,
        Some(NodeOutputInput::Process(_)) => false,
        Some(NodeOutputInput::Expr(e)) => match e {
            Expr::Closure(c) => c.inputs.len() >= 2,
            Expr::Field(_) => true,
            Expr::Path(p) => p.path.is_ident("None"),
            _ => false,
        },
    }
}

fn take_param<'p>(
    params: &'p [ParamInput],
    allowed: &[&str],
    what: &str,
    errors: &mut Vec<syn::Error>,
) -> BTreeMap<String, &'p Expr> {
    let mut out = BTreeMap::new();
    for p in params {
        let key = p.key.to_string();
        let canon = match key.as_str() {
            "neuron_type" => "neuron".to_string(),
            "learning_rule" | "learning_rule_type" | "rule" => "learning".to_string(),
            "voltage" => "initial_voltage".to_string(),
            _ => key.clone(),
        };
        if !allowed.contains(&canon.as_str()) {
            let s = suggest(&key, allowed.iter().copied());
            errors.push(syn::Error::new(
                p.key.span(),
                format!(
                    "unknown {what} parameter `{key}`{}; expected one of: {}",
                    did_you_mean(s),
                    allowed.join(", ")
                ),
            ));
            continue;
        }
        if out.contains_key(&canon) {
            errors.push(syn::Error::new(
                p.key.span(),
                format!("parameter `{key}` is given twice"),
            ));
            continue;
        }
        out.insert(canon, &p.value);
    }
    out
}

const ENSEMBLE_PARAMS: &[&str] = &[
    "neuron",
    "max_rates",
    "intercepts",
    "radius",
    "encoders",
    "normalize_encoders",
    "gain",
    "bias",
    "eval_points",
    "n_eval_points",
    "initial_voltage",
    "seed",
];
const CONN_PARAMS: &[&str] = &[
    "function",
    "transform",
    "synapse",
    "solver",
    "learning",
    "eval_points",
    "seed",
    "storage",
];
const PROBE_PARAMS: &[&str] = &["synapse", "sample_every"];

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
        match build_conn(&mut b, c, &items) {
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
            match build_probe(
                &mut b,
                name,
                target,
                attrs,
                target_tokens,
                params,
                &items,
                &conns,
            ) {
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

fn build_item(
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

type Named = (Ident, Vec<(Ident, Expr)>, bool);

fn expr_name(e: &Expr) -> Option<Named> {
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

fn check_fields(b: &mut Builder, what: &str, fields: &[(Ident, Expr)], allowed: &[&str]) -> bool {
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

fn parse_neuron(b: &mut Builder, e: &Expr) -> Option<Neuron> {
    let names: Vec<&str> = NEURON_NAMES.iter().map(|(n, _, _)| *n).collect();
    let Some((id, fields, _)) = expr_name(e) else {
        b.err(syn::Error::new_spanned(
            e,
            format!("expected a neuron type: {}", names.join(", ")),
        ));
        return None;
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
    Some(Neuron {
        kind: *kind,
        fields,
        span: id.span(),
    })
}

fn parse_synapse(b: &mut Builder, e: &Expr) -> Option<Synapse> {
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

fn parse_transform(b: &mut Builder, e: &Expr) -> Option<Transform> {
    match e {
        Expr::Array(a) => {
            let rows: Vec<&Expr> = a.elems.iter().collect();
            if rows.is_empty() {
                b.err(syn::Error::new_spanned(e, "empty transform"));
                return None;
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
                Some(n) if !matches!(&*r.expr, Expr::Array(_)) => {
                    Some(Transform::Diagonal(vec![(*r.expr).clone(); n]))
                }
                _ => {
                    b.err(syn::Error::new_spanned(e, "write the transform out: a vector `[a, b]` or a matrix `[[a, b], [c, d]]` (or `[v; 3]` with a literal length)"));
                    None
                }
            }
        }
        _ => Some(Transform::Scalar(e.clone())),
    }
}

fn parse_function(b: &mut Builder, e: &Expr) -> Option<Function> {
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

fn parse_rule(b: &mut Builder, e: &Expr) -> Option<Rule> {
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

fn parse_solver(b: &mut Builder, e: &Expr) -> Option<Solver> {
    let Some((id, fields, _)) = expr_name(e) else {
        b.err(syn::Error::new_spanned(
            e,
            "expected a solver: `LstsqL2` or `LstsqL2 { reg: 0.1, weights: false }`",
        ));
        return None;
    };
    if id != "LstsqL2" {
        let s = suggest(&id.to_string(), ["LstsqL2"]);
        b.err(syn::Error::new(
            id.span(),
            format!(
                "unknown solver `{id}`{}; expected `LstsqL2`",
                did_you_mean(s)
            ),
        ));
        return None;
    }
    if !check_fields(b, "LstsqL2", &fields, &["reg", "weights"]) {
        return None;
    }
    let mut weights = false;
    let mut reg = None;
    for (k, v) in fields {
        if k == "weights" {
            match &v {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(bl),
                    ..
                }) => weights = bl.value,
                _ => {
                    b.err(syn::Error::new_spanned(
                        &v,
                        "`weights` must be `true` or `false` (the macro plans with it)",
                    ));
                    return None;
                }
            }
        } else {
            reg = Some(v);
        }
    }
    Some(Solver { reg, weights })
}

fn resolve_end(b: &mut Builder, e: &EndInput, items: &[Item], is_post: bool) -> Option<End> {
    let key = e.name.to_string();
    let port_name = e.port.as_ref().map(|p| p.to_string());
    let target = match b.names.get(&key).copied() {
        Some(Decl::Item(i)) => {
            let port = match port_name.as_deref() {
                None => Port::Value,
                Some("neurons") => {
                    if let Some(Item {
                        kind: ItemKind::Node(_),
                        ..
                    }) = items.get(i)
                    {
                        b.err(syn::Error::new_spanned(
                            &e.tokens,
                            format!("`{key}` is a node; only ensembles have `.neurons`"),
                        ));
                        return None;
                    }
                    if let Some(Item {
                        kind: ItemKind::Ensemble(en),
                        ..
                    }) = items.get(i)
                    {
                        if en.neuron.kind == NeuronKind::Direct {
                            b.err(syn::Error::new_spanned(
                                &e.tokens,
                                format!("`{key}` is a Direct-mode ensemble and has no neurons"),
                            ));
                            return None;
                        }
                    }
                    Port::Neurons
                }
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
            if !is_post {
                b.err(syn::Error::new_spanned(
                    &e.tokens,
                    format!(
                        "`{key}.learning` is an error input; it cannot be a connection's source"
                    ),
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

fn build_conn(b: &mut Builder, c: usize, items: &[Item]) -> Option<Conn> {
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
    let pre_e = resolve_end(b, pre, items, false);
    let post_e = resolve_end(b, post, items, true);
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

/// `storage = f32` or `storage = f64`: whether the weights are single precision.
fn parse_storage(b: &mut Builder, e: &Expr) -> Option<bool> {
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

#[allow(clippy::too_many_arguments)]
fn build_probe(
    b: &mut Builder,
    name: &Ident,
    target: &Ident,
    attrs: &[Ident],
    target_tokens: &TokenStream,
    params: &[ParamInput],
    items: &[Item],
    conns: &[Conn],
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
            let item = items.get(i);
            let ens = match item.map(|it| &it.kind) {
                Some(ItemKind::Ensemble(e)) => Some(e),
                _ => None,
            };
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
                _ => {
                    bad(b, format!("unknown probe attribute `{}` of `{key}`; an ensemble has `x` (decoded value), `x.neurons` (spikes), `x.neurons.voltage`, `x.neurons.input`, `x.neurons.refractory`; a node has `x` (its output)", words.join(".")));
                    return None;
                }
            };
            if attr != ProbeAttr::Value {
                match ens {
                    None if item.is_some() => {
                        bad(
                            b,
                            format!(
                                "`{key}` is a node; probe its output with `probe {name}: {key}`"
                            ),
                        );
                        return None;
                    }
                    Some(e) => {
                        let ok = match attr {
                            ProbeAttr::Voltage => matches!(
                                e.neuron.kind,
                                NeuronKind::Lif | NeuronKind::SpikingRectifiedLinear
                            ),
                            ProbeAttr::Refractory => e.neuron.kind == NeuronKind::Lif,
                            _ => e.neuron.kind != NeuronKind::Direct,
                        };
                        if !ok {
                            bad(
                                b,
                                format!(
                                    "`{key}` has {:?} neurons, which have no `{}`",
                                    e.neuron.kind,
                                    words.last().unwrap_or(&"neurons")
                                ),
                            );
                            return None;
                        }
                    }
                    None => {}
                }
            }
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
            if let Some(conn) = conns.get(c) {
                let rule = conn.rule.as_ref().map(|r| r.kind);
                match (attr, rule) {
                    (ProbeAttr::Error, None) => {
                        bad(
                            b,
                            format!(
                                "connection `{key}` has no learning rule, so no error to probe"
                            ),
                        );
                        return None;
                    }
                    (ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg, r)
                        if r != Some(RuleKind::Mpes) =>
                    {
                        bad(b, format!("connection `{key}` is not memristive (`learning = mPES`), so it has no device resistances"));
                        return None;
                    }
                    (ProbeAttr::Weights, _) if conn.storage_f32.is_some() => {
                        bad(b, format!("connection `{key}` keeps its weights as `f32` (`storage = f32`), outside the signals probes record; probe its output, or store the weights as `f64`"));
                        return None;
                    }
                    _ => {}
                }
            }
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
    Some(Probe {
        name: name.clone(),
        target: of,
        attr,
        synapse,
        sample_every: p.get("sample_every").map(|e| (*e).clone()),
    })
}

impl ToTokens for Size {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(self.tokens());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(ts: TokenStream) -> Result<Model, Vec<String>> {
        let f = crate::parse::parse_file(ts).map_err(|e| vec![e.to_string()])?;
        let (m, errs) = build(&f.networks[0]);
        if !errs.is_empty() {
            return Err(errs.iter().map(|e| e.to_string()).collect());
        }
        m.ok_or_else(Vec::new)
    }

    #[test]
    fn forum_sizes_resolve() {
        let m = model(crate::tests::forum_tokens()).unwrap_or_else(|e| panic!("{e:?}"));
        let ItemKind::Node(n) = &m.items[6].kind else {
            panic!()
        };
        assert_eq!(m.items[6].name, "pulse_plus");
        assert_eq!(n.size_in.value(), Some(101));
        assert_eq!(n.size_out.value(), Some(100));
        assert_eq!(m.conns.len(), 11);
        assert_eq!(m.state_args, vec![true, true]);
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("pots", ["post", "pre"]), Some("post"));
        assert_eq!(suggest("zzz", ["post", "pre"]), None);
        let e = model(quote!(N { ensemble post: 10 neurons, 1 dims; node x: 1 -> 1 = |t, x| [x[0]]; x -> pots; })).err().expect("errors");
        assert!(e[0].contains("did you mean `post`"), "{e:?}");
    }

    #[test]
    fn outside_consts_stay_expressions() {
        let m = model(quote!(N { ensemble a: crate::N_PRE neurons, 1 dims; node b: a.n + 1 -> 1 = |t, x| [x[0]]; })).unwrap();
        let ItemKind::Node(n) = &m.items[1].kind else {
            panic!()
        };
        assert_eq!(n.size_in.value(), None);
        assert_eq!(n.size_in.text(), "crate::N_PRE + 1");
    }

    #[test]
    fn duplicates_and_underflow() {
        let e = model(quote!(N { const K = 2; ensemble a: 10 neurons, 1 dims; ensemble a: 10 neurons, 1 dims; node b: 1 - K -> 1 = |t, x| [x[0]]; })).err().expect("errors");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].contains("defined twice"));
        assert!(e[1].contains("underflows"));
    }
}
