//! The signal store: one `Vec<f64>` laid out by the plan, each signal at a fixed offset.

use std::ops::Range;

use crate::plan::{Plan, Shape, SigRef};

/// Where each signal of a plan lives in the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    offsets: Vec<usize>,
    lens: Vec<usize>,
    total: usize,
}

impl Layout {
    /// Lay out a plan's signals one after the other, in the plan's signal order.
    pub fn new(plan: &Plan) -> Self {
        let mut offsets = Vec::with_capacity(plan.signals.len());
        let mut lens = Vec::with_capacity(plan.signals.len());
        let mut total = 0;
        for s in plan.signals.iter() {
            let len = match s.shape {
                Shape::Vec(n) => n,
                Shape::Mat(r, c) => r * c,
            };
            offsets.push(total);
            lens.push(len);
            total += len;
        }
        Layout {
            offsets,
            lens,
            total,
        }
    }

    /// Number of values in the store.
    pub fn len(&self) -> usize {
        self.total
    }

    /// The range of a whole signal.
    pub fn signal(&self, index: usize) -> Range<usize> {
        self.offsets[index]..self.offsets[index] + self.lens[index]
    }

    /// The range a signal use covers (the whole signal or its slice).
    pub fn range(&self, r: &SigRef<usize>) -> Range<usize> {
        let base = self.offsets[r.signal];
        match r.range {
            Some((lo, hi)) => base + lo..base + hi,
            None => base..base + self.lens[r.signal],
        }
    }
}
