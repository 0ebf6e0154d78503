//! The power of the pulse stage, `x^c` for a batch of devices: branch-free, vectorisable and
//! bit-identical between its scalar and AVX2 builds (fdlibm's `log` and `exp` with no fused
//! multiply-add), within a few ulp of `powf`.

// Coefficients of fdlibm's `e_log.c` (Lg1..Lg7) and `e_exp.c` (P1..P5), by their bits (the
// decimal values as fdlibm prints them in the comments).
pub(super) const LG1: f64 = f64::from_bits(0x3FE5_5555_5555_5593); // 6.666666666666735130e-01
pub(super) const LG2: f64 = f64::from_bits(0x3FD9_9999_9997_FA04); // 3.999999999940941908e-01
pub(super) const LG3: f64 = f64::from_bits(0x3FD2_4924_9422_9359); // 2.857142874366239149e-01
pub(super) const LG4: f64 = f64::from_bits(0x3FCC_71C5_1D8E_78AF); // 2.222219843214978396e-01
pub(super) const LG5: f64 = f64::from_bits(0x3FC7_4664_96CB_03DE); // 1.818357216161805012e-01
pub(super) const LG6: f64 = f64::from_bits(0x3FC3_9A09_D078_C69F); // 1.531383769920937332e-01
pub(super) const LG7: f64 = f64::from_bits(0x3FC2_F112_DF3E_5244); // 1.479819860511658591e-01
pub(super) const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // 6.93147180369123816490e-01
pub(super) const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // 1.90821492927058770002e-10
pub(super) const INV_LN2: f64 = f64::from_bits(0x3FF7_1547_652B_82FE); // 1.44269504088896338700e+00
pub(super) const EP1: f64 = f64::from_bits(0x3FC5_5555_5555_553E); // 1.66666666666666019037e-01
pub(super) const EP2: f64 = f64::from_bits(0xBF66_C16C_16BE_BD93); // -2.77777777770155933842e-03
pub(super) const EP3: f64 = f64::from_bits(0x3F11_566A_AF25_DE2C); // 6.61375632143793436117e-05
pub(super) const EP4: f64 = f64::from_bits(0xBEBB_BD41_C5D2_6BF1); // -1.65339022054652515390e-06
pub(super) const EP5: f64 = f64::from_bits(0x3E66_3769_72BE_A4D0); // 4.13813679705723846039e-08

/// Whether [`pow_core`] is valid for `(x, c)`: `1 ≤ x < 1e300` and `|c| ≤ 1`, so that
/// `|c·ln x| < 691` and `2^k` of the exponential stays a normal number.
#[inline(always)]
pub(super) fn pow_core_ok(x: f64, c: f64) -> bool {
    (1.0..1e300).contains(&x) & (c.abs() <= 1.0)
}

/// `x^c = exp(c·ln x)` for `(x, c)` accepted by [`pow_core_ok`] (garbage otherwise), within
/// a few ulp of `f64::powf`. Branch-free and built only from `+ − × ÷` and bit operations, so
/// that a loop over it vectorises, and with no fused multiply-add, so that the vector and the
/// scalar code give bit-identical results. `ln` is fdlibm's `e_log.c` (k·ln2 + ln m,
/// m ∈ [√½, √2), with its two branches turned into a select), `exp` fdlibm's `e_exp.c` (k from
/// rounding by the 1.5·2⁵² trick, 2^k built from its bits).
#[inline(always)]
pub(super) fn pow_core(x: f64, c: f64) -> f64 {
    // ln x: x = 2^k · m.
    let bits = x.to_bits();
    let hx = (bits >> 32) & 0x000f_ffff;
    let i = (hx + 0x95f64) & 0x0010_0000;
    let k = (bits >> 52) + (i >> 20) - 1023; // x ≥ 1: k ≥ 0
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | ((i ^ 0x3ff0_0000) << 32));
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let dk = f64::from_bits(0x4330_0000_0000_0000 | k) - 4503599627370496.0;
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hx = hx as i64;
    let hfsq = 0.5 * f * f;
    let ln_x = if ((hx - 0x6147a) | (0x6b851 - hx)) > 0 {
        dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    } else {
        dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    };
    // exp(t), |t| < 700: t = k·ln2 + r.
    let t = c * ln_x;
    const ROUND: f64 = 6755399441055744.0; // 1.5·2⁵²
    let kr = t * INV_LN2 + ROUND;
    let ki = (kr.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let kf = kr - ROUND;
    let hi = t - kf * LN2_HI;
    let lo = kf * LN2_LO;
    let r = hi - lo;
    let r2 = r * r;
    let cr = r - r2 * (EP1 + r2 * (EP2 + r2 * (EP3 + r2 * (EP4 + r2 * EP5))));
    let y = 1.0 - ((lo - (r * cr) / (2.0 - cr)) - hi);
    y * f64::from_bits(((ki + 1023) as u64) << 52)
}

