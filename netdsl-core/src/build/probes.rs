//! Probe records and the reset snapshot.

use std::ops::Range;

use super::PlanIndex;
use crate::io::probe::{ProbeData, Source};
use crate::network::Network;
use crate::plan::{OpKind, Owner, Plan, ProbeAttr, ProbeTarget, Shape, Structure};
use crate::step::signals::Layout;

/// One empty record per probe, reading the store or a memristor array.
pub(super) fn build_probes(
    net: &Network,
    structure: &Structure<usize>,
    q: &PlanIndex<'_>,
    layout: &Layout,
    memristor_of: &[usize],
    dt: f64,
) -> Vec<ProbeData> {
    let plan = q.plan;
    // Probes.
    let mut probes = Vec::with_capacity(structure.probes.len());
    for (p, sp) in structure.probes.iter().enumerate() {
        let spec = &net.probes[p].1;
        let pop = plan
            .ops
            .iter()
            .find(|o| o.kind == OpKind::Probe && o.owner == Owner::Probe(p))
            .expect("probe op");
        let sig = pop.reads[0].signal;
        let shape = match plan.signals[sig].shape {
            Shape::Vec(n) => vec![n],
            Shape::Mat(r, c) => vec![r, c],
        };
        let source = match (sp.target, sp.attr) {
            (ProbeTarget::Conn(c), ProbeAttr::Weights)
                if memristor_of[c] != usize::MAX && !sp.synapse =>
            {
                Source::MemristorWeights(memristor_of[c])
            }
            (ProbeTarget::Conn(c), ProbeAttr::ResistancePos) if !sp.synapse => {
                Source::MemristorPos(memristor_of[c])
            }
            (ProbeTarget::Conn(c), ProbeAttr::ResistanceNeg) if !sp.synapse => {
                Source::MemristorNeg(memristor_of[c])
            }
            _ => Source::Store(layout.signal(sig)),
        };
        let period = spec.sample_every.map(|s| s / dt).unwrap_or(1.0);
        probes.push(ProbeData {
            name: sp.name.to_string(),
            source,
            shape,
            period,
            data: Vec::new(),
            steps: Vec::new(),
        });
    }
    probes
}

/// What `reset` restores: every range an op writes (merged), as built.
pub(super) fn reset_snapshot(
    plan: &Plan,
    layout: &Layout,
    store: &[f64],
) -> Vec<(Range<usize>, Vec<f64>)> {
    // What `reset` restores: every range an op writes (merged), as built.
    let mut written: Vec<Range<usize>> = plan
        .ops
        .iter()
        .flat_map(|o| [&o.sets, &o.incs, &o.updates])
        .flat_map(|v| v.iter())
        .map(|s| layout.signal(s.signal))
        .filter(|r| !r.is_empty())
        .collect();
    written.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(written.len());
    for r in written {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
        .into_iter()
        .map(|r| {
            let v = store[r.clone()].to_vec();
            (r, v)
        })
        .collect()
}
