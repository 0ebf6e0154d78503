//! Checkpoint / resume: running T, saving, loading into a freshly built simulator (or a fresh
//! process) and running T more gives the bytes of a 2T run, for the fixture networks, PES,
//! mPES with random device parameters, process nodes and user state values, on 1 or 2 step
//! threads in any combination; damaged, foreign or unsupported checkpoints are clear errors.

mod common;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use netdsl_core::io::checkpoint::format::HEADER_LEN;
use netdsl_core::io::checkpoint::{
    register_state, Checkpoint, CheckpointError, CheckpointEvery, NetworkCheckpointExt,
};
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::memristor::{Device, Variability};
use netdsl_core::models::processes::{Piecewise, Process, Sines, WhiteSignal};
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::{SimOptions, Simulator};

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netdsl-ckpt-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Every probe's data and sample steps, as bytes, plus the memristor arrays and the step.
fn fingerprint(sim: &Simulator) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&sim.n_steps().to_le_bytes());
    for name in sim.probe_names() {
        let p = sim.probe(name).expect("probe");
        out.extend_from_slice(name.as_bytes());
        for v in &p.data {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for s in &p.steps {
            out.extend_from_slice(&s.to_le_bytes());
        }
    }
    for a in sim.memristors() {
        for v in a.r_pos().iter().chain(a.r_neg()).chain(a.weights()) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&a.total_pulses().to_le_bytes());
    }
    out
}

fn sim_with(net: Network, dt: f64, threads: usize) -> Simulator {
    let mut s = Simulator::with_options(
        net,
        dt,
        SimOptions {
            step_threads: threads,
            ..SimOptions::default()
        },
    )
    .expect("build");
    s.set_progress(false);
    s
}

/// Runs `2·steps` straight, and `steps` + checkpoint + fresh simulator + `steps`, for every pair
/// of thread counts; asserts the bytes agree. Returns the checkpoint's size.
fn assert_resume_identical(make: &dyn Fn() -> Network, dt: f64, steps: u64, what: &str) -> u64 {
    let dir = tmp_dir(what);
    let path = dir.join("ck.bin");
    let mut straight = sim_with(make(), dt, 1);
    straight.run_steps(2 * steps).expect("runs");
    let want = fingerprint(&straight);
    let mut size = 0;
    for (save_threads, load_threads) in [(1, 1), (2, 1), (1, 2), (2, 2)] {
        let mut first = sim_with(make(), dt, save_threads);
        first.run_steps(steps).expect("runs");
        first.save_checkpoint(&path).expect("saves");
        size = std::fs::metadata(&path).expect("file").len();
        drop(first);
        let mut second = Simulator::resume_with_options(
            make(),
            dt,
            SimOptions {
                step_threads: load_threads,
                ..SimOptions::default()
            },
            &path,
        )
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        second.set_progress(false);
        assert_eq!(second.n_steps(), steps);
        second.run_steps(steps).expect("runs");
        assert!(
            fingerprint(&second) == want,
            "{what}: saved on {save_threads} thread(s), resumed on {load_threads}: not the bits \
             of the straight run"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    size
}

// ---------------------------------------------------------------------------------------------
// Networks
// ---------------------------------------------------------------------------------------------

impl Checkpoint for common::Memristors {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        self.r.save(w)
    }
    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        self.r.load(r)
    }
}

/// A chain of 400-neuron ensembles (worth two threads), a PES-learned connection, a 2-D
/// ensemble through a slice, probes of values, spikes, voltages and weights.
fn pes_network() -> Network {
    let mut net = Network::new("pes");
    net.seed = 7;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (6.0 * t).sin())),
    );
    let mut prev = Endpoint::Value(inp);
    let mut ens = Vec::new();
    for k in 0..4 {
        let e = net.add_ensemble(format!("e{k}"), EnsembleSpec::new(400, 1));
        net.connect(ConnectionSpec::new(prev, Endpoint::Value(e)));
        prev = Endpoint::Value(e);
        ens.push(e);
    }
    let two = net.add_ensemble("two", EnsembleSpec::new(200, 2));
    let mut c = ConnectionSpec::new(Endpoint::Value(ens[1]), Endpoint::Value(two));
    c.post_slice = Some(1..2);
    net.connect(c);
    let mut learned = ConnectionSpec::new(Endpoint::Value(ens[0]), Endpoint::Value(ens[3]));
    learned.learning = Some(LearningRule::pes());
    let learned = net.connect(learned);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(ens[2]),
        Endpoint::Learning(learned),
    ));
    let probe = |net: &mut Network, name: &str, of, attr, syn: Option<Synapse>| {
        let mut p = ProbeSpec::new(of, attr);
        p.synapse = syn;
        net.probe(name, p);
    };
    let lp = Some(Synapse::Lowpass(0.01));
    probe(
        &mut net,
        "e3",
        ProbeOf::Item(ens[3]),
        ProbeAttr::Value,
        lp.clone(),
    );
    probe(&mut net, "two", ProbeOf::Item(two), ProbeAttr::Value, lp);
    probe(
        &mut net,
        "spikes",
        ProbeOf::Item(ens[1]),
        ProbeAttr::Spikes,
        None,
    );
    probe(
        &mut net,
        "voltage",
        ProbeOf::Item(ens[0]),
        ProbeAttr::Voltage,
        None,
    );
    let mut w = ProbeSpec::new(ProbeOf::Conn(learned), ProbeAttr::Weights);
    w.sample_every = Some(0.005);
    net.probe("weights", w);
    net
}

