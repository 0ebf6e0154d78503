//! The LIF step with AVX2: a branch-free pass for the common case, then the neurons that spike
//! or leave their refractory period inside the step, four at a time, with `expm1` and `log1p`
//! evaluated in AVX2 + FMA registers.
//!
//! Nengo (through NumPy) evaluates `expm1` and `log1p` with the C library. On x86-64 glibc (2.36
//! here) picks its FMA build of the classic fdlibm algorithms on CPUs with FMA and AVX2. For the
//! arguments a LIF step produces (`expm1(-delta_t / tau_rc)` with `0 < delta_t < dt`, and
//! `log1p(-(v - 1) / (J - 1))` with `v` just over threshold) both take their shortest branch: no
//! argument reduction (`k = 0`), a fixed rational approximation. The functions below evaluate
//! exactly those operations in exactly the order and with exactly the fused multiply-adds of that
//! build (read from its machine code), so each lane rounds as the library does: the results are
//! bit-identical, not merely close. An argument outside the short branch (or a NaN) makes the
//! group report failure, and the caller steps those neurons with the scalar code and the real
//! library calls.
//!
//! Because another C library (or another build of it) may round differently, [`available`]
//! checks this CPU's features and then compares both functions against the library on a fixed
//! set of arguments spread over their domains, once per process; any difference turns the vector
//! path off and every neuron takes the scalar library path, so results never depend on this
//! module being used.

use super::lif::LifConsts;
#[cfg(target_arch = "x86_64")]
use super::lif::{lif_from, nan_unless_finite, spike_refractory};
#[cfg(target_arch = "x86_64")]
use crate::step::kernels::PACK8;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
#[cfg(target_arch = "x86_64")]
use std::mem::MaybeUninit;
use std::sync::OnceLock;

/// Whether the vector path may be used in this process: the CPU has AVX2 and FMA, and both
/// vector functions agree bit for bit with the C library's `expm1` and `log1p` on the check set.
pub(super) fn available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: AVX2 and FMA are present (checked just above).
                return unsafe { agrees_with_libm() };
            }
        }
        false
    })
}

/// Arguments spread over the short branches: `expm1` on `-(0, 0.35)` and `(0, 0.35)` (log-spaced
/// magnitudes down to 1e-16 plus a linear sweep), `log1p` on `(-0.29, -2^-29)`.
#[cfg(target_arch = "x86_64")]
fn check_args(i: usize, n: usize) -> (f64, f64) {
    let u = (i as f64 + 0.5) / n as f64;
    // Log-spaced magnitudes for even i, linear for odd i.
    let e_mag = if i % 2 == 0 {
        0.34 * (10f64).powf(-15.0 * u)
    } else {
        0.34 * u
    };
    let l_mag = if i % 2 == 0 {
        0.29 * (10f64).powf(-8.0 * u)
    } else {
        0.29 * u.max(1e-6)
    };
    let sign = if i % 4 < 2 { -1.0 } else { 1.0 };
    (sign * e_mag, -l_mag)
}

/// Compares both vector functions with the C library on the check set.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn agrees_with_libm() -> bool {
    const N: usize = 4096;
    for g in (0..N).step_by(4) {
        let mut ex = [0.0f64; 4];
        let mut lx = [0.0f64; 4];
        for l in 0..4 {
            (ex[l], lx[l]) = check_args(g + l, N);
        }
        // SAFETY: the arrays hold four f64 each; AVX2/FMA present (caller's contract).
        let (e, lg) = unsafe {
            (
                expm1_short(_mm256_loadu_pd(ex.as_ptr())),
                log1p_short(_mm256_loadu_pd(lx.as_ptr())),
            )
        };
        let (mut eo, mut lo) = ([0.0f64; 4], [0.0f64; 4]);
        // SAFETY: as above.
        unsafe {
            _mm256_storeu_pd(eo.as_mut_ptr(), e);
            _mm256_storeu_pd(lo.as_mut_ptr(), lg);
        }
        for l in 0..4 {
            if eo[l].to_bits() != ex[l].exp_m1().to_bits()
                || lo[l].to_bits() != lx[l].ln_1p().to_bits()
            {
                return false;
            }
        }
    }
    // The general positive log1p, on magnitudes from 2^-29 to 2^52, log-spaced.
    for g in (0..N).step_by(4) {
        let mut px = [0.0f64; 4];
        for (l, x) in px.iter_mut().enumerate() {
            let u = ((g + l) as f64 + 0.5) / N as f64;
            *x = (2f64).powf(-29.0 + 81.0 * u);
        }
        // SAFETY: four f64; AVX2/FMA present (caller's contract).
        let (r, bad) = unsafe { log1p_positive(_mm256_loadu_pd(px.as_ptr())) };
        let mut ro = [0.0f64; 4];
        // SAFETY: as above.
        unsafe { _mm256_storeu_pd(ro.as_mut_ptr(), r) };
        for l in 0..4 {
            if bad & (1 << l) == 0 && ro[l].to_bits() != px[l].ln_1p().to_bits() {
                return false;
            }
        }
    }
    true
}

