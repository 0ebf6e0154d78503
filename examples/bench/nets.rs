//! The benchmark networks, written with the runtime's builder API: the five networks of
//! `tools/nengo_baseline.py` (same sizes, connections, synapses, default random parameters) and
//! the forum network with the built-in memristive mPES rule.

use std::any::Any;
use std::borrow::Cow;

use netdsl::core::models::learning::LearningRule;
use netdsl::core::models::synapses::Synapse;
use netdsl::core::nef::rng::Rng;
use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, LstsqL2, Network, NodeOutput, ProbeOf,
    ProbeSpec, Transform, WeightStorage,
};
use netdsl::core::plan::ProbeAttr;

/// A benchmark network: name, whether `tools/nengo_baseline.py` has it, builder.
pub type NetEntry = (&'static str, bool, fn() -> Network);

/// Every network the bench knows.
pub const NETS: &[NetEntry] = &[
    ("comm_channel", true, comm_channel),
    ("chain10", true, chain10),
    ("large_weights", true, large_weights),
    ("pes_learning", true, pes_learning),
    ("seed_memristor", true, seed_memristor),
    ("forum_mpes", false, forum_mpes),
    ("large_weights_f32", false, large_weights_f32),
];

fn sine(net: &mut Network) -> usize {
    net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| {
            o[0] = (2.0 * std::f64::consts::PI * t).sin()
        })),
    )
}

fn conn(pre: Endpoint, post: Endpoint) -> ConnectionSpec {
    ConnectionSpec::new(pre, post)
}

fn probe(net: &mut Network, name: &str, item: usize) {
    let mut p = ProbeSpec::new(ProbeOf::Item(item), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe(name, p);
}

fn func(text: &'static str, f: fn(&[f64], &mut [f64])) -> Option<Function> {
    Some(Function {
        size_out: 1,
        f: Box::new(f),
        text: Cow::Borrowed(text),
    })
}

/// `inp → a → b`, 100 neurons each, probe b (0.01).
pub fn comm_channel() -> Network {
    let mut net = Network::new("comm_channel");
    let inp = sine(&mut net);
    let a = net.add_ensemble("a", EnsembleSpec::new(100, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(100, 1));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(a)));
    net.connect(conn(Endpoint::Value(a), Endpoint::Value(b)));
    probe(&mut net, "b", b);
    net
}

/// `inp → e0 → … → e9`, 200 neurons each, probe e9 (0.01).
pub fn chain10() -> Network {
    let mut net = Network::new("chain10");
    let mut prev = sine(&mut net);
    for i in 0..10 {
        let e = net.add_ensemble(format!("e{i}"), EnsembleSpec::new(200, 1));
        net.connect(conn(Endpoint::Value(prev), Endpoint::Value(e)));
        prev = e;
    }
    probe(&mut net, "out", prev);
    net
}

/// `inp → a → b` with 2000 neurons each and a full 2000 × 2000 weight matrix (`LstsqL2(weights=True)`).
pub fn large_weights() -> Network {
    large_weights_stored(WeightStorage::F64)
}

/// [`large_weights`] with the weight matrix stored as `f32` (netdsl's option; no Nengo twin).
pub fn large_weights_f32() -> Network {
    large_weights_stored(WeightStorage::F32)
}

fn large_weights_stored(storage: WeightStorage) -> Network {
    let name = match storage {
        WeightStorage::F64 => "large_weights",
        WeightStorage::F32 => "large_weights_f32",
    };
    let mut net = Network::new(name);
    let inp = sine(&mut net);
    let a = net.add_ensemble("a", EnsembleSpec::new(2000, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(2000, 1));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(a)));
    let mut c = conn(Endpoint::Value(a), Endpoint::Value(b));
    c.solver = LstsqL2 {
        reg: 0.1,
        weights: true,
    }
    .into();
    c.weight_storage = storage;
    net.connect(c);
    probe(&mut net, "b", b);
    net
}

