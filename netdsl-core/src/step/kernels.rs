//! SIMD helpers shared by the ops, the neuron and synapse models: finiteness checks, the
//! AVX2-or-portable kernel wrapper and the bit-mask index table. They sit below everything that
//! uses them and use nothing of the crate themselves.

/// Whether every value is finite: `x - x` is 0 for a finite `x` and NaN otherwise, summed in
/// eight lanes without an early exit so that it vectorises (AVX2 where the CPU has it; one
/// value is checked inline).
#[inline]
pub(crate) fn all_finite(v: &[f64]) -> bool {
    if v.len() == 1 {
        return v[0].is_finite();
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { all_finite_avx2(v) };
    }
    all_finite_body(v)
}

#[allow(clippy::eq_op)]
#[inline(always)]
fn all_finite_body(v: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += c[k] - c[k];
        }
    }
    for (a, &x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += x - x;
    }
    acc.iter().all(|&a| a == 0.0)
}

/// Whether every value of `a` and of `b` is finite: [`all_finite`] over both in one pass when
/// they have the same length (`(a − a) + (b − b)` is 0 for finite values, NaN otherwise).
#[inline]
pub(crate) fn both_finite(a: &[f64], b: &[f64]) -> bool {
    if a.len() != b.len() {
        return all_finite(a) && all_finite(b);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { both_finite_avx2(a, b) };
    }
    both_finite_body(a, b)
}

#[allow(clippy::eq_op)]
#[inline(always)]
fn both_finite_body(a: &[f64], b: &[f64]) -> bool {
    let mut acc = [0.0f64; 8];
    let (mut ca, mut cb) = (a.chunks_exact(8), b.chunks_exact(8));
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += (x[k] - x[k]) + (y[k] - y[k]);
        }
    }
    for ((s, &x), &y) in acc.iter_mut().zip(ca.remainder()).zip(cb.remainder()) {
        *s += (x - x) + (y - y);
    }
    acc.iter().all(|&s| s == 0.0)
}

/// [`both_finite_body`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn both_finite_avx2(a: &[f64], b: &[f64]) -> bool {
    both_finite_body(a, b)
}

/// [`all_finite_body`] compiled for AVX2 (same answer: any NaN or infinity gives a NaN lane).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_finite_avx2(v: &[f64]) -> bool {
    all_finite_body(v)
}

/// Defines `$name(args)`: `$body` compiled for AVX2 where the CPU has it (no FMA is enabled, so
/// every operation rounds as in the portable build), else as is.
macro_rules! avx2_kernel {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$doc])*
        #[inline]
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above).
                return unsafe { avx2($($arg),*) };
            }
            body($($arg),*)
        }
    };
}

pub(crate) use avx2_kernel;

/// For each 8-bit mask, the positions of its set bits packed to the front, one per byte from the
/// lowest (the rest 0): one table load turns the mask of eight flags into their indices without
/// a branch (used for spike indices here and for the LIF step's slow neurons).
pub(crate) static PACK8: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let (mut k, mut b) = (0, 0);
        while b < 8 {
            if (m >> b) & 1 == 1 {
                t[m] |= (b as u64) << (8 * k);
                k += 1;
            }
            b += 1;
        }
        m += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finiteness_checks_find_every_nan_and_infinity() {
        for len in 0..21 {
            for bad in 0..len {
                for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    let ok: Vec<f64> = (0..len).map(|i| i as f64 * 1e300 - 3.0).collect();
                    let mut x = ok.clone();
                    x[bad] = v;
                    assert!(all_finite(&ok) && !all_finite(&x), "len {len} at {bad}");
                    assert!(both_finite(&ok, &ok), "len {len}");
                    assert!(
                        !both_finite(&x, &ok) && !both_finite(&ok, &x),
                        "len {len} at {bad}"
                    );
                    assert!(!both_finite(&x, &[]) && !both_finite(&[], &x));
                }
            }
        }
    }
}
