//! Two networks in one block; a stage method that returns an array.
use netdsl::prelude::*;

pub struct Counter {
    n: f64,
}

impl Counter {
    pub fn tick(&mut self, _t: f64, x: &[f64]) -> [f64; 1] {
        self.n += 1.0;
        [self.n + x[0]]
    }
}

network! {
    pub First(c: Counter) {
        node src: 0 -> 1 = |_t| [1.0];
        node count: 1 -> 1 = c.tick;
        src -> count, synapse = None;
        probe out: count;
    }

    pub Second {
        ensemble a: 10 neurons, 1 dims;
    }
}

fn main() {
    let mut sim = First::new(Counter { n: 0.0 }).build(0.001).unwrap();
    sim.run_steps(3).unwrap();
    let out = sim.data("out");
    assert_eq!(out[[2, 0]], 4.0);
    assert!(Second::PLAN.to_string().contains("a.J[10]"));
}
