//! A network generic over its dimensions; sizes from outside consts.
use netdsl::prelude::*;

pub const N_NEURONS: usize = 40;

network! {
    /// A communication channel of `D` dimensions.
    pub Channel<const D: usize> {
        node inp: 0 -> D = |t| [t.sin(); D];
        ensemble a: crate::N_NEURONS neurons, D dims;
        ensemble b: crate::N_NEURONS * 2 neurons, D dims;
        inp -> a;
        a -> b;
        a[..D] -> b[0..D], transform = 0.0;
        probe out: b, synapse = 0.01;
    }
}

fn main() {
    let p2 = Channel::<2>::PLAN.to_string();
    let p3 = Channel::<3>::PLAN.to_string();
    assert!(p2.contains("b.J[80]"), "{p2}");
    assert!(p3.contains("a.in[3]"), "{p3}");
    let mut sim = Channel::<3>::new().build(0.001).unwrap();
    sim.run_steps(2).unwrap();
    assert_eq!(sim.data("out").ncols(), 3);
}
