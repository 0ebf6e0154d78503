//! What `network!` expansions call, by absolute path (`::netdsl::__private::…`): the runtime's
//! modules under the names emit uses, and the adapters that type node and function outputs as
//! `[f64; N]` so rustc checks them against the declared sizes. Not a public API.

pub use std::any::Any;
pub use std::borrow::Cow;

// The runtime modules generated code names (one line each, so a move in netdsl-core is one
// edit here).
pub use netdsl_core::error;
pub use netdsl_core::io::checkpoint;
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

// ------------------------------------------------------------------------------------------
// Subnetworks: what an outer `network!` knows of an inner network type, as consts rustc
// evaluates (the macro cannot see another invocation's items), and the runtime embedding.
// ------------------------------------------------------------------------------------------

use netdsl_core::network::{Endpoint, ItemSpec, Network, NodeOutput, ProbeOf};

/// Where an item of a network type sits (its index in that type's `Network`) and its sizes. An
/// array of items (`ensemble e[N]: ..`) is one shape with `array` set; [`ItemShape::at`] picks
/// an element (or, for a single item, a one-value slice of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemShape {
    /// Item index (of the first element, for an array).
    pub index: usize,
    /// Number of elements of an array (1 for a single item).
    pub len: usize,
    /// Declared as an array.
    pub array: bool,
    /// An ensemble (has neurons) rather than a node.
    pub ensemble: bool,
    /// Neurons (0 for nodes).
    pub n: usize,
    /// Input size (an ensemble's dimensions).
    pub size_in: usize,
    /// Output size (an ensemble's dimensions).
    pub size_out: usize,
    /// A one-value view `x[lo]` of a single item.
    pub sliced: bool,
    /// Start of the view.
    pub lo: usize,
}

impl ItemShape {
    /// An ensemble at `index`.
    pub const fn ensemble(index: usize, n: usize, d: usize) -> Self {
        ItemShape {
            index,
            len: 1,
            array: false,
            ensemble: true,
            n,
            size_in: d,
            size_out: d,
            sliced: false,
            lo: 0,
        }
    }

    /// A node at `index`.
    pub const fn node(index: usize, size_in: usize, size_out: usize) -> Self {
        ItemShape {
            index,
            len: 1,
            array: false,
            ensemble: false,
            n: 0,
            size_in,
            size_out,
            sliced: false,
            lo: 0,
        }
    }

    /// The same item as an array of `len` elements.
    pub const fn array(self, len: usize) -> Self {
        ItemShape {
            len,
            array: true,
            ..self
        }
    }

    /// `x[k]`: element `k` of an array, or the one-value view `x[k]` of a single item.
    pub const fn at(self, k: usize) -> Self {
        if self.array {
            ItemShape {
                index: self.index + k,
                len: 1,
                array: false,
                ..self
            }
        } else {
            ItemShape {
                size_in: 1,
                size_out: 1,
                sliced: true,
                lo: self.lo + k,
                ..self
            }
        }
    }

    /// Whether `x[k]` exists: an element of an array, or a value of the item's input (`post`)
    /// or output.
    pub const fn at_ok(self, k: usize, post: bool) -> bool {
        if self.array {
            k < self.len
        } else if post {
            k < self.size_in
        } else {
            k < self.size_out
        }
    }

    /// Whether `x.neurons` exists.
    pub const fn has_neurons(self) -> bool {
        self.ensemble && !self.array && !self.sliced
    }

    /// The same item `by` items further on (an instance's items inside an outer network).
    pub const fn shifted(self, by: usize) -> Self {
        ItemShape {
            index: self.index + by,
            ..self
        }
    }

    /// The slice a connection end takes: the view's, then `extra` within it.
    pub fn slice(self, extra: Option<core::ops::Range<usize>>) -> Option<core::ops::Range<usize>> {
        match (self.sliced, extra) {
            (false, e) => e,
            (true, None) => Some(self.lo..self.lo + 1),
            (true, Some(r)) => Some(self.lo + r.start..self.lo + r.end),
        }
    }
}

