use netdsl::prelude::*;

network! {
    pub Net {
        node src: 0 -> 2 = [1.0, 2.0];
        node relay: 2 -> 3;
        src -> relay;
        relay -> src;
    }
}

fn main() {}
