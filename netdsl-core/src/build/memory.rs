//! The build's memory guard: before any decoder solve or weight matrix is allocated, the bytes
//! each will take are estimated and a network that needs more than the simulator's
//! `build_memory_limit` at once is refused with a [`BuildError::TooBig`] naming the connection or
//! probe, instead of the allocation aborting the process.

use super::data::EnsembleData;
use super::decoders::decoded_pre;
use crate::error::BuildError;
use crate::models::learning::LearningRule;
use crate::models::memristor::MemristorArray;
use crate::models::neurons::NeuronType;
use crate::nef::solvers::SolverKind;
use crate::network::{ItemSpec, Network};
use crate::plan::{ProbeAttr, ProbeTarget, Shape, Structure};

/// A decoder solve over `m` evaluation points and `n` neurons with `solver`: its bytes (`f64`,
/// saturating) and what they are. `LstsqL2` with at least as many points as neurons streams the
/// activities into the n × n Gram matrix a chunk of points at a time
/// (`nef::solvers::solve_decoders`), so only the Gram matrix counts; every other solve holds the
/// m × n activities and the Gram matrix of the smaller side.
fn solve_bytes(m: usize, n: usize, solver: &SolverKind) -> (u64, String) {
    let (mu, nu) = (m as u64, n as u64);
    if matches!(solver, SolverKind::LstsqL2 { .. }) && m >= n {
        let bytes = nu.saturating_mul(nu).saturating_mul(8);
        return (
            bytes,
            format!("decoder solve: Gram {n} x {n}, activities streamed"),
        );
    }
    let g = mu.min(nu);
    let bytes = mu
        .saturating_mul(nu)
        .saturating_add(g.saturating_mul(g))
        .saturating_mul(8);
    let g = m.min(n);
    (
        bytes,
        format!("decoder solve: activities {m} x {n} and Gram {g} x {g}"),
    )
}

/// Refuses the network when one solve or weight matrix would need more than `limit` bytes.
pub(super) fn check_build_memory(
    net: &Network,
    structure: &Structure<usize>,
    ensembles: &[Option<EnsembleData>],
    limit: u64,
) -> Result<(), BuildError> {
    let too_big = |what: String, detail: String, bytes: u64| BuildError::TooBig {
        what,
        detail,
        bytes,
        limit,
    };
    for (c, conn) in structure.conns.iter().enumerate() {
        let decoded = decoded_pre(net, ensembles, c);
        if let Some((_, ens)) = decoded {
            let m = net.conns[c]
                .eval_points
                .as_ref()
                .map_or(ens.eval_points.nrows(), |ep| ep.nrows());
            let n = ens.encoders.nrows();
            let (bytes, detail) = solve_bytes(m, n, &net.conns[c].solver.kind);
            if bytes > limit {
                return Err(too_big(
                    format!("connection `{}`", conn.label),
                    detail,
                    bytes,
                ));
            }
        }
        if let Shape::Mat(rows, cols) = conn.weights_shape(decoded.is_some()) {
            let pairs = (rows as u64).saturating_mul(cols as u64);
            let bytes = pairs.saturating_mul(8);
            if bytes > limit {
                return Err(too_big(
                    format!("connection `{}`", conn.label),
                    format!("weight matrix {rows} x {cols}"),
                    bytes,
                ));
            }
            if let Some(LearningRule::Mpes { model, .. }) = &net.conns[c].learning {
                // The array and the copy the simulator keeps for `reset`.
                let per = 2 * MemristorArray::bytes_per_pair(model);
                let bytes = pairs.saturating_mul(per);
                if bytes > limit {
                    return Err(too_big(
                        format!("connection `{}`", conn.label),
                        format!(
                            "memristor array {rows} x {cols}, {per} bytes per device pair with \
                             its reset copy"
                        ),
                        bytes,
                    ));
                }
            }
        }
    }
    for (p, probe) in structure.probes.iter().enumerate() {
        let (ProbeTarget::Item(i), ProbeAttr::Value) = (probe.target, probe.attr) else {
            continue;
        };
        let (ItemSpec::Ensemble(spec), Some(ens)) = (&net.items[i].1, ensembles[i].as_ref()) else {
            continue;
        };
        if spec.neuron_type == NeuronType::Direct {
            continue;
        }
        let (m, n) = (ens.eval_points.nrows(), ens.encoders.nrows());
        let (bytes, detail) = solve_bytes(m, n, &net.probes[p].1.solver.kind);
        if bytes > limit {
            return Err(too_big(format!("probe `{}`", probe.name), detail, bytes));
        }
    }
    Ok(())
}
