//! Axis ticks and min/max decimation for the SVG figures (no drawing here).

/// Ticks from 1-2-5 steps: every multiple of the step within `[lo, hi]`, as exact decimal text.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// The step between ticks.
    pub step: f64,
    /// (value, label) of each tick, ascending.
    pub ticks: Vec<(f64, String)>,
}

/// About `target` ticks over `[lo, hi]` with a step of 1, 2 or 5 times a power of ten
/// (at least `min_step`, e.g. 1 for neuron indices).
pub fn nice_ticks(lo: f64, hi: f64, target: usize, min_step: f64) -> Ticks {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let range = hi - lo;
    if !(range.is_finite()) || range <= 0.0 {
        return Ticks {
            step: 0.0,
            ticks: if lo.is_finite() {
                vec![(lo, format_plain(lo))]
            } else {
                Vec::new()
            },
        };
    }
    // Candidate 1-2-5 steps around range/target; keep the one whose tick count is closest to
    // `target` (the smaller step on a tie).
    let raw = (range / target.max(1) as f64).max(min_step);
    let e0 = raw.log10().floor() as i32;
    let mut best: Option<(usize, i64, i32, i64, i64)> = None; // (miss, nf, e, first, last)
    for e in [e0 - 1, e0, e0 + 1] {
        for nf in [1i64, 2, 5] {
            let step = nf as f64 * 10f64.powi(e);
            if step < min_step * (1.0 - 1e-9) {
                continue;
            }
            let first = (lo / step - 1e-9).ceil() as i64;
            let last = (hi / step + 1e-9).floor() as i64;
            let count = (last - first + 1).max(0) as usize;
            let miss = count.abs_diff(target.max(1)) * 2 + usize::from(count < 2);
            if best.is_none_or(|b| miss < b.0) {
                best = Some((miss, nf, e, first, last));
            }
        }
    }
    let (_, nf, e, first, last) = best.expect("at least one candidate step");
    let step = nf as f64 * 10f64.powi(e);
    let big = lo.abs().max(hi.abs());
    let scientific = big >= 1e6 || e <= -5;
    let ticks = (first..=last)
        .map(|i| {
            let m = i * nf; // value = m × 10^e exactly
            (i as f64 * step, format_decimal(m, e, scientific))
        })
        .collect();
    Ticks { step, ticks }
}

/// `m × 10^e` as text: plain decimals (`0.25`, `1500`, `-0.001`) or scientific (`2.5e-6`).
fn format_decimal(m: i64, e: i32, scientific: bool) -> String {
    if m == 0 {
        return "0".into();
    }
    let neg = m < 0;
    let mut digits = m.unsigned_abs().to_string();
    let mut e = e;
    let sign = if neg { "-" } else { "" };
    if scientific {
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
            e += 1;
        }
        let exp = e + digits.len() as i32 - 1;
        let (head, tail) = digits.split_at(1);
        if tail.is_empty() {
            format!("{sign}{head}e{exp}")
        } else {
            format!("{sign}{head}.{tail}e{exp}")
        }
    } else if e >= 0 {
        format!("{sign}{digits}{}", "0".repeat(e as usize))
    } else {
        let places = (-e) as usize;
        if digits.len() <= places {
            digits = "0".repeat(places - digits.len() + 1) + &digits;
        }
        let (int, frac) = digits.split_at(digits.len() - places);
        format!("{sign}{int}.{frac}")
    }
}

fn format_plain(v: f64) -> String {
    let s = format!("{v}");
    if s.len() > 10 {
        format!("{v:.4e}")
    } else {
        s
    }
}

