use super::expm::pade_coefficients;
use super::*;
use ndarray::array;

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn linalg_cholesky_small_known() {
    let a = array![
        [4.0, 12.0, -16.0],
        [12.0, 37.0, -43.0],
        [-16.0, -43.0, 98.0]
    ];
    let l = cholesky(&a).unwrap();
    let expected = array![[2.0, 0.0, 0.0], [6.0, 1.0, 0.0], [-8.0, 5.0, 3.0]];
    assert!(max_abs_diff(&l, &expected) < 1e-14);
    let b = array![[1.0, 0.0], [2.0, 1.0], [3.0, -1.0]];
    let x = cholesky_solve(&a, &b).unwrap();
    assert!(max_abs_diff(&a.dot(&x), &b) < 1e-10);
}

#[test]
fn linalg_cholesky_rejects_indefinite() {
    let a = array![[1.0, 2.0], [2.0, 1.0]];
    assert_eq!(
        cholesky(&a),
        Err(LinalgError::NotPositiveDefinite {
            pivot: 1,
            value: -3.0
        })
    );
    assert!(matches!(
        cholesky(&Array2::zeros((2, 3))),
        Err(LinalgError::NotSquare { rows: 2, cols: 3 })
    ));
}

#[test]
fn linalg_cholesky_large_random_spd() {
    let mut rng = crate::nef::rng::Rng::new(1);
    let (m, n) = (300, 250);
    let a = Array2::from_shape_fn((m, n), |_| rng.normal());
    let mut g = matmul_tn(&a, &a);
    for i in 0..n {
        g[[i, i]] += 1.0;
    }
    let b = Array2::from_shape_fn((n, 3), |_| rng.normal());
    let x = cholesky_solve(&g, &b).unwrap();
    assert!(max_abs_diff(&g.dot(&x), &b) < 1e-9);
    let l = cholesky(&g).unwrap();
    assert!(max_abs_diff(&matmul_nt(&l, &l), &g) < 1e-10);
}

#[test]
fn linalg_lu_solve_with_pivoting() {
    let a = array![[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]];
    let b = array![[3.0], [2.0], [4.0]];
    let x = lu_solve(&a, &b).unwrap();
    assert!(max_abs_diff(&x, &array![[1.0], [1.0], [1.0]]) < 1e-15);
    let s = array![[1.0, 2.0], [2.0, 4.0]];
    assert!(lu_solve(&s, &array![[1.0], [1.0]]).is_err());
}

#[test]
fn linalg_pade_coefficients_known() {
    assert_eq!(pade_coefficients(3), vec![120.0, 60.0, 12.0, 1.0]);
    let b13 = pade_coefficients(13);
    assert_eq!(b13[0], 64_764_752_532_480_000.0);
    assert_eq!(b13[12], 182.0);
}

// Expected values: `nengo.utils.filter_design.expm` (Nengo 4.1's vendored SciPy expm),
// printed with repr().
#[test]
fn linalg_expm_matches_nengo() {
    // expm([[-0.2, 0.001], [0, 0]]) (Lowpass(0.005) ZOH block, dt = 0.001)
    let a = array![[-0.2, 0.001], [0.0, 0.0]];
    let e = expm(&a);
    let expected = array![[0.8187307530779818, 0.0009063462346100906], [0.0, 1.0]];
    assert!(max_abs_diff(&e, &expected) < 1e-17, "{e:?}");
    // A larger, non-triangular matrix that needs Pade 13 with squaring.
    let b = array![[1.0, 2.0, 0.5], [-3.0, 0.25, 1.0], [0.5, -1.0, -2.0]];
    let e = expm(&b);
    let expected = array![
        [-0.7676017203035236, 0.9691268669433931, 0.4694303262402515],
        [
            -1.510477452791191,
            -1.4575504215698758,
            -0.48081815692201757
        ],
        [0.6965789357446552, 0.36724385216981603, 0.2773426838298235]
    ];
    assert!(max_abs_diff(&e, &expected) < 1e-14, "{e:?}");
    // Upper triangular with large norm (fragment 2.1 path).
    let c = array![[-20.0, 5.0], [0.0, 0.0]];
    let e = expm(&c);
    let expected = array![[2.061153622438558e-9, 0.24999999948471163], [0.0, 1.0]];
    assert!(max_abs_diff(&e, &expected) < 1e-16, "{e:?}");
    // Alpha(0.005) ZOH block, dt = 0.001: dt * [[A, B], [0, 0]].
    let d = array![[-0.4, -0.04, 0.001], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
    let e = expm(&d);
    let expected = array![
        [
            0.6549846024623853,
            -0.03274923012311926,
            0.0008187307530779817
        ],
        [
            0.8187307530779818,
            0.9824769036935781,
            0.00043807740766054414
        ],
        [0.0, 0.0, 1.0]
    ];
    assert!(max_abs_diff(&e, &expected) < 1e-16, "{e:?}");
}
