//! Nengo's networks, written in the `network!` language itself: instantiate them with
//! `net name: Type<sizes>(args);` and connect to any of their items (`arr.input`,
//! `arr.ens[2].neurons`, `prod.output`).
//!
//! Each has Nengo 4.1's items, connections, transforms and synapses (`tests/networks.rs`
//! compares their structure with Nengo's, from `tools/nengo_network_structure.py`); sizes are
//! const generics, everything else constructor arguments.
//!
//! | Nengo 4.1 | netdsl |
//! |---|---|
//! | `EnsembleArray(n_neurons, n_ensembles, radius=r)` | `EnsembleArray<N_ENSEMBLES, N_NEURONS>(r)` |
//! | `Product(n_neurons, dimensions, input_magnitude=m)` | `Product<DIMENSIONS, N_NEURONS / 2>(m)` (the neurons of each of its `2 × DIMENSIONS` ensembles) |
//! | `InputGatedMemory(n_neurons, dimensions, feedback, difference_gain, recurrent_synapse, difference_synapse)` | `InputGatedMemory<DIMENSIONS, N_NEURONS>(feedback, difference_gain, recurrent_synapse, difference_synapse)`; Nengo's `input` / `output` are `diff.input` / `mem.output` |
//! | `EnsembleArray(..)` then `add_neuron_input()` | `EnsembleArrayNeuronInput<N_ENSEMBLES, N_NEURONS>(r)` |
//! | the notebooks' `Integrator(tau, n_neurons, dimensions)` | `Integrator<DIMENSIONS, N_NEURONS>(tau)` |
//! | the notebooks' `Oscillator(tau, frequency, n_neurons)` | `Oscillator<N_NEURONS>(tau, frequency)` |
//!
//! ```
//! use netdsl::networks::{EnsembleArray, Product};
//! use netdsl::prelude::*;
//!
//! network! {
//!     pub Multiply {
//!         node a: 0 -> 2 = |t| [t.sin(), 0.5];
//!         node b: 0 -> 2 = |t| [t.cos(), -0.5];
//!         net arr: EnsembleArray<2, 50>(1.0);
//!         net prod: Product<2, 50>(1.0);
//!         a -> arr.input;
//!         arr.output -> prod.input_a;
//!         b -> prod.input_b;
//!         probe out: prod.output, synapse = 0.01;
//!         probe spikes: arr.ens[1].neurons;
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut sim = Multiply::new().build(0.001)?;
//! sim.run(0.1)?;
//! assert_eq!(sim.data("out").dim(), (100, 2));
//! assert_eq!(sim.data("spikes").dim(), (100, 50));
//! # Ok(()) }
//! ```

use crate::prelude::*;

