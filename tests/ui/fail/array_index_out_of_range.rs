use netdsl::prelude::*;

network! {
    /// Indices past an array, also at the end of a loop's range.
    pub Arr {
        node input: 3;
        ensemble e[3]: 20 neurons, 1 dims;
        input[0] -> e[3];
        for i in 0..4 {
            input[0] -> e[i];
        }
        probe p: e[5];
    }
}

fn main() {
    let _ = Arr::new().network();
}
