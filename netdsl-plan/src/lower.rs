//! Lowering: a [`Structure`] to ops over signals, in creation order (Nengo's build order:
//! ensembles, nodes, connections, probes).

use std::borrow::Cow;

use crate::*;

/// Signal indices of one item.
#[derive(Clone, Copy, Default)]
struct ItemSigs {
    /// Decoded input accumulator (ensemble) or node input.
    input: Option<usize>,
    /// Neuron input current.
    j: Option<usize>,
    /// Neuron output (spikes).
    out: Option<usize>,
    voltage: Option<usize>,
    refr: Option<usize>,
    adaptation: Option<usize>,
    recovery: Option<usize>,
    rate_out: Option<usize>,
    /// Node output (for passthrough nodes: the input signal).
    node_out: Option<usize>,
}

/// Signal indices of one connection.
#[derive(Clone, Copy, Default)]
struct ConnSigs {
    weights: usize,
    weighted: usize,
    syn: Option<usize>,
    error: Option<usize>,
    r_pos: Option<usize>,
    r_neg: Option<usize>,
}

struct Builder<P: Clone + 'static> {
    signals: Vec<SignalDesc<P>>,
    ops: Vec<OpDesc<P>>,
}

type Refs<P> = Vec<SigRef<P>>;

impl<P: Clone + 'static> Builder<P> {
    /// An op that zeroes an accumulator at the start of each step.
    fn reset(&mut self, owner: Owner, label: &str, signal: usize) {
        self.op(
            OpKind::Reset,
            owner,
            label,
            vec![whole(signal)],
            vec![],
            vec![],
            vec![],
        );
    }

    fn sig(&mut self, name: String, shape: Shape<P>) -> usize {
        self.signals.push(SignalDesc {
            name: Cow::Owned(name),
            shape,
        });
        self.signals.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn op(
        &mut self,
        kind: OpKind,
        owner: Owner,
        label: &str,
        sets: Refs<P>,
        incs: Refs<P>,
        reads: Refs<P>,
        updates: Refs<P>,
    ) {
        self.ops.push(OpDesc {
            kind,
            owner,
            label: Cow::Owned(label.to_string()),
            sets: Cow::Owned(sets),
            incs: Cow::Owned(incs),
            reads: Cow::Owned(reads),
            updates: Cow::Owned(updates),
        });
    }
}

fn whole<P: Clone + 'static>(signal: usize) -> SigRef<P> {
    SigRef {
        signal,
        range: None,
    }
}

fn sliced<P: Clone + 'static>(signal: usize, slice: &Option<(P, P)>) -> SigRef<P> {
    SigRef {
        signal,
        range: slice.clone(),
    }
}