/// The mPES network of `tests/mpes.rs` (Frontiers: learn the identity) with random device
/// parameters (variability 15 %) and a `Sines` process input.
fn mpes_network() -> Network {
    let n = 40;
    let mut net = Network::new("mpes");
    net.seed = 3;
    let input = net.add_node(
        "input",
        0,
        1,
        NodeOutput::Process(Box::new(Sines {
            dims: 1,
            period: 0.4,
        })),
    );
    let pre = net.add_ensemble("pre", EnsembleSpec::new(n, 1));
    let post = net.add_ensemble("post", EnsembleSpec::new(n, 1));
    let error = net.add_ensemble("error", EnsembleSpec::new(n, 1));
    let mut c = ConnectionSpec::new(Endpoint::Neurons(pre), Endpoint::Neurons(post));
    c.transform = Transform::Matrix(ndarray::Array2::zeros((n, n)));
    c.learning = Some(LearningRule::Mpes {
        gain: 1e4,
        threshold: 1e-5,
        pre_synapse: Some(Synapse::Lowpass(0.005)),
        model: Device::default(),
        variability: Variability::uniform(0.15),
        seed: None,
    });
    let learned = net.connect(c);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(error),
        Endpoint::Learning(learned),
    ));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(post),
        Endpoint::Value(error),
    ));
    let mut target = ConnectionSpec::new(Endpoint::Value(pre), Endpoint::Value(error));
    target.transform = Transform::Scalar(-1.0);
    net.connect(target);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(input),
        Endpoint::Value(pre),
    ));
    let mut p = ProbeSpec::new(ProbeOf::Item(post), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("post", p);
    for (name, attr) in [
        ("weights", ProbeAttr::Weights),
        ("r_pos", ProbeAttr::ResistancePos),
    ] {
        let mut p = ProbeSpec::new(ProbeOf::Conn(learned), attr);
        p.sample_every = Some(0.01);
        net.probe(name, p);
    }
    net
}

/// Process nodes (WhiteSignal with the network's seed, WhiteSignal with its own, Sines,
/// Piecewise) into ensembles.
fn process_network(seed: u64) -> Network {
    let mut net = Network::new("processes");
    net.seed = seed;
    let procs: Vec<(&str, Box<dyn Process>)> = vec![
        ("white", Box::new(WhiteSignal::new(0.5, 10.0))),
        (
            "white_own",
            Box::new(WhiteSignal::new(1.0, 5.0).with_seed(11).with_dims(2)),
        ),
        (
            "sines",
            Box::new(Sines {
                dims: 2,
                period: 0.3,
            }),
        ),
        (
            "steps",
            Box::new(Piecewise::new(vec![(0.0, vec![0.5]), (0.07, vec![-0.5])])),
        ),
    ];
    for (name, p) in procs {
        let d = p.size_out();
        let node = net.add_node(name, 0, d, NodeOutput::Process(p));
        let e = net.add_ensemble(format!("{name}_ens"), EnsembleSpec::new(50, d));
        net.connect(ConnectionSpec::new(
            Endpoint::Value(node),
            Endpoint::Value(e),
        ));
        net.probe(name, ProbeSpec::new(ProbeOf::Item(node), ProbeAttr::Value));
        let mut p = ProbeSpec::new(ProbeOf::Item(e), ProbeAttr::Value);
        p.synapse = Some(Synapse::Alpha(0.005));
        net.probe(format!("{name}_ens"), p);
    }
    net
}

/// A user state value: a running sum that the stage output depends on.
struct Accumulator {
    sum: Vec<f64>,
    calls: u64,
}

