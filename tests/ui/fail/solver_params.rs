use netdsl::prelude::*;

network! {
    pub Net {
        ensemble a: 10 neurons, 1 dims;
        ensemble b: 10 neurons, 1 dims;
        node n: 1;
        a -> n, solver = Nnsl;
        a -> n, solver = LstsqL2 { reg: -0.1 };
        a -> n, solver = LstsqDrop { drop: 1.0 };
        a -> n, solver = Nnls { reg: 0.1 };
        a -> n, solver = LstsqL1 { l1: 0.0, l2: 0 };
        probe p: a, solver = Nnls { weights: true };
        probe q: n, solver = LstsqL2;
    }
}

fn main() {}
