//! A grid of Frontiers runs (gain × σ × N × seed): the cells in a fixed order, a deterministic
//! shard of them (the hook for fanning the grid out over MPI ranks or machines: rank `i` of `k`
//! runs `--shard i/k`, and the shards' CSVs concatenate into the whole grid's), running them on a
//! thread pool, and the CSV that carries the results.
//!
//! Every cell is its own simulator with its own seed, so its numbers do not depend on the job
//! count, on the shard, or on which other cells run.

use std::fmt::Write as _;

use super::frontiers::{self, Config, Func};
use super::imports::SimOptions;
use super::pool::map_indexed;
use crate::common::Metrics;

/// The grid's axes and the run every cell shares.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// mPES gains γ.
    pub gains: Vec<f64>,
    /// Device variabilities σ.
    pub sigmas: Vec<f64>,
    /// Ensemble sizes N.
    pub ns: Vec<usize>,
    /// Seeds `first_seed .. first_seed + seeds`.
    pub seeds: u64,
    /// The first seed.
    pub first_seed: u64,
    /// The function learned.
    pub f: Func,
    /// Steps per run.
    pub sim_steps: u64,
    /// Learning stops from this step on.
    pub learn_steps: u64,
}

/// One point of the grid.
pub type Cell = Config;

impl Grid {
    /// Every cell, in the fixed order N, σ, gain, seed (seed fastest).
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for &n in &self.ns {
            for &noise in &self.sigmas {
                for &gain in &self.gains {
                    for seed in self.first_seed..self.first_seed + self.seeds {
                        out.push(Config {
                            n,
                            gain,
                            noise,
                            f: self.f,
                            seed,
                            sim_steps: self.sim_steps,
                            learn_steps: self.learn_steps,
                        });
                    }
                }
            }
        }
        out
    }
}

/// Shard `i` of `k` (0 ≤ i < k): the cells whose index in [`Grid::cells`] is `i` modulo `k`.
/// Round-robin, so every shard gets a similar mix of cheap (small N) and dear cells.
pub fn shard(cells: &[Cell], i: usize, k: usize) -> Vec<Cell> {
    assert!(k > 0 && i < k, "shard {i}/{k}: need 0 ≤ i < k");
    cells.iter().copied().skip(i).step_by(k).collect()
}

/// Parses `"i/k"`.
pub fn parse_shard(s: &str) -> Option<(usize, usize)> {
    let (i, k) = s.split_once('/')?;
    let (i, k) = (i.trim().parse().ok()?, k.trim().parse().ok()?);
    (k > 0 && i < k).then_some((i, k))
}

/// Runs `cells` on `jobs` threads; results in the cells' order. With more than one job the
/// memristor arrays' pulse helper thread is turned off (the cells already fill the cores; the
/// results are the same either way).
pub fn run_cells(cells: &[Cell], jobs: usize, progress: bool) -> Vec<(Cell, frontiers::RunResult)> {
    let options = if jobs > 1 {
        SimOptions {
            pulse_threads: 1,
            ..SimOptions::default()
        }
    } else {
        SimOptions::default()
    };
    let results = map_indexed(
        cells.len(),
        jobs,
        |i| frontiers::run_with(&cells[i], options),
        |i, r: &frontiers::RunResult| {
            if progress {
                let c = &cells[i];
                eprintln!(
                    "cell {i:>4}: N {:>4} σ {:<5} γ {:<8e} seed {:>3}: MSE {:.4} Pearson {:.4} ({:.2} s)",
                    c.n, c.noise, c.gain, c.seed, r.metrics.mse, r.metrics.pearson, r.seconds
                );
            }
        },
    );
    cells.iter().copied().zip(results).collect()
}

/// The CSV header.
pub const CSV_HEADER: &str =
    "n,gain,sigma,seed,function,mse,pearson,spearman,kendall,pulses,seconds";

/// One CSV line per result (no header); floats in Rust's shortest round-trip form.
pub fn csv_rows(results: &[(Cell, frontiers::RunResult)]) -> String {
    let mut s = String::new();
    for (c, r) in results {
        let m = &r.metrics;
        writeln!(
            s,
            "{},{:e},{},{},{},{},{},{},{},{},{:.4}",
            c.n,
            c.gain,
            c.noise,
            c.seed,
            c.f.name(),
            m.mse,
            m.pearson,
            m.spearman,
            m.kendall,
            r.pulses,
            r.seconds
        )
        .expect("write to a String");
    }
    s
}

/// Parses rows written by [`csv_rows`] (a header line and blank lines are skipped). The step
/// counts are not in the CSV; they are set to the paper's.
pub fn parse_csv(text: &str) -> Result<Vec<(Cell, frontiers::RunResult)>, String> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with("n,") {
            continue;
        }
        let v: Vec<&str> = line.split(',').collect();
        if v.len() != 11 {
            return Err(format!("line {}: {} fields, expected 11", k + 1, v.len()));
        }
        let num = |i: usize| -> Result<f64, String> {
            v[i].parse::<f64>()
                .map_err(|e| format!("line {}, field {}: {e}", k + 1, i + 1))
        };
        let f = match v[4] {
            "x" => Func::X,
            "x2" => Func::X2,
            other => return Err(format!("line {}: function {other}", k + 1)),
        };
        let mut c = Config::paper(num(0)? as usize, num(1)?, num(2)?, num(3)? as u64);
        c.f = f;
        out.push((
            c,
            frontiers::RunResult {
                metrics: Metrics {
                    mse: num(5)?,
                    pearson: num(6)?,
                    spearman: num(7)?,
                    kendall: num(8)?,
                },
                pulses: num(9)? as u64,
                seconds: num(10)?,
            },
        ));
    }
    Ok(out)
}
