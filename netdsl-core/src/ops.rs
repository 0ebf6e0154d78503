//! The executable ops: each plan op, bound to its store ranges and parameters. Running an op
//! allocates nothing; every buffer it needs is made when the simulator is built.

use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

use crate::memristor::{Device, MemristorArray};
use crate::network::{StageFn, TimeFn, TimeInputFn, VecFn, WeightStorage};
use crate::neurons::NeuronStepper;
use crate::processes::Process;
use crate::synapses::DiscreteFilter;

/// How a weights op multiplies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightsKind {
    /// `y = W x` with `W` row-major `rows × cols` in the store.
    Dense {
        /// Rows (output size).
        rows: usize,
        /// Columns (input size).
        cols: usize,
    },
    /// `y = W x` with `W` stored column-major (`cols` columns of `rows` values), so that a
    /// non-zero input (a spike) reads one contiguous column. Sums are taken in the same order as
    /// [`WeightsKind::Dense`], so the results are bit-identical.
    DenseColMajor {
        /// Rows (output size).
        rows: usize,
        /// Columns (input size).
        cols: usize,
    },
    /// `y = w[0] · x`.
    Scalar,
    /// `y = w ⊙ x`.
    Diagonal,
}

/// The values of a weight matrix, in the precision its connection asked for
/// ([`WeightStorage`]).
#[derive(Clone, Debug, PartialEq)]
pub enum WeightValues {
    /// Double precision.
    F64(Arc<Vec<f64>>),
    /// Single precision (read as `f64`).
    F32(Arc<Vec<f32>>),
}

impl WeightValues {
    /// `values` stored as `storage` asks (each rounded to `f32` once for `F32`).
    pub fn stored(values: Vec<f64>, storage: WeightStorage) -> Self {
        match storage {
            WeightStorage::F64 => WeightValues::F64(Arc::new(values)),
            WeightStorage::F32 => {
                WeightValues::F32(Arc::new(values.iter().map(|&v| v as f32).collect()))
            }
        }
    }

    /// The precision the values are stored in.
    pub fn storage(&self) -> WeightStorage {
        match self {
            WeightValues::F64(_) => WeightStorage::F64,
            WeightValues::F32(_) => WeightStorage::F32,
        }
    }

    /// Bytes the values take.
    pub fn bytes(&self) -> usize {
        match self {
            WeightValues::F64(w) => std::mem::size_of_val(w.as_slice()),
            WeightValues::F32(w) => std::mem::size_of_val(w.as_slice()),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            WeightValues::F64(w) => w.len(),
            WeightValues::F32(w) => w.len(),
        }
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Value `k` in storage order, as `f64`.
    pub fn get(&self, k: usize) -> f64 {
        match self {
            WeightValues::F64(w) => w[k],
            WeightValues::F32(w) => f64::from(w[k]),
        }
    }
}

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

/// A user state value: its name and the object.
pub type StateEntry = (String, Box<dyn Any + Send>);

/// A [`Ctx`]'s time and pointers (see [`Ctx::parts`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CtxParts {
    /// Current time.
    pub t: f64,
    /// Time step.
    pub dt: f64,
    /// User state values: pointer, count.
    pub states: (*mut StateEntry, usize),
    /// Memristor arrays: pointer, count.
    pub memristors: (*mut MemristorArray<Device>, usize),
}

/// What an op may touch besides the store: the time, user state values and memristor arrays.
///
/// The state values and arrays are held as pointers to the simulator's vectors, so that ops on
/// several threads can each use the element they own (stage calls of different objects, the
/// arrays of different connections) while no thread holds a reference to the others.
pub struct Ctx<'a> {
    /// Current time.
    pub t: f64,
    /// Time step.
    pub dt: f64,
    states: *mut StateEntry,
    n_states: usize,
    memristors: *mut MemristorArray<Device>,
    n_memristors: usize,
    _borrow: std::marker::PhantomData<&'a mut ()>,
}