/// `expm1(x)` for `2^-54 <= |x| <= 0.3465` (high word of `|x|` in `0x3c900000..=0x3fd62e42`):
/// fdlibm's `k = 0` branch, `x - (x e - x^2/2)`, with glibc's FMA build's contractions.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn expm1_short(x: __m256d) -> __m256d {
    let c = _mm256_set1_pd;
    let hfx = _mm256_mul_pd(x, c(0.5));
    let hxs = _mm256_mul_pd(x, hfx);
    let a = _mm256_fmadd_pd(hxs, c(-7.93650757867488e-05), c(0.0015873015872548146));
    let b = _mm256_fmadd_pd(hxs, c(-2.0109921818362437e-07), c(4.008217827329362e-06));
    let h2 = _mm256_mul_pd(hxs, hxs);
    let r1a = _mm256_fmadd_pd(hxs, c(-0.03333333333333313), c(1.0));
    let h4 = _mm256_mul_pd(h2, h2);
    let r1b = _mm256_fmadd_pd(h2, a, r1a);
    let r1 = _mm256_fmadd_pd(h4, b, r1b);
    let t = _mm256_fnmadd_pd(r1, hfx, c(3.0));
    let num = _mm256_sub_pd(r1, t);
    let den = _mm256_fnmadd_pd(x, t, c(6.0));
    let e = _mm256_mul_pd(_mm256_div_pd(num, den), hxs);
    _mm256_sub_pd(x, _mm256_fmsub_pd(e, x, hxs))
}

/// `log1p(x)` for `-0.2929 < x <= -2^-29` (high word in `0xbe200000..=0xbfd2bec3`): fdlibm's
/// `k = 0` branch, `f - (f^2/2 - s (f^2/2 + R(s^2)))` with `s = f / (2 + f)`, with glibc's FMA
/// build's contractions.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn log1p_short(x: __m256d) -> __m256d {
    let (hfsq, t) = log1p_kernel(x);
    _mm256_sub_pd(x, _mm256_sub_pd(hfsq, t))
}

/// The part of fdlibm's `log1p` both branches share, on the reduced argument `f`:
/// `(f^2/2, s (f^2/2 + R(s^2)))` with `s = f / (2 + f)` and glibc's FMA build's contractions.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn log1p_kernel(f: __m256d) -> (__m256d, __m256d) {
    let c = _mm256_set1_pd;
    let hfsq = _mm256_mul_pd(_mm256_mul_pd(f, c(0.5)), f);
    let s = _mm256_div_pd(f, _mm256_add_pd(f, c(2.0)));
    let z = _mm256_mul_pd(s, s);
    let p23 = _mm256_fmadd_pd(z, c(0.2857142874366239), c(0.3999999999940942));
    let p45 = _mm256_fmadd_pd(z, c(0.1818357216161805), c(0.22222198432149784));
    let p67 = _mm256_fmadd_pd(z, c(0.14798198605116586), c(0.15313837699209373));
    let z2 = _mm256_mul_pd(z, z);
    let z4 = _mm256_mul_pd(z2, z2);
    let z6 = _mm256_mul_pd(z2, z4);
    let r1 = _mm256_fmadd_pd(z, c(0.6666666666666735), _mm256_mul_pd(z2, p23));
    let r2 = _mm256_fmadd_pd(z4, p45, r1);
    let r = _mm256_fmadd_pd(z6, p67, r2);
    (hfsq, _mm256_mul_pd(_mm256_add_pd(r, hfsq), s))
}

