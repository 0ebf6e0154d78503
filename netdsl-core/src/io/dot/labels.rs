//! What a network's drawing says: the labels of each connection ([`ConnText`]) and the
//! [`DotGraph`] of a network structure.

use super::{DotEdge, DotGraph, DotItem, Port};
use crate::models::learning::LearningRule;
use crate::models::synapses::Synapse;
use crate::network::{ConnectionSpec, Transform};
use crate::plan::{End, ItemKind, NodeKind, Port as PlanPort, Structure};

/// Labels of one connection, as drawn on its edge.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConnText {
    /// Function source text.
    pub function: Option<String>,
    /// Transform, when not the default 1.
    pub transform: Option<String>,
    /// Synapse (`None`, `Lowpass(0.005)`, …).
    pub synapse: String,
    /// Learning rule, if any.
    pub learning: Option<String>,
    /// Whether the weights are memristive devices.
    pub memristive: bool,
}

/// Short text of a synapse.
pub fn synapse_text(s: &Option<Synapse>) -> String {
    match s {
        None => "None".into(),
        Some(Synapse::Lowpass(t)) => format!("Lowpass({t})"),
        Some(Synapse::Alpha(t)) => format!("Alpha({t})"),
        Some(Synapse::LinearFilter { num, den }) => format!("LinearFilter({num:?}, {den:?})"),
    }
}

/// The edge labels of a connection spec.
pub fn conn_text(c: &ConnectionSpec) -> ConnText {
    let transform = match &c.transform {
        Transform::Scalar(s) if *s == 1.0 => None,
        Transform::Scalar(s) => Some(format!("{s}")),
        Transform::Diagonal(v) => Some(format!("diag({} values)", v.len())),
        Transform::Matrix(m) => Some(format!("{}x{} matrix", m.nrows(), m.ncols())),
    };
    let (learning, memristive) = match &c.learning {
        None => (None, false),
        Some(LearningRule::Pes { learning_rate, .. }) => {
            (Some(format!("PES(κ={learning_rate})")), false)
        }
        Some(LearningRule::Mpes { gain, .. }) => (Some(format!("mPES(γ={gain})")), true),
    };
    ConnText {
        function: c.function.as_ref().map(|f| f.text.to_string()),
        transform: transform.filter(|_| !memristive),
        synapse: synapse_text(&c.synapse),
        learning,
        memristive,
    }
}

fn slice_text(s: &Option<(usize, usize)>) -> Option<String> {
    s.map(|(a, b)| format!("{a}..{b}"))
}

/// The drawing of a network structure with its connection labels.
pub fn dot_graph(s: &Structure<usize>, texts: &[ConnText]) -> DotGraph {
    let mut items = Vec::new();
    for it in &s.items {
        let id = it.name.to_string();
        items.push(match &it.kind {
            ItemKind::Ensemble { n, d, .. } => DotItem::ensemble(id, *n, *d),
            ItemKind::Node {
                size_in,
                size_out,
                kind,
            } => match kind {
                NodeKind::Stage { state, method } => DotItem::stage(
                    id,
                    state.to_string(),
                    method.to_string(),
                    *size_in,
                    *size_out,
                ),
                NodeKind::Constant => DotItem::node(id, *size_in, *size_out, "constant"),
                NodeKind::Time => DotItem::node(id, *size_in, *size_out, "|t|"),
                NodeKind::TimeInput => DotItem::node(id, *size_in, *size_out, "|t, x|"),
                NodeKind::Passthrough => DotItem::node(id, *size_in, *size_out, "passthrough"),
                NodeKind::Process => DotItem::node(id, *size_in, *size_out, "process"),
            },
        });
    }
    let is_node = |i: usize| matches!(s.items[i].kind, ItemKind::Node { .. });
    let mut edges = Vec::new();
    for (c, conn) in s.conns.iter().enumerate() {
        let from = match conn.pre {
            End::Item {
                item,
                port: PlanPort::Neurons,
            } => Port::neurons(s.items[item].name.to_string()),
            End::Item { item, .. } if is_node(item) => Port::output(s.items[item].name.to_string()),
            End::Item { item, .. } => Port::decoded(s.items[item].name.to_string()),
            End::Learning { conn } => Port::learning(s.conns[conn].label.to_string()),
        };
        let to = match conn.post {
            End::Item {
                item,
                port: PlanPort::Neurons,
            } => Port::neurons(s.items[item].name.to_string()),
            End::Item { item, .. } if is_node(item) => Port::input(s.items[item].name.to_string()),
            End::Item { item, .. } => Port::decoded(s.items[item].name.to_string()),
            End::Learning { conn } => Port::learning(s.conns[conn].label.to_string()),
        };
        let from = match slice_text(&conn.pre_slice) {
            Some(t) => from.slice(t),
            None => from,
        };
        let to = match slice_text(&conn.post_slice) {
            Some(t) => to.slice(t),
            None => to,
        };
        let t = texts.get(c).cloned().unwrap_or_default();
        let mut e = DotEdge::new(from, to)
            .name(conn.label.to_string())
            .synapse(t.synapse);
        if let Some(f) = t.function {
            e = e.function(f);
        }
        if let Some(x) = t.transform {
            e = e.transform(x);
        }
        if let Some(l) = t.learning {
            e = if t.memristive {
                e.memristive(l)
            } else {
                e.learning(l)
            };
        }
        edges.push(e);
    }
    DotGraph {
        name: s.name.to_string(),
        items,
        edges,
    }
}
