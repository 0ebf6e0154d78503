//! # netdsl: spiking networks the compiler checks
//!
//! Write a network the way a Nengo user thinks — ensembles, nodes, connections with synapses,
//! decoders and learning rules — in a `network! { … }` block. The macro checks every size and
//! slice at compile time (errors land on your tokens), computes a static, dependency-sorted step
//! plan, and expands to a type that builds and runs it with Nengo 4.1's numbers.
//!
//! ## A first network
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     /// A communication channel: a sine through two ensembles.
//!     pub Channel {
//!         node stim: 0 -> 1 = |t| [(2.0 * std::f64::consts::PI * t).sin()];
//!         ensemble a: 50 neurons, 1 dims;
//!         ensemble b: 50 neurons, 1 dims;
//!         stim -> a;
//!         a -> b, function = |x| [x[0] * x[0]];
//!         probe out: b, synapse = 0.01;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sim = Channel::new().build(0.001)?;   // dt = 1 ms; NEF decoders solved here
//! sim.run(0.5)?;                                // 500 steps; t = 0.001 … 0.5
//! let out = sim.data("out");                    // ndarray view: samples × dims
//! assert_eq!(out.dim(), (500, 1));
//! assert_eq!(sim.trange().len(), 500);
//!
//! // Random parameters (encoders, rates, intercepts, ...) come from the network seed:
//! let a = Channel::new().build_seeded(0.001, 7)?.ensemble("a").unwrap().gain.clone();
//! let b = Channel::new().build_seeded(0.001, 7)?.ensemble("a").unwrap().gain.clone();
//! let c = Channel::new().build_seeded(0.001, 8)?.ensemble("a").unwrap().gain.clone();
//! assert_eq!(a, b);
//! assert_ne!(a, c);
//! # Ok(()) }
//! ```
//!
//! ## Items
//!
//! - **Ensembles**: `ensemble a: 100 neurons, 2 dims, neuron = LIF { tau_rc: 0.02, tau_ref:
//!   0.002 }, max_rates = Uniform(200, 400), intercepts = Uniform(-1, 0.9), radius = 1.0,
//!   encoders = ScatteredHypersphere { surface: true }, gain = [..], bias = [..],
//!   n_eval_points = 750, initial_voltage = Uniform(0, 1), seed = 3;` — every parameter
//!   optional, with Nengo 4.1's defaults. Neuron types: `LIF`, `LIFRate`, `RectifiedLinear`,
//!   `SpikingRectifiedLinear`, `Direct`, `AdaptiveLIF { tau_n, inc_n, .. }`, `AdaptiveLIFRate`,
//!   `Izhikevich { tau_recovery, coupling, reset_voltage, reset_recovery }` and its presets
//!   `Izhikevich::regular_spiking()`, `::intrinsically_bursting()`, `::chattering()`,
//!   `::fast_spiking()`, `::low_threshold_spiking()`, `::resonator()`, `Sigmoid { tau_ref }`,
//!   `Tanh { tau_ref }`, and around a base rate type `RegularSpiking(LIFRate)`,
//!   `StochasticSpiking(Tanh)`, `PoissonSpiking(base, amplitude)` (or `{ base: .., amplitude:
//!   .. }`). Initial state: `initial_voltage`, `initial_refractory_time`, `initial_adaptation`,
//!   `initial_recovery` (Nengo's `initial_state`); probes `x.neurons.adaptation`,
//!   `.recovery`, `.rate_out`. StochasticSpiking and PoissonSpiking draw from netdsl's own
//!   generator: Nengo's statistics, not NumPy's exact spikes.
//! - **Nodes**: `node c: 0 -> 2 = [0.5, 1.0];` (constant), `node f: 0 -> 1 = |t| [..];`,
//!   `node g: 2 -> 1 = |t, x| [..];` (closures return arrays whose size rustc checks against the
//!   declaration), `node relay: 3;` (passthrough), `node n: 0 -> 1 = process WhiteSignal::new(..);`,
//!   and **stages**: `node f: n -> m = state.method;` where `state` is a constructor argument and
//!   `method(&mut self, t: f64, x: &[f64], out: &mut [f64])`. Several stages may share one state
//!   value; the plan fixes their order.
//! - **Sizes** are integer literals, block `const`s, `+ - *`, `x.n` (neurons), `x.d`
//!   (dimensions, a node's output size), `x.size_in`, `x.size_out`, outside consts
//!   (`crate::N`) and const generics (`pub Net<const D: usize> { … }`).
//!
//! ## Connections
//!
//! `pre -> post` with slices on either side (`a[1]`, `a[..n]`, `a[2..]`, `a[i..j]`), `.neurons`
//! ends, and options: `function = |x| [..]`, `transform = 2.0 | [1.0, -1.0] | [[..], [..]]`,
//! `synapse = None | 0 | 0.01 | Lowpass(τ) | Alpha(τ) | LinearFilter([num], [den])` (default
//! `Lowpass(0.005)`; `None` is no filter and no delay, `0` a pure one-step delay),
//! `solver = LstsqL2 { reg: 0.1, weights: false }` (or any of Nengo's solvers with its parameter
//! names: `Lstsq { rcond }`, `LstsqNoise { noise }`, `LstsqMultNoise { noise }`,
//! `LstsqL2nz { reg }`, `LstsqL1 { l1, l2, max_iter }`, `LstsqDrop { drop, solver1, solver2 }`,
//! `Nnls`, `NnlsL2 { reg }`, `NnlsL2nz { reg }`, `NoSolver { values }`, each with `weights`),
//! `storage = f32` (see *Speed*). Connections into `.neurons` are scaled by the post gains, as
//! in Nengo. A decoded probe takes a solver too: `probe p: a, solver = LstsqL2 { reg: 0.05 };`.
//!
//! A named connection can learn; its error goes into `name.learning`:
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     pub LearnSquare {
//!         node stim: 0 -> 1 = |t| [(6.0 * t).sin()];
//!         ensemble pre: 60 neurons, 1 dims;
//!         ensemble post: 60 neurons, 1 dims;
//!         ensemble error: 60 neurons, 1 dims;
//!         stim -> pre;
//!         conn learn: pre -> post, function = |_x| [0.0], learning = PES { learning_rate: 1e-4 };
//!         post -> error;
//!         pre -> error, function = |x| [x[0] * x[0]], transform = -1.0;
//!         error -> learn.learning;
//!         probe post_value: post, synapse = 0.01;
//!         probe weights: learn.weights, sample_every = 0.1;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sim = LearnSquare::new().build(0.001)?;
//! sim.run(0.3)?;
//! assert_eq!(sim.data_dyn("weights").unwrap().shape(), &[3, 1, 60]);
//! # Ok(()) }
//! ```
//!
//! **Memristive synapses**: `conn m: pre.neurons -> post.neurons, learning = mPES { gain: 1e4 };`
//! makes the weights `γ (g⁺ − g⁻)` of differential Nb:SrTiO3 device pairs, stepped as a *filter*
//! op (weights × pre spikes) and a *pulse* op (mPES device updates) of the plan; probe
//! `m.weights`, `m.error`. See [`core::models::memristor`] for the device models.
//!
//! ## Probes
//!
//! `probe p: a;` (decoded value), `a.neurons` (spikes), `a.neurons.voltage`, `a.neurons.input`,
//! `node`, `conn.weights`, `conn.error`; options `synapse = 0.01` (adds one step of delay, as in
//! Nengo) and `sample_every = 0.005`. Read them with [`core::sim::Simulator::data`] (samples ×
//! values), [`core::sim::Simulator::data_dyn`] (full shape) and
//! [`core::sim::Simulator::probe_times`]; write them with
//! [`core::sim::Simulator::save_probes`] (`.npy` + CSV), plot them with
//! [`core::sim::Simulator::plot`] (SVG), draw the network with
//! [`core::sim::Simulator::to_dot`] (Graphviz).
//!
//! ## Subnetworks, arrays, loops
//!
//! A network type can be instantiated inside another with `net name: Type<sizes>(args);` —
//! a type of the same block, another module or another crate (such as [`networks`]) — and
//! every item of the instance is reachable as `name.item`, to any depth, with `.neurons`,
//! slices and probes, as Nengo lets you connect to anything inside a subnetwork. Sizes across
//! the boundary are checked at compile time on your tokens (by rustc, against consts each
//! network type exports), a misspelt inner item is rustc's "no field" error with its
//! suggestion, and items, probes and state values of instances get qualified names
//! (`arr.ens[1]`, `sim.data("chain.out")`).
//!
//! Arrays of ensembles, nodes and instances (`ensemble e[N]: ..`, `net s[N]: T`) and
//! `for i in a..b { connections }` repeat statements; counts and ranges may be literals,
//! block consts or const generics, indices are checked against the array (at both ends of a
//! loop's range). Constructor arguments (`pub Net(tau: f64)`) go wherever a literal value goes
//! (synapses, rates, radius, seeds, transforms, solver settings, learning rates) and are
//! passed down into instances, state values included:
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     /// `N` ensembles between an input and an output node.
//!     pub Array<const N: usize>(radius: f64) {
//!         node input: N;
//!         ensemble ens[N]: 30 neurons, 1 dims, radius = radius;
//!         node output: N;
//!         for i in 0..N {
//!             input[i] -> ens[i], synapse = None;
//!             ens[i] -> output[i], synapse = None;
//!         }
//!     }
//!
//!     pub Model(tau: f64) {
//!         node stim: 0 -> 2 = |t| [t.sin(), t.cos()];
//!         net arr: Array<2>(1.5);
//!         net pair[2]: Array<1>(1.0);
//!         ensemble sum: 40 neurons, 1 dims;
//!         stim -> arr.input;
//!         arr.output[0] -> pair[0].input, synapse = tau;
//!         arr.output[1] -> pair[1].input, synapse = tau;
//!         pair[0].output -> sum;
//!         pair[1].ens[0] -> sum, transform = -1.0;
//!         probe out: sum, synapse = 0.01;
//!         probe spikes: arr.ens[1].neurons;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sim = Model::new(0.01).build(0.001)?;
//! sim.run(0.05)?;
//! assert_eq!(sim.data("spikes").dim(), (50, 30));
//! assert!(sim.probe_names().contains(&"out"));
//! assert!(sim.plan().to_string().contains("pair[1].ens[0]"));
//! # Ok(()) }
//! ```
//!
//! Misspell an inner item (`arr.inptu`) and rustc answers "no field `inptu` on type
//! `__ArrayItems<2>`, help: a field with a similar name exists: `input`"; connect
//! `stim -> pair[0].input` with a 2-value `stim` and the error reads
//! ``size mismatch in `stim -> pair[0].input`: `stim` has size_out 2 but `pair[0].input` takes
//! `pair[0].input.size_in` ``, on `stim`.
//!
//! **Computed transforms**: any Rust expression whose type gives the shape — `[[f64; IN];
//! OUT]`, a `[f64; N]` diagonal, an `f64` — is checked by rustc against the connection
//! (`transform = rotation(theta)`, `transform = [[-2.5; 50]; 30]`); an `ndarray::Array2<f64>`
//! or `Vec<f64>` is checked when the network is built (a `BuildError` naming the connection).
//! Nengo's broadcasts are one word: [`fill`]`(-2.5)` is `-2.5 * np.ones((post, pre))`,
//! [`eye`]`(2.0)` is `2.0 * np.eye(post, pre)`:
//!
//! ```
//! use netdsl::prelude::*;
//!
//! fn rotation(theta: f64) -> [[f64; 2]; 2] {
//!     [[theta.cos(), -theta.sin()], [theta.sin(), theta.cos()]]
//! }
//!
//! network! {
//!     pub Inhibit(theta: f64) {
//!         node stim: 0 -> 2 = |t| [t, 1.0];
//!         ensemble a: 30 neurons, 2 dims;
//!         ensemble gate: 20 neurons, 1 dims;
//!         stim -> a, transform = rotation(theta);
//!         gate.neurons -> a.neurons, transform = fill(-2.5);
//!         stim[0] -> a.neurons, transform = [[-2.5]; 30];
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! Inhibit::new(0.3).build(0.001)?.run(0.01)?;
//! # Ok(()) }
//! ```
//!
//! **Library**: [`networks`] has Nengo's `EnsembleArray` and `Product` and the notebooks'
//! `Integrator` and `Oscillator`, written in this language and structure-tested against Nengo.
//!
//! ## The plan
//!
//! Each network type has `PLAN`, `const` data computed by the macro with Nengo's dependency
//! rules; its `Display` is one line per op, meant to be read and snapshot-tested. (A network
//! with instances, arrays, loops or computed transforms has no `PLAN`: the macro cannot list
//! every op, so the runtime computes the same flat, sorted plan with the same rules when it is
//! built — read it with `sim.plan()`; its labels are qualified, `arr.ens[1]`, which says which
//! instance each op belongs to.)
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     pub Delay {
//!         node a: 0 -> 1 = 1.0;
//!         node b: 1 -> 1 = |_t, x| [x[0]];
//!         a -> b, synapse = 0;
//!         probe out: b;
//!     }
//! }
//!
//! let text = Delay::PLAN.to_string();
//! assert!(text.starts_with("plan Delay: "));
//! // The synapse is an update: it runs after the node that reads its output.
//! let node = text.find("node        b").unwrap();
//! let syn = text.find("synapse").unwrap();
//! assert!(node < syn);
//! ```
//!
//! ## Speed
//!
//! Build with `--release`. A step allocates nothing; the LIF update runs in AVX2 registers (its
//! `expm1`/`log1p` reproduce the C library's bit for bit, checked once per process against it,
//! so spikes stay those of Nengo). Networks with independent heavy work in a step — several big
//! ensembles, as in a chain, or the filter stages of two crossbar objects — can share it between
//! threads. User closures still run on the calling thread in plan order, the stage calls on one
//! object keep their order (calls on different objects may run side by side: see
//! `Simulator::set_threads`), and the numbers are the same bit for bit:
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     pub Chain {
//!         node stim: 0 -> 1 = |t| [(6.0 * t).sin()];
//!         ensemble a: 400 neurons, 1 dims;
//!         ensemble b: 400 neurons, 1 dims;
//!         ensemble c: 400 neurons, 1 dims;
//!         ensemble d: 400 neurons, 1 dims;
//!         stim -> a;
//!         a -> b;
//!         b -> c;
//!         c -> d;
//!         probe out: d, synapse = 0.01;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut one = Chain::new().build(0.001)?;
//! let mut two = Chain::new().build(0.001)?;
//! // Four 400-neuron updates per step are worth sharing (a network without such independent
//! // work stays on one thread: `set_threads` then returns 1).
//! assert_eq!(two.set_threads(2), 2);
//! one.run(0.05)?;
//! two.run(0.05)?;
//! assert_eq!(one.data("out"), two.data("out"));
//! # Ok(()) }
//! ```
//!
//! A big fixed weight matrix (`weights: true` between big populations, or a matrix between
//! neuron populations) can be kept in single precision with `storage = f32`: half the memory,
//! and half the bytes a step reads per spike. Each weight is rounded to `f32` once; the sums are
//! still `f64`, in the same order, so the result is the `f64` computation with the rounded
//! weights (not Nengo's numbers to the last bit any more). Learned or probed weights, and single
//! rows, stay `f64` (a compile error says so):
//!
//! ```
//! use netdsl::prelude::*;
//!
//! network! {
//!     pub Wide {
//!         node stim: 0 -> 1 = |t| [(6.0 * t).sin()];
//!         ensemble a: 500 neurons, 1 dims;
//!         ensemble b: 500 neurons, 1 dims;
//!         stim -> a;
//!         conn full: a -> b, solver = LstsqL2 { weights: true }, storage = f32;
//!         probe out: b, synapse = 0.01;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use netdsl::core::network::WeightStorage;
//! let mut sim = Wide::new().build(0.001)?;
//! let w = &sim.connection(1).expect("the `full` connection").weights;
//! assert_eq!(w.storage(), WeightStorage::F32);
//! assert_eq!(w.bytes(), 500 * 500 * 4);
//! sim.run(0.05)?;
//! # Ok(()) }
//! ```
//!
//! `cargo run --release --example bench` compares netdsl with Nengo 4.1 on the benchmark
//! networks (see the README).
//!
//! ## Errors
//!
//! Mistakes in the block are compile errors on your tokens, all at once — e.g.
//! ``slice `..post.n + 2` ends at 102 but `pulse_plus` has size_in 101``. At run time, a NaN or
//! infinity from a node, a filter or the neurons stops [`core::sim::Simulator::run`] with a
//! [`core::error::SimError`] naming the op and the step; the probes keep what they recorded.
#![warn(missing_docs)]

// Generated code names `::netdsl::…`; this lets the crate's own networks (`networks`) use it.
extern crate self as netdsl;

pub use netdsl_core as core;
pub use netdsl_core::ndarray;
pub use netdsl_core::plan::Plan;
pub use netdsl_macros::network;

pub mod networks;

/// A transform of every entry `x`, shaped by the connection: `transform = fill(-2.5)` is
/// Nengo's `-2.5 * np.ones((post, pre))` (e.g. `np.ones((30, 1))` into 30 values).
pub fn fill(x: f64) -> Fill {
    Fill(x)
}

/// See [`fill`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fill(pub f64);

/// `x` times the identity, shaped by the connection (`eye(1.0)` from 3 values into 5 fills
/// the first 3 of them): Nengo's `x * np.eye(post, pre)`.
pub fn eye(x: f64) -> Eye {
    Eye(x)
}

/// See [`eye`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Eye(pub f64);

/// Everything a network file needs: `use netdsl::prelude::*;`.
pub mod prelude {
    pub use crate::{eye, fill};
    pub use netdsl_core::models::learning::LearningRule;
    pub use netdsl_core::models::neurons::NeuronType;
    pub use netdsl_core::models::processes::{Piecewise, Process, Sines, WhiteSignal};
    pub use netdsl_core::models::synapses::Synapse;
    pub use netdsl_core::nef::dists::{Dist, VecDist};
    pub use netdsl_core::network::{
        Lstsq, LstsqDrop, LstsqL1, LstsqL2, LstsqL2nz, LstsqMultNoise, LstsqNoise, Network, Nnls,
        NnlsL2, NnlsL2nz, NoSolver, Solver, Transform,
    };
    pub use netdsl_core::plan::Plan;
    pub use netdsl_core::sim::{SimOptions, Simulator};
    pub use netdsl_macros::network;
}

/// Items the `network!` expansion names by absolute path. Not a public API.
#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