/// PES learning `pre → post` (function 0) from `err = post − pre²`, 100 neurons each.
pub fn pes_learning() -> Network {
    let mut net = Network::new("pes_learning");
    let inp = sine(&mut net);
    let pre = net.add_ensemble("pre", EnsembleSpec::new(100, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(100, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(100, 1));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(pre)));
    let mut c = conn(Endpoint::Value(pre), Endpoint::Value(post));
    c.function = func("lambda x: 0", |_, o| o[0] = 0.0);
    c.learning = Some(LearningRule::pes());
    c.label = Some("c".into());
    let c = net.connect(c);
    net.connect(conn(Endpoint::Value(post), Endpoint::Value(err)));
    let mut sq = conn(Endpoint::Value(pre), Endpoint::Value(err));
    sq.function = func("lambda x: x**2", |x, o| o[0] = x[0] * x[0]);
    sq.transform = Transform::Scalar(-1.0);
    net.connect(sq);
    net.connect(conn(Endpoint::Value(err), Endpoint::Learning(c)));
    probe(&mut net, "post", post);
    net
}

/// The seed document's `Memristors` class: resistances `R` (n_post × n_pre), a filter stage
/// `out = ((R − r0) / (r1 − r0)) · x` and a pulse stage that lowers every row of `R` whose
/// output is positive by 0.1 % when the error is positive.
///
/// A pulse scales a whole row, so `R` is kept as its initial value times a per-row factor,
/// `R_ji = R⁰_ji · s_j` (`s_j` = the product of the row's 0.999 factors): a pulse costs one
/// multiplication per row, and the filter stage, by linearity,
/// `out_j = (s_j · (R⁰_j · x) − r0 · Σx) / (r1 − r0)`, is one dense product with the fixed R⁰.
/// Equal to the class's `w @ x` and `R *= 0.999` up to float rounding.
pub struct Memristors {
    r0: f64,
    r1: f64,
    n_pre: usize,
    /// Initial resistances R⁰, row-major n_post × n_pre.
    r_init: Vec<f64>,
    /// Per-row factor `s_j`: `R_j = R⁰_j · s_j`.
    scale: Vec<f64>,
}

/// `out[j] = Σ_i m[j·n + i] · x[i]`: four rows at a time, eight columns per step in two AVX2
/// accumulators per row (mul then add, no FMA), remainder columns scalar.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn matvec_avx2(m: &[f64], n: usize, x: &[f64], out: &mut [f64]) {
    use std::arch::x86_64::*;
    #[inline(always)]
    fn hsum(a: __m256d, b: __m256d) -> f64 {
        let mut v = [0.0; 4];
        // SAFETY: `v` has four f64; AVX2 is enabled in the caller.
        unsafe { _mm256_storeu_pd(v.as_mut_ptr(), _mm256_add_pd(a, b)) };
        (v[0] + v[1]) + (v[2] + v[3])
    }
    assert!(x.len() == n && m.len() == n * out.len());
    let (n8, n4) = (n / 8 * 8, n / 4 * 4);
    let mut rows = m.chunks_exact(n);
    let mut outs = out.chunks_exact_mut(4);
    for o in &mut outs {
        let r = [
            rows.next().unwrap_or_default().as_ptr(),
            rows.next().unwrap_or_default().as_ptr(),
            rows.next().unwrap_or_default().as_ptr(),
            rows.next().unwrap_or_default().as_ptr(),
        ];
        let mut lo = [_mm256_setzero_pd(); 4];
        let mut hi = [_mm256_setzero_pd(); 4];
        let mut i = 0;
        // SAFETY: every load reads columns below n8 or n4 ≤ n, the length of x and of every row
        // (asserted above).
        unsafe {
            while i < n8 {
                let (x0, x1) = (
                    _mm256_loadu_pd(x.as_ptr().add(i)),
                    _mm256_loadu_pd(x.as_ptr().add(i + 4)),
                );
                for q in 0..4 {
                    let p = r[q].add(i);
                    lo[q] = _mm256_add_pd(lo[q], _mm256_mul_pd(_mm256_loadu_pd(p), x0));
                    hi[q] = _mm256_add_pd(hi[q], _mm256_mul_pd(_mm256_loadu_pd(p.add(4)), x1));
                }
                i += 8;
            }
            if i < n4 {
                let x0 = _mm256_loadu_pd(x.as_ptr().add(i));
                for q in 0..4 {
                    lo[q] = _mm256_add_pd(lo[q], _mm256_mul_pd(_mm256_loadu_pd(r[q].add(i)), x0));
                }
            }
        }
        for (q, o) in o.iter_mut().enumerate() {
            let mut s = hsum(lo[q], hi[q]);
            for (k, xk) in x.iter().enumerate().skip(n4) {
                // SAFETY: k < n, the row length.
                s += unsafe { *r[q].add(k) } * xk;
            }
            *o = s;
        }
    }
    for (o, row) in outs.into_remainder().iter_mut().zip(rows) {
        *o = row.iter().zip(x).map(|(a, b)| a * b).sum();
    }
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::arch::is_x86_feature_detected!("avx2");
    #[allow(unreachable_code)]
    false
}

