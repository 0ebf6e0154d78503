use std::sync::atomic::Ordering;

use super::array::PARALLEL_MIN_PULSES;
use super::pow::{has_avx2, pow_core, pulse_batch, Batch};
use super::*;
use crate::nef::rng::Rng;
use crate::threads::pulse::{Job, PulseHelper};

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

fn nominal() -> (PowerLaw, PowerLawParams) {
    let m = PowerLaw::default();
    (m, m.nominal())
}

fn array(n_post: usize, n_pre: usize) -> MemristorArray<PowerLaw> {
    MemristorArray::new(
        PowerLaw::default(),
        n_post,
        n_pre,
        1e3,
        Variability::NONE,
        &mut Rng::new(1),
    )
}

#[test]
fn check1_pulses_from_resistance() {
    let (_, p) = nominal();
    let n = PowerLaw::pulses_from_resistance(&p, 1e8);
    assert!(rel(n, 300.3266468189994) < 1e-12, "n = {n}");
}

#[test]
fn check2_pulse_sequence_and_closed_form() {
    let (m, p) = nominal();
    let n0 = PowerLaw::pulses_from_resistance(&p, 1e8);
    let expected = [
        (1, 99951478.89301668),
        (2, 99903141.97068724),
        (10, 99522923.4398156),
        (100, 95890641.713071),
        (1000, 80737863.403064),
        (20000, 54054767.17364),
    ];
    let mut r = 1e8;
    let mut k = 0;
    for &(target, value) in &expected {
        while k < target {
            r = m.pulse(&p, r);
            k += 1;
        }
        assert!(rel(r, value) < 1e-12, "{k} pulses: {r} vs {value}");
        let closed = PowerLaw::resistance_after(&p, n0 + k as f64);
        assert!(rel(r, closed) < 1e-12, "{k} pulses: {r} vs closed {closed}");
    }
}

#[test]
fn check3_conductance() {
    let (m, p) = nominal();
    assert!(rel(m.conductance(&p, 1e8), 1.130435765596318e-06) < 1e-12);
    assert!((m.conductance(&p, 200.0) - 1.0).abs() < 1e-15);
    assert_eq!(m.conductance(&p, 2.3e8), 0.0);
}

#[test]
fn check4_weight_after_pulses() {
    let (m, p) = nominal();
    let mut a = array(1, 1);
    // Δ > 0 (e < 0) pulses R⁺.
    a.mpes_step(&[-1.0], &[1.0]);
    assert_eq!(a.r_neg()[0], 1e8);
    assert!(
        rel(a.weights()[0], 9.708940720636e-07) < 1e-10,
        "{}",
        a.weights()[0]
    );
    for _ in 1..100 {
        a.mpes_step(&[-1.0], &[1.0]);
    }
    assert!(
        rel(a.weights()[0], 8.570934111763e-05) < 1e-10,
        "{}",
        a.weights()[0]
    );
    // The same on R⁻ gives exactly the negative.
    let mut b = array(1, 1);
    for _ in 0..100 {
        b.mpes_step(&[1.0], &[1.0]);
    }
    assert_eq!(b.r_pos()[0], 1e8);
    assert_eq!(b.weights()[0], -a.weights()[0]);
    // Direct formula agrees with the array's bookkeeping.
    let w = 1e3 * (m.conductance(&p, a.r_pos()[0]) - m.conductance(&p, 1e8));
    assert_eq!(w, a.weights()[0]);
    assert_eq!(a.total_pulses(), 100);
}

#[test]
fn check5_clip_before_pulse() {
    let (m, p) = nominal();
    let r = m.pulse(&p, 3e8);
    assert!(rel(r, 207863236.7773) < 1e-12, "{r}");
    let n = PowerLaw::pulses_from_resistance(&p, 2.3e8);
    assert!(rel(n, 1.0000059559) < 1e-10, "{n}");
    // Below R0 clips to R0 and stays there.
    assert_eq!(m.pulse(&p, 100.0), 200.0);
}

