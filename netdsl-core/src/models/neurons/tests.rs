use super::lif::{lif_one, LifConsts};
use super::*;

const DT: f64 = 0.001;

/// The constants of a LIF neuron with `tau_rc = 0.02`, `tau_ref = 0.002`, amplitude 1 and
/// `min_voltage`, at `DT`, computed as `NeuronStepper` computes them.
fn lif_consts(min_voltage: f64) -> LifConsts {
    LifConsts {
        dt: DT,
        spike: 1.0 / DT,
        decay_full: (-DT / 0.02f64).exp_m1(),
        decay_none: (-0.0f64 / 0.02).exp_m1(),
        tau_rc: 0.02,
        tau_ref: 0.002,
        min_voltage,
    }
}

#[test]
fn lif_block_path_is_bit_identical_to_scalar_reference() {
    // 1100 neurons (two blocks and a partial one), currents from below threshold to fast
    // firing plus a NaN and infinities, 300 steps: the block path equals `lif_one` bit for bit.
    let kind = NeuronType::Lif {
        tau_rc: 0.02,
        tau_ref: 0.002,
        min_voltage: -0.5,
        amplitude: 1.0,
    };
    let st = NeuronStepper::new(&kind, DT);
    let c = lif_consts(-0.5);
    let n = 1100;
    let mut rng = crate::nef::rng::Rng::new(5);
    let mut j: Vec<f64> = (0..n).map(|_| rng.uniform(-3.0, 40.0)).collect();
    j[3] = f64::NAN;
    j[700] = f64::INFINITY;
    j[701] = f64::NEG_INFINITY;
    let mut v: Vec<f64> = (0..n).map(|_| rng.uniform(0.0, 1.0)).collect();
    let mut r: Vec<f64> = (0..n).map(|_| rng.uniform(-0.004, 0.003)).collect();
    let (mut v2, mut r2) = (v.clone(), r.clone());
    let (mut o, mut o2) = (vec![0.0; n], vec![0.0; n]);
    // Bits, with every NaN alike (only a NaN's sign/payload may differ between paths).
    let bits = |x: &[f64]| {
        x.iter()
            .map(|f| if f.is_nan() { 1 } else { f.to_bits() })
            .collect::<Vec<_>>()
    };
    // The AVX2 block pass with the scalar slow path (what runs where the vector
    // `expm1`/`log1p` disagree with the C library).
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::arch::is_x86_feature_detected!("avx2");
    let (mut v3, mut r3, mut o3) = (v.clone(), r.clone(), vec![0.0; n]);
    let mut seen_finite = false;
    for step in 0..300 {
        if step == 150 {
            // The second half without the non-finite currents (and with the state they made
            // non-finite reset, since a NaN state stays NaN).
            (j[3], j[700], j[701]) = (5.0, 10.0, -1.0);
            for k in [3, 700, 701] {
                (v[k], v2[k], v3[k]) = (0.5, 0.5, 0.5);
                (r[k], r2[k], r3[k]) = (0.0, 0.0, 0.0);
            }
        }
        let finite = st.step_checked(&j, &mut o, &mut v, &mut r);
        let mut want = true;
        for i in 0..n {
            want &= lif_one(&c, j[i], &mut o2[i], &mut v2[i], &mut r2[i]).is_finite();
        }
        // Here (no overflow) that is also every input and every new voltage finite.
        assert_eq!(
            want,
            crate::step::kernels::both_finite(&v2, &j),
            "step {step}"
        );
        assert_eq!(finite, want, "finiteness, step {step}");
        seen_finite |= finite;
        assert_eq!(bits(&o), bits(&o2), "output, step {step}");
        assert_eq!(bits(&v), bits(&v2), "voltage, step {step}");
        assert_eq!(bits(&r), bits(&r2), "refractory, step {step}");
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: AVX2 checked; no FMA needed with vector_ok = false; equal lengths.
            let finite = unsafe { lif_simd::step_blocks(&c, &j, &mut o3, &mut v3, &mut r3, false) };
            assert_eq!(finite, want, "scalar slow path: finiteness, step {step}");
            assert_eq!(
                bits(&o3),
                bits(&o2),
                "scalar slow path: output, step {step}"
            );
            assert_eq!(
                bits(&v3),
                bits(&v2),
                "scalar slow path: voltage, step {step}"
            );
            assert_eq!(
                bits(&r3),
                bits(&r2),
                "scalar slow path: refractory, step {step}"
            );
        }
        j.iter_mut().for_each(|x| *x *= 0.999);
    }
    assert!(seen_finite, "the finite half was checked too");
}

