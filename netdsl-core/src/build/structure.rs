//! The runtime's check of a hand-built or generated [`Network`]: its indices are checked here
//! (generated code cannot get them wrong), then the network is described as a
//! [`Declared`] network and checked by the one rule set, `netdsl_plan::validate`, which the
//! `network!` macro also calls. Each violation becomes part of a [`BuildError::Rules`], worded as
//! the macro words it.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{BuildError, RuleViolation};
use crate::models::learning::LearningRule;
use crate::models::neurons::NeuronType;
use crate::models::synapses::Synapse;
use crate::nef::dists::Dist;
use crate::network::{
    Endpoint, EnsembleSpec, ItemSpec, Network, NodeOutput, ProbeOf, Transform, WeightStorage,
};
use crate::plan::validate::{
    ConnDecl, FunctionDecl, ItemDecl, ParamDecl, ParamOf, SliceDecl, TransformDecl,
};
use crate::plan::{
    self, Declared, End, ItemKind, NeuronClass, NodeKind, Port, ProbeTarget, RuleKind, Structure,
};

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

/// A connection's display label: its name, or `pre -> post` with slices.
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

/// The structure (what the plan is computed from) of a network that passes every rule.
pub(crate) fn structure(net: &Network) -> Result<Structure<usize>, BuildError> {
    check_indices(net)?;
    let declared = declared(net);
    declared.check().map_err(|violations| BuildError::Rules {
        network: net.name.clone(),
        violations: violations
            .into_iter()
            .map(|violation| RuleViolation {
                message: violation.message(&declared),
                violation,
            })
            .collect(),
    })
}

