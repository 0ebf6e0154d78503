//! Decoder and weight solves: one [`DecoderSolve`] per decoded connection or probe, the big ones
//! solved side by side before the connections and probes that use them are built.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{Array1, Array2};

use super::data::EnsembleData;
use super::ensembles::seed_for;
use crate::models::neurons::NeuronType;
use crate::nef::rng::Rng;
use crate::nef::solvers::{self as nef, SolverKind};
use crate::network::{Endpoint, EnsembleSpec, ItemSpec, Network, Transform};
use crate::plan::{OpKind, Owner, Plan, ProbeTarget, Structure};
use crate::threads::build::{build_threads, map_parts, with_build_threads};

/// Decoders solved ahead, by what they are for.
pub(super) type Solved = HashMap<SolveKey, Result<Array2<f64>, nef::SolveError>>;

/// Which decoders a prefetched solve is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum SolveKey {
    /// A connection's (decoded from an ensemble).
    Conn(usize),
    /// A decoded-value probe's.
    Probe(usize),
}

/// The pre ensemble of connection `c` when the connection is decoded from its neurons (the
/// connections that need a decoder solve).
pub(super) fn decoded_pre<'a>(
    net: &'a Network,
    ensembles: &'a [Option<EnsembleData>],
    c: usize,
) -> Option<(&'a EnsembleSpec, &'a EnsembleData)> {
    let Endpoint::Value(i) = net.conns[c].pre else {
        return None;
    };
    match (&net.items[i].1, ensembles[i].as_ref()) {
        (ItemSpec::Ensemble(spec), Some(ens)) if spec.neuron_type != NeuronType::Direct => {
            Some((spec, ens))
        }
        _ => None,
    }
}

/// Stream numbers of the solvers' random generators (LstsqNoise, LstsqMultNoise): connection `c`
/// draws from `seed_for(network seed, SOLVER_STREAM + c)` unless it has a seed of its own, probe
/// `p` from `seed_for(network seed, PROBE_SOLVER_STREAM + p)`.
const SOLVER_STREAM: u64 = 2_000_000;
const PROBE_SOLVER_STREAM: u64 = 3_000_000;

/// One decoder solve: an ensemble's activities at `eval_points` fitted to `targets`.
pub(super) struct DecoderSolve<'a> {
    spec: &'a EnsembleSpec,
    ens: &'a EnsembleData,
    eval_points: Cow<'a, Array2<f64>>,
    targets: Cow<'a, Array2<f64>>,
    solver: &'a SolverKind,
    seed: u64,
}

impl<'a> DecoderSolve<'a> {
    /// Connection `c`'s (its eval points, or the pre ensemble's; its function's targets,
    /// evaluated here, on the calling thread). For a weight solve with a non-compositional solver
    /// the targets are mapped through the transform and the post ensemble's scaled encoders
    /// first, as Nengo's `build_decoders`: the solve gives the weights (n_pre × n_post).
    pub(super) fn conn(
        net: &'a Network,
        ensembles: &'a [Option<EnsembleData>],
        spec: &'a EnsembleSpec,
        ens: &'a EnsembleData,
        c: usize,
    ) -> DecoderSolve<'a> {
        let conn = &net.conns[c];
        let eval_points = match &conn.eval_points {
            Some(ep) => Cow::Owned(ep * spec.radius),
            None => Cow::Borrowed(&ens.eval_points),
        };
        let mut targets = targets(&eval_points, &conn.pre_slice, conn.function.as_ref());
        if conn.solver.weights && !conn.solver.kind.compositional() {
            targets = post_encoded(net, ensembles, c, &targets)
                .reversed_axes()
                .as_standard_layout()
                .into_owned();
        }
        DecoderSolve {
            spec,
            ens,
            eval_points,
            targets: Cow::Owned(targets),
            solver: &conn.solver.kind,
            seed: conn
                .seed
                .unwrap_or_else(|| seed_for(net.seed, SOLVER_STREAM + c as u64)),
        }
    }

    /// A decoded-value probe's (probe `p`): the identity on the ensemble's own eval points, with
    /// the probe's solver.
    pub(super) fn probe(
        net: &'a Network,
        p: usize,
        spec: &'a EnsembleSpec,
        ens: &'a EnsembleData,
    ) -> DecoderSolve<'a> {
        DecoderSolve {
            spec,
            ens,
            eval_points: Cow::Borrowed(&ens.eval_points),
            targets: Cow::Borrowed(&ens.eval_points),
            solver: &net.probes[p].1.solver.kind,
            seed: seed_for(net.seed, PROBE_SOLVER_STREAM + p as u64),
        }
    }

    /// Big: points × neurons ≥ 10⁶ (a few hundred ms, worth a thread of its own).
    fn big(points: usize, ens: &EnsembleData) -> bool {
        points * ens.encoders.nrows() >= 1_000_000
    }

    pub(super) fn solve(&self) -> Result<Array2<f64>, nef::SolveError> {
        nef::solve_decoders_with(
            self.solver,
            &self.spec.neuron_type,
            &self.eval_points,
            &self.ens.encoders,
            &self.ens.gain,
            &self.ens.bias,
            self.spec.radius,
            &self.targets,
            &mut Rng::new(self.seed),
        )
    }
}