#[test]
fn lif_overflowing_update_keeps_the_numbers_and_is_reported_on_every_path() {
    // Finite inputs whose voltage update overflows (J − v is infinite), in each kind of step
    // on its own — full, fully refractory, leaving the refractory period — for 15 neurons
    // (vector groups and a scalar tail): the neurons step as the scalar reference does,
    // and every path reports the step as not finite, as the reference's own update says.
    let st = NeuronStepper::new(&NeuronType::lif(), DT);
    let c = lif_consts(0.0);
    let n = 15;
    let bits = |x: &[f64]| {
        x.iter()
            .map(|f| if f.is_nan() { 1 } else { f.to_bits() })
            .collect::<Vec<_>>()
    };
    // Upwards (the neuron spikes and resets to 0) and downwards (clipped to min_voltage).
    for (kind, r_before, j_in, v_before) in [
        ("full, up", 0.0, f64::MAX, -f64::MAX),
        ("full, down", 0.0, -f64::MAX, f64::MAX),
        ("refractory", 0.0025, f64::MAX, -f64::MAX),
        ("partial, up", 0.0013, f64::MAX, -f64::MAX),
        ("partial, down", 0.0013, -f64::MAX, f64::MAX),
    ] {
        let (j, v0) = (vec![j_in; n], vec![v_before; n]);
        let r0 = vec![r_before; n];
        let (mut o2, mut v2, mut r2) = (vec![0.0; n], v0.clone(), r0.clone());
        let mut reference_finite = true;
        for i in 0..n {
            let vv = lif_one(&c, j[i], &mut o2[i], &mut v2[i], &mut r2[i]);
            reference_finite &= vv.is_finite();
        }
        assert!(!reference_finite, "{kind}: the update overflows");
        let check = |path: &str, finite: bool, o: &[f64], v: &[f64], r: &[f64]| {
            assert!(!finite, "{kind}, {path}: the overflow is reported");
            assert_eq!(
                (bits(o), bits(v), bits(r)),
                (bits(&o2), bits(&v2), bits(&r2)),
                "{kind}, {path}: the numbers"
            );
        };
        let (mut o, mut v, mut r) = (vec![0.0; n], v0.clone(), r0.clone());
        let finite = st.step_checked(&j, &mut o, &mut v, &mut r);
        check("step_checked", finite, &o, &v, &r);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            let (mut o, mut v, mut r) = (vec![0.0; n], v0.clone(), r0.clone());
            // SAFETY: AVX2 checked; no FMA needed with vector_ok = false; equal lengths.
            let finite = unsafe { lif_simd::step_blocks(&c, &j, &mut o, &mut v, &mut r, false) };
            check("scalar slow path", finite, &o, &v, &r);
        }
    }
}

fn rel_err(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        a.abs()
    } else {
        ((a - b) / b).abs()
    }
}

