//! Writing a [`DotGraph`] as DOT text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{DotEdge, DotGraph, DotItemKind, Port, PortKind};
use crate::io::svg::xml_escape;

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
pub(super) fn quote(s: &str) -> String {
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
pub(super) fn html(s: &str) -> String {
    xml_escape(s).replace('\n', "<BR/>")
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
