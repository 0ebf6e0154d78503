//! Encoders: normalised to unit length and scaled by gain over radius.

use ndarray::Array2;

/// Errors from [`normalize_encoders`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncoderError {
    /// This encoder row has zero (or non-finite) length, so it cannot be normalised.
    #[error(
        "encoder {0} has zero or non-finite length and cannot be normalised; give it a non-zero \
         length or turn encoder normalisation off"
    )]
    ZeroLength(usize),
}

/// Divides each encoder row by its Euclidean length (Nengo's `normalize_encoders=True`).
pub fn normalize_encoders(encoders: &Array2<f64>) -> Result<Array2<f64>, EncoderError> {
    let mut out = encoders.clone();
    for (i, mut row) in out.rows_mut().into_iter().enumerate() {
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return Err(EncoderError::ZeroLength(i));
        }
        row.mapv_inplace(|v| v / norm);
    }
    Ok(out)
}

/// `encoders * (gain / radius)` per row: the matrix that maps an ensemble's input to neuron
/// currents (Nengo's `scaled_encoders`, n_neurons × d).
///
/// # Panics
/// If `gain` does not have one entry per encoder row.
pub fn scaled_encoders(encoders: &Array2<f64>, gain: &[f64], radius: f64) -> Array2<f64> {
    assert_eq!(encoders.nrows(), gain.len(), "one gain per encoder row");
    let mut out = encoders.clone();
    for (mut row, &g) in out.rows_mut().into_iter().zip(gain) {
        let s = g / radius;
        row.mapv_inplace(|v| v * s);
    }
    out
}
