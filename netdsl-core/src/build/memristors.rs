//! The device arrays of the memristive (mPES) connections.

use super::ensembles::seed_for;
use super::PlanIndex;
use crate::models::learning::LearningRule;
use crate::models::memristor::{Device, MemristorArray};
use crate::nef::rng::Rng;
use crate::network::Network;
use crate::plan::Shape;

/// One array per mPES connection, in connection order, each from its own seed (or one drawn from
/// the network seed), and each connection's index into them (`usize::MAX` for the others).
pub(super) fn build_memristors(
    net: &Network,
    q: &PlanIndex<'_>,
) -> (Vec<MemristorArray<Device>>, Vec<usize>) {
    let mut memristors = Vec::new();
    let mut memristor_of = vec![usize::MAX; net.conns.len()];
    for (c, spec) in net.conns.iter().enumerate() {
        let Some(LearningRule::Mpes {
            gain,
            model,
            variability,
            seed,
            ..
        }) = &spec.learning
        else {
            continue;
        };
        let wsig = q.weights_op(c).reads[1].signal;
        let (rows, cols) = match q.plan.signals[wsig].shape {
            Shape::Mat(r, c) => (r, c),
            Shape::Vec(_) => unreachable!("mPES weights are a matrix"),
        };
        let seed = seed.unwrap_or_else(|| seed_for(net.seed, 1_000_000 + c as u64));
        let mut rng = Rng::new(seed);
        let array = MemristorArray::new(*model, rows, cols, *gain, *variability, &mut rng);
        memristor_of[c] = memristors.len();
        memristors.push(array);
    }
    (memristors, memristor_of)
}
