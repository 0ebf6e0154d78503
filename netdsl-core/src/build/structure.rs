//! The runtime's own check of a hand-built or generated [`Network`]: its structure (what the plan
//! is computed from), with every size, slice, probe and learning-rule target checked.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::BuildError;
use crate::models::learning::LearningRule;
use crate::models::neurons::NeuronType;
use crate::network::{ConnectionSpec, Endpoint, ItemSpec, Network, NodeOutput, ProbeOf, Transform};
use crate::plan::{
    self, Conn, End, Item, ItemKind, NeuronClass, NodeKind, Port, ProbeAttr, ProbeTarget, RuleKind,
    Structure, TransformKind,
};

fn slice_len(s: &Option<Range<usize>>, full: usize) -> usize {
    s.as_ref()
        .map(|r| r.end.saturating_sub(r.start))
        .unwrap_or(full)
}

fn neuron_class(t: &NeuronType) -> NeuronClass {
    t.class()
}

fn end_text(net: &Network, e: &Endpoint, slice: &Option<Range<usize>>) -> String {
    let base = match e {
        Endpoint::Value(i) => net.items[*i].0.clone(),
        Endpoint::Neurons(i) => format!("{}.neurons", net.items[*i].0),
        Endpoint::Learning(c) => format!("{}.learning", conn_label(net, *c)),
    };
    match slice {
        Some(r) => format!("{base}[{}..{}]", r.start, r.end),
        None => base,
    }
}

fn conn_label(net: &Network, c: usize) -> String {
    let spec = &net.conns[c];
    spec.label.clone().unwrap_or_else(|| {
        format!(
            "{} -> {}",
            end_text(net, &spec.pre, &spec.pre_slice),
            end_text(net, &spec.post, &spec.post_slice)
        )
    })
}

pub(crate) fn invalid(what: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError::Invalid {
        what: what.into(),
        message: message.into(),
    }
}

/// Sizes of an item: (value size in, value size out, neurons).
fn item_sizes(spec: &ItemSpec) -> (usize, usize, Option<usize>) {
    match spec {
        ItemSpec::Ensemble(e) => {
            let n = if e.neuron_type == NeuronType::Direct {
                None
            } else {
                Some(e.n_neurons)
            };
            (e.dimensions, e.dimensions, n)
        }
        ItemSpec::Node {
            size_in, size_out, ..
        } => (*size_in, *size_out, None),
    }
}

