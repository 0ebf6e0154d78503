//! Binding: every plan op becomes an executable [`Op`] over its store ranges, with the
//! parameters the build computed (biases, encoders, neuron steppers, filters, weights, user
//! closures); then the ensembles' biases are folded into their encoder ops and every op's ranges
//! are checked once.

use std::ops::Range;

use super::data::{ConnData, EnsembleData};
use super::decoders::{DecoderSolve, SolveKey, Solved};
use super::ensembles::seed_for;

use super::PlanIndex;
use crate::error::{BuildError, SolveFor};
use crate::models::learning::LearningRule;
use crate::models::neurons::NeuronStepper;
use crate::models::synapses::Synapse;
use crate::network::{Endpoint, Function, ItemSpec, Network, NodeOutput};
use crate::plan::{self, OpKind, Owner, ProbeTarget, Shape, Structure};
use crate::step::ops::{transpose_in_place, Op, WeightValues, WeightsKind};
use crate::step::signals::Layout;
use crate::step::workers::{Access, External};

/// The bound ops, in plan order.
pub(super) struct BoundOps {
    pub ops: Vec<Op>,
    /// Per op: its plan name (`kind label`), for errors.
    pub op_names: Vec<String>,
    pub access: Vec<Access>,
    /// Signals kept outside the store (column-major private weight matrices).
    pub ext_signals: Vec<(usize, WeightValues)>,
    /// The seed processes are reset from (plus the item index).
    pub process_seed: u64,
}

