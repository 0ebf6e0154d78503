use super::*;
use crate::nef::dists::VecDist;
use crate::nef::encoders::{normalize_encoders, scaled_encoders, EncoderError};
use crate::nef::eval_points::{default_n_eval_points, gen_eval_points};
use crate::nef::rng::Rng;
use ndarray::{array, Array1};

#[test]
fn one_dimensional_activities_equal_the_matrix_product_form() {
    // The 1-D shortcut (`x e` per neuron, no m × n product first) gives the bits of
    // `gain · (points · encodersᵀ / radius) + bias` through the matrix product.
    let (m, n, radius) = (300, 257, 1.7);
    let mut rng = crate::nef::rng::Rng::new(9);
    let ep = Array2::from_shape_fn((m, 1), |_| rng.uniform(-1.7, 1.7));
    let enc = Array2::from_shape_fn((n, 1), |_| rng.uniform(-1.0, 1.0));
    let gain: Vec<f64> = (0..n).map(|_| rng.uniform(1.0, 30.0)).collect();
    let bias: Vec<f64> = (0..n).map(|_| rng.uniform(-10.0, 10.0)).collect();
    for nt in [NeuronType::lif(), NeuronType::lif_rate()] {
        let got = activities(&nt, &ep, &enc, &gain, &bias, radius);
        let x = matmul_nt(&ep, &enc.mapv(|v| v / radius));
        let mut want = Array2::<f64>::zeros((m, n));
        let mut j = vec![0.0; n];
        for (r, xrow) in x.rows().into_iter().enumerate() {
            for k in 0..n {
                j[k] = gain[k] * xrow[k] + bias[k];
            }
            nt.rates(&j, want.row_mut(r).as_slice_mut().unwrap());
        }
        assert!(got.iter().any(|&v| v > 0.0));
        let bits = |a: &Array2<f64>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "{nt:?}");
    }
}

fn linspace(lo: f64, hi: f64, n: usize) -> Array2<f64> {
    // Same arithmetic as numpy.linspace for these arguments: lo + k * step.
    let step = (hi - lo) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|k| lo + k as f64 * step).collect();
    v[n - 1] = hi;
    Array2::from_shape_vec((n, 1), v).unwrap()
}

fn worst_rel(got: &Array2<f64>, expected: &[f64]) -> f64 {
    assert_eq!(got.len(), expected.len());
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    got.iter()
        .zip(expected)
        .fold(0.0, |w, (g, e)| w.max((g - e).abs() / scale))
}

fn scenario11() -> (Array2<f64>, Vec<f64>, Vec<f64>, Array2<f64>) {
    let enc = array![[1.0], [-1.0], [1.0], [-1.0]];
    (
        enc,
        vec![2.0, 2.0, 3.0, 3.0],
        vec![1.5, 1.5, 1.0, 1.0],
        linspace(-1.0, 1.0, 11),
    )
}

#[test]
fn nef_default_n_eval_points() {
    assert_eq!(default_n_eval_points(50, 1), 750);
    assert_eq!(default_n_eval_points(50, 2), 1000);
    assert_eq!(default_n_eval_points(50, 10), 2500);
    assert_eq!(default_n_eval_points(2000, 1), 4000);
}