impl Checkpoint for Accumulator {
    fn save(&self, w: &mut dyn Write) -> io::Result<()> {
        self.sum.save(w)?;
        self.calls.save(w)
    }
    fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
        self.sum.load(r)?;
        self.calls.load(r)
    }
}

fn accumulate(s: &mut dyn std::any::Any, _t: f64, x: &[f64], out: &mut [f64]) {
    let Some(s) = s.downcast_mut::<Accumulator>() else {
        out.copy_from_slice(x); // other state types: a pass-through
        return;
    };
    s.calls += 1;
    for ((o, x), a) in out.iter_mut().zip(x).zip(&mut s.sum) {
        *a = 0.99 * *a + x;
        *o = *a * 0.01 + (s.calls % 5) as f64 * 1e-3;
    }
}

/// A stage with state of its own between two ensembles.
fn stage_network<T: std::any::Any + Send>(state: T) -> Network {
    let mut net = Network::new("stage");
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = t.cos())),
    );
    let a = net.add_ensemble("a", EnsembleSpec::new(60, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(60, 1));
    let s = net.add_state("acc", state);
    let stage = net.add_node(
        "acc_stage",
        1,
        1,
        NodeOutput::Stage {
            state: s,
            method: "step".into(),
            call: accumulate,
        },
    );
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(a),
        Endpoint::Value(stage),
    ));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(stage),
        Endpoint::Value(b),
    ));
    net.probe(
        "stage",
        ProbeSpec::new(ProbeOf::Item(stage), ProbeAttr::Value),
    );
    let mut p = ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("b", p);
    net
}

fn accumulator() -> Accumulator {
    Accumulator {
        sum: vec![0.0],
        calls: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Bit-identical resumes
// ---------------------------------------------------------------------------------------------

#[test]
fn every_fixture_network_resumes_bit_identically() {
    register_state::<common::Memristors>();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            // The `s…` fixtures are networks (`stat_…` hold statistics).
            let stem = name.strip_suffix(".json")?;
            stem.strip_prefix('s')?
                .starts_with(|c: char| c.is_ascii_digit())
                .then(|| stem.to_string())
        })
        .collect();
    names.sort();
    assert!(names.len() >= 20, "fixtures found: {names:?}");
    for name in &names {
        let fx = common::fixture(name);
        // Solver-level fixtures (s24) hold matrices, not a network to run.
        let Some(dt) = fx["dt"].as_f64() else {
            continue;
        };
        let steps = fx["n_steps"].as_u64().expect("n_steps").div_ceil(2).max(1);
        let size = assert_resume_identical(&|| common::build(&fx), dt, steps, name);
        eprintln!("{name}: {steps} + {steps} steps, checkpoint {size} bytes");
    }
}

#[test]
fn pes_network_resumes_bit_identically_on_any_threads() {
    let mut sim = sim_with(pes_network(), 0.001, 2);
    assert_eq!(sim.threads(), 2, "the PES network is worth two threads");
    sim.run_steps(1).expect("runs");
    assert_resume_identical(&pes_network, 0.001, 150, "pes");
}

#[test]
fn mpes_network_with_random_devices_resumes_bit_identically() {
    let size = assert_resume_identical(&mpes_network, 0.001, 200, "mpes");
    eprintln!("mpes: checkpoint {size} bytes");
}

#[test]
fn process_nodes_resume_bit_identically() {
    assert_resume_identical(&|| process_network(5), 0.001, 120, "processes");
}

#[test]
fn user_state_values_resume_bit_identically() {
    register_state::<Accumulator>();
    assert_resume_identical(&|| stage_network(accumulator()), 0.001, 90, "stage");
    // Through the builder extension as well (registers the type itself).
    let make = || {
        let mut net = stage_network(());
        net.states.clear();
        net.add_checkpointed_state("acc", accumulator());
        net
    };
    assert_resume_identical(&make, 0.001, 40, "stage_ext");
}

#[test]
fn resumes_in_a_fresh_process() {
    let dir = tmp_dir("process");
    let path = dir.join("from_child.ckpt");
    let status = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_saves_a_checkpoint",
            "--ignored",
            "--test-threads=1",
        ])
        .env("NETDSL_CHECKPOINT_CHILD", &path)
        .status()
        .expect("child runs");
    assert!(status.success(), "the child process failed");
    let mut straight = sim_with(mpes_network(), 0.001, 1);
    straight.run_steps(240).expect("runs");
    let mut resumed = Simulator::resume(mpes_network(), 0.001, &path).expect("resumes");
    resumed.set_progress(false);
    resumed.run_steps(120).expect("runs");
    assert!(fingerprint(&resumed) == fingerprint(&straight));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "the child of `resumes_in_a_fresh_process`"]