/// The structure (what the plan is computed from) of a network, with every size checked.
pub(crate) fn structure(net: &Network) -> Result<Structure<usize>, BuildError> {
    let mut items = Vec::new();
    for (name, spec) in &net.items {
        let kind = match spec {
            ItemSpec::Ensemble(e) => {
                if e.n_neurons == 0 || e.dimensions == 0 {
                    return Err(invalid(
                        format!("ensemble `{name}`"),
                        "needs at least one neuron and one dimension",
                    ));
                }
                ItemKind::Ensemble {
                    n: e.n_neurons,
                    d: e.dimensions,
                    neuron: neuron_class(&e.neuron_type),
                }
            }
            ItemSpec::Node {
                size_in,
                size_out,
                output,
            } => {
                let kind = match output {
                    NodeOutput::Constant(v) => {
                        if v.len() != *size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                format!(
                                    "constant has {} values but size_out is {size_out}",
                                    v.len()
                                ),
                            ));
                        }
                        NodeKind::Constant
                    }
                    NodeOutput::Time(_) => NodeKind::Time,
                    NodeOutput::TimeInput(_) => NodeKind::TimeInput,
                    NodeOutput::Passthrough => {
                        if size_in != size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                "a passthrough node has size_in == size_out",
                            ));
                        }
                        NodeKind::Passthrough
                    }
                    NodeOutput::Stage { state, method, .. } => NodeKind::Stage {
                        state: Cow::Owned(
                            net.states.get(*state).map(|s| s.0.clone()).ok_or_else(|| {
                                invalid(format!("node `{name}`"), "unknown state")
                            })?,
                        ),
                        method: method.clone(),
                    },
                    NodeOutput::Process(p) => {
                        if p.size_out() != *size_out {
                            return Err(invalid(
                                format!("node `{name}`"),
                                format!(
                                    "process gives {} values but size_out is {size_out}",
                                    p.size_out()
                                ),
                            ));
                        }
                        NodeKind::Process
                    }
                };
                ItemKind::Node {
                    size_in: *size_in,
                    size_out: *size_out,
                    kind,
                }
            }
        };
        items.push(Item {
            name: Cow::Owned(name.clone()),
            kind,
        });
    }
    let mut conns: Vec<Conn<usize>> = Vec::new();
    for (c, spec) in net.conns.iter().enumerate() {
        let label = conn_label(net, c);
        let size_err = |message: String| BuildError::Size {
            conn: label.clone(),
            message,
        };
        let check_slice = |s: &Option<Range<usize>>, size: usize, side: &str| {
            if let Some(r) = s {
                if r.start >= r.end || r.end > size {
                    return Err(size_err(format!(
                        "{side} slice {}..{} is empty or past the end of size {size}",
                        r.start, r.end
                    )));
                }
            }
            Ok(())
        };
        let item_of = |e: &Endpoint| -> Result<Option<usize>, BuildError> {
            match e {
                Endpoint::Value(i) | Endpoint::Neurons(i) => {
                    if *i >= net.items.len() {
                        Err(invalid(format!("connection `{label}`"), "unknown item"))
                    } else {
                        Ok(Some(*i))
                    }
                }
                Endpoint::Learning(lc) => {
                    if *lc >= net.conns.len() || net.conns[*lc].learning.is_none() {
                        Err(invalid(
                            format!("connection `{label}`"),
                            "`.learning` of a connection without a learning rule",
                        ))
                    } else {
                        Ok(None)
                    }
                }
            }
        };
        let pre_item = item_of(&spec.pre)?.ok_or_else(|| {
            invalid(
                format!("connection `{label}`"),
                "cannot start at `.learning`",
            )
        })?;
        let (_, pre_out, pre_n) = item_sizes(&net.items[pre_item].1);
        let pre_is_ens = matches!(net.items[pre_item].1, ItemSpec::Ensemble(_));
        let (pre, pre_full, decoded_from_neurons) = match spec.pre {
            Endpoint::Neurons(_) => {
                let n = pre_n.ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`.neurons` of something without neurons",
                    )
                })?;
                (
                    End::Item {
                        item: pre_item,
                        port: Port::Neurons,
                    },
                    n,
                    false,
                )
            }
            _ => (
                End::Item {
                    item: pre_item,
                    port: Port::Value,
                },
                pre_out,
                pre_is_ens && pre_n.is_some(),
            ),
        };
        check_slice(&spec.pre_slice, pre_full, "source")?;
        let sliced_pre = slice_len(&spec.pre_slice, pre_full);
        // The vector the transform multiplies.
        let x_size = match &spec.function {
            Some(f) => f.size_out,
            None => sliced_pre,
        };
        if spec.function.is_some() && matches!(spec.pre, Endpoint::Neurons(_)) {
            return Err(invalid(
                format!("connection `{label}`"),
                "a function needs a decoded source, not `.neurons`",
            ));
        }
        let post_item = item_of(&spec.post)?;
        let weight_solver = spec.solver.weights;
        let (post, post_full) = match spec.post {
            Endpoint::Value(i) => (
                End::Item {
                    item: i,
                    port: Port::Value,
                },
                item_sizes(&net.items[i].1).0,
            ),
            Endpoint::Neurons(i) => {
                let n = item_sizes(&net.items[i].1).2.ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`.neurons` of something without neurons",
                    )
                })?;
                (
                    End::Item {
                        item: i,
                        port: Port::Neurons,
                    },
                    n,
                )
            }
            Endpoint::Learning(lc) => {
                let lspec = &net.conns[lc];
                (End::Learning { conn: lc }, error_size(net, lspec))
            }
        };
        check_slice(&spec.post_slice, post_full, "target")?;
        let mut out_size = slice_len(&spec.post_slice, post_full);
        let tkind = match &spec.transform {
            Transform::Scalar(_) => {
                if x_size != out_size {
                    return Err(size_err(format!(
                        "source gives {x_size} values but the target takes {out_size} (scalar transform)"
                    )));
                }
                TransformKind::Scalar
            }
            Transform::Diagonal(v) => {
                if v.len() != x_size || x_size != out_size {
                    return Err(size_err(format!(
                        "diagonal transform of {} values between a source of {x_size} and a target of {out_size}",
                        v.len()
                    )));
                }
                TransformKind::Diagonal
            }
            Transform::Matrix(m) => {
                if m.ncols() != x_size || m.nrows() != out_size {
                    return Err(size_err(format!(
                        "transform is {}x{} but source gives {x_size} and target takes {out_size}",
                        m.nrows(),
                        m.ncols()
                    )));
                }
                TransformKind::Matrix
            }
        };
        if weight_solver {
            let post_i = post_item
                .filter(|&i| item_sizes(&net.items[i].1).2.is_some())
                .filter(|_| matches!(spec.post, Endpoint::Value(_)) && decoded_from_neurons)
                .ok_or_else(|| {
                    invalid(
                        format!("connection `{label}`"),
                        "`weights = true` needs an ensemble source and an ensemble target",
                    )
                })?;
            out_size = item_sizes(&net.items[post_i].1).2.unwrap_or(0);
        }
        let rule = match &spec.learning {
            None => None,
            Some(LearningRule::Pes { .. }) => {
                if !pre_is_ens || pre_n.is_none() {
                    return Err(invalid(
                        format!("connection `{label}`"),
                        "PES needs a source with neurons",
                    ));
                }
                Some(RuleKind::Pes)
            }
            Some(LearningRule::Mpes { .. }) => {
                if !matches!(spec.pre, Endpoint::Neurons(_))
                    || !matches!(spec.post, Endpoint::Neurons(_))
                {
                    return Err(invalid(
                        format!("connection `{label}`"),
                        "mPES needs a `pre.neurons -> post.neurons` connection",
                    ));
                }
                Some(RuleKind::Mpes)
            }
        };
        let pre_size = if decoded_from_neurons {
            pre_n.unwrap_or(0)
        } else {
            sliced_pre
        };
        conns.push(Conn {
            label: Cow::Owned(label.clone()),
            pre,
            pre_slice: spec.pre_slice.as_ref().map(|r| (r.start, r.end)),
            pre_size,
            func_size: spec.function.as_ref().map(|f| f.size_out),
            out_size,
            post,
            post_slice: spec.post_slice.as_ref().map(|r| (r.start, r.end)),
            synapse: spec.synapse.is_some(),
            rule,
            weight_solver,
            error_size: spec.learning.as_ref().map(|_| error_size(net, spec)),
            transform: tkind,
        });
    }
    let mut probes = Vec::new();
    for (name, p) in &net.probes {
        let target = match p.target {
            ProbeOf::Item(i) => {
                let spec = net
                    .items
                    .get(i)
                    .ok_or_else(|| invalid(format!("probe `{name}`"), "unknown item"))?;
                let ok = match (&spec.1, p.attr) {
                    (_, ProbeAttr::Value) => true,
                    (ItemSpec::Ensemble(e), ProbeAttr::Spikes | ProbeAttr::Input) => {
                        e.neuron_type != NeuronType::Direct
                    }
                    (ItemSpec::Ensemble(e), attr) => {
                        let st = e.neuron_type.class().states();
                        match attr {
                            ProbeAttr::Voltage => st.voltage,
                            ProbeAttr::Refractory => st.refractory,
                            ProbeAttr::Adaptation => st.adaptation,
                            ProbeAttr::Recovery => st.recovery,
                            ProbeAttr::RateOut => st.rate_out,
                            _ => false,
                        }
                    }
                    _ => false,
                };
                if !ok {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        format!("cannot record {:?} of `{}`", p.attr, spec.0),
                    ));
                }
                ProbeTarget::Item(i)
            }
            ProbeOf::Conn(c) => {
                let spec = net
                    .conns
                    .get(c)
                    .ok_or_else(|| invalid(format!("probe `{name}`"), "unknown connection"))?;
                let ok = match p.attr {
                    ProbeAttr::Weights | ProbeAttr::Output => true,
                    ProbeAttr::Error => spec.learning.is_some(),
                    ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg => {
                        matches!(spec.learning, Some(LearningRule::Mpes { .. }))
                    }
                    _ => false,
                };
                let memristive = matches!(spec.learning, Some(LearningRule::Mpes { .. }))
                    && matches!(
                        p.attr,
                        ProbeAttr::Weights | ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg
                    );
                if memristive && p.synapse.is_some() {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        "device weights and resistances of a memristive connection are recorded \
                         unfiltered: remove the probe's synapse",
                    ));
                }
                if !ok {
                    return Err(invalid(
                        format!("probe `{name}`"),
                        format!("cannot record {:?} of a connection", p.attr),
                    ));
                }
                ProbeTarget::Conn(c)
            }
        };
        probes.push(plan::Probe {
            name: Cow::Owned(name.clone()),
            target,
            attr: p.attr,
            synapse: p.synapse.is_some(),
        });
    }
    Ok(Structure {
        name: Cow::Owned(net.name.clone()),
        items,
        conns,
        probes,
    })
}

/// The error size of a learned connection: the post ensemble's dimensions for connections into
/// neurons, else the connection's output size.
fn error_size(net: &Network, spec: &ConnectionSpec) -> usize {
    match spec.post {
        Endpoint::Neurons(i) => item_sizes(&net.items[i].1).0,
        Endpoint::Value(i) if spec.solver.weights => item_sizes(&net.items[i].1).0,
        Endpoint::Value(i) => slice_len(&spec.post_slice, item_sizes(&net.items[i].1).0),
        Endpoint::Learning(_) => 0,
    }
}