/// A named connection of a network type: its index and the size of its error (`.learning`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnShape {
    /// Connection index.
    pub index: usize,
    /// Size of its error input (its target's size).
    pub error_size: usize,
}

impl ConnShape {
    /// The same connection `by` connections further on.
    pub const fn shifted(self, by: usize) -> Self {
        ConnShape {
            index: self.index + by,
            ..self
        }
    }
}

/// A subnetwork instance (or an array of `len` of them) inside a network type: where its
/// items, connections and probes start, and the inner type's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inst<S> {
    /// First item.
    pub items: usize,
    /// First connection.
    pub conns: usize,
    /// Items of one instance.
    pub items_each: usize,
    /// Connections of one instance.
    pub conns_each: usize,
    /// Number of instances.
    pub len: usize,
    /// Declared as an array.
    pub array: bool,
    /// The inner type's shape.
    pub shape: S,
}

impl<S> Inst<S> {
    /// First item of instance `k`.
    pub const fn item_base(&self, k: usize) -> usize {
        self.items + k * self.items_each
    }

    /// First connection of instance `k`.
    pub const fn conn_base(&self, k: usize) -> usize {
        self.conns + k * self.conns_each
    }
}

/// Every `network!` type: its size in items, connections and probes, and where each named part
/// sits ([`Subnet::SHAPE`], a struct with one field per item, named connection and instance).
pub trait Subnet {
    /// One field per item ([`ItemShape`]), named connection ([`ConnShape`]) and instance
    /// ([`Inst`]).
    type Shape: Copy + 'static;
    /// Where everything sits.
    const SHAPE: Self::Shape;
    /// Items of the network, instances included.
    const ITEMS: usize;
    /// Connections, instances included.
    const CONNS: usize;
    /// Probes, instances included.
    const PROBES: usize;
}

/// Put `inner` into `net` as instance `prefix`: its items, connections, probes and states are
/// appended with qualified names (`arr.ens`), their indices moved past what `net` has. The
/// macro computed where they go (`items_at`, ...) from the types' consts; they must agree.
pub fn embed(
    net: &mut Network,
    prefix: &str,
    inner: Network,
    items_at: usize,
    conns_at: usize,
    probes_at: usize,
) {
    let (di, dc, dp, ds) = (
        net.items.len(),
        net.conns.len(),
        net.probes.len(),
        net.states.len(),
    );
    assert!(
        (di, dc, dp) == (items_at, conns_at, probes_at),
        "netdsl: instance `{prefix}` is embedded at ({di}, {dc}, {dp}), the macro computed \
         ({items_at}, {conns_at}, {probes_at}); please report this network"
    );
    let q = |name: &str| format!("{prefix}.{name}");
    for (name, mut spec) in inner.items {
        if let ItemSpec::Node {
            output: NodeOutput::Stage { state, .. },
            ..
        } = &mut spec
        {
            *state += ds;
        }
        net.items.push((q(&name), spec));
    }
    let end = |e: Endpoint| match e {
        Endpoint::Value(i) => Endpoint::Value(i + di),
        Endpoint::Neurons(i) => Endpoint::Neurons(i + di),
        Endpoint::Learning(c) => Endpoint::Learning(c + dc),
    };
    for mut c in inner.conns {
        c.pre = end(c.pre);
        c.post = end(c.post);
        c.label = c.label.map(|l| match l.split_once(" -> ") {
            Some((a, b)) => format!("{} -> {}", q(a), q(b)),
            None => q(&l),
        });
        net.conns.push(c);
    }
    for (name, mut p) in inner.probes {
        p.target = match p.target {
            ProbeOf::Item(i) => ProbeOf::Item(i + di),
            ProbeOf::Conn(c) => ProbeOf::Conn(c + dc),
        };
        net.probes.push((q(&name), p));
    }
    for (name, s) in inner.states {
        net.states.push((q(&name), s));
    }
}