/// Binds every plan op to an executable op, in plan order (taking the node outputs, closures and
/// stage calls out of `net`), then folds the biases.
#[allow(clippy::too_many_arguments)]
pub(super) fn bind_ops(
    net: &mut Network,
    dt: f64,
    structure: &Structure<usize>,
    q: &PlanIndex<'_>,
    ensembles: &[Option<EnsembleData>],
    conn_data: &[ConnData],
    memristor_of: &[usize],
    solved: &mut Solved,
    layout: &Layout,
    store: &mut [f64],
) -> Result<BoundOps, BuildError> {
    let plan = q.plan;
    // Bind every plan op to an executable op, in plan order.
    let mut ops = Vec::with_capacity(plan.ops.len());
    let mut op_names = Vec::with_capacity(plan.ops.len());
    let mut access = Vec::with_capacity(plan.ops.len());
    let mut items: Vec<Option<ItemSpec>> = net.items.drain(..).map(|(_, s)| Some(s)).collect();
    let mut node_outputs: Vec<Option<NodeOutput>> = items
        .iter_mut()
        .map(|s| match s.take() {
            Some(ItemSpec::Node { output, .. }) => Some(output),
            Some(other) => {
                *s = Some(other);
                None
            }
            None => None,
        })
        .collect();
    let mut functions: Vec<Option<Function>> =
        net.conns.iter_mut().map(|c| c.function.take()).collect();
    let process_seed = seed_for(net.seed.wrapping_add(1), 0);
    let mut ext_signals: Vec<(usize, WeightValues)> = Vec::new();
    for desc in plan.ops.iter() {
        let r = |k: usize, v: &[plan::SigRef<usize>]| layout.range(&v[k]);
        let op = match (desc.kind, desc.owner) {
            (OpKind::Time, _) => Some(Op::Time {
                t: layout.range(&desc.sets[0]).start,
            }),
            (OpKind::Reset, _) => Some(Op::Reset {
                dst: r(0, &desc.sets),
            }),
            (OpKind::Bias, Owner::Item(i)) => Some(Op::Bias {
                j: r(0, &desc.sets),
                bias: ensembles[i].as_ref().expect("ensemble").bias.clone(),
            }),
            (OpKind::Encode, Owner::Item(i)) => Some(Op::Encode {
                j: r(0, &desc.incs),
                x: r(0, &desc.reads),
                enc: ensembles[i]
                    .as_ref()
                    .expect("ensemble")
                    .scaled_encoders
                    .iter()
                    .copied()
                    .collect(),
                bias: Vec::new(),
            }),
            (OpKind::Neurons, Owner::Item(i)) => {
                let Some(ItemSpec::Ensemble(e)) = &items[i] else {
                    unreachable!()
                };
                // The state signals follow the output in the plan's order: voltage,
                // refractory, adaptation, recovery, rate_out (those the class has).
                let st = e.neuron_type.class().states();
                let mut next = desc.sets.iter().skip(1);
                let mut take = |has: bool| {
                    if has {
                        layout.range(next.next().expect("neuron state signal"))
                    } else {
                        0..0
                    }
                };
                let voltage = take(st.voltage);
                let refractory = take(st.refractory);
                let adaptation = take(st.adaptation);
                let recovery = take(st.recovery);
                let rate_out = take(st.rate_out);
                let seed = ensembles[i].as_ref().map_or(0, |d| d.neuron_seed);
                Some(Op::Neurons {
                    neuron: NeuronStepper::new(&e.neuron_type, dt).with_seed(seed),
                    j: r(0, &desc.reads),
                    out: r(0, &desc.sets),
                    voltage,
                    refractory,
                    // Adaptation and recovery never both exist.
                    aux: if adaptation.is_empty() {
                        recovery
                    } else {
                        adaptation
                    },
                    rate_out,
                })
            }
            (OpKind::Node, Owner::Item(i)) => {
                let out = r(0, &desc.sets);
                let x = desc.reads.get(1).map(|s| layout.range(s)).unwrap_or(0..0);
                match node_outputs[i].take().expect("node output") {
                    NodeOutput::Time(f) => Some(Op::NodeTime { out, f }),
                    NodeOutput::TimeInput(f) => Some(Op::NodeTimeInput { x, out, f }),
                    NodeOutput::Stage { state, call, .. } => Some(Op::NodeStage {
                        state,
                        x,
                        out,
                        call,
                    }),
                    NodeOutput::Process(mut p) => {
                        p.set_dt(dt);
                        p.reset(process_seed.wrapping_add(i as u64));
                        Some(Op::NodeProcess { out, process: p })
                    }
                    NodeOutput::Constant(_) | NodeOutput::Passthrough => None,
                }
            }
            (OpKind::Function, Owner::Conn(c)) => Some(Op::Function {
                x: r(0, &desc.reads),
                out: r(0, &desc.sets),
                f: functions[c].take().expect("function").f,
            }),
            (OpKind::Weights, owner) => {
                let x = r(0, &desc.reads);
                let w = r(1, &desc.reads);
                let out = r(0, &desc.sets);
                let shape = plan.signals[desc.reads[1].signal].shape;
                let wsig = desc.reads[1].signal;
                if let Owner::Conn(c) = owner {
                    let cw = &conn_data[c].weights;
                    if cw.col_major {
                        ext_signals.push((wsig, cw.data.clone()));
                        let cols = x.len();
                        let op = Op::WeightsCols {
                            x,
                            w: cw.data.clone(),
                            out,
                            rows: cw.rows,
                            nz: Vec::with_capacity(cols),
                        };
                        access.push(op_access(desc, &op));
                        ops.push(op);
                        op_names.push(format!("{} {}", desc.kind.name(), desc.label));
                        continue;
                    }
                }
                // A matrix no other op touches (not learned, not probed) is stored
                // column-major, so a spike reads one contiguous column (same sums).
                let private = q.private(wsig);
                let kind = match shape {
                    Shape::Mat(rows, cols) if rows > 1 && private => {
                        WeightsKind::DenseColMajor { rows, cols }
                    }
                    Shape::Mat(rows, cols) => WeightsKind::Dense { rows, cols },
                    Shape::Vec(1) if out.len() != 1 || x.len() == 1 => WeightsKind::Scalar,
                    Shape::Vec(_) => WeightsKind::Diagonal,
                };
                if let Owner::Probe(p) = owner {
                    // A decoded-value probe: its own decoders (identity function).
                    let ProbeTarget::Item(i) = structure.probes[p].target else {
                        unreachable!()
                    };
                    let Some(ItemSpec::Ensemble(pspec)) = &items[i] else {
                        unreachable!()
                    };
                    let ens = ensembles[i].as_ref().expect("ensemble");
                    let d = match solved.remove(&SolveKey::Probe(p)) {
                        Some(d) => d,
                        None => DecoderSolve::probe(net, p, pspec, ens).solve(),
                    }
                    .map_err(|source| BuildError::Solve {
                        of: SolveFor::Probe {
                            probe: p,
                            name: structure.probes[p].name.to_string(),
                        },
                        source,
                    })?;
                    let dt_ = d.t();
                    store[w.clone()].copy_from_slice(&dt_.iter().copied().collect::<Vec<_>>());
                }
                if let WeightsKind::DenseColMajor { rows, cols } = kind {
                    transpose_in_place(&mut store[w.clone()], rows, cols);
                }
                let cols = x.len();
                Some(Op::Weights {
                    x,
                    w,
                    out,
                    kind,
                    nz: Vec::with_capacity(cols),
                })
            }
            (OpKind::MemristorFilter, Owner::Conn(c)) => Some(Op::MemristorFilter {
                array: memristor_of[c],
                x: r(0, &desc.reads),
                out: r(0, &desc.sets),
            }),
            (OpKind::Synapse, Owner::Conn(c)) => {
                let syn = net.conns[c].synapse.clone().expect("synapse");
                Some(filter_op(&syn, dt, r(0, &desc.reads), r(0, &desc.updates)))
            }
            (OpKind::ProbeSynapse, Owner::Probe(p)) => {
                let syn = net.probes[p].1.synapse.clone().expect("synapse");
                Some(filter_op(&syn, dt, r(0, &desc.reads), r(0, &desc.updates)))
            }
            (OpKind::PreFilter, Owner::Conn(c)) => {
                let syn = match &net.conns[c].learning {
                    Some(LearningRule::Pes { pre_synapse, .. })
                    | Some(LearningRule::Mpes { pre_synapse, .. }) => pre_synapse.clone(),
                    None => unreachable!("rule"),
                };
                match syn {
                    Some(s) => Some(filter_op(&s, dt, r(0, &desc.reads), r(0, &desc.sets))),
                    None => Some(Op::Reset { dst: 0..0 }).and(Some(Op::Inc {
                        src: r(0, &desc.reads),
                        dst: r(0, &desc.sets),
                    })),
                }
            }
            (OpKind::Inc, _) => Some(Op::Inc {
                src: r(0, &desc.reads),
                dst: r(0, &desc.incs),
            }),
            (OpKind::GainInc, Owner::Conn(c)) => {
                let Endpoint::Neurons(post) = net.conns[c].post else {
                    unreachable!("gain-inc targets neurons")
                };
                let gains = &ensembles[post].as_ref().expect("ensemble").gain;
                let range = net.conns[c].post_slice.clone().unwrap_or(0..gains.len());
                Some(Op::GainInc {
                    src: r(0, &desc.reads),
                    dst: r(0, &desc.incs),
                    gain: gains[range].to_vec(),
                })
            }
            (OpKind::LocalError, Owner::Conn(c)) => {
                let post = match net.conns[c].post {
                    Endpoint::Neurons(i) | Endpoint::Value(i) => i,
                    Endpoint::Learning(_) => unreachable!(),
                };
                let se = &ensembles[post].as_ref().expect("ensemble").scaled_encoders;
                let rows = match (net.conns[c].post, &net.conns[c].post_slice) {
                    (Endpoint::Neurons(_), Some(s)) => s.clone(),
                    _ => 0..se.nrows(),
                };
                Some(Op::LocalError {
                    err: r(0, &desc.reads),
                    local: r(0, &desc.incs),
                    enc: se.slice(ndarray::s![rows, ..]).iter().copied().collect(),
                })
            }
            (OpKind::Pes, Owner::Conn(c)) => {
                let Some(LearningRule::Pes { learning_rate, .. }) = &net.conns[c].learning else {
                    unreachable!()
                };
                let acts = r(0, &desc.reads);
                let alpha = -learning_rate * dt / acts.len() as f64;
                Some(Op::Pes {
                    acts,
                    err: r(1, &desc.reads),
                    delta: r(0, &desc.updates),
                    alpha,
                })
            }
            (OpKind::ApplyDelta, _) => Some(Op::ApplyDelta {
                delta: r(0, &desc.reads),
                w: r(0, &desc.incs),
            }),
            (OpKind::MemristorPulse, Owner::Conn(c)) => Some(Op::MemristorPulse {
                array: memristor_of[c],
                acts: r(0, &desc.reads),
                err: r(1, &desc.reads),
            }),
            (OpKind::Copy, _) => Some(Op::Copy {
                src: r(0, &desc.reads),
                dst: r(0, &desc.sets),
            }),
            (OpKind::Probe, _) => None,
            (kind, owner) => unreachable!("op {kind:?} of {owner:?}"),
        };
        if let Some(op) = op {
            access.push(op_access(desc, &op));
            ops.push(op);
            op_names.push(format!("{} {}", desc.kind.name(), desc.label));
        }
    }
    fold_biases(&mut ops, &access);
    Ok(BoundOps {
        ops,
        op_names,
        access,
        ext_signals,
        process_seed,
    })
}