/// The indices of `(x, y)` points to draw so that a line through them looks like the full one at
/// `columns` pixel columns over `[x0, x1]`: per column the first, lowest, highest and last point,
/// in order. Non-finite points are kept (they break the line). Short series are kept whole.
pub fn downsample_indices(x: &[f64], y: &[f64], x0: f64, x1: f64, columns: usize) -> Vec<usize> {
    let n = x.len().min(y.len());
    if n <= 4 * columns.max(1) || x1 <= x0 {
        return (0..n).collect();
    }
    let scale = columns as f64 / (x1 - x0);
    let col_of = |v: f64| -> i64 { ((v - x0) * scale).floor() as i64 };
    let mut out = Vec::with_capacity(4 * columns + 8);
    let mut i = 0;
    while i < n {
        if !x[i].is_finite() || !y[i].is_finite() {
            out.push(i);
            i += 1;
            continue;
        }
        let c = col_of(x[i]);
        let start = i;
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < n && x[j].is_finite() && y[j].is_finite() && col_of(x[j]) == c {
            if y[j] < y[lo] {
                lo = j;
            }
            if y[j] > y[hi] {
                hi = j;
            }
            j += 1;
        }
        let end = j - 1;
        let mut keep = [start, lo, hi, end];
        keep.sort_unstable();
        for (k, &idx) in keep.iter().enumerate() {
            if k == 0 || idx != keep[k - 1] {
                out.push(idx);
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.ticks.iter().map(|t| t.1.as_str()).collect()
    }

    #[test]
    fn ticks_use_1_2_5_steps() {
        assert_eq!(
            labels(&nice_ticks(0.0, 1.0, 5, 0.0)),
            ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 30.0, 6, 0.0)),
            ["0", "5", "10", "15", "20", "25", "30"]
        );
        assert_eq!(
            labels(&nice_ticks(-1.1, 1.1, 5, 0.0)),
            ["-1.0", "-0.5", "0", "0.5", "1.0"]
        );
        assert_eq!(
            labels(&nice_ticks(0.001, 0.0099, 4, 0.0)),
            ["0.002", "0.004", "0.006", "0.008"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 2.5e-5, 5, 0.0)),
            ["0", "5e-6", "1e-5", "1.5e-5", "2e-5", "2.5e-5"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 3e7, 3, 0.0)),
            ["0", "1e7", "2e7", "3e7"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 4.0, 10, 1.0)),
            ["0", "1", "2", "3", "4"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 1200.0, 5, 0.0)),
            ["0", "200", "400", "600", "800", "1000", "1200"]
        );
        assert_eq!(nice_ticks(1.0, 1.0, 5, 0.0).ticks.len(), 1);
        for (lo, hi) in [(0.13, 0.97), (-3.7, 12.2), (1e-3, 30.0), (99.0, 101.0)] {
            let t = nice_ticks(lo, hi, 5, 0.0);
            let m = t.step / 10f64.powf(t.step.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|v| (m - v).abs() < 1e-9),
                "{}",
                t.step
            );
            assert!(
                t.ticks.len() >= 3 && t.ticks.len() <= 11,
                "{lo} {hi}: {:?}",
                t.ticks
            );
            assert!(t
                .ticks
                .iter()
                .all(|(v, _)| *v >= lo - 1e-12 && *v <= hi + 1e-12));
        }
    }

    #[test]
    fn downsampling_keeps_extremes_and_is_small() {
        let n = 30_000; // 30 s at dt = 1e-3
        let t: Vec<f64> = (1..=n).map(|i| i as f64 * 1e-3).collect();
        let mut y: Vec<f64> = t.iter().map(|t| (2.0 * t).sin()).collect();
        y[12_345] = 5.0; // a one-step spike
        y[20_000] = -4.0;
        let idx = downsample_indices(&t, &y, t[0], t[n - 1], 700);
        assert!(idx.len() <= 4 * 700 + 4, "{}", idx.len());
        assert!(idx.contains(&12_345) && idx.contains(&20_000));
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((idx[0], *idx.last().unwrap()), (0, n - 1));
        // short series untouched
        assert_eq!(
            downsample_indices(&t[..10], &y[..10], 0.0, 1.0, 700),
            (0..10).collect::<Vec<_>>()
        );
    }
}