/// The label of one iteration's connection of a `for` loop: the loop variable's name, as a
/// whole word, replaced by its value (`input[i] -> ens[i]` → `input[2] -> ens[2]`).
pub fn loop_label(label: &str, var: &str, value: usize) -> String {
    let mut out = String::with_capacity(label.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word == var {
            out.push_str(&value.to_string());
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in label.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

// ------------------------------------------------------------------------------------------
// Computed transforms: a Rust value whose type fixes its shape, checked by rustc against the
// connection's sizes (`I` in, `O` out); runtime-shaped values are checked at build.
// ------------------------------------------------------------------------------------------

use netdsl_core::ndarray::Array2;
use netdsl_core::network::Transform;

/// Marks a scalar transform.
pub struct ScalarShape;
/// Marks a vector (diagonal) transform.
pub struct DiagonalShape;
/// Marks a matrix transform.
pub struct MatrixShape;
/// Marks a value whose shape is known at run time only.
pub struct RuntimeShape;

/// A transform value for a connection taking `I` values and giving `O`.
#[diagnostic::on_unimplemented(
    message = "this transform does not fit the connection: it takes {I} values and gives {O}",
    label = "`{Self}` is not a transform from {I} to {O} values",
    note = "a transform is a scalar `f64`, a vector `[f64; n]` (only where it gives as many values as it takes), a matrix `[[f64; {I}]; {O}]` (rows out, columns in; e.g. `[[-2.5; {I}]; {O}]`), `fill(x)`, or an `ndarray::Array2<f64>` / `Vec<f64>` checked when the network is built"
)]
pub trait TransformOf<const I: usize, const O: usize, K> {
    /// The runtime transform.
    fn build(self) -> Transform;
}

impl<const I: usize, const O: usize> TransformOf<I, O, ScalarShape> for f64 {
    fn build(self) -> Transform {
        Transform::Scalar(self)
    }
}

impl<const N: usize> TransformOf<N, N, DiagonalShape> for [f64; N] {
    fn build(self) -> Transform {
        Transform::Diagonal(self.to_vec())
    }
}

impl<const I: usize, const O: usize> TransformOf<I, O, MatrixShape> for [[f64; I]; O] {
    fn build(self) -> Transform {
        Transform::Matrix(Array2::from(self.to_vec()))
    }
}

impl<T: TransformAny, const I: usize, const O: usize> TransformOf<I, O, RuntimeShape> for T {
    fn build(self) -> Transform {
        self.build_any(I, O)
    }
}

/// `transform = expr` where rustc can check the shape.
pub fn transform<const I: usize, const O: usize, K, T: TransformOf<I, O, K>>(t: T) -> Transform {
    t.build()
}

/// A transform value whose shape is checked when the network is built (the runtime's check
/// names the connection), or one that adapts to the sizes (`fill`).
pub trait TransformAny {
    /// The runtime transform for a connection taking `i` values and giving `o`.
    fn build_any(self, i: usize, o: usize) -> Transform;
}

impl TransformAny for Array2<f64> {
    fn build_any(self, _i: usize, _o: usize) -> Transform {
        Transform::Matrix(self)
    }
}

impl TransformAny for &Array2<f64> {
    fn build_any(self, _i: usize, _o: usize) -> Transform {
        Transform::Matrix(self.clone())
    }
}

impl TransformAny for Vec<f64> {
    fn build_any(self, _i: usize, _o: usize) -> Transform {
        Transform::Diagonal(self)
    }
}

impl TransformAny for crate::Fill {
    fn build_any(self, i: usize, o: usize) -> Transform {
        Transform::Matrix(Array2::from_elem((o, i), self.0))
    }
}

impl TransformAny for crate::Eye {
    fn build_any(self, i: usize, o: usize) -> Transform {
        let mut m = Array2::zeros((o, i));
        for k in 0..o.min(i) {
            m[[k, k]] = self.0;
        }
        Transform::Matrix(m)
    }
}
