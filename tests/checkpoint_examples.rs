//! Checkpoint / resume of the main example's two variants (`examples/forum_memristor.rs`): the
//! hand-written memristor stages (user state values saved through `Checkpoint`) and the
//! built-in mPES connection. Running 2T straight and T + checkpoint + a freshly built
//! simulator + T give the same probe bytes, device arrays and state values, on 1 or 2 step
//! threads.

#![allow(dead_code)]

#[path = "../examples/forum_memristor.rs"]
mod forum_memristor;

use forum_memristor::{build_builtin, build_stages, Memristors, GAIN};
use netdsl::core::sim::Simulator;

const STEPS: u64 = 400;

fn bytes(sim: &Simulator) -> Vec<u8> {
    let mut out = Vec::new();
    for name in sim.probe_names() {
        for v in &sim.probe(name).expect("probe").data {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for a in sim.memristors() {
        for v in a.r_pos().iter().chain(a.r_neg()).chain(a.weights()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for which in ["exc", "inh"] {
        if let Some(m) = sim.state::<Memristors>(which) {
            out.extend_from_slice(&m.mean_resistance().to_le_bytes());
            out.extend_from_slice(&m.pulses().to_le_bytes());
        }
    }
    out
}

fn check(build: &dyn Fn() -> Simulator, what: &str) {
    let dir = std::env::temp_dir().join(format!("netdsl-ckpt-ex-{}-{what}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("ck");
    let mut straight = build();
    straight.set_progress(false);
    straight.run_steps(2 * STEPS).expect("runs");
    for (a, b) in [(1, 2), (2, 1)] {
        let mut first = build();
        first.set_progress(false);
        first.set_threads(a);
        first.run_steps(STEPS).expect("runs");
        let t = std::time::Instant::now();
        first.save_checkpoint(&path).expect("saves");
        let saved = t.elapsed();
        drop(first);
        let mut second = build();
        second.set_progress(false);
        second.set_threads(b);
        let t = std::time::Instant::now();
        second.load_checkpoint(&path).expect("loads");
        eprintln!(
            "{what}: checkpoint {} bytes, saved in {saved:?}, loaded in {:?}",
            std::fs::metadata(&path).expect("file").len(),
            t.elapsed()
        );
        second.run_steps(STEPS).expect("runs");
        assert!(
            bytes(&second) == bytes(&straight),
            "{what}: {a} → {b} threads"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_hand_written_stage_variant_resumes_bit_identically() {
    // No `register_state::<Memristors>()`: `network!` registers a state type that implements
    // `Checkpoint` itself.
    check(&|| build_stages(0, GAIN).expect("builds"), "stages");
}

#[test]
fn the_builtin_mpes_variant_resumes_bit_identically() {
    check(&|| build_builtin(0, None).expect("builds"), "builtin");
}

#[test]
fn without_registration_the_stage_variant_cannot_be_saved() {
    // A state value of a type nobody registered is named in the error.
    struct Unregistered;
    let mut net = netdsl::core::network::Network::new("u");
    net.add_state("u", Unregistered);
    let sim = Simulator::new(net, 0.001).expect("builds");
    let err = sim.checkpoint_bytes().expect_err("refused");
    assert!(err.to_string().contains("`u`"), "{err}");
}
