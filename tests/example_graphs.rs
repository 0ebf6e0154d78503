//! The drawing of every example network (the example files compiled as modules), rendered by the
//! real Graphviz `dot`: each connection appears exactly once, from the right box to the right box
//! (`pre.neurons`, a node, an ensemble's decoded value, `conn.learning`), labelled with its name,
//! its synapse and its slices. Skips with a message when `dot` is missing (CI installs it).
#![allow(dead_code)]

#[path = "../examples/comm_channel.rs"]
mod comm_channel;
#[path = "../netdsl-core/tests/common/mod.rs"]
mod common;
#[path = "../examples/forum_memristor.rs"]
mod forum_memristor;
#[path = "../examples/integrator.rs"]
mod integrator;
#[path = "../examples/learn_square.rs"]
mod learn_square;
#[path = "../examples/weight_solver.rs"]
mod weight_solver;

use netdsl::core::plan::{End, Port};
use netdsl::prelude::*;

fn end_box(sim: &Simulator, end: &End) -> String {
    let s = sim.structure();
    match end {
        End::Item {
            item,
            port: Port::Neurons,
        } => format!("{}.neurons", s.items[*item].name),
        End::Item { item, .. } => s.items[*item].name.to_string(),
        End::Learning { conn } => format!("{}.learning", s.conns[*conn].label),
    }
}

fn check_drawing(name: &str, sim: &Simulator) {
    let dot = sim.to_dot();
    let Some(svg) = common::render(&dot) else {
        return;
    };
    let edges = common::rendered_edges(&svg);
    let s = sim.structure();
    for (c, conn) in s.conns.iter().enumerate() {
        let label = conn.label.to_string();
        let found: Vec<_> = edges
            .iter()
            .filter(|(_, texts)| texts.first().is_some_and(|t| t.trim() == label))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{name}: `{label}` drawn {} times\n{dot}",
            found.len()
        );
        let (title, texts) = found[0];
        let (from, to) = title.split_once("->").expect("a->b");
        let strip = |x: &str| {
            x.split(':')
                .next()
                .unwrap_or(x)
                .trim_matches('"')
                .to_string()
        };
        assert_eq!(
            strip(from),
            end_box(sim, &conn.pre),
            "{name}: `{label}` start"
        );
        assert_eq!(strip(to), end_box(sim, &conn.post), "{name}: `{label}` end");
        let text = texts.join(" ");
        let syn = &sim.conn_texts()[c].synapse;
        assert!(
            text.contains(syn.as_str()),
            "{name}: `{label}` lacks synapse {syn}: {text}"
        );
        if let Some((lo, hi)) = conn.post_slice {
            assert!(
                text.contains(&format!("{lo}..{hi}")),
                "{name}: `{label}` lacks slice: {text}"
            );
        }
    }
}

#[test]
fn every_example_network_is_drawn_right() {
    use forum_memristor::{BuiltinMemristorNet, MemristorNet, Memristors};
    let stages = MemristorNet::new(
        Memristors::plus(100, 100, 1e3),
        Memristors::minus(100, 100, 1e3),
    );
    check_drawing("forum (stages)", &stages.build(0.001).expect("builds"));
    check_drawing(
        "forum (built-in)",
        &BuiltinMemristorNet::new().build(0.001).expect("builds"),
    );
    check_drawing(
        "comm_channel",
        &comm_channel::CommChannel::new()
            .build(0.001)
            .expect("builds"),
    );
    check_drawing(
        "integrator",
        &integrator::Integrator::new().build(0.001).expect("builds"),
    );
    check_drawing(
        "learn_square",
        &learn_square::LearnSquare::new()
            .build(0.001)
            .expect("builds"),
    );
    check_drawing(
        "weight_solver",
        &weight_solver::WeightSolver::new()
            .build(0.001)
            .expect("builds"),
    );
}