/// Every op's store ranges are fixed from here on: checked once, so that stepping can split the
/// store without checks (`Op::run_unchecked`).
pub(super) fn check_ops(ops: &[Op], op_names: &[String], len: usize) -> Result<(), BuildError> {
    for (i, op) in ops.iter().enumerate() {
        op.check_ranges(len).map_err(|m| {
            let name = op_names.get(i).cloned().unwrap_or_default();
            BuildError::Internal {
                what: name,
                message: m,
            }
        })?;
    }
    Ok(())
}

/// The signals `op` (built from `desc`) reads and writes, for the multi-threaded schedule.
fn op_access(desc: &plan::OpDesc<usize>, op: &Op) -> Access {
    Access {
        reads: desc.reads.iter().map(|r| r.signal).collect(),
        writes: desc
            .sets
            .iter()
            .chain(desc.incs.iter())
            .chain(desc.updates.iter())
            .map(|r| r.signal)
            .collect(),
        external: match op {
            Op::NodeTime { .. }
            | Op::NodeTimeInput { .. }
            | Op::NodeProcess { .. }
            | Op::Function { .. } => External::Ordered,
            Op::NodeStage { state, .. } => External::State(*state),
            Op::MemristorFilter { array, .. } | Op::MemristorPulse { array, .. } => {
                External::Memristor(*array)
            }
            _ => External::None,
        },
    }
}