// Scenario 6 of the semantics doc; expected values from Nengo 4.1:
// `LIF().step(0.001, J=[2.0], output, voltage=[0.0], refractory_time=[0.0])` repeated 100
// times, voltages and refractory times printed with repr().
#[test]
fn neurons_lif_single_neuron_matches_nengo() {
    let lif = NeuronType::lif();
    let stepper = NeuronStepper::new(&lif, DT);
    let (mut v, mut r, mut out) = ([0.0], [0.0], [0.0]);
    let mut spikes = Vec::new();
    let mut volts = Vec::new();
    let mut refr = Vec::new();
    for step in 1..=100 {
        stepper.step(&[2.0], &mut out, &mut v, &mut r);
        volts.push(v[0]);
        if out[0] != 0.0 {
            assert_eq!(out[0], 1000.0);
            spikes.push(step);
            refr.push(r[0]);
        }
    }
    assert_eq!(spikes, vec![14, 30, 46, 62, 78, 94]);
    let expected_v = [
        0.09754115099857198,
        0.19032516392808085,
        0.2785840471498844,
        0.36253849384403625,
        0.44239843385719024,
        0.5183635586365642,
        0.5906238205625731,
        0.6593599079287213,
        0.7247436967564533,
        0.786938680574733,
        0.8461003792390265,
        0.902376727811947,
        0.9559084464779678,
        0.0,
        0.0,
        0.01365878483436189,
    ];
    for (k, (&got, &exp)) in volts.iter().zip(&expected_v).enumerate() {
        assert!((got - exp).abs() <= 1e-15, "step {}: {got} vs {exp}", k + 1);
    }
    assert!((volts[99] - 0.42850049240723914).abs() <= 1e-14);
    let expected_r = [
        0.0028629436111989068,
        0.0027258872223978156,
        0.00258883083359672,
        0.0024517744447956273,
        0.0023147180559945357,
        0.0021776616671934424,
    ];
    for (&got, &exp) in refr.iter().zip(&expected_r) {
        assert!((got - exp).abs() <= 1e-17, "{got} vs {exp}");
    }
    // The NeuronType convenience step gives the same bits.
    let (mut v2, mut r2, mut o2) = ([0.0], [0.0], [0.0]);
    for _ in 0..100 {
        lif.step(DT, &[2.0], &mut o2, &mut v2, &mut r2);
    }
    assert_eq!(v2[0].to_bits(), v[0].to_bits());
    assert_eq!(r2[0].to_bits(), r[0].to_bits());
}

// Expected values from Nengo 4.1: `LIF(tau_rc=0.03, tau_ref=0.001, min_voltage=-0.5,
// amplitude=0.5).step` 200 times with dt=0.001, J=[-3, 0.5, 1.5, 3, 10],
// v0=[0.5, 0.9, 0, 0.2, 0.99], r0=0; final voltage, refractory_time and summed output.
#[test]
fn neurons_lif_params_min_voltage_match_nengo() {
    let lif = NeuronType::Lif {
        tau_rc: 0.03,
        tau_ref: 0.001,
        min_voltage: -0.5,
        amplitude: 0.5,
    };
    let stepper = NeuronStepper::new(&lif, DT);
    let j = [-3.0, 0.5, 1.5, 3.0, 10.0];
    let mut v = [0.5, 0.9, 0.0, 0.2, 0.99];
    let mut r = [0.0; 5];
    let mut out = [0.0; 5];
    let mut total = [0.0; 5];
    for _ in 0..200 {
        stepper.step(&j, &mut out, &mut v, &mut r);
        for (t, o) in total.iter_mut().zip(&out) {
            *t += o;
        }
    }
    let ev = [
        -0.5,
        0.5005090535205358,
        0.9519964141596743,
        0.4273683273057854,
        0.0,
    ];
    let er = [
        -0.20000000000000015,
        -0.20000000000000015,
        -0.029208156699783532,
        -0.003610487495934562,
        0.0017524573757906915,
    ];
    let et = [0.0, 0.0, 2500.0, 7500.0, 24500.0];
    for i in 0..5 {
        assert!(
            (v[i] - ev[i]).abs() <= 1e-13,
            "v[{i}] {} vs {}",
            v[i],
            ev[i]
        );
        assert!(
            (r[i] - er[i]).abs() <= 1e-15,
            "r[{i}] {} vs {}",
            r[i],
            er[i]
        );
        assert_eq!(total[i], et[i]);
    }
}

// Scenario 7; expected values from Nengo 4.1 `LIF().gain_bias([100, 200, 300],
// [-0.5, 0, 0.5])`, printed with repr().
#[test]
fn neurons_lif_gain_bias_matches_nengo() {
    let (g, b) = NeuronType::lif()
        .gain_bias(&[100.0, 200.0, 300.0], &[-0.5, 0.0, 0.5])
        .unwrap();
    let eg = [1.355496521146491, 6.179161981676415, 29.01111028815295];
    let eb = [1.6777482605732454, 1.0, -13.505555144076475];
    for i in 0..3 {
        assert!(rel_err(g[i], eg[i]) < 1e-14, "gain {} vs {}", g[i], eg[i]);
        assert!(rel_err(b[i], eb[i]) < 1e-14, "bias {} vs {}", b[i], eb[i]);
    }
    // The doc's 10-digit values, to 1e-9.
    assert!((g[2] - 29.0111102882).abs() < 1e-9);
    assert!((b[0] - 1.6777482606).abs() < 1e-9);
}