/// `log1p(x)` for `2^-29 <= x < 2^53` (high word in `0x3e200000..0x43400000`): fdlibm's `k = 0`
/// branch below `sqrt(2) - 1` and its argument-reduction branch above (`1 + x = 2^k u`,
/// `u` in `[sqrt(2)/2, sqrt(2))`, with the correction `c` for the rounding of `1 + x`), with
/// glibc's FMA build's contractions. Returns the results and a lane mask (bits) of arguments it
/// does not cover (other ranges, NaN, and the rare `hu == 0` reduction): the caller computes
/// those with the library.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn log1p_positive(x: __m256d) -> (__m256d, i32) {
    let c = _mm256_set1_pd;
    let ci = _mm256_set1_epi64x;
    let one = c(1.0);
    let bits = _mm256_castpd_si256(x);
    let hx = _mm256_srli_epi64::<32>(bits);
    // In range at all, and which branch.
    let covered = high_word_in(x, 0x3e20_0000, 0x433f_ffff);
    let reduce = _mm256_cmpgt_epi64(hx, ci(0x3fda_8279));
    // Reduction: u = 1 + x = 2^k (1 + f) with the correction c for the rounding of 1 + x.
    let u = _mm256_add_pd(x, one);
    let hu = _mm256_srli_epi64::<32>(_mm256_castpd_si256(u));
    let k0 = _mm256_sub_epi64(_mm256_srli_epi64::<20>(hu), ci(1023));
    let kpos = _mm256_castsi256_pd(_mm256_cmpgt_epi64(k0, _mm256_setzero_si256()));
    let c_pos = _mm256_sub_pd(one, _mm256_sub_pd(u, x));
    let c_neg = _mm256_sub_pd(x, _mm256_sub_pd(u, one));
    let corr = _mm256_div_pd(_mm256_blendv_pd(c_neg, c_pos, kpos), u);
    let mant = _mm256_and_si256(hu, ci(0xfffff));
    let small = _mm256_cmpgt_epi64(ci(0x6a09e), mant);
    let high = _mm256_blendv_epi8(
        _mm256_or_si256(mant, ci(0x3fe0_0000)),
        _mm256_or_si256(mant, ci(0x3ff0_0000)),
        small,
    );
    let k = _mm256_add_epi64(k0, _mm256_andnot_si256(small, ci(1)));
    let hu_final = _mm256_blendv_epi8(
        _mm256_srli_epi64::<2>(_mm256_sub_epi64(ci(0x10_0000), mant)),
        mant,
        small,
    );
    let low = _mm256_and_si256(_mm256_castpd_si256(u), ci(0xffff_ffff));
    let ur = _mm256_castsi256_pd(_mm256_or_si256(_mm256_slli_epi64::<32>(high), low));
    let f_red = _mm256_sub_pd(ur, one);
    // The k = 0 branch works on x itself.
    let reduce_pd = _mm256_castsi256_pd(reduce);
    let f = _mm256_blendv_pd(x, f_red, reduce_pd);
    let k = _mm256_and_si256(k, reduce);
    let corr = _mm256_and_pd(corr, reduce_pd);
    let hu_zero = _mm256_and_si256(reduce, _mm256_cmpeq_epi64(hu_final, _mm256_setzero_si256()));
    let (hfsq, t) = log1p_kernel(f);
    // k = 0: f - (hfsq - t); otherwise k ln2_hi - ((hfsq - (t + (k ln2_lo + c))) - f).
    let res0 = _mm256_sub_pd(f, _mm256_sub_pd(hfsq, t));
    // k is small: its low 32 bits, gathered into four i32, convert exactly.
    let k32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
        k,
        _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0),
    ));
    let kd = _mm256_cvtepi32_pd(k32);
    let ln2_hi = c(f64::from_bits(0x3fe6_2e42_fee0_0000));
    let ln2_lo = c(f64::from_bits(0x3dea_39ef_3579_3c76));
    let a = _mm256_add_pd(_mm256_fmadd_pd(kd, ln2_lo, corr), t);
    let a = _mm256_sub_pd(_mm256_sub_pd(hfsq, a), f);
    let resk = _mm256_fmsub_pd(kd, ln2_hi, a);
    let k_zero = _mm256_castsi256_pd(_mm256_cmpeq_epi64(k, _mm256_setzero_si256()));
    let res = _mm256_blendv_pd(resk, res0, k_zero);
    let bad = _mm256_movemask_pd(_mm256_or_pd(
        _mm256_xor_pd(covered, _mm256_castsi256_pd(ci(-1))),
        _mm256_castsi256_pd(hu_zero),
    ));
    (res, bad)
}

