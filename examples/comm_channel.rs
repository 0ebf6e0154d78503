//! A communication channel: a sine wave represented by one ensemble and passed to a second.
//!
//! Run: `cargo run --release --example comm_channel`.

use netdsl::prelude::*;

network! {
    /// `stim -> a -> b`: the second ensemble should follow the input, one synapse later.
    pub CommChannel {
        node stim: 0 -> 1 = |t| [(2.0 * std::f64::consts::PI * t).sin()];
        ensemble a: 100 neurons, 1 dims;
        ensemble b: 100 neurons, 1 dims;

        stim -> a;
        a -> b;

        probe input: stim;
        probe a_value: a, synapse = 0.01;
        probe b_value: b, synapse = 0.01;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", CommChannel::PLAN);
    let mut sim = CommChannel::new().build(0.001)?;
    sim.run(1.0)?;
    let (input, b) = (sim.data("input"), sim.data("b_value"));
    let n = input.nrows();
    // Compare after the first 100 ms, allowing for the filter delays.
    let rmse = ((100..n)
        .map(|i| (input[[i, 0]] - b[[i, 0]]).powi(2))
        .sum::<f64>()
        / (n - 100) as f64)
        .sqrt();
    println!("1 s simulated: RMSE between the input and b's decoded value = {rmse:.3}");
    for i in (0..n).step_by(100) {
        println!(
            "t = {:.1} s  input {:+.3}  b {:+.3}",
            (i + 1) as f64 * 0.001,
            input[[i, 0]],
            b[[i, 0]]
        );
    }
    Ok(())
}
