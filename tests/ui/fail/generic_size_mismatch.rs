use netdsl::prelude::*;

network! {
    /// A channel generic over its dimensions, with a mistake: `b` has one dimension too many.
    pub Channel<const D: usize> {
        ensemble a: 50 neurons, D dims;
        ensemble b: 50 neurons, D + 1 dims;
        a -> b;
    }
}

fn main() {
    let _ = Channel::<2>::new().network();
}