impl Memristors {
    /// `R ~ Uniform(1e8, 1.1e8)`.
    pub fn new(n_pre: usize, n_post: usize, rng: &mut Rng) -> Self {
        let r_init: Vec<f64> = (0..n_post * n_pre)
            .map(|_| rng.uniform(1e8, 1.1e8))
            .collect();
        Memristors {
            r0: 1e2,
            r1: 2.5e8,
            n_pre,
            r_init,
            scale: vec![1.0; n_post],
        }
    }

    /// The resistances `R`, row-major n_post × n_pre.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn resistances(&self) -> Vec<f64> {
        self.r_init
            .chunks_exact(self.n_pre)
            .zip(&self.scale)
            .flat_map(|(row, &s)| row.iter().map(move |r| r * s))
            .collect()
    }

    /// `w @ x` with `w = (R − r0)/(r1 − r0)`.
    pub fn filter(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: AVX2 is available (checked).
            unsafe { self.filter_avx2(x, out) };
            return;
        }
        self.filter_body(x, out)
    }

    #[inline(always)]
    fn filter_body(&self, x: &[f64], out: &mut [f64]) {
        for (o, row) in out.iter_mut().zip(self.r_init.chunks_exact(self.n_pre)) {
            *o = row.iter().zip(x).map(|(a, b)| a * b).sum();
        }
        self.finish(x, out);
    }

    /// `out_j ← (s_j · out_j − r0 · Σx) / (r1 − r0)`, with `out_j = R⁰_j · x` on entry.
    #[inline(always)]
    fn finish(&self, x: &[f64], out: &mut [f64]) {
        let mut acc = [0.0; 4];
        let mut xs = x.chunks_exact(4);
        for c in &mut xs {
            for k in 0..4 {
                acc[k] += c[k];
            }
        }
        let sum_x = (acc[0] + acc[1]) + (acc[2] + acc[3]) + xs.remainder().iter().sum::<f64>();
        let (base, span) = (self.r0 * sum_x, self.r1 - self.r0);
        for (o, &s) in out.iter_mut().zip(&self.scale) {
            *o = (s * *o - base) / span;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn filter_avx2(&self, x: &[f64], out: &mut [f64]) {
        matvec_avx2(&self.r_init, self.n_pre, x, out);
        self.finish(x, out);
    }

    /// `out, err = x[:n], x[n:]; if err[0] > 0: R[out > 0] *= 0.999; return out`.
    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        let n = out.len();
        let (o, err) = x.split_at(n);
        if err[0] > 0.0 {
            for (s, &v) in self.scale.iter_mut().zip(o) {
                if v > 0.0 {
                    *s *= 0.999;
                }
            }
        }
        out.copy_from_slice(o);
    }
}

fn mem(s: &mut dyn Any) -> &mut Memristors {
    s.downcast_mut::<Memristors>().expect("a Memristors state")
}