// Scenario 11. Expected: Nengo 4.1 `LIF().rates(ep @ enc.T, gain, bias)` (activities) and
// `LstsqL2()(A, ep**2)`, `LstsqL2(reg=0.05)(A, ep)` (decoders), printed with repr();
// `sim.data[c].weights` printed [-0.00029161354126728, ..., 0.0055694576433912].
#[test]
fn nef_scenario11_decoders_match_nengo() {
    let (enc, gain, bias, ep) = scenario11();
    let a = activities(&NeuronType::lif(), &ep, &enc, &gain, &bias, 1.0);
    assert_eq!(a.dim(), (11, 4));
    let amax = a.iter().cloned().fold(0.0, f64::max);
    assert!((amax - 128.9716588744735).abs() < 1e-12);
    let row0 = [0.0, 114.5548234340318, 0.0, 128.9716588744735];
    let row7 = [74.56622680586104, 0.0, 70.8079093953223, 0.0];
    for j in 0..4 {
        assert!((a[[0, j]] - row0[j]).abs() < 1e-12);
        assert!((a[[7, j]] - row7[j]).abs() < 1e-12);
    }
    let y = ep.mapv(|v| v * v);
    let d = lstsq_l2(&a, &y, DEFAULT_REG).unwrap();
    let expected = [
        -0.00029161354126727685,
        -0.0002916135412672761,
        0.0055694576433912004,
        0.005569457643391201,
    ];
    let w = worst_rel(&d, &expected);
    assert!(w < 1e-12, "worst relative error {w}: {d:?}");
    // The doc's 8 significant digits.
    assert!((d[[0, 0]] + 0.00029161).abs() < 5e-9 && (d[[2, 0]] - 0.00556946).abs() < 5e-9);

    let d = solve_decoders(&NeuronType::lif(), &ep, &enc, &gain, &bias, 1.0, &ep, 0.05).unwrap();
    let expected = [
        0.0019216126141125838,
        -0.0019216126141125929,
        0.005121378135562848,
        -0.00512137813556284,
    ];
    let w = worst_rel(&d, &expected);
    assert!(w < 1e-12, "worst relative error {w}: {d:?}");
}

/// (encoders, gain, bias, eval points, targets)
type Case = (Array2<f64>, Vec<f64>, Vec<f64>, Array2<f64>, Array2<f64>);

fn two_d_case() -> Case {
    let enc = array![
        [1.0, 0.0],
        [0.0, 1.0],
        [-0.6, 0.8],
        [0.8, -0.6],
        [-1.0, 0.0]
    ];
    let gain = vec![1.5, 2.0, 2.5, 3.0, 1.0];
    let bias = vec![1.2, 0.8, 1.1, 0.5, 2.0];
    let ep = array![
        [0.1, 0.2],
        [-0.5, 1.0],
        [1.5, -0.3],
        [0.0, 0.0],
        [-1.2, -1.1],
        [0.7, 0.7],
        [1.9, 0.1],
        [-0.2, -1.8]
    ];
    let y = Array2::from_shape_fn((8, 2), |(i, k)| {
        if k == 0 {
            ep[[i, 0]] * ep[[i, 1]]
        } else {
            ep[[i, 0]] + ep[[i, 1]]
        }
    });
    (enc, gain, bias, ep, y)
}

// Expected: Nengo 4.1, radius 2: `A2 = LIF().rates(ep @ (enc.T / 2.0), gain, bias)`,
// `LstsqL2()(A2, Y)` with Y = [x0*x1, x0+x1] (m=8 ≥ n=5), and the transposed branch
// `LstsqL2()(A2[:3], Y[:3])` (m=3 < n=5).
#[test]
fn nef_two_d_radius_and_transposed_match_nengo() {
    let (enc, gain, bias, ep, y) = two_d_case();
    let a = activities(&NeuronType::lif(), &ep, &enc, &gain, &bias, 2.0);
    let ea = [
        30.601059400270792,
        0.0,
        27.86142829897305,
        0.0,
        61.04091855419983,
        0.0,
        54.888946606340184,
        80.9608555808995,
        0.0,
        72.69696048427407,
        75.4936249259171,
        0.0,
        0.0,
        84.34117103163827,
        29.249380533981533,
        26.430421421600087,
        0.0,
        20.01685200516251,
        0.0,
        63.04000219064139,
        0.0,
        0.0,
        0.0,
        0.0,
        85.39595655652506,
        51.71643354075376,
        41.71490687414834,
        30.601059400270806,
        0.0,
        48.47036241472263,
        86.27039747499481,
        0.0,
        0.0,
        88.52492716047232,
        15.900665678251322,
        15.9006656782513,
        0.0,
        0.0,
        58.20009354609121,
        66.96782858820717,
    ];
    assert!(worst_rel(&a, &ea) < 1e-14);
    let d = lstsq_l2(&a, &y, DEFAULT_REG).unwrap();
    let ed = [
        0.0012893103617343687,
        0.03299119130275583,
        0.006137800031268009,
        0.005329122888461647,
        -0.01812656938721574,
        0.02344570292403198,
        -0.005174853162929888,
        -0.007341056765489155,
        0.010126851670490529,
        -0.02463596822768839,
    ];
    let w = worst_rel(&d, &ed);
    assert!(w < 1e-11, "worst {w}");
    let a3 = a.slice(ndarray::s![..3, ..]).to_owned();
    let y3 = y.slice(ndarray::s![..3, ..]).to_owned();
    let d3 = lstsq_l2(&a3, &y3, DEFAULT_REG).unwrap();
    let ed3 = [
        0.00010945527567970533,
        0.005040504744108782,
        -0.005434554473594395,
        0.003313403930017063,
        -0.00329259767377069,
        0.002252599237673676,
        -0.005673489307720924,
        0.008864081212550475,
        0.0011829590182806185,
        0.001690252074907213,
    ];
    let w = worst_rel(&d3, &ed3);
    assert!(w < 1e-11, "worst {w}");
}

