//! The shared rules on hand-built networks (sizes are `usize`, as the runtime builder has
//! them). `faulty()` is the shared-verdict list: the macro's `verdicts` test declares the same
//! networks with `network!` syntax and expects the same problems.

use netdsl_plan::validate::{
    At, ConnDecl, Declared, FunctionDecl, ItemDecl, Problem, SliceDecl, TransformDecl,
};
use netdsl_plan::{
    End, ItemKind, NeuronClass, NodeKind, Port, Probe, ProbeAttr, ProbeTarget, RuleKind,
};

fn ens(name: &'static str, n: usize, d: usize) -> ItemDecl<usize> {
    ItemDecl::new(
        name,
        ItemKind::Ensemble {
            n,
            d,
            neuron: NeuronClass::Lif,
        },
    )
}

fn node(name: &'static str, size_in: usize, size_out: usize, kind: NodeKind) -> ItemDecl<usize> {
    ItemDecl::new(
        name,
        ItemKind::Node {
            size_in,
            size_out,
            kind,
        },
    )
}

fn val(item: usize) -> End {
    End::Item {
        item,
        port: Port::Value,
    }
}

fn neurons(item: usize) -> End {
    End::Item {
        item,
        port: Port::Neurons,
    }
}

fn conn(label: &'static str, pre: End, post: End) -> ConnDecl<usize> {
    ConnDecl {
        label: label.into(),
        pre,
        pre_slice: None,
        post,
        post_slice: None,
        function: None,
        transform: TransformDecl::Scalar,
        synapse: true,
        rule: None,
        weight_solver: false,
        storage_f32: false,
    }
}

fn range(lo: usize, hi: usize) -> Option<SliceDecl<usize>> {
    Some(SliceDecl {
        lo,
        hi: Some(hi),
        index: false,
    })
}

fn probe(name: &'static str, target: ProbeTarget, attr: ProbeAttr, synapse: bool) -> Probe {
    Probe {
        name: name.into(),
        target,
        attr,
        synapse,
    }
}

fn net(
    items: Vec<ItemDecl<usize>>,
    conns: Vec<ConnDecl<usize>>,
    probes: Vec<Probe>,
) -> Declared<usize> {
    Declared {
        name: "Net".into(),
        items,
        conns,
        probes,
        params: Vec::new(),
    }
}

/// The variant name of a problem (`SizeMismatch`).
fn kind(p: &Problem<usize>) -> String {
    format!("{p:?}")
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect()
}

fn kinds(d: &Declared<usize>) -> Vec<String> {
    netdsl_plan::validate(d)
        .violations
        .iter()
        .map(|v| kind(&v.problem))
        .collect()
}

/// Two 2-dimensional ensembles `a`, `b` and a 3-value constant node `k`.
fn abk() -> Vec<ItemDecl<usize>> {
    vec![
        ens("a", 10, 2),
        ens("b", 10, 2),
        node("k", 0, 3, NodeKind::Constant),
    ]
}

