//! Phase 4: the model to a `netdsl_plan::Structure` with size expressions, then the shared
//! lowering and dependency sort. A synapse-free cycle becomes an error on each of its connections.

use std::borrow::Cow;

use netdsl_plan as np;

use crate::check::Checked;
use crate::model::*;

fn port(p: Port) -> np::Port {
    match p {
        Port::Value => np::Port::Value,
        Port::Neurons => np::Port::Neurons,
    }
}

fn end(t: Target) -> np::End {
    match t {
        Target::Item { item, port: p } => np::End::Item {
            item,
            port: port(p),
        },
        Target::Learning { conn } => np::End::Learning { conn },
    }
}

pub fn neuron_class(k: NeuronKind) -> np::NeuronClass {
    match k {
        NeuronKind::Lif => np::NeuronClass::Lif,
        NeuronKind::SpikingRectifiedLinear => np::NeuronClass::SpikingRectifiedLinear,
        NeuronKind::LifRate | NeuronKind::RectifiedLinear => np::NeuronClass::Rate,
        NeuronKind::Direct => np::NeuronClass::Direct,
    }
}

/// The structure the plan is computed from (the runtime derives the same one from the network).
pub fn structure(m: &Model, ck: &Checked) -> np::Structure<Size> {
    let items = m
        .items
        .iter()
        .map(|it| np::Item {
            name: Cow::Owned(it.name.to_string()),
            kind: match &it.kind {
                ItemKind::Ensemble(e) => np::ItemKind::Ensemble {
                    n: e.n.clone(),
                    d: e.d.clone(),
                    neuron: neuron_class(e.neuron.kind),
                },
                ItemKind::Node(n) => np::ItemKind::Node {
                    size_in: n.size_in.clone(),
                    size_out: n.size_out.clone(),
                    kind: match &n.output {
                        NodeOutput::Constant(_) => np::NodeKind::Constant,
                        NodeOutput::Time(_) => np::NodeKind::Time,
                        NodeOutput::TimeInput(_) => np::NodeKind::TimeInput,
                        NodeOutput::Passthrough => np::NodeKind::Passthrough,
                        NodeOutput::Stage { state, method, .. } => np::NodeKind::Stage {
                            state: Cow::Owned(m.args[*state].name.to_string()),
                            method: Cow::Owned(method.to_string()),
                        },
                        NodeOutput::Process(_) => np::NodeKind::Process,
                    },
                },
            },
        })
        .collect();
    let conns = m
        .conns
        .iter()
        .zip(&ck.conns)
        .map(|(c, s)| np::Conn {
            label: Cow::Owned(c.label.clone()),
            pre: end(c.pre.target),
            pre_slice: s.pre_slice.clone(),
            pre_size: s.pre_size.clone(),
            func_size: s.func_size.clone(),
            out_size: s.out_size.clone(),
            post: end(c.post.target),
            post_slice: s.post_slice.clone(),
            synapse: s.synapse,
            rule: c.rule.as_ref().map(|r| match r.kind {
                RuleKind::Pes => np::RuleKind::Pes,
                RuleKind::Mpes => np::RuleKind::Mpes,
            }),
            weight_solver: s.weight_solver,
            error_size: s.error_size.clone(),
            transform: s.transform,
        })
        .collect();
    let probes = m
        .probes
        .iter()
        .map(|p| np::Probe {
            name: Cow::Owned(p.name.to_string()),
            target: match p.target {
                ProbeOf::Item(i) => np::ProbeTarget::Item(i),
                ProbeOf::Conn(c) => np::ProbeTarget::Conn(c),
            },
            attr: p.attr,
            synapse: !matches!(p.synapse, None | Some(Synapse::None)),
        })
        .collect();
    np::Structure {
        name: Cow::Owned(m.name.to_string()),
        items,
        conns,
        probes,
    }
}

/// The sorted plan, or one error per connection of a synapse-free cycle.
pub fn plan(m: &Model, ck: &Checked) -> Result<np::Plan<Size>, Vec<syn::Error>> {
    let s = structure(m, ck);
    // The lowering trusts the checks; a panic here would be a macro bug, so it becomes an error.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| np::plan(&s)));
    match r {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(np::PlanError::Cycle(cycle))) => {
            let conns = cycle.conns();
            let labels: Vec<String> = conns
                .iter()
                .filter_map(|&c| m.conns.get(c))
                .map(|c| format!("`{}`", c.label))
                .collect();
            let path = labels.join(" -> ");
            let mut errs = Vec::new();
            for (k, &c) in conns.iter().enumerate() {
                let Some(conn) = m.conns.get(c) else { continue };
                let msg = if k == 0 {
                    format!(
                        "this connection is on a cycle with no synapse: {path} -> back to the start; nothing in it can run first within a step. Give one of these connections a synapse (`synapse = 0` is a pure one-step delay)"
                    )
                } else {
                    format!("connection {} of the synapse-free cycle {path}", k + 1)
                };
                errs.push(syn::Error::new_spanned(&conn.tokens, msg));
            }
            if errs.is_empty() {
                errs.push(syn::Error::new(m.name.span(), cycle.to_string()));
            }
            Err(errs)
        }
        Err(_) => Err(vec![syn::Error::new(
            m.name.span(),
            "internal error in netdsl's plan lowering (please report this network)",
        )]),
    }
}