fn stage_filter(s: &mut dyn Any, t: f64, x: &[f64], out: &mut [f64]) {
    mem(s).filter(t, x, out)
}

fn stage_pulse(s: &mut dyn Any, t: f64, x: &[f64], out: &mut [f64]) {
    mem(s).pulse(t, x, out)
}

#[cfg(test)]
mod memristors_tests {
    use super::*;

    /// The Python class, literally: `R` stored, `w` recomputed, `R[row] *= 0.999`.
    struct Literal {
        r: Vec<f64>,
        n_pre: usize,
    }

    impl Literal {
        fn filter(&self, x: &[f64], out: &mut [f64]) -> Vec<f64> {
            let (r0, r1) = (1e2, 2.5e8);
            let mut scale = vec![0.0; out.len()];
            for (j, o) in out.iter_mut().enumerate() {
                let row = &self.r[j * self.n_pre..(j + 1) * self.n_pre];
                *o = row
                    .iter()
                    .zip(x)
                    .map(|(r, x)| (r - r0) / (r1 - r0) * x)
                    .sum();
                scale[j] = row.iter().zip(x).map(|(r, x)| (r * x).abs()).sum::<f64>() / (r1 - r0);
            }
            scale
        }

        fn pulse(&mut self, o: &[f64], err: f64) {
            if err > 0.0 {
                for (j, &v) in o.iter().enumerate() {
                    if v > 0.0 {
                        for r in &mut self.r[j * self.n_pre..(j + 1) * self.n_pre] {
                            *r *= 0.999;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn same_as_the_literal_class_up_to_rounding() {
        let (n_pre, n_post) = (37, 21);
        let mut rng = Rng::new(5);
        let mut fast = Memristors::new(n_pre, n_post, &mut rng);
        let mut lit = Literal {
            r: fast.resistances(),
            n_pre,
        };
        let (mut out_f, mut out_l) = (vec![0.0; n_post], vec![0.0; n_post]);
        let (mut pulsed, mut worst_out, mut worst_r) = (0, 0.0f64, 0.0f64);
        for step in 0..20_000 {
            // Filtered-spike-like inputs, mostly positive so that rows are pulsed until R falls
            // below r0 (out ≤ 0 there: the subtraction cancels), sometimes negative.
            let x: Vec<f64> = (0..n_pre)
                .map(|_| rng.uniform(if step % 7 == 0 { -60.0 } else { -5.0 }, 50.0))
                .collect();
            fast.filter(0.0, &x, &mut out_f);
            let scale = lit.filter(&x, &mut out_l);
            for j in 0..n_post {
                let tol = 1e-12 * (scale[j] + 1e-300);
                worst_out = worst_out.max((out_f[j] - out_l[j]).abs() / tol * 1e-12);
                assert!(
                    (out_f[j] - out_l[j]).abs() <= tol,
                    "step {step} row {j}: {} vs {}",
                    out_f[j],
                    out_l[j]
                );
            }
            let err = rng.uniform(-0.2, 1.0);
            // Both pulse with the literal outputs (a sign decided by rounding would otherwise
            // let them part).
            let mut xin = out_l.clone();
            xin.push(err);
            let mut o = vec![0.0; n_post];
            fast.pulse(0.0, &xin, &mut o);
            assert_eq!(o, out_l);
            lit.pulse(&out_l, err);
            pulsed += out_l.iter().filter(|&&v| v > 0.0).count() * usize::from(err > 0.0);
        }
        // Deep pulsing: rows went from R ≈ 1e8 to below r0 = 100 (0.999^14000 ≈ 8e-7).
        assert!(pulsed > 200_000, "{pulsed}");
        assert!(fast.scale.iter().all(|&s| s < 1e-6), "{:?}", fast.scale);
        for (a, b) in fast.resistances().iter().zip(&lit.r) {
            worst_r = worst_r.max(((a - b) / b).abs());
        }
        eprintln!("worst |Δout| / Σ|w·x| scale: {worst_out:e}; worst relative ΔR: {worst_r:e}");
        assert!(worst_r <= 1e-12);
    }
}

fn square_wave(net: &mut Network) -> usize {
    net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| {
            // int(6 * t / 5) / 3.0 % 2 - 1 (Python's % is a floor modulo; the value is ≥ 0 here).
            let v = (6.0 * t / 5.0).trunc() / 3.0;
            o[0] = v.rem_euclid(2.0) - 1.0
        })),
    )
}

/// The seed document's network: `pre.neurons → memristor filter nodes → post.neurons`, with
/// pulse nodes fed by the filter outputs and the error; two `Memristors` states (exc, inh),
/// each shared by its filter and pulse stage.
pub fn seed_memristor() -> Network {
    let n = 100;
    let mut net = Network::new("seed_memristor");
    let mut rng = Rng::new(0);
    let exc = net.add_state("exc", Memristors::new(n, n, &mut rng));
    let inh = net.add_state("inh", Memristors::new(n, n, &mut rng));
    let inp = square_wave(&mut net);
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(100, 1));
    let stage = |state, method: &'static str, call| NodeOutput::Stage {
        state,
        method: Cow::Borrowed(method),
        call,
    };
    let mp = net.add_node("mp", n, n, stage(exc, "filter", stage_filter));
    let mm = net.add_node("mm", n, n, stage(inh, "filter", stage_filter));
    let pp = net.add_node("pp", n + 1, n, stage(exc, "pulse", stage_pulse));
    let pm = net.add_node("pm", n + 1, n, stage(inh, "pulse", stage_pulse));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(pre)));
    for m in [mp, mm] {
        let mut c = conn(Endpoint::Neurons(pre), Endpoint::Value(m));
        c.synapse = Some(Synapse::Lowpass(0.01));
        net.connect(c);
    }
    let mut c = conn(Endpoint::Value(mp), Endpoint::Neurons(post));
    c.synapse = None;
    net.connect(c);
    let mut c = conn(Endpoint::Value(mm), Endpoint::Neurons(post));
    c.synapse = None;
    c.transform = Transform::Scalar(-1.0);
    net.connect(c);
    let mut c = conn(Endpoint::Value(pre), Endpoint::Value(err));
    c.function = func("lambda x: x", |x, o| o[0] = x[0]);
    c.transform = Transform::Scalar(-1.0);
    net.connect(c);
    net.connect(conn(Endpoint::Value(post), Endpoint::Value(err)));
    for (m, p) in [(mp, pp), (mm, pm)] {
        let mut c = conn(Endpoint::Value(m), Endpoint::Value(p));
        c.synapse = None;
        c.post_slice = Some(0..n);
        net.connect(c);
    }
    for p in [pp, pm] {
        let mut c = conn(Endpoint::Value(err), Endpoint::Value(p));
        c.post_slice = Some(n..n + 1);
        net.connect(c);
    }
    probe(&mut net, "post", post);
    probe(&mut net, "err", err);
    net
}

/// The forum network with the built-in memristive rule: `pre.neurons → post.neurons` learned by
/// mPES (differential device pairs), `err = post − pre` into `conn.learning`.
pub fn forum_mpes() -> Network {
    let n = 100;
    let mut net = Network::new("forum_mpes");
    let inp = square_wave(&mut net);
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, 1));
    let err = net.add_ensemble("err", EnsembleSpec::new(100, 1));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(pre)));
    let mut c = conn(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    c.learning = Some(LearningRule::mpes());
    c.label = Some("learned".into());
    let c = net.connect(c);
    let mut e = conn(Endpoint::Value(pre), Endpoint::Value(err));
    e.function = func("lambda x: x", |x, o| o[0] = x[0]);
    e.transform = Transform::Scalar(-1.0);
    net.connect(e);
    net.connect(conn(Endpoint::Value(post), Endpoint::Value(err)));
    net.connect(conn(Endpoint::Value(err), Endpoint::Learning(c)));
    probe(&mut net, "post", post);
    probe(&mut net, "err", err);
    net
}
