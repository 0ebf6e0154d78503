//! Verdicts that changed when the macro and the runtime came to share one rule set.

use netdsl::prelude::*;

network! {
    /// PES on a diagonal transform: Nengo accepts it (a vector transform is a `Dense`
    /// diagonal); the learned weights are the folded `transform · decoders` matrix.
    pub DiagonalPes {
        node inp: 0 -> 2 = |t| [t.sin(), t.cos()];
        ensemble pre: 40 neurons, 2 dims;
        ensemble post: 40 neurons, 2 dims;
        inp -> pre;
        conn learned: pre -> post, transform = [1.0, -0.5], learning = PES;
        post -> learned.learning;
        pre -> learned.learning, transform = -1.0;
        probe w: learned.weights;
        probe out: post, synapse = 0.01;
    }
}

#[test]
fn pes_on_a_diagonal_transform_builds_and_learns() {
    let mut sim = DiagonalPes::new().build(0.001).expect("builds");
    sim.run_steps(50).expect("runs");
    let w = sim.data("w");
    let first = w.row(0).to_owned();
    let last = w.row(w.nrows() - 1).to_owned();
    assert_ne!(first, last, "the weights learn");
    assert!(last.iter().all(|v| v.is_finite()));
}
