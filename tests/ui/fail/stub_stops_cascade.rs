use netdsl::prelude::*;

network! {
    pub Net(gain: f64) {
        ensemble a: 10 neurons, 1 dims;
        a -> nowhere;
    }
}

fn use_it() -> Result<Simulator, netdsl::core::error::BuildError> {
    let text = Net::PLAN.to_string();
    println!("{text}");
    Net::new(1.0).build(0.001)
}

fn main() {}
