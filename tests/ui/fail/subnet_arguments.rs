use netdsl::prelude::*;

network! {
    pub Scaled(gain: f64) {
        node input: 1;
        node output: 1;
        input -> output, transform = gain, synapse = None;
    }

    /// Constructor arguments of instances are checked by rustc: count and types.
    pub Model {
        net a: Scaled(1.0, 2.0);
        net b: Scaled("two");
        net c: Scaled;
    }
}

fn main() {
    let _ = Model::new().network();
}
