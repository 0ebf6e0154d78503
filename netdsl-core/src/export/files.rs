//! From a network or a simulator to the files a person looks at: the graph (DOT), every probe
//! as `.npy` and CSV, SVG plots of probes, the plan text.

use std::io;
use std::path::{Path, PathBuf};

use super::csv::CsvTable;
use super::dot::{to_dot, DotEdge, DotGraph, DotItem, Port};
use super::npy::write_npy;
use super::svg::{Axes, Figure, LineSeries, Raster};
use crate::error::BuildError;
use crate::network::{ConnectionSpec, LearningRule, Network, Transform};
use crate::plan::{End, ItemKind, NodeKind, Port as PlanPort, ProbeAttr, ProbeTarget, Structure};
use crate::sim::{structure, Simulator};
use crate::synapses::Synapse;

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

impl Network {
    /// The network as Graphviz DOT (`dot -Tsvg`), with `.neurons` ends and slices drawn on the
    /// right boxes. Fails like [`Simulator::new`] on an invalid network.
    pub fn to_dot(&self) -> Result<String, BuildError> {
        let s = structure(self)?;
        let texts: Vec<ConnText> = self.conns.iter().map(conn_text).collect();
        Ok(to_dot(&dot_graph(&s, &texts)))
    }
}

/// A file-name-safe version of a probe name.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Simulator {
    /// The network as Graphviz DOT.
    pub fn to_dot(&self) -> String {
        to_dot(&dot_graph(self.structure(), self.conn_texts()))
    }

    /// Write every probe to `dir` as `<probe>.npy` (samples × shape) and `<probe>.csv` (time,
    /// then one named column per value). Returns the paths written.
    pub fn save_probes(&self, dir: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for name in self.probe_names() {
            let stem = file_stem(name);
            let data = self.data_dyn(name).expect("probe exists");
            let npy = dir.join(format!("{stem}.npy"));
            write_npy(&npy, &data)?;
            written.push(npy);
            let times = self.probe_times(name).expect("probe exists").to_vec();
            let flat = self.data(name);
            let csv = dir.join(format!("{stem}.csv"));
            CsvTable::new(&times).probe(name, flat).save(&csv)?;
            written.push(csv);
        }
        Ok(written)
    }

    /// A figure of the named probes over time, one panel each: lines for values, a spike raster
    /// for `.neurons` spike probes.
    pub fn plot(&self, title: &str, probes: &[&str]) -> Figure {
        let mut fig = Figure::new(title).xlabel("time [s]");
        for &name in probes {
            let Some(times) = self.probe_times(name) else {
                continue;
            };
            let times = times.to_vec();
            let data = self.data(name);
            let spikes = self.structure().probes.iter().any(|p| {
                p.name == name
                    && p.attr == ProbeAttr::Spikes
                    && matches!(p.target, ProbeTarget::Item(_))
            });
            let axes = if spikes {
                Axes::raster(Raster::from_spikes(name, &times, data))
                    .title(name)
                    .ylabel("neuron")
            } else {
                let mut a = Axes::lines().title(name);
                for s in LineSeries::from_columns(name, &times, data) {
                    a = a.line(s);
                }
                a
            };
            fig = fig.subplot(axes);
        }
        fig
    }
}
