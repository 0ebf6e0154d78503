//! Probes: what is recorded at the end of each step, and when.

use std::ops::Range;

/// Where a probe reads its value.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A range of the signal store.
    Store(Range<usize>),
    /// The weights of a memristive device array.
    MemristorWeights(usize),
    /// The `+` device resistances of an array.
    MemristorPos(usize),
    /// The `−` device resistances of an array.
    MemristorNeg(usize),
}

/// A probe's recorded data.
#[derive(Clone, Debug)]
pub struct ProbeData {
    /// The probe's name.
    pub name: String,
    /// Where it reads.
    pub source: Source,
    /// Shape of one sample (`[n]` or `[rows, cols]`).
    pub shape: Vec<usize>,
    /// Record after step `n` iff `n % period < 1` (Nengo's rule; `period = sample_every / dt`).
    pub period: f64,
    /// Samples, each `shape.iter().product()` values, back to back.
    pub data: Vec<f64>,
    /// The step number of each sample.
    pub steps: Vec<u64>,
}

impl ProbeData {
    /// Values per sample.
    pub fn sample_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Number of samples recorded.
    pub fn n_samples(&self) -> usize {
        self.steps.len()
    }

    /// Whether step `n` is recorded.
    #[inline]
    pub fn records(&self, n: u64) -> bool {
        // `n % period` lies in [0, period) ⊂ [0, 1) when period ≤ 1: no `fmod` call then (the
        // remainder is out of line: inlined, it was computed every step and then ignored).
        (self.period > 0.0 && self.period <= 1.0) || self.records_sparse(n)
    }

    /// [`ProbeData::records`] for a probe that samples less often than every step (out of
    /// line: see there).
    #[inline(never)]
    fn records_sparse(&self, n: u64) -> bool {
        (n as f64) % self.period < 1.0
    }

    /// At least as many samples as `n_more` further steps will record, without visiting each
    /// step: a probe that records less often than every step records at most once per
    /// `period` steps, plus one.
    pub fn samples_at_most(&self, n_more: u64) -> u64 {
        if self.period <= 1.0 {
            n_more
        } else {
            // `as` saturates: a bound, never a wrap.
            ((n_more as f64 / self.period).ceil() as u64).saturating_add(1)
        }
    }

    /// How many samples `n_more` further steps after step `done` will record.
    pub fn samples_in(&self, done: u64, n_more: u64) -> usize {
        if self.period <= 1.0 {
            return n_more as usize;
        }
        ((done + 1)..=(done + n_more))
            .filter(|&n| self.records(n))
            .count()
    }
}