/// The LIF rate curve (Nengo's `LIFRate`: `amplitude / (tau_ref + tau_rc log1p(1 / (J - 1)))`
/// for `J > 1`, else 0) four currents at a time, with [`log1p_positive`]; lanes it does not
/// cover use the library. Bit-identical to the scalar curve.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and [`available`] must have said so.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn lif_rates(
    tau_rc: f64,
    tau_ref: f64,
    amplitude: f64,
    j: &[f64],
    out: &mut [f64],
) {
    let n = j.len().min(out.len());
    let c = _mm256_set1_pd;
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: i + 4 <= n, within both slices.
        let jv = unsafe { _mm256_loadu_pd(j.as_ptr().add(i)) };
        let jm1 = _mm256_sub_pd(jv, c(1.0));
        let above = _mm256_cmp_pd::<_CMP_GT_OQ>(jm1, _mm256_setzero_pd());
        let (lg, bad) = log1p_positive(_mm256_div_pd(c(1.0), jm1));
        let rate = _mm256_div_pd(
            c(amplitude),
            _mm256_add_pd(c(tau_ref), _mm256_mul_pd(c(tau_rc), lg)),
        );
        let mut r = [0.0; 4];
        // SAFETY: four f64.
        unsafe { _mm256_storeu_pd(r.as_mut_ptr(), _mm256_and_pd(above, rate)) };
        let above_bits = _mm256_movemask_pd(above);
        for l in 0..4 {
            out[i + l] = if bad & above_bits & (1 << l) != 0 {
                amplitude / (tau_ref + tau_rc * (1.0 / (j[i + l] - 1.0)).ln_1p())
            } else {
                r[l]
            };
        }
        i += 4;
    }
    for k in i..n {
        let jm1 = j[k] - 1.0;
        out[k] = if jm1 > 0.0 {
            amplitude / (tau_ref + tau_rc * (1.0 / jm1).ln_1p())
        } else {
            0.0
        };
    }
}

/// Lanes whose high word (of the bits in `x`, as an unsigned 32-bit value) lies in `lo..=hi`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn high_word_in(x: __m256d, lo: i64, hi: i64) -> __m256d {
    let h = _mm256_srli_epi64::<32>(_mm256_castpd_si256(x));
    let below = _mm256_cmpgt_epi64(_mm256_set1_epi64x(lo), h);
    let above = _mm256_cmpgt_epi64(h, _mm256_set1_epi64x(hi));
    // Neither below nor above.
    _mm256_castsi256_pd(_mm256_xor_si256(
        _mm256_or_si256(below, above),
        _mm256_set1_epi64x(-1),
    ))
}

/// Steps four LIF neurons that leave their refractory period inside this step
/// (`0 < delta_t < dt`, so the decay needs `expm1`), from their input `j`, voltage `v` and
/// refractory time already reduced by `dt`, `rt` (as [`fast_pass`] leaves them), evaluating the
/// same expressions as the scalar step in the same order. Returns `(spiked, ok, update)` and
/// writes `v`, where `update` is the voltage update before its clip and reset (for the
/// finiteness check, as the scalar `lif_one` returns it); when a lane spikes (rare: it must cross threshold in what is left of the step) also
/// `o` and `rt` (otherwise the output is 0 and `rt` is the new refractory time, both stored
/// by the fast pass already). `ok` is false when some lane needs an `expm1` or `log1p`
/// argument outside the short branches (the caller then steps the group with the scalar code
/// and ignores the results).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn partial4(
    c: &LifConsts,
    j: __m256d,
    v: &mut __m256d,
    rt: &mut __m256d,
    o: &mut __m256d,
) -> (bool, bool, __m256d) {
    let s = _mm256_set1_pd;
    // delta_t = clip(dt - rt, 0, dt) is dt - rt itself here (NaN passes through and fails
    // the range check below).
    let delta_t = _mm256_sub_pd(s(c.dt), *rt);
    // -delta_t / tau_rc
    let xe = _mm256_div_pd(_mm256_xor_pd(delta_t, s(-0.0)), s(c.tau_rc));
    // |xe| in the short branch (the sign bit cleared first).
    let e_ok = high_word_in(_mm256_andnot_pd(s(-0.0), xe), 0x3c90_0000, 0x3fd6_2e42);
    let mut ok = _mm256_movemask_pd(e_ok) == 0xf;
    let one = s(1.0);
    let vv = _mm256_sub_pd(*v, _mm256_mul_pd(_mm256_sub_pd(j, *v), expm1_short(xe)));
    let spiked = _mm256_cmp_pd::<_CMP_GT_OQ>(vv, one);
    let min_v = s(c.min_voltage);
    let clipped = _mm256_blendv_pd(vv, min_v, _mm256_cmp_pd::<_CMP_LT_OQ>(vv, min_v));
    if _mm256_movemask_pd(spiked) == 0 {
        *v = clipped;
        return (false, ok, vv);
    }
    let (r_spike, l_ok) = spike_refractory4(c, j, vv);
    ok &= _mm256_movemask_pd(_mm256_andnot_pd(l_ok, spiked)) == 0;
    *o = _mm256_and_pd(spiked, s(c.spike));
    *v = _mm256_blendv_pd(clipped, _mm256_setzero_pd(), spiked);
    *rt = _mm256_blendv_pd(*rt, r_spike, spiked);
    (true, ok, vv)
}

