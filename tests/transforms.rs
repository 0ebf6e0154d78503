//! Computed transforms: Rust values whose type gives the shape (checked by rustc), runtime
//! shaped values (checked at build), and the broadcast idioms.

use netdsl::core::network::Transform;
use netdsl::ndarray::Array2;
use netdsl::prelude::*;

const W: [[f64; 2]; 3] = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]];

fn rotation(theta: f64) -> [[f64; 2]; 2] {
    [[theta.cos(), -theta.sin()], [theta.sin(), theta.cos()]]
}

network! {
    pub Computed<const N: usize>(w: Array2<f64>, theta: f64) {
        node a: 0 -> 2 = |t| [t, 1.0];
        node b: 3;
        node c: 2;
        ensemble inh: 30 neurons, 1 dims;
        ensemble wide: 20 neurons, 1 dims;
        node g: N;
        node h: 0 -> N = |t| [t; N];
        a -> b, transform = W, synapse = None;
        a -> c, transform = rotation(theta);
        a -> c, transform = [[-2.5; 2]; 2];
        a[0] -> inh.neurons, transform = [[-2.5]; 30];
        wide.neurons -> inh.neurons, transform = fill(-2.5);
        a -> b, transform = w;
        h -> g, transform = [0.5; N];
        a -> g, transform = eye(2.0);
    }
}

#[test]
fn computed_transforms_are_values_of_their_type() {
    let w = Array2::from_elem((3, 2), 0.25);
    let net = Computed::<2>::new(w.clone(), 0.0).network();
    let t: Vec<&Transform> = net.conns.iter().map(|c| &c.transform).collect();
    assert_eq!(*t[0], Transform::Matrix(Array2::from(W.to_vec())));
    assert_eq!(
        *t[1],
        Transform::Matrix(Array2::from(vec![[1.0, -0.0], [0.0, 1.0]]))
    );
    assert_eq!(*t[2], Transform::Matrix(Array2::from_elem((2, 2), -2.5)));
    assert_eq!(*t[3], Transform::Matrix(Array2::from_elem((30, 1), -2.5)));
    assert_eq!(*t[4], Transform::Matrix(Array2::from_elem((30, 20), -2.5)));
    assert_eq!(*t[5], Transform::Matrix(w));
    assert_eq!(*t[6], Transform::Diagonal(vec![0.5, 0.5]));
    assert_eq!(
        *t[7],
        Transform::Matrix(Array2::from(vec![[2.0, 0.0], [0.0, 2.0]]))
    );
    let mut sim = Computed::<2>::new(Array2::zeros((3, 2)), 0.3)
        .build(0.001)
        .expect("builds");
    sim.run_steps(3).unwrap();
}

#[test]
fn runtime_shaped_transforms_are_checked_at_build() {
    let err = Computed::<2>::new(Array2::zeros((4, 2)), 0.0)
        .build(0.001)
        .expect_err("a 4x2 matrix into 3 values is refused");
    let text = err.to_string();
    assert!(text.contains("a -> b"), "names the connection: {text}");
}
