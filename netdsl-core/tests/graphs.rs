//! Drawings: the DOT of every fixture network (the forum network among them), rendered by the
//! real Graphviz `dot`, has every connection exactly once, between the right boxes, with its
//! labels. Skips with a message when `dot` is not installed (CI installs it).

mod common;

use common::{build, fixture, render, rendered_edges};
use netdsl_core::sim::Simulator;

/// The box a rendered edge end must have for a connection end of a fixture (the same name,
/// except that Nengo's `conn.learning_rule` is drawn as `conn.learning`).
fn box_name(end: &str) -> String {
    match end.strip_suffix(".learning_rule") {
        Some(base) => format!("{base}.learning"),
        None => end.to_string(),
    }
}

#[test]
fn every_fixture_network_draws_each_connection_once_between_the_right_boxes() {
    for name in [
        "s04_circular",
        "s12_comm_channel",
        "s13_pes",
        "s16_direct",
        "s20_comm_channel_50",
        "s22_forum_network",
    ] {
        let fx = fixture(name);
        let sim = Simulator::new(build(&fx), 0.001).expect("build");
        let dot = sim.to_dot();
        let Some(svg) = render(&dot) else { return };
        let edges = rendered_edges(&svg);
        let conns = fx["network"]["connections"]
            .as_array()
            .expect("connections");
        for c in conns {
            let cname = c["name"].as_str().expect("name");
            let pre = box_name(c["pre"].as_str().expect("pre"));
            let post = box_name(c["post"].as_str().expect("post"));
            let found: Vec<_> = edges
                .iter()
                .filter(|(_, texts)| texts.iter().any(|t| t.contains(cname)))
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{name}: connection `{cname}` drawn {} times\n{dot}",
                found.len()
            );
            let (title, texts) = found[0];
            let (from, to) = title.split_once("->").expect("edge title a->b");
            let strip = |s: &str| {
                s.split(':')
                    .next()
                    .unwrap_or(s)
                    .trim_matches('"')
                    .to_string()
            };
            assert_eq!(strip(from), pre, "{name}: `{cname}` starts at {from}");
            assert_eq!(strip(to), post, "{name}: `{cname}` ends at {to}");
            let syn = match &c["synapse"] {
                serde_json::Value::Null => "None".to_string(),
                s => format!(
                    "{}({})",
                    s["type"].as_str().expect("type"),
                    s["tau"].as_f64().expect("tau")
                ),
            };
            let label = texts.join(" ");
            assert!(
                label.contains(&syn),
                "{name}: `{cname}` label `{label}` lacks synapse {syn}"
            );
            if let Some(sl) = c["post_slice"].as_array() {
                let want = format!("{}..{}", sl[0], sl[1]);
                assert!(
                    label.contains(&want),
                    "{name}: `{cname}` label `{label}` lacks slice {want}"
                );
            }
        }
        // Only connections are edges (plus the dotted learning-rule hints, classed apart).
        let real = edges.iter().filter(|(t, _)| !t.contains("adjusts")).count();
        assert!(
            real >= conns.len(),
            "{name}: {real} edges for {} connections",
            conns.len()
        );
    }
}
