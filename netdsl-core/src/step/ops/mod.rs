//! The executable ops: each plan op, bound to its store ranges and parameters. Running an op
//! allocates nothing; every buffer it needs is made when the simulator is built.

mod ctx;
#[cfg(test)]
mod tests;
mod weights;

use std::ops::Range;

use crate::models::neurons::NeuronStepper;
use crate::models::processes::Process;
use crate::models::synapses::DiscreteFilter;
use crate::network::{StageFn, TimeFn, TimeInputFn, VecFn};
use crate::step::kernels::{all_finite, avx2_kernel};
use ctx::rw;
use weights::{add_matvec, matvec, matvec_cols_f32, matvec_cols_f64};

pub(crate) use ctx::{Ctx, CtxParts, StateEntry, StorePtr};
pub(crate) use weights::{transpose_in_place, WeightValues, WeightsKind};

/// One executable op.
pub enum Op {
    /// `t = step · dt`.
    Time {
        /// Where `t` lives.
        t: usize,
    },
    /// Zero a range.
    Reset {
        /// The range.
        dst: Range<usize>,
    },
    /// `J = bias`.
    Bias {
        /// J.
        j: Range<usize>,
        /// The biases.
        bias: Vec<f64>,
    },
    /// `J += E · x` with `E` the `n × d` scaled encoders; `J = bias + E · x` when `bias` is
    /// not empty (the ensemble's [`Op::Bias`] folded in: the same sums, one pass over `J`).
    Encode {
        /// J.
        j: Range<usize>,
        /// The ensemble's decoded input.
        x: Range<usize>,
        /// Scaled encoders, row-major `n × d`.
        enc: Vec<f64>,
        /// The biases, when folded in (else empty).
        bias: Vec<f64>,
    },
    /// Step the neurons.
    Neurons {
        /// Model, with its step constants.
        neuron: NeuronStepper,
        /// Input current.
        j: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// Voltage (empty for rate neurons).
        voltage: Range<usize>,
        /// Refractory time (empty unless LIF).
        refractory: Range<usize>,
        /// Adaptation (adaptive LIF types) or recovery (Izhikevich); else empty.
        aux: Range<usize>,
        /// A rates-to-spikes type's base rates; else empty.
        rate_out: Range<usize>,
    },
    /// `out = f(t)`.
    NodeTime {
        /// Output.
        out: Range<usize>,
        /// Function.
        f: TimeFn,
    },
    /// `out = f(t, x)`.
    NodeTimeInput {
        /// Input.
        x: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// Function.
        f: TimeInputFn,
    },
    /// `out = state.method(t, x)`.
    NodeStage {
        /// State index.
        state: usize,
        /// Input.
        x: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// The call.
        call: StageFn,
    },
    /// `out = process.step(t)`.
    NodeProcess {
        /// Output.
        out: Range<usize>,
        /// The process.
        process: Box<dyn Process>,
    },
    /// `out = f(x)` of a connection from a node or Direct ensemble.
    Function {
        /// Input.
        x: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// Function.
        f: VecFn,
    },
    /// `out = W x`.
    Weights {
        /// Input.
        x: Range<usize>,
        /// Weights in the store.
        w: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// How to multiply.
        kind: WeightsKind,
        /// Scratch: indices of non-zero inputs (capacity = input size).
        nz: Vec<usize>,
    },
    /// `out = W x` with `W` column-major (`rows` values per column) outside the store: a
    /// matrix no other op reads, never changed. Same sums as [`WeightsKind::Dense`] (with an
    /// `f32` matrix: those of the `f64` values of its entries).
    WeightsCols {
        /// Input.
        x: Range<usize>,
        /// The matrix, column-major.
        w: WeightValues,
        /// Output.
        out: Range<usize>,
        /// Rows (output size).
        rows: usize,
        /// Scratch: indices of non-zero inputs (capacity = input size).
        nz: Vec<usize>,
    },
    /// A filter: `out = filter(x)` (update or set mode: the plan position decides).
    Filter {
        /// Input.
        x: Range<usize>,
        /// Output.
        out: Range<usize>,
        /// Discretised filter.
        filter: DiscreteFilter,
        /// Filter state (dims × order).
        state: Vec<f64>,
    },
    /// `dst = src`.
    Copy {
        /// Source.
        src: Range<usize>,
        /// Destination.
        dst: Range<usize>,
    },
    /// `dst += src`.
    Inc {
        /// Source.
        src: Range<usize>,
        /// Destination.
        dst: Range<usize>,
    },
    /// `dst += gain ⊙ src`.
    GainInc {
        /// Source.
        src: Range<usize>,
        /// Destination (a slice of J).
        dst: Range<usize>,
        /// Post gains for the slice.
        gain: Vec<f64>,
    },
    /// `local += E · err` with `E` rows × d scaled encoders.
    LocalError {
        /// Error.
        err: Range<usize>,
        /// Local error.
        local: Range<usize>,
        /// Scaled encoders, row-major.
        enc: Vec<f64>,
    },
    /// PES: `delta = alpha · err ⊗ acts`.
    Pes {
        /// Filtered pre activities.
        acts: Range<usize>,
        /// (Local) error.
        err: Range<usize>,
        /// Delta, row-major `err × acts`.
        delta: Range<usize>,
        /// `-κ dt / n_pre`.
        alpha: f64,
    },
    /// `W += delta`.
    ApplyDelta {
        /// Delta.
        delta: Range<usize>,
        /// Weights.
        w: Range<usize>,
    },
    /// The memristive filter stage: `out = W(devices) · x`.
    MemristorFilter {
        /// Index of the device array.
        array: usize,
        /// Pre spikes.
        x: Range<usize>,
        /// Output.
        out: Range<usize>,
    },
    /// The memristive pulse stage (mPES).
    MemristorPulse {
        /// Index of the device array.
        array: usize,
        /// Filtered pre activities.
        acts: Range<usize>,
        /// Local error.
        err: Range<usize>,
    },
}

