//! A network as Graphviz DOT, drawn right for `.neurons` and sliced connections.
//!
//! The runtime describes a network with the neutral types of this module ([`DotGraph`],
//! [`DotItem`], [`DotEdge`], [`Port`]) and [`to_dot`] turns that into DOT text
//! (`dot -Tsvg net.dot > net.svg`). How it is drawn:
//!
//! - every ensemble is a cluster holding two boxes: its decoded value (`pre`, an ellipse) and its
//!   neurons (`pre.neurons`, a box), so `pre.neurons → memristor_plus` starts at the neurons and
//!   `pre → err` at the decoded value;
//! - a sliced endpoint gets its own port cell on the box it slices (`pulse_plus` shows cells
//!   `[..100]` and `[100..]` on its input side), and the edge lands on that cell; the edge label
//!   repeats the slices (`[..20] → [20..]`) and adds the function, transform, synapse and rule;
//! - nodes that are stages of one `state` value sit in one coloured cluster named after the state;
//! - memristive connections and memristive synapse items are drawn bold and dark red with their rule;
//!   errors into a learning rule go to a small `conn.learning` box, dashed.
//!
//! The output depends only on the input, in its order: the same graph gives byte-identical text.
//!
//! ```
//! use netdsl_core::export::dot::{to_dot, DotEdge, DotGraph, DotItem, Port};
//! let g = DotGraph {
//!     name: "net".into(),
//!     items: vec![DotItem::ensemble("pre", 10, 1), DotItem::node("out", 10, 1, "|t, x| ...")],
//!     edges: vec![DotEdge::new(Port::neurons("pre"), Port::input("out")).synapse("None")],
//! };
//! let dot = to_dot(&g);
//! assert!(dot.contains(r#""pre.neurons" -> "out""#));
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A network to draw: its items (ensembles, nodes, …) and its connections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DotGraph {
    /// The graph's name, shown as its title.
    pub name: String,
    /// The items, drawn in this order.
    pub items: Vec<DotItem>,
    /// The connections, drawn in this order.
    pub edges: Vec<DotEdge>,
}

/// One item of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct DotItem {
    /// The item's name in the network (`pre`, `memristor_plus`); ports refer to it.
    pub id: String,
    /// The text shown for it (usually the same as `id`).
    pub label: String,
    /// What the item is.
    pub kind: DotItemKind,
}

/// What a [`DotItem`] is.
#[derive(Clone, Debug, PartialEq)]
pub enum DotItemKind {
    /// An ensemble of `n` neurons representing `d` dimensions.
    Ensemble {
        /// Number of neurons.
        n: usize,
        /// Number of dimensions.
        d: usize,
    },
    /// A node running user code (or a constant, or a passthrough).
    Node {
        /// Input size.
        size_in: usize,
        /// Output size.
        size_out: usize,
        /// A short description of its output (`|t| …`, `passthrough`, `[0.5]`).
        what: String,
    },
    /// A node that is one stage (`method`) of a shared `state` value (`exc.filter`).
    StateStage {
        /// The state value's name; stages of one state are grouped together.
        state: String,
        /// The stage's method name.
        method: String,
        /// Input size.
        size_in: usize,
        /// Output size.
        size_out: usize,
    },
    /// A built-in memristive synapse array between `pre_n` and `post_n` neurons.
    Memristive {
        /// Number of pre neurons.
        pre_n: usize,
        /// Number of post neurons.
        post_n: usize,
        /// The device model (`Nb:SrTiO3, R0=200, R1=2.3e8, c=-0.146`).
        device: String,
        /// The learning rule (`mPES(gain=1e4)`).
        rule: String,
    },
}

impl DotItem {
    /// An ensemble item labelled with its id.
    pub fn ensemble(id: impl Into<String>, n: usize, d: usize) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::Ensemble { n, d },
        }
    }

    /// A node item labelled with its id.
    pub fn node(
        id: impl Into<String>,
        size_in: usize,
        size_out: usize,
        what: impl Into<String>,
    ) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::Node {
                size_in,
                size_out,
                what: what.into(),
            },
        }
    }

    /// A node that runs `state.method`, labelled with its id.
    pub fn stage(
        id: impl Into<String>,
        state: impl Into<String>,
        method: impl Into<String>,
        size_in: usize,
        size_out: usize,
    ) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::StateStage {
                state: state.into(),
                method: method.into(),
                size_in,
                size_out,
            },
        }
    }
}

/// Which side of an item a connection attaches to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// An ensemble's decoded value (`pre`).
    Decoded,
    /// An ensemble's neurons (`pre.neurons`).
    Neurons,
    /// A node's output.
    Output,
    /// A node's input.
    Input,
    /// The learning rule of the connection with this name (`conn.learning`); the error goes here.
    Learning(String),
}

