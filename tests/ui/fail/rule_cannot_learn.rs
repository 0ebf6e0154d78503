use netdsl::prelude::*;

network! {
    pub Net {
        node inp: 0 -> 1 = |t| [t];
        ensemble pre: 10 neurons, 1 dims;
        ensemble post: 10 neurons, 1 dims;
        conn a: inp -> post, learning = PES;
        conn b: pre -> post, learning = mPES { gain: 1e4 };
    }
}

fn main() {}