network! {
    /// `N` one-dimensional ensembles of `NEURONS` neurons behind one `input` node and one
    /// `output` node of `N` values (`nengo.networks.EnsembleArray(NEURONS, N, radius=radius)`):
    /// `input[i] -> ens[i] -> output[i]`, unfiltered.
    pub EnsembleArray<const N: usize, const NEURONS: usize>(radius: f64) {
        node input: N;
        ensemble ens[N]: NEURONS neurons, 1 dims, radius = radius;
        node output: N;
        for i in 0..N {
            input[i] -> ens[i], synapse = None;
            ens[i] -> output[i], synapse = None;
        }
    }

    /// [`EnsembleArray`] after Nengo's `add_neuron_input()`: also a `neuron_input` node of
    /// `N * NEURONS` values, slice `i` into `ens[i].neurons` (to inhibit the whole array).
    pub EnsembleArrayNeuronInput<const N: usize, const NEURONS: usize>(radius: f64) {
        node input: N;
        ensemble ens[N]: NEURONS neurons, 1 dims, radius = radius;
        node output: N;
        node neuron_input: N * NEURONS;
        for i in 0..N {
            input[i] -> ens[i], synapse = None;
            ens[i] -> output[i], synapse = None;
        }
        for i in 0..N {
            neuron_input[i * NEURONS..(i + 1) * NEURONS] -> ens[i].neurons, synapse = None;
        }
    }

    /// A memory of `D` values that follows `diff.input` while `gate` is 0 and holds while
    /// `gate` is 1 (`nengo.networks.InputGatedMemory(NEURONS, D, feedback, difference_gain,
    /// recurrent_synapse, difference_synapse)`); `reset` (1) clears it. Nengo's `input` is
    /// `diff.input`, its `output` is `mem.output`.
    pub InputGatedMemory<const D: usize, const NEURONS: usize>(
        feedback: f64,
        difference_gain: f64,
        recurrent_synapse: f64,
        difference_synapse: f64
    ) {
        net mem: EnsembleArrayNeuronInput<D, NEURONS>(1.0);
        net diff: EnsembleArrayNeuronInput<D, NEURONS>(1.0);
        node gate: 1;
        node reset: 1;
        mem.output -> mem.input, transform = feedback, synapse = recurrent_synapse;
        mem.output -> diff.input, transform = -1.0;
        diff.output -> mem.input, transform = difference_gain, synapse = difference_synapse;
        gate -> diff.neuron_input, transform = fill(-10.0), synapse = None;
        reset -> mem.neuron_input, transform = fill(-3.0), synapse = None;
    }

    /// The elementwise product of `input_a` and `input_b` (`N` values each) in `output`
    /// (`nengo.networks.Product(2 * NEURONS, N, input_magnitude)`): two ensemble arrays of
    /// `NEURONS`-neuron ensembles with radius `input_magnitude * sqrt(2)` compute
    /// `((a + b)^2 - (a - b)^2) / 4` through their `square` outputs.
    pub Product<const N: usize, const NEURONS: usize>(input_magnitude: f64) {
        node input_a: N;
        node input_b: N;
        node output: N;
        net sq1: EnsembleArray<N, NEURONS>(input_magnitude * 2f64.sqrt());
        net sq2: EnsembleArray<N, NEURONS>(input_magnitude * 2f64.sqrt());
        node square1: N;
        node square2: N;
        input_a -> sq1.input, transform = 1.0 / 2f64.sqrt(), synapse = None;
        input_b -> sq1.input, transform = 1.0 / 2f64.sqrt(), synapse = None;
        input_a -> sq2.input, transform = 1.0 / 2f64.sqrt(), synapse = None;
        input_b -> sq2.input, transform = -(1.0 / 2f64.sqrt()), synapse = None;
        for i in 0..N {
            sq1.ens[i] -> square1[i], function = |x| [x[0] * x[0]], synapse = None;
            sq2.ens[i] -> square2[i], function = |x| [x[0] * x[0]], synapse = None;
        }
        square1 -> output, transform = 0.5, synapse = None;
        square2 -> output, transform = -0.5, synapse = None;
    }

    /// An integrator of `D` dimensions (the Nengo notebooks' `Integrator(tau, NEURONS, D)`):
    /// `ensemble -> ensemble` through `Lowpass(recurrent_tau)`, `input` scaled by
    /// `recurrent_tau`, unfiltered.
    pub Integrator<const D: usize, const NEURONS: usize>(recurrent_tau: f64) {
        node input: D;
        ensemble ensemble: NEURONS neurons, D dims;
        ensemble -> ensemble, synapse = recurrent_tau;
        input -> ensemble, transform = recurrent_tau, synapse = None;
    }

    /// A two-dimensional oscillator at `frequency` rad/s (the Nengo notebooks'
    /// `Oscillator(tau, frequency, NEURONS)`): `ensemble -> ensemble` through
    /// `Lowpass(recurrent_tau)` with `[[1, -f tau], [f tau, 1]]`; `input` unfiltered.
    pub Oscillator<const NEURONS: usize>(recurrent_tau: f64, frequency: f64) {
        node input: 2;
        ensemble ensemble: NEURONS neurons, 2 dims;
        ensemble -> ensemble, synapse = recurrent_tau,
            transform = [[1.0, -frequency * recurrent_tau], [frequency * recurrent_tau, 1.0]];
        input -> ensemble, synapse = None;
    }
}