#[test]
fn check6_noise_off_zero_weights_and_gate() {
    let mut a = array(20, 30);
    assert!(a.weights().iter().all(|&w| w == 0.0));
    assert!(a.r_pos().iter().chain(a.r_neg()).all(|&r| r == 1e8));
    let e: Vec<f64> = (0..20)
        .map(|j| if j % 2 == 0 { 1e-5 } else { -1e-5 })
        .collect();
    let acts = vec![100.0; 30];
    assert_eq!(a.mpes_step(&e, &acts), 0);
    assert!(a.weights().iter().all(|&w| w == 0.0));
    assert!(a.r_pos().iter().chain(a.r_neg()).all(|&r| r == 1e8));
    // One error just above the gate opens it for every nonzero row.
    let mut e2 = e.clone();
    e2[3] = -1.1e-5;
    assert_eq!(a.mpes_step(&e2, &acts), 20 * 30);
}

#[test]
fn check7_gate_mask_sign() {
    let (m, p) = nominal();
    let once = m.pulse(&p, 1e8);
    let mut a = array(3, 3);
    let n = a.mpes_step(&[0.5, -0.2, 0.0], &[0.3, 10.0, 200.0]);
    assert_eq!(n, 4);
    let idx = |j: usize, i: usize| j * 3 + i;
    for j in 0..3 {
        // Column 0 untouched (rint 0.3 = 0).
        assert_eq!(a.r_pos()[idx(j, 0)], 1e8);
        assert_eq!(a.r_neg()[idx(j, 0)], 1e8);
        // Row 2 untouched.
        assert_eq!(a.r_pos()[idx(2, j)], 1e8);
        assert_eq!(a.r_neg()[idx(2, j)], 1e8);
    }
    for i in 1..3 {
        assert_eq!(a.r_neg()[idx(0, i)], once);
        assert_eq!(a.r_pos()[idx(0, i)], 1e8);
        assert!(a.weights()[idx(0, i)] < 0.0);
        assert_eq!(a.r_pos()[idx(1, i)], once);
        assert_eq!(a.r_neg()[idx(1, i)], 1e8);
        assert!(a.weights()[idx(1, i)] > 0.0);
    }
    // a = 0.5 rounds (half to even) to 0: no pulse; 0.51 pulses; 1.5 and 2.5 pulse.
    let mut b = array(1, 4);
    assert_eq!(b.mpes_step(&[1.0], &[0.5, 0.51, -0.5, 2.5]), 2);
    assert_eq!(b.r_neg()[0], 1e8);
    assert_eq!(b.r_neg()[1], once);
    assert_eq!(b.r_neg()[2], 1e8);
    assert_eq!(b.r_neg()[3], once);
}

#[test]
fn check8_at_most_one_pulse_per_device_per_step() {
    let (m, _) = nominal();
    let mut rng = Rng::new(7);
    let mut a = MemristorArray::new(m, 40, 50, 1e4, Variability::uniform(0.15), &mut rng);
    let mut e = vec![0.0; 40];
    let mut acts = vec![0.0; 50];
    for _ in 0..20 {
        for x in e.iter_mut() {
            *x = rng.uniform(-1.0, 1.0);
        }
        for x in acts.iter_mut() {
            *x = rng.uniform(-3.0, 300.0);
        }
        let before_p = a.r_pos().to_vec();
        let before_n = a.r_neg().to_vec();
        let n = a.mpes_step(&e, &acts);
        let mut changed = 0;
        for k in 0..before_p.len() {
            let (pp, pn) = (&a.params_pos()[k], &a.params_neg()[k]);
            let dp = a.r_pos()[k] != before_p[k];
            let dn = a.r_neg()[k] != before_n[k];
            assert!(!(dp && dn), "both devices of a pair pulsed");
            // One pulse of the model, up to rounding (the array keeps the pulse count
            // instead of recovering it from R).
            if dp {
                assert!(rel(a.r_pos()[k], m.pulse(pp, before_p[k])) < 1e-13);
                changed += 1;
            }
            if dn {
                assert!(rel(a.r_neg()[k], m.pulse(pn, before_n[k])) < 1e-13);
                changed += 1;
            }
            let w = a.gain() * (m.conductance(pp, a.r_pos()[k]) - m.conductance(pn, a.r_neg()[k]));
            assert_eq!(a.weights()[k], w);
        }
        assert_eq!(changed, n);
    }
}