/// The checks the rule set cannot make: every index a connection, probe or stage node names
/// exists (the macro resolves names, so its networks always pass).
fn check_indices(net: &Network) -> Result<(), BuildError> {
    let (n_items, n_conns) = (net.items.len(), net.conns.len());
    for (name, spec) in &net.items {
        if let ItemSpec::Node {
            output: NodeOutput::Stage { state, .. },
            ..
        } = spec
        {
            if *state >= net.states.len() {
                return Err(BuildError::UnknownState {
                    node: name.clone(),
                    state: *state,
                    len: net.states.len(),
                });
            }
        }
    }
    for (c, spec) in net.conns.iter().enumerate() {
        for e in [spec.pre, spec.post] {
            let by = || format!("connection {c}");
            match e {
                Endpoint::Value(i) | Endpoint::Neurons(i) if i >= n_items => {
                    return Err(BuildError::UnknownItem {
                        by: by(),
                        index: i,
                        len: n_items,
                    })
                }
                Endpoint::Learning(l) if l >= n_conns => {
                    return Err(BuildError::UnknownConnection {
                        by: by(),
                        index: l,
                        len: n_conns,
                    })
                }
                _ => {}
            }
        }
    }
    for (name, p) in &net.probes {
        let by = || format!("probe `{name}`");
        match p.target {
            ProbeOf::Item(i) if i >= n_items => {
                return Err(BuildError::UnknownItem {
                    by: by(),
                    index: i,
                    len: n_items,
                })
            }
            ProbeOf::Conn(c) if c >= n_conns => {
                return Err(BuildError::UnknownConnection {
                    by: by(),
                    index: c,
                    len: n_conns,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

fn neuron_class(t: &NeuronType) -> NeuronClass {
    t.class()
}

/// The neuron type's name as the macro gives it to the rules (`Lif`, `RectifiedLinear`): the
/// variant's name.
fn neuron_name(t: &NeuronType) -> String {
    format!("{t:?}")
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect()
}

/// The highest rate `max_rates` can give, where it is bounded (as the macro reads a literal
/// distribution: the largest of its numbers).
fn max_rate(d: &Dist) -> Option<f64> {
    match d {
        Dist::Fixed(v) | Dist::Choice(v) => v.iter().copied().reduce(f64::max),
        Dist::Constant(x) => Some(*x),
        Dist::Uniform { low, high } => Some(low.max(*high)),
        Dist::Gaussian { .. } => None,
    }
}

fn ensemble_decl(name: &str, e: &EnsembleSpec) -> ItemDecl<usize> {
    let mut d = ItemDecl::new(
        name.to_string(),
        ItemKind::Ensemble {
            n: e.n_neurons,
            d: e.dimensions,
            neuron: neuron_class(&e.neuron_type),
        },
    );
    d.neuron_name = neuron_name(&e.neuron_type).into();
    d.tau_ref = match e.neuron_type {
        NeuronType::Lif { tau_ref, .. } | NeuronType::LifRate { tau_ref, .. } => Some(tau_ref),
        _ => None,
    };
    // Fixed gains and biases do not come from max_rates.
    if e.gain.is_none() || e.bias.is_none() {
        d.max_rate = max_rate(&e.max_rates);
    }
    d.radius = Some(e.radius);
    d
}

fn node_decl(
    net: &Network,
    name: &str,
    size_in: usize,
    size_out: usize,
    output: &NodeOutput,
) -> ItemDecl<usize> {
    let (kind, output_size) = match output {
        NodeOutput::Constant(v) => (NodeKind::Constant, Some(v.len())),
        NodeOutput::Time(_) => (NodeKind::Time, None),
        NodeOutput::TimeInput(_) => (NodeKind::TimeInput, None),
        NodeOutput::Passthrough => (NodeKind::Passthrough, None),
        NodeOutput::Stage { state, method, .. } => (
            NodeKind::Stage {
                state: Cow::Owned(net.states[*state].0.clone()),
                method: method.clone(),
            },
            None,
        ),
        NodeOutput::Process(p) => (NodeKind::Process, Some(p.size_out())),
    };
    let mut d = ItemDecl::new(
        name.to_string(),
        ItemKind::Node {
            size_in,
            size_out,
            kind,
        },
    );
    d.output_size = output_size;
    d
}

fn end(e: Endpoint) -> End {
    match e {
        Endpoint::Value(item) => End::Item {
            item,
            port: Port::Value,
        },
        Endpoint::Neurons(item) => End::Item {
            item,
            port: Port::Neurons,
        },
        Endpoint::Learning(conn) => End::Learning { conn },
    }
}

fn slice(s: &Option<Range<usize>>) -> Option<SliceDecl<usize>> {
    s.as_ref().map(|r| SliceDecl {
        lo: r.start,
        hi: Some(r.end),
        index: false,
    })
}

/// A neuron type's numeric parameters, by name (a wrapper's base type's too).
fn neuron_values(t: &NeuronType, out: &mut Vec<(&'static str, &'static str, f64)>) {
    let kind = t.name();
    let mut add = |name: &'static str, v: f64| out.push((kind, name, v));
    match t {
        NeuronType::Lif {
            tau_rc,
            tau_ref,
            min_voltage,
            amplitude,
        } => {
            add("tau_rc", *tau_rc);
            add("tau_ref", *tau_ref);
            add("min_voltage", *min_voltage);
            add("amplitude", *amplitude);
        }
        NeuronType::LifRate {
            tau_rc,
            tau_ref,
            amplitude,
        } => {
            add("tau_rc", *tau_rc);
            add("tau_ref", *tau_ref);
            add("amplitude", *amplitude);
        }
        NeuronType::RectifiedLinear { amplitude }
        | NeuronType::SpikingRectifiedLinear { amplitude } => add("amplitude", *amplitude),
        NeuronType::Direct => {}
        NeuronType::AdaptiveLif {
            tau_n,
            inc_n,
            tau_rc,
            tau_ref,
            min_voltage,
            amplitude,
        } => {
            add("tau_n", *tau_n);
            add("inc_n", *inc_n);
            add("tau_rc", *tau_rc);
            add("tau_ref", *tau_ref);
            add("min_voltage", *min_voltage);
            add("amplitude", *amplitude);
        }
        NeuronType::AdaptiveLifRate {
            tau_n,
            inc_n,
            tau_rc,
            tau_ref,
            amplitude,
        } => {
            add("tau_n", *tau_n);
            add("inc_n", *inc_n);
            add("tau_rc", *tau_rc);
            add("tau_ref", *tau_ref);
            add("amplitude", *amplitude);
        }
        NeuronType::Izhikevich {
            tau_recovery,
            coupling,
            reset_voltage,
            reset_recovery,
        } => {
            add("tau_recovery", *tau_recovery);
            add("coupling", *coupling);
            add("reset_voltage", *reset_voltage);
            add("reset_recovery", *reset_recovery);
        }
        NeuronType::Sigmoid { tau_ref } | NeuronType::Tanh { tau_ref } => add("tau_ref", *tau_ref),
        NeuronType::RegularSpiking { base, amplitude }
        | NeuronType::StochasticSpiking { base, amplitude }
        | NeuronType::PoissonSpiking { base, amplitude } => {
            add("amplitude", *amplitude);
            neuron_values(base, out);
        }
    }
}

/// The time constant of a `Lowpass` or `Alpha` synapse.
fn synapse_param(of: ParamOf, s: &Option<Synapse>) -> Option<ParamDecl> {
    match s {
        Some(Synapse::Lowpass(tau)) => ParamDecl::new(of, "Lowpass", "tau", *tau),
        Some(Synapse::Alpha(tau)) => ParamDecl::new(of, "Alpha", "tau", *tau),
        _ => None,
    }
}

/// Every parameter value with a valid range, in the order the macro lists its literals.
fn params(net: &Network) -> Vec<ParamDecl> {
    let mut out = Vec::new();
    for (i, (_, spec)) in net.items.iter().enumerate() {
        if let ItemSpec::Ensemble(e) = spec {
            let mut vals = Vec::new();
            neuron_values(&e.neuron_type, &mut vals);
            out.extend(
                vals.into_iter().filter_map(|(kind, name, v)| {
                    ParamDecl::new(ParamOf::Neurons(i), kind, name, v)
                }),
            );
        }
    }
    for (c, spec) in net.conns.iter().enumerate() {
        let first_bad = match &spec.transform {
            Transform::Scalar(x) => Some(*x),
            Transform::Diagonal(v) => v.iter().copied().find(|x| !x.is_finite()),
            Transform::Matrix(m) => m.iter().copied().find(|x| !x.is_finite()),
        };
        if let Some(x) = first_bad {
            out.extend(ParamDecl::new(
                ParamOf::ConnTransform(c),
                "transform",
                "transform",
                x,
            ));
        }
        out.extend(synapse_param(ParamOf::ConnSynapse(c), &spec.synapse));
        match &spec.learning {
            Some(LearningRule::Pes {
                learning_rate,
                pre_synapse,
            }) => {
                out.extend(ParamDecl::new(
                    ParamOf::ConnRule(c),
                    "PES",
                    "learning_rate",
                    *learning_rate,
                ));
                out.extend(synapse_param(ParamOf::RuleSynapse(c), pre_synapse));
            }
            Some(LearningRule::Mpes {
                gain,
                threshold,
                pre_synapse,
                ..
            }) => {
                out.extend(ParamDecl::new(ParamOf::ConnRule(c), "mPES", "gain", *gain));
                out.extend(ParamDecl::new(
                    ParamOf::ConnRule(c),
                    "mPES",
                    "threshold",
                    *threshold,
                ));
                out.extend(synapse_param(ParamOf::RuleSynapse(c), pre_synapse));
            }
            None => {}
        }
    }
    for (q, (_, p)) in net.probes.iter().enumerate() {
        out.extend(synapse_param(ParamOf::ProbeSynapse(q), &p.synapse));
        if let Some(every) = p.sample_every {
            out.extend(ParamDecl::new(
                ParamOf::Probe(q),
                "probe",
                "sample_every",
                every,
            ));
        }
    }
    out
}

/// The network as the rule set reads it (indices already checked).
fn declared(net: &Network) -> Declared<usize> {
    let items = net
        .items
        .iter()
        .map(|(name, spec)| match spec {
            ItemSpec::Ensemble(e) => ensemble_decl(name, e),
            ItemSpec::Node {
                size_in,
                size_out,
                output,
            } => node_decl(net, name, *size_in, *size_out, output),
        })
        .collect();
    let conns = net
        .conns
        .iter()
        .enumerate()
        .map(|(c, spec)| ConnDecl {
            label: Cow::Owned(conn_label(net, c)),
            pre: end(spec.pre),
            pre_slice: slice(&spec.pre_slice),
            post: end(spec.post),
            post_slice: slice(&spec.post_slice),
            function: spec.function.as_ref().map(|f| FunctionDecl {
                size_out: Some(f.size_out),
                identity: false,
            }),
            transform: match &spec.transform {
                Transform::Scalar(_) => TransformDecl::Scalar,
                Transform::Diagonal(v) => TransformDecl::Diagonal(v.len()),
                Transform::Matrix(m) => TransformDecl::Matrix {
                    rows: m.nrows(),
                    cols: m.ncols(),
                },
            },
            synapse: spec.synapse.is_some(),
            rule: spec.learning.as_ref().map(|r| match r {
                LearningRule::Pes { .. } => RuleKind::Pes,
                LearningRule::Mpes { .. } => RuleKind::Mpes,
            }),
            weight_solver: spec.solver.weights,
            storage_f32: spec.weight_storage == WeightStorage::F32,
        })
        .collect();
    let probes = net
        .probes
        .iter()
        .map(|(name, p)| plan::Probe {
            name: Cow::Owned(name.clone()),
            target: match p.target {
                ProbeOf::Item(i) => ProbeTarget::Item(i),
                ProbeOf::Conn(c) => ProbeTarget::Conn(c),
            },
            attr: p.attr,
            synapse: p.synapse.is_some(),
        })
        .collect();
    Declared {
        name: Cow::Owned(net.name.clone()),
        items,
        conns,
        probes,
        params: params(net),
    }
}