fn child_saves_a_checkpoint() {
    let Some(path) = std::env::var_os("NETDSL_CHECKPOINT_CHILD") else {
        return;
    };
    let mut sim = sim_with(mpes_network(), 0.001, 2);
    sim.run_steps(120).expect("runs");
    sim.save_checkpoint(Path::new(&path)).expect("saves");
}

#[test]
fn periodic_checkpoints_land_at_multiples_and_resume() {
    let dir = tmp_dir("periodic");
    let path = dir.join("every.ckpt");
    let mut straight = sim_with(pes_network(), 0.001, 1);
    straight.run_steps(200).expect("runs");
    let mut sim = sim_with(pes_network(), 0.001, 1);
    sim.checkpoint_every(CheckpointEvery::SimTime(0.05), &path)
        .expect("writable");
    sim.run_steps(130).expect("runs");
    assert_eq!(sim.checkpoints_written(), 2, "at steps 50 and 100");
    assert!(!netdsl_core::io::checkpoint::format::temp_path(&path).exists());
    drop(sim);
    let mut resumed = Simulator::resume(pes_network(), 0.001, &path).expect("resumes");
    assert_eq!(resumed.n_steps(), 100);
    resumed.set_progress(false);
    resumed.run_steps(100).expect("runs");
    assert!(fingerprint(&resumed) == fingerprint(&straight));
    // Wall clock: a zero interval writes at every clock reading (every 64 steps).
    let mut sim = sim_with(pes_network(), 0.001, 1);
    sim.checkpoint_every(CheckpointEvery::Wall(std::time::Duration::ZERO), &path)
        .expect("writable");
    sim.run_steps(130).expect("runs");
    assert_eq!(sim.checkpoints_written(), 2);
    sim.stop_checkpoints();
    sim.run_steps(200).expect("runs");
    assert_eq!(sim.checkpoints_written(), 2);
    // A path that cannot be written is refused at once.
    let err = sim
        .checkpoint_every(CheckpointEvery::SimTime(1.0), dir.join("no/such/dir/x"))
        .expect_err("unwritable");
    assert!(matches!(err, CheckpointError::Io { .. }), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

fn small() -> Network {
    stage_network(7u32)
}

fn saved_small(steps: u64) -> Vec<u8> {
    let mut sim = sim_with(small(), 0.001, 1);
    sim.run_steps(steps).expect("runs");
    sim.checkpoint_bytes().expect("saves")
}

/// Loading `bytes` fails and leaves the simulator as it was (it runs on as a fresh one).
fn refused(bytes: &[u8]) -> CheckpointError {
    let mut fresh = sim_with(small(), 0.001, 1);
    fresh.run_steps(3).expect("runs");
    let err = fresh
        .load_checkpoint_bytes(bytes, "test.ckpt")
        .expect_err("refused");
    let mut control = sim_with(small(), 0.001, 1);
    control.run_steps(3).expect("runs");
    fresh.run_steps(20).expect("runs");
    control.run_steps(20).expect("runs");
    assert!(
        fingerprint(&fresh) == fingerprint(&control),
        "a refused load changed the simulator ({err})"
    );
    err
}

#[test]
fn truncated_files_are_refused() {
    let bytes = saved_small(30);
    for cut in [
        0,
        4,
        8,
        HEADER_LEN - 1,
        HEADER_LEN,
        bytes.len() / 2,
        bytes.len() - 1,
    ] {
        let err = refused(&bytes[..cut]);
        assert!(
            matches!(
                err,
                CheckpointError::Truncated { .. } | CheckpointError::NotACheckpoint { .. }
            ),
            "cut at {cut}: {err}"
        );
    }
    let err = refused(&bytes[..bytes.len() - 5]);
    assert!(err.to_string().contains("truncated"), "{err}");
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        refused(&longer),
        CheckpointError::Truncated { .. }
    ));
}