// Expected: Nengo 4.1 `RectifiedLinear().rates(ep @ (enc.T / 2.0), gain, bias)` (first
// 8 values, rows 0-1).
#[test]
fn nef_relu_activities_match_nengo() {
    let (enc, gain, bias, ep, _) = two_d_case();
    let a = activities(
        &NeuronType::rectified_linear(),
        &ep,
        &enc,
        &gain,
        &bias,
        2.0,
    );
    let e = [1.275, 1.0, 1.225, 0.44, 1.95, 0.825, 1.8, 2.475, 0.0, 2.25];
    for (g, x) in a.iter().zip(&e) {
        assert!((g - x).abs() < 1e-14, "{g} vs {x}");
    }
    let direct = activities(&NeuronType::Direct, &ep, &enc, &[], &[], 2.0);
    assert!((direct[[0, 0]] - 0.05).abs() < 1e-16);
}

/// Solves `targets(eval points)` for `n` default-parameter LIF neurons over `m` points in `d`
/// dimensions both ways and checks the streamed solve equals activities + lstsq_l2 up to
/// summation order.
fn assert_streamed_equals_whole(
    seed: u64,
    (n, m, d): (usize, usize, usize),
    radius: f64,
    targets: impl Fn(&Array2<f64>) -> Array2<f64>,
) {
    let mut rng = Rng::new(seed);
    let mr = crate::nef::dists::Dist::default_max_rates().sample(n, &mut rng);
    let ic = crate::nef::dists::Dist::default_intercepts().sample(n, &mut rng);
    let enc = VecDist::default_encoders().sample(n, d, &mut rng);
    let (g, b) = NeuronType::lif().gain_bias(&mr, &ic).unwrap();
    let ep = gen_eval_points(&VecDist::default_eval_points(), m, d, radius, &mut rng);
    let y = targets(&ep);
    let streamed = solve_decoders(
        &NeuronType::lif(),
        &ep,
        &enc,
        &g,
        &b,
        radius,
        &y,
        DEFAULT_REG,
    )
    .unwrap();
    let a = activities(&NeuronType::lif(), &ep, &enc, &g, &b, radius);
    let whole = lstsq_l2(&a, &y, DEFAULT_REG).unwrap();
    let scale = whole.iter().fold(0.0f64, |s, v| s.max(v.abs()));
    let worst = streamed
        .iter()
        .zip(whole.iter())
        .fold(0.0f64, |w, (p, q)| w.max((p - q).abs()));
    assert!(worst < 1e-10 * scale, "worst {worst} of {scale}");
}