/// Folds each ensemble's bias into its encoder op where the encoder op is the next op to touch
/// `J` after the bias op: the encoder then sets `J = bias + E · x` (the same sums) and the bias
/// op copies nothing. One pass over `J` and one copy fewer per ensemble and step; the plan,
/// the op list and every value are unchanged.
fn fold_biases(ops: &mut [Op], access: &[Access]) {
    for b in 0..ops.len() {
        let Op::Bias { j, .. } = &ops[b] else {
            continue;
        };
        let (j, sig) = (j.clone(), access[b].writes.first().copied());
        let Some(sig) = sig else { continue };
        let next = (b + 1..ops.len())
            .find(|&k| access[k].reads.contains(&sig) || access[k].writes.contains(&sig));
        let Some(e) = next else { continue };
        if !matches!(&ops[e], Op::Encode { j: je, bias, .. } if *je == j && bias.is_empty()) {
            continue;
        }
        let Op::Bias { bias, j: jb } = &mut ops[b] else {
            unreachable!()
        };
        let bias = std::mem::take(bias);
        *jb = j.start..j.start;
        if let Op::Encode { bias: folded, .. } = &mut ops[e] {
            *folded = bias;
        }
    }
}

fn filter_op(syn: &Synapse, dt: f64, x: Range<usize>, out: Range<usize>) -> Op {
    let filter = syn.discretize(dt);
    let state = vec![0.0; filter.state_len() * out.len()];
    Op::Filter {
        x,
        out,
        filter,
        state,
    }
}