/// The refractory times four LIF neurons get when their voltages `vv` (inputs `j`) cross 1 in
/// this step, as the scalar `spike_refractory`: `tau_ref + (dt + tau_rc log1p(-(vv - 1) /
/// (j - 1)))`. Also returns the lanes whose `log1p` argument is in the short branch (the
/// others' results are not the library's).
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma")]
fn spike_refractory4(c: &LifConsts, j: __m256d, vv: __m256d) -> (__m256d, __m256d) {
    let s = _mm256_set1_pd;
    let one = s(1.0);
    // -(vv - 1) / (j - 1)
    let xl = _mm256_div_pd(
        _mm256_xor_pd(_mm256_sub_pd(vv, one), s(-0.0)),
        _mm256_sub_pd(j, one),
    );
    let l_ok = high_word_in(xl, 0xbe20_0000, 0xbfd2_bec3);
    let t_spike = _mm256_add_pd(s(c.dt), _mm256_mul_pd(s(c.tau_rc), log1p_short(xl)));
    (_mm256_add_pd(s(c.tau_ref), t_spike), l_ok)
}

/// Neurons per block of the LIF step (the index lists live on the stack).
#[cfg(target_arch = "x86_64")]
const BLOCK: usize = 512;

/// The LIF step of a whole population with AVX2, block by block: [`fast_pass`] steps every
/// neuron as far as it can without `expm1` or `log1p` and lists the others: those that leave
/// their refractory period inside the step, and those that spike, which need only their new
/// refractory time; [`slow_groups`] (AVX2 + FMA; pass `vector_ok = `[`available`]`()`) or the
/// scalar code finishes them. Bit-identical to the scalar `lif_one` on every neuron.
///
/// # Safety
/// The CPU must support AVX2 (and FMA if `vector_ok`); all slices must have the length of `j`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn step_blocks(
    c: &LifConsts,
    j: &[f64],
    out: &mut [f64],
    voltage: &mut [f64],
    refractory: &mut [f64],
    vector_ok: bool,
) -> bool {
    // Indices of the two kinds of listed neurons (eight bytes of slack: the table writes eight
    // at a time).
    // Not zeroed (2 KB a call): `fast_pass` writes every entry it reports.
    let mut partial = [MaybeUninit::<u16>::uninit(); BLOCK + 8];
    let mut spiking = [MaybeUninit::<u16>::uninit(); BLOCK + 8];
    // Finiteness of the voltage updates: `x - x` is 0 for a finite `x` and NaN otherwise; the
    // sums stay 0 while everything is finite.
    let mut fin = Finite {
        v: _mm256_setzero_pd(),
        s: 0.0,
    };
    let n = j.len();
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let (jc, oc) = (&j[start..end], &mut out[start..end]);
        let (vc, rc) = (&mut voltage[start..end], &mut refractory[start..end]);
        // SAFETY: AVX2 (caller's contract); every slice has at most BLOCK entries; the lists
        // have BLOCK + 8.
        let (k1, k2) =
            unsafe { fast_pass(c, jc, oc, vc, rc, &mut partial, &mut spiking, &mut fin) };
        // SAFETY: `fast_pass` wrote the first k1 and k2 entries.
        let (partial, spiking) = unsafe {
            (
                std::slice::from_raw_parts(partial.as_ptr().cast::<u16>(), k1),
                std::slice::from_raw_parts(spiking.as_ptr().cast::<u16>(), k2),
            )
        };
        // The listed neurons are half done (see `fast_pass`).
        if vector_ok {
            // SAFETY: AVX2 and FMA (caller's contract); listed indices are below the block's
            // length.
            unsafe {
                slow_groups::<true>(c, partial, jc, oc, vc, rc, &mut fin);
                slow_groups::<false>(c, spiking, jc, oc, vc, rc, &mut fin);
            }
        } else {
            for &i in partial {
                let i = i as usize;
                let rt = rc[i];
                fin.s +=
                    nan_unless_finite(lif_from(c, jc[i], &mut oc[i], &mut vc[i], &mut rc[i], rt));
            }
            for &i in spiking {
                let i = i as usize;
                rc[i] = spike_refractory(c, jc[i], rc[i]);
            }
        }
    }
    fin.all()
}

