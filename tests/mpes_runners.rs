//! The mPES experiment runners' shared code (`examples/mpes_common/`): the follow-up's per-block
//! metric on a synthetic input, the tasks' setup facts, and the sweep's independence of job count
//! and shard.

#[path = "../examples/common/mod.rs"]
mod common;
#[path = "../examples/mpes_common/mod.rs"]
mod mpes_common;

use mpes_common::followup::{self, circular_convolution, test_block_errors, Model, Settings, Task};
use mpes_common::frontiers::Func;
use mpes_common::sweep::{self, Grid};

#[test]
fn block_metric_sums_abs_error_over_samples_and_dims_of_test_blocks_only() {
    // 3 blocks of 2500 steps (steps 1..=7500); 2 output dimensions. post − truth is
    // (+0.5, −0.25) in block 0, 7 in block 1 (a learning block: not scored), (−1, 2) in block 2
    // except for its last sample, which is (3, 0).
    let steps: Vec<u64> = (1..=7500).collect();
    let truth: Vec<Vec<f64>> = steps.iter().map(|&s| vec![s as f64 * 1e-3, -1.0]).collect();
    let post: Vec<Vec<f64>> = steps
        .iter()
        .zip(&truth)
        .map(|(&s, t)| {
            let d = match s {
                1..=2500 => [0.5, -0.25],
                2501..=5000 => [7.0, 7.0],
                7500 => [3.0, 0.0],
                _ => [-1.0, 2.0],
            };
            vec![t[0] + d[0], t[1] + d[1]]
        })
        .collect();
    let e = test_block_errors(&steps, &post, &truth, 3);
    assert_eq!(e.len(), 2);
    assert!((e[0] - 2500.0 * 0.75).abs() < 1e-9, "{e:?}");
    assert!((e[1] - (2499.0 * 3.0 + 3.0)).abs() < 1e-9, "{e:?}");
    // Block boundaries are in integer steps: step 2500 is block 0, 2501 block 1.
    assert_eq!(followup::block_of(2500), 0);
    assert_eq!(followup::block_of(2501), 1);
    // Samples past the last counted block are ignored; a sparse probe (every 10th step) is fine.
    let e2 = test_block_errors(&steps, &post, &truth, 1);
    assert_eq!(e2.len(), 1);
    assert!((e2[0] - e[0]).abs() < 1e-12);
    let sparse: Vec<usize> = (9..7500).step_by(10).collect();
    let pick =
        |v: &Vec<Vec<f64>>| -> Vec<Vec<f64>> { sparse.iter().map(|&k| v[k].clone()).collect() };
    let st: Vec<u64> = sparse.iter().map(|&k| steps[k]).collect();
    let e3 = test_block_errors(&st, &pick(&post), &pick(&truth), 3);
    assert!((e3[0] - 250.0 * 0.75).abs() < 1e-9 && (e3[1] - (249.0 * 3.0 + 3.0)).abs() < 1e-9);
}

#[test]
fn tasks_follow_the_spec() {
    let t = |name| followup::task(name).expect(name);
    assert_eq!(Settings::for_task(&t("x1x2")).blocks, 21);
    assert_eq!(Settings::for_task(&t("cconv3")).blocks, 161);
    assert_eq!(t("x1x2_x3x4").neurons[..2], [400, 400]);
    assert_eq!((t("products3").d_in, t("products3").d_out), (3, 3));
    assert_eq!(
        (t("cconv2").d_in, t("cconv2").d_out, t("cconv2").seconds),
        (4, 2, 200.0)
    );
    assert_eq!((t("cconv3").neurons[0], t("cconv3").neurons[1]), (600, 300));
    // Circular convolution, as ifft(fft(a) · fft(b)): [1, 2, 3] ⊛ [4, 5, 6] = [31, 31, 28].
    let mut y = [0.0; 3];
    circular_convolution(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &mut y);
    assert_eq!(y, [31.0, 31.0, 28.0]);
    let mut y = [0.0; 2];
    circular_convolution(&[1.0, 2.0, 3.0, 4.0], &mut y);
    assert_eq!(y, [1.0 * 3.0 + 2.0 * 4.0, 1.0 * 4.0 + 2.0 * 3.0]);
    let mut y = [0.0; 3];
    followup::TaskFn::SeparateProducts.apply(&[2.0, 3.0, 5.0], &mut y);
    assert_eq!(y, [6.0, 10.0, 15.0]);
}

#[test]
fn a_small_task_runs_every_model_and_scores_each_test_block() {
    let task = Task {
        name: "tiny",
        title: "tiny x1·x2",
        neurons: [30, 30, 20, 20],
        ..followup::task("x1x2").expect("x1x2")
    };
    let mut s = Settings::for_task(&task);
    s.blocks = 3;
    for m in Model::ALL {
        let r = followup::run_one(&task, m, 0, &s);
        assert_eq!(r.test_errors.len(), 2, "{m:?}");
        assert!(
            r.test_errors.iter().all(|e| e.is_finite() && *e > 0.0),
            "{m:?} {r:?}"
        );
        assert_eq!(r.pulses > 0, m == Model::Mpes, "{m:?}");
    }
}

#[test]
fn sweep_cells_do_not_depend_on_jobs_or_shard() {
    let grid = Grid {
        gains: vec![1e3, 1e4],
        sigmas: vec![0.0, 0.15],
        ns: vec![10],
        seeds: 2,
        first_seed: 3,
        f: Func::X,
        sim_steps: 800,
        learn_steps: 600,
    };
    let cells = grid.cells();
    assert_eq!(cells.len(), 8);
    let key = |r: &[(sweep::Cell, mpes_common::frontiers::RunResult)]| -> Vec<String> {
        // Everything but the wall time, exactly.
        r.iter()
            .map(|(c, r)| format!("{c:?} {:?} {}", r.metrics, r.pulses))
            .collect()
    };
    let one = key(&sweep::run_cells(&cells, 1, false));
    let three = key(&sweep::run_cells(&cells, 3, false));
    assert_eq!(one, three);
    // Shards partition the grid, and each cell's numbers are the same in its shard.
    let mut from_shards: Vec<(usize, String)> = Vec::new();
    for i in 0..3 {
        let part = sweep::shard(&cells, i, 3);
        let got = key(&sweep::run_cells(&part, 2, false));
        for (k, g) in got.into_iter().enumerate() {
            from_shards.push((i + 3 * k, g));
        }
    }
    from_shards.sort();
    assert_eq!(
        from_shards.into_iter().map(|p| p.1).collect::<Vec<_>>(),
        one
    );
    // The cells differ from each other, so the comparison is not vacuous.
    assert_ne!(one[0], one[1]);
    // CSV round trip keeps every number.
    let res = sweep::run_cells(&cells[..2], 1, false);
    let back = sweep::parse_csv(&format!("{}\n{}", sweep::CSV_HEADER, sweep::csv_rows(&res)))
        .expect("parse");
    for ((c0, r0), (c1, r1)) in res.iter().zip(&back) {
        assert_eq!(
            (c0.n, c0.gain, c0.noise, c0.seed),
            (c1.n, c1.gain, c1.noise, c1.seed)
        );
        assert_eq!((r0.metrics, r0.pulses), (r1.metrics, r1.pulses));
    }
    assert_eq!(sweep::parse_shard("2/5"), Some((2, 5)));
    assert_eq!(sweep::parse_shard("5/5"), None);
}