impl<'a> Ctx<'a> {
    /// A context over `states` and `memristors`, borrowed for its lifetime.
    pub fn new(
        t: f64,
        dt: f64,
        states: &'a mut [StateEntry],
        memristors: &'a mut [MemristorArray<Device>],
    ) -> Ctx<'a> {
        Ctx {
            t,
            dt,
            n_states: states.len(),
            states: states.as_mut_ptr(),
            n_memristors: memristors.len(),
            memristors: memristors.as_mut_ptr(),
            _borrow: std::marker::PhantomData,
        }
    }

    /// A context over raw parts (for a worker thread).
    ///
    /// # Safety
    /// The pointers must be valid for their counts during `'a`, and no two contexts in use at
    /// the same time may touch the same element (the schedule gives every stage object and
    /// every array to one op at a time).
    pub(crate) unsafe fn from_raw(
        t: f64,
        dt: f64,
        states: (*mut StateEntry, usize),
        memristors: (*mut MemristorArray<Device>, usize),
    ) -> Ctx<'a> {
        Ctx {
            t,
            dt,
            states: states.0,
            n_states: states.1,
            memristors: memristors.0,
            n_memristors: memristors.1,
            _borrow: std::marker::PhantomData,
        }
    }

    /// The time and the pointers, to make contexts on other threads from.
    pub(crate) fn parts(&self) -> CtxParts {
        CtxParts {
            t: self.t,
            dt: self.dt,
            states: (self.states, self.n_states),
            memristors: (self.memristors, self.n_memristors),
        }
    }

    /// User state value `i`.
    pub fn state(&mut self, i: usize) -> &mut (dyn Any + Send) {
        assert!(i < self.n_states, "state {i} of {}", self.n_states);
        // SAFETY: in bounds; valid and not touched by anyone else while this context is in use
        // (the contract of `new` / `from_raw`).
        unsafe { &mut *(*self.states.add(i)).1 }
    }

    /// Memristor array `i`.
    pub fn memristor(&mut self, i: usize) -> &mut MemristorArray<Device> {
        assert!(i < self.n_memristors, "array {i} of {}", self.n_memristors);
        // SAFETY: as in `state`.
        unsafe { &mut *self.memristors.add(i) }
    }
}

/// Whether every value is finite: `x - x` is 0 for a finite `x` and NaN otherwise, summed in
/// eight lanes without an early exit so that it vectorises (AVX2 where the CPU has it; one
/// value is checked inline).
#[inline]
fn all_finite(v: &[f64]) -> bool {
    if v.len() == 1 {
        return v[0].is_finite();
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { all_finite_avx2(v) };
    }
    all_finite_body(v)
}

#[allow(clippy::eq_op)]
#[inline(always)]
fn all_finite_body(v: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += c[k] - c[k];
        }
    }
    for (a, &x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += x - x;
    }
    acc.iter().all(|&a| a == 0.0)
}

/// Whether every value of `a` and of `b` is finite: [`all_finite`] over both in one pass when
/// they have the same length (`(a − a) + (b − b)` is 0 for finite values, NaN otherwise).
#[inline]
pub(crate) fn both_finite(a: &[f64], b: &[f64]) -> bool {
    if a.len() != b.len() {
        return all_finite(a) && all_finite(b);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { both_finite_avx2(a, b) };
    }
    both_finite_body(a, b)
}

#[allow(clippy::eq_op)]
#[inline(always)]
fn both_finite_body(a: &[f64], b: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += (x[k] - x[k]) + (y[k] - y[k]);
        }
    }
    for ((s, &x), &y) in acc.iter_mut().zip(ca.remainder()).zip(cb.remainder()) {
        *s += (x - x) + (y - y);
    }
    acc.iter().all(|&s| s == 0.0)
}

/// [`both_finite_body`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn both_finite_avx2(a: &[f64], b: &[f64]) -> bool {
    both_finite_body(a, b)
}

/// [`all_finite_body`] compiled for AVX2 (same answer: any NaN or infinity gives a NaN lane).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_finite_avx2(v: &[f64]) -> bool {
    all_finite_body(v)
}

/// Defines `$name(args)`: `$body` compiled for AVX2 where the CPU has it (no FMA is enabled, so
/// every operation rounds as in the portable build), else as is.
macro_rules! avx2_kernel {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$doc])*
        #[inline]
        fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { avx2($($arg),*) };
            }
            body($($arg),*)
        }
    };
}

