//! netdsl vs Nengo 4.1 on the benchmark networks: build time, steps/s and peak memory.
//!
//! ```text
//! cargo run --release --example bench [-- [--no-nengo] [--threads N] [--runs N] [names…]]
//! ```
//!
//! Each network runs in its own process (this binary re-invokes itself with `--child NAME`), and
//! Nengo runs `tools/nengo_baseline.py NAME` once per network, so peak memories don't mix.
//! Timing follows the baseline script: build = network construction + simulator build; then 200
//! warm-up steps (netdsl: and 0.2 s more of untimed steps, for the CPU clock); then timed runs of 2000 steps (netdsl: repeated until at least 0.5 s has
//! passed, so fast networks are not timed over a millisecond; Nengo: the script's run and two
//! more). The steps/s columns are the fastest run of 2000 steps on each side (the estimator least
//! disturbed by other work on a shared machine); one more column gives the ratio of netdsl's mean
//! to the Nengo script's single run. Without Python or Nengo only the netdsl columns are printed.
//!
//! netdsl runs each network twice: on one thread, and with `Simulator::set_threads(N)` (N = the
//! machine's parallelism, or `--threads N`), which shares a step's independent heavy ops between
//! threads where the network has enough of them; the threads column says how many were used.
//! Nengo's reference simulator steps on one thread (NumPy's BLAS may use more).
//!
//! `--runs N` runs the whole suite N times, one after the other, and ends with a summary: each
//! run's ratios side by side and the range of each side's steps/s (a machine shared with other
//! work slows some runs; the spread is part of the result).
//!
//! For profiling one network: `BENCH_MIN_S=3 bench --child NAME` (netdsl only; `BENCH_THREADS`
//! sets the thread count, `BENCH_PLAN=1` prints the plan first).

#[path = "bench/nets.rs"]
mod nets;

use std::process::Command;
use std::time::Instant;

use netdsl::core::sim::Simulator;

/// What one run measured.
#[derive(Clone, Debug, Default)]
struct Row {
    build_s: f64,
    /// Steps/s over all timed runs (netdsl) or the one timed run (Nengo).
    steps_per_s: f64,
    /// Steps/s of the fastest timed run of 2000 steps.
    best: f64,
    peak_mb: Option<f64>,
    threads: Option<f64>,
}

/// Peak resident set size of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU time this thread has run, in seconds (Linux `schedstat`; immune to time slicing by
/// other processes on a busy machine).
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

