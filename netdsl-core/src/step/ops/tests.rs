use super::weights::{
    dot8_portable, matvec, matvec_cols_f32, matvec_cols_f64, nonzero, transpose_into,
};
use super::*;

#[test]
fn a_folded_bias_gives_the_bits_of_the_bias_then_encode_ops() {
    let mut rng = crate::nef::rng::Rng::new(9);
    for d in [1, 2, 3] {
        let n = 37;
        let enc: Vec<f64> = (0..n * d).map(|_| rng.uniform(-300.0, 300.0)).collect();
        let bias: Vec<f64> = (0..n).map(|_| rng.uniform(-20.0, 20.0)).collect();
        let x: Vec<f64> = (0..d).map(|_| rng.uniform(-1.0, 1.0)).collect();
        // Store: x, then J.
        let mut store: Vec<f64> = x.iter().copied().chain(vec![f64::NAN; n]).collect();
        let (xr, jr) = (0..d, d..d + n);
        let mut folded = store.clone();
        let mut ctx = Ctx::new(0.0, 0.001, &mut [], &mut [], None);
        let mut ops = [
            Op::Bias {
                j: jr.clone(),
                bias: bias.clone(),
            },
            Op::Encode {
                j: jr.clone(),
                x: xr.clone(),
                enc: enc.clone(),
                bias: Vec::new(),
            },
        ];
        for op in &mut ops {
            op.run(&mut store, &mut ctx).expect("run");
        }
        let mut one = Op::Encode {
            j: jr,
            x: xr,
            enc,
            bias,
        };
        one.run(&mut folded, &mut ctx).expect("run");
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&store), bits(&folded), "d = {d}");
    }
}

#[test]
fn nonzero_finds_every_non_zero_in_order() {
    let mut nz = Vec::with_capacity(41);
    for len in 0..41 {
        for seed in 0..5u64 {
            let x: Vec<f64> = (0..len)
                .map(|i| match (i as u64 * 7 + seed * 13) % 5 {
                    0 => 1000.0,
                    1 => f64::NAN,
                    2 => -0.0,
                    _ => 0.0,
                })
                .collect();
            let want: Vec<usize> = (0..len).filter(|&i| x[i] != 0.0).collect();
            assert_eq!(nonzero(&x, &mut nz), &want[..], "len {len} seed {seed}");
        }
    }
}

#[test]
fn one_row_matvec_is_the_eight_lane_sum() {
    let mut nz = Vec::with_capacity(64);
    for cols in [0, 1, 7, 8, 9, 16, 37, 64, 203] {
        let w: Vec<f64> = (0..cols)
            .map(|k| ((k * 37 % 101) as f64 - 50.0) / 3.7)
            .collect();
        for seed in 0..12u64 {
            let x: Vec<f64> = (0..cols)
                .map(|i| {
                    if (i as u64 * 7 + seed * 5) % (seed % 6 + 1) == 0 {
                        1000.0 / (i + 1) as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            // The documented order, written out term by term.
            let full = cols / 8 * 8;
            let lane = |l: usize| (l..full).step_by(8).fold(0.0, |s: f64, i| s + w[i] * x[i]);
            let mut want = ((lane(0) + lane(4)) + (lane(1) + lane(5)))
                + ((lane(2) + lane(6)) + (lane(3) + lane(7)));
            for i in full..cols {
                want += w[i] * x[i];
            }
            let mut y = [9.0];
            matvec(&w, 1, cols, &x, &mut y, &mut nz);
            assert_eq!(y[0].to_bits(), want.to_bits(), "cols {cols} seed {seed}");
            assert_eq!(
                dot8_portable(&w, &x).to_bits(),
                want.to_bits(),
                "portable, cols {cols} seed {seed}"
            );
            let exact: f64 = w.iter().zip(&x).map(|(a, b)| a * b).sum();
            assert!((want - exact).abs() <= 1e-12 * exact.abs().max(1.0));
        }
    }
}

#[test]
fn transpose_in_place_equals_the_copying_transpose() {
    for (rows, cols) in [
        (1, 1),
        (2, 2),
        (31, 31),
        (32, 32),
        (33, 33),
        (65, 65),
        (100, 100),
        (3, 7),
        (40, 33),
    ] {
        let m: Vec<f64> = (0..rows * cols).map(|k| k as f64 * 0.5 - 3.0).collect();
        let mut want = vec![0.0; rows * cols];
        transpose_into(&m, rows, cols, &mut want);
        let mut got = m.clone();
        transpose_in_place(&mut got, rows, cols);
        assert_eq!(got, want, "{rows} x {cols}");
    }
}

#[test]
fn column_major_matvec_is_bit_identical() {
    let (rows, cols) = (7, 11);
    let w: Vec<f64> = (0..rows * cols)
        .map(|k| ((k * 37 % 101) as f64 - 50.0) / 3.7)
        .collect();
    let mut cm = vec![0.0; rows * cols];
    transpose_into(&w, rows, cols, &mut cm);
    let mut nz = Vec::with_capacity(cols);
    for pattern in [0u32, 1, 0b101_0011_0001, 0x7ff, 0b100_0000_0000] {
        let x: Vec<f64> = (0..cols)
            .map(|i| {
                if pattern >> i & 1 == 1 {
                    1000.0 / (i + 1) as f64
                } else {
                    0.0
                }
            })
            .collect();
        let (mut a, mut b) = (vec![9.0; rows], vec![9.0; rows]);
        matvec(&w, rows, cols, &x, &mut a, &mut nz);
        matvec_cols_f64(&cm, rows, &x, &mut b, &mut nz);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "pattern {pattern:b}");
        // An f32 matrix: the same sums as the f64 one holding its (rounded) values.
        let cm32: Vec<f32> = cm.iter().map(|&v| v as f32).collect();
        let w_rounded: Vec<f64> = w.iter().map(|&v| f64::from(v as f32)).collect();
        assert_ne!(w_rounded, w, "the test matrix is not exact in f32");
        let (mut c, mut d) = (vec![9.0; rows], vec![9.0; rows]);
        matvec(&w_rounded, rows, cols, &x, &mut c, &mut nz);
        matvec_cols_f32(&cm32, rows, &x, &mut d, &mut nz);
        assert_eq!(bits(&c), bits(&d), "f32, pattern {pattern:b}");
    }
}