pub(crate) use avx2_kernel;

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
            ..
        } => vec![vec![
            j.clone(),
            out.clone(),
            voltage.clone(),
            refractory.clone(),
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

/// The signal store as a base pointer and a length, so that ops running at the same time on
/// different threads (each on its own ranges) never hold references to each other's values:
/// each op makes slices of just the ranges it uses.
#[derive(Clone, Copy, Debug)]
pub struct StorePtr {
    base: *mut f64,
    len: usize,
}

impl StorePtr {
    /// The whole of `store`; valid while `store` is neither moved nor resized, and used as the
    /// only access to it meanwhile.
    pub fn new(store: &mut [f64]) -> StorePtr {
        StorePtr {
            base: store.as_mut_ptr(),
            len: store.len(),
        }
    }

    /// A store at `base` of `len` values (see [`StorePtr::new`]).
    pub(crate) fn from_raw(base: *mut f64, len: usize) -> StorePtr {
        StorePtr { base, len }
    }

    /// The first value's address.
    pub(crate) fn as_mut_ptr(&self) -> *mut f64 {
        self.base
    }

    /// How many values the store holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the store holds no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The values in `r`, unchecked.
    ///
    /// # Safety
    /// `r` must lie within the store, the store must be live, and nothing else may access
    /// these values while the slice is used.
    #[inline(always)]
    unsafe fn get<'s>(self, r: &Range<usize>) -> &'s mut [f64] {
        debug_assert!(r.start <= r.end && r.end <= self.len);
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(r.start), r.end - r.start) }
    }

    /// `N` mutable slices of the store at the given ranges, unchecked.
    ///
    /// # Safety
    /// As for [`StorePtr::get`] for each range, and the ranges must be pairwise disjoint (empty
    /// ranges excepted), which [`Op::check_ranges`] verifies.
    #[inline(always)]
    unsafe fn parts<'s, const N: usize>(self, ranges: [&Range<usize>; N]) -> [&'s mut [f64]; N] {
        // SAFETY: in bounds and pairwise disjoint (the caller's contract).
        ranges.map(|r| unsafe { self.get(r) })
    }
}

/// One readable range and one writable range of the store, unchecked.
///
/// # Safety
/// As for [`StorePtr::parts`].
#[inline(always)]
unsafe fn rw<'s>(
    store: StorePtr,
    r: &Range<usize>,
    w: &Range<usize>,
) -> (&'s [f64], &'s mut [f64]) {
    // SAFETY: forwarded contract.
    let [a, b] = unsafe { store.parts([r, w]) };
    (a, b)
}

/// The indices of the non-zero entries of `x`, gathered without branches (spike patterns are
/// unpredictable) into `nz`, which keeps its length (`x.len()` after the first call, within the
/// capacity reserved at build) so that nothing is cleared or resized per step.
fn nonzero<'a>(x: &[f64], nz: &'a mut Vec<usize>) -> &'a [usize] {
    if nz.len() < x.len() {
        nz.resize(x.len(), 0);
    }
    let buf = &mut nz[..x.len()];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        let k = unsafe { nonzero_avx2(x, buf) };
        return &nz[..k];
    }
    let mut k = 0;
    for (i, &v) in x.iter().enumerate() {
        buf[k] = i;
        k += (v != 0.0) as usize;
    }
    &nz[..k]
}

/// For each 8-bit mask, the positions of its set bits packed to the front, one per byte from the
/// lowest (the rest 0): one table load turns the mask of eight flags into their indices without
/// a branch (used for spike indices here and for the LIF step's slow neurons).
pub(crate) static PACK8: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let (mut k, mut b) = (0, 0);
        while b < 8 {
            if (m >> b) & 1 == 1 {
                t[m] |= (b as u64) << (8 * k);
                k += 1;
            }
            b += 1;
        }
        m += 1;
    }
    t
};

/// The [`PACK8`] row of mask `m` as eight 32-bit indices, plus `base`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn packed_indices(m: usize, base: usize) -> std::arch::x86_64::__m256i {
    use std::arch::x86_64::*;
    _mm256_add_epi32(
        _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(PACK8[m] as i64)),
        _mm256_set1_epi32(base as i32),
    )
}