avx2_kernel! {
    /// `y += a · u`.
    fn axpy(y: &mut [f64], a: &[f64], u: f64) {
        for (yy, aa) in y.iter_mut().zip(a) {
            *yy += aa * u;
        }
    }
}

avx2_kernel! {
    /// `y = b + a · u` (the sums of `y = b` then [`axpy`]).
    fn axpy_from(y: &mut [f64], b: &[f64], a: &[f64], u: f64) {
        for ((yy, bb), aa) in y.iter_mut().zip(b).zip(a) {
            *yy = bb + aa * u;
        }
    }
}

avx2_kernel! {
    /// `y = k · a`.
    fn scale_into(y: &mut [f64], a: &[f64], k: f64) {
        for (yy, aa) in y.iter_mut().zip(a) {
            *yy = k * aa;
        }
    }
}

avx2_kernel! {
    /// `y = a ⊙ b`.
    fn mul_into(y: &mut [f64], a: &[f64], b: &[f64]) {
        for ((yy, aa), bb) in y.iter_mut().zip(a).zip(b) {
            *yy = bb * aa;
        }
    }
}

avx2_kernel! {
    /// `y += a`.
    fn add_into(y: &mut [f64], a: &[f64]) {
        for (yy, aa) in y.iter_mut().zip(a) {
            *yy += aa;
        }
    }
}

avx2_kernel! {
    /// `y += g ⊙ a`.
    fn gain_add_into(y: &mut [f64], a: &[f64], g: &[f64]) {
        for ((yy, aa), gg) in y.iter_mut().zip(a).zip(g) {
            *yy += gg * aa;
        }
    }
}

/// The store ranges that [`Op::run_unchecked`] splits into disjoint slices, in the groups that
/// must not overlap.
fn disjoint_groups(op: &Op) -> Vec<Vec<Range<usize>>> {
    match op {
        Op::Encode { j, x, .. } => vec![vec![x.clone(), j.clone()]],
        Op::Neurons {
            j,
            out,
            voltage,
            refractory,
            aux,
            rate_out,
            ..
        } => vec![vec![
            j.clone(),
            out.clone(),
            voltage.clone(),
            refractory.clone(),
            aux.clone(),
            rate_out.clone(),
        ]],
        Op::NodeTimeInput { x, out, .. }
        | Op::NodeStage { x, out, .. }
        | Op::Function { x, out, .. }
        | Op::WeightsCols { x, out, .. }
        | Op::Filter { x, out, .. }
        | Op::MemristorFilter { x, out, .. } => vec![vec![x.clone(), out.clone()]],
        Op::Weights { x, w, out, .. } => vec![vec![x.clone(), w.clone(), out.clone()]],
        Op::Copy { src, dst } | Op::Inc { src, dst } | Op::GainInc { src, dst, .. } => {
            vec![vec![src.clone(), dst.clone()]]
        }
        Op::LocalError { err, local, .. } => vec![vec![err.clone(), local.clone()]],
        Op::Pes {
            acts, err, delta, ..
        } => vec![vec![acts.clone(), err.clone(), delta.clone()]],
        Op::ApplyDelta { delta, w } => vec![vec![delta.clone(), w.clone()]],
        Op::MemristorPulse { acts, err, .. } => vec![vec![acts.clone(), err.clone()]],
        Op::Time { .. }
        | Op::Reset { .. }
        | Op::Bias { .. }
        | Op::NodeTime { .. }
        | Op::NodeProcess { .. } => Vec::new(),
    }
}

