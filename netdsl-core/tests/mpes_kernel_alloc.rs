//! The memristor array's stages allocate nothing, also on the large-array path that shares
//! pulse stages with the helper thread (started when the array is built): a counting global
//! allocator around `mpes_step` and `filter_into` on a 200 × 200 power-law array.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use netdsl_core::memristor::{Device, MemristorArray, Variability};
use netdsl_core::rng::Rng;

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let mut pulses = 0;
    COUNTING.store(true, Ordering::SeqCst);
    for _ in 0..100 {
        pulses += a.mpes_step(&e, &acts);
        pulses += b.mpes_step(&e, &acts);
        a.filter_into(&spikes, &mut out);
    }
    COUNTING.store(false, Ordering::SeqCst);
    assert!(pulses > 100 * 200 * 80, "{pulses}");
    assert_eq!(ALLOCS.load(Ordering::SeqCst), 0);
    assert_eq!(a.weights(), b.weights());
}
