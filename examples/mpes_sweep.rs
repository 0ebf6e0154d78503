//! A parameter sweep of the Frontiers experiment on one machine: every cell of the grid
//! gain γ × device variability σ × ensemble size N × seed is one mPES run (30 s, learning until
//! 22 s, f(x) = x unless `--function x2`), run on all cores, one simulator per thread.
//!
//! ```text
//! cargo run --release --example mpes_sweep -- [--gains 1e3,1e4,1e5] [--sigmas 0,0.15,0.3]
//!     [--n 10,100] [--seeds 5] [--first-seed 0] [--function x|x2] [--jobs K] [--shard i/k]
//!     [--out netdsl-out/sweep]
//! cargo run --release --example mpes_sweep -- --merge a.csv,b.csv,… [--out DIR]
//! ```
//!
//! Writes `<out>/cells.csv` (one row per cell: n, gain, sigma, seed, function, MSE, Pearson,
//! Spearman, Kendall, pulses, seconds), `<out>/summary.csv` (mean and std over seeds per
//! (N, σ, γ)) and `<out>/mse_pearson_vs_gain_N<n>.svg` (MSE and Pearson against log10 γ, one
//! line per σ, ± std over seeds).
//!
//! **Fan-out.** `--shard i/k` runs only the cells whose index in the fixed cell order (N, σ, γ,
//! seed; seed fastest) is `i` mod `k`, and writes `cells-shard-i-of-k.csv`. Each cell is its own
//! simulator seeded by its own seed, so its numbers are the same whatever the job count and
//! shard (`tests/mpes_runners.rs` checks this). Rank `i` of an MPI job (or machine `i` of `k`)
//! runs `--shard i/k`; `--merge` then joins the shard CSVs and writes the summary and plots.

mod common;
mod mpes_common;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use common::{arg, mean_std};
use mpes_common::frontiers::{Func, RunResult};
use mpes_common::sweep::{self, Cell, Grid, CSV_HEADER};
use mpes_common::{plot, pool};

fn list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    arg(name, default.to_string())
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .unwrap_or_else(|_| panic!("{name}: cannot parse {v}"))
        })
        .collect()
}

/// Summary CSV and one plot per N from all cells' results.
fn summarise(results: &[(Cell, RunResult)], out: &std::path::Path) {
    let mut ns: Vec<usize> = results.iter().map(|(c, _)| c.n).collect();
    ns.sort_unstable();
    ns.dedup();
    let mut sigmas: Vec<f64> = results.iter().map(|(c, _)| c.noise).collect();
    sigmas.sort_by(f64::total_cmp);
    sigmas.dedup();
    let mut gains: Vec<f64> = results.iter().map(|(c, _)| c.gain).collect();
    gains.sort_by(f64::total_cmp);
    gains.dedup();
    let mut csv = String::from(
        "n,gain,sigma,seeds,mse_mean,mse_std,pearson_mean,pearson_std,spearman_mean,\
         kendall_mean,pulses_mean,seconds_mean\n",
    );
    println!("| N | σ | γ | seeds | MSE | Pearson | pulses | s per run |");
    println!("|---|---|---|---|---|---|---|---|");
    for &n in &ns {
        // [metric][σ][γ] = values over seeds
        let mut mse = vec![vec![Vec::new(); gains.len()]; sigmas.len()];
        let mut pearson = mse.clone();
        for (si, &sigma) in sigmas.iter().enumerate() {
            for (gi, &gain) in gains.iter().enumerate() {
                let cell: Vec<&RunResult> = results
                    .iter()
                    .filter(|(c, _)| c.n == n && c.noise == sigma && c.gain == gain)
                    .map(|(_, r)| r)
                    .collect();
                if cell.is_empty() {
                    continue;
                }
                let col =
                    |f: fn(&RunResult) -> f64| -> Vec<f64> { cell.iter().map(|r| f(r)).collect() };
                let m = mean_std(&col(|r| r.metrics.mse));
                let p = mean_std(&col(|r| r.metrics.pearson));
                let sp = mean_std(&col(|r| r.metrics.spearman));
                let k = mean_std(&col(|r| r.metrics.kendall));
                let pu = mean_std(&col(|r| r.pulses as f64));
                let se = mean_std(&col(|r| r.seconds));
                writeln!(
                    csv,
                    "{n},{gain:e},{sigma},{},{},{},{},{},{},{},{},{}",
                    cell.len(),
                    m.0,
                    m.1,
                    p.0,
                    p.1,
                    sp.0,
                    k.0,
                    pu.0,
                    se.0
                )
                .unwrap();
                println!(
                    "| {n} | {sigma} | {gain:e} | {} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3e} | {:.2} |",
                    cell.len(),
                    m.0,
                    m.1,
                    p.0,
                    p.1,
                    pu.0,
                    se.0
                );
                mse[si][gi] = col(|r| r.metrics.mse);
                pearson[si][gi] = col(|r| r.metrics.pearson);
            }
        }
        let complete = mse.iter().flatten().all(|v| !v.is_empty());
        if complete {
            let fig = plot::metric_vs_gain(
                &format!("Frontiers experiment, mPES, N = {n}: metric vs gain for each σ"),
                &gains,
                &sigmas,
                &[("MSE", mse), ("Pearson", pearson)],
            );
            let path = out.join(format!("mse_pearson_vs_gain_N{n}.svg"));
            fig.save(&path).expect("write plot");
            println!("wrote {}", path.display());
        } else {
            println!("N = {n}: some cells missing (a shard?), no plot");
        }
    }
    std::fs::write(out.join("summary.csv"), csv).expect("write summary");
}

