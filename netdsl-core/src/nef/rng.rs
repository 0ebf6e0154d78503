//! A small, deterministic and portable pseudo-random number generator.
//!
//! netdsl does not try to reproduce NumPy's Mersenne Twister stream: it reproduces Nengo's
//! *distributions* with its own generator. The generator is xoshiro256++ whose 256-bit state is
//! filled from a SplitMix64 sequence, so a seed always gives the same numbers, on every platform and
//! in every version of this crate. Everything here uses only integer arithmetic and IEEE-754 basic
//! operations (`+ - * /` and `sqrt`, which are correctly rounded everywhere); the logarithm used by
//! [`Rng::normal`] is evaluated by a private series rather than the platform's `libm`, so normal
//! deviates are bit-for-bit portable too.

/// Golden-ratio increment of SplitMix64.
const SPLITMIX_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// One SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(SPLITMIX_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic xoshiro256++ generator.
///
/// Construct it with [`Rng::new`] (one seed) or [`Rng::derive`] (a seed plus a stream number, so
/// that every object of a network can own an independent, reproducible stream). [`Rng::fork`]
/// splits off an independent child generator.
#[derive(Clone, Debug, PartialEq)]
pub struct Rng {
    s: [u64; 4],
    /// Second deviate of the last polar-method pair, handed out by the next [`Rng::normal`] call.
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator whose state is filled from SplitMix64 started at `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for word in &mut s {
            *word = splitmix64(&mut sm);
        }
        // SplitMix64 is a bijection of its counter, so four consecutive outputs are never all
        // zero; keep the guard anyway since an all-zero state would be a fixed point.
        if s == [0; 4] {
            s[0] = SPLITMIX_GAMMA;
        }
        Rng {
            s,
            spare_normal: None,
        }
    }

    /// The generator for stream `stream` of `seed`: different streams of one seed (or one stream
    /// of different seeds) give unrelated sequences. Used to give each network object its own RNG.
    pub fn derive(seed: u64, stream: u64) -> Rng {
        let mut sm = stream ^ 0x6A09_E667_F3BC_C909;
        let stream_key = splitmix64(&mut sm);
        let mut sm2 = seed;
        let seed_key = splitmix64(&mut sm2);
        Rng::new(seed_key ^ stream_key.rotate_left(17))
    }

    /// The generator's whole state (the xoshiro words and the spare normal deviate), e.g. for a
    /// checkpoint of a process or neuron model that draws while it steps.
    pub fn state(&self) -> ([u64; 4], Option<f64>) {
        (self.s, self.spare_normal)
    }

    /// A generator in a state returned by [`Rng::state`]: it continues that generator's
    /// sequence exactly.
    pub fn from_state(s: [u64; 4], spare_normal: Option<f64>) -> Rng {
        Rng { s, spare_normal }
    }

    /// Splits off an independent child generator (advances `self` by two draws).
    pub fn fork(&mut self) -> Rng {
        let a = self.next_u64();
        let b = self.next_u64();
        Rng::derive(a, b)
    }

    /// The next 64 random bits (xoshiro256++).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform double in `[0, 1)` with 53 random bits (a multiple of 2⁻⁵³).
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform double in `[lo, hi)`, computed as `lo + (hi - lo) * u` like NumPy's `uniform`.
    #[inline]
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's multiply-and-reject).
    ///
    /// # Panics
    /// If `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below needs a non-empty range");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates, drawing with [`Rng::below`]).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A standard normal deviate (Marsaglia's polar method; the second deviate of each pair is kept
    /// for the next call). Portable: uses only basic IEEE operations and a private logarithm.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * portable_ln(s) / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }
}

