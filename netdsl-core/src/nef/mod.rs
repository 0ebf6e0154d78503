//! The Neural Engineering Framework's numbers: distributions, evaluation points and encoders,
//! decoder solvers, the dense linear algebra behind them and the random number generator.
pub mod dists;
pub mod encoders;
pub mod eval_points;
pub mod linalg;
pub mod rng;
pub mod solvers;
