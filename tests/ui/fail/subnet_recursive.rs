use netdsl::prelude::*;

network! {
    /// A network cannot contain itself; an unknown type is rustc's error.
    pub Fractal {
        node input: 1;
        net inner: Fractal;
        net other: Fractl;
    }
}

fn main() {
    let _ = Fractal::new().network();
}
