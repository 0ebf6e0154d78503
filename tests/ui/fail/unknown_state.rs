use netdsl::prelude::*;

network! {
    pub Net(exc: Vec<f64>) {
        node f: 1 -> 1 = exx.filter;
    }
}

fn main() {}
