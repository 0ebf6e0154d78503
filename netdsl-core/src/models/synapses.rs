//! Synapse models (linear filters) and their discrete-time form, as in Nengo 4.1
//! (`nengo/synapses.py`, `nengo/utils/filter_design.py`).
//!
//! A synapse is an analog transfer function `num(s) / den(s)`. [`Synapse::discretize`] turns it
//! into a state-space system (controllable canonical form), discretises that with a zero-order
//! hold through the matrix exponential, and picks the cheapest step rule, exactly as Nengo does:
//!
//! | kind | when | step |
//! |---|---|---|
//! | [`FilterKind::NoX`] | no state (e.g. `Lowpass(0)`) | `y = D u` |
//! | [`FilterKind::OneX`] | one state, `D = 0` (e.g. `Lowpass(tau)`) | `x = a x + b u; y = x` |
//! | [`FilterKind::NoD`] | more states, `D = 0` (e.g. `Alpha`) | `x = A x + B u; y = C x` |
//! | [`FilterKind::General`] | `D ≠ 0` with state | `y = C x + D u; x = A x + B u` |
//!
//! The step here has no built-in delay; the simulator's one-step delay for connection and probe
//! synapses comes from running them as update-mode ops.

use crate::nef::linalg::expm;
use crate::step::kernels::avx2_kernel;
use ndarray::{Array1, Array2};

/// A linear synapse model (analog transfer function).
#[derive(Clone, Debug, PartialEq)]
pub enum Synapse {
    /// First-order lowpass `1 / (tau s + 1)`; `Lowpass(0)` is the identity (no filtering, but in
    /// the simulator still a one-step delay).
    Lowpass(f64),
    /// Alpha synapse `1 / (tau s + 1)²`.
    Alpha(f64),
    /// General analog transfer function: polynomial coefficients, highest power first.
    LinearFilter {
        /// Numerator coefficients.
        num: Vec<f64>,
        /// Denominator coefficients.
        den: Vec<f64>,
    },
}

/// Errors from [`Synapse::try_discretize`] and [`Synapse::validate`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SynapseError {
    /// The numerator is of higher degree than the denominator.
    #[error(
        "improper transfer function: numerator has {num} coefficients but the denominator only \
         {den}"
    )]
    Improper {
        /// Numerator coefficients (after normalisation).
        num: usize,
        /// Denominator coefficients (after normalisation).
        den: usize,
    },
    /// The numerator or denominator is empty, or the denominator is all zeros.
    #[error("transfer function has an empty or zero polynomial")]
    Empty,
    /// A time constant that is negative or not finite.
    #[error("bad synapse parameter: time constant must be finite and >= 0, got {tau}")]
    TimeConstant {
        /// The time constant.
        tau: f64,
    },
    /// A filter coefficient that is not finite.
    #[error("bad synapse parameter: filter coefficients must be finite, got {value}")]
    Coefficient {
        /// The coefficient.
        value: f64,
    },
}

/// Which step rule a [`DiscreteFilter`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// No state: `y = D u`.
    NoX,
    /// One state and no passthrough: `x = a x + b u; y = x`.
    OneX,
    /// No passthrough: `x = A x + B u; y = C x` (output after the update).
    NoD,
    /// Anything else: `y = C x + D u`, then `x = A x + B u`.
    General,
}

/// Largest state size stepped without heap scratch space (larger filters allocate per step).
const STACK_STATES: usize = 16;

/// A discrete-time state-space filter, applied independently to each of a number of dimensions.
#[derive(Clone, Debug, PartialEq)]
pub struct DiscreteFilter {
    /// State matrix (nx × nx).
    pub a: Array2<f64>,
    /// Input vector (nx).
    pub b: Array1<f64>,
    /// Output vector (nx).
    pub c: Array1<f64>,
    /// Passthrough.
    pub d: f64,
    kind: FilterKind,
    /// OneX: decay `a`, and input gain `C·B`.
    one_a: f64,
    one_b: f64,
}

avx2_kernel! {
    /// One step of a one-state filter without a direct term on every dimension:
    /// `x = a x + b u; y = x` (no fused multiply-add, so AVX2 rounds as the portable build).
    fn one_state_step(y: &mut [f64], x: &mut [f64], u: &[f64], a: f64, b: f64) {
        for ((yy, xx), uu) in y.iter_mut().zip(x.iter_mut()).zip(u) {
            let nx = a * *xx + b * uu;
            *xx = nx;
            *yy = nx;
        }
    }
}