/// Natural logarithm of a positive, finite, normal `x`, using only basic IEEE operations so that
/// the result is the same on every platform (accurate to about one ulp).
fn portable_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_finite());
    // Split x = m * 2^k with m in [sqrt(1/2), sqrt(2)).
    let bits = x.to_bits();
    let mut k = ((bits >> 52) & 0x7FF) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        k += 1;
    }
    // ln(m) = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.1716; the odd series in f converges
    // fast (f^2 <= 0.0295), 12 terms leave a truncation error far below one ulp.
    let f = (m - 1.0) / (m + 1.0);
    let f2 = f * f;
    let mut series = 0.0;
    for n in (1..=12).rev() {
        series = series * f2 + 1.0 / (2 * n + 1) as f64;
    }
    let ln_m = 2.0 * f + 2.0 * f * f2 * series;
    // ln 2 split in a part with a short mantissa (exact times small k) and a correction.
    // (fdlibm's ln2_hi / ln2_lo bit patterns).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    let kf = k as f64;
    kf * LN2_HI + (ln_m + kf * LN2_LO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Rng::new(43);
        assert_ne!(Rng::new(42).next_u64(), c.next_u64());
    }

    #[test]
    fn rng_known_values_are_frozen() {
        // SplitMix64 seeded with 0 is a published test vector: first output 0xE220A8397B1DCDAF.
        let mut sm = 0u64;
        assert_eq!(splitmix64(&mut sm), 0xE220_A839_7B1D_CDAF);
        // xoshiro256++ with state [1, 2, 3, 4]: the reference implementation's first outputs.
        let mut r = Rng {
            s: [1, 2, 3, 4],
            spare_normal: None,
        };
        assert_eq!(r.next_u64(), 41_943_041);
        assert_eq!(r.next_u64(), 58_720_359);
        assert_eq!(r.next_u64(), 3_588_806_011_781_223);
    }

    #[test]
    fn rng_next_f64_range_and_mean() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x * (1u64 << 53) as f64, (x * (1u64 << 53) as f64).trunc());
            sum += x;
        }
        assert!((sum / n as f64 - 0.5).abs() < 0.005);
        let y = r.uniform(-2.0, 3.0);
        assert!((-2.0..3.0).contains(&y));
    }

    #[test]
    fn rng_normal_moments() {
        let mut r = Rng::new(11);
        let n = 400_000;
        let (mut s1, mut s2, mut s4) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
        }
        let nf = n as f64;
        assert!((s1 / nf).abs() < 0.01, "mean {}", s1 / nf);
        assert!((s2 / nf - 1.0).abs() < 0.01, "var {}", s2 / nf);
        assert!((s4 / nf - 3.0).abs() < 0.05, "kurtosis {}", s4 / nf);
    }

    #[test]
    fn rng_portable_ln_matches_std() {
        let mut r = Rng::new(3);
        for _ in 0..10_000 {
            let x = r.next_f64().max(1e-300) * 10f64.powi((r.below(40) as i32) - 20);
            let a = portable_ln(x);
            let b = x.ln();
            assert!(
                (a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(1.0),
                "{x}: {a} vs {b}"
            );
        }
        assert_eq!(portable_ln(1.0), 0.0);
        assert!((portable_ln(2.0) - std::f64::consts::LN_2).abs() < 1e-16);
    }

    #[test]
    fn rng_fork_and_derive_are_independent_and_reproducible() {
        let mut parent = Rng::new(5);
        let mut child = parent.fork();
        let mut parent2 = Rng::new(5);
        let mut child2 = parent2.fork();
        assert_eq!(child.next_u64(), child2.next_u64());
        assert_eq!(parent.next_u64(), parent2.next_u64());
        assert_ne!(child.next_u64(), parent.next_u64());
        let mut d1 = Rng::derive(9, 0);
        let mut d2 = Rng::derive(9, 1);
        let mut d3 = Rng::derive(10, 0);
        let x = d1.next_u64();
        assert_ne!(x, d2.next_u64());
        assert_ne!(x, d3.next_u64());
        assert_eq!(Rng::derive(9, 0).next_u64(), x);
    }

    #[test]
    fn rng_below_and_shuffle() {
        let mut r = Rng::new(1);
        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[r.below(3) as usize] += 1;
        }
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 400.0);
        }
        let mut v: Vec<usize> = (0..50).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
