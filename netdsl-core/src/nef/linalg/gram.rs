//! Gram matrices `aᵀ a` of the activities, dense and skipping exact zeros, spread over the build
//! threads.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array2, ArrayView2, Axis};

use crate::threads::build::{build_threads, map_parts, run_parts};

/// `aᵀ a` (n × n for an m × n `a`): only the blocks on and below the diagonal are multiplied
/// (half the work of a full product), spread over the machine's threads, then mirrored.
pub fn gram_tn(a: &Array2<f64>) -> Array2<f64> {
    let n = a.ncols();
    const NB: usize = 192;
    let blocks: Vec<(usize, usize)> = (0..n.div_ceil(NB))
        .flat_map(|i| (0..=i).map(move |j| (i, j)))
        .collect();
    let threads = if a.len() * n < 4_000_000 {
        1
    } else {
        build_threads().min(blocks.len())
    };
    let mut g = Array2::<f64>::zeros((n, n));
    let range = |i: usize| i * NB..((i + 1) * NB).min(n);
    let work = |t: usize| -> Vec<(usize, usize, Array2<f64>)> {
        blocks
            .iter()
            .skip(t)
            .step_by(threads)
            .map(|&(i, j)| {
                let (ri, rj) = (range(i), range(j));
                let mut out = Array2::<f64>::zeros((ri.len(), rj.len()));
                let ai = a.slice(s![.., ri]);
                let aj = a.slice(s![.., rj]);
                general_mat_mul(1.0, &ai.t(), &aj, 0.0, &mut out);
                (i, j, out)
            })
            .collect()
    };
    let mut put = |parts: Vec<(usize, usize, Array2<f64>)>| {
        for (i, j, blk) in parts {
            g.slice_mut(s![range(i), range(j)]).assign(&blk);
            if i != j {
                g.slice_mut(s![range(j), range(i)]).assign(&blk.t());
            }
        }
    };
    if threads == 1 {
        put(work(0));
    } else {
        for p in map_parts((0..threads).collect(), work) {
            put(p);
        }
    }
    g
}

/// `g += aᵀ a` on and below the diagonal of `g` (n × n for an m × n `a`; the strict upper
/// triangle gets partial sums too and is not meaningful). `g` is cut into row stripes; stripe
/// `[r0, r1)` needs `a[:, r0..r1]ᵀ · a[:, ..r1]` (one GEMM), and the stripes are shared among the
/// machine's threads, biggest first. For accumulating a Gram matrix over chunks of rows.
pub fn gram_tn_acc_lower(a: ArrayView2<'_, f64>, g: &mut Array2<f64>) {
    let n = a.ncols();
    assert_eq!(g.dim(), (n, n), "gram: g must be n x n");
    let threads = if a.len() * n < 4_000_000 {
        1
    } else {
        build_threads()
    };
    let stripes = (4 * threads).min(n.div_ceil(64)).max(1);
    let h = n.div_ceil(stripes);
    let mut views = Vec::new();
    let mut rest = g.view_mut();
    let mut r0 = 0;
    while r0 < n {
        let k = h.min(n - r0);
        let (top, bot) = rest.split_at(Axis(0), k);
        views.push((r0, r0 + k, top));
        rest = bot;
        r0 += k;
    }
    // Longest-processing-time-first assignment: work of a stripe ∝ its height × r1.
    views.sort_by_key(|v| std::cmp::Reverse((v.1 - v.0) * v.1));
    let mut per_thread: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    let mut load = vec![0usize; threads];
    for v in views {
        let t = (0..threads).min_by_key(|&t| load[t]).unwrap_or(0);
        load[t] += (v.1 - v.0) * v.1;
        per_thread[t].push(v);
    }
    let run = |jobs: Vec<(usize, usize, ndarray::ArrayViewMut2<'_, f64>)>| {
        for (r0, r1, mut stripe) in jobs {
            let lhs = a.slice(s![.., r0..r1]);
            let rhs = a.slice(s![.., ..r1]);
            let mut out = stripe.slice_mut(s![.., ..r1]);
            general_mat_mul(1.0, &lhs.t(), &rhs, 1.0, &mut out);
        }
    };
    run_parts(per_thread, run);
}

/// `g += aᵀ a` on and below the diagonal of `g` (n × n for an m × n `a`, like
/// [`gram_tn_acc_lower`]), skipping exact zeros in blocks: the columns are cut into tiles of
/// `TILE`, and for each tile the rows between its first and last non-zero entry are found;
/// block `(I, J)` then only multiplies the rows where both tiles can be non-zero. The skipped
/// terms are exact zeros, so this is the dense product up to summation order. Pays off when the
/// rows (evaluation points) and columns (neurons) are ordered so that each tile's non-zeros are
/// a short run of rows (1-D ensembles with sorted points and neurons sorted by threshold).
pub fn gram_tn_acc_lower_sparse(a: ArrayView2<'_, f64>, g: &mut Array2<f64>) {
    const TILE: usize = 64;
    let (m, n) = a.dim();
    assert_eq!(g.dim(), (n, n), "gram: g must be n x n");
    if m == 0 || n == 0 {
        return;
    }
    // First and last+1 non-zero row of every column.
    let mut lo = vec![m; n];
    let mut hi = vec![0usize; n];
    for (r, row) in a.rows().into_iter().enumerate() {
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(row.iter()) {
            if v != 0.0 {
                *l = (*l).min(r);
                *h = r + 1;
            }
        }
    }
    let tiles = n.div_ceil(TILE);
    let range = |t: usize| t * TILE..((t + 1) * TILE).min(n);
    let span: Vec<(usize, usize)> = (0..tiles)
        .map(|t| {
            let r = range(t);
            let l = lo[r.clone()].iter().copied().min().unwrap_or(m);
            let h = hi[r].iter().copied().max().unwrap_or(0);
            (l, h)
        })
        .collect();
    let overlap = |i: usize, j: usize| {
        let (l, h) = (span[i].0.max(span[j].0), span[i].1.min(span[j].1));
        (l, h.max(l))
    };
    let threads = if m * n * n < 8_000_000 {
        1
    } else {
        build_threads()
    };
    // Row stripes of one tile each, with their work, dealt out biggest first.
    let mut views = Vec::new();
    let mut rest = g.view_mut();
    for i in 0..tiles {
        let k = range(i).len();
        let (top, bot) = rest.split_at(Axis(0), k);
        rest = bot;
        let work: usize = (0..=i)
            .map(|j| {
                let (l, h) = overlap(i, j);
                (h - l) * range(j).len()
            })
            .sum();
        views.push((i, work, top));
    }
    views.sort_by_key(|v| std::cmp::Reverse(v.1));
    let mut per_thread: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    let mut load = vec![0usize; threads];
    for v in views {
        let t = (0..threads).min_by_key(|&t| load[t]).unwrap_or(0);
        load[t] += v.1;
        per_thread[t].push(v);
    }
    let run = |jobs: Vec<(usize, usize, ndarray::ArrayViewMut2<'_, f64>)>| {
        for (i, _, mut stripe) in jobs {
            for j in 0..=i {
                let (l, h) = overlap(i, j);
                if l == h {
                    continue;
                }
                let lhs = a.slice(s![l..h, range(i)]);
                let rhs = a.slice(s![l..h, range(j)]);
                let mut out = stripe.slice_mut(s![.., range(j)]);
                general_mat_mul(1.0, &lhs.t(), &rhs, 1.0, &mut out);
            }
        }
    };
    run_parts(per_thread, run);
}