/// The shared-verdict list: (name, network, the problems expected, in order).
pub fn faulty() -> Vec<(&'static str, Declared<usize>, Vec<&'static str>)> {
    let mut out = Vec::new();
    // k[..1] -> a: 1 value into 2 dimensions.
    let mut c = conn("k[..1] -> a", val(2), val(0));
    c.pre_slice = range(0, 1);
    out.push((
        "size_through_slice",
        net(abk(), vec![c], vec![]),
        vec!["SizeMismatch"],
    ));
    // k[1..4] -> a: past the end of 3.
    let mut c = conn("k[1..4] -> a", val(2), val(0));
    c.pre_slice = range(1, 4);
    out.push((
        "slice_past_end",
        net(abk(), vec![c], vec![]),
        vec!["SlicePastEnd"],
    ));
    // a -> b, transform = 2x3 matrix.
    let mut c = conn("a -> b", val(0), val(1));
    c.transform = TransformDecl::Matrix { rows: 2, cols: 3 };
    out.push((
        "transform_shape",
        net(abk(), vec![c], vec![]),
        vec!["TransformColumns"],
    ));
    // a -> b, function = |x| [x[0]].
    let mut c = conn("a -> b", val(0), val(1));
    c.function = Some(FunctionDecl {
        size_out: Some(1),
        identity: false,
    });
    out.push((
        "function_output_size",
        net(abk(), vec![c], vec![]),
        vec!["SizeMismatch"],
    ));
    // probe v: r.neurons.voltage on rate neurons.
    let mut r = ens("r", 10, 1);
    r.kind = ItemKind::Ensemble {
        n: 10,
        d: 1,
        neuron: NeuronClass::Rate,
    };
    r.neuron_name = "RectifiedLinear".into();
    let p = probe("v", ProbeTarget::Item(0), ProbeAttr::Voltage, false);
    out.push((
        "probe_attr",
        net(vec![r], vec![], vec![p]),
        vec!["ProbeNeuronAttr"],
    ));
    // conn l: a -> b, transform = [1.0, 0.5], learning = PES; e -> l.learning: accepted.
    let mut l = conn("l", val(0), val(1));
    l.transform = TransformDecl::Diagonal(2);
    l.rule = Some(RuleKind::Pes);
    let e = conn("a -> l.learning", val(0), End::Learning { conn: 0 });
    out.push(("pes_on_diagonal", net(abk(), vec![l, e], vec![]), vec![]));
    // conn l: k[..2] -> a, learning = PES: PES needs neurons.
    let mut l = conn("l", val(2), val(0));
    l.pre_slice = range(0, 2);
    l.rule = Some(RuleKind::Pes);
    out.push((
        "pes_from_node",
        net(abk(), vec![l], vec![]),
        vec!["PesSource"],
    ));
    // conn m: a -> b, learning = mPES: needs neurons on both ends.
    let mut m = conn("m", val(0), val(1));
    m.rule = Some(RuleKind::Mpes);
    out.push((
        "mpes_decoded",
        net(abk(), vec![m], vec![]),
        vec!["MpesEnds"],
    ));
    // Two passthrough nodes joined both ways without synapses.
    let items = vec![
        node("p", 1, 1, NodeKind::Passthrough),
        node("q", 1, 1, NodeKind::Passthrough),
    ];
    let mut pq = conn("p -> q", val(0), val(1));
    pq.synapse = false;
    let mut qp = conn("q -> p", val(1), val(0));
    qp.synapse = false;
    out.push((
        "cycle_without_synapse",
        net(items, vec![pq, qp], vec![]),
        vec!["Cycle", "Cycle"],
    ));
    // conn l: a[..1] -> b[..1] learns; a (2 dims) -> l.learning.
    let mut l = conn("l", val(0), val(1));
    l.pre_slice = range(0, 1);
    l.post_slice = range(0, 1);
    l.rule = Some(RuleKind::Pes);
    let e = conn("a -> l.learning", val(0), End::Learning { conn: 0 });
    out.push((
        "learning_error_size",
        net(abk(), vec![l, e], vec![]),
        vec!["ErrorSize"],
    ));
    out
}

#[test]
fn shared_verdicts() {
    for (name, d, want) in faulty() {
        assert_eq!(kinds(&d), want, "{name}");
    }
}

#[test]
fn messages_name_items() {
    let (_, d, _) = faulty().remove(0);
    let v = netdsl_plan::validate(&d);
    assert_eq!(v.violations[0].at, At::Conn(0));
    let msg = v.violations[0].message(&d);
    assert_eq!(
        msg,
        "size mismatch in `k[..1] -> a`: `k[0..1]` gives 1 but `a` takes 2 (it has 2 dimensions)"
    );
    assert!(d.check().is_err());
}

#[test]
fn a_valid_network_gives_its_structure() {
    let mut c = conn("k[1..3] -> a", val(2), val(0));
    c.pre_slice = range(1, 3);
    let s = net(abk(), vec![c], vec![]).check().expect("valid");
    assert_eq!(s.conns[0].pre_size, 2);
    assert_eq!(s.conns[0].out_size, 2);
    assert!(netdsl_plan::plan(&s).is_ok());
}

