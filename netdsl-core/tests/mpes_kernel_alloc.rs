//! The memristor array's stages allocate nothing, also on the large-array path that shares
//! pulse stages with the helper thread (started when the array is built): a counting global
//! allocator around `mpes_step` and `filter_into` on a 200 × 200 power-law array.

use netdsl_core::models::memristor::{Device, MemristorArray, Variability};
use netdsl_core::nef::rng::Rng;

mod counting_alloc;

use counting_alloc::{count, turn};

#[test]
fn large_array_steps_without_allocating() {
    let mut rng = Rng::new(3);
    let mut a = MemristorArray::new(
        Device::default(),
        200,
        200,
        1e3,
        Variability::uniform(0.15),
        &mut rng,
    );
    // A clone (as the simulator keeps for `reset`) steps without allocating too.
    let mut b = a.clone();
    let e: Vec<f64> = (0..200).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let acts: Vec<f64> = (0..200)
        .map(|_| if rng.next_f64() < 0.5 { 50.0 } else { 0.2 })
        .collect();
    let spikes: Vec<f64> = (0..200)
        .map(|_| if rng.next_f64() < 0.1 { 1000.0 } else { 0.0 })
        .collect();
    let mut out = vec![0.0; 200];
    let _turn = turn();
    let (pulses, n) = count(|| {
        let mut pulses = 0;
        for _ in 0..100 {
            pulses += a.mpes_step(&e, &acts);
            pulses += b.mpes_step(&e, &acts);
            a.filter_into(&spikes, &mut out);
        }
        pulses
    });
    assert!(pulses > 100 * 200 * 80, "{pulses}");
    assert_eq!(n, 0);
    assert_eq!(a.weights(), b.weights());
    // The counter really sees allocations (else the zero above would hold vacuously).
    let (v, n) = count(|| std::hint::black_box(vec![0u8; 64]));
    assert!(n >= 1 && v.len() == 64);
}
