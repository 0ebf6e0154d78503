//! The follow-up paper's experiments ("learning nonlinear functions on vectors"), one command
//! each: mPES on memristive `pre.neurons → post.neurons` synapses against PES on a decoded
//! connection and the NEF baseline, alternating 2.5 s test and learning blocks, scored by
//! Σ|post − ground truth| per test block.
//!
//! ```text
//! cargo run --release --example mpes_followup -- <experiment> [--seeds 3] [--first-seed 0]
//!     [--gain 1e3] [--noise 0.15] [--seconds T] [--models mpes,pes,nef] [--jobs 1] [--out netdsl-out]
//! ```
//!
//! `<experiment>`: `x1x2` (50 s), `x1x2_x3x4` (100 s), `products3` (100 s), `cconv2` (200 s),
//! `cconv3` (400 s), or `all`; each run adds one 2.5 s test block at the end. `--seconds`
//! shortens (or lengthens) the learning time for a quick look; `--replot` only redraws
//! `plot.svg` from a previous run's `test_errors.csv`. `--jobs K` runs K simulations at
//! once (the numbers do not change; the wall times do). Writes `<out>/<experiment>/`:
//! `test_errors.csv` (model, seed, block, start, error), `plot.svg` (error per test block for each
//! rule, mean ± std over seeds) and `summary.md` (the tables printed here). The network and the
//! setup facts are in `examples/mpes_common/followup.rs` and `docs/experiments.md`.

mod common;
mod mpes_common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::{arg, mean_std};
use mpes_common::followup::{self, Model, RunResult, Settings, Task, BLOCK_STEPS, DT, TASKS};
use mpes_common::{plot, pool};

fn parse_models(s: &str) -> Vec<Model> {
    s.split(',')
        .map(|m| match m.trim().to_ascii_lowercase().as_str() {
            "mpes" => Model::Mpes,
            "pes" => Model::Pes,
            "nef" => Model::Nef,
            other => panic!("--models takes mpes,pes,nef; not {other}"),
        })
        .collect()
}

fn run_task(task: &Task, models: &[Model], seeds: &[u64], s: &Settings, jobs: usize, out: &Path) {
    let sim_s = s.steps() as f64 * DT;
    println!(
        "## {} ({}): pre {} ({}-D) → post {} ({}-D), ground truth {}, error {}; {sim_s} s = {} \
         blocks of 2.5 s; mPES γ = {}, σ = {}; seeds {:?}",
        task.title,
        task.name,
        task.neurons[0],
        task.d_in,
        task.neurons[1],
        task.d_out,
        task.neurons[2],
        task.neurons[3],
        s.blocks,
        s.gain,
        s.noise,
        seeds
    );
    let jobs_list: Vec<(Model, u64)> = models
        .iter()
        .flat_map(|&m| seeds.iter().map(move |&seed| (m, seed)))
        .collect();
    let start = Instant::now();
    let results: Vec<RunResult> = pool::map_indexed(
        jobs_list.len(),
        jobs,
        |i| followup::run_one(task, jobs_list[i].0, jobs_list[i].1, s),
        |i, r: &RunResult| {
            let (m, seed) = jobs_list[i];
            eprintln!(
                "  {} seed {seed}: {:.1} s, last test block {:.1}",
                m.name(),
                r.seconds,
                r.test_errors.last().copied().unwrap_or(f64::NAN)
            );
        },
    );
    let total = start.elapsed().as_secs_f64();
    let per_model: Vec<(Model, Vec<&RunResult>)> = models
        .iter()
        .map(|&m| {
            (
                m,
                jobs_list
                    .iter()
                    .zip(&results)
                    .filter(|((mm, _), _)| *mm == m)
                    .map(|(_, r)| r)
                    .collect(),
            )
        })
        .collect();

    let block_s = BLOCK_STEPS as f64 * DT;
    let n_test = results[0].test_errors.len();
    let starts: Vec<f64> = (0..n_test).map(|b| (2 * b) as f64 * block_s).collect();
    let mut md = String::new();
    let names: Vec<&str> = models.iter().map(|m| m.name()).collect();
    writeln!(
        md,
        "Σ|post − ground truth| per test block (mean ± std over {} seeds):\n",
        seeds.len()
    )
    .unwrap();
    writeln!(md, "| test block | t (s) | {} |", names.join(" | ")).unwrap();
    writeln!(md, "|---|---|{}", "---|".repeat(models.len())).unwrap();
    for (b, lo) in starts.iter().enumerate() {
        let cells: Vec<String> = per_model
            .iter()
            .map(|(_, runs)| {
                let v: Vec<f64> = runs.iter().map(|r| r.test_errors[b]).collect();
                let (m, sd, _) = mean_std(&v);
                if runs.len() > 1 {
                    format!("{m:.1} ± {sd:.1}")
                } else {
                    format!("{m:.1}")
                }
            })
            .collect();
        writeln!(
            md,
            "| {b} | {lo:.1}–{:.1} | {} |",
            lo + block_s,
            cells.join(" | ")
        )
        .unwrap();
    }
    writeln!(
        md,
        "\n| model | wall time per {sim_s} s run (build + run) | device pulses per run |"
    )
    .unwrap();
    writeln!(md, "|---|---|---|").unwrap();
    for (m, runs) in &per_model {
        let secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        let (ms, ss, _) = mean_std(&secs);
        let ss = if ss.is_finite() { ss } else { 0.0 };
        let pulses = if *m == Model::Mpes {
            let p: Vec<f64> = runs.iter().map(|r| r.pulses as f64).collect();
            format!("{:.3e}", mean_std(&p).0)
        } else {
            "—".into()
        };
        writeln!(md, "| {} | {ms:.2} ± {ss:.2} s | {pulses} |", m.name()).unwrap();
    }
    writeln!(
        md,
        "\nWhole experiment ({} runs, {jobs} at a time): {total:.1} s of wall time.",
        results.len()
    )
    .unwrap();
    println!("\n{md}");

    let dir = out.join(task.name);
    std::fs::create_dir_all(&dir).expect("output folder");
    let mut csv = String::from("model,seed,test_block,start_s,error\n");
    for ((m, seed), r) in jobs_list.iter().zip(&results) {
        for (b, e) in r.test_errors.iter().enumerate() {
            writeln!(csv, "{},{seed},{b},{},{e}", m.name(), starts[b]).unwrap();
        }
    }
    std::fs::write(dir.join("test_errors.csv"), csv).expect("write csv");
    std::fs::write(dir.join("summary.md"), &md).expect("write summary");
    let series: Vec<(&str, Vec<Vec<f64>>)> = per_model
        .iter()
        .map(|(m, runs)| {
            (
                m.name(),
                runs.iter().map(|r| r.test_errors.clone()).collect(),
            )
        })
        .collect();
    let title = format!(
        "{} — mPES (γ = {}, σ = {}), PES, NEF; {} seeds",
        task.title,
        s.gain,
        s.noise,
        seeds.len()
    );
    plot::test_errors(&title, &starts, &series)
        .save(dir.join("plot.svg"))
        .expect("write plot");
    println!(
        "wrote {}/{{test_errors.csv,summary.md,plot.svg}}\n",
        dir.display()
    );
}