// Expected: Nengo 4.1 `LIFRate(tau_rc=0.05, tau_ref=0.003, amplitude=2).gain_bias(
// [10, 150, 300], [-0.9, 0.2, 0.8])`.
#[test]
fn neurons_lif_rate_gain_bias_params_match_nengo() {
    let lr = NeuronType::LifRate {
        tau_rc: 0.05,
        tau_ref: 0.003,
        amplitude: 2.0,
    };
    let (g, b) = lr
        .gain_bias(&[10.0, 150.0, 300.0], &[-0.9, 0.2, 0.8])
        .unwrap();
    let eg = [0.08832652884256995, 16.428092749760314, 747.5027777757228];
    let eb = [1.079493875958313, -2.285618549952063, -597.0022222205783];
    for i in 0..3 {
        assert!(rel_err(g[i], eg[i]) < 1e-13, "gain {} vs {}", g[i], eg[i]);
        assert!(rel_err(b[i], eb[i]) < 1e-13, "bias {} vs {}", b[i], eb[i]);
    }
}

#[test]
fn neurons_gain_bias_errors() {
    let lif = NeuronType::lif();
    assert!(matches!(
        lif.gain_bias(&[100.0, 500.0], &[0.0, 0.0]),
        Err(NeuronError::MaxRateTooHigh { index: 1, .. })
    ));
    assert!(matches!(
        lif.gain_bias(&[100.0, 200.0], &[0.0, 1.0]),
        Err(NeuronError::BadGain { index: 1, .. })
    ));
    assert!(matches!(
        lif.gain_bias(&[100.0, 200.0], &[0.0, 1.5]),
        Err(NeuronError::BadGain { index: 1, .. })
    ));
    assert!(matches!(
        lif.gain_bias(&[100.0], &[0.0, 1.5]),
        Err(NeuronError::LengthMismatch { .. })
    ));
    assert_eq!(
        NeuronType::Direct.gain_bias(&[1.0], &[0.0]),
        Err(NeuronError::DirectMode)
    );
    let msg = lif.gain_bias(&[600.0], &[0.0]).unwrap_err().to_string();
    assert!(msg.contains("500.000"), "{msg}");
}

// Scenario 8; expected: Nengo 4.1 `LIFRate().step(0.001, J=[0.5, 1, 1.0001, 1.5, 2, 5], out)`
// and `LIFRate(tau_rc=0.05, tau_ref=0.003, amplitude=2).step(0.001, [0.5, 1.7, 30], out)`.
#[test]
fn neurons_lif_rate_curve_matches_nengo() {
    let j = [0.5, 1.0, 1.0001, 1.5, 2.0, 5.0];
    let expected = [
        0.0,
        0.0,
        5.370315262137968,
        41.71490687414834,
        63.04000219064139,
        154.72999475512455,
    ];
    for nt in [NeuronType::lif_rate(), NeuronType::lif()] {
        let mut out = [1.0; 6];
        nt.rates(&j, &mut out);
        for i in 0..6 {
            assert!(
                rel_err(out[i], expected[i]) < 1e-14,
                "{} vs {}",
                out[i],
                expected[i]
            );
        }
    }
    let mut out = [1.0; 6];
    NeuronStepper::new(&NeuronType::lif_rate(), DT).step(&j, &mut out, &mut [], &mut []);
    assert!(rel_err(out[5], expected[5]) < 1e-14);
    let lr = NeuronType::LifRate {
        tau_rc: 0.05,
        tau_ref: 0.003,
        amplitude: 2.0,
    };
    let mut out = [1.0; 3];
    lr.rates(&[0.5, 1.7, 30.0], &mut out);
    let e = [0.0, 42.225129410612695, 425.9780513335139];
    for i in 0..3 {
        assert!(rel_err(out[i], e[i]) < 1e-14);
    }
}

// Expected: Nengo 4.1 `LIF().max_rates_intercepts(g, b)` with (g, b) = the full-precision
// output of `LIF().gain_bias([100, 200, 300], [-0.5, 0, 0.5])`.
#[test]
fn neurons_max_rates_intercepts_matches_nengo() {
    let g = [1.355496521146491, 6.179161981676415, 29.01111028815295];
    let b = [1.6777482605732454, 1.0, -13.505555144076475];
    let (mr, ic) = NeuronType::lif().max_rates_intercepts(&g, &b);
    let emr = [100.0, 200.0, 300.0000000000001];
    let eic = [-0.49999999999999994, 0.0, 0.5];
    for i in 0..3 {
        assert!(rel_err(mr[i], emr[i]) < 1e-12, "{} vs {}", mr[i], emr[i]);
        assert!((ic[i] - eic[i]).abs() < 1e-15);
    }
}

