//! Streamed probes: the file holds exactly the in-memory run's samples (bytes), memory stays at
//! one flush, a killed process leaves a readable file with every flushed step (read back here
//! and, when Python has NumPy, by `numpy.load`), and a checkpointed run resumes its streams.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netdsl_core::io::npy::from_npy_bytes;
use netdsl_core::io::stream::STREAM_HEADER_LEN;
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("netdsl-stream-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A PES network with value, spike, voltage and (matrix) weight probes, one sampled every 3 ms.
fn network() -> Network {
    let mut net = Network::new("streamed");
    net.seed = 4;
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (5.0 * t).sin())),
    );
    let a = net.add_ensemble("a", EnsembleSpec::new(30, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(20, 2));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.post_slice = Some(0..1);
    c.learning = Some(LearningRule::pes());
    let c = net.connect(c);
    let mut e = ConnectionSpec::new(Endpoint::Value(b), Endpoint::Learning(c));
    e.pre_slice = Some(0..1);
    net.connect(e);
    let mut p = ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("b", p);
    net.probe(
        "spikes",
        ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Spikes),
    );
    let mut v = ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Voltage);
    v.sample_every = Some(0.003);
    net.probe("voltage", v);
    net.probe(
        "weights",
        ProbeSpec::new(ProbeOf::Conn(c), ProbeAttr::Weights),
    );
    net
}

fn sim() -> Simulator {
    let mut s = Simulator::new(network(), 0.001).expect("build");
    s.set_progress(false);
    s
}

fn le_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The file's data bytes, checked to be a valid `.npy` of `rows × shape`.
fn file_data(path: &Path, shape: &[usize]) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("stream file");
    let (got_shape, _) = from_npy_bytes(&bytes).expect("a valid .npy");
    assert_eq!(&got_shape[1..], shape, "{}", path.display());
    bytes[STREAM_HEADER_LEN..].to_vec()
}