#[test]
fn corrupt_files_are_refused_wherever_the_damage() {
    let bytes = saved_small(30);
    let mut fresh = sim_with(small(), 0.001, 1);
    // Every byte position (flipping one bit), without a panic or a silent load.
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let err = fresh
            .load_checkpoint_bytes(&bad, "bad.ckpt")
            .expect_err("damaged");
        let ok = match at {
            0..8 => matches!(err, CheckpointError::NotACheckpoint { .. }),
            8..12 => matches!(err, CheckpointError::Version { .. }),
            16..24 => matches!(err, CheckpointError::Truncated { .. }),
            _ => matches!(err, CheckpointError::Corrupt { .. }),
        };
        assert!(ok, "byte {at}: {err}");
    }
    assert_eq!(fresh.n_steps(), 0);
    let mut bad = bytes.clone();
    bad[bytes.len() / 2] ^= 1;
    let err = refused(&bad);
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn other_versions_are_refused() {
    let mut bytes = saved_small(10);
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    let err = refused(&bytes);
    assert!(
        matches!(
            err,
            CheckpointError::Version {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(b"not a checkpoint at all");
    assert!(
        matches!(err, CheckpointError::NotACheckpoint { .. }),
        "{err}"
    );
}

#[test]
fn checkpoints_of_other_networks_are_refused() {
    let dir = tmp_dir("other");
    let path = dir.join("small.ckpt");
    let mut sim = sim_with(small(), 0.001, 1);
    sim.run_steps(10).expect("runs");
    sim.save_checkpoint(&path).expect("saves");
    let other = |err: CheckpointError| {
        assert!(matches!(err, CheckpointError::OtherNetwork { .. }), "{err}");
        err.to_string()
    };
    // Another network.
    let e = other(Simulator::resume(pes_network(), 0.001, &path).expect_err("refused"));
    assert!(e.contains("plan differs"), "{e}");
    // The same network at another dt.
    let e = other(Simulator::resume(small(), 0.002, &path).expect_err("refused"));
    assert!(e.contains("dt"), "{e}");
    // The same network with another seed: same plan, other build.
    let mut reseeded = small();
    reseeded.seed = 99;
    let e = other(Simulator::resume(reseeded, 0.001, &path).expect_err("refused"));
    assert!(e.contains("build differs"), "{e}");
    // A process generated with another seed.
    let mut p = sim_with(process_network(5), 0.001, 1);
    p.run_steps(5).expect("runs");
    p.save_checkpoint(&path).expect("saves");
    let e = Simulator::resume(process_network(6), 0.001, &path).expect_err("refused");
    other(e);
    // A state value of another type under the same name.
    let mut s = sim_with(stage_network(1u64), 0.001, 1);
    s.run_steps(5).expect("runs");
    s.save_checkpoint(&path).expect("saves");
    let e = other(Simulator::resume(stage_network(1u32), 0.001, &path).expect_err("refused"));
    assert!(e.contains("u64") && e.contains("u32"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unsavable_state_is_an_error_at_save_time() {
    struct Opaque;
    let mut sim = sim_with(stage_network(Opaque), 0.001, 1);
    let err = sim.checkpoint_bytes().expect_err("not savable");
    assert!(matches!(err, CheckpointError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("acc"), "{err}");
    // Periodic checkpoints say so before the run, not hours into it.
    let err = sim
        .checkpoint_every(CheckpointEvery::SimTime(1.0), "never-written.ckpt")
        .expect_err("refused");
    assert!(matches!(err, CheckpointError::Unsupported { .. }), "{err}");
    assert!(!Path::new("never-written.ckpt").exists());

    /// A process without checkpoint support.
    struct Counter(f64);
    impl Process for Counter {
        fn size_out(&self) -> usize {
            1
        }
        fn reset(&mut self, _: u64) {
            self.0 = 0.0;
        }
        fn step(&mut self, _t: f64, out: &mut [f64]) {
            self.0 += 1.0;
            out[0] = self.0;
        }
    }
    let mut net = Network::new("counter");
    net.add_node("c", 0, 1, NodeOutput::Process(Box::new(Counter(0.0))));
    let sim = sim_with(net, 0.001, 1);
    let err = sim.checkpoint_bytes().expect_err("not savable");
    assert!(err.to_string().contains("process"), "{err}");
}

#[test]
fn a_state_load_that_reads_too_little_is_an_error() {
    /// Saves two numbers, loads one.
    struct Sloppy(u64);
    impl Checkpoint for Sloppy {
        fn save(&self, w: &mut dyn Write) -> io::Result<()> {
            self.0.save(w)?;
            self.0.save(w)
        }
        fn load(&mut self, r: &mut dyn Read) -> io::Result<()> {
            self.0.load(r)
        }
    }
    register_state::<Sloppy>();
    let sim = sim_with(stage_network(Sloppy(1)), 0.001, 1);
    let bytes = sim.checkpoint_bytes().expect("saves");
    let mut fresh = sim_with(stage_network(Sloppy(1)), 0.001, 1);
    let err = fresh
        .load_checkpoint_bytes(&bytes, "sloppy.ckpt")
        .expect_err("refused");
    assert!(matches!(err, CheckpointError::State { .. }), "{err}");
    assert!(err.to_string().contains("read 8 of the 16 bytes"), "{err}");
}