/// Running finiteness sums of the LIF step (see [`step_blocks`]).
#[cfg(target_arch = "x86_64")]
struct Finite {
    /// Four lanes of `x − x` sums over the voltage updates (before their clip and reset, as the
    /// scalar `lif_one` returns them).
    v: __m256d,
    /// The same for values handled one at a time.
    s: f64,
}

#[cfg(target_arch = "x86_64")]
impl Finite {
    /// Whether every value added so far was finite.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn all(&self) -> bool {
        let zero = _mm256_setzero_pd();
        _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.v, zero)) == 0xf && self.s == 0.0
    }
}

/// `x`, hidden from the optimiser. A blend of a loaded value with new values, stored back to
/// where it was loaded from, is otherwise turned into a masked store (`vmaskmovpd`), which is
/// several times slower than a blend and a plain store on AMD processors.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
fn opaque(mut x: __m256d) -> __m256d {
    // SAFETY: an empty asm block that claims to read and write one register.
    unsafe { std::arch::asm!("/* {0} */", inout(ymm_reg) x, options(pure, nomem, nostack)) };
    x
}

/// The branch-free pass over one block (at most [`BLOCK`] neurons), with the same expressions
/// as the scalar `lif_one`. A neuron with a full (`delta_t = dt`) or fully refractory
/// (`delta_t = 0`) step gets its result here, unless it spikes: then it gets its output and
/// voltage 0, its refractory time is left for later, and its voltage before the reset is kept
/// in its refractory slot for that; it is listed in `spiking`. A neuron that leaves its
/// refractory period inside the step (the decay needs `expm1`) gets output 0 and its reduced
/// refractory time `rt` (its new one unless it spikes), keeps its voltage, and is listed in
/// `partial`. The lists hold indices into the block (the first entries are written; the
/// returned lengths say how many). Eight neurons at a time: two compare masks, then the
/// indices of their set bits from [`PACK8`], with no branch per neuron.
///
/// # Safety
/// The CPU must support AVX2; `j`, `out`, `v` and `r` have the same length `m <= BLOCK`; both
/// lists have at least `m + 8` entries.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn fast_pass(
    c: &LifConsts,
    j: &[f64],
    out: &mut [f64],
    v: &mut [f64],
    r: &mut [f64],
    partial: &mut [MaybeUninit<u16>],
    spiking: &mut [MaybeUninit<u16>],
    fin: &mut Finite,
) -> (usize, usize) {
    let m = j.len();
    assert!(
        m <= BLOCK
            && out.len() == m
            && v.len() == m
            && r.len() == m
            && partial.len() >= m + 8
            && spiking.len() >= m + 8
    );
    let s = _mm256_set1_pd;
    let (dt, full_d, none_d, min_v) = (s(c.dt), s(c.decay_full), s(c.decay_none), s(c.min_voltage));
    let (one, zero, spike) = (s(1.0), _mm256_setzero_pd(), s(c.spike));
    let all_ones = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    let (mut i, mut k1, mut k2) = (0, 0, 0);
    // The running sum in a register (through `fin` it would round-trip memory every group).
    let mut fin_v = fin.v;
    // Four neurons from `p` (p + 4 <= m): their masks of "partial" and "spiking" lanes.
    macro_rules! quad {
        ($p:expr) => {{
            let p = $p;
            // SAFETY: p + 4 <= m, the length of every slice (asserted above).
            unsafe {
                let jv = _mm256_loadu_pd(j.as_ptr().add(p));
                let v0 = opaque(_mm256_loadu_pd(v.as_ptr().add(p)));
                let r0 = _mm256_loadu_pd(r.as_ptr().add(p));
                let rt = _mm256_sub_pd(r0, dt);
                let raw = _mm256_sub_pd(dt, rt);
                let full = _mm256_cmp_pd::<_CMP_GE_OQ>(raw, dt);
                let none = _mm256_cmp_pd::<_CMP_LE_OQ>(raw, zero);
                let decay = _mm256_blendv_pd(none_d, full_d, full);
                let vv = _mm256_sub_pd(v0, _mm256_mul_pd(_mm256_sub_pd(jv, v0), decay));
                let fixed = _mm256_or_pd(full, none);
                let partial = _mm256_xor_pd(fixed, all_ones);
                let spk = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(vv, one), fixed);
                // `vv < min_v ? min_v : vv` (a NaN `vv` is returned as it is: `max` returns
                // its second operand when one is NaN, or when both are zeros).
                let clipped = _mm256_max_pd(min_v, vv);
                // Spiking: 0; partial: unchanged.
                let v_new = _mm256_blendv_pd(_mm256_andnot_pd(spk, clipped), v0, partial);
                // Spiking: the voltage before the reset, for the slow path.
                let r_new = _mm256_blendv_pd(rt, vv, spk);
                // The update is finite exactly when the input and the old voltage are (and it
                // does not overflow): the check of `step_checked`. A partial neuron's update
                // (another decay) is checked by the slow path.
                fin_v = _mm256_add_pd(fin_v, _mm256_andnot_pd(partial, _mm256_sub_pd(vv, vv)));
                _mm256_storeu_pd(v.as_mut_ptr().add(p), v_new);
                _mm256_storeu_pd(r.as_mut_ptr().add(p), r_new);
                _mm256_storeu_pd(out.as_mut_ptr().add(p), _mm256_and_pd(spk, spike));
                (
                    _mm256_movemask_pd(partial) as usize,
                    _mm256_movemask_pd(spk) as usize,
                )
            }
        }};
    }
    // Appends the lanes set in the masks (at most eight, from neuron `i`) to the lists.
    macro_rules! list {
        ($m1:expr, $m2:expr) => {{
            let (m1, m2): (usize, usize) = ($m1, $m2);
            let base = _mm_set1_epi16(i as i16);
            let indices = |mask: usize| {
                _mm_add_epi16(
                    _mm_cvtepu8_epi16(_mm_cvtsi64_si128(PACK8[mask] as i64)),
                    base,
                )
            };
            // SAFETY: k + 8 <= i + 8 <= m + 8 <= the lists' lengths (asserted above).
            unsafe {
                _mm_storeu_si128(partial.as_mut_ptr().add(k1).cast(), indices(m1));
                _mm_storeu_si128(spiking.as_mut_ptr().add(k2).cast(), indices(m2));
            }
            k1 += m1.count_ones() as usize;
            k2 += m2.count_ones() as usize;
        }};
    }
    while i + 8 <= m {
        let (a1, a2) = quad!(i);
        let (b1, b2) = quad!(i + 4);
        list!(a1 | b1 << 4, a2 | b2 << 4);
        i += 8;
    }
    // A population whose size is 4 more than a multiple of 8 (100 neurons, say).
    if i + 4 <= m {
        let (a1, a2) = quad!(i);
        list!(a1, a2);
        i += 4;
    }
    fin.v = fin_v;
    while i < m {
        let (jv, v0, r0) = (j[i], v[i], r[i]);
        let rt = r0 - c.dt;
        let raw = c.dt - rt;
        let (full, none) = (raw >= c.dt, raw <= 0.0);
        let decay = if full { c.decay_full } else { c.decay_none };
        let vv = v0 - (jv - v0) * decay;
        let fixed = full | none;
        let over = vv > 1.0;
        // As in the vector lanes (a partial neuron's update is checked by the slow path).
        if fixed {
            fin.s += nan_unless_finite(vv);
        }
        let spk = fixed & over;
        if !fixed {
            r[i] = rt;
        } else if spk {
            v[i] = 0.0;
            r[i] = vv;
        } else {
            let vn = if vv < c.min_voltage {
                c.min_voltage
            } else {
                vv
            };
            v[i] = vn;
            r[i] = rt;
        }
        out[i] = if spk { c.spike } else { 0.0 };
        partial[k1].write(i as u16);
        k1 += !fixed as usize;
        spiking[k2].write(i as u16);
        k2 += spk as usize;
        i += 1;
    }
    (k1, k2)
}

