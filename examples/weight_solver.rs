//! `solver = LstsqL2 { weights: true }`: the decoded connection solved as a full
//! neuron-to-neuron weight matrix, next to the ordinary decoded connection.
//!
//! Run: `cargo run --release --example weight_solver`.

use netdsl::prelude::*;

network! {
    /// The same function through decoders and through a weight matrix.
    pub WeightSolver {
        node stim: 0 -> 1 = |t| [(2.0 * std::f64::consts::PI * t).sin()];
        ensemble pre: 80 neurons, 1 dims;
        ensemble decoded: 80 neurons, 1 dims;
        ensemble weighted: 80 neurons, 1 dims;

        stim -> pre;
        pre -> decoded, function = |x| [-x[0]];
        conn full: pre -> weighted, function = |x| [-x[0]], solver = LstsqL2 { weights: true };

        probe input: stim;
        probe via_decoders: decoded, synapse = 0.01;
        probe via_weights: weighted, synapse = 0.01;
        probe w: full.weights;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sim = WeightSolver::new().build(0.001)?;
    sim.run(1.0)?;
    let input = sim.data("input");
    let n = input.nrows();
    let rmse = |name: &str| {
        let x = sim.data(name);
        ((100..n)
            .map(|i| (x[[i, 0]] + input[[i, 0]]).powi(2))
            .sum::<f64>()
            / (n - 100) as f64)
            .sqrt()
    };
    println!(
        "weight matrix of `full`: {} values per step",
        sim.data("w").ncols()
    );
    println!("RMSE of -x through decoders: {:.3}", rmse("via_decoders"));
    println!("RMSE of -x through weights:  {:.3}", rmse("via_weights"));
    Ok(())
}
