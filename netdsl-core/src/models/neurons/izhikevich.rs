//! Izhikevich's model as Nengo 4.1 steps it (`Izhikevich.step`), and its rate curve
//! (`settled_firingrate`).

use super::NeuronType;

/// Izhikevich parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct IzhConsts {
    pub(super) dt: f64,
    pub(super) tau_recovery: f64,
    pub(super) coupling: f64,
    pub(super) reset_voltage: f64,
    pub(super) reset_recovery: f64,
}

impl IzhConsts {
    pub(super) fn new(nt: &NeuronType, dt: f64) -> Option<IzhConsts> {
        match *nt {
            NeuronType::Izhikevich {
                tau_recovery,
                coupling,
                reset_voltage,
                reset_recovery,
            } => Some(IzhConsts {
                dt,
                tau_recovery,
                coupling,
                reset_voltage,
                reset_recovery,
            }),
            _ => None,
        }
    }
}

/// One neuron, Nengo's expressions in NumPy's order: `J = max(-30, J)`;
/// `v += (0.04 v² + 5 v + 140 - u + J) · 1000 · dt`; a spike (`1 / dt`) where `v >= 30`, which
/// resets `v`; then `u += (a (b v - u)) · 1000 · dt`, and `+ d` after a spike.
#[inline]
pub(super) fn izh_one(c: &IzhConsts, jv: f64, o: &mut f64, v: &mut f64, u: &mut f64) {
    // np.maximum propagates NaN.
    let j = if jv.is_nan() || jv > -30.0 { jv } else { -30.0 };
    let vv = *v;
    let dv = ((((0.04 * (vv * vv)) + 5.0 * vv) + 140.0) - *u + j) * 1000.0;
    let mut vv = vv + dv * c.dt;
    let spiked = vv >= 30.0;
    *o = if spiked { 1.0 / c.dt } else { 0.0 };
    if spiked {
        vv = c.reset_voltage;
    }
    *v = vv;
    let du = (c.tau_recovery * (c.coupling * vv - *u)) * 1000.0;
    let mut uu = *u + du * c.dt;
    if spiked {
        uu += c.reset_recovery;
    }
    *u = uu;
}

/// Nengo's `settled_firingrate` for Izhikevich (its `rates`): from voltage and recovery 0, one
/// step of dt = 1 ms to settle, then the mean output over 1000 steps.
pub(super) fn settled_rates(nt: &NeuronType, j: &[f64], out: &mut [f64]) {
    let c = IzhConsts::new(nt, 0.001).expect("Izhikevich");
    let settle = (0.001f64 / c.dt) as usize;
    let steps = (1.0f64 / c.dt) as usize;
    for (o, &jv) in out.iter_mut().zip(j) {
        let (mut v, mut u, mut s) = (0.0, 0.0, 0.0);
        for _ in 0..settle {
            izh_one(&c, jv, &mut s, &mut v, &mut u);
        }
        let mut total = 0.0;
        for _ in 0..steps {
            izh_one(&c, jv, &mut s, &mut v, &mut u);
            total += s;
        }
        *o = total / steps as f64;
    }
}