/// Lower a structure to its signals and ops, ops in creation order (not yet sorted).
pub fn lower<P: Clone + From<usize> + 'static>(s: &Structure<P>) -> Plan<P> {
    let mut b = Builder {
        signals: Vec::new(),
        ops: Vec::new(),
    };
    let t = b.sig("t".into(), Shape::Vec(P::from(1)));
    b.op(
        OpKind::Time,
        Owner::Time,
        "t",
        vec![whole(t)],
        vec![],
        vec![],
        vec![],
    );

    let mut isig = vec![ItemSigs::default(); s.items.len()];
    // Ensembles first, then nodes (Nengo builds a network's ensembles before its nodes).
    for pass in 0..2 {
        for (i, item) in s.items.iter().enumerate() {
            let name = item.name.to_string();
            let owner = Owner::Item(i);
            match (&item.kind, pass) {
                (ItemKind::Ensemble { n, d, neuron }, 0) => {
                    let input = b.sig(format!("{name}.in"), Shape::Vec(d.clone()));
                    isig[i].input = Some(input);
                    b.reset(owner, &format!("{name}.in"), input);
                    if *neuron == NeuronClass::Direct {
                        continue;
                    }
                    let j = b.sig(format!("{name}.J"), Shape::Vec(n.clone()));
                    let out = b.sig(format!("{name}.spikes"), Shape::Vec(n.clone()));
                    isig[i].j = Some(j);
                    isig[i].out = Some(out);
                    let mut state = vec![whole(out)];
                    // State signals, in this order (the op binding relies on it).
                    let st = neuron.states();
                    let is = &mut isig[i];
                    for (has, sig, slot) in [
                        (st.voltage, "voltage", &mut is.voltage),
                        (st.refractory, "refractory", &mut is.refr),
                        (st.adaptation, "adaptation", &mut is.adaptation),
                        (st.recovery, "recovery", &mut is.recovery),
                        (st.rate_out, "rate_out", &mut is.rate_out),
                    ] {
                        if has {
                            let v = b.sig(format!("{name}.{sig}"), Shape::Vec(n.clone()));
                            *slot = Some(v);
                            state.push(whole(v));
                        }
                    }
                    b.op(
                        OpKind::Bias,
                        owner,
                        &name,
                        vec![whole(j)],
                        vec![],
                        vec![],
                        vec![],
                    );
                    b.op(
                        OpKind::Encode,
                        owner,
                        &name,
                        vec![],
                        vec![whole(j)],
                        vec![whole(input)],
                        vec![],
                    );
                    b.op(
                        OpKind::Neurons,
                        owner,
                        &name,
                        state,
                        vec![],
                        vec![whole(j)],
                        vec![],
                    );
                }
                (
                    ItemKind::Node {
                        size_in,
                        size_out,
                        kind,
                    },
                    1,
                ) => {
                    let has_in = !matches!(
                        kind,
                        NodeKind::Constant | NodeKind::Time | NodeKind::Process
                    );
                    if has_in {
                        let input = b.sig(format!("{name}.in"), Shape::Vec(size_in.clone()));
                        isig[i].input = Some(input);
                        b.reset(owner, &format!("{name}.in"), input);
                    }
                    if *kind == NodeKind::Passthrough {
                        isig[i].node_out = isig[i].input;
                        continue;
                    }
                    let out = b.sig(format!("{name}.out"), Shape::Vec(size_out.clone()));
                    isig[i].node_out = Some(out);
                    if *kind == NodeKind::Constant {
                        continue;
                    }
                    let mut reads = vec![whole(t)];
                    if let Some(input) = isig[i].input {
                        if matches!(kind, NodeKind::TimeInput | NodeKind::Stage { .. }) {
                            reads.push(whole(input));
                        }
                    }
                    let label = match kind {
                        NodeKind::Stage { state, method } => format!("{name} = {state}.{method}"),
                        _ => name.clone(),
                    };
                    b.op(
                        OpKind::Node,
                        owner,
                        &label,
                        vec![whole(out)],
                        vec![],
                        reads,
                        vec![],
                    );
                }
                _ => {}
            }
        }
    }

    let mut csig: Vec<ConnSigs> = Vec::with_capacity(s.conns.len());
    // Error signals must exist before any connection targets `conn.learning`, whatever the
    // declaration order, so they are made up front (their Reset ops come with their connection).
    let mut error_sigs = vec![None; s.conns.len()];
    for (c, conn) in s.conns.iter().enumerate() {
        if conn.rule.is_some() {
            let size = conn
                .error_size
                .clone()
                .unwrap_or_else(|| conn.out_size.clone());
            error_sigs[c] = Some(b.sig(format!("{}.error", conn.label), Shape::Vec(size)));
        }
    }

    for (c, conn) in s.conns.iter().enumerate() {
        let owner = Owner::Conn(c);
        let label = conn.label.to_string();
        // What the weights multiply.
        let (pre_item, pre_port) = match conn.pre {
            End::Item { item, port } => (item, port),
            End::Learning { .. } => unreachable!("checked: a connection cannot start at .learning"),
        };
        let pre_is_direct = matches!(
            s.items[pre_item].kind,
            ItemKind::Ensemble {
                neuron: NeuronClass::Direct,
                ..
            }
        );
        let pre_is_node = matches!(s.items[pre_item].kind, ItemKind::Node { .. });
        let ps = isig[pre_item];
        let mut x = match (pre_port, pre_is_node, pre_is_direct) {
            (Port::Neurons, _, _) => sliced(ps.out.expect("neurons"), &conn.pre_slice),
            (Port::Value, true, _) => sliced(ps.node_out.expect("node out"), &conn.pre_slice),
            (Port::Value, false, true) => sliced(ps.input.expect("direct in"), &conn.pre_slice),
            // Decoders read every neuron; the pre slice only changes the targets.
            (Port::Value, false, false) => whole(ps.out.expect("spikes")),
        };
        if let (Some(fs), true) = (&conn.func_size, pre_is_node || pre_is_direct) {
            let f = b.sig(format!("{label}.func"), Shape::Vec(fs.clone()));
            b.op(
                OpKind::Function,
                owner,
                &label,
                vec![whole(f)],
                vec![],
                vec![x],
                vec![],
            );
            x = whole(f);
        }
        let decoded_from_neurons = pre_port == Port::Value && !pre_is_node && !pre_is_direct;
        let wshape = conn.weights_shape(decoded_from_neurons);
        let weights = b.sig(format!("{label}.weights"), wshape.clone());
        let weighted = b.sig(
            format!("{label}.weighted"),
            Shape::Vec(conn.out_size.clone()),
        );
        let mut cs = ConnSigs {
            weights,
            weighted,
            error: error_sigs[c],
            ..ConnSigs::default()
        };
        let x_for_rule = x.clone();
        let kind = if conn.rule == Some(RuleKind::Mpes) {
            OpKind::MemristorFilter
        } else {
            OpKind::Weights
        };
        b.op(
            kind,
            owner,
            &label,
            vec![whole(weighted)],
            vec![],
            vec![x, whole(weights)],
            vec![],
        );
        let mut out = weighted;
        if conn.synapse {
            let syn = b.sig(format!("{label}.syn"), Shape::Vec(conn.out_size.clone()));
            b.op(
                OpKind::Synapse,
                owner,
                &label,
                vec![],
                vec![],
                vec![whole(weighted)],
                vec![whole(syn)],
            );
            cs.syn = Some(syn);
            out = syn;
        }
        // Into the target.
        match conn.post {
            End::Item { item, port } => {
                let ts = isig[item];
                let into_neurons = port == Port::Neurons || conn.weight_solver;
                if into_neurons {
                    let kind = if conn.weight_solver {
                        OpKind::Inc
                    } else {
                        OpKind::GainInc
                    };
                    b.op(
                        kind,
                        owner,
                        &label,
                        vec![],
                        // With `weights = true` the post slice selects encoder dimensions;
                        // the whole weight matrix feeds every post neuron.
                        vec![if conn.weight_solver {
                            whole(ts.j.expect("J"))
                        } else {
                            sliced(ts.j.expect("J"), &conn.post_slice)
                        }],
                        vec![whole(out)],
                        vec![],
                    );
                } else {
                    b.op(
                        OpKind::Inc,
                        owner,
                        &label,
                        vec![],
                        vec![sliced(ts.input.expect("input"), &conn.post_slice)],
                        vec![whole(out)],
                        vec![],
                    );
                }
            }
            End::Learning { conn: lc } => {
                let err = error_sigs[lc].expect("checked: target connection learns");
                b.op(
                    OpKind::Inc,
                    owner,
                    &label,
                    vec![],
                    vec![sliced(err, &conn.post_slice)],
                    vec![whole(out)],
                    vec![],
                );
            }
        }
        // Learning rule.
        if let Some(rule) = conn.rule {
            let err = cs.error.expect("error signal");
            b.reset(owner, &format!("{label}.error"), err);
            let n_pre = conn.pre_size.clone();
            let acts = b.sig(format!("{label}.acts"), Shape::Vec(n_pre));
            // The rule filters the pre neurons' output (for a decoded source: all its neurons).
            let spikes = match pre_port {
                Port::Neurons => sliced(ps.out.expect("neurons"), &conn.pre_slice),
                Port::Value => whole(ps.out.unwrap_or(x_for_rule.signal)),
            };
            b.op(
                OpKind::PreFilter,
                owner,
                &label,
                vec![whole(acts)],
                vec![],
                vec![spikes],
                vec![],
            );
            let post_neurons = conn.weight_solver
                || matches!(
                    conn.post,
                    End::Item {
                        port: Port::Neurons,
                        ..
                    }
                );
            let mut e = whole(err);
            if post_neurons {
                let local = b.sig(
                    format!("{label}.local_error"),
                    Shape::Vec(conn.out_size.clone()),
                );
                b.reset(owner, &format!("{label}.local_error"), local);
                b.op(
                    OpKind::LocalError,
                    owner,
                    &label,
                    vec![],
                    vec![whole(local)],
                    vec![whole(err)],
                    vec![],
                );
                e = whole(local);
            }
            match rule {
                RuleKind::Pes => {
                    let delta = b.sig(format!("{label}.delta"), wshape.clone());
                    b.op(
                        OpKind::Pes,
                        owner,
                        &label,
                        vec![],
                        vec![],
                        vec![whole(acts), e],
                        vec![whole(delta)],
                    );
                    b.op(
                        OpKind::ApplyDelta,
                        owner,
                        &label,
                        vec![],
                        vec![whole(weights)],
                        vec![whole(delta)],
                        vec![],
                    );
                }
                RuleKind::Mpes => {
                    let rp = b.sig(format!("{label}.r_pos"), wshape.clone());
                    let rn = b.sig(format!("{label}.r_neg"), wshape.clone());
                    cs.r_pos = Some(rp);
                    cs.r_neg = Some(rn);
                    b.op(
                        OpKind::MemristorPulse,
                        owner,
                        &label,
                        vec![],
                        vec![],
                        vec![whole(acts), e],
                        vec![whole(weights), whole(rp), whole(rn)],
                    );
                }
            }
        }
        csig.push(cs);
    }

    for (p, probe) in s.probes.iter().enumerate() {
        let owner = Owner::Probe(p);
        let name = probe.name.to_string();
        let target = match probe.target {
            ProbeTarget::Item(i) => {
                let is = isig[i];
                match (probe.attr, &s.items[i].kind) {
                    (ProbeAttr::Value, ItemKind::Node { .. }) => is.node_out.expect("node out"),
                    (
                        ProbeAttr::Value,
                        ItemKind::Ensemble {
                            neuron: NeuronClass::Direct,
                            ..
                        },
                    ) => is.input.expect("direct"),
                    (ProbeAttr::Value, ItemKind::Ensemble { n, d, .. }) => {
                        // A probe on a decoded value has its own decoders (Nengo's hidden
                        // probe connection).
                        let dec =
                            b.sig(format!("{name}.decoders"), Shape::Mat(d.clone(), n.clone()));
                        let val = b.sig(format!("{name}.decoded"), Shape::Vec(d.clone()));
                        b.op(
                            OpKind::Weights,
                            owner,
                            &name,
                            vec![whole(val)],
                            vec![],
                            vec![whole(is.out.expect("spikes")), whole(dec)],
                            vec![],
                        );
                        val
                    }
                    (ProbeAttr::Spikes, _) => is.out.expect("checked: spikes of an ensemble"),
                    (ProbeAttr::Voltage, _) => is.voltage.expect("checked: voltage"),
                    (ProbeAttr::Input, _) => is.j.expect("checked: input"),
                    (ProbeAttr::Refractory, _) => is.refr.expect("checked: refractory"),
                    (ProbeAttr::Adaptation, _) => is.adaptation.expect("checked: adaptation"),
                    (ProbeAttr::Recovery, _) => is.recovery.expect("checked: recovery"),
                    (ProbeAttr::RateOut, _) => is.rate_out.expect("checked: rate_out"),
                    _ => unreachable!("checked: attribute of an item"),
                }
            }
            ProbeTarget::Conn(c) => {
                let cs = csig[c];
                match probe.attr {
                    ProbeAttr::Weights => cs.weights,
                    ProbeAttr::Output => cs.syn.unwrap_or(cs.weighted),
                    ProbeAttr::Error => cs.error.expect("checked: learned"),
                    ProbeAttr::ResistancePos => cs.r_pos.expect("checked: memristive"),
                    ProbeAttr::ResistanceNeg => cs.r_neg.expect("checked: memristive"),
                    _ => unreachable!("checked: attribute of a connection"),
                }
            }
        };
        let mut read = target;
        if probe.synapse {
            let shape = b.signals[target].shape.clone();
            let syn = b.sig(format!("{name}.syn"), shape.clone());
            b.op(
                OpKind::ProbeSynapse,
                owner,
                &name,
                vec![],
                vec![],
                vec![whole(target)],
                vec![whole(syn)],
            );
            // As in Nengo, the probe copies the filter's value before this step's update: a
            // filtered probe lags one step.
            let copy = b.sig(format!("{name}.in"), shape);
            b.op(
                OpKind::Copy,
                owner,
                &name,
                vec![whole(copy)],
                vec![],
                vec![whole(syn)],
                vec![],
            );
            read = copy;
        }
        b.op(
            OpKind::Probe,
            owner,
            &name,
            vec![],
            vec![],
            vec![whole(read)],
            vec![],
        );
    }

    Plan {
        name: s.name.clone(),
        signals: Cow::Owned(b.signals),
        ops: Cow::Owned(b.ops),
    }
}