#[test]
fn check9_lowpass_spike_and_mask() {
    // Nengo's Lowpass(0.005) at dt = 0.001: y[n] = a·y[n−1] + (1 − a)·x[n], a = exp(−dt/τ).
    let a = (-0.001f64 / 0.005).exp();
    let mut y = 0.0;
    let mut above = 0;
    for step in 0..100 {
        let x = if step == 0 { 1000.0 } else { 0.0 };
        y = a * y + (1.0 - a) * x;
        if step == 0 {
            assert!((y - 181.26924692).abs() < 1e-8, "{y}");
        }
        if y >= 0.5 {
            above += 1;
        }
    }
    assert_eq!(above, 30);
    // The filtered trace drives pulses exactly while it rounds to a nonzero value.
    let mut arr = array(1, 1);
    let mut y = 0.0;
    let mut pulses = 0;
    for step in 0..100 {
        let x = if step == 0 { 1000.0 } else { 0.0 };
        y = a * y + (1.0 - a) * x;
        pulses += arr.mpes_step(&[1.0], &[y]);
    }
    assert_eq!(pulses, 30);
}

#[test]
fn voltage_constructor_and_defaults() {
    assert!((PowerLaw::exponent_for_voltage(0.1) - -0.146).abs() < 1e-15);
    let m = PowerLaw::with_voltage(0.1);
    assert!((m.c - -0.146).abs() < 1e-15);
    assert_eq!(m.r0, 200.0);
    assert_eq!(m.r1, 2.3e8);
}

#[test]
fn scale_of_pulses() {
    let (_, p) = nominal();
    let n0 = PowerLaw::pulses_from_resistance(&p, 1e8);
    for (k, r) in [(1e4, 5.97e7), (1e5, 4.28e7), (1e6, 3.06e7)] {
        let got = PowerLaw::resistance_after(&p, n0 + k);
        assert!(rel(got, r) < 5e-3, "{k}: {got}");
    }
}

#[test]
fn variability_is_seeded_and_sane() {
    let m = PowerLaw::default();
    let v = Variability::uniform(0.15);
    let a = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(42));
    let b = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(42));
    let c = MemristorArray::new(m, 10, 20, 1e4, v, &mut Rng::new(43));
    assert_eq!(a.r_pos(), b.r_pos());
    assert_eq!(a.weights(), b.weights());
    assert_ne!(a.r_pos(), c.r_pos());
    let max_r0 = a
        .params_pos()
        .iter()
        .chain(a.params_neg())
        .map(|p| p.r0)
        .fold(f64::NEG_INFINITY, f64::max);
    for p in a.params_pos().iter().chain(a.params_neg()) {
        assert!(p.r0 >= 0.0);
        assert!(p.r1 >= p.r0 && p.r1 >= max_r0);
        assert!(p.c < 0.0);
        assert_eq!(p.inv_c, 1.0 / p.c);
    }
    // Spread of the initial resistances is about 15 %.
    let rs: Vec<f64> = a.r_pos().iter().chain(a.r_neg()).copied().collect();
    let mean = rs.iter().sum::<f64>() / rs.len() as f64;
    let sd = (rs.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / rs.len() as f64).sqrt();
    assert!(rel(mean, 1e8) < 0.03, "{mean}");
    assert!((sd / 1e8 - 0.15).abs() < 0.03, "{sd}");
    assert!(a.weights().iter().any(|&w| w != 0.0));
}

