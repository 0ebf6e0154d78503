//! Names: declarations, "did you mean" suggestions, and the resolution of size expressions
//! (consts, `x.n`, outside paths) on the model builder.

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use super::sizes::Size;
use crate::parse::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decl {
    Generic(usize),
    Arg(usize),
    Const(usize),
    Item(usize),
    Conn(usize),
    Probe(usize),
    Inst(usize),
}

pub(super) fn decl_what(d: Decl) -> &'static str {
    match d {
        Decl::Generic(_) => "generic parameter",
        Decl::Arg(_) => "constructor argument",
        Decl::Const(_) => "const",
        Decl::Item(_) => "item",
        Decl::Conn(_) => "connection",
        Decl::Probe(_) => "probe",
        Decl::Inst(_) => "subnetwork instance",
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

pub(super) fn did_you_mean(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::new(),
    }
}

#[derive(Clone)]
pub(super) enum Resolve<T> {
    Todo,
    Busy,
    Done(Option<T>),
}

pub(super) struct Builder<'a> {
    pub(super) net: &'a NetworkInput,
    pub(super) errors: Vec<syn::Error>,
    pub(super) names: BTreeMap<String, Decl>,
    pub(super) consts: Vec<(&'a Ident, &'a SizeInput)>,
    pub(super) const_sizes: Vec<Resolve<Size>>,
    /// (name, stmt) of each item.
    pub(super) items: Vec<&'a StmtInput>,
    pub(super) item_sizes: Vec<Resolve<(Size, Size)>>,
    pub(super) conn_stmts: Vec<&'a StmtInput>,
    pub(super) instances: Vec<super::instance_types::Instance>,
    /// `[N]` of each item (aligned with `items`), as written and resolved.
    pub(super) item_counts: Vec<Option<&'a SizeInput>>,
    pub(super) item_count_sizes: Vec<Option<Size>>,
    /// The `for` loop of each connection statement (aligned with `conn_stmts`).
    pub(super) conn_loops: Vec<Option<usize>>,
    pub(super) loops: Vec<&'a StmtInput>,
    /// Loop variables in scope and what they stand for.
    pub(super) loop_vars: Vec<(String, Size)>,
    /// Building the copy of a loop's statement that is emitted (its loop variable is the
    /// runtime one): no checks from it (the copies at the range's ends are checked).
    pub(super) emit_copy: bool,
    pub(super) virtuals: Vec<super::instance_types::Virtual>,
    pub(super) subnet_checks: Vec<super::instance_types::SubnetCheck>,
}

impl<'a> Builder<'a> {
    pub(super) fn err(&mut self, e: syn::Error) {
        self.errors.push(e);
    }

    pub(super) fn declare(&mut self, name: &Ident, d: Decl) {
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

    pub(super) fn unknown(&mut self, name: &Ident, what: &str, filter: impl Fn(Decl) -> bool) {
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

    pub(super) fn size(&mut self, s: &SizeInput) -> Option<Size> {
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
                    if let Some((_, v)) = self.loop_vars.iter().rev().find(|(k, _)| *k == key) {
                        return Some(v.clone());
                    }
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

    pub(super) fn item_what(&self, i: usize) -> &'static str {
        match self.items[i] {
            StmtInput::Ensemble { .. } => "an ensemble",
            _ => "a node",
        }
    }

    pub(super) fn const_size(&mut self, i: usize, at: &Ident) -> Option<Size> {
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

    pub(super) fn item_size(&mut self, i: usize) -> Option<(Size, Size)> {
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

pub(super) fn unreachable_name() -> &'static Ident {
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
pub(super) fn node_takes_input(out: Option<&NodeOutputInput>) -> bool {
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

pub(super) fn take_param<'p>(
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

pub(super) const ENSEMBLE_PARAMS: &[&str] = &[
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
    "initial_refractory_time",
    "initial_adaptation",
    "initial_recovery",
    "seed",
];
pub(super) const CONN_PARAMS: &[&str] = &[
    "function",
    "transform",
    "synapse",
    "solver",
    "learning",
    "eval_points",
    "seed",
    "storage",
];
pub(super) const PROBE_PARAMS: &[&str] = &["synapse", "sample_every", "solver"];
