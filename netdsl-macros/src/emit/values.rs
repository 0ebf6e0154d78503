//! User values (numbers, synapses, distributions, neuron types, learning rules) as tokens of
//! the runtime's types.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident};

use crate::model::*;

/// The hidden module of the facade that generated code names.
pub(super) fn rt() -> TokenStream {
    quote!(::netdsl::__private)
}

/// `f64` tokens for a user expression: float literals as they are, integer literals as floats,
/// anything else cast.
pub fn float(e: &Expr) -> TokenStream {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) if f.suffix().is_empty() || f.suffix() == "f64" => quote!(#f),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) if i.suffix().is_empty() => {
            let lit = syn::LitFloat::new(&format!("{}.0", i.base10_digits()), i.span());
            quote!(#lit)
        }
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) && matches!(&*u.expr, Expr::Lit(_)) => {
            let inner = float(&u.expr);
            let op = &u.op;
            quote!(#op #inner)
        }
        _ => {
            let span = e.span();
            quote_spanned!(span=> ((#e) as f64))
        }
    }
}

pub(super) fn float_vec(e: &Expr) -> TokenStream {
    match e {
        Expr::Array(a) => {
            let v = a.elems.iter().map(float);
            quote!(::std::vec![#(#v),*])
        }
        _ => {
            let span = e.span();
            quote_spanned!(span=> ::core::convert::Into::<::std::vec::Vec<f64>>::into(#e))
        }
    }
}

/// A literal matrix `[[..], [..]]` as an `ndarray::Array2<f64>` (through `From<Vec<[f64; N]>>`).
pub(super) fn float_matrix(rows: &[Vec<Expr>]) -> TokenStream {
    let rows = rows.iter().map(|r| {
        let v = r.iter().map(float);
        quote!([#(#v),*])
    });
    quote!(::core::convert::From::from(::std::vec![#(#rows),*]))
}

pub(super) fn synapse(s: &Synapse) -> TokenStream {
    let p = rt();
    match s {
        Synapse::None => quote!(::core::option::Option::None),
        Synapse::Lowpass(e) => {
            let v = float(e);
            quote!(::core::option::Option::Some(#p::synapses::Synapse::Lowpass(#v)))
        }
        Synapse::Alpha(e) => {
            let v = float(e);
            quote!(::core::option::Option::Some(#p::synapses::Synapse::Alpha(#v)))
        }
        Synapse::LinearFilter(n, d) => {
            let (n, d) = (float_vec(n), float_vec(d));
            quote!(::core::option::Option::Some(#p::synapses::Synapse::LinearFilter { num: #n, den: #d }))
        }
    }
}

pub(super) fn synapse_expr(e: &Expr) -> TokenStream {
    match e {
        Expr::Path(p) if p.path.is_ident("None") => quote!(::core::option::Option::None),
        Expr::Call(c) => {
            let name = match &*c.func {
                Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
                _ => None,
            };
            let args: Vec<&Expr> = c.args.iter().collect();
            match (name.as_deref(), args.as_slice()) {
                (Some("Lowpass"), [a]) => synapse(&Synapse::Lowpass((*a).clone())),
                (Some("Alpha"), [a]) => synapse(&Synapse::Alpha((*a).clone())),
                (Some("LinearFilter"), [a, b]) => {
                    synapse(&Synapse::LinearFilter((*a).clone(), (*b).clone()))
                }
                _ => quote!(#e),
            }
        }
        _ => synapse(&Synapse::Lowpass(e.clone())),
    }
}

pub(super) fn call_name(e: &Expr) -> Option<(String, Vec<Expr>)> {
    match e {
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p
                .path
                .get_ident()
                .map(|i| (i.to_string(), c.args.iter().cloned().collect())),
            _ => None,
        },
        _ => None,
    }
}

/// `Uniform(lo, hi)`, `Gaussian(mean, std)`, `Choice([..])`, `[a, b, ..]` (fixed), a number
/// (constant), or a `Dist` expression.
pub(super) fn dist(e: &Expr) -> TokenStream {
    let p = rt();
    if let Some((name, args)) = call_name(e) {
        match (name.as_str(), args.as_slice()) {
            ("Uniform", [a, b]) => {
                let (a, b) = (float(a), float(b));
                return quote!(#p::dists::Dist::Uniform { low: #a, high: #b });
            }
            ("Gaussian", [a, b]) => {
                let (a, b) = (float(a), float(b));
                return quote!(#p::dists::Dist::Gaussian { mean: #a, std: #b });
            }
            ("Choice", [a]) => {
                let v = float_vec(a);
                return quote!(#p::dists::Dist::Choice(#v));
            }
            ("Constant", [a]) => {
                let v = float(a);
                return quote!(#p::dists::Dist::Constant(#v));
            }
            _ => {}
        }
    }
    match e {
        Expr::Array(_) => {
            let v = float_vec(e);
            quote!(#p::dists::Dist::Fixed(#v))
        }
        Expr::Lit(_) | Expr::Unary(_) => {
            let v = float(e);
            quote!(#p::dists::Dist::Constant(#v))
        }
        _ => quote!(#e),
    }
}

/// `ScatteredHypersphere { surface: true }`, `UniformHypersphere`, `[[..], ..]` (fixed), or a
/// `VecDist` expression.
pub(super) fn vec_dist(e: &Expr) -> TokenStream {
    let p = rt();
    let (name, fields): (Option<String>, Vec<(String, Expr)>) = match e {
        Expr::Path(pa) => (pa.path.get_ident().map(|i| i.to_string()), Vec::new()),
        Expr::Struct(s) => (
            s.path.get_ident().map(|i| i.to_string()),
            s.fields
                .iter()
                .filter_map(|f| match &f.member {
                    syn::Member::Named(n) => Some((n.to_string(), f.expr.clone())),
                    _ => None,
                })
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    if let Some(n @ ("ScatteredHypersphere" | "UniformHypersphere")) = name.as_deref() {
        let v = format_ident!("{}", n);
        let surface = fields
            .iter()
            .find(|(k, _)| k == "surface")
            .map(|(_, v)| quote!(#v))
            .unwrap_or(quote!(false));
        return quote!(#p::dists::VecDist::#v { surface: #surface });
    }
    if let Expr::Array(a) = e {
        let rows: Option<Vec<Vec<Expr>>> = a
            .elems
            .iter()
            .map(|r| match r {
                Expr::Array(r) => Some(r.elems.iter().cloned().collect()),
                _ => None,
            })
            .collect();
        if let Some(rows) = rows {
            let m = float_matrix(&rows);
            return quote!(#p::dists::VecDist::Fixed(#m));
        }
    }
    quote!(#e)
}

pub(super) fn neuron(n: &Neuron) -> TokenStream {
    let p = rt();
    let (ctor, var) = match n.kind {
        NeuronKind::Lif => ("lif", "Lif"),
        NeuronKind::LifRate => ("lif_rate", "LifRate"),
        NeuronKind::RectifiedLinear => ("rectified_linear", "RectifiedLinear"),
        NeuronKind::SpikingRectifiedLinear => {
            ("spiking_rectified_linear", "SpikingRectifiedLinear")
        }
        NeuronKind::Direct => ("direct", "Direct"),
        NeuronKind::AdaptiveLif => ("adaptive_lif", "AdaptiveLif"),
        NeuronKind::AdaptiveLifRate => ("adaptive_lif_rate", "AdaptiveLifRate"),
        NeuronKind::Izhikevich => ("izhikevich", "Izhikevich"),
        NeuronKind::Sigmoid => ("sigmoid", "Sigmoid"),
        NeuronKind::Tanh => ("tanh", "Tanh"),
        NeuronKind::RegularSpiking => ("regular_spiking", "RegularSpiking"),
        NeuronKind::StochasticSpiking => ("stochastic_spiking", "StochasticSpiking"),
        NeuronKind::PoissonSpiking => ("poisson_spiking", "PoissonSpiking"),
    };
    let ctor = Ident::new(ctor, n.span);
    let made = match (&n.preset, &n.base) {
        (Some(preset), _) => {
            let v = Ident::new(preset, n.span);
            quote!(#p::neurons::NeuronType::izhikevich_preset(
                #p::neurons::IzhikevichPreset::#v
            ))
        }
        (None, Some(base)) => {
            let b = neuron(base);
            quote!(#p::neurons::NeuronType::#ctor(#b))
        }
        (None, None) => quote!(#p::neurons::NeuronType::#ctor()),
    };
    if n.fields.is_empty() {
        return made;
    }
    let var = Ident::new(var, n.span);
    let names: Vec<&Ident> = n.fields.iter().map(|(k, _)| k).collect();
    let vals: Vec<TokenStream> = n.fields.iter().map(|(_, v)| float(v)).collect();
    quote!({
        let mut __neuron = #made;
        if let #p::neurons::NeuronType::#var { #(#names,)* .. } = &mut __neuron {
            #(*#names = #vals;)*
        }
        __neuron
    })
}

pub(super) fn rule(r: &Rule) -> TokenStream {
    let p = rt();
    let (ctor, var) = match r.kind {
        RuleKind::Pes => (quote!(pes), quote!(Pes)),
        RuleKind::Mpes => (quote!(mpes), quote!(Mpes)),
    };
    if r.fields.is_empty() {
        return quote!(#p::learning::LearningRule::#ctor());
    }
    let names: Vec<&Ident> = r.fields.iter().map(|(k, _)| k).collect();
    let vals: Vec<TokenStream> = r
        .fields
        .iter()
        .map(|(k, v)| match k.to_string().as_str() {
            "learning_rate" | "gain" | "threshold" => float(v),
            "pre_synapse" => synapse_expr(v),
            "seed" => quote!(::core::option::Option::Some((#v) as u64)),
            _ => {
                let span = v.span();
                quote_spanned!(span=> ::core::convert::Into::into(#v))
            }
        })
        .collect();
    quote!({
        let mut __rule = #p::learning::LearningRule::#ctor();
        if let #p::learning::LearningRule::#var { #(#names,)* .. } = &mut __rule {
            #(*#names = #vals;)*
        }
        __rule
    })
}

/// A solver as a `network::Solver` value: the struct named after Nengo's class, from its
/// `Default` with the parameters given, turned into a `Solver`.
pub(super) fn solver(s: &Solver) -> TokenStream {
    let p = rt();
    let kind = &s.kind;
    let fields = s.fields.iter().map(|(k, f)| {
        let v = match f {
            SolverField::Num(e) => float(e),
            SolverField::Count(e) => quote!(#e),
            SolverField::Sub(sub) => {
                let t = solver(sub);
                quote!(::std::boxed::Box::new(#t))
            }
            SolverField::Values(e) => {
                let rows: Option<Vec<Vec<Expr>>> = match e {
                    Expr::Array(a) => a
                        .elems
                        .iter()
                        .map(|r| match r {
                            Expr::Array(r) => Some(r.elems.iter().cloned().collect()),
                            _ => None,
                        })
                        .collect(),
                    _ => None,
                };
                let m = match rows {
                    Some(rows) => float_matrix(&rows),
                    None => quote!(#e),
                };
                quote!(::core::option::Option::Some(#m))
            }
        };
        quote!(#k: #v,)
    });
    let w = s.weights;
    let rest = (!s.complete).then(|| quote!(..::core::default::Default::default()));
    quote!(#p::network::Solver::from(#p::network::#kind { #(#fields)* weights: #w, #rest }))
}
