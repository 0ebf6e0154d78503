use netdsl::prelude::*;

network! {
    /// An array of no items, an empty loop, a named connection in a loop.
    pub Empty<const N: usize> {
        node input: 1;
        ensemble e[0]: 20 neurons, 1 dims;
        ensemble g[N]: 20 neurons, 1 dims;
        for i in 2..2 {
            input -> g[i];
        }
        for i in 0..N {
            conn c: input -> g[i];
        }
    }
}

fn main() {
    let _ = Empty::<0>::new().network();
}
