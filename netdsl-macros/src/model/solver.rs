//! `solver = …` on connections and decoded probes: Nengo's solver classes written as Rust
//! struct literals with Nengo's parameter names (`LstsqL2 { reg: 0.05 }`,
//! `Nnls { weights: true }`, `LstsqDrop { drop: 0.5, solver2: LstsqL2 { reg: 0.01 } }`,
//! `NoSolver { values: [[0.1], [0.2]] }`), checked here (names, fields, literal ranges).

use syn::{Expr, Ident};

use super::names::{did_you_mean, suggest, Builder};
use super::values::{check_fields, expr_name};
use crate::check::literal_f64;

/// A parsed solver.
pub struct Solver {
    /// Nengo's class name (`LstsqL2`), as written.
    pub kind: Ident,
    /// Its parameters as written, other than `weights`.
    pub fields: Vec<(Ident, SolverField)>,
    /// `weights: true` (a literal: the plan depends on it).
    pub weights: bool,
    /// Whether every parameter of the kind is given (no `..Default::default()` needed).
    pub complete: bool,
}

/// One solver parameter.
pub enum SolverField {
    /// An `f64` (`reg`, `noise`, `rcond`, `l1`, `l2`, `drop`).
    Num(Expr),
    /// A `usize` (`max_iter`).
    Count(Expr),
    /// A nested solver (`LstsqDrop`'s `solver1`, `solver2`).
    Sub(Box<Solver>),
    /// `NoSolver`'s `values`: a matrix literal (rows of numbers) or an `Array2<f64>` expression.
    Values(Expr),
}

/// Every solver and its parameters (besides `weights`), Nengo 4.1's.
const KINDS: &[(&str, &[&str])] = &[
    ("Lstsq", &["rcond"]),
    ("LstsqNoise", &["noise"]),
    ("LstsqMultNoise", &["noise"]),
    ("LstsqL2", &["reg"]),
    ("LstsqL2nz", &["reg"]),
    ("LstsqL1", &["l1", "l2", "max_iter"]),
    ("LstsqDrop", &["drop", "solver1", "solver2"]),
    ("Nnls", &[]),
    ("NnlsL2", &["reg"]),
    ("NnlsL2nz", &["reg"]),
    ("NoSolver", &["values"]),
];

const LIST: &str = "`LstsqL2 { reg: 0.1, weights: false }`, `Lstsq`, `LstsqNoise`, \
    `LstsqMultNoise`, `LstsqL2nz`, `LstsqL1`, `LstsqDrop`, `Nnls`, `NnlsL2`, `NnlsL2nz` or \
    `NoSolver { values: .. }`";

pub(super) fn parse_solver(b: &mut Builder, e: &Expr) -> Option<Solver> {
    let Some((id, fields, _)) = expr_name(e) else {
        b.err(syn::Error::new_spanned(
            e,
            format!("expected a solver: {LIST}"),
        ));
        return None;
    };
    let key = id.to_string();
    let Some(&(_, params)) = KINDS.iter().find(|(k, _)| *k == key) else {
        let s = suggest(&key, KINDS.iter().map(|(k, _)| *k));
        b.err(syn::Error::new(
            id.span(),
            format!("unknown solver `{key}`{}; expected {LIST}", did_you_mean(s)),
        ));
        return None;
    };
    let mut allowed: Vec<&str> = params.to_vec();
    allowed.push("weights");
    if !check_fields(b, &key, &fields, &allowed) {
        return None;
    }
    let mut weights = false;
    let mut out = Vec::new();
    let mut ok = true;
    for (k, v) in fields {
        let name = k.to_string();
        match name.as_str() {
            "weights" => match &v {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(bl),
                    ..
                }) => weights = bl.value,
                _ => {
                    b.err(syn::Error::new_spanned(
                        &v,
                        "`weights` must be `true` or `false` (the macro plans with it)",
                    ));
                    ok = false;
                }
            },
            "solver1" | "solver2" => match parse_solver(b, &v) {
                Some(s) => out.push((k, SolverField::Sub(Box::new(s)))),
                None => ok = false,
            },
            "values" => out.push((k, SolverField::Values(v))),
            "max_iter" => out.push((k, SolverField::Count(v))),
            _ => {
                if let Some(x) = literal_f64(&v) {
                    let bad = if name == "drop" {
                        !(0.0..1.0).contains(&x)
                    } else {
                        !(x >= 0.0 && x.is_finite())
                    };
                    if bad {
                        let range = if name == "drop" { "in [0, 1)" } else { "≥ 0" };
                        b.err(syn::Error::new_spanned(
                            &v,
                            format!("{key}'s `{name}` must be {range}, got {x}"),
                        ));
                        ok = false;
                    }
                }
                out.push((k, SolverField::Num(v)));
            }
        }
    }
    if key == "LstsqL1" {
        let zero = |n: &str| {
            out.iter().any(|(k, f)| {
                k == n && matches!(f, SolverField::Num(e) if literal_f64(e) == Some(0.0))
            })
        };
        if zero("l1") && zero("l2") {
            b.err(syn::Error::new_spanned(
                e,
                "LstsqL1 with `l1: 0` and `l2: 0` has no regularisation (scikit-learn's alpha \
                 would be 0); use `Lstsq`",
            ));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let complete = params.len() == out.len();
    Some(Solver {
        kind: id,
        fields: out,
        weights,
        complete,
    })
}