/// Inputs and outputs of one batch of power-law pulses (entry `b` is one device), each of
/// length `n_pre`; a batch is `[..nb]`.
#[derive(Clone, Debug)]
pub(super) struct Batch {
    /// `n + 1` (the device's new pulse count) and its `c`, `R0`, `R1`, `1/R1`, `1/R0 − 1/R1`.
    pub(super) x: Vec<f64>,
    pub(super) c: Vec<f64>,
    pub(super) r0: Vec<f64>,
    pub(super) r1: Vec<f64>,
    pub(super) inv_r1: Vec<f64>,
    pub(super) g_den: Vec<f64>,
    /// The conductance of the pair's other device.
    pub(super) g_other: Vec<f64>,
    /// Outputs: the new resistance, conductance and weight.
    pub(super) r: Vec<f64>,
    pub(super) g: Vec<f64>,
    pub(super) w: Vec<f64>,
}

impl Batch {
    pub(super) fn new(n: usize) -> Self {
        let v = || vec![0.0; n];
        Batch {
            x: v(),
            c: v(),
            r0: v(),
            r1: v(),
            inv_r1: v(),
            g_den: v(),
            g_other: v(),
            r: v(),
            g: v(),
            w: v(),
        }
    }

    /// One pulse's outputs for entry `b` with `y = (n+1)^c`: `R = R0 + R1·y`, `g` exactly as
    /// [`PowerLaw::conductance`], `w = γ(g⁺ − g⁻)`.
    #[inline(always)]
    pub(super) fn finish<const PLUS: bool>(&mut self, b: usize, y: f64, gain: f64) {
        let r = self.r0[b] + self.r1[b] * y;
        let g = (1.0 / r - self.inv_r1[b]) / self.g_den[b];
        self.r[b] = r;
        self.g[b] = g;
        self.w[b] = if PLUS {
            gain * (g - self.g_other[b])
        } else {
            gain * (self.g_other[b] - g)
        };
    }
}

#[inline(always)]
pub(super) fn pulse_batch_body<const PLUS: bool>(b: &mut Batch, nb: usize, gain: f64) -> bool {
    let (x, c) = (&b.x[..nb], &b.c[..nb]);
    let (r0, r1, inv_r1, g_den, g_other) = (
        &b.r0[..nb],
        &b.r1[..nb],
        &b.inv_r1[..nb],
        &b.g_den[..nb],
        &b.g_other[..nb],
    );
    let (ro, go, wo) = (&mut b.r[..nb], &mut b.g[..nb], &mut b.w[..nb]);
    // Two passes (the power into `ro`, then the rest): shorter loop bodies let the CPU overlap
    // more iterations of these long dependency chains.
    let mut all_ok = true;
    for k in 0..nb {
        all_ok &= pow_core_ok(x[k], c[k]);
        ro[k] = pow_core(x[k], c[k]);
    }
    for k in 0..nb {
        let r = r0[k] + r1[k] * ro[k];
        let g = (1.0 / r - inv_r1[k]) / g_den[k];
        ro[k] = r;
        go[k] = g;
        wo[k] = if PLUS {
            gain * (g - g_other[k])
        } else {
            gain * (g_other[k] - g)
        };
    }
    all_ok
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) fn pulse_batch_avx2<const PLUS: bool>(b: &mut Batch, nb: usize, gain: f64) -> bool {
    pulse_batch_body::<PLUS>(b, nb, gain)
}

/// Computes the outputs of entries `[..nb]` of `b` (see [`Batch::finish`]), four lanes at a time
/// where AVX2 is available (`avx2` says whether it is; the results are the same either way).
/// Returns whether [`pow_core_ok`] accepted every entry; the ones it rejects are wrong, and the
/// caller redoes them with `powf`.
#[inline]
pub(super) fn pulse_batch<const PLUS: bool>(
    b: &mut Batch,
    nb: usize,
    gain: f64,
    avx2: bool,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: the caller checked that the CPU has AVX2.
        return unsafe { pulse_batch_avx2::<PLUS>(b, nb, gain) };
    }
    let _ = avx2;
    pulse_batch_body::<PLUS>(b, nb, gain)
}

/// `x.powf(c)` for the lanes [`pow_core`] does not handle. A separate, never-inlined function:
/// LLVM treats the `pow` intrinsic as free of side effects and would otherwise evaluate it for
/// every lane and select.
#[cold]
#[inline(never)]
pub(super) fn powf_cold(x: f64, c: f64) -> f64 {
    x.powf(c)
}

pub(super) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2");
    #[allow(unreachable_code)]
    false
}
