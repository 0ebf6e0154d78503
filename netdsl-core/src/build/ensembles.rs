//! The NEF parameters of each ensemble: evaluation points, encoders, gains and biases, initial
//! voltages, drawn from the ensemble's seed (or the network's) as Nengo 4.1 draws them.

use ndarray::Array2;

use super::data::EnsembleData;
use crate::error::BuildError;
use crate::models::neurons::{NeuronError, NeuronType};
use crate::nef::eval_points::default_n_eval_points;
use crate::nef::rng::Rng;
use crate::network::{EnsembleSpec, ItemSpec, Network};

/// The NEF parameters of every ensemble of `net` (`None` for the nodes), in item order.
pub(super) fn build_ensembles(net: &Network) -> Result<Vec<Option<EnsembleData>>, BuildError> {
    let mut ensembles = Vec::with_capacity(net.items.len());
    for (i, (name, spec)) in net.items.iter().enumerate() {
        ensembles.push(match spec {
            ItemSpec::Ensemble(e) => Some(build_ensemble(net, i, name, e)?),
            ItemSpec::Node { .. } => None,
        });
    }
    Ok(ensembles)
}

pub(super) fn seed_for(net_seed: u64, stream: u64) -> u64 {
    Rng::derive(net_seed, stream).next_u64()
}

pub(super) fn build_ensemble(
    net: &Network,
    i: usize,
    name: &str,
    e: &EnsembleSpec,
) -> Result<EnsembleData, BuildError> {
    let seed = e.seed.unwrap_or_else(|| seed_for(net.seed, i as u64));
    let mut rng = Rng::new(seed);
    let (n, d) = (e.n_neurons, e.dimensions);
    let n_eval = e
        .n_eval_points
        .unwrap_or_else(|| default_n_eval_points(n, d));
    let eval_points = match &e.eval_points {
        crate::nef::dists::VecDist::Fixed(a) => a.clone(),
        dist => dist.sample(n_eval, d, &mut rng),
    } * e.radius;
    if eval_points.ncols() != d {
        return Err(BuildError::EvalPointsShape {
            ensemble: name.to_string(),
            item: i,
            dims: d,
            cols: eval_points.ncols(),
        });
    }
    if e.neuron_type == NeuronType::Direct {
        return Ok(EnsembleData {
            encoders: Array2::eye(d),
            gain: vec![1.0; d],
            bias: vec![0.0; d],
            scaled_encoders: Array2::eye(d),
            eval_points,
            initial_voltage: vec![],
            initial_state: vec![],
            neuron_seed: 0,
        });
    }
    let neuron_err = |source: NeuronError| BuildError::Neurons {
        ensemble: name.to_string(),
        item: i,
        source,
    };
    e.neuron_type.check().map_err(neuron_err)?;
    let names = e.neuron_type.state_names();
    for (key, _) in &e.initial_state {
        if key == "voltage" || !names.contains(&key.as_str()) {
            let list = names
                .iter()
                .filter(|s| key == "voltage" || **s != "voltage")
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(neuron_err(NeuronError::Invalid(if key == "voltage" {
                "the initial voltage is set with `initial_voltage`, not `initial_state`".into()
            } else {
                format!("State variable '{key}' not recognized; should be one of {list}")
            })));
        }
    }
    let mut encoders = e.encoders.sample(n, d, &mut rng);
    if encoders.nrows() != n || encoders.ncols() != d {
        return Err(BuildError::EncodersShape {
            ensemble: name.to_string(),
            item: i,
            n,
            d,
            rows: encoders.nrows(),
            cols: encoders.ncols(),
        });
    }
    if e.normalize_encoders {
        for mut row in encoders.rows_mut() {
            let norm = row.dot(&row).sqrt();
            if norm > 0.0 {
                row /= norm;
            }
        }
    }
    let (gain, bias) = match (&e.gain, &e.bias) {
        (Some(g), Some(b)) => {
            // Nengo still draws max_rates and intercepts (for information) before using these.
            let _ = e.max_rates.sample(n, &mut rng);
            let _ = e.intercepts.sample(n, &mut rng);
            if g.len() != n || b.len() != n {
                return Err(BuildError::GainBiasLength {
                    ensemble: name.to_string(),
                    item: i,
                    n,
                    gain: g.len(),
                    bias: b.len(),
                });
            }
            (g.clone(), b.clone())
        }
        _ => {
            let mr = e.max_rates.sample(n, &mut rng);
            let ic = e.intercepts.sample(n, &mut rng);
            e.neuron_type
                .gain_bias(&mr, &ic)
                .map_err(|source| BuildError::Neurons {
                    ensemble: name.to_string(),
                    item: i,
                    source,
                })?
        }
    };
    let mut scaled_encoders = encoders.clone();
    for (r, mut row) in scaled_encoders.rows_mut().into_iter().enumerate() {
        row *= gain[r] / e.radius;
    }
    let mut vrng = Rng::new(seed.wrapping_add(1));
    let initial_voltage = match &e.initial_voltage {
        Some(dist) => dist.sample(n, &mut vrng),
        None => crate::nef::dists::Dist::Uniform {
            low: 0.0,
            high: 1.0,
        }
        .sample(n, &mut vrng),
    };
    // The other state variables, in Nengo's order, from the same generator; 0 by default.
    let mut initial_state = Vec::new();
    for key in names.iter().filter(|s| **s != "voltage") {
        let values = match e.initial_state.iter().find(|(k, _)| k == key) {
            Some((_, dist)) => dist.sample(n, &mut vrng),
            None => vec![0.0; n],
        };
        if values.len() != n {
            return Err(neuron_err(NeuronError::Invalid(format!(
                "initial {key} needs {n} values, got {}",
                values.len()
            ))));
        }
        initial_state.push((key.to_string(), values));
    }
    Ok(EnsembleData {
        encoders,
        gain,
        bias,
        scaled_encoders,
        eval_points,
        initial_voltage,
        initial_state,
        neuron_seed: seed.wrapping_add(2),
    })
}