impl DiscreteFilter {
    fn new(a: Array2<f64>, b: Array1<f64>, c: Array1<f64>, d: f64) -> DiscreteFilter {
        let nx = a.nrows();
        let kind = if nx == 0 {
            FilterKind::NoX
        } else if d == 0.0 && nx == 1 {
            FilterKind::OneX
        } else if d == 0.0 {
            FilterKind::NoD
        } else {
            FilterKind::General
        };
        let (one_a, one_b) = if kind == FilterKind::OneX {
            (a[[0, 0]], c[0] * b[0])
        } else {
            (0.0, 0.0)
        };
        DiscreteFilter {
            a,
            b,
            c,
            d,
            kind,
            one_a,
            one_b,
        }
    }

    /// The step rule.
    pub fn kind(&self) -> FilterKind {
        self.kind
    }

    /// Filters one step of a one-dimensional signal with a [`FilterKind::OneX`] filter
    /// (`x = a x + b u; y = x`, the same expression as [`DiscreteFilter::step`]) and returns
    /// `Some(y)`; `None` (nothing changed) for any other kind or a state of another length.
    #[inline(always)]
    pub fn step_one(&self, u: f64, state: &mut [f64]) -> Option<f64> {
        match (self.kind, state) {
            (FilterKind::OneX, [x]) => {
                let nx = self.one_a * *x + self.one_b * u;
                *x = nx;
                Some(nx)
            }
            _ => None,
        }
    }

    /// Number of state variables per filtered dimension.
    pub fn state_len(&self) -> usize {
        self.a.nrows()
    }

    /// Filters one step of a `dims`-dimensional signal: `u` and `y` have `dims` entries and
    /// `state` has `dims × state_len()` entries laid out per dimension (`state[k * nx + i]` is
    /// state `i` of dimension `k`), initially zero. Allocation-free for up to 16 states.
    ///
    /// # Panics
    /// If the slice lengths do not match.
    #[inline]
    pub fn step(&self, u: &[f64], y: &mut [f64], state: &mut [f64]) {
        let dims = u.len();
        assert_eq!(
            y.len(),
            dims,
            "filter step: output length differs from input"
        );
        let nx = self.state_len();
        assert_eq!(
            state.len(),
            dims * nx,
            "filter step: state length must be dims * nx"
        );
        match self.kind {
            FilterKind::NoX => {
                let d = self.d;
                for (yo, &ui) in y.iter_mut().zip(u) {
                    *yo = d * ui;
                }
            }
            FilterKind::OneX => one_state_step(y, state, u, self.one_a, self.one_b),
            FilterKind::NoD | FilterKind::General => {
                let mut stack = [0.0f64; STACK_STATES];
                let mut heap = Vec::new();
                let scratch: &mut [f64] = if nx <= STACK_STATES {
                    &mut stack[..nx]
                } else {
                    heap.resize(nx, 0.0);
                    &mut heap
                };
                let a = self.a.as_slice().expect("standard layout");
                let b = self.b.as_slice().expect("contiguous");
                let c = self.c.as_slice().expect("contiguous");
                let general = self.kind == FilterKind::General;
                for ((yo, &ui), x) in y.iter_mut().zip(u).zip(state.chunks_exact_mut(nx)) {
                    if general {
                        let mut acc = 0.0;
                        for (ci, xi) in c.iter().zip(x.iter()) {
                            acc += ci * xi;
                        }
                        *yo = acc + self.d * ui;
                    }
                    for (i, s) in scratch.iter_mut().enumerate() {
                        let row = &a[i * nx..(i + 1) * nx];
                        let mut acc = 0.0;
                        for (aij, xj) in row.iter().zip(x.iter()) {
                            acc += aij * xj;
                        }
                        *s = acc + b[i] * ui;
                    }
                    x.copy_from_slice(scratch);
                    if !general {
                        let mut acc = 0.0;
                        for (ci, xi) in c.iter().zip(x.iter()) {
                            acc += ci * xi;
                        }
                        *yo = acc;
                    }
                }
            }
        }
    }
}

/// Strips leading zeros of `den`, divides both polynomials by its leading coefficient, and drops
/// numerator leading coefficients that are zero to 1e-14 (Nengo's `normalize`).
fn normalize(num: &[f64], den: &[f64]) -> Result<(Vec<f64>, Vec<f64>), SynapseError> {
    if num.is_empty() || den.is_empty() {
        return Err(SynapseError::Empty);
    }
    let mut den = den;
    while den[0] == 0.0 && den.len() > 1 {
        den = &den[1..];
    }
    let lead = den[0];
    if lead == 0.0 {
        return Err(SynapseError::Empty);
    }
    let mut outb: Vec<f64> = num.iter().map(|v| v / lead).collect();
    let outa: Vec<f64> = den.iter().map(|v| v / lead).collect();
    while outb[0].abs() <= 1e-14 && outb.len() > 1 {
        outb.remove(0);
    }
    Ok((outb, outa))
}

