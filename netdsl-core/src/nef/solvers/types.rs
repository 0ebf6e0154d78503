//! The solver a connection or decoded probe uses: [`Solver`] (an algorithm, [`SolverKind`], and
//! Nengo's `weights` flag), and one struct per Nengo 4.1 solver class with Nengo's parameter
//! names and defaults (`Nnls { weights: true }`, `LstsqL2 { reg: 0.05, ..Default::default() }`),
//! each turned into a [`Solver`] by `From`/`Into`.

use ndarray::Array2;

/// A decoder (or, with `weights`, full weight-matrix) solver, as Nengo's `Connection(solver=…)`
/// and `Probe(solver=…)`. The default is Nengo's `LstsqL2(reg=0.1)`.
///
/// Build one from the struct named after Nengo's class: `Solver::from(Nnls { weights: true })`,
/// `LstsqL2 { reg: 0.05, weights: false }.into()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Solver {
    /// The algorithm and its parameters.
    pub kind: SolverKind,
    /// Solve for a full weight matrix into the post ensemble's neurons (Nengo's `weights=True`;
    /// ensemble → ensemble connections only). Compositional solvers (see
    /// [`SolverKind::compositional`]) still solve decoders and fold in the transform and the post
    /// encoders; the others solve for the weights directly, against targets that already hold
    /// the transform and the post encoders (as Nengo's `build_decoders`).
    pub weights: bool,
}

impl Default for Solver {
    fn default() -> Self {
        LstsqL2::default().into()
    }
}

/// A solver's algorithm and parameters (Nengo's solver classes without `weights`). Every solver
/// that needs a least-squares sub-solve uses Nengo's default `Cholesky()` one.
#[derive(Clone, Debug, PartialEq)]
pub enum SolverKind {
    /// `Lstsq(rcond=0.01)`: `numpy.linalg.lstsq`, the SVD pseudo-inverse without the singular
    /// values ≤ `rcond × s_max`.
    Lstsq {
        /// Cut-off ratio for small singular values.
        rcond: f64,
    },
    /// `LstsqNoise(noise=0.1)`: Gaussian noise of s.d. `noise × max|A|` added to the
    /// activities, then an unregularised Cholesky solve.
    LstsqNoise {
        /// Noise as a fraction of the largest activity.
        noise: f64,
    },
    /// `LstsqMultNoise(noise=0.1)`: the activities multiplied by `1 + N(0, noise)`, then an
    /// unregularised Cholesky solve.
    LstsqMultNoise {
        /// Relative noise.
        noise: f64,
    },
    /// `LstsqL2(reg=0.1)`: ridge regression with `σ = reg × max(A)`.
    LstsqL2 {
        /// Regularisation as a fraction of the largest activity.
        reg: f64,
    },
    /// `LstsqL2nz(reg=0.1)`: ridge regression with one `σ` per neuron, scaled by the square root
    /// of the fraction of points where the neuron is active.
    LstsqL2nz {
        /// Regularisation as a fraction of the largest activity.
        reg: f64,
    },
    /// `LstsqL1(l1=1e-4, l2=1e-6, max_iter=1000)`: scikit-learn's `ElasticNet` (coordinate
    /// descent, no intercept) with `alpha = l1·max(A) + l2·max(A)²`.
    LstsqL1 {
        /// L1 regularisation.
        l1: f64,
        /// L2 regularisation.
        l2: f64,
        /// Most coordinate-descent sweeps.
        max_iter: usize,
    },
    /// `LstsqDrop(drop=0.25, solver1=LstsqL2(reg=0.001), solver2=LstsqL2(reg=0.1))`: solve, zero
    /// the `drop` fraction of smallest coefficients, re-solve each column on the rest.
    LstsqDrop {
        /// Fraction of coefficients set to zero (0 ≤ drop < 1).
        drop: f64,
        /// First solve.
        solver1: Box<SolverKind>,
        /// Re-solve of the kept coefficients of each column.
        solver2: Box<SolverKind>,
    },
    /// `Nnls()`: non-negative least squares (scipy's Lawson–Hanson `nnls`), one column at a time.
    Nnls,
    /// `NnlsL2(reg=0.1)`: `nnls(AᵀA + m σ² I, Aᵀ max(Y, 0))` with `σ = reg × max(A)`.
    NnlsL2 {
        /// Regularisation as a fraction of the largest activity.
        reg: f64,
    },
    /// `NnlsL2nz(reg=0.1)`: as `NnlsL2` with `LstsqL2nz`'s per-neuron `σ` (and `σ = 1` for a
    /// neuron that is never active).
    NnlsL2nz {
        /// Regularisation as a fraction of the largest activity.
        reg: f64,
    },
    /// `NoSolver(values=None)`: the given decoders (n_neurons × the connection's function size),
    /// or zeros; nothing is solved.
    NoSolver {
        /// The decoders, or `None` for zeros.
        values: Option<Array2<f64>>,
    },
}