// Expected: Nengo 4.1 `RectifiedLinear().gain_bias([100, 200], [-0.5, 0.3])` and
// `.max_rates_intercepts([2, 5], [0.5, -1])`.
#[test]
fn neurons_relu_gain_bias_matches_nengo() {
    let relu = NeuronType::rectified_linear();
    let (g, b) = relu.gain_bias(&[100.0, 200.0], &[-0.5, 0.3]).unwrap();
    assert_eq!(g, vec![66.66666666666667, 285.7142857142857]);
    assert_eq!(b, vec![33.333333333333336, -85.71428571428571]);
    let (mr, ic) = relu.max_rates_intercepts(&[2.0, 5.0], &[0.5, -1.0]);
    assert_eq!(mr, vec![2.5, 4.0]);
    assert_eq!(ic, vec![-0.25, 0.2]);
    let mut out = [0.0; 3];
    NeuronType::RectifiedLinear { amplitude: 2.0 }.rates(&[-1.0, 0.0, 1.5], &mut out);
    assert_eq!(out, [0.0, 0.0, 3.0]);
}

// Scenario 9; expected: Nengo 4.1 `SpikingRectifiedLinear().step` with J=[60.1, 150.2],
// v0=0, 1000 steps: first spikes at steps 17 and 7, 60 and 150 spikes, final voltages
// [0.10000000000001559, 0.20000000000000007]; and `SpikingRectifiedLinear(amplitude=0.5)
// .step(0.001, [2500, -3, 1234.5], out, voltage=[0.3, 0.5, 0.9])`.
#[test]
fn neurons_spiking_relu_matches_nengo() {
    let nt = NeuronType::spiking_rectified_linear();
    let stepper = NeuronStepper::new(&nt, DT);
    let j = [60.1, 150.2];
    let mut v = [0.0, 0.0];
    let mut out = [0.0; 2];
    let mut first = [None, None];
    let mut count = [0.0; 2];
    for step in 1..=1000 {
        stepper.step(&j, &mut out, &mut v, &mut []);
        for i in 0..2 {
            if out[i] > 0.0 && first[i].is_none() {
                first[i] = Some(step);
            }
            count[i] += out[i] * DT;
        }
    }
    assert_eq!(first, [Some(17), Some(7)]);
    assert!((count[0] - 60.0).abs() < 1e-9 && (count[1] - 150.0).abs() < 1e-9);
    assert!((v[0] - 0.10000000000001559).abs() < 1e-15);
    assert!((v[1] - 0.20000000000000007).abs() < 1e-15);

    let s2 = NeuronStepper::new(&NeuronType::SpikingRectifiedLinear { amplitude: 0.5 }, DT);
    let mut v = [0.3, 0.5, 0.9];
    let mut out = [0.0; 3];
    s2.step(&[2500.0, -3.0, 1234.5], &mut out, &mut v, &mut []);
    assert_eq!(out, [1000.0, 0.0, 1000.0]);
    let ev = [0.7999999999999998, 0.5, 0.13450000000000006];
    for i in 0..3 {
        assert!((v[i] - ev[i]).abs() < 1e-15);
    }
}

#[test]
fn neurons_flags_and_defaults() {
    assert!(NeuronType::lif().is_spiking() && NeuronType::lif().has_state());
    assert!(!NeuronType::lif_rate().is_spiking());
    assert!(NeuronType::spiking_rectified_linear().has_state());
    assert!(!NeuronType::spiking_rectified_linear().has_refractory());
    assert!(!NeuronType::Direct.has_state());
    assert_eq!(
        NeuronType::lif().default_initial_voltage(),
        Some(Dist::Uniform {
            low: 0.0,
            high: 1.0
        })
    );
    let mut out = [0.0; 2];
    NeuronType::Direct.rates(&[0.25, -3.0], &mut out);
    assert_eq!(out, [0.25, -3.0]);
}