/// Finishes the neurons `slow` (indices into the block) that [`fast_pass`] listed, four at a
/// time: with `PARTIAL`, those that leave their refractory period inside the step
/// ([`partial4`]: loaded from `j`, `v` and their reduced refractory time in `r`; stores `v`, and
/// `o` and `r` if one of the four spikes); otherwise those that spike ([`spike_refractory4`]:
/// loaded from `j` and their voltage before the reset, kept in `r`; stores `r`). The lanes are
/// loaded straight from the indices and stored back from the registers; the groups are
/// independent, so the processor overlaps their long `expm1`/`log1p` chains. A short last group
/// repeats its first neuron (same input, same result, stored again). A group whose arguments
/// leave the vector functions' range (rare) is finished by the scalar code instead.
///
/// # Safety
/// The CPU must support AVX2 and FMA; every index in `slow` must be below the slices' lengths.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn slow_groups<const PARTIAL: bool>(
    c: &LifConsts,
    slow: &[u16],
    j: &[f64],
    o: &mut [f64],
    v: &mut [f64],
    r: &mut [f64],
    fin: &mut Finite,
) {
    let (pj, po, pv, pr) = (j.as_ptr(), o.as_mut_ptr(), v.as_mut_ptr(), r.as_mut_ptr());
    let mut acc = _mm256_setzero_pd();
    for group in slow.chunks(4) {
        let n = group.len();
        let idx: [usize; 4] = std::array::from_fn(|l| group[if l < n { l } else { 0 }] as usize);
        // SAFETY: every index is below the slices' lengths (caller's contract).
        let gather = |p: *const f64| unsafe {
            _mm256_set_pd(
                *p.add(idx[3]),
                *p.add(idx[2]),
                *p.add(idx[1]),
                *p.add(idx[0]),
            )
        };
        if PARTIAL {
            let (mut vv, mut rv, mut ov) = (gather(pv), gather(pr), _mm256_setzero_pd());
            let (spiked, ok, update) = partial4(c, gather(pj), &mut vv, &mut rv, &mut ov);
            if ok {
                // (Padding lanes repeat a real neuron: their values are checked already.)
                acc = _mm256_add_pd(acc, _mm256_sub_pd(update, update));
                // SAFETY: as above (a padding lane rewrites its real lane's value).
                unsafe {
                    scatter(pv, &idx, vv);
                    if spiked {
                        scatter(po, &idx, ov);
                        scatter(pr, &idx, rv);
                    }
                }
            } else {
                for &i in &idx[..n] {
                    let rt = r[i];
                    fin.s +=
                        nan_unless_finite(lif_from(c, j[i], &mut o[i], &mut v[i], &mut r[i], rt));
                }
            }
        } else {
            let (rv, l_ok) = spike_refractory4(c, gather(pj), gather(pr));
            if _mm256_movemask_pd(l_ok) == 0xf {
                // SAFETY: as above.
                unsafe { scatter(pr, &idx, rv) };
            } else {
                for &i in &idx[..n] {
                    r[i] = spike_refractory(c, j[i], r[i]);
                }
            }
        }
    }
    fin.v = _mm256_add_pd(fin.v, acc);
}

/// Stores the four lanes of `x` at `p[idx[l]]` straight from the register halves. A padding
/// lane repeats a real lane's index and, computed from the same inputs, its value: storing it
/// again changes nothing, and storing all four needs no branch on the group's length.
///
/// # Safety
/// AVX2; `p` valid for writes at the four indices.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn scatter(p: *mut f64, idx: &[usize; 4], x: __m256d) {
    let (lo, hi) = (_mm256_castpd256_pd128(x), _mm256_extractf128_pd::<1>(x));
    // SAFETY: the caller's contract.
    unsafe {
        _mm_storel_pd(p.add(idx[0]), lo);
        _mm_storeh_pd(p.add(idx[1]), lo);
        _mm_storel_pd(p.add(idx[2]), hi);
        _mm_storeh_pd(p.add(idx[3]), hi);
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests;
