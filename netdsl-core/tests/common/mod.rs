//! Shared by the integration tests: rebuilding a Nengo fixture network through the runtime API.
#![allow(dead_code)]

use std::any::Any;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use ndarray::Array2;
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::neurons::NeuronType;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::nef::dists::{Dist, VecDist};
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use serde_json::Value;

pub fn fixture(name: &str) -> Value {
    // The fixtures live in the workspace root's tests/fixtures (this module is also compiled
    // into the facade's tests, whose manifest dir is the root itself).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if root.join("tests/fixtures").is_dir() {
        root.join("tests/fixtures")
    } else {
        root.join("../tests/fixtures")
    };
    let path = dir.join(format!("{name}.json")).display().to_string();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixture JSON")
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

pub fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(f64s).collect();
    let (r, c) = (rows.len(), rows.first().map_or(0, |x| x.len()));
    Array2::from_shape_vec((r, c), rows.concat()).expect("rectangular")
}

fn synapse(v: &Value) -> Option<Synapse> {
    if v.is_null() {
        return None;
    }
    let tau = v["tau"].as_f64().expect("tau");
    Some(match v["type"].as_str().expect("type") {
        "Lowpass" => Synapse::Lowpass(tau),
        "Alpha" => Synapse::Alpha(tau),
        other => panic!("synapse {other}"),
    })
}

/// A solver as the fixtures record it: `{"type": "Nnls", "weights": true, ...parameters}` with
/// Nengo's parameter names.
pub fn solver(v: &Value) -> Solver {
    let f = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("solver {k}"));
    let weights = v["weights"].as_bool().unwrap_or(false);
    let kind = match v["type"].as_str().expect("solver type") {
        "Lstsq" => SolverKind::Lstsq { rcond: f("rcond") },
        "LstsqNoise" => SolverKind::LstsqNoise { noise: f("noise") },
        "LstsqMultNoise" => SolverKind::LstsqMultNoise { noise: f("noise") },
        "LstsqL2" => SolverKind::LstsqL2 { reg: f("reg") },
        "LstsqL2nz" => SolverKind::LstsqL2nz { reg: f("reg") },
        "LstsqL1" => SolverKind::LstsqL1 {
            l1: f("l1"),
            l2: f("l2"),
            max_iter: v["max_iter"].as_u64().expect("max_iter") as usize,
        },
        "LstsqDrop" => SolverKind::LstsqDrop {
            drop: f("drop"),
            solver1: Box::new(solver(&v["solver1"]).kind),
            solver2: Box::new(solver(&v["solver2"]).kind),
        },
        "Nnls" => SolverKind::Nnls,
        "NnlsL2" => SolverKind::NnlsL2 { reg: f("reg") },
        "NnlsL2nz" => SolverKind::NnlsL2nz { reg: f("reg") },
        "NoSolver" => SolverKind::NoSolver {
            values: (!v["values"].is_null()).then(|| matrix(&v["values"])),
        },
        other => panic!("solver {other}"),
    };
    Solver { kind, weights }
}

pub fn neuron_type(v: &Value) -> NeuronType {
    let g = |k: &str| v[k].as_f64().expect(k);
    match v["type"].as_str().expect("type") {
        "LIF" => NeuronType::Lif {
            tau_rc: g("tau_rc"),
            tau_ref: g("tau_ref"),
            min_voltage: g("min_voltage"),
            amplitude: g("amplitude"),
        },
        "LIFRate" => NeuronType::LifRate {
            tau_rc: g("tau_rc"),
            tau_ref: g("tau_ref"),
            amplitude: g("amplitude"),
        },
        "RectifiedLinear" => NeuronType::RectifiedLinear {
            amplitude: g("amplitude"),
        },
        "SpikingRectifiedLinear" => NeuronType::SpikingRectifiedLinear {
            amplitude: g("amplitude"),
        },
        "Direct" => NeuronType::Direct,
        "AdaptiveLIF" => NeuronType::AdaptiveLif {
            tau_n: g("tau_n"),
            inc_n: g("inc_n"),
            tau_rc: g("tau_rc"),
            tau_ref: g("tau_ref"),
            min_voltage: g("min_voltage"),
            amplitude: g("amplitude"),
        },
        "AdaptiveLIFRate" => NeuronType::AdaptiveLifRate {
            tau_n: g("tau_n"),
            inc_n: g("inc_n"),
            tau_rc: g("tau_rc"),
            tau_ref: g("tau_ref"),
            amplitude: g("amplitude"),
        },
        "Izhikevich" => NeuronType::Izhikevich {
            tau_recovery: g("tau_recovery"),
            coupling: g("coupling"),
            reset_voltage: g("reset_voltage"),
            reset_recovery: g("reset_recovery"),
        },
        "Sigmoid" => NeuronType::Sigmoid {
            tau_ref: g("tau_ref"),
        },
        "Tanh" => NeuronType::Tanh {
            tau_ref: g("tau_ref"),
        },
        "RegularSpiking" => NeuronType::RegularSpiking {
            base: Box::new(neuron_type(&v["base"])),
            amplitude: g("amplitude"),
        },
        "StochasticSpiking" => NeuronType::StochasticSpiking {
            base: Box::new(neuron_type(&v["base"])),
            amplitude: g("amplitude"),
        },
        "PoissonSpiking" => NeuronType::PoissonSpiking {
            base: Box::new(neuron_type(&v["base"])),
            amplitude: g("amplitude"),
        },
        other => panic!("neuron type {other}"),
    }
}

