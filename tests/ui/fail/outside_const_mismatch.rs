use netdsl::prelude::*;

const N_PRE: usize = 3;

network! {
    pub Net {
        ensemble a: 50 neurons, crate::N_PRE dims;
        ensemble b: 50 neurons, 2 dims;
        a -> b;
        a[..crate::N_PRE + 1] -> b[0..1];
    }
}

fn main() {}
