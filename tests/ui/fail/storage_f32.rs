use netdsl::prelude::*;

network! {
    pub Misused {
        node inp: 0 -> 1 = |t| [t];
        ensemble a: 10 neurons, 1 dims;
        ensemble b: 10 neurons, 1 dims;
        ensemble c: 10 neurons, 2 dims;
        inp -> a;
        conn learned: a -> b, learning = PES, storage = f32;
        a -> b, storage = f32;
        inp -> c[0], storage = f32;
        conn full: a -> b, solver = LstsqL2 { weights: true }, storage = f32;
        probe w: full.weights;
    }
}

network! {
    pub Misspelled {
        ensemble a: 10 neurons, 1 dims;
        ensemble c: 10 neurons, 2 dims;
        a -> c, transform = [[1.0], [0.5]], storage = f16;
    }
}

fn main() {}