/// One end of a connection: an item, the side of it, and an optional slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// The item's id. For [`PortKind::Learning`] it is not used for placement (the learning box
    /// is named after the connection); the learned connection's post item is a good value.
    pub item: String,
    /// Which side of the item.
    pub kind: PortKind,
    /// The slice as the user wrote it (`..20`, `[20..]`, `[..post.n]`); brackets are added when
    /// missing.
    pub slice: Option<String>,
}

impl Port {
    /// An ensemble's decoded value.
    pub fn decoded(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Decoded)
    }
    /// An ensemble's neurons.
    pub fn neurons(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Neurons)
    }
    /// A node's output.
    pub fn output(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Output)
    }
    /// A node's input.
    pub fn input(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Input)
    }
    /// The learning rule of connection `conn`.
    pub fn learning(conn: impl Into<String>) -> Self {
        let conn = conn.into();
        Port {
            item: conn.clone(),
            kind: PortKind::Learning(conn),
            slice: None,
        }
    }
    /// This port with a slice.
    pub fn slice(mut self, slice: impl Into<String>) -> Self {
        self.slice = Some(slice.into());
        self
    }
    fn with_kind(item: impl Into<String>, kind: PortKind) -> Self {
        Port {
            item: item.into(),
            kind,
            slice: None,
        }
    }
}

/// One connection.
#[derive(Clone, Debug, PartialEq)]
pub struct DotEdge {
    /// Where it starts.
    pub from: Port,
    /// Where it ends.
    pub to: Port,
    /// The connection's name, when it has one (needed for `conn.learning` ports).
    pub name: Option<String>,
    /// The function's text (`|x| x * x`).
    pub function: Option<String>,
    /// The transform's text (`-1.0`, `[[1, 0], [0, 1]]`).
    pub transform: Option<String>,
    /// The synapse's text (`None`, `Lowpass(0.005)`); `None` here means "do not show".
    pub synapse: Option<String>,
    /// The learning rule's text (`PES(1e-4)`, `mPES(gain=1e4)`).
    pub learning: Option<String>,
    /// Whether the weights are memristive device conductances (drawn bold, dark red).
    pub memristive: bool,
}

impl DotEdge {
    /// A plain connection from `from` to `to`.
    pub fn new(from: Port, to: Port) -> Self {
        DotEdge {
            from,
            to,
            name: None,
            function: None,
            transform: None,
            synapse: None,
            learning: None,
            memristive: false,
        }
    }
    /// Names the connection.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets the function text.
    pub fn function(mut self, f: impl Into<String>) -> Self {
        self.function = Some(f.into());
        self
    }
    /// Sets the transform text.
    pub fn transform(mut self, t: impl Into<String>) -> Self {
        self.transform = Some(t.into());
        self
    }
    /// Sets the synapse text.
    pub fn synapse(mut self, s: impl Into<String>) -> Self {
        self.synapse = Some(s.into());
        self
    }
    /// Sets the learning rule text.
    pub fn learning(mut self, rule: impl Into<String>) -> Self {
        self.learning = Some(rule.into());
        self
    }
    /// Marks the connection memristive, with its rule.
    pub fn memristive(mut self, rule: impl Into<String>) -> Self {
        self.memristive = true;
        self.learning = Some(rule.into());
        self
    }
}

/// Fill colours for state clusters, in order of first appearance.
const STATE_FILLS: [&str; 6] = [
    "#fde3c8", "#d9f0d3", "#e7d4e8", "#fff2b3", "#d1e5f0", "#f6d5d5",
];
/// Border colours matching [`STATE_FILLS`].
const STATE_LINES: [&str; 6] = [
    "#d9822b", "#3b8a3e", "#8e5ea2", "#b89b00", "#2c6e99", "#b24a4a",
];
const MEMRISTIVE: &str = "#b2182b";

/// The `slice` text as shown: always in brackets.
fn slice_text(s: &str) -> String {
    let s = s.trim();
    if s.starts_with('[') {
        s.to_string()
    } else {
        format!("[{s}]")
    }
}

/// A DOT double-quoted string (`\n` in `s` becomes a centred line break).
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text escaped for a Graphviz HTML-like label: XML escaping, with line breaks as `<BR/>`.
fn html(s: &str) -> String {
    super::svg::xml_escape(s).replace('\n', "<BR/>")
}

/// The DOT node an endpoint attaches to.
fn endpoint_node(kinds: &BTreeMap<&str, &DotItemKind>, port: &Port) -> String {
    match &port.kind {
        PortKind::Learning(conn) => format!("{conn}.learning"),
        PortKind::Neurons => match kinds.get(port.item.as_str()) {
            Some(DotItemKind::Ensemble { .. }) | None => format!("{}.neurons", port.item),
            Some(_) => port.item.clone(),
        },
        _ => port.item.clone(),
    }
}

/// Slices used on the input and output sides of one DOT node, in order of first use.
#[derive(Default)]
struct PortCells {
    ins: Vec<String>,
    outs: Vec<String>,
}

/// How one DOT node looks: its main HTML text and its colours.
struct NodeLook<'a> {
    text: String,
    shape: &'a str,
    fill: &'a str,
    line: &'a str,
    bold: bool,
}

