//! The dependency sort: Nengo's per-signal rule (sets → incs → reads → updates) and Kahn's
//! algorithm with ties broken by creation order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;

use crate::{OpDesc, OpKind, Owner, Plan};

/// A loop of same-step dependencies: every op in it waits for the previous one within the same
/// step, so no order exists. A synapse (even `0`) on any connection of the loop breaks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// The ops of the loop, in dependency order (indices into the unsorted op list).
    pub ops: Vec<usize>,
    /// Kind, owner and label of each op of the loop.
    pub steps: Vec<(OpKind, Owner, String)>,
}

impl Cycle {
    /// The connections on the loop, in order, without repeats.
    pub fn conns(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for (_, owner, _) in &self.steps {
            if let Owner::Conn(c) = owner {
                if !out.contains(c) {
                    out.push(*c);
                }
            }
        }
        out
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the network has a cycle with no synapse on it: ")?;
        let mut first = true;
        let mut last_label: Option<&str> = None;
        for (kind, owner, label) in &self.steps {
            if matches!(owner, Owner::Conn(_)) && matches!(kind, OpKind::Inc | OpKind::GainInc) {
                continue;
            }
            if last_label == Some(label.as_str()) {
                continue;
            }
            if !first {
                write!(f, " -> ")?;
            }
            first = false;
            write!(f, "{label}")?;
            last_label = Some(label);
        }
        write!(
            f,
            "; give one of its connections a synapse (`synapse = 0` is a pure one-step delay)"
        )
    }
}

/// Dependency edges of the op list: `edges[a]` lists the ops that must run after `a`.
pub fn edges<P: Clone + 'static>(ops: &[OpDesc<P>], n_signals: usize) -> Vec<Vec<usize>> {
    // Per signal: setters, incrementers, readers, updaters.
    let mut roles: Vec<[Vec<usize>; 4]> = vec![Default::default(); n_signals];
    for (i, op) in ops.iter().enumerate() {
        for (r, refs) in [&op.sets, &op.incs, &op.reads, &op.updates]
            .into_iter()
            .enumerate()
        {
            for s in refs.iter() {
                let list = &mut roles[s.signal][r];
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
    }
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for [sets, incs, reads, updates] in &roles {
        let mut link = |from: &[usize], to: &[usize]| {
            for &a in from {
                for &b in to {
                    if a != b && !out[a].contains(&b) {
                        out[a].push(b);
                    }
                }
            }
        };
        link(sets, incs);
        link(sets, reads);
        link(incs, reads);
        link(sets, updates);
        link(incs, updates);
        link(reads, updates);
    }
    out
}

/// The step order of a lowered plan's ops (indices into `plan.ops`), or the cycle that
/// prevents one. Among ops that are ready at the same time, the one created first runs first.
pub fn sort<P: Clone + 'static>(plan: &Plan<P>) -> Result<Vec<usize>, Cycle> {
    let ops = &plan.ops;
    let succ = edges(ops, plan.signals.len());
    let mut indeg = vec![0usize; ops.len()];
    for s in &succ {
        for &b in s {
            indeg[b] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..ops.len())
        .filter(|&i| indeg[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(ops.len());
    while let Some(Reverse(a)) = ready.pop() {
        order.push(a);
        for &b in &succ[a] {
            indeg[b] -= 1;
            if indeg[b] == 0 {
                ready.push(Reverse(b));
            }
        }
    }
    if order.len() == ops.len() {
        return Ok(order);
    }
    // Walk backwards through unfinished predecessors until an op repeats: that is a cycle.
    let mut pred: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (a, s) in succ.iter().enumerate() {
        for &b in s {
            if indeg[a] > 0 {
                pred[b].push(a);
            }
        }
    }
    let start = (0..ops.len()).find(|&i| indeg[i] > 0).expect("unsorted op");
    let mut seen = vec![usize::MAX; ops.len()];
    let mut path = Vec::new();
    let mut cur = start;
    while seen[cur] == usize::MAX {
        seen[cur] = path.len();
        path.push(cur);
        cur = *pred[cur]
            .iter()
            .min()
            .expect("an op left by Kahn's algorithm has an unfinished predecessor");
    }
    let mut cyc: Vec<usize> = path[seen[cur]..].to_vec();
    cyc.reverse();
    // Start the loop at its earliest-created op so the message is stable.
    let k = cyc
        .iter()
        .enumerate()
        .min_by_key(|(_, &o)| o)
        .map(|(k, _)| k)
        .unwrap_or(0);
    cyc.rotate_left(k);
    let steps = cyc
        .iter()
        .map(|&o| (ops[o].kind, ops[o].owner, ops[o].label.to_string()))
        .collect();
    Err(Cycle { ops: cyc, steps })
}
