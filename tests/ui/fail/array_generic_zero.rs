use netdsl::prelude::*;

network! {
    /// A generic count of zero is refused when rustc knows it.
    pub Arr<const N: usize> {
        node input: N;
        ensemble e[N]: 20 neurons, 1 dims;
        for i in 0..N {
            input[i] -> e[i];
        }
    }
}

fn main() {
    let _ = Arr::<0>::new().network();
}