fn write_node(
    out: &mut String,
    indent: &str,
    id: &str,
    look: &NodeLook<'_>,
    cells: Option<&PortCells>,
) {
    let pen = if look.bold { ", penwidth=2" } else { "" };
    match cells {
        Some(c) if !c.ins.is_empty() || !c.outs.is_empty() => {
            // A table: input port cells on the left, the item in the middle, output cells right.
            let column = |slices: &[String], prefix: &str| {
                let mut s = String::from(
                    "<TD BORDER=\"0\" CELLPADDING=\"0\"><TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"3\">",
                );
                for (k, sl) in slices.iter().enumerate() {
                    let _ = write!(
                        s,
                        "<TR><TD PORT=\"{prefix}{k}\" COLOR=\"{}\" BGCOLOR=\"white\"><FONT POINT-SIZE=\"9\">{}</FONT></TD></TR>",
                        look.line,
                        html(sl)
                    );
                }
                s.push_str("</TABLE></TD>");
                s
            };
            let mut label = String::from(
                "<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"0\"><TR>",
            );
            if !c.ins.is_empty() {
                label.push_str(&column(&c.ins, "in"));
            }
            let _ = write!(
                label,
                "<TD BORDER=\"{}\" COLOR=\"{}\" BGCOLOR=\"{}\" CELLPADDING=\"6\"{}>{}</TD>",
                if look.bold { 2 } else { 1 },
                look.line,
                look.fill,
                if look.shape == "box" {
                    " STYLE=\"rounded\""
                } else {
                    ""
                },
                look.text
            );
            if !c.outs.is_empty() {
                label.push_str(&column(&c.outs, "out"));
            }
            label.push_str("</TR></TABLE>>");
            let _ = writeln!(out, "{indent}{} [shape=plain, label={label}];", quote(id));
        }
        _ => {
            let style = if look.shape == "box" {
                "rounded,filled"
            } else {
                "filled"
            };
            let _ = writeln!(
                out,
                "{indent}{} [shape={}, style=\"{style}\", fillcolor=\"{}\", color=\"{}\"{pen}, label=<{}>];",
                quote(id),
                look.shape,
                look.fill,
                look.line,
                look.text
            );
        }
    }
}

/// The edge's label lines: name, slices, function, transform, synapse, rule.
fn edge_label(e: &DotEdge) -> String {
    let mut lines = Vec::new();
    if let Some(n) = &e.name {
        lines.push(n.clone());
    }
    match (&e.from.slice, &e.to.slice) {
        (None, None) => {}
        (a, b) => {
            let a = a.as_deref().map(slice_text).unwrap_or_default();
            let b = b.as_deref().map(slice_text).unwrap_or_default();
            lines.push(format!("{a} → {b}").trim().to_string());
        }
    }
    if let Some(f) = &e.function {
        lines.push(format!("function: {f}"));
    }
    if let Some(t) = &e.transform {
        lines.push(format!("transform: {t}"));
    }
    if let Some(s) = &e.synapse {
        lines.push(format!("synapse: {s}"));
    }
    if let Some(r) = &e.learning {
        let kind = if e.memristive {
            "memristive"
        } else {
            "learning"
        };
        lines.push(format!("{kind}: {r}"));
    }
    lines.join("\n")
}