#[test]
fn linear_model_through_trait_and_enum() {
    let m = LinearConductance {
        r_on: 100.0,
        r_off: 1e6,
        step: 0.25,
        r_init: 1e6,
    };
    let p = m.nominal();
    assert_eq!(m.conductance(&p, 1e6), 0.0);
    let mut r = 1e6;
    for k in 1..=3 {
        r = m.pulse(&p, r);
        assert!((m.conductance(&p, r) - 0.25 * k as f64).abs() < 1e-12);
    }
    r = m.pulse(&p, r);
    assert_eq!(r, 100.0);
    assert_eq!(m.pulse(&p, r), 100.0);
    // Above the high bound: clipped to r_off first.
    assert!((m.conductance(&p, m.pulse(&p, 5e6)) - 0.25).abs() < 1e-12);

    let mut a = MemristorArray::new(
        Device::from(m),
        2,
        2,
        2.0,
        Variability::NONE,
        &mut Rng::new(0),
    );
    assert_eq!(a.mpes_step(&[-1.0, 1.0], &[1.0, 0.0]), 2);
    assert!((a.weights()[0] - 0.5).abs() < 1e-12);
    assert!((a.weights()[2] + 0.5).abs() < 1e-12);
    assert_eq!(a.weights()[1], 0.0);
    assert_eq!(a.weights()[3], 0.0);

    // The enum dispatches the power law identically.
    let mut b = MemristorArray::new(
        Device::default(),
        1,
        1,
        1e3,
        Variability::NONE,
        &mut Rng::new(0),
    );
    b.mpes_step(&[-1.0], &[1.0]);
    assert_eq!(b.r_pos()[0], 99951478.89301668);
}

#[test]
fn filter_stage_is_w_times_a() {
    let mut rng = Rng::new(3);
    let a = MemristorArray::new(
        PowerLaw::default(),
        3,
        4,
        1e4,
        Variability::uniform(0.15),
        &mut rng,
    );
    let acts = [1.0, 0.0, 2.0, -3.0];
    let mut out = [0.0; 3];
    a.filter_into(&acts, &mut out);
    for (j, o) in out.iter().enumerate() {
        let s: f64 = (0..4).map(|i| a.weights()[j * 4 + i] * acts[i]).sum();
        assert!((o - s).abs() <= 1e-15 * s.abs().max(1e-300));
    }
    assert_eq!(a.weights_view().shape(), &[3, 4]);
}

#[test]
fn mpes_step_200x200_is_fast() {
    let mut rng = Rng::new(11);
    let mut a = MemristorArray::new(
        PowerLaw::default(),
        200,
        200,
        1e4,
        Variability::uniform(0.15),
        &mut rng,
    );
    let e: Vec<f64> = (0..200).map(|_| rng.uniform(-1.0, 1.0)).collect();
    // About a fifth of the pre neurons active, as in a typical run.
    let acts: Vec<f64> = (0..200)
        .map(|_| if rng.next_f64() < 0.2 { 50.0 } else { 0.1 })
        .collect();
    let t = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..100 {
        total += a.mpes_step(&e, &acts);
    }
    let per_step = t.elapsed().as_secs_f64() / 100.0;
    assert!(total > 0);
    eprintln!(
        "mpes_step 200x200: {:.1} us/step, {} pulses/step",
        per_step * 1e6,
        total / 100
    );
}

/// §2 written out plainly, as the reference for the array's kernels: R recovered from n by
/// `pulse` (clip, `n = ((R − R0)/R1)^(1/c)`, `R0 + R1·(n+1)^c`) on every pulse, weights
/// recomputed from the conductances.
struct Reference<M: DeviceModel> {
    model: M,
    gain: f64,
    n_pre: usize,
    params: Vec<M::Params>,
    r_pos: Vec<f64>,
    r_neg: Vec<f64>,
}

impl<M: DeviceModel> Reference<M> {
    fn of(a: &MemristorArray<M>) -> Self {
        Reference {
            model: a.model().clone(),
            gain: a.gain(),
            n_pre: a.n_pre(),
            params: a.params_pos().to_vec(),
            r_pos: a.r_pos().to_vec(),
            r_neg: a.r_neg().to_vec(),
        }
    }