/// The forum network's deterministic memristor mock, mirroring the fixture's Python class.
pub struct Memristors {
    pub r: Vec<f64>,
    n_pre: usize,
    n_post: usize,
}

impl Memristors {
    const R0: f64 = 1e2;
    const R1: f64 = 2.5e8;

    pub fn new(n_pre: usize, n_post: usize, a: usize, b: usize, m: usize) -> Self {
        let mut r = vec![0.0; n_post * n_pre];
        for j in 0..n_post {
            for i in 0..n_pre {
                r[j * n_pre + i] = 1e8 + 1e6 * (((j * a + i * b) % m) as f64);
            }
        }
        Memristors { r, n_pre, n_post }
    }

    pub fn filter(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        for (j, o) in out.iter_mut().enumerate() {
            let row = &self.r[j * self.n_pre..(j + 1) * self.n_pre];
            *o = row
                .iter()
                .zip(x)
                .map(|(r, x)| (r - Self::R0) / (Self::R1 - Self::R0) * x)
                .sum();
        }
    }

    pub fn pulse(&mut self, _t: f64, x: &[f64], out: &mut [f64]) {
        let (o, err) = x.split_at(self.n_post);
        if err[0] > 0.0 {
            for (j, &v) in o.iter().enumerate() {
                if v > 0.0 {
                    for r in &mut self.r[j * self.n_pre..(j + 1) * self.n_pre] {
                        *r *= 0.999;
                    }
                }
            }
        }
        out.copy_from_slice(o);
    }
}

fn stage_filter(s: &mut dyn Any, t: f64, x: &[f64], out: &mut [f64]) {
    s.downcast_mut::<Memristors>()
        .expect("Memristors")
        .filter(t, x, out)
}

fn stage_pulse(s: &mut dyn Any, t: f64, x: &[f64], out: &mut [f64]) {
    s.downcast_mut::<Memristors>()
        .expect("Memristors")
        .pulse(t, x, out)
}

fn node_output(
    fx: &Value,
    node: &Value,
    net: &mut Network,
    states: &mut BTreeMap<String, usize>,
) -> NodeOutput {
    let out = &node["output"];
    match out["kind"].as_str().expect("kind") {
        "constant" => NodeOutput::Constant(f64s(&out["value"])),
        "passthrough" => NodeOutput::Passthrough,
        "function" => {
            let text = out["text"].as_str().expect("text");
            match text {
                "t" => NodeOutput::Time(Box::new(|t, o| o[0] = t)),
                "sin(10*t)" => NodeOutput::Time(Box::new(|t, o| o[0] = (10.0 * t).sin())),
                "sin(8*t)" => NodeOutput::Time(Box::new(|t, o| o[0] = (8.0 * t).sin())),
                "sin(2*pi*t)" => NodeOutput::Time(Box::new(|t, o| {
                    o[0] = (2.0 * std::f64::consts::PI * t).sin()
                })),
                "int(6*t/5)/3.0 % 2 - 1" => NodeOutput::Time(Box::new(|t, o| {
                    // Python: int() truncates, % is floored modulo (non-negative here).
                    o[0] = ((6.0 * t / 5.0).trunc() / 3.0).rem_euclid(2.0) - 1.0
                })),
                "x" => NodeOutput::TimeInput(Box::new(|_, x, o| o.copy_from_slice(x))),
                "x + 1" => NodeOutput::TimeInput(Box::new(|_, x, o| {
                    for (o, x) in o.iter_mut().zip(x) {
                        *o = x + 1.0
                    }
                })),
                stage @ ("exc.filter" | "exc.pulse" | "inh.filter" | "inh.pulse") => {
                    let (state, method) = stage.split_once('.').expect("state.method");
                    let id = *states.entry(state.to_string()).or_insert_with(|| {
                        let m = &fx["memristors"][state];
                        let n_pre = m["R_initial"][0].as_array().expect("row").len();
                        let n_post = m["R_initial"].as_array().expect("rows").len();
                        let u = |k: &str| m[k].as_u64().expect(k) as usize;
                        net.add_state(
                            state,
                            Memristors::new(n_pre, n_post, u("a"), u("b"), u("m")),
                        )
                    });
                    NodeOutput::Stage {
                        state: id,
                        method: method.to_string().into(),
                        call: if method == "filter" {
                            stage_filter
                        } else {
                            stage_pulse
                        },
                    }
                }
                other => panic!("node function `{other}` has no Rust twin in this test"),
            }
        }
        other => panic!("node kind {other}"),
    }
}

