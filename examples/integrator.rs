//! A recurrent integrator: `a -> a` with a 100 ms synapse integrates its input.
//!
//! Run: `cargo run --release --example integrator`.

use netdsl::prelude::*;

network! {
    /// Neural integrator (Nengo's classic example): input scaled by tau, feedback with tau.
    pub Integrator {
        node stim: 0 -> 1 = |t| [if (0.2..0.5).contains(&t) { 1.0 } else if (0.8..0.95).contains(&t) { -2.0 } else { 0.0 }];
        ensemble a: 200 neurons, 1 dims, radius = 1.5;

        stim -> a, transform = 0.1, synapse = 0.1;
        a -> a, synapse = 0.1;

        probe input: stim;
        probe value: a, synapse = 0.01;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sim = Integrator::new().build(0.001)?;
    sim.run(1.2)?;
    let (input, value) = (sim.data("input"), sim.data("value"));
    let mut ideal = 0.0;
    println!("   t    input   integral   decoded");
    for i in 0..input.nrows() {
        ideal += input[[i, 0]] * 0.001;
        if (i + 1) % 100 == 0 {
            println!(
                "{:>5.2}  {:+.2}     {:+.3}     {:+.3}",
                (i + 1) as f64 * 0.001,
                input[[i, 0]],
                ideal,
                value[[i, 0]]
            );
        }
    }
    Ok(())
}
