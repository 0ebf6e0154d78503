//! PES learning of x²: a connection that starts out computing 0 learns, from the decoded error,
//! to compute the square of its input.
//!
//! Run: `cargo run --release --example learn_square`.

use netdsl::prelude::*;

network! {
    /// `pre -> post` learns x² from `error = post - pre²`.
    pub LearnSquare {
        node stim: 0 -> 1 = |t| [(2.0 * std::f64::consts::PI * t / 2.0).sin()];
        ensemble pre: 100 neurons, 1 dims;
        ensemble post: 100 neurons, 1 dims;
        ensemble error: 100 neurons, 1 dims;

        stim -> pre;
        conn learned: pre -> post, function = |_x| [0.0], learning = PES { learning_rate: 3e-4 };
        post -> error;
        pre -> error, function = |x| [x[0] * x[0]], transform = -1.0;
        error -> learned.learning;

        probe input: stim;
        probe post_value: post, synapse = 0.01;
        probe error_value: error, synapse = 0.01;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sim = LearnSquare::new().build(0.001)?;
    let seconds = 8.0;
    sim.run(seconds)?;
    let (input, post) = (sim.data("input"), sim.data("post_value"));
    let window = |from: usize, to: usize| {
        let err: f64 = (from..to)
            .map(|i| (input[[i, 0]].powi(2) - post[[i, 0]]).abs())
            .sum();
        err / (to - from) as f64
    };
    let n = input.nrows();
    println!("mean |x² - post| in the first 2 s: {:.3}", window(0, 2000));
    println!(
        "mean |x² - post| in the last 2 s:  {:.3}",
        window(n - 2000, n)
    );
    Ok(())
}