    fn step(&mut self, e: &[f64], acts: &[f64]) -> usize {
        if !e.iter().any(|e| e.abs() > MPES_ERROR_THRESHOLD) {
            return 0;
        }
        let mut pulses = 0;
        for (j, &ej) in e.iter().enumerate() {
            for (i, &a) in acts.iter().enumerate() {
                let d = if a.round_ties_even() == 0.0 {
                    0.0
                } else {
                    -ej * a
                };
                let k = j * self.n_pre + i;
                if d > 0.0 {
                    self.r_pos[k] = self.model.pulse(&self.params[k], self.r_pos[k]);
                    pulses += 1;
                } else if d < 0.0 {
                    self.r_neg[k] = self.model.pulse(&self.params[k], self.r_neg[k]);
                    pulses += 1;
                }
            }
        }
        pulses
    }

    fn conductances(&self, k: usize) -> (f64, f64) {
        let p = &self.params[k];
        (
            self.model.conductance(p, self.r_pos[k]),
            self.model.conductance(p, self.r_neg[k]),
        )
    }
}

/// Random local errors (some rows exactly 0, some subnormal, infinite or NaN now and then)
/// and activities (masked ones, negative ones, NaN now and then).
fn random_inputs(rng: &mut Rng, e: &mut [f64], acts: &mut [f64], step: usize) {
    for x in e.iter_mut() {
        *x = match rng.next_f64() {
            u if u < 0.1 => 0.0,
            u if u < 0.12 => rng.uniform(-1.0, 1.0) * 1e-310,
            _ => rng.uniform(-1.0, 1.0),
        };
    }
    for x in acts.iter_mut() {
        *x = match rng.next_f64() {
            u if u < 0.3 => rng.uniform(0.0, 0.5),
            u if u < 0.4 => rng.uniform(-50.0, -0.3),
            u if u < 0.45 => 0.5,
            _ => rng.uniform(0.3, 300.0),
        };
    }
    if step % 97 == 5 {
        e[1] = f64::NEG_INFINITY;
        e[2] = f64::NAN;
        acts[3] = f64::NAN;
        acts[4] = f64::INFINITY;
        // Subnormal e times a small a underflows to 0: no pulse.
        e[0] = 4e-324;
        acts[5] = 0.51;
    }
}

/// Runs `a` against the reference for `steps` steps; every `reset_every` steps, sets some
/// resistances outside the bounds (above R1, below R0, at R1) on both arrays.
fn compare_with_reference<M: DeviceModel>(
    a: MemristorArray<M>,
    steps: usize,
    seed: u64,
    tol: f64,
) -> u64 {
    compare_with_reference_on(a, steps, seed, tol, None)
}

/// [`compare_with_reference`], sharing large steps with `helper`.
fn compare_with_reference_on<M: DeviceModel>(
    mut a: MemristorArray<M>,
    steps: usize,
    seed: u64,
    tol: f64,
    helper: Option<&PulseHelper>,
) -> u64 {
    let mut reference = Reference::of(&a);
    let (n_post, n_pre) = (a.n_post(), a.n_pre());
    let mut rng = Rng::new(seed);
    let mut e = vec![0.0; n_post];
    let mut acts = vec![0.0; n_pre];
    for step in 0..steps {
        random_inputs(&mut rng, &mut e, &mut acts, step);
        // A closed gate now and then.
        if step % 50 == 7 {
            e.iter_mut().for_each(|x| *x = 1e-5);
        }
        let expect = reference.step(&e, &acts);
        assert_eq!(
            a.mpes_step_with(&e, &acts, helper),
            expect,
            "pulses at step {step}"
        );
        if step % 400 == 399 && step + 1 < steps {
            let (mut rp, mut rn) = (a.r_pos().to_vec(), a.r_neg().to_vec());
            for k in (0..rp.len()).step_by(7) {
                let (lo, hi) = a.model().bounds(&a.params_pos()[k]);
                rp[k] = [hi * 1.3, lo * 0.5, hi, lo][(k / 7) % 4];
                rn[k] = [lo * 0.5, hi * 1.01, lo, hi][(k / 7) % 4];
            }
            a.set_resistances(&rp, &rn);
            reference.r_pos.copy_from_slice(&rp);
            reference.r_neg.copy_from_slice(&rn);
        }
    }
    let mut worst = 0.0f64;
    for k in 0..a.weights().len() {
        for (got, want) in [
            (a.r_pos()[k], reference.r_pos[k]),
            (a.r_neg()[k], reference.r_neg[k]),
        ] {
            if got != want {
                worst = worst.max(rel(got, want));
            }
            assert!(
                got == want || rel(got, want) <= tol,
                "device {k}: {got} vs {want}"
            );
        }
        let (gp, gn) = reference.conductances(k);
        let w = reference.gain * (gp - gn);
        assert!(
            (a.weights()[k] - w).abs() <= tol * reference.gain * (gp.abs() + gn.abs()),
            "weight {k}: {} vs {w}",
            a.weights()[k]
        );
    }
    eprintln!(
        "{n_post}×{n_pre}, {} pulses: worst relative difference of R {worst:e}",
        a.total_pulses()
    );
    a.total_pulses()
}