impl Op {
    /// Checks that every range the op splits from a store of `len` values lies inside it and
    /// that the ranges used together never overlap: what [`Op::run_unchecked`] relies on.
    pub fn check_ranges(&self, len: usize) -> Result<(), String> {
        for group in disjoint_groups(self) {
            for (i, a) in group.iter().enumerate() {
                if a.start > a.end || a.end > len {
                    return Err(format!("range {a:?} outside the store of {len} values"));
                }
                for b in &group[..i] {
                    if a.start < b.end && b.start < a.end {
                        return Err(format!("ranges {a:?} and {b:?} of one op overlap"));
                    }
                }
            }
        }
        Ok(())
    }

    /// For the heavy ops that may head a unit of shared work on another thread (neurons,
    /// weights, encoders, filters; stage calls, which touch only their own state object; a
    /// memristor array's filter stage), a rough estimate of their cost in nanoseconds, to decide
    /// whether a level's work is worth sharing; `None` for the others (small ops, which may still
    /// join a unit next to them; closures and processes, which stay on the calling thread; the
    /// memristor pulse stage, which has a helper thread of its own). A stage call is assumed to
    /// cost what a dense product of its input and output does.
    pub(crate) fn parallel_cost(&self) -> Option<f64> {
        Some(match self {
            Op::Neurons { j, neuron, .. } => {
                j.len() as f64
                    * if neuron.neuron_type().is_spiking() {
                        6.0
                    } else {
                        3.0
                    }
            }
            Op::Weights { x, out, kind, .. } => match kind {
                WeightsKind::Dense { rows, cols } | WeightsKind::DenseColMajor { rows, cols } => {
                    (rows * cols) as f64 * 0.5
                }
                WeightsKind::Scalar | WeightsKind::Diagonal => (x.len().max(out.len())) as f64,
            },
            Op::WeightsCols { x, rows, .. } => (x.len() * rows) as f64 * 0.05,
            Op::Encode { j, x, .. } => (j.len() * x.len()) as f64 * 0.5,
            Op::Filter { out, .. } => out.len() as f64 * 3.0,
            Op::NodeStage { x, out, .. } => (x.len() * out.len()) as f64 * 0.5,
            // Only the columns of spiking neurons are read.
            Op::MemristorFilter { x, out, .. } => (x.len() * out.len()) as f64 * 0.1,
            _ => return None,
        })
    }

    /// Run the op for the step at time `ctx.t`. `Err` carries a message (non-finite output, or
    /// ranges that do not fit the store).
    #[cfg(test)]
    pub fn run(&mut self, store: &mut [f64], ctx: &mut Ctx<'_>) -> Result<(), String> {
        self.check_ranges(store.len())?;
        // SAFETY: the ranges were just checked against this store, which is borrowed whole
        // for the call.
        unsafe { self.run_unchecked(StorePtr::new(store), ctx) }
    }