/// The non-zero mask of `x[i..i + 8]` (`v != 0.0`: NaN counts as non-zero).
///
/// # Safety
/// AVX2 must be present and `i + 8 <= x.len()`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn nonzero_mask8(x: &[f64], i: usize) -> usize {
    use std::arch::x86_64::*;
    let zero = _mm256_setzero_pd();
    // SAFETY: i + 8 <= x.len() (caller's contract).
    let (a, b) = unsafe {
        (
            _mm256_loadu_pd(x.as_ptr().add(i)),
            _mm256_loadu_pd(x.as_ptr().add(i + 4)),
        )
    };
    let ma = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_NEQ_UQ>(a, zero)) as usize;
    let mb = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_NEQ_UQ>(b, zero)) as usize;
    ma | (mb << 4)
}

/// [`nonzero`] with AVX2 and no branch per value: eight values at a time, their non-zero mask,
/// then the [`PACK8`] row of that mask plus `i` written as eight indices at position `k` (only the
/// first `popcount` of them are kept: the next group writes over the rest). `k <= i`, so the
/// eight stores stay inside `buf[..i + 8]`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nonzero_avx2(x: &[f64], buf: &mut [usize]) -> usize {
    use std::arch::x86_64::*;
    let n = x.len();
    assert!(buf.len() >= n);
    let (mut i, mut k) = (0, 0);
    while i + 8 <= n {
        // SAFETY: i + 8 <= n; the table row is 8 u32; k + 8 <= i + 8 <= n <= buf.len().
        unsafe {
            let m = nonzero_mask8(x, i);
            let idx = packed_indices(m, i);
            let p = buf.as_mut_ptr().add(k).cast::<__m256i>();
            _mm256_storeu_si256(p, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(idx)));
            _mm256_storeu_si256(
                p.add(1),
                _mm256_cvtepu32_epi64(_mm256_extracti128_si256::<1>(idx)),
            );
            k += m.count_ones() as usize;
        }
        i += 8;
    }
    while i < n {
        buf[k] = i;
        k += (x[i] != 0.0) as usize;
        i += 1;
    }
    k
}

/// `Σ w[i]·x[i]` for one row (a 1-D decoder): eight running sums, lane `l` taking the terms
/// `i ≡ l (mod 8)` (one multiply and one add each, no fused multiply-add), folded as
/// `((s0+s4) + (s1+s5)) + ((s2+s6) + (s3+s7))`, then the last `n mod 8` terms in order. The sum
/// order is fixed, so the portable and the AVX2 versions give the same bits; for 100–2000 neurons
/// this dense sum is cheaper than gathering the spiking ones (a serial chain of adds).
fn dot8(w: &[f64], x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { dot8_avx2(w, x) };
    }
    dot8_portable(w, x)
}