#[test]
fn power_law_kernel_matches_the_reference() {
    // 30 × 40 devices, σ = 0.15: thousands of pulses per device.
    let m = PowerLaw::default();
    let v = Variability::uniform(0.15);
    let a = MemristorArray::new(m, 30, 40, 1e4, v, &mut Rng::new(21));
    let pulses = compare_with_reference(a, 4000, 1, 1e-12);
    assert!(pulses > 30 * 40 * 2000, "{pulses}");
    // The same through the `Device` enum, and without variability.
    let a = MemristorArray::new(Device::default(), 30, 40, 1e3, v, &mut Rng::new(22));
    compare_with_reference(a, 1500, 2, 1e-12);
    let a = MemristorArray::new(m, 7, 9, 1e3, Variability::NONE, &mut Rng::new(23));
    compare_with_reference(a, 3000, 3, 1e-12);
}

#[test]
fn large_arrays_share_rows_with_the_helper_and_match_the_reference() {
    // Above PARALLEL_MIN_PULSES: the step may be shared with the helper thread.
    let m = Device::default();
    let a = MemristorArray::new(
        m,
        90,
        120,
        1e4,
        Variability::uniform(0.15),
        &mut Rng::new(31),
    );
    const { assert!(90 * 120 >= PARALLEL_MIN_PULSES) };
    assert!(a.wants_pulse_helper());
    let helper = PulseHelper::start().expect("a helper thread");
    compare_with_reference_on(a, 500, 4, 1e-12, Some(&helper));
}