fn child(name: &str) -> Result<(), String> {
    let (_, _, make) = nets::NETS
        .iter()
        .find(|n| n.0 == name)
        .ok_or_else(|| format!("unknown network `{name}`"))?;
    let t0 = Instant::now();
    let net = make();
    let mut sim = Simulator::new(net, 0.001).map_err(|e| e.to_string())?;
    let build_s = t0.elapsed().as_secs_f64();
    sim.set_progress(false);
    let want: usize = std::env::var("BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let threads = sim.set_threads(want);
    if std::env::var("BENCH_PLAN").is_ok() {
        eprintln!("{}", sim.plan());
    }
    sim.run_steps(200).map_err(|e| e.to_string())?;
    // Untimed steps for 0.2 s more: the first process of a run otherwise meets a CPU that is
    // still clocking up (docs/benchmarks.md has what that cost).
    let warm = Instant::now();
    while warm.elapsed().as_secs_f64() < 0.2 {
        sim.run_steps(2000).map_err(|e| e.to_string())?;
    }
    let min_s: f64 = std::env::var("BENCH_MIN_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.5);
    let cpu0 = thread_cpu_s();
    let (mut steps, mut secs, mut best) = (0u64, 0.0, 0.0f64);
    while secs < min_s {
        let t = Instant::now();
        sim.run_steps(2000).map_err(|e| e.to_string())?;
        let s = t.elapsed().as_secs_f64();
        best = best.max(2000.0 / s);
        secs += s;
        steps += 2000;
    }
    let cpu = match (cpu0, thread_cpu_s()) {
        (Some(a), Some(b)) if b > a => format!("{:.1}", steps as f64 / (b - a)),
        _ => "null".into(),
    };
    let peak = peak_rss_mb().map_or("null".to_string(), |p| format!("{p:.1}"));
    println!(
        "{{\"net\": \"{name}\", \"build_s\": {build_s:.4}, \"steps_per_s\": {:.1}, \"best_steps_per_s\": {best:.1}, \"peak_rss_mb\": {peak}, \"steps\": {steps}, \"cpu_steps_per_s\": {cpu}, \"threads\": {threads}}}",
        steps as f64 / secs
    );
    Ok(())
}

/// The number after `"key": ` in a one-line JSON object.
fn field(json: &str, key: &str) -> Option<f64> {
    let pat = format!("\"{key}\":");
    let rest = json[json.find(&pat)? + pat.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn parse(out: &str) -> Option<Row> {
    let line = out.lines().rev().find(|l| l.contains("\"steps_per_s\""))?;
    Some(Row {
        build_s: field(line, "build_s")?,
        steps_per_s: field(line, "steps_per_s")?,
        best: field(line, "best_steps_per_s")?,
        peak_mb: field(line, "peak_rss_mb"),
        threads: field(line, "threads"),
    })
}

fn run_netdsl(name: &str, threads: usize) -> Result<Row, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(["--child", name])
        .env("BENCH_THREADS", threads.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse(&text).ok_or_else(|| {
        format!(
            "netdsl run of {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
    })
}

fn baseline_script() -> Option<std::path::PathBuf> {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/nengo_baseline.py");
    here.exists().then_some(here)
}

/// `Some(python)` when that interpreter imports nengo.
fn nengo_python() -> Option<String> {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import nengo"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    ok.then_some(py)
}

fn run_nengo(py: &str, script: &std::path::Path, name: &str) -> Result<Row, String> {
    let out = Command::new(py)
        .arg(script)
        .arg(name)
        .output()
        .map_err(|e| e.to_string())?;
    parse(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| {
        let err = String::from_utf8_lossy(&out.stderr);
        format!(
            "nengo run of {name} failed: {}",
            err.lines().last().unwrap_or("")
        )
    })
}

fn target(name: &str) -> &'static str {
    match name {
        "comm_channel" | "pes_learning" | "seed_memristor" => "≥100×",
        "chain10" => "≥50×",
        "large_weights" => "≥3× (build ≥3×, mem ≤⅓)",
        "forum_mpes" => "no Nengo twin (mPES is netdsl's)",
        "large_weights_f32" => "no Nengo twin (large_weights with `storage = f32`)",
        _ => "",
    }
}

fn opt(v: Option<f64>, prec: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.prec$}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let name = args.get(1).expect("--child NAME");
        if let Err(e) = child(name) {
            eprintln!("{e}");
            std::process::exit(1);
        }
        return;
    }
    let no_nengo = args.iter().any(|a| a == "--no-nengo");
    let threads: usize = match args.iter().position(|a| a == "--threads") {
        Some(k) => args
            .get(k + 1)
            .and_then(|v| v.parse().ok())
            .expect("--threads N"),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let runs: usize = match args.iter().position(|a| a == "--runs") {
        Some(k) => args
            .get(k + 1)
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .expect("--runs N (N ≥ 1)"),
        None => 1,
    };
    let mut names: Vec<&str> = args
        .iter()
        .enumerate()
        .filter(|(k, a)| {
            !(a.starts_with("--")
                || *k > 0 && (args[k - 1] == "--threads" || args[k - 1] == "--runs"))
        })
        .map(|(_, a)| a.as_str())
        .collect();
    if names.is_empty() {
        names = nets::NETS.iter().map(|n| n.0).collect();
    }
    let nengo = if no_nengo {
        None
    } else {
        match (nengo_python(), baseline_script()) {
            (Some(py), Some(script)) => Some((py, script)),
            (None, _) => {
                println!(
                    "Nengo not found (`python3 -c 'import nengo'` failed): netdsl columns only.\n"
                );
                None
            }
            (_, None) => {
                println!("tools/nengo_baseline.py not found: netdsl columns only.\n");
                None
            }
        }
    };
    let mut summary: Vec<Summary> = Vec::new();
    for run in 0..runs {
        if runs > 1 {
            println!("Run {} of {runs}:\n", run + 1);
        }
        suite(&names, threads, nengo.as_ref(), &mut summary);
        println!();
    }
    if runs > 1 {
        print_summary(&names, &summary, runs);
    }
}

/// One network's numbers in one run of the suite, for the summary.
#[derive(Clone, Debug)]
struct Summary {
    name: String,
    /// Fastest 2000-step run's steps/s: one thread, and N threads (when run).
    ours: f64,
    multi: Option<f64>,
    nengo: Option<f64>,
    build: Option<f64>,
}

/// Each run's ratios side by side, and the range of each side's steps/s.
fn print_summary(names: &[&str], summary: &[Summary], runs: usize) {
    println!("Summary of {runs} runs (fastest run of 2000 steps on each side):\n");
    println!(
        "| network | steps/s netdsl, 1 thread | steps/s netdsl, N threads | steps/s Nengo | speed × (1 thread) | speed × (N threads) | build × | target |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let range = |v: Vec<f64>| match (
        v.iter().cloned().reduce(f64::min),
        v.iter().cloned().reduce(f64::max),
    ) {
        (Some(a), Some(b)) => format!("{a:.0}–{b:.0}"),
        _ => "–".into(),
    };
    let each = |v: Vec<Option<f64>>| v.iter().map(|x| opt(*x, 1)).collect::<Vec<_>>().join(" / ");
    for &name in names {
        let rows: Vec<&Summary> = summary.iter().filter(|s| s.name == name).collect();
        if rows.is_empty() {
            continue;
        }
        let nengo: Vec<f64> = rows.iter().filter_map(|r| r.nengo).collect();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            range(rows.iter().map(|r| r.ours).collect()),
            range(rows.iter().filter_map(|r| r.multi).collect()),
            range(nengo.clone()),
            each(rows.iter().map(|r| r.nengo.map(|n| r.ours / n)).collect()),
            each(
                rows.iter()
                    .map(|r| r.nengo.zip(r.multi).map(|(n, m)| m / n))
                    .collect()
            ),
            each(rows.iter().map(|r| r.build).collect()),
            if nengo.is_empty() {
                "–"
            } else {
                target(name)
            },
        );
    }
}

/// One run of the suite: a table row per network.
fn suite(
    names: &[&str],
    threads: usize,
    nengo: Option<&(String, std::path::PathBuf)>,
    summary: &mut Vec<Summary>,
) {
    println!(
        "| network | build s (netdsl / Nengo) | build × | steps/s netdsl, 1 thread | steps/s netdsl, N threads (used) | steps/s Nengo | speed × (1 thread) | speed × (N threads) | speed × (one run each: mean / Nengo's single run) | peak MiB (netdsl / Nengo) | mem ratio | target |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &name in names {
        let has_baseline = nets::NETS.iter().any(|n| n.0 == name && n.1);
        let ours = match run_netdsl(name, 1) {
            Ok(r) => r,
            Err(e) => {
                println!("| {name} | {e} |||||||||| ");
                continue;
            }
        };
        // The multi-threaded run (its build time and memory are not reported: same build).
        let multi = (threads > 1)
            .then(|| run_netdsl(name, threads))
            .and_then(|r| r.map_err(|e| eprintln!("{e}")).ok());
        let theirs = match (nengo, has_baseline) {
            (Some((py, script)), true) => match run_nengo(py, script, name) {
                Ok(r) => Some(r),
                Err(e) => {
                    eprintln!("{e}");
                    None
                }
            },
            _ => None,
        };
        let t = theirs.clone().unwrap_or_default();
        let have = theirs.is_some();
        let ratio = |a: f64, b: f64| (have && b > 0.0).then(|| a / b);
        let used = multi.as_ref().and_then(|m| m.threads).unwrap_or(1.0);
        let multi_best = multi.as_ref().map(|m| m.best);
        summary.push(Summary {
            name: name.to_string(),
            ours: ours.best,
            multi: multi_best,
            nengo: have.then_some(t.best),
            build: ratio(t.build_s, ours.build_s),
        });
        println!(
            "| {name} | {:.3} / {} | {} | {:.0} | {} | {} | {} | {} | {} | {} / {} | {} | {} |",
            ours.build_s,
            if have {
                format!("{:.3}", t.build_s)
            } else {
                "–".into()
            },
            opt(ratio(t.build_s, ours.build_s), 1),
            ours.best,
            match multi_best {
                Some(v) => format!("{v:.0} ({used:.0})"),
                None => "–".into(),
            },
            if have {
                format!("{:.0}", t.best)
            } else {
                "–".into()
            },
            opt(ratio(ours.best, t.best), 1),
            opt(multi_best.and_then(|m| ratio(m, t.best)), 1),
            opt(ratio(ours.steps_per_s, t.steps_per_s), 1),
            opt(ours.peak_mb, 1),
            opt(t.peak_mb.filter(|_| have), 1),
            opt(
                t.peak_mb
                    .filter(|_| have)
                    .and_then(|p| ours.peak_mb.map(|o| o / p)),
                2
            ),
            target(name),
        );
    }
}