/// `E_post[:, post_slice] · (transform · decodersᵀ)` for connection `c` into an ensemble: what a
/// compositional weight solve folds its decoders (n_pre × k) into, and (with the function's
/// targets, m × k, in place of the decoders) the targets of a non-compositional one.
fn post_encoded(
    net: &Network,
    ensembles: &[Option<EnsembleData>],
    c: usize,
    dec: &Array2<f64>,
) -> Array2<f64> {
    let spec = &net.conns[c];
    let w = fold_transform(&spec.transform, dec);
    let Endpoint::Value(post) = spec.post else {
        unreachable!("checked: a weight solver needs a post ensemble")
    };
    let post_ens = ensembles[post].as_ref().expect("post ensemble");
    let ItemSpec::Ensemble(qspec) = &net.items[post].1 else {
        unreachable!()
    };
    let cols = spec.post_slice.clone().unwrap_or(0..qspec.dimensions);
    let enc = post_ens
        .scaled_encoders
        .slice(ndarray::s![.., cols])
        .to_owned();
    enc.dot(&w)
}

/// Connection `c`'s weight matrix from its solved decoders `d`: `transform · dᵀ`, times the post
/// encoders for a weight solve; a non-compositional weight solve solved the weights themselves
/// (`dᵀ`, n_post × n_pre).
pub(super) fn conn_weights(
    net: &Network,
    ensembles: &[Option<EnsembleData>],
    c: usize,
    d: &Array2<f64>,
) -> Array2<f64> {
    let solver = &net.conns[c].solver;
    if !solver.weights {
        fold_transform(&net.conns[c].transform, d)
    } else if solver.kind.compositional() {
        post_encoded(net, ensembles, c, d)
    } else {
        d.t().to_owned()
    }
}

/// Solves the big decoder problems of the network at the same time, one thread each and the
/// machine's threads divided between them, when there are at least two and more than one CPU;
/// the rest are solved where they are used. Same numbers either way: every solve is the same
/// computation whatever its thread count.
pub(super) fn prefetch_solves(
    net: &Network,
    structure: &Structure<usize>,
    plan: &Plan,
    ensembles: &[Option<EnsembleData>],
) -> Solved {
    let mut jobs: Vec<(SolveKey, DecoderSolve<'_>)> = Vec::new();
    for c in 0..net.conns.len() {
        if let Some((spec, ens)) = decoded_pre(net, ensembles, c) {
            // (Decided before the targets are evaluated: `DecoderSolve::conn` computes them.)
            let points = net.conns[c]
                .eval_points
                .as_ref()
                .map_or(ens.eval_points.nrows(), |ep| ep.nrows());
            if DecoderSolve::big(points, ens) {
                jobs.push((
                    SolveKey::Conn(c),
                    DecoderSolve::conn(net, ensembles, spec, ens, c),
                ));
            }
        }
    }
    for desc in plan.ops.iter() {
        let (OpKind::Weights, Owner::Probe(p)) = (desc.kind, desc.owner) else {
            continue;
        };
        let ProbeTarget::Item(i) = structure.probes[p].target else {
            continue;
        };
        if let (ItemSpec::Ensemble(spec), Some(ens)) = (&net.items[i].1, ensembles[i].as_ref()) {
            if DecoderSolve::big(ens.eval_points.nrows(), ens) {
                jobs.push((SolveKey::Probe(p), DecoderSolve::probe(net, p, spec, ens)));
            }
        }
    }
    let cpus = build_threads();
    if jobs.len() < 2 || cpus < 2 {
        return Default::default();
    }
    let side_by_side = jobs.len().min(cpus);
    let each = (cpus / side_by_side).max(1);
    let next = AtomicUsize::new(0);
    let results: Vec<Solved> = map_parts((0..side_by_side).collect(), |_| {
        with_build_threads(each, || {
            let mut out = Solved::new();
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some((key, job)) = jobs.get(k) else {
                    break out;
                };
                out.insert(*key, job.solve());
            }
        })
    });
    results.into_iter().flatten().collect()
}

/// Apply a function (or identity) to each evaluation point's (sliced) coordinates.
fn targets(
    ep: &Array2<f64>,
    slice: &Option<Range<usize>>,
    f: Option<&crate::network::Function>,
) -> Array2<f64> {
    let cols = slice.clone().unwrap_or(0..ep.ncols());
    let k = f.map(|f| f.size_out).unwrap_or(cols.len());
    let mut out = Array2::zeros((ep.nrows(), k));
    let mut x = vec![0.0; cols.len()];
    let mut y = vec![0.0; k];
    for (r, row) in ep.rows().into_iter().enumerate() {
        for (xi, c) in x.iter_mut().zip(cols.clone()) {
            *xi = row[c];
        }
        match f {
            Some(f) => (f.f)(&x, &mut y),
            None => y.copy_from_slice(&x),
        }
        for (o, v) in out.row_mut(r).iter_mut().zip(&y) {
            *o = *v;
        }
    }
    out
}

/// `transform · decodersᵀ` as a dense `out × n` matrix.
pub(super) fn fold_transform(t: &Transform, dec: &Array2<f64>) -> Array2<f64> {
    let dt = dec.t();
    match t {
        Transform::Scalar(s) => dt.to_owned() * *s,
        Transform::Diagonal(v) => {
            let mut m = dt.to_owned();
            for (r, mut row) in m.rows_mut().into_iter().enumerate() {
                row *= v[r];
            }
            m
        }
        Transform::Matrix(m) => m.dot(&dt),
    }
}

pub(super) fn transform_dense(t: &Transform, rows: usize, cols: usize) -> Array2<f64> {
    match t {
        Transform::Scalar(s) => Array2::eye(rows) * *s,
        Transform::Diagonal(v) => Array2::from_diag(&Array1::from(v.clone())),
        Transform::Matrix(m) => {
            debug_assert_eq!(m.dim(), (rows, cols));
            m.clone()
        }
    }
}