#[test]
fn helper_hand_over_runs_every_item_once_and_returns_only_when_done() {
    use std::sync::atomic::{AtomicU32, AtomicUsize};
    /// Work items claimed one at a time by whichever thread runs the job.
    struct Items {
        next: AtomicUsize,
        done: Vec<AtomicU32>,
        spin: u32,
    }
    unsafe fn run(data: *const ()) {
        // SAFETY: `data` is the `Items` of the poster, alive until `run_shared` returns.
        let items = unsafe { &*data.cast::<Items>() };
        loop {
            let i = items.next.fetch_add(1, Ordering::Relaxed);
            let Some(d) = items.done.get(i) else { return };
            for _ in 0..items.spin {
                std::hint::spin_loop();
            }
            d.fetch_add(1, Ordering::Relaxed);
        }
    }
    let helper = PulseHelper::start().expect("a helper thread");
    let mut rng = Rng::new(77);
    for round in 0..3000 {
        let n = (rng.uniform(0.0, 64.0)) as usize;
        let items = Items {
            next: AtomicUsize::new(0),
            done: (0..n).map(|_| AtomicU32::new(0)).collect(),
            spin: if round % 3 == 0 { 200 } else { 0 },
        };
        let job = Job {
            run,
            data: (&items as *const Items).cast(),
        };
        // SAFETY: `run` only claims items through atomics, so two threads may run it at once.
        unsafe { helper.run_shared(job) };
        // Returned: nobody runs the job any more, and every item ran exactly once.
        assert!(
            items.done.iter().all(|d| d.load(Ordering::Relaxed) == 1),
            "round {round}, {n} items"
        );
        if round % 500 == 499 {
            // Long enough for the helper to stop spinning and sleep.
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
}

#[test]
fn helper_thread_gives_bit_identical_results() {
    let m = PowerLaw::default();
    let a = MemristorArray::new(
        m,
        100,
        150,
        1e4,
        Variability::uniform(0.15),
        &mut Rng::new(41),
    );
    let mut b = a.clone();
    let mut a = a;
    let helper = PulseHelper::start().expect("a helper thread");
    let mut rng = Rng::new(5);
    let mut e = vec![0.0; 100];
    let mut acts = vec![0.0; 150];
    for step in 0..200 {
        random_inputs(&mut rng, &mut e, &mut acts, step);
        // `a` shares its steps with the helper, `b` works alone through the same kernel; now and
        // then the helper is busy, so `a` works alone too.
        let busy = step % 7 == 3 && helper.try_claim();
        let na = a.mpes_step_with(&e, &acts, Some(&helper));
        if busy {
            helper.release();
        }
        let nb = b.mpes_step(&e, &acts);
        assert_eq!(na, nb);
    }
    assert_eq!(a.r_pos(), b.r_pos());
    assert_eq!(a.r_neg(), b.r_neg());
    assert_eq!(a.weights(), b.weights());
}

#[test]
fn linear_model_kernel_matches_the_reference_exactly() {
    let m = LinearConductance {
        r_init: 1e8,
        ..LinearConductance::default()
    };
    let a = MemristorArray::new(m, 12, 17, 2.0, Variability::uniform(0.1), &mut Rng::new(51));
    compare_with_reference(a, 1500, 6, 0.0);
}

#[test]
fn vector_power_is_within_a_few_ulp_of_powf() {
    let mut rng = Rng::new(61);
    let n = 4099;
    let mut b = Batch::new(n);
    for k in 0..n {
        b.x[k] = 1.0 + (rng.uniform(0.0, 25.0)).exp();
        b.c[k] = rng.uniform(-1.0, 1.0);
        b.r0[k] = 0.0;
        b.r1[k] = 1.0;
        b.inv_r1[k] = 1.0;
        b.g_den[k] = 1.0;
    }
    b.x[0] = 1.0;
    b.x[1] = 1.0000059559;
    b.x[2] = std::f64::consts::SQRT_2;
    b.x[3] = 2.0;
    assert!(pulse_batch::<true>(&mut b, n, 1.0, false));
    // The error is that of t = c·ln x (about |t| ulp of t) plus a few ulp: for the devices'
    // range (c ≈ −0.15, x ≤ 1e7, |t| ≤ 3) about 10 ulp at most.
    for k in 0..n {
        let (x, c) = (b.x[k], b.c[k]);
        let want = x.powf(c);
        let t = (c * x.ln()).abs();
        assert!(
            rel(b.r[k], want) <= (4.0 + 2.0 * t) * f64::EPSILON,
            "{x}^{c}: {} vs {want}",
            b.r[k]
        );
    }
    assert_eq!(pow_core(1.0, -0.146), 1.0);
    // The AVX2 path gives the same bits.
    if has_avx2() {
        let mut v = b.clone();
        assert!(pulse_batch::<true>(&mut v, n, 1.0, true));
        assert_eq!(v.r, b.r);
        assert_eq!(v.g, b.g);
        assert_eq!(v.w, b.w);
    }
    // Out of range: reported, for the caller's `powf`.
    b.x[7] = f64::INFINITY;
    assert!(!pulse_batch::<true>(&mut b, n, 1.0, false));
    b.x[7] = 2.0;
    b.c[8] = 1.5;
    assert!(!pulse_batch::<false>(&mut b, n, 1.0, false));
}