impl SolverKind {
    /// Nengo's `compositional`: whether a `weights` solve is the decoder solve followed by the
    /// transform and the post encoders (true for Lstsq, LstsqNoise, LstsqMultNoise, LstsqL2,
    /// LstsqL2nz, NoSolver), or a solve for the weight matrix itself (LstsqL1, LstsqDrop and the
    /// three Nnls).
    pub fn compositional(&self) -> bool {
        !matches!(
            self,
            SolverKind::LstsqL1 { .. }
                | SolverKind::LstsqDrop { .. }
                | SolverKind::Nnls
                | SolverKind::NnlsL2 { .. }
                | SolverKind::NnlsL2nz { .. }
        )
    }

    /// Nengo's class name (`"LstsqL2"`).
    pub fn name(&self) -> &'static str {
        match self {
            SolverKind::Lstsq { .. } => "Lstsq",
            SolverKind::LstsqNoise { .. } => "LstsqNoise",
            SolverKind::LstsqMultNoise { .. } => "LstsqMultNoise",
            SolverKind::LstsqL2 { .. } => "LstsqL2",
            SolverKind::LstsqL2nz { .. } => "LstsqL2nz",
            SolverKind::LstsqL1 { .. } => "LstsqL1",
            SolverKind::LstsqDrop { .. } => "LstsqDrop",
            SolverKind::Nnls => "Nnls",
            SolverKind::NnlsL2 { .. } => "NnlsL2",
            SolverKind::NnlsL2nz { .. } => "NnlsL2nz",
            SolverKind::NoSolver { .. } => "NoSolver",
        }
    }

    /// Whether the solve draws random numbers (LstsqNoise, LstsqMultNoise, or a LstsqDrop using
    /// one of them).
    pub fn uses_rng(&self) -> bool {
        match self {
            SolverKind::LstsqNoise { .. } | SolverKind::LstsqMultNoise { .. } => true,
            SolverKind::LstsqDrop {
                solver1, solver2, ..
            } => solver1.uses_rng() || solver2.uses_rng(),
            _ => false,
        }
    }

    /// The first parameter out of Nengo's range, as a message (`reg` < 0, `noise` < 0, `rcond`
    /// < 0, `l1`/`l2` < 0 or both 0, `drop` outside [0, 1), non-finite values).
    pub fn invalid(&self) -> Option<String> {
        let nonneg = |name: &str, v: f64| {
            (!(v >= 0.0 && v.is_finite()))
                .then(|| format!("{}: `{name}` must be ≥ 0 and finite, got {v}", self.name()))
        };
        match self {
            SolverKind::Lstsq { rcond } => nonneg("rcond", *rcond),
            SolverKind::LstsqNoise { noise } | SolverKind::LstsqMultNoise { noise } => {
                nonneg("noise", *noise)
            }
            SolverKind::LstsqL2 { reg }
            | SolverKind::LstsqL2nz { reg }
            | SolverKind::NnlsL2 { reg }
            | SolverKind::NnlsL2nz { reg } => nonneg("reg", *reg),
            SolverKind::LstsqL1 { l1, l2, .. } => {
                nonneg("l1", *l1).or_else(|| nonneg("l2", *l2)).or_else(|| {
                    (*l1 == 0.0 && *l2 == 0.0).then(|| {
                        "LstsqL1: `l1` and `l2` are both 0 (scikit-learn's alpha would be 0)"
                            .to_string()
                    })
                })
            }
            SolverKind::LstsqDrop {
                drop,
                solver1,
                solver2,
            } => (!(*drop >= 0.0 && *drop < 1.0))
                .then(|| format!("LstsqDrop: `drop` must be in [0, 1), got {drop}"))
                .or_else(|| solver1.invalid())
                .or_else(|| solver2.invalid()),
            SolverKind::Nnls | SolverKind::NoSolver { .. } => None,
        }
    }
}

macro_rules! solver_struct {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty = $default:expr),* }
     => |$s:ident| $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
            /// Solve for a full weight matrix into the post neurons (default false).
            pub weights: bool,
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $($field: $default,)* weights: false }
            }
        }

        impl From<$name> for Solver {
            fn from($s: $name) -> Solver {
                Solver { weights: $s.weights, kind: $kind }
            }
        }
    };
}

