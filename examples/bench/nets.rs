//! The benchmark networks, written with the runtime's builder API: the five networks of
//! `tools/nengo_baseline.py` (same sizes, connections, synapses, default random parameters) and
//! the forum network with the built-in memristive mPES rule.

use std::any::Any;
use std::borrow::Cow;

use netdsl::core::network::{
    ConnectionSpec, Endpoint, EnsembleSpec, Function, LearningRule, LstsqL2, Network, NodeOutput,
    ProbeOf, ProbeSpec, Transform,
};
use netdsl::core::plan::ProbeAttr;
use netdsl::core::rng::Rng;
use netdsl::core::synapses::Synapse;

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
    let mut net = Network::new("large_weights");
    let inp = sine(&mut net);
    let a = net.add_ensemble("a", EnsembleSpec::new(2000, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(2000, 1));
    net.connect(conn(Endpoint::Value(inp), Endpoint::Value(a)));
    let mut c = conn(Endpoint::Value(a), Endpoint::Value(b));
    c.solver = LstsqL2 {
        reg: 0.1,
        weights: true,
    };
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
pub struct Memristors {
    r0: f64,
    r1: f64,
    n_pre: usize,
    /// Resistances, row-major n_post × n_pre.
    pub r: Vec<f64>,
    /// `(R − r0) / (r1 − r0)`, kept in sync with `r` (the values the Python class recomputes
    /// every call; only pulsed rows change).
    w: Vec<f64>,
}

/// `Σ a_i b_i` in eight interleaved partial sums (vectorises; the order differs from a plain
/// loop by float rounding only, as NumPy's BLAS `w @ x` does).
#[inline(always)]
fn dot8(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[inline(always)]
fn filter_body(w: &[f64], n_pre: usize, x: &[f64], out: &mut [f64]) {
    for (o, row) in out.iter_mut().zip(w.chunks_exact(n_pre)) {
        *o = dot8(row, x);
    }
}

#[inline(always)]
fn pulse_rows_body(m: &mut Memristors, o: &[f64]) {
    let (r0, r1, n) = (m.r0, m.r1, m.n_pre);
    for ((&v, r), w) in o
        .iter()
        .zip(m.r.chunks_exact_mut(n))
        .zip(m.w.chunks_exact_mut(n))
    {
        if v > 0.0 {
            for (r, w) in r.iter_mut().zip(w.iter_mut()) {
                *r *= 0.999;
                *w = (*r - r0) / (r1 - r0);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn filter_avx2(w: &[f64], n_pre: usize, x: &[f64], out: &mut [f64]) {
    filter_body(w, n_pre, x, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pulse_rows_avx2(m: &mut Memristors, o: &[f64]) {
    pulse_rows_body(m, o)
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
        let r: Vec<f64> = (0..n_post * n_pre)
            .map(|_| rng.uniform(1e8, 1.1e8))
            .collect();
        let (r0, r1) = (1e2, 2.5e8);
        let w = r.iter().map(|&r| (r - r0) / (r1 - r0)).collect();
        Memristors {
            r0,
            r1,
            n_pre,
            r,
            w,
        }
    }

    /// `w @ x`.
    pub fn filter(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: AVX2 is available (checked); no FMA, so the rounding is the same.
            unsafe { filter_avx2(&self.w, self.n_pre, x, out) };
            return;
        }
        filter_body(&self.w, self.n_pre, x, out)
    }

    /// `out, err = x[:n], x[n:]; if err[0] > 0: R[out > 0] *= 0.999; return out`.
    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        let n = out.len();
        let (o, err) = x.split_at(n);
        if err[0] > 0.0 {
            #[cfg(target_arch = "x86_64")]
            if has_avx2() {
                // SAFETY: AVX2 is available (checked).
                unsafe { pulse_rows_avx2(self, o) };
                out.copy_from_slice(o);
                return;
            }
            pulse_rows_body(self, o);
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