/// The network as Graphviz DOT text (`rankdir=LR`), byte-identical for the same input.
pub fn to_dot(graph: &DotGraph) -> String {
    let kinds: BTreeMap<&str, &DotItemKind> = graph
        .items
        .iter()
        .map(|i| (i.id.as_str(), &i.kind))
        .collect();

    // Which DOT nodes need port cells, and the cell each sliced endpoint lands on.
    let mut cells: BTreeMap<String, PortCells> = BTreeMap::new();
    let mut ends: Vec<(String, String)> = Vec::with_capacity(graph.edges.len());
    for e in &graph.edges {
        let mut end = |port: &Port, input: bool| -> String {
            let node = endpoint_node(&kinds, port);
            let Some(sl) = &port.slice else {
                return quote(&node);
            };
            let sl = slice_text(sl);
            let entry = cells.entry(node.clone()).or_default();
            let list = if input {
                &mut entry.ins
            } else {
                &mut entry.outs
            };
            let k = match list.iter().position(|s| *s == sl) {
                Some(k) => k,
                None => {
                    list.push(sl);
                    list.len() - 1
                }
            };
            format!("{}:{}{k}", quote(&node), if input { "in" } else { "out" })
        };
        let a = end(&e.from, false);
        let b = end(&e.to, true);
        ends.push((a, b));
    }

    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&graph.name));
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, newrank=true, nodesep=0.35, ranksep=0.7, fontname=\"Helvetica\", fontsize=14, labelloc=t, label={}];",
        quote(&graph.name)
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#444444\"];\n");

    // State colours, by first appearance.
    let mut states: Vec<&str> = Vec::new();
    for item in &graph.items {
        if let DotItemKind::StateStage { state, .. } = &item.kind {
            if !states.contains(&state.as_str()) {
                states.push(state);
            }
        }
    }

    for item in &graph.items {
        match &item.kind {
            DotItemKind::Ensemble { n, d } => {
                let _ = writeln!(
                    out,
                    "  subgraph {} {{",
                    quote(&format!("cluster_{}", item.id))
                );
                let _ = writeln!(
                    out,
                    "    label=<<B>{}</B><BR/><FONT POINT-SIZE=\"9\">ensemble · {n} neurons · {d} D</FONT>>; style=\"rounded,filled\"; fillcolor=\"#eef3fb\"; color=\"#4a6fa5\";",
                    html(&item.label)
                );
                let decoded = NodeLook {
                    text: format!("decoded<BR/><FONT POINT-SIZE=\"9\">{d} D</FONT>"),
                    shape: "ellipse",
                    fill: "#ffffff",
                    line: "#4a6fa5",
                    bold: false,
                };
                write_node(&mut out, "    ", &item.id, &decoded, cells.get(&item.id));
                let neurons_id = format!("{}.neurons", item.id);
                let neurons = NodeLook {
                    text: format!(".neurons<BR/><FONT POINT-SIZE=\"9\">{n}</FONT>"),
                    shape: "box",
                    fill: "#dde7f5",
                    line: "#4a6fa5",
                    bold: false,
                };
                write_node(
                    &mut out,
                    "    ",
                    &neurons_id,
                    &neurons,
                    cells.get(&neurons_id),
                );
                // Stacked one above the other, so the cluster stays one compact box.
                let _ = writeln!(
                    out,
                    "    {{ rank=same; {}; {}; }}",
                    quote(&item.id),
                    quote(&neurons_id)
                );
                out.push_str("  }\n");
            }
            DotItemKind::Node {
                size_in,
                size_out,
                what,
            } => {
                let mut text = format!(
                    "<B>{}</B><BR/><FONT POINT-SIZE=\"9\">node {size_in} → {size_out}</FONT>",
                    html(&item.label)
                );
                if !what.is_empty() {
                    let _ = write!(text, "<BR/><FONT POINT-SIZE=\"9\">{}</FONT>", html(what));
                }
                let look = NodeLook {
                    text,
                    shape: "box",
                    fill: "#f2f2f2",
                    line: "#666666",
                    bold: false,
                };
                write_node(&mut out, "  ", &item.id, &look, cells.get(&item.id));
            }
            DotItemKind::StateStage { .. } => {} // drawn in their state's cluster below
            DotItemKind::Memristive {
                pre_n,
                post_n,
                device,
                rule,
            } => {
                let mut text = format!(
                    "<B>{}</B><BR/><FONT POINT-SIZE=\"9\">memristive {pre_n} → {post_n}</FONT>",
                    html(&item.label)
                );
                for extra in [device, rule] {
                    if !extra.is_empty() {
                        let _ = write!(text, "<BR/><FONT POINT-SIZE=\"9\">{}</FONT>", html(extra));
                    }
                }
                let look = NodeLook {
                    text,
                    shape: "box3d",
                    fill: "#fbe3e3",
                    line: MEMRISTIVE,
                    bold: true,
                };
                write_node(&mut out, "  ", &item.id, &look, cells.get(&item.id));
            }
        }
    }

    for (k, state) in states.iter().enumerate() {
        let fill = STATE_FILLS[k % STATE_FILLS.len()];
        let line = STATE_LINES[k % STATE_LINES.len()];
        let _ = writeln!(
            out,
            "  subgraph {} {{",
            quote(&format!("cluster_state_{state}"))
        );
        let _ = writeln!(
            out,
            "    label=<<FONT POINT-SIZE=\"10\">state <B>{}</B></FONT>>; style=\"rounded,dashed\"; color=\"{line}\"; fontcolor=\"{line}\";",
            html(state)
        );
        for item in &graph.items {
            if let DotItemKind::StateStage {
                state: s,
                method,
                size_in,
                size_out,
            } = &item.kind
            {
                if s != state {
                    continue;
                }
                let look = NodeLook {
                    text: format!(
                        "<B>{}</B><BR/><FONT POINT-SIZE=\"9\">{}.{} · {size_in} → {size_out}</FONT>",
                        html(&item.label),
                        html(s),
                        html(method)
                    ),
                    shape: "box",
                    fill,
                    line,
                    bold: false,
                };
                write_node(&mut out, "    ", &item.id, &look, cells.get(&item.id));
            }
        }
        out.push_str("  }\n");
    }

    // Learning boxes, in order of first use.
    let mut learning: Vec<&str> = Vec::new();
    for e in &graph.edges {
        for p in [&e.from, &e.to] {
            if let PortKind::Learning(conn) = &p.kind {
                if !learning.contains(&conn.as_str()) {
                    learning.push(conn);
                }
            }
        }
    }
    for conn in &learning {
        let learned = graph
            .edges
            .iter()
            .find(|e| e.name.as_deref() == Some(*conn));
        let mut text = format!("<B>{}.learning</B>", html(conn));
        let memristive = learned.is_some_and(|e| e.memristive);
        if let Some(rule) = learned.and_then(|e| e.learning.as_deref()) {
            let _ = write!(text, "<BR/><FONT POINT-SIZE=\"9\">{}</FONT>", html(rule));
        }
        let id = format!("{conn}.learning");
        let look = NodeLook {
            text,
            shape: "cds",
            fill: if memristive { "#fbe3e3" } else { "#fff5d6" },
            line: if memristive { MEMRISTIVE } else { "#a07800" },
            bold: false,
        };
        write_node(&mut out, "  ", &id, &look, cells.get(&id));
    }

    for (e, (a, b)) in graph.edges.iter().zip(&ends) {
        let mut attrs = vec![format!("label={}", quote(&edge_label(e)))];
        let into_learning = matches!(e.to.kind, PortKind::Learning(_));
        if e.memristive {
            attrs.push(format!(
                "style=bold, penwidth=2.5, color=\"{MEMRISTIVE}\", fontcolor=\"{MEMRISTIVE}\""
            ));
        } else if into_learning {
            attrs.push("style=dashed, color=\"#a07800\", fontcolor=\"#7a5c00\"".to_string());
        }
        let _ = writeln!(out, "  {a} -> {b} [{}];", attrs.join(", "));
    }

    // Each learning box points (dotted, no effect on layout) at the end of the connection it adjusts.
    for conn in &learning {
        if let Some((_, (_, b))) = graph
            .edges
            .iter()
            .zip(&ends)
            .find(|(e, _)| e.name.as_deref() == Some(*conn))
        {
            let _ = writeln!(
                out,
                "  {} -> {b} [style=dotted, arrowhead=odot, constraint=false, class=\"adjusts\", color=\"#a07800\"];",
                quote(&format!("{conn}.learning"))
            );
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// The forum thread's network in netdsl's version (design doc), N = 100.
    fn forum_graph() -> DotGraph {
        let n = 100;
        DotGraph {
            name: "MemristorNet".into(),
            items: vec![
                DotItem::node("inp", 0, 1, "|t| [(6t/5).trunc()/3 % 2 - 1]"),
                DotItem::ensemble("pre", n, 1),
                DotItem::ensemble("post", n, 1),
                DotItem::ensemble("err", 100, 1),
                DotItem::stage("memristor_plus", "exc", "filter", n, n),
                DotItem::stage("memristor_minus", "inh", "filter", n, n),
                DotItem::stage("pulse_plus", "exc", "pulse", n + 1, n),
                DotItem::stage("pulse_minus", "inh", "pulse", n + 1, n),
            ],
            edges: vec![
                DotEdge::new(Port::output("inp"), Port::decoded("pre")).synapse("Lowpass(0.005)"),
                DotEdge::new(Port::neurons("pre"), Port::input("memristor_plus")).synapse("None"),
                DotEdge::new(Port::neurons("pre"), Port::input("memristor_minus")).synapse("None"),
                DotEdge::new(Port::output("memristor_plus"), Port::neurons("post")).synapse("None"),
                DotEdge::new(Port::output("memristor_minus"), Port::neurons("post"))
                    .synapse("None")
                    .transform("-1.0"),
                DotEdge::new(Port::decoded("pre"), Port::decoded("err"))
                    .function("|x| x")
                    .transform("-1.0")
                    .synapse("Lowpass(0.005)"),
                DotEdge::new(Port::decoded("post"), Port::decoded("err")).synapse("Lowpass(0.005)"),
                DotEdge::new(
                    Port::output("memristor_plus"),
                    Port::input("pulse_plus").slice("..post.n"),
                )
                .synapse("None"),
                DotEdge::new(
                    Port::output("memristor_minus"),
                    Port::input("pulse_minus").slice("..post.n"),
                )
                .synapse("None"),
                DotEdge::new(
                    Port::decoded("err"),
                    Port::input("pulse_plus").slice("post.n.."),
                )
                .synapse("Lowpass(0.005)"),
                DotEdge::new(
                    Port::decoded("err"),
                    Port::input("pulse_minus").slice("post.n.."),
                )
                .synapse("Lowpass(0.005)"),
            ],
        }
    }

    /// A network with a learned memristive connection, a PES connection, source slices and a
    /// memristive item.
    fn learning_graph() -> DotGraph {
        DotGraph {
            name: "Learn \"x\" <&>".into(),
            items: vec![
                DotItem::node("stim", 0, 3, "sin"),
                DotItem::ensemble("pre", 10, 3),
                DotItem::ensemble("post", 10, 3),
                DotItem::ensemble("error", 100, 3),
                DotItem {
                    id: "syn".into(),
                    label: "syn".into(),
                    kind: DotItemKind::Memristive {
                        pre_n: 10,
                        post_n: 10,
                        device: "Nb:SrTiO3".into(),
                        rule: "mPES(gain=1e4)".into(),
                    },
                },
            ],
            edges: vec![
                DotEdge::new(Port::output("stim"), Port::decoded("pre")),
                DotEdge::new(Port::neurons("pre"), Port::neurons("post"))
                    .name("learned")
                    .memristive("mPES(gain=1e4)"),
                DotEdge::new(Port::decoded("post"), Port::decoded("error")),
                DotEdge::new(
                    Port::decoded("pre").slice("..2"),
                    Port::decoded("error").slice("1.."),
                )
                .function("|x| x * x")
                .transform("-1"),
                DotEdge::new(Port::decoded("error"), Port::learning("learned")),
                DotEdge::new(Port::neurons("pre"), Port::input("syn")),
            ],
        }
    }

    #[test]
    fn deterministic_and_structured() {
        let g = forum_graph();
        let a = to_dot(&g);
        let b = to_dot(&g.clone());
        assert_eq!(a, b);
        assert!(a.contains("subgraph \"cluster_pre\" {"));
        assert!(a.contains("subgraph \"cluster_state_exc\" {"));
        assert!(a.contains("\"pre.neurons\" -> \"memristor_plus\" [label=\"synapse: None\"];"));
        assert!(a.contains("\"memristor_plus\" -> \"post.neurons\""));
        assert!(a.contains(
            "\"err\" -> \"pulse_plus\":in1 [label=\"→ [post.n..]\\nsynapse: Lowpass(0.005)\"];"
        ));
        assert!(a.contains("\"memristor_plus\" -> \"pulse_plus\":in0 "));
        assert!(a.contains("PORT=\"in0\""));
        // exc's stages share a cluster; inh's are in another.
        let exc = a.split("cluster_state_exc").nth(1).unwrap();
        let exc = &exc[..exc.find("  }\n").unwrap()];
        assert!(exc.contains("\"memristor_plus\"") && exc.contains("\"pulse_plus\""));
        assert!(!exc.contains("\"pulse_minus\""));
        assert_eq!(a.matches(" -> ").count(), 11);
    }

    #[test]
    fn escaping_and_learning() {
        let d = to_dot(&learning_graph());
        assert!(d.starts_with("digraph \"Learn \\\"x\\\" <&>\" {\n"));
        assert!(d.contains("\"error\" -> \"learned.learning\" [label=\"\", style=dashed"));
        assert!(d.contains("\"pre.neurons\" -> \"post.neurons\" [label=\"learned\\nmemristive: mPES(gain=1e4)\", style=bold"));
        assert!(d.contains("\"pre\":out0 -> \"error\":in0 [label=\"[..2] → [1..]\\nfunction: |x| x * x\\ntransform: -1\"];"));
        assert!(d.contains("\"learned.learning\" -> \"post.neurons\" [style=dotted"));
        assert!(d.contains("shape=box3d"));
        assert!(d.contains("|x| x * x"));
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(html("<&>\""), "&lt;&amp;&gt;&quot;");
    }

    // ---- rendering with the real `dot` ----

    fn dot_available() -> bool {
        Command::new("dot")
            .arg("-V")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn render_svg(dot: &str) -> String {
        use std::io::Write;
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(dot.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "dot failed: {err}");
        assert!(
            !err.contains("Warning") && !err.contains("Error"),
            "dot said: {err}"
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let Some(j) = rest[i..].find(';') else {
                out.push_str(&rest[i..]);
                rest = "";
                break;
            };
            let ent = &rest[i + 1..i + j];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            match c {
                Some(c) => out.push(c),
                None => out.push_str(&rest[i..i + j + 1]),
            }
            rest = &rest[i + j + 1..];
        }
        out.push_str(rest);
        out
    }

    /// One `<g class="…">` group of graphviz's SVG.
    struct Group {
        class: String,
        title: String,
        texts: Vec<(f64, f64, String)>,
        points: Vec<(f64, f64)>,
        /// The edge's path start (edges only).
        path_start: Option<(f64, f64)>,
        /// The edge's arrowhead points (edges only).
        head: Vec<(f64, f64)>,
    }

    fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
        let pat = format!(" {name}=\"");
        let i = tag.find(&pat)? + pat.len();
        let j = tag[i..].find('"')?;
        Some(&tag[i..i + j])
    }

    fn numbers(s: &str) -> Vec<f64> {
        s.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
            .filter(|t| !t.is_empty() && *t != "-" && *t != "e")
            .filter_map(|t| t.parse().ok())
            .collect()
    }

    fn pairs(v: Vec<f64>) -> Vec<(f64, f64)> {
        v.chunks_exact(2).map(|c| (c[0], c[1])).collect()
    }

    fn parse_groups(svg: &str) -> Vec<Group> {
        let mut groups = Vec::new();
        for chunk in svg.split("<g id=\"").skip(1) {
            let tag_end = chunk.find('>').unwrap();
            let tag = format!(" id=\"{}", &chunk[..tag_end]);
            let class = attr(&tag, "class").unwrap_or("").to_string();
            let body = &chunk[tag_end + 1..];
            let body = &body[..body.find("</g>").unwrap_or(body.len())];
            let title = body
                .find("<title>")
                .map(|i| {
                    let t = &body[i + 7..];
                    unescape(&t[..t.find("</title>").unwrap()])
                })
                .unwrap_or_default();
            let mut texts = Vec::new();
            let mut points = Vec::new();
            let mut path_start = None;
            let mut head = Vec::new();
            for el in body.split('<').skip(1) {
                let (name, rest) = el.split_once([' ', '>']).unwrap_or((el, ""));
                let tag = format!(" {rest}");
                match name {
                    "text" => {
                        let x: f64 = attr(&tag, "x").unwrap().parse().unwrap();
                        let y: f64 = attr(&tag, "y").unwrap().parse().unwrap();
                        let content = &el[el.find('>').unwrap() + 1..];
                        texts.push((x, y, unescape(content)));
                    }
                    "polygon" => {
                        let p = pairs(numbers(attr(&tag, "points").unwrap()));
                        if class == "edge" {
                            head.extend(p);
                        } else {
                            points.extend(p);
                        }
                    }
                    "path" => {
                        let p = pairs(numbers(attr(&tag, "d").unwrap()));
                        if class == "edge" {
                            path_start = path_start.or(p.first().copied());
                        }
                        points.extend(p);
                    }
                    "ellipse" => {
                        let f = |n| attr(&tag, n).unwrap().parse::<f64>().unwrap();
                        let (cx, cy, rx, ry) = (f("cx"), f("cy"), f("rx"), f("ry"));
                        points.extend([(cx - rx, cy - ry), (cx + rx, cy + ry)]);
                    }
                    _ => {}
                }
            }
            groups.push(Group {
                class,
                title,
                texts,
                points,
                path_start,
                head,
            });
        }
        groups
    }

    fn bbox(points: &[(f64, f64)]) -> (f64, f64, f64, f64) {
        let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in points {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
        b
    }

    fn near(b: (f64, f64, f64, f64), p: (f64, f64), tol: f64) -> bool {
        p.0 >= b.0 - tol && p.0 <= b.2 + tol && p.1 >= b.1 - tol && p.1 <= b.3 + tol
    }

    /// (tail node, tail port, head node, head port) from an edge title.
    fn endpoints(title: &str) -> (String, String, String, String) {
        let (a, b) = title.split_once("->").unwrap();
        let split = |s: &str| match s.split_once(':') {
            Some((n, p)) => (n.to_string(), p.to_string()),
            None => (s.to_string(), String::new()),
        };
        let (an, ap) = split(a);
        let (bn, bp) = split(b);
        (an, ap, bn, bp)
    }

    #[test]
    fn graphviz_renders_forum_network_right() {
        if !dot_available() {
            eprintln!("note: graphviz `dot` not installed; skipping the rendering check");
            return;
        }
        let g = forum_graph();
        let svg = render_svg(&to_dot(&g));
        if let Ok(dir) = std::env::var("NETDSL_DOT_OUT") {
            std::fs::write(format!("{dir}/forum.svg"), &svg).unwrap();
            std::fs::write(format!("{dir}/forum.dot"), to_dot(&g)).unwrap();
        }
        let groups = parse_groups(&svg);
        let nodes: BTreeMap<&str, &Group> = groups
            .iter()
            .filter(|g| g.class == "node")
            .map(|g| (g.title.as_str(), g))
            .collect();
        let clusters: Vec<&str> = groups
            .iter()
            .filter(|g| g.class == "cluster")
            .map(|g| g.title.as_str())
            .collect();
        assert_eq!(
            clusters,
            [
                "cluster_pre",
                "cluster_post",
                "cluster_err",
                "cluster_state_exc",
                "cluster_state_inh"
            ]
        );
        // The neurons boxes sit inside their ensemble's cluster.
        for ens in ["pre", "post", "err"] {
            let c = groups
                .iter()
                .find(|g| g.title == format!("cluster_{ens}"))
                .unwrap();
            let cb = bbox(&c.points);
            for id in [ens.to_string(), format!("{ens}.neurons")] {
                let nb = bbox(&nodes[id.as_str()].points);
                assert!(
                    near(cb, (nb.0, nb.1), 0.5) && near(cb, (nb.2, nb.3), 0.5),
                    "{id} outside its cluster"
                );
            }
        }
        let edges: Vec<&Group> = groups.iter().filter(|g| g.class == "edge").collect();
        assert_eq!(edges.len(), 11, "one drawn edge per connection");

        // (from node, to node, to port's slice text, label lines)
        let expect: [(&str, &str, Option<&str>, &[&str]); 11] = [
            ("inp", "pre", None, &["synapse: Lowpass(0.005)"]),
            ("pre.neurons", "memristor_plus", None, &["synapse: None"]),
            ("pre.neurons", "memristor_minus", None, &["synapse: None"]),
            ("memristor_plus", "post.neurons", None, &["synapse: None"]),
            (
                "memristor_minus",
                "post.neurons",
                None,
                &["transform: -1.0", "synapse: None"],
            ),
            (
                "pre",
                "err",
                None,
                &[
                    "function: |x| x",
                    "transform: -1.0",
                    "synapse: Lowpass(0.005)",
                ],
            ),
            ("post", "err", None, &["synapse: Lowpass(0.005)"]),
            (
                "memristor_plus",
                "pulse_plus",
                Some("[..post.n]"),
                &["→ [..post.n]", "synapse: None"],
            ),
            (
                "memristor_minus",
                "pulse_minus",
                Some("[..post.n]"),
                &["→ [..post.n]", "synapse: None"],
            ),
            (
                "err",
                "pulse_plus",
                Some("[post.n..]"),
                &["→ [post.n..]", "synapse: Lowpass(0.005)"],
            ),
            (
                "err",
                "pulse_minus",
                Some("[post.n..]"),
                &["→ [post.n..]", "synapse: Lowpass(0.005)"],
            ),
        ];
        for (from, to, slice, label) in expect {
            let matching: Vec<&&Group> = edges
                .iter()
                .filter(|e| {
                    let (a, _, b, bp) = endpoints(&e.title);
                    let texts: Vec<&str> = e.texts.iter().map(|t| t.2.as_str()).collect();
                    a == from && b == to && texts == label && (slice.is_some() != bp.is_empty())
                })
                .collect();
            assert_eq!(
                matching.len(),
                1,
                "{from} -> {to} {label:?}: {}",
                matching.len()
            );
            let e = matching[0];
            // Geometry: the edge leaves the source box and its arrowhead touches the target box.
            let sb = bbox(&nodes[from].points);
            let tb = bbox(&nodes[to].points);
            assert!(
                near(sb, e.path_start.unwrap(), 3.0),
                "{from} -> {to} does not start at {from}"
            );
            assert!(
                e.head.iter().any(|&p| near(tb, p, 3.0)),
                "{from} -> {to} does not end at {to}"
            );
            if let Some(slice) = slice {
                // ... and lands on the port cell showing its slice.
                let cell = nodes[to].texts.iter().find(|t| t.2 == slice).unwrap();
                let tip = e
                    .head
                    .iter()
                    .copied()
                    .min_by(|p, q| {
                        let d = |p: (f64, f64)| (p.0 - cell.0).powi(2) + (p.1 - cell.1).powi(2);
                        d(*p).total_cmp(&d(*q))
                    })
                    .unwrap();
                assert!(
                    (tip.1 - (cell.1 - 3.0)).abs() < 10.0,
                    "{from} -> {to} misses cell {slice}: tip {tip:?}, cell {cell:?}"
                );
            }
        }
        // The memristor stages of one state share a cluster, the other state has the others.
        let exc = bbox(
            &groups
                .iter()
                .find(|g| g.title == "cluster_state_exc")
                .unwrap()
                .points,
        );
        for id in ["memristor_plus", "pulse_plus"] {
            let nb = bbox(&nodes[id].points);
            assert!(near(exc, (nb.0, nb.1), 0.5) && near(exc, (nb.2, nb.3), 0.5));
        }
        let nb = bbox(&nodes["pulse_minus"].points);
        assert!(!(near(exc, (nb.0, nb.1), 0.5) && near(exc, (nb.2, nb.3), 0.5)));
    }

    #[test]
    fn graphviz_renders_learning_network() {
        if !dot_available() {
            eprintln!("note: graphviz `dot` not installed; skipping the rendering check");
            return;
        }
        let g = learning_graph();
        let svg = render_svg(&to_dot(&g));
        if let Ok(dir) = std::env::var("NETDSL_DOT_OUT") {
            std::fs::write(format!("{dir}/learning.svg"), &svg).unwrap();
        }
        let groups = parse_groups(&svg);
        let mut titles: Vec<String> = groups
            .iter()
            .filter(|g| g.class.starts_with("edge"))
            .map(|g| g.title.clone())
            .collect();
        titles.sort();
        assert_eq!(
            titles,
            [
                "error->learned.learning",
                "learned.learning->post.neurons",
                "post->error",
                "pre.neurons->post.neurons",
                "pre.neurons->syn",
                "pre:out0->error:in0",
                "stim->pre",
            ]
        );
        let adjusts = groups.iter().find(|g| g.class.contains("adjusts")).unwrap();
        assert_eq!(adjusts.title, "learned.learning->post.neurons");
        let learned = groups
            .iter()
            .find(|g| g.title == "pre.neurons->post.neurons")
            .unwrap();
        let texts: Vec<&str> = learned.texts.iter().map(|t| t.2.as_str()).collect();
        assert_eq!(texts, ["learned", "memristive: mPES(gain=1e4)"]);
        assert!(svg.contains("stroke=\"#b2182b\""));
    }
}