fn conn_function(text: &Value, size_in: usize) -> Option<Function> {
    let text = text.as_str()?;
    let (size_out, f): (usize, VecFn) = match text {
        "x" => (size_in, Box::new(|x, o| o.copy_from_slice(x))),
        "2*x" => (
            size_in,
            Box::new(|x, o| {
                for (o, x) in o.iter_mut().zip(x) {
                    *o = 2.0 * x
                }
            }),
        ),
        "x**2" => (
            size_in,
            Box::new(|x, o| {
                for (o, x) in o.iter_mut().zip(x) {
                    *o = x * x
                }
            }),
        ),
        "[0.0]" => (1, Box::new(|_, o| o[0] = 0.0)),
        "-x" => (
            size_in,
            Box::new(|x, o| {
                for (o, x) in o.iter_mut().zip(x) {
                    *o = -x;
                }
            }),
        ),
        "10*x[1]" => (1, Box::new(|x, o| o[0] = 10.0 * x[1])),
        other => panic!("connection function `{other}` has no Rust twin in this test"),
    };
    Some(Function {
        size_out,
        f,
        text: text.to_string().into(),
    })
}

/// Rebuild a fixture's network through the runtime API.
pub fn build(fx: &Value) -> Network {
    let n = &fx["network"];
    let mut net = Network::new(fx["name"].as_str().expect("name"));
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut states = BTreeMap::new();
    // Ensembles and nodes; Nengo builds ensembles first, so does the plan, whatever the order here.
    for e in n["ensembles"].as_array().expect("ensembles") {
        let name = e["name"].as_str().expect("name");
        let nn = e["n_neurons"].as_u64().expect("n") as usize;
        let d = e["dimensions"].as_u64().expect("d") as usize;
        let mut spec = EnsembleSpec::new(nn, d);
        spec.neuron_type = neuron_type(&e["neuron_type"]);
        spec.radius = e["radius"].as_f64().expect("radius");
        if !e["encoders"].is_null() {
            spec.encoders = VecDist::Fixed(matrix(&e["encoders"]));
        }
        if !e["gain"].is_null() {
            spec.gain = Some(f64s(&e["gain"]));
            spec.bias = Some(f64s(&e["bias"]));
        }
        if !e["max_rates"].is_null() {
            spec.max_rates = Dist::Fixed(f64s(&e["max_rates"]));
            spec.intercepts = Dist::Fixed(f64s(&e["intercepts"]));
        }
        if !e["eval_points"].is_null() {
            spec.eval_points = VecDist::Fixed(matrix(&e["eval_points"]));
        }
        if !e["initial_voltage"].is_null() {
            spec.initial_voltage = Some(Dist::Fixed(f64s(&e["initial_voltage"])));
        }
        if let Some(state) = e.get("initial_state").and_then(|s| s.as_object()) {
            for (k, v) in state {
                spec.initial_state.push((k.clone(), Dist::Fixed(f64s(v))));
            }
        }
        ids.insert(name.into(), net.add_ensemble(name, spec));
    }
    for node in n["nodes"].as_array().expect("nodes") {
        let name = node["name"].as_str().expect("name");
        let output = node_output(fx, node, &mut net, &mut states);
        let size_in = node["size_in"].as_u64().expect("size_in") as usize;
        let size_out = node["size_out"].as_u64().expect("size_out") as usize;
        ids.insert(name.into(), net.add_node(name, size_in, size_out, output));
    }
    let mut conn_ids: BTreeMap<String, usize> = BTreeMap::new();
    let end = |s: &str, ids: &BTreeMap<String, usize>, conn_ids: &BTreeMap<String, usize>| {
        if let Some(base) = s.strip_suffix(".neurons") {
            Endpoint::Neurons(ids[base])
        } else if let Some(base) = s.strip_suffix(".learning_rule") {
            Endpoint::Learning(conn_ids[base])
        } else {
            Endpoint::Value(ids[s])
        }
    };
    let slice = |v: &Value| {
        v.as_array()
            .map(|a| a[0].as_u64().expect("lo") as usize..a[1].as_u64().expect("hi") as usize)
    };
    for c in n["connections"].as_array().expect("connections") {
        let pre = end(c["pre"].as_str().expect("pre"), &ids, &conn_ids);
        let post = end(c["post"].as_str().expect("post"), &ids, &conn_ids);
        let mut spec = ConnectionSpec::new(pre, post);
        spec.label = Some(c["name"].as_str().expect("name").to_string());
        spec.pre_slice = slice(&c["pre_slice"]);
        spec.post_slice = slice(&c["post_slice"]);
        let size_in = c["size_in"].as_u64().expect("size_in") as usize;
        spec.function = conn_function(&c["function"], size_in);
        spec.transform = match &c["transform"] {
            Value::Null => Transform::Scalar(1.0),
            Value::Number(x) => Transform::Scalar(x.as_f64().expect("scalar")),
            Value::Array(a) if a.first().is_some_and(|r| r.is_array()) => {
                Transform::Matrix(matrix(&c["transform"]))
            }
            Value::Array(_) => Transform::Diagonal(f64s(&c["transform"])),
            other => panic!("transform {other}"),
        };
        spec.synapse = synapse(&c["synapse"]);
        if c["solver"].is_object() {
            spec.solver = solver(&c["solver"]);
        }
        if !c["eval_points"].is_null() {
            spec.eval_points = Some(matrix(&c["eval_points"]));
        }
        if let Some(lr) = c["learning_rule"].as_object() {
            assert_eq!(lr["type"], "PES");
            spec.learning = Some(LearningRule::Pes {
                learning_rate: lr["learning_rate"].as_f64().expect("lr"),
                pre_synapse: synapse(&lr["pre_synapse"]),
            });
        }
        let name = c["name"].as_str().expect("name").to_string();
        conn_ids.insert(name, net.connect(spec));
    }
    for p in n["probes"].as_array().expect("probes") {
        let target = p["target"].as_str().expect("target");
        let attr = p["attr"].as_str().expect("attr");
        let (of, attr) = match (p["target_kind"].as_str().expect("kind"), attr) {
            ("ensemble", "decoded_output") => (ProbeOf::Item(ids[target]), ProbeAttr::Value),
            ("node", "output") => (ProbeOf::Item(ids[target]), ProbeAttr::Value),
            ("neurons", a) => {
                let base = target.strip_suffix(".neurons").expect("neurons target");
                let attr = match a {
                    "output" | "spikes" => ProbeAttr::Spikes,
                    "voltage" => ProbeAttr::Voltage,
                    "input" => ProbeAttr::Input,
                    "refractory_time" => ProbeAttr::Refractory,
                    "adaptation" => ProbeAttr::Adaptation,
                    "recovery" => ProbeAttr::Recovery,
                    "rate_out" => ProbeAttr::RateOut,
                    other => panic!("neurons attr {other}"),
                };
                (ProbeOf::Item(ids[base]), attr)
            }
            ("connection", "weights") => (ProbeOf::Conn(conn_ids[target]), ProbeAttr::Weights),
            (k, a) => panic!("probe {k}.{a}"),
        };
        let mut spec = ProbeSpec::new(of, attr);
        if p["solver"].is_object() {
            spec.solver = solver(&p["solver"]);
        }
        spec.synapse = synapse(&p["synapse"]);
        spec.sample_every = p["sample_every"].as_f64();
        net.probe(p["name"].as_str().expect("name"), spec);
    }
    net
}

