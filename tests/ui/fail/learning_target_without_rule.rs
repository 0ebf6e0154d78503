use netdsl::prelude::*;

network! {
    pub Net {
        ensemble pre: 50 neurons, 1 dims;
        ensemble post: 50 neurons, 1 dims;
        conn plain: pre -> post;
        post -> plain.learning;
    }
}

fn main() {}
