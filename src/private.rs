//! What `network!` expansions call, by absolute path (`::netdsl::__private::…`): the runtime's
//! modules under the names emit uses, and the adapters that type node and function outputs as
//! `[f64; N]` so rustc checks them against the declared sizes. Not a public API.

pub use std::any::Any;
pub use std::borrow::Cow;

// The runtime modules generated code names (one line each, so a move in netdsl-core is one
// edit here).
pub use netdsl_core::error;
pub use netdsl_core::models::learning;
pub use netdsl_core::models::neurons;
pub use netdsl_core::models::synapses;
pub use netdsl_core::nef::dists;
pub use netdsl_core::network;
pub use netdsl_core::plan;
pub use netdsl_core::sim;

use netdsl_core::network::{TimeFn, TimeInputFn, VecFn};

/// A constant node output of exactly `M` values.
pub fn constant<const M: usize>(v: [f64; M]) -> Vec<f64> {
    v.to_vec()
}

/// `|t| [..; M]`.
pub fn time<F, const M: usize>(mut f: F) -> TimeFn
where
    F: FnMut(f64) -> [f64; M] + Send + 'static,
{
    Box::new(move |t: f64, out: &mut [f64]| out.copy_from_slice(&f(t)))
}

/// `|t, x| [..; M]`.
pub fn time_input<F, const M: usize>(mut f: F) -> TimeInputFn
where
    F: FnMut(f64, &[f64]) -> [f64; M] + Send + 'static,
{
    Box::new(move |t: f64, x: &[f64], out: &mut [f64]| out.copy_from_slice(&f(t, x)))
}

/// A connection function `[f64; I] -> [f64; O]`.
pub fn func<F, const I: usize, const O: usize>(f: F) -> VecFn
where
    F: Fn([f64; I]) -> [f64; O] + Send + Sync + 'static,
{
    Box::new(move |x: &[f64], out: &mut [f64]| {
        let mut a = [0.0f64; I];
        a.copy_from_slice(x);
        out.copy_from_slice(&f(a))
    })
}

/// `|t| ..` where the output size is not a const argument (checked at run time).
pub fn time_any<F, R>(mut f: F) -> TimeFn
where
    F: FnMut(f64) -> R + Send + 'static,
    R: AsRef<[f64]>,
{
    Box::new(move |t: f64, out: &mut [f64]| out.copy_from_slice(f(t).as_ref()))
}

/// `|t, x| ..` where the output size is not a const argument.
pub fn time_input_any<F, R>(mut f: F) -> TimeInputFn
where
    F: FnMut(f64, &[f64]) -> R + Send + 'static,
    R: AsRef<[f64]>,
{
    Box::new(move |t: f64, x: &[f64], out: &mut [f64]| out.copy_from_slice(f(t, x).as_ref()))
}

/// A connection function where the sizes are not const arguments.
pub fn func_any<F, R>(f: F) -> VecFn
where
    F: Fn(&[f64]) -> R + Send + Sync + 'static,
    R: AsRef<[f64]>,
{
    Box::new(move |x: &[f64], out: &mut [f64]| out.copy_from_slice(f(x).as_ref()))
}

/// A stage `state.method`: `fn(&mut self, t, x, out)` or `fn(&mut self, t, x) -> [f64; N]`.
pub trait Stage<S, M, const N: usize> {
    /// Run the stage into `out`.
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]);
}

/// Marks a stage that writes into an `out` parameter.
pub struct OutParam;

/// Marks a stage that returns `[f64; N]`.
pub struct Returns;

impl<S, F: Fn(&mut S, f64, &[f64], &mut [f64]), const N: usize> Stage<S, OutParam, N> for F {
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]) {
        self(s, t, x, out)
    }
}

impl<S, F: Fn(&mut S, f64, &[f64]) -> [f64; N], const N: usize> Stage<S, Returns, N> for F {
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self(s, t, x))
    }
}

/// A stage whose output size is not a const argument.
pub trait StageAny<S, M> {
    /// Run the stage into `out`.
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]);
}

/// Marks a stage that returns any slice-like value.
pub struct ReturnsAny<R>(core::marker::PhantomData<R>);

impl<S, F: Fn(&mut S, f64, &[f64], &mut [f64])> StageAny<S, OutParam> for F {
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]) {
        self(s, t, x, out)
    }
}

impl<S, R: AsRef<[f64]>, F: Fn(&mut S, f64, &[f64]) -> R> StageAny<S, ReturnsAny<R>> for F {
    fn call(&self, s: &mut S, t: f64, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(self(s, t, x).as_ref())
    }
}
