use netdsl::prelude::*;

network! {
    pub Net {
        ensemble post: 100 neurons, 1 dims;
        node memristor_plus: 0 -> 100 = |_t| [0.0; 100];
        node pulse_plus: post.n + 1 -> post.n = |_t, x| { let mut o = [0.0; 100]; o.copy_from_slice(&x[..100]); o };
        memristor_plus -> pulse_plus[..post.n + 2], synapse = None;
    }
}

fn main() {}