/// A single-input single-output state-space system (A, B, C, D).
type StateSpace = (Array2<f64>, Array1<f64>, Array1<f64>, f64);

/// Continuous state space (A, B, C, D) of a transfer function in controllable canonical form
/// (Nengo's `tf2ss`).
fn tf2ss(num: &[f64], den: &[f64]) -> Result<StateSpace, SynapseError> {
    let (num, den) = normalize(num, den)?;
    let (m, k) = (num.len(), den.len());
    if m > k {
        return Err(SynapseError::Improper { num: m, den: k });
    }
    let mut padded = vec![0.0; k - m];
    padded.extend_from_slice(&num);
    let d = padded[0];
    let nx = k - 1;
    if nx == 0 {
        return Ok((Array2::zeros((0, 0)), Array1::zeros(0), Array1::zeros(0), d));
    }
    let mut a = Array2::<f64>::zeros((nx, nx));
    for j in 0..nx {
        a[[0, j]] = -den[j + 1];
    }
    for i in 1..nx {
        a[[i, i - 1]] = 1.0;
    }
    let mut b = Array1::<f64>::zeros(nx);
    b[0] = 1.0;
    let c = Array1::from_iter((0..nx).map(|j| padded[j + 1] - padded[0] * den[j + 1]));
    Ok((a, b, c, d))
}

impl Synapse {
    /// The analog transfer function `(num, den)`, highest power first.
    pub fn num_den(&self) -> (Vec<f64>, Vec<f64>) {
        match self {
            Synapse::Lowpass(tau) => (vec![1.0], vec![*tau, 1.0]),
            Synapse::Alpha(tau) => (vec![1.0], vec![tau * tau, 2.0 * tau, 1.0]),
            Synapse::LinearFilter { num, den } => (num.clone(), den.clone()),
        }
    }

    /// Checks the parameters (finite, non-negative time constants, proper transfer function).
    pub fn validate(&self) -> Result<(), SynapseError> {
        match self {
            Synapse::Lowpass(tau) | Synapse::Alpha(tau) => {
                if !tau.is_finite() || *tau < 0.0 {
                    return Err(SynapseError::TimeConstant { tau: *tau });
                }
            }
            Synapse::LinearFilter { num, den } => {
                if let Some(&value) = num.iter().chain(den).find(|v| !v.is_finite()) {
                    return Err(SynapseError::Coefficient { value });
                }
            }
        }
        let (num, den) = self.num_den();
        tf2ss(&num, &den).map(|_| ())
    }

    /// The zero-order-hold discretisation for time step `dt` (Nengo's `_get_ss` plus its choice
    /// of step rule), or an error for an invalid transfer function.
    pub fn try_discretize(&self, dt: f64) -> Result<DiscreteFilter, SynapseError> {
        self.validate()?;
        let (num, den) = self.num_den();
        let (a, b, c, d) = tf2ss(&num, &den)?;
        let nx = a.nrows();
        if nx == 0 {
            return Ok(DiscreteFilter::new(a, b, c, d));
        }
        // exp(dt * [[A, B], [0, 0]]) = [[Ad, Bd], [0, I]].
        let mut em = Array2::<f64>::zeros((nx + 1, nx + 1));
        for i in 0..nx {
            for j in 0..nx {
                em[[i, j]] = dt * a[[i, j]];
            }
            em[[i, nx]] = dt * b[i];
        }
        let ms = expm(&em);
        let ad = Array2::from_shape_fn((nx, nx), |(i, j)| ms[[i, j]]);
        let bd = Array1::from_iter((0..nx).map(|i| ms[[i, nx]]));
        Ok(DiscreteFilter::new(ad, bd, c, d))
    }

    /// The zero-order-hold discretisation for time step `dt`.
    ///
    /// # Panics
    /// If the synapse is invalid (see [`Synapse::validate`]).
    pub fn discretize(&self, dt: f64) -> DiscreteFilter {
        match self.try_discretize(dt) {
            Ok(f) => f,
            Err(e) => panic!("cannot discretize {self:?}: {e}"),
        }
    }

