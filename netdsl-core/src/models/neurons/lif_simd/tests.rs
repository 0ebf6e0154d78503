use super::*;
use crate::nef::rng::Rng;

fn run<F: Fn(__m256d) -> __m256d>(f: F, x: [f64; 4]) -> [f64; 4] {
    let mut o = [0.0; 4];
    // SAFETY: four f64 each; callers check the CPU features first.
    unsafe { _mm256_storeu_pd(o.as_mut_ptr(), f(_mm256_loadu_pd(x.as_ptr()))) };
    o
}

fn cpu_ok() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

/// Whether the vector path runs here (the CPU has the features and the self-check passed);
/// says so when the test is skipped.
fn vector_path_here() -> bool {
    let here = cpu_ok() && available();
    if !here {
        eprintln!("vector LIF path unavailable here; skipped");
    }
    here
}

/// A million random arguments over each short branch (uniform and log-uniform magnitudes):
/// every result equals the C library's bit for bit. Skipped where the self-check says the
/// library rounds differently (then the vector path is never used).
#[test]
fn vector_expm1_log1p_are_bit_identical_to_libm() {
    if !vector_path_here() {
        return;
    }
    let mut rng = Rng::new(12345);
    let mut mismatches = 0;
    for _ in 0..250_000 {
        let mut ex = [0.0; 4];
        let mut lx = [0.0; 4];
        for l in 0..4 {
            let u = rng.uniform(0.0, 1.0);
            let mag = if l % 2 == 0 {
                0.3465 * u
            } else {
                0.3465 * 10f64.powf(-15.0 * u)
            };
            ex[l] = if rng.uniform(0.0, 1.0) < 0.5 {
                -mag
            } else {
                mag
            };
            let w = rng.uniform(0.0, 1.0);
            lx[l] = -if l % 2 == 0 {
                0.2929 * w
            } else {
                0.2929 * 10f64.powf(-7.5 * w)
            };
            lx[l] = lx[l].min(-1.9e-9);
        }
        // SAFETY: vector_path_here() above.
        let e = run(|x| unsafe { expm1_short(x) }, ex);
        let lg = run(|x| unsafe { log1p_short(x) }, lx);
        for l in 0..4 {
            mismatches += (e[l].to_bits() != ex[l].exp_m1().to_bits()) as usize;
            mismatches += (lg[l].to_bits() != lx[l].ln_1p().to_bits()) as usize;
        }
    }
    assert_eq!(mismatches, 0);
}

/// A million arguments of the general positive `log1p` (log-uniform over its range, and
/// dense around the branch bound `sqrt(2) - 1` and the powers of two): every covered lane
/// equals the library bit for bit, and the rare uncovered ones are few.
#[test]
fn vector_log1p_positive_is_bit_identical_to_libm() {
    if !vector_path_here() {
        return;
    }
    let mut rng = Rng::new(777);
    let (mut mismatches, mut uncovered) = (0, 0);
    for k in 0..250_000 {
        let mut x = [0.0; 4];
        for (l, v) in x.iter_mut().enumerate() {
            let u = rng.uniform(0.0, 1.0);
            *v = match (k + l) % 3 {
                0 => (2f64).powf(-29.0 + 82.0 * u),
                1 => 0.40 + 0.03 * u,
                _ => (2f64).powi((u * 20.0) as i32 - 4) * rng.uniform(0.999, 1.001),
            };
        }
        // SAFETY: vector_path_here() above.
        let (r, bad) = unsafe { log1p_positive(_mm256_loadu_pd(x.as_ptr())) };
        let mut ro = [0.0; 4];
        // SAFETY: four f64.
        unsafe { _mm256_storeu_pd(ro.as_mut_ptr(), r) };
        for l in 0..4 {
            if bad & (1 << l) != 0 {
                uncovered += 1;
            } else if ro[l].to_bits() != x[l].ln_1p().to_bits() {
                mismatches += 1;
            }
        }
    }
    assert_eq!(mismatches, 0);
    assert!(
        uncovered < 10_000,
        "{uncovered} arguments fell back to the library"
    );
}

/// The vector LIF rate curve equals the scalar one on currents below, at and far above
/// threshold, and on non-finite ones.
#[test]
fn vector_lif_rates_are_bit_identical() {
    if !vector_path_here() {
        return;
    }
    let mut rng = Rng::new(9);
    let mut j: Vec<f64> = (0..100_003)
        .map(|k| match k % 4 {
            0 => rng.uniform(-5.0, 5.0),
            1 => 1.0 + (10f64).powf(rng.uniform(-17.0, 0.0)),
            2 => (10f64).powf(rng.uniform(0.0, 9.0)),
            _ => rng.uniform(0.9, 1.1),
        })
        .collect();
    j[5] = f64::NAN;
    j[6] = f64::INFINITY;
    j[7] = f64::NEG_INFINITY;
    j[8] = 1.0;
    let (tau_rc, tau_ref, amp) = (0.02, 0.002, 1.0);
    let mut got = vec![0.0; j.len()];
    // SAFETY: vector_path_here() above.
    unsafe { lif_rates(tau_rc, tau_ref, amp, &j, &mut got) };
    for (k, (&jv, &g)) in j.iter().zip(&got).enumerate() {
        let jm1 = jv - 1.0;
        let want = if jm1 > 0.0 {
            amp / (tau_ref + tau_rc * (1.0 / jm1).ln_1p())
        } else {
            0.0
        };
        assert_eq!(g.to_bits(), want.to_bits(), "J = {jv} (index {k})");
    }
}

/// Arguments just inside and outside each branch's bounds are accepted or refused as the
/// library's branch tests do.
#[test]
fn branch_bounds_match_the_library() {
    if !cpu_ok() {
        return;
    }
    let word = |h: u64| f64::from_bits(h << 32);
    let lanes = |x: f64, lo, hi| {
        let mut o = [0.0; 4];
        // SAFETY: cpu_ok() above.
        unsafe { _mm256_storeu_pd(o.as_mut_ptr(), high_word_in(_mm256_set1_pd(x), lo, hi)) };
        o[0].to_bits() != 0
    };
    assert!(lanes(word(0xbe20_0000), 0xbe20_0000, 0xbfd2_bec3));
    assert!(lanes(word(0xbfd2_bec3), 0xbe20_0000, 0xbfd2_bec3));
    assert!(!lanes(word(0xbfd2_bec4), 0xbe20_0000, 0xbfd2_bec3));
    assert!(!lanes(word(0xbe1f_ffff), 0xbe20_0000, 0xbfd2_bec3));
    assert!(!lanes(0.01, 0xbe20_0000, 0xbfd2_bec3));
    assert!(!lanes(f64::NAN, 0xbe20_0000, 0xbfd2_bec3));
    assert!(lanes(word(0x3fd6_2e42), 0x3c90_0000, 0x3fd6_2e42));
    assert!(!lanes(word(0x3fd6_2e43), 0x3c90_0000, 0x3fd6_2e42));
    assert!(!lanes(word(0x3c8f_ffff), 0x3c90_0000, 0x3fd6_2e42));
}
