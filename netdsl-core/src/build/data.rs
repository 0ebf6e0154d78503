//! What the build produced, as users read it: per ensemble ([`EnsembleData`]) and per
//! connection ([`ConnData`], its [`Weights`]).

use std::sync::Arc;

use ndarray::Array2;

use crate::network::WeightStorage;
use crate::step::ops::WeightValues;

/// What the NEF build produced for one ensemble.
#[derive(Clone, Debug, PartialEq)]
pub struct EnsembleData {
    /// Unit-length encoders (n × d).
    pub encoders: Array2<f64>,
    /// Gains.
    pub gain: Vec<f64>,
    /// Biases.
    pub bias: Vec<f64>,
    /// `encoders · gain / radius` (n × d).
    pub scaled_encoders: Array2<f64>,
    /// Evaluation points, scaled by the radius (m × d).
    pub eval_points: Array2<f64>,
    /// Initial voltages.
    pub initial_voltage: Vec<f64>,
    /// Initial values of the other state variables the neuron type has (Nengo's names:
    /// `refractory_time`, `adaptation`, `recovery`), in Nengo's order.
    pub initial_state: Vec<(String, Vec<f64>)>,
    /// Seed of the neurons' own generator (StochasticSpiking, PoissonSpiking).
    pub(crate) neuron_seed: u64,
}

/// A connection's initial weight signal. Iterates row-major (`rows × cols`, or the vector) and
/// shares its values with the op that multiplies by them when no other op touches the matrix
/// (then it is kept column-major, once, outside the signal store).
#[derive(Clone, Debug, PartialEq)]
pub struct Weights {
    pub(crate) data: WeightValues,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) col_major: bool,
}

impl Weights {
    pub(crate) fn row_major(data: Vec<f64>, rows: usize, cols: usize) -> Self {
        Weights {
            data: WeightValues::F64(Arc::new(data)),
            rows,
            cols,
            col_major: false,
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there are no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// `(rows, cols)` (a vector is `(n, 1)`).
    pub fn dim(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The value at row `r`, column `c`.
    pub fn get(&self, r: usize, c: usize) -> f64 {
        if self.col_major {
            self.data.get(c * self.rows + r)
        } else {
            self.data.get(r * self.cols + c)
        }
    }

    /// How the values are stored: `f64`, or `f32` when the connection asked for it.
    pub fn storage(&self) -> WeightStorage {
        self.data.storage()
    }

    /// Bytes the values take.
    pub fn bytes(&self) -> usize {
        self.data.bytes()
    }

    /// The values in row-major order (as `f64`).
    pub fn iter(&self) -> WeightsIter<'_> {
        WeightsIter {
            w: self,
            k: 0,
            r: 0,
            c: 0,
        }
    }

    /// The values in row-major order, copied.
    pub fn to_vec(&self) -> Vec<f64> {
        self.iter().collect()
    }
}

/// Row-major iterator over [`Weights`] (the values as `f64`).
pub struct WeightsIter<'a> {
    w: &'a Weights,
    k: usize,
    r: usize,
    c: usize,
}

impl Iterator for WeightsIter<'_> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        if self.k >= self.w.data.len() {
            return None;
        }
        self.k += 1;
        if !self.w.col_major {
            return Some(self.w.data.get(self.k - 1));
        }
        let v = self.w.data.get(self.c * self.w.rows + self.r);
        self.c += 1;
        if self.c == self.w.cols {
            self.c = 0;
            self.r += 1;
        }
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.w.data.len() - self.k;
        (n, Some(n))
    }
}

impl ExactSizeIterator for WeightsIter<'_> {}

impl<'a> IntoIterator for &'a Weights {
    type Item = f64;
    type IntoIter = WeightsIter<'a>;

    fn into_iter(self) -> WeightsIter<'a> {
        self.iter()
    }
}

/// What the build produced for one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnData {
    /// Decoders (n_pre × k), for decoded connections from neurons.
    pub decoders: Option<Array2<f64>>,
    /// The initial weight signal (row-major).
    pub weights: Weights,
    /// Its shape.
    pub weights_shape: Vec<usize>,
}
