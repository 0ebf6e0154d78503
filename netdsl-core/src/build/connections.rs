//! Each connection's initial weights: decoders folded with the transform (and the post encoders
//! for a weight solve), or the transform itself; kept apart column-major or written into the
//! store.

use super::data::{ConnData, EnsembleData, Weights};
use super::decoders::{conn_weights, decoded_pre, transform_dense, DecoderSolve, SolveKey, Solved};
use super::PlanIndex;
use crate::error::{BuildError, SolveFor};
use crate::models::learning::LearningRule;
use crate::network::{Network, Transform};
use crate::plan::{Shape, Structure};
use crate::step::ops::{transpose_in_place, WeightValues};
use crate::step::signals::Layout;

/// Every connection's [`ConnData`], in connection order; weights not kept apart are written into
/// `store`.
pub(super) fn build_connections(
    net: &Network,
    structure: &Structure<usize>,
    q: &PlanIndex<'_>,
    ensembles: &[Option<EnsembleData>],
    solved: &mut Solved,
    layout: &Layout,
    store: &mut [f64],
) -> Result<Vec<ConnData>, BuildError> {
    let plan = q.plan;
    let mut conn_data = Vec::with_capacity(net.conns.len());
    for (c, spec) in net.conns.iter().enumerate() {
        let sc = &structure.conns[c];
        let wop = q.weights_op(c);
        let wsig = wop.reads[1].signal;
        let shape = plan.signals[wsig].shape;
        let mut decoders = None;
        // The weights, row-major, or column-major when `w_col_major` (a product that came
        // out in that layout is kept so: no 32 MB copy for large_weights).
        let mut w_col_major = false;
        let w: Vec<f64> = if let Some((pspec, ens)) = decoded_pre(net, ensembles, c) {
            let d = match solved.remove(&SolveKey::Conn(c)) {
                Some(d) => d,
                None => DecoderSolve::conn(net, ensembles, pspec, ens, c).solve(),
            }
            .map_err(|source| BuildError::Solve {
                of: SolveFor::Conn {
                    conn: c,
                    label: sc.label.to_string(),
                },
                source,
            })?;
            let w = conn_weights(net, ensembles, c, &d);
            decoders = Some(d);
            // Either layout is taken as it is (no second copy of a big matrix).
            let fortran = !w.is_standard_layout() && w.t().is_standard_layout();
            if w.is_standard_layout() || fortran {
                // Contiguous: the values are `n` consecutive entries of the buffer, in
                // memory order, from the first element's offset.
                let n = w.len();
                let (mut v, off) = w.into_raw_vec_and_offset();
                v.drain(..off.unwrap_or(0));
                v.truncate(n);
                w_col_major = fortran;
                v
            } else {
                w.as_standard_layout().iter().copied().collect()
            }
        } else {
            let (rows, cols) = match shape {
                Shape::Mat(r, c) => (r, c),
                Shape::Vec(n) => (n, n),
            };
            match shape {
                Shape::Mat(..) => {
                    if let Some(LearningRule::Mpes { .. }) = &spec.learning {
                        vec![0.0; rows * cols]
                    } else {
                        transform_dense(&spec.transform, rows, cols)
                            .iter()
                            .copied()
                            .collect()
                    }
                }
                Shape::Vec(_) => match &spec.transform {
                    Transform::Scalar(s) => vec![*s],
                    Transform::Diagonal(v) => v.clone(),
                    Transform::Matrix(_) => {
                        unreachable!("matrix transforms have a matrix shape")
                    }
                },
            }
        };
        let (rows, cols) = match shape {
            Shape::Mat(r, c) => (r, c),
            Shape::Vec(n) => (n, 1),
        };
        let weights = if q.kept_apart(c) {
            let mut w = w;
            if !w_col_major {
                transpose_in_place(&mut w, rows, cols);
            }
            Weights {
                data: WeightValues::stored(w, spec.weight_storage),
                rows,
                cols,
                col_major: true,
            }
        } else {
            let mut w = w;
            if w_col_major {
                // Column-major rows × cols is row-major cols × rows.
                transpose_in_place(&mut w, cols, rows);
            }
            store[layout.signal(wsig)].copy_from_slice(&w);
            Weights::row_major(w, rows, cols)
        };
        conn_data.push(ConnData {
            decoders,
            weights,
            weights_shape: match shape {
                Shape::Vec(n) => vec![n],
                Shape::Mat(r, c) => vec![r, c],
            },
        });
    }
    Ok(conn_data)
}