/// Test-block errors of one model: (seed, errors in block order) per seed.
type SeedRuns = Vec<(u64, Vec<f64>)>;

/// Redraws `<out>/<task>/plot.svg` from the `test_errors.csv` a run wrote (no simulation).
fn replot(task: &Task, out: &Path, gain: f64, noise: f64) {
    let dir = out.join(task.name);
    let text = std::fs::read_to_string(dir.join("test_errors.csv")).expect("test_errors.csv");
    let mut data: Vec<(String, SeedRuns)> = Vec::new();
    let mut starts: Vec<f64> = Vec::new();
    for line in text.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        let (model, seed, block): (String, u64, usize) = (
            v[0].into(),
            v[1].parse().expect("seed"),
            v[2].parse().expect("block"),
        );
        let (start, err): (f64, f64) = (v[3].parse().expect("start"), v[4].parse().expect("error"));
        if starts.len() <= block {
            starts.resize(block + 1, 0.0);
        }
        starts[block] = start;
        let m = match data.iter().position(|(name, _)| *name == model) {
            Some(k) => k,
            None => {
                data.push((model, Vec::new()));
                data.len() - 1
            }
        };
        let runs = &mut data[m].1;
        let r = match runs.iter().position(|(s, _)| *s == seed) {
            Some(k) => k,
            None => {
                runs.push((seed, Vec::new()));
                runs.len() - 1
            }
        };
        runs[r].1.push(err);
    }
    let n_seeds = data.first().map_or(0, |d| d.1.len());
    let series: Vec<(&str, Vec<Vec<f64>>)> = data
        .iter()
        .map(|(m, runs)| (m.as_str(), runs.iter().map(|r| r.1.clone()).collect()))
        .collect();
    let title = format!(
        "{} — mPES (γ = {gain}, σ = {noise}), PES, NEF; {n_seeds} seeds",
        task.title
    );
    plot::test_errors(&title, &starts, &series)
        .save(dir.join("plot.svg"))
        .expect("write plot");
    println!("redrew {}", dir.join("plot.svg").display());
}

fn main() {
    let which = std::env::args()
        .nth(1)
        .filter(|a| !a.starts_with("--"))
        .unwrap_or_else(|| {
            let names: Vec<&str> = TASKS.iter().map(|t| t.name).collect();
            panic!("usage: mpes_followup <{}|all> [options]", names.join("|"))
        });
    let tasks: Vec<Task> = if which == "all" {
        TASKS.to_vec()
    } else {
        vec![followup::task(&which).unwrap_or_else(|| panic!("no experiment called {which}"))]
    };
    let n_seeds: u64 = arg("--seeds", 3);
    let first_seed: u64 = arg("--first-seed", 0);
    let seeds: Vec<u64> = (first_seed..first_seed + n_seeds).collect();
    let models = parse_models(&arg("--models", "mpes,pes,nef".to_string()));
    let jobs: usize = arg("--jobs", 1);
    let out = PathBuf::from(arg("--out", "netdsl-out".to_string()));
    for task in &tasks {
        let mut s = Settings::for_task(task);
        s.gain = arg("--gain", s.gain);
        s.noise = arg("--noise", s.noise);
        let seconds: f64 = arg("--seconds", task.seconds);
        s.blocks = (seconds / (BLOCK_STEPS as f64 * DT)).round() as u64 + 1;
        if common::flag("--replot") {
            replot(task, &out, s.gain, s.noise);
            continue;
        }
        run_task(task, &models, &seeds, &s, jobs, &out);
    }
}