solver_struct! {
    /// Nengo's `Lstsq(weights=False, rcond=0.01)`.
    Lstsq {
        /// Cut-off ratio for small singular values.
        rcond: f64 = 0.01
    } => |s| SolverKind::Lstsq { rcond: s.rcond }
}

solver_struct! {
    /// Nengo's `LstsqNoise(weights=False, noise=0.1)`.
    LstsqNoise {
        /// Noise s.d. as a fraction of the largest activity.
        noise: f64 = 0.1
    } => |s| SolverKind::LstsqNoise { noise: s.noise }
}

solver_struct! {
    /// Nengo's `LstsqMultNoise(weights=False, noise=0.1)`.
    LstsqMultNoise {
        /// Relative noise s.d.
        noise: f64 = 0.1
    } => |s| SolverKind::LstsqMultNoise { noise: s.noise }
}

solver_struct! {
    /// Nengo's `LstsqL2nz(weights=False, reg=0.1)`.
    LstsqL2nz {
        /// Regularisation as a fraction of the largest activity.
        reg: f64 = 0.1
    } => |s| SolverKind::LstsqL2nz { reg: s.reg }
}

solver_struct! {
    /// Nengo's `LstsqL1(weights=False, l1=1e-4, l2=1e-6, max_iter=1000)` (an elastic net).
    LstsqL1 {
        /// L1 regularisation.
        l1: f64 = 1e-4,
        /// L2 regularisation.
        l2: f64 = 1e-6,
        /// Most coordinate-descent sweeps.
        max_iter: usize = 1000
    } => |s| SolverKind::LstsqL1 { l1: s.l1, l2: s.l2, max_iter: s.max_iter }
}

solver_struct! {
    /// Nengo's `LstsqDrop(weights=False, drop=0.25, solver1=LstsqL2(reg=0.001),
    /// solver2=LstsqL2(reg=0.1))`. The sub-solvers' own `weights` flags are not used.
    LstsqDrop {
        /// Fraction of coefficients set to zero.
        drop: f64 = 0.25,
        /// First solve.
        solver1: Box<Solver> = Box::new(LstsqL2 { reg: 0.001, weights: false }.into()),
        /// Re-solve of the kept coefficients.
        solver2: Box<Solver> = Box::new(LstsqL2::default().into())
    } => |s| SolverKind::LstsqDrop {
        drop: s.drop,
        solver1: Box::new(s.solver1.kind),
        solver2: Box::new(s.solver2.kind),
    }
}

solver_struct! {
    /// Nengo's `Nnls(weights=False)`.
    Nnls {} => |s| SolverKind::Nnls
}

solver_struct! {
    /// Nengo's `NnlsL2(weights=False, reg=0.1)`.
    NnlsL2 {
        /// Regularisation as a fraction of the largest activity.
        reg: f64 = 0.1
    } => |s| SolverKind::NnlsL2 { reg: s.reg }
}

solver_struct! {
    /// Nengo's `NnlsL2nz(weights=False, reg=0.1)`.
    NnlsL2nz {
        /// Regularisation as a fraction of the largest activity.
        reg: f64 = 0.1
    } => |s| SolverKind::NnlsL2nz { reg: s.reg }
}

solver_struct! {
    /// Nengo's `NoSolver(values=None, weights=False)`: the decoders given (n_neurons × the
    /// connection's function size), or zeros.
    NoSolver {
        /// The decoders, or `None` for zeros.
        values: Option<Array2<f64>> = None
    } => |s| SolverKind::NoSolver { values: s.values }
}

/// Nengo's `LstsqL2(weights=False, reg=0.1)`, the default solver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LstsqL2 {
    /// Regularisation relative to the largest rate (default 0.1).
    pub reg: f64,
    /// Solve for a full weight matrix into the post neurons (default false).
    pub weights: bool,
}

impl Default for LstsqL2 {
    fn default() -> Self {
        LstsqL2 {
            reg: 0.1,
            weights: false,
        }
    }
}

impl From<LstsqL2> for Solver {
    fn from(s: LstsqL2) -> Solver {
        Solver {
            kind: SolverKind::LstsqL2 { reg: s.reg },
            weights: s.weights,
        }
    }
}

impl Solver {
    /// This solver with `weights` set.
    pub fn with_weights(mut self, weights: bool) -> Self {
        self.weights = weights;
        self
    }

    /// The regularisation of an `LstsqL2` solver (`None` for the other kinds).
    pub fn l2_reg(&self) -> Option<f64> {
        match self.kind {
            SolverKind::LstsqL2 { reg } => Some(reg),
            _ => None,
        }
    }
}