#[test]
fn item_rules() {
    let mut z = ens("z", 0, 1);
    z.max_rate = Some(600.0);
    z.tau_ref = Some(0.002);
    z.radius = Some(0.0);
    let items = vec![
        z,
        ens("y", 5, 0),
        node("p", 2, 3, NodeKind::Passthrough),
        node("c", 1, 1, NodeKind::Constant),
        {
            let mut n = node("o", 0, 2, NodeKind::Process);
            n.output_size = Some(3);
            n
        },
    ];
    assert_eq!(
        kinds(&net(items, vec![], vec![])),
        [
            "NoNeurons",
            "RateTooHigh",
            "RadiusNotPositive",
            "NoDimensions",
            "PassthroughSizes",
            "NodeIgnoresInput",
            "NodeOutputSize"
        ]
    );
}

#[test]
fn slice_rules() {
    let cases: [(Option<SliceDecl<usize>>, &str); 4] = [
        (
            Some(SliceDecl {
                lo: 3,
                hi: Some(4),
                index: true,
            }),
            "IndexOutOfRange",
        ),
        (range(2, 1), "SliceReversed"),
        (range(1, 1), "SliceEmpty"),
        (range(0, 4), "SlicePastEnd"),
    ];
    for (s, want) in cases {
        let mut c = conn("k -> a", val(2), val(0));
        c.pre_slice = s.clone();
        assert_eq!(kinds(&net(abk(), vec![c], vec![])), [want], "pre {s:?}");
    }
}

#[test]
fn end_and_rule_rules() {
    let mut items = abk();
    items.push(node("sink", 0, 1, NodeKind::Time));
    let mut f = conn("a.neurons -> b", neurons(0), val(1));
    f.function = Some(FunctionDecl {
        size_out: Some(2),
        identity: false,
    });
    let mut ws = conn("k -> b", val(2), val(1));
    ws.weight_solver = true;
    let mut mf = conn("mf", neurons(0), neurons(1));
    mf.rule = Some(RuleKind::Mpes);
    mf.function = Some(FunctionDecl {
        size_out: None,
        identity: false,
    });
    let mut diag = conn("a -> b", val(0), val(1));
    diag.transform = TransformDecl::Diagonal(3);
    let mut st = conn("st", val(0), val(1));
    st.storage_f32 = true;
    st.rule = Some(RuleKind::Pes);
    let conns = vec![
        conn("k.neurons -> a", neurons(2), val(0)),
        conn("a -> sink", val(0), val(3)),
        conn("a -> b.learning", val(0), End::Learning { conn: 1 }),
        f,
        ws,
        mf,
        diag,
        st,
    ];
    assert_eq!(
        kinds(&net(items, conns, vec![])),
        [
            "EndWithoutNeurons",
            "TargetWithoutInput",
            "FunctionOnNeurons",
            "WeightSolverEnds",
            "MpesFunction",
            "TransformEntries",
            "StorageF32",
            "LearningWithoutRule"
        ]
    );
}

#[test]
fn probe_rules() {
    let mut m = conn("m", neurons(0), neurons(1));
    m.rule = Some(RuleKind::Mpes);
    let mut f = conn("f", val(0), val(1));
    f.storage_f32 = true;
    f.transform = TransformDecl::Matrix { rows: 2, cols: 2 };
    let probes = vec![
        probe("s", ProbeTarget::Item(2), ProbeAttr::Spikes, false),
        probe("e", ProbeTarget::Conn(1), ProbeAttr::Error, false),
        probe("r", ProbeTarget::Conn(1), ProbeAttr::ResistancePos, false),
        probe("w", ProbeTarget::Conn(1), ProbeAttr::Weights, false),
        probe("dw", ProbeTarget::Conn(0), ProbeAttr::Weights, true),
        probe("x", ProbeTarget::Item(0), ProbeAttr::Weights, false),
    ];
    assert_eq!(
        kinds(&net(abk(), vec![m, f], probes)),
        [
            "ProbeNodeAttr",
            "ProbeNoError",
            "ProbeNotMemristive",
            "ProbeF32Weights",
            "ProbeFilteredDevice",
            "ProbeAttrTarget"
        ]
    );
}