fn dot8_portable(w: &[f64], x: &[f64]) -> f64 {
    let n = x.len();
    let w = &w[..n];
    let mut acc = [0.0f64; 8];
    let mut i = 0;
    while i + 8 <= n {
        for l in 0..8 {
            acc[l] += w[i + l] * x[i + l];
        }
        i += 8;
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    while i < n {
        s += w[i] * x[i];
        i += 1;
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot8_avx2(w: &[f64], x: &[f64]) -> f64 {
    use std::arch::x86_64::*;
    let n = x.len();
    let w = &w[..n];
    let (mut lo, mut hi) = (_mm256_setzero_pd(), _mm256_setzero_pd());
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n = x.len() = w.len().
        unsafe {
            let (wp, xp) = (w.as_ptr().add(i), x.as_ptr().add(i));
            lo = _mm256_add_pd(lo, _mm256_mul_pd(_mm256_loadu_pd(wp), _mm256_loadu_pd(xp)));
            hi = _mm256_add_pd(
                hi,
                _mm256_mul_pd(_mm256_loadu_pd(wp.add(4)), _mm256_loadu_pd(xp.add(4))),
            );
        }
        i += 8;
    }
    let mut c = [0.0f64; 4];
    // SAFETY: `c` holds four f64.
    unsafe { _mm256_storeu_pd(c.as_mut_ptr(), _mm256_add_pd(lo, hi)) };
    let mut s = (c[0] + c[1]) + (c[2] + c[3]);
    while i < n {
        s += w[i] * x[i];
        i += 1;
    }
    s
}

fn matvec(w: &[f64], rows: usize, cols: usize, x: &[f64], y: &mut [f64], nz: &mut Vec<usize>) {
    // One row (a 1-D decoder): one dense sum in a fixed lane order.
    if rows == 1 && x.len() == cols {
        y[0] = dot8(&w[..cols], x);
        return;
    }
    // Spike-driven: only columns with a non-zero input are read. Skipping zero terms leaves
    // every sum bit-identical to the dense one.
    let nz = nonzero(x, nz);
    if nz.len() * 2 > cols {
        for (r, yr) in y.iter_mut().enumerate().take(rows) {
            let row = &w[r * cols..(r + 1) * cols];
            let mut s = 0.0;
            for (a, b) in row.iter().zip(x) {
                s += a * b;
            }
            *yr = s;
        }
    } else {
        for (r, yr) in y.iter_mut().enumerate().take(rows) {
            let row = &w[r * cols..(r + 1) * cols];
            let mut s = 0.0;
            for &i in nz.iter() {
                s += row[i] * x[i];
            }
            *yr = s;
        }
    }
}

/// Writes the row-major `rows × cols` matrix `rm` column-major into `cm`.
pub fn transpose_into(rm: &[f64], rows: usize, cols: usize, cm: &mut [f64]) {
    assert!(rm.len() == rows * cols && cm.len() == rows * cols);
    for (r, row) in rm.chunks_exact(cols.max(1)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            cm[c * rows + r] = v;
        }
    }
}

/// Turns the row-major `rows × cols` matrix in `m` column-major, in place for a square matrix
/// (no second copy of a big one).
pub fn transpose_in_place(m: &mut [f64], rows: usize, cols: usize) {
    if rows == cols {
        // Tile by tile (32 × 32, 8 KB each side), so that both sides of each swap stay in
        // cache: a 2000 × 2000 matrix is 32 MB.
        const TILE: usize = 32;
        let n = rows;
        for bi in (0..n).step_by(TILE) {
            for bj in (bi..n).step_by(TILE) {
                for r in bi..(bi + TILE).min(n) {
                    let c0 = if bi == bj { r + 1 } else { bj };
                    for c in c0..(bj + TILE).min(n) {
                        m.swap(r * n + c, c * n + r);
                    }
                }
            }
        }
    } else {
        let rm = m.to_vec();
        transpose_into(&rm, rows, cols, m);
    }
}

/// `y = W x` with `W` column-major: `y = Σ_i x_i · W[:, i]` over the non-zero `x_i` in increasing
/// `i`, accumulated element by element from 0 — for every `y[r]` the same sequence of roundings as
/// the row-major dot product, so the result is bit-identical to [`matvec`]. Four columns are
/// added per pass over `y` (still one rounding per term, in order) to cut loads and stores of `y`.
/// An `f32` matrix is read as the `f64` values of its entries (exact conversions).
#[inline(always)]
fn matvec_cols<T: Copy + Into<f64>>(
    w: &[T],
    rows: usize,
    x: &[f64],
    y: &mut [f64],
    nz: &mut Vec<usize>,
) {
    let nz = nonzero(x, nz);
    let y = &mut y[..rows];
    y.fill(0.0);
    let col = |i: usize| &w[i * rows..(i + 1) * rows];
    let mut quads = nz.chunks_exact(4);
    for q in &mut quads {
        let (c0, c1, c2, c3) = (col(q[0]), col(q[1]), col(q[2]), col(q[3]));
        let (x0, x1, x2, x3) = (x[q[0]], x[q[1]], x[q[2]], x[q[3]]);
        for ((((yy, &a), &b), &c), &d) in y.iter_mut().zip(c0).zip(c1).zip(c2).zip(c3) {
            *yy = (((*yy + a.into() * x0) + b.into() * x1) + c.into() * x2) + d.into() * x3;
        }
    }
    for &i in quads.remainder() {
        let xi = x[i];
        for (yy, &a) in y.iter_mut().zip(col(i)) {
            *yy += a.into() * xi;
        }
    }
}

avx2_kernel! {
    /// [`matvec_cols`] for an `f64` matrix.
    fn matvec_cols_f64(w: &[f64], rows: usize, x: &[f64], y: &mut [f64], nz: &mut Vec<usize>) {
        matvec_cols(w, rows, x, y, nz)
    }
}

avx2_kernel! {
    /// [`matvec_cols`] for an `f32` matrix.
    fn matvec_cols_f32(w: &[f32], rows: usize, x: &[f64], y: &mut [f64], nz: &mut Vec<usize>) {
        matvec_cols(w, rows, x, y, nz)
    }
}

/// `y += M · x` with `M` row-major `y.len() × x.len()`; each row summed in column order.
#[inline]
fn add_matvec(y: &mut [f64], m: &[f64], x: &[f64]) {
    let d = x.len();
    for (r, yy) in y.iter_mut().enumerate() {
        let row = &m[r * d..(r + 1) * d];
        let mut s = 0.0;
        for (a, b) in row.iter().zip(x) {
            s += a * b;
        }
        *yy += s;
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
            } => {
                // SAFETY: `check_ranges` passed for this store (the caller's contract).
                let [j, out, v, r] = unsafe { store.parts([&*j, &*out, &*voltage, &*refractory]) };
                if !neuron.step_checked(j, out, v, r) {
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
                ctx.memristor(*array).mpes_step(e, a);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finiteness_checks_find_every_nan_and_infinity() {
        for len in 0..21 {
            for bad in 0..len {
                for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let ok: Vec<f64> = (0..len).map(|i| i as f64 * 1e300 - 3.0).collect();
                    let mut x = ok.clone();
                    x[bad] = v;
                    assert!(all_finite(&ok) && !all_finite(&x), "len {len} at {bad}");
                    assert!(both_finite(&ok, &ok), "len {len}");
                    assert!(
                        !both_finite(&x, &ok) && !both_finite(&ok, &x),
                        "len {len} at {bad}"
                    );
                    assert!(!both_finite(&x, &[]) && !both_finite(&[], &x));
                }
            }
        }
    }

    #[test]
    fn a_folded_bias_gives_the_bits_of_the_bias_then_encode_ops() {
        let mut rng = crate::rng::Rng::new(9);
        for d in [1, 2, 3] {
            let n = 37;
            let enc: Vec<f64> = (0..n * d).map(|_| rng.uniform(-300.0, 300.0)).collect();
            let bias: Vec<f64> = (0..n).map(|_| rng.uniform(-20.0, 20.0)).collect();
            let x: Vec<f64> = (0..d).map(|_| rng.uniform(-1.0, 1.0)).collect();
            // Store: x, then J.
            let mut store: Vec<f64> = x.iter().copied().chain(vec![f64::NAN; n]).collect();
            let (xr, jr) = (0..d, d..d + n);
            let mut folded = store.clone();
            let mut ctx = Ctx::new(0.0, 0.001, &mut [], &mut []);
            let mut ops = [
                Op::Bias {
                    j: jr.clone(),
                    bias: bias.clone(),
                },
                Op::Encode {
                    j: jr.clone(),
                    x: xr.clone(),
                    enc: enc.clone(),
                    bias: Vec::new(),
                },
            ];
            for op in &mut ops {
                op.run(&mut store, &mut ctx).expect("run");
            }
            let mut one = Op::Encode {
                j: jr,
                x: xr,
                enc,
                bias,
            };
            one.run(&mut folded, &mut ctx).expect("run");
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&store), bits(&folded), "d = {d}");
        }
    }

    #[test]
    fn nonzero_finds_every_non_zero_in_order() {
        let mut nz = Vec::with_capacity(41);
        for len in 0..41 {
            for seed in 0..5u64 {
                let x: Vec<f64> = (0..len)
                    .map(|i| match (i as u64 * 7 + seed * 13) % 5 {
                        0 => 1000.0,
                        1 => f64::NAN,
                        2 => -0.0,
                        _ => 0.0,
                    })
                    .collect();
                let want: Vec<usize> = (0..len).filter(|&i| x[i] != 0.0).collect();
                assert_eq!(nonzero(&x, &mut nz), &want[..], "len {len} seed {seed}");
            }
        }
    }

    #[test]
    fn one_row_matvec_is_the_eight_lane_sum() {
        let mut nz = Vec::with_capacity(64);
        for cols in [0, 1, 7, 8, 9, 16, 37, 64, 203] {
            let w: Vec<f64> = (0..cols)
                .map(|k| ((k * 37 % 101) as f64 - 50.0) / 3.7)
                .collect();
            for seed in 0..12u64 {
                let x: Vec<f64> = (0..cols)
                    .map(|i| {
                        if (i as u64 * 7 + seed * 5) % (seed % 6 + 1) == 0 {
                            1000.0 / (i + 1) as f64
                        } else {
                            0.0
                        }
                    })
                    .collect();
                // The documented order, written out term by term.
                let full = cols / 8 * 8;
                let lane = |l: usize| (l..full).step_by(8).fold(0.0, |s: f64, i| s + w[i] * x[i]);
                let mut want = ((lane(0) + lane(4)) + (lane(1) + lane(5)))
                    + ((lane(2) + lane(6)) + (lane(3) + lane(7)));
                for i in full..cols {
                    want += w[i] * x[i];
                }
                let mut y = [9.0];
                matvec(&w, 1, cols, &x, &mut y, &mut nz);
                assert_eq!(y[0].to_bits(), want.to_bits(), "cols {cols} seed {seed}");
                assert_eq!(
                    dot8_portable(&w, &x).to_bits(),
                    want.to_bits(),
                    "portable, cols {cols} seed {seed}"
                );
                let exact: f64 = w.iter().zip(&x).map(|(a, b)| a * b).sum();
                assert!((want - exact).abs() <= 1e-12 * exact.abs().max(1.0));
            }
        }
    }

    #[test]
    fn transpose_in_place_equals_the_copying_transpose() {
        for (rows, cols) in [
            (1, 1),
            (2, 2),
            (31, 31),
            (32, 32),
            (33, 33),
            (65, 65),
            (100, 100),
            (3, 7),
            (40, 33),
        ] {
            let m: Vec<f64> = (0..rows * cols).map(|k| k as f64 * 0.5 - 3.0).collect();
            let mut want = vec![0.0; rows * cols];
            transpose_into(&m, rows, cols, &mut want);
            let mut got = m.clone();
            transpose_in_place(&mut got, rows, cols);
            assert_eq!(got, want, "{rows} x {cols}");
        }
    }

    #[test]
    fn column_major_matvec_is_bit_identical() {
        let (rows, cols) = (7, 11);
        let w: Vec<f64> = (0..rows * cols)
            .map(|k| ((k * 37 % 101) as f64 - 50.0) / 3.7)
            .collect();
        let mut cm = vec![0.0; rows * cols];
        transpose_into(&w, rows, cols, &mut cm);
        let mut nz = Vec::with_capacity(cols);
        for pattern in [0u32, 1, 0b101_0011_0001, 0x7ff, 0b100_0000_0000] {
            let x: Vec<f64> = (0..cols)
                .map(|i| {
                    if pattern >> i & 1 == 1 {
                        1000.0 / (i + 1) as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            let (mut a, mut b) = (vec![9.0; rows], vec![9.0; rows]);
            matvec(&w, rows, cols, &x, &mut a, &mut nz);
            matvec_cols_f64(&cm, rows, &x, &mut b, &mut nz);
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "pattern {pattern:b}");
            // An f32 matrix: the same sums as the f64 one holding its (rounded) values.
            let cm32: Vec<f32> = cm.iter().map(|&v| v as f32).collect();
            let w_rounded: Vec<f64> = w.iter().map(|&v| f64::from(v as f32)).collect();
            assert_ne!(w_rounded, w, "the test matrix is not exact in f32");
            let (mut c, mut d) = (vec![9.0; rows], vec![9.0; rows]);
            matvec(&w_rounded, rows, cols, &x, &mut c, &mut nz);
            matvec_cols_f32(&cm32, rows, &x, &mut d, &mut nz);
            assert_eq!(bits(&c), bits(&d), "f32, pattern {pattern:b}");
        }
    }
}
