use netdsl::prelude::*;

network! {
    /// Value parameters are typed Rust arguments: a string is no synapse time constant.
    pub Net(tau: &'static str) {
        node a: 0 -> 1 = |t| [t];
        ensemble b: 10 neurons, 1 dims;
        a -> b, synapse = tau;
    }
}

fn main() {
    let _ = Net::new("fast").network();
}