fn main() {
    let out = PathBuf::from(arg("--out", "netdsl-out/sweep".to_string()));
    std::fs::create_dir_all(&out).expect("output folder");
    let merge: String = arg("--merge", String::new());
    if !merge.is_empty() {
        let mut all = Vec::new();
        for f in merge.split(',') {
            let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            all.extend(sweep::parse_csv(&text).unwrap_or_else(|e| panic!("{f}: {e}")));
        }
        let mut csv = format!("{CSV_HEADER}\n");
        csv.push_str(&sweep::csv_rows(&all));
        std::fs::write(out.join("cells.csv"), csv).expect("write cells");
        println!(
            "merged {} cells into {}",
            all.len(),
            out.join("cells.csv").display()
        );
        summarise(&all, &out);
        return;
    }
    let f = match arg("--function", "x".to_string()).as_str() {
        "x" => Func::X,
        "x2" => Func::X2,
        other => panic!("--function x|x2, not {other}"),
    };
    let grid = Grid {
        gains: list("--gains", "1e3,1e4,1e5"),
        sigmas: list("--sigmas", "0,0.15,0.3"),
        ns: list("--n", "10,100"),
        seeds: arg("--seeds", 5),
        first_seed: arg("--first-seed", 0),
        f,
        sim_steps: 30_000,
        learn_steps: 22_000,
    };
    let jobs: usize = arg("--jobs", pool::all_cores());
    let shard_arg: String = arg("--shard", "0/1".to_string());
    let (i, k) =
        sweep::parse_shard(&shard_arg).unwrap_or_else(|| panic!("--shard i/k, not {shard_arg}"));
    let all = grid.cells();
    let cells = sweep::shard(&all, i, k);
    println!(
        "Frontiers sweep: γ {:?} × σ {:?} × N {:?} × {} seeds = {} cells; shard {i}/{k}: {} \
         cells on {jobs} threads",
        grid.gains,
        grid.sigmas,
        grid.ns,
        grid.seeds,
        all.len(),
        cells.len()
    );
    let start = Instant::now();
    let results = sweep::run_cells(&cells, jobs, true);
    let wall = start.elapsed().as_secs_f64();
    let cpu: f64 = results.iter().map(|(_, r)| r.seconds).sum();
    println!(
        "{} cells in {wall:.1} s of wall time ({cpu:.1} s summed over the runs, {jobs} threads)",
        results.len()
    );
    let name = if k == 1 {
        "cells.csv".to_string()
    } else {
        format!("cells-shard-{i}-of-{k}.csv")
    };
    let mut csv = format!("{CSV_HEADER}\n");
    csv.push_str(&sweep::csv_rows(&results));
    std::fs::write(out.join(&name), csv).expect("write cells");
    println!("wrote {}", out.join(&name).display());
    summarise(&results, &out);
}
