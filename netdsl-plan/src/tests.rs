use super::*;

fn node(name: &'static str, size_in: usize, size_out: usize, kind: NodeKind) -> Item<usize> {
    Item {
        name: name.into(),
        kind: ItemKind::Node {
            size_in,
            size_out,
            kind,
        },
    }
}

fn conn(label: &'static str, pre: usize, post: usize, size: usize, synapse: bool) -> Conn<usize> {
    Conn {
        label: label.into(),
        pre: End::Item {
            item: pre,
            port: Port::Value,
        },
        pre_slice: None,
        pre_size: size,
        func_size: None,
        out_size: size,
        post: End::Item {
            item: post,
            port: Port::Value,
        },
        post_slice: None,
        synapse,
        rule: None,
        weight_solver: false,
        error_size: None,
        transform: TransformKind::Scalar,
    }
}

fn two_passthrough(syn_ab: bool, syn_ba: bool) -> Structure<usize> {
    Structure {
        name: "loop".into(),
        items: vec![
            node("a", 1, 1, NodeKind::Passthrough),
            node("b", 1, 1, NodeKind::Passthrough),
        ],
        conns: vec![
            conn("a -> b", 0, 1, 1, syn_ab),
            conn("b -> a", 1, 0, 1, syn_ba),
        ],
        probes: vec![],
    }
}

#[test]
fn synapse_free_loop_is_a_cycle_naming_both_connections() {
    let err = plan(&two_passthrough(false, false)).unwrap_err();
    let PlanError::Cycle(c) = err;
    assert_eq!(c.conns(), vec![0, 1]);
    let text = c.to_string();
    assert!(text.contains("a -> b"), "{text}");
    assert!(text.contains("b -> a"), "{text}");
    assert!(text.contains("synapse = 0"), "{text}");
}

#[test]
fn one_synapse_breaks_the_loop() {
    for (x, y) in [(true, false), (false, true), (true, true)] {
        let p = plan(&two_passthrough(x, y)).expect("a synapse breaks the cycle");
        assert_eq!(p.ops[0].kind, OpKind::Time);
    }
}

#[test]
fn sets_incs_reads_updates_order() {
    // Node f(t) -> passthrough with a synapse, probed.
    let s = Structure {
        name: "chain".into(),
        items: vec![
            node("src", 0, 2, NodeKind::Time),
            node("dst", 2, 2, NodeKind::TimeInput),
        ],
        conns: vec![conn("src -> dst", 0, 1, 2, true)],
        probes: vec![Probe {
            name: "p".into(),
            target: ProbeTarget::Item(1),
            attr: ProbeAttr::Value,
            synapse: false,
        }],
    };
    let p = plan(&s).unwrap();
    let pos = |k: OpKind, label: &str| {
        p.ops
            .iter()
            .position(|o| o.kind == k && o.label == label)
            .unwrap_or_else(|| panic!("{k:?} {label}\n{p}"))
    };
    // The synapse (an update) runs after the inc that reads its output and after the weights.
    assert!(pos(OpKind::Weights, "src -> dst") < pos(OpKind::Synapse, "src -> dst"));
    assert!(pos(OpKind::Inc, "src -> dst") < pos(OpKind::Synapse, "src -> dst"));
    assert!(pos(OpKind::Reset, "dst.in") < pos(OpKind::Inc, "src -> dst"));
    assert!(pos(OpKind::Inc, "src -> dst") < pos(OpKind::Node, "dst"));
    assert!(pos(OpKind::Node, "dst") < pos(OpKind::Probe, "p"));
    let text = p.to_string();
    assert!(text.starts_with("plan chain: "), "{text}");
    assert!(text.contains("sets dst.out[2]"), "{text}");
}

#[test]
fn slices_show_in_the_text_and_plans_are_deterministic() {
    let mut s = two_passthrough(true, false);
    s.items[0] = node("a", 3, 3, NodeKind::Passthrough);
    s.conns[1].post_slice = Some((1, 2));
    let a = plan(&s).unwrap().to_string();
    let b = plan(&s).unwrap().to_string();
    assert_eq!(a, b);
    assert!(a.contains("incs a.in[1..2]"), "{a}");
}