/// (edge title, text labels) of every `<g class="edge">` of an SVG made by `dot`.
pub fn rendered_edges(svg: &str) -> Vec<(String, Vec<String>)> {
    let unescape = |s: &str| {
        s.replace("&#45;", "-")
            .replace("&gt;", ">")
            .replace("&lt;", "<")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&#160;", " ")
    };
    let mut out = Vec::new();
    for chunk in svg.split("<g id=\"").skip(1) {
        let tag_end = chunk.find('>').expect("tag");
        if !chunk[..tag_end].contains("class=\"edge\"") {
            continue;
        }
        let body = &chunk[tag_end + 1..];
        let body = &body[..body.find("</g>").unwrap_or(body.len())];
        let title = body
            .find("<title>")
            .map(|i| {
                let t = &body[i + 7..];
                unescape(&t[..t.find("</title>").expect("title end")])
            })
            .unwrap_or_default();
        let texts = body
            .split("<text")
            .skip(1)
            .map(|t| {
                let t = &t[t.find('>').expect("text tag") + 1..];
                unescape(&t[..t.find("</text>").expect("text end")])
            })
            .collect();
        out.push((title, texts));
    }
    out
}

pub fn render(dot: &str) -> Option<String> {
    let mut child = match Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            eprintln!("note: Graphviz `dot` is not installed; rendering check skipped");
            return None;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(dot.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("dot");
    assert!(
        out.status.success(),
        "dot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf8"))
}