    /// [`Op::run`] without the range checks (the simulator checks every op once at build: the
    /// ranges never change).
    ///
    /// # Safety
    /// [`Op::check_ranges`] must have passed for `store.len()`, the store must be live, and
    /// nothing else may access the values this op reads or writes during the call (other ops
    /// may run at the same time on values this one does not touch).
    #[inline]
    pub unsafe fn run_unchecked(
        &mut self,
        store: StorePtr,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), String> {
        match self {
            // SAFETY (every `store` access below): `check_ranges` passed for this store and this op
            // has its ranges to itself (the caller's contract).
            Op::Time { t } => unsafe { store.get(&(*t..*t + 1))[0] = ctx.t },
            Op::Reset { dst } => match unsafe { store.get(dst) } {
                // One value (most decoded signals here): a store, not a `memset` call.
                [v] => *v = 0.0,
                d => d.fill(0.0),
            },
            Op::Bias { j, bias } => unsafe { store.get(j) }.copy_from_slice(bias),
            Op::Encode { j, x, enc, bias } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, j) = unsafe { rw(store, x, j) };
                let folded = !bias.is_empty();
                match x {
                    // `bias + e x`: what the bias copy then `axpy` compute.
                    [x0] if folded => axpy_from(j, bias, enc, *x0),
                    [x0] => axpy(j, enc, *x0),
                    x => {
                        if folded {
                            j.copy_from_slice(bias);
                        }
                        add_matvec(j, enc, x);
                    }
                }
            }
            Op::Neurons {
                neuron,
                j,
                out,
                voltage,
                refractory,
                aux,
                rate_out,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let [j, out, v, r, a, ro] = unsafe {
                    store.parts([&*j, &*out, &*voltage, &*refractory, &*aux, &*rate_out])
                };
                if !neuron.step_all(j, out, v, r, a, ro) {
                    return Err("non-finite neuron input or voltage".into());
                }
            }
            Op::NodeTime { out, f } => {
                let o = unsafe { store.get(out) };
                f(ctx.t, o);
                if !all_finite(o) {
                    return Err(format!("node output is not finite: {o:?}"));
                }
            }
            Op::NodeTimeInput { x, out, f } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, o) = unsafe { rw(store, x, out) };
                f(ctx.t, x, o);
                if !all_finite(o) {
                    return Err(format!("node output is not finite: {o:?}"));
                }
            }
            Op::NodeStage {
                state,
                x,
                out,
                call,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, o) = unsafe { rw(store, x, out) };
                let t = ctx.t;
                call(ctx.state(*state), t, x, o);
                if !all_finite(o) {
                    return Err(format!("stage output is not finite: {o:?}"));
                }
            }
            Op::NodeProcess { out, process } => {
                let o = unsafe { store.get(out) };
                process.step(ctx.t, o);
            }
            Op::Function { x, out, f } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, o) = unsafe { rw(store, x, out) };
                f(x, o);
                if !all_finite(o) {
                    return Err(format!("connection function output is not finite: {o:?}"));
                }
            }
            Op::Weights {
                x,
                w,
                out,
                kind,
                nz,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let [x, w, y] = unsafe { store.parts([&*x, &*w, &*out]) };
                match *kind {
                    WeightsKind::Dense { rows, cols } => matvec(w, rows, cols, x, y, nz),
                    WeightsKind::DenseColMajor { rows, .. } => matvec_cols_f64(w, rows, x, y, nz),
                    WeightsKind::Scalar => match (x, y) {
                        ([xx], [yy]) => *yy = w[0] * *xx,
                        (x, y) => scale_into(y, x, w[0]),
                    },
                    WeightsKind::Diagonal => mul_into(y, x, w),
                }
            }
            Op::WeightsCols {
                x,
                w,
                out,
                rows,
                nz,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, y) = unsafe { rw(store, x, out) };
                match w {
                    WeightValues::F64(w) => matvec_cols_f64(w, *rows, x, y, nz),
                    WeightValues::F32(w) => matvec_cols_f32(w, *rows, x, y, nz),
                }
            }
            Op::Filter {
                x,
                out,
                filter,
                state,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, y) = unsafe { rw(store, x, out) };
                // One dimension through a one-state filter (most synapses): inline.
                if let ([u], [yy]) = (x, &mut *y) {
                    if let Some(v) = filter.step_one(*u, state) {
                        *yy = v;
                        if !v.is_finite() {
                            return Err("filter output is not finite (a diverging loop?)".into());
                        }
                        return Ok(());
                    }
                }
                filter.step(x, y, state);
                if !all_finite(y) {
                    return Err("filter output is not finite (a diverging loop?)".into());
                }
            }
            Op::Copy { src, dst } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (s, d) = unsafe { rw(store, src, dst) };
                match (s, d) {
                    ([s], [d]) => *d = *s,
                    (s, d) => d.copy_from_slice(s),
                }
            }
            Op::Inc { src, dst } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (s, d) = unsafe { rw(store, src, dst) };
                match (s, d) {
                    ([s], [d]) => *d += *s,
                    (s, d) => add_into(d, s),
                }
            }
            Op::GainInc { src, dst, gain } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (s, d) = unsafe { rw(store, src, dst) };
                gain_add_into(d, s, gain);
            }
            Op::LocalError { err, local, enc } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (e, l) = unsafe { rw(store, err, local) };
                add_matvec(l, enc, e);
            }
            Op::Pes {
                acts,
                err,
                delta,
                alpha,
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let [a, e, dl] = unsafe { store.parts([&*acts, &*err, &*delta]) };
                let n = a.len();
                for (r, ee) in e.iter().enumerate() {
                    let k = *alpha * ee;
                    scale_into(&mut dl[r * n..(r + 1) * n], a, k);
                }
            }
            Op::ApplyDelta { delta, w } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (d, w) = unsafe { rw(store, delta, w) };
                add_into(w, d);
            }
            Op::MemristorFilter { array, x, out } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let (x, y) = unsafe { rw(store, x, out) };
                ctx.memristor(*array).filter_into(x, y);
            }
            Op::MemristorPulse { array, acts, err } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let [a, e] = unsafe { store.parts([&*acts, &*err]) };
                let helper = ctx.pulse_helper();
                ctx.memristor(*array).mpes_step_with(e, a, helper);
            }
        }
        Ok(())
    }
}
