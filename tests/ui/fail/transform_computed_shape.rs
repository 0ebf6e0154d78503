use netdsl::prelude::*;

fn rotation() -> [[f64; 2]; 2] {
    [[0.0, -1.0], [1.0, 0.0]]
}

network! {
    /// Computed transforms whose type has the wrong shape: rustc's error names both sizes.
    pub Net {
        node a: 0 -> 2 = |t| [t, t];
        node b: 3;
        a -> b, transform = rotation();
        a -> b, transform = [[-2.5; 3]; 3];
    }
}

fn main() {
    let _ = Net::new().network();
}