#[test]
fn nef_streamed_solve_matches_whole_matrix_solve() {
    // Big enough for the chunked, threaded path (m·n ≥ 1e6, m ≥ n), 1-D (points and neurons
    // reordered so all-zero Gram blocks are skipped); target x².
    assert_streamed_equals_whole(11, (600, 1700, 1), 1.0, |ep| ep.mapv(|v| v * v));
}

#[test]
fn nef_streamed_solve_matches_whole_matrix_solve_2d() {
    // The 2-D path (no point or neuron reordering), targets x0·x1 and x0 + x1.
    assert_streamed_equals_whole(12, (500, 2100, 2), 1.5, |ep| {
        Array2::from_shape_fn((ep.nrows(), 2), |(i, k)| {
            if k == 0 {
                ep[[i, 0]] * ep[[i, 1]]
            } else {
                ep[[i, 0]] + ep[[i, 1]]
            }
        })
    });
}

#[test]
fn nef_errors() {
    let a = Array2::<f64>::zeros((5, 3));
    let y = Array2::<f64>::ones((5, 1));
    assert_eq!(lstsq_l2(&a, &y, 0.1), Err(SolveError::AllZeroActivities));
    let a = Array2::<f64>::ones((5, 3));
    assert!(matches!(
        lstsq_l2(&a, &Array2::ones((4, 1)), 0.1),
        Err(SolveError::ShapeMismatch { .. })
    ));
    assert!(matches!(lstsq_l2(&a, &y, 0.0), Err(SolveError::Linalg(_))));
    let enc = array![[3.0, 4.0], [0.0, 0.0]];
    assert_eq!(normalize_encoders(&enc), Err(EncoderError::ZeroLength(1)));
}

// Scenario 7: `encoders=[[1],[1],[-1]], radius=2` with LIF gain_bias([100,200,300],
// [-0.5,0,0.5]) → scaled_encoders [0.6777482606, 3.0895809908, -14.5055551441]
// (Nengo 4.1 full precision: 0.6777482606, ... printed by `sim.data[ens].scaled_encoders`).
#[test]
fn nef_scaled_and_normalized_encoders() {
    let (g, _) = NeuronType::lif()
        .gain_bias(&[100.0, 200.0, 300.0], &[-0.5, 0.0, 0.5])
        .unwrap();
    let enc = normalize_encoders(&array![[2.0], [0.5], [-3.0]]).unwrap();
    assert_eq!(enc, array![[1.0], [1.0], [-1.0]]);
    let se = scaled_encoders(&enc, &g, 2.0);
    let e = [0.6777482606, 3.0895809908, -14.5055551441];
    for (x, y) in se.iter().zip(&e) {
        assert!((x - y).abs() < 1e-9, "{x} vs {y}");
    }
    let n = normalize_encoders(&array![[3.0, 4.0]]).unwrap();
    assert_eq!(n, array![[0.6, 0.8]]);
}

#[test]
fn nef_decodes_a_line_with_default_distributions() {
    // End-to-end sanity: 50 LIF neurons, default distributions, decode f(x) = x.
    let mut rng = Rng::new(0);
    let n = 50;
    let mr = crate::nef::dists::Dist::default_max_rates().sample(n, &mut rng);
    let ic = crate::nef::dists::Dist::default_intercepts().sample(n, &mut rng);
    let enc = VecDist::default_encoders().sample(n, 1, &mut rng);
    let (g, b) = NeuronType::lif().gain_bias(&mr, &ic).unwrap();
    let m = default_n_eval_points(n, 1);
    let ep = gen_eval_points(&VecDist::default_eval_points(), m, 1, 1.0, &mut rng);
    let d = solve_decoders(&NeuronType::lif(), &ep, &enc, &g, &b, 1.0, &ep, DEFAULT_REG).unwrap();
    let a = activities(&NeuronType::lif(), &ep, &enc, &g, &b, 1.0);
    let xhat = a.dot(&d);
    let rmse = ((&xhat - &ep).mapv(|v| v * v).sum() / m as f64).sqrt();
    assert!(rmse < 0.05, "rmse {rmse}");
    let _: Array1<f64> = xhat.column(0).to_owned();
}
