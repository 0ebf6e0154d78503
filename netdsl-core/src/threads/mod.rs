//! Every thread netdsl uses, and how many, decided per simulator by [`SimOptions`]:
//!
//! - **step threads** ([`crate::step::workers`]): independent heavy ops of a step (neuron updates,
//!   weight products, filters of different ensembles) shared by a pool of spinning workers;
//!   [`SimOptions::step_threads`], changed later with
//!   [`Simulator::set_threads`](crate::sim::Simulator::set_threads);
//! - **pulse threads** ([`pulse`]): a helper thread that takes half the rows of a large mPES pulse
//!   stage; [`SimOptions::pulse_threads`];
//! - **build threads** ([`build`]): scoped threads for the decoder solves and the big products of
//!   the build; [`SimOptions::build_threads`].
//!
//! Results never depend on any of these counts: threads split rows, tiles and independent ops,
//! never a sum. Nothing here is process-wide: each simulator owns its pool and its helper, and
//! the build-thread count applies to the build that was asked for it.

pub(crate) mod build;
pub(crate) mod pulse;

/// How a [`Simulator`](crate::sim::Simulator) uses threads. Every count gives the same numbers,
/// bit for bit; they only change how long building and stepping take.
///
/// ```
/// use netdsl_core::sim::SimOptions;
/// let one_core = SimOptions {
///     step_threads: 1,
///     pulse_threads: 1,
///     build_threads: 1,
///     ..SimOptions::default()
/// };
/// assert_eq!(SimOptions::single_threaded(), one_core);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimOptions {
    /// Threads stepping the network (default 1). More than one shares the independent heavy ops
    /// of each step; see [`Simulator::set_threads`](crate::sim::Simulator::set_threads), which
    /// this is passed to after the build.
    pub step_threads: usize,
    /// Threads for the pulse stage of large memristive connections: 2 (the default on a machine
    /// with more than one CPU) lets a helper thread, started at build time and owned by the
    /// simulator, take rows of pulse stages with at least 4096 potential pulses; 1 runs them on
    /// the stepping thread.
    pub pulse_threads: usize,
    /// Threads for the build's decoder solves and big matrix products (default: the machine's
    /// parallelism, at most 8).
    pub build_threads: usize,
    /// The most bytes one decoder solve (activities and Gram matrix) or one weight matrix of
    /// the build may take (default 16 GiB). A network that needs more is refused with a
    /// `BuildError::TooBig` naming the connection or probe and the bytes, before anything that
    /// size is allocated.
    pub build_memory_limit: u64,
}

/// Default of [`SimOptions::build_memory_limit`]: 16 GiB.
pub const DEFAULT_BUILD_MEMORY_LIMIT: u64 = 16 << 30;

impl SimOptions {
    /// Everything on the calling thread.
    pub fn single_threaded() -> Self {
        SimOptions {
            step_threads: 1,
            pulse_threads: 1,
            build_threads: 1,
            build_memory_limit: DEFAULT_BUILD_MEMORY_LIMIT,
        }
    }
}

impl Default for SimOptions {
    /// One stepping thread, the pulse helper on machines with more than one CPU, and up to 8
    /// build threads (the machine's parallelism).
    fn default() -> Self {
        let cpus = cpus();
        SimOptions {
            step_threads: 1,
            pulse_threads: if cpus > 1 { 2 } else { 1 },
            build_threads: cpus.clamp(1, 8),
            build_memory_limit: DEFAULT_BUILD_MEMORY_LIMIT,
        }
    }
}

/// The machine's parallelism (1 if unknown).
pub(crate) fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