#[test]
fn streamed_files_hold_the_in_memory_runs_bytes() {
    let dir = tmp_dir("bytes");
    let mut memory = sim();
    memory.run_steps(700).expect("runs");
    for flush in [0, 1, 7] {
        let mut streamed = sim();
        streamed.set_stream_flush(flush);
        streamed.run_steps(10).expect("runs"); // samples before the stream starts go too
        let files = streamed
            .stream_all(dir.join(format!("f{flush}")))
            .expect("streams");
        assert_eq!(files.len(), 4);
        for _ in 0..6 {
            streamed.run_steps(115).expect("runs");
        }
        for (name, file) in memory.probe_names().into_iter().zip(&files) {
            let p = memory.probe(name).expect("probe");
            assert_eq!(
                file_data(file, &p.shape),
                le_bytes(&p.data),
                "probe {name}, flush {flush}"
            );
            assert_eq!(streamed.streamed_samples(name), Some(p.n_samples() as u64));
            // Memory holds only what is not yet written: nothing after a run.
            assert_eq!(streamed.probe(name).expect("probe").n_samples(), 0);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn streamed_probe_memory_stays_flat() {
    let dir = tmp_dir("flat");
    let mut s = sim();
    s.set_stream_flush(50);
    s.stream_probe("weights", dir.join("w.npy"))
        .expect("streams");
    s.run_steps(100).expect("runs");
    let cap = s.probe("weights").expect("probe").data.capacity();
    let per = s.probe("weights").expect("probe").sample_len();
    assert!(
        cap <= 50 * per,
        "capacity {cap} values for a 50-sample flush"
    );
    for _ in 0..5 {
        s.run_steps(2000).expect("runs");
    }
    assert_eq!(s.probe("weights").expect("probe").data.capacity(), cap);
    assert_eq!(s.streamed_samples("weights"), Some(10_100));
    // Stopped: later samples stay in memory, the file keeps what it has.
    let path = s
        .stop_stream("weights")
        .expect("stops")
        .expect("was streamed");
    s.run_steps(10).expect("runs");
    assert_eq!(s.probe("weights").expect("probe").n_samples(), 10);
    let (shape, _) = from_npy_bytes(&std::fs::read(path).expect("file")).expect("npy");
    assert_eq!(shape[0], 10_100);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_checkpointed_run_resumes_its_streams() {
    let dir = tmp_dir("resume");
    let ck = dir.join("run.ckpt");
    let mut memory = sim();
    memory.run_steps(600).expect("runs");
    let mut s = sim();
    s.set_stream_flush(16);
    let files = s.stream_all(dir.join("probes")).expect("streams");
    s.run_steps(300).expect("runs");
    s.save_checkpoint(&ck).expect("saves");
    // The run goes on past the checkpoint, then dies without finishing.
    s.run_steps(123).expect("runs");
    std::mem::forget(s);
    let mut resumed = Simulator::resume(network(), 0.001, &ck).expect("resumes");
    resumed.set_progress(false);
    resumed.run_steps(300).expect("runs");
    for (name, file) in memory.probe_names().into_iter().zip(&files) {
        let p = memory.probe(name).expect("probe");
        assert_eq!(file_data(file, &p.shape), le_bytes(&p.data), "probe {name}");
    }
    // A stream file cut below the checkpoint's count is refused.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&files[0])
        .expect("open");
    f.set_len(STREAM_HEADER_LEN as u64 + 8).expect("cut");
    let err = Simulator::resume(network(), 0.001, &ck).expect_err("refused");
    assert!(err.to_string().contains("streamed probe `b`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `t` as a probe: row `k` must be `(k + 1) · dt`.
fn clock_network() -> Network {
    let mut net = Network::new("clock");
    let t = net.add_node("t", 0, 1, NodeOutput::Time(Box::new(|t, o| o[0] = t)));
    net.probe("t", ProbeSpec::new(ProbeOf::Item(t), ProbeAttr::Value));
    net
}

#[test]
fn a_killed_process_leaves_a_readable_file_with_every_flushed_step() {
    let dir = tmp_dir("kill");
    let path = dir.join("t.npy");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_streams_forever",
            "--ignored",
            "--test-threads=1",
        ])
        .env("NETDSL_STREAM_CHILD", &path)
        .spawn()
        .expect("child starts");
    // Wait for a few thousand samples, then SIGKILL (no destructor, no flush).
    let start = Instant::now();
    loop {
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len > (STREAM_HEADER_LEN + 8 * 5000) as u64 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the child wrote nothing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let bytes = std::fs::read(&path).expect("file");
    // The header's row count: the whole flushed steps (a kill between a data write and its
    // header write leaves extra bytes after them, which readers ignore).
    let text = String::from_utf8_lossy(&bytes[..STREAM_HEADER_LEN]);
    let rows: usize = text
        .split("'shape': (")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .expect("a shape in the header");
    assert!(rows >= 5000 - 64, "{rows} rows");
    let data = &bytes[STREAM_HEADER_LEN..];
    assert!(data.len() >= rows * 8);
    for k in 0..rows {
        let v = f64::from_le_bytes(data[k * 8..k * 8 + 8].try_into().expect("8 bytes"));
        assert_eq!(v, (k + 1) as f64 * 0.001, "row {k}");
    }
    let (shape, values) = from_npy_bytes(&bytes[..STREAM_HEADER_LEN + rows * 8]).expect("npy");
    assert_eq!(shape, [rows, 1]);
    assert_eq!(values.len(), rows);
    // NumPy's own reader, where there is one.
    let script = format!(
        "import numpy as np\na = np.load({:?})\nassert a.shape == ({rows}, 1), a.shape\n\
         assert (a[:, 0] == (np.arange({rows}) + 1) * 0.001).all()\nprint('numpy ok', a.shape)",
        path.display().to_string()
    );
    let has_numpy = Command::new("python3")
        .args(["-c", "import numpy"])
        .stderr(std::process::Stdio::null())
        .status();
    match has_numpy {
        Ok(s) if s.success() => {
            let out = Command::new("python3")
                .args(["-c", &script])
                .output()
                .expect("python3");
            assert!(
                out.status.success(),
                "numpy.load failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            eprint!("{}", String::from_utf8_lossy(&out.stdout));
        }
        _ => eprintln!("note: python3 with numpy is not installed; numpy.load check skipped"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "the child of `a_killed_process_leaves_a_readable_file_with_every_flushed_step`"]
fn child_streams_forever() {
    let Some(path) = std::env::var_os("NETDSL_STREAM_CHILD") else {
        return;
    };
    let mut s = Simulator::new(clock_network(), 0.001).expect("build");
    s.set_progress(false);
    s.set_stream_flush(64);
    s.stream_probe("t", Path::new(&path)).expect("streams");
    // Killed by the parent long before this ends.
    for _ in 0..1_000_000 {
        s.run_steps(1000).expect("runs");
        std::thread::sleep(Duration::from_millis(1));
    }
}