    /// Filters a scalar signal offline (state starting at zero, no added delay), like Nengo's
    /// `synapse.filt(x, dt=dt)`.
    pub fn filt(&self, signal: &[f64], dt: f64) -> Vec<f64> {
        let f = self.discretize(dt);
        let mut state = vec![0.0; f.state_len()];
        let mut y = [0.0];
        signal
            .iter()
            .map(|&u| {
                f.step(&[u], &mut y, &mut state);
                y[0]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 0.001;
    /// Test input used for all the filt references: ones, then 0, -2, 0.
    const INPUT: [f64; 8] = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, -2.0, 0.0];

    fn check(got: &[f64], expected: &[f64], tol: f64) -> f64 {
        assert_eq!(got.len(), expected.len());
        let mut worst: f64 = 0.0;
        for (i, (g, e)) in got.iter().zip(expected).enumerate() {
            let err = (g - e).abs() / e.abs().max(1.0);
            worst = worst.max(err);
            assert!(err <= tol, "index {i}: {g} vs {e}");
        }
        worst
    }

    // All expected values below: Nengo 4.1, `syn._get_ss(0.001)` for the matrices and
    // `syn.filt(INPUT[:, None], dt=0.001)` for the outputs, printed with repr().

    #[test]
    fn synapses_lowpass_matches_nengo() {
        let f = Synapse::Lowpass(0.005).discretize(DT);
        assert_eq!(f.kind(), FilterKind::OneX);
        assert!((f.a[[0, 0]] - 0.8187307530779818).abs() <= 1e-16);
        assert!((f.b[0] - 0.0009063462346100906).abs() <= 1e-19);
        assert_eq!(f.c[0], 200.0);
        check(
            &Synapse::Lowpass(0.005).filt(&INPUT, DT),
            &[
                0.18126924692201812,
                0.3296799539643607,
                0.4511883639059735,
                0.5506710358827783,
                0.6321205588285576,
                0.5175365411657796,
                0.06118458824999645,
                0.05009370401468583,
            ],
            1e-15,
        );
        let f = Synapse::Lowpass(0.01).discretize(DT);
        assert!((f.a[[0, 0]] - 0.9048374180359594).abs() <= 1e-16);
        // Scenario 2 (sim sees filt delayed by one step): 0.09516258, 0.18126925, ...
        check(
            &Synapse::Lowpass(0.01).filt(&INPUT, DT),
            &[
                0.09516258196404041,
                0.1812692469220181,
                0.25918177931828207,
                0.32967995396436056,
                0.3934693402873664,
                0.3560257819419329,
                0.13182028535849125,
                0.1192759266485406,
            ],
            1e-15,
        );
    }

    #[test]
    fn synapses_alpha_matches_nengo() {
        let f = Synapse::Alpha(0.005).discretize(DT);
        assert_eq!(f.kind(), FilterKind::NoD);
        let ea = [
            0.6549846024623853,
            -32.74923012311927,
            0.000818730753077982,
            0.9824769036935781,
        ];
        for (g, e) in f.a.iter().zip(&ea) {
            assert!((g - e).abs() <= 1e-14 * e.abs().max(1.0), "{g} vs {e}");
        }
        assert!((f.b[0] - 0.0008187307530779817).abs() <= 1e-18);
        assert!((f.b[1] - 4.380774076605443e-07).abs() <= 1e-21);
        assert_eq!(f.c.to_vec(), vec![0.0, 40000.0]);
        // Scenario 3 (sim shows these one step later): 0.0175231, 0.06155194, ...
        check(
            &Synapse::Alpha(0.005).filt(&INPUT, DT),
            &[
                0.017523096306421772,
                0.06155193555010498,
                0.12190138224955768,
                0.1912078645890011,
                0.2642411176571153,
                0.31984963748673345,
                0.3115691583771957,
                0.26510999247697153,
            ],
            1e-14,
        );
    }

    #[test]
    fn synapses_general_one_state_matches_nengo() {
        let s = Synapse::LinearFilter {
            num: vec![1.0, 2.0],
            den: vec![1.0, 3.0],
        };
        let f = s.discretize(DT);
        assert_eq!(f.kind(), FilterKind::General);
        assert_eq!((f.c[0], f.d), (-1.0, 1.0));
        assert!((f.a[[0, 0]] - 0.9970044955033729).abs() <= 1e-16);
        check(
            &s.filt(&INPUT, DT),
            &[
                1.0,
                0.9990014985011243,
                0.9980059880179785,
                0.9970134595909612,
                0.9960239042873101,
                -0.004962686798979112,
                -2.0049478210483573,
                -0.0029359968304072076,
            ],
            1e-15,
        );
    }

    #[test]
    fn synapses_third_order_nod_matches_nengo() {
        let s = Synapse::LinearFilter {
            num: vec![0.01, 1.0],
            den: vec![1e-6, 3e-4, 0.03, 1.0],
        };
        let f = s.discretize(DT);
        assert_eq!(f.kind(), FilterKind::NoD);
        assert_eq!(f.state_len(), 3);
        let ea = [
            0.7283941215189474,
            -26.240285123042828,
            -859.5955471341615,
            0.0008595955471341615,
            0.9862727856591956,
            -0.45241870901797976,
            4.5241870901797976e-07,
            0.0009953211598395554,
            0.9998453469297354,
        ];
        for (g, e) in f.a.iter().zip(&ea) {
            assert!((g - e).abs() <= 1e-13 * e.abs().max(1.0), "{g} vs {e}");
        }
        check(
            &s.filt(&INPUT, DT),
            &[
                0.00467884016044447,
                0.017523096306421772,
                0.036936313113766765,
                0.061551935550104964,
                0.09020401043104984,
                0.1172225420891132,
                0.12892420692729303,
                0.12858303918327962,
            ],
            1e-13,
        );
    }

    #[test]
    fn synapses_second_order_general_matches_nengo() {
        let s = Synapse::LinearFilter {
            num: vec![1.0, 0.0, 1.0],
            den: vec![0.01, 0.05, 1.0],
        };
        let f = s.discretize(DT);
        assert_eq!(f.kind(), FilterKind::General);
        assert_eq!(f.c.to_vec(), vec![-500.0, -9900.0]);
        assert_eq!(f.d, 100.0);
        check(
            &s.filt(&INPUT, DT),
            &[
                100.0,
                99.49631451262316,
                98.98531620060852,
                98.46709250869065,
                97.94173116620031,
                -2.5906798231059307,
                -202.62636670381588,
                -1.6542426417235336,
            ],
            1e-13,
        );
    }

    #[test]
    fn synapses_stateless_filters() {
        let f = Synapse::Lowpass(0.0).discretize(DT);
        assert_eq!(f.kind(), FilterKind::NoX);
        assert_eq!((f.state_len(), f.d), (0, 1.0));
        assert_eq!(Synapse::Lowpass(0.0).filt(&INPUT, DT), INPUT.to_vec());
        // Nengo: LinearFilter([0, 0, 3], [0, 2]) -> NoX with D = 1.5.
        let s = Synapse::LinearFilter {
            num: vec![0.0, 0.0, 3.0],
            den: vec![0.0, 2.0],
        };
        assert_eq!(s.discretize(DT).kind(), FilterKind::NoX);
        assert_eq!(
            s.filt(&INPUT, DT),
            vec![1.5, 1.5, 1.5, 1.5, 1.5, 0.0, -3.0, 0.0]
        );
    }

    #[test]
    fn synapses_vectorised_step_matches_scalar() {
        for syn in [
            Synapse::Lowpass(0.01),
            Synapse::Alpha(0.005),
            Synapse::LinearFilter {
                num: vec![1.0, 0.0, 1.0],
                den: vec![0.01, 0.05, 1.0],
            },
        ] {
            let f = syn.discretize(DT);
            let nx = f.state_len();
            let mut state = vec![0.0; 3 * nx];
            let mut y = [0.0; 3];
            let scalar: Vec<Vec<f64>> = [1.0, -0.5, 2.0]
                .iter()
                .map(|&g| {
                    let sig: Vec<f64> = INPUT.iter().map(|v| g * v).collect();
                    syn.filt(&sig, DT)
                })
                .collect();
            for (t, &u) in INPUT.iter().enumerate() {
                f.step(&[u, -0.5 * u, 2.0 * u], &mut y, &mut state);
                for k in 0..3 {
                    assert_eq!(y[k].to_bits(), scalar[k][t].to_bits());
                }
            }
        }
    }

    #[test]
    fn synapses_invalid() {
        let improper = Synapse::LinearFilter {
            num: vec![1.0, 0.0, 0.0],
            den: vec![1.0, 1.0],
        };
        assert_eq!(
            improper.try_discretize(DT),
            Err(SynapseError::Improper { num: 3, den: 2 })
        );
        assert!(Synapse::Lowpass(-1.0).validate().is_err());
        assert!(Synapse::LinearFilter {
            num: vec![1.0],
            den: vec![0.0]
        }
        .validate()
        .is_err());
    }
}
