use netdsl::prelude::*;

network! {
    pub Net(x) {
        ensemble a: 10 neurons, 1 dims;
    }
}

fn main() {}
