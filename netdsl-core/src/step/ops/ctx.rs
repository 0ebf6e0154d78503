//! What an op may touch: the signal store as a raw base pointer ([`StorePtr`]), the time, the
//! user state values, the memristor arrays and the pulse helper ([`Ctx`]).

use std::any::Any;
use std::ops::Range;

use crate::models::memristor::{Device, MemristorArray};
use crate::threads::pulse::PulseHelper;

/// A user state value: its name and the object.
pub type StateEntry = (String, Box<dyn Any + Send>);

/// A [`Ctx`]'s time and pointers (see [`Ctx::parts`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CtxParts {
    /// Current time.
    pub t: f64,
    /// Time step.
    pub dt: f64,
    /// User state values: pointer, count.
    pub states: (*mut StateEntry, usize),
    /// Memristor arrays: pointer, count.
    pub memristors: (*mut MemristorArray<Device>, usize),
    /// The simulator's pulse helper, or null.
    pub pulse: *const PulseHelper,
}

/// What an op may touch besides the store: the time, user state values and memristor arrays.
///
/// The state values and arrays are held as pointers to the simulator's vectors, so that ops on
/// several threads can each use the element they own (stage calls of different objects, the
/// arrays of different connections) while no thread holds a reference to the others.
pub struct Ctx<'a> {
    /// Current time.
    pub t: f64,
    /// Time step.
    pub dt: f64,
    states: *mut StateEntry,
    n_states: usize,
    memristors: *mut MemristorArray<Device>,
    n_memristors: usize,
    /// The simulator's pulse helper (shared by every thread, used by one at a time), or null.
    pulse: *const PulseHelper,
    _borrow: std::marker::PhantomData<&'a mut ()>,
}

impl<'a> Ctx<'a> {
    /// A context over `states` and `memristors`, borrowed for its lifetime.
    pub fn new(
        t: f64,
        dt: f64,
        states: &'a mut [StateEntry],
        memristors: &'a mut [MemristorArray<Device>],
        pulse: Option<&'a PulseHelper>,
    ) -> Ctx<'a> {
        Ctx {
            t,
            dt,
            n_states: states.len(),
            states: states.as_mut_ptr(),
            n_memristors: memristors.len(),
            memristors: memristors.as_mut_ptr(),
            pulse: pulse.map_or(std::ptr::null(), |p| p as *const PulseHelper),
            _borrow: std::marker::PhantomData,
        }
    }

    /// A context over raw parts (for a worker thread).
    ///
    /// # Safety
    /// The pointers must be valid for their counts during `'a`, and no two contexts in use at
    /// the same time may touch the same element (the schedule gives every stage object and
    /// every array to one op at a time).
    pub(crate) unsafe fn from_raw(
        t: f64,
        dt: f64,
        states: (*mut StateEntry, usize),
        memristors: (*mut MemristorArray<Device>, usize),
        pulse: *const PulseHelper,
    ) -> Ctx<'a> {
        Ctx {
            t,
            dt,
            states: states.0,
            n_states: states.1,
            memristors: memristors.0,
            n_memristors: memristors.1,
            pulse,
            _borrow: std::marker::PhantomData,
        }
    }

    /// The time and the pointers, to make contexts on other threads from.
    pub(crate) fn parts(&self) -> CtxParts {
        CtxParts {
            t: self.t,
            dt: self.dt,
            states: (self.states, self.n_states),
            memristors: (self.memristors, self.n_memristors),
            pulse: self.pulse,
        }
    }

    /// User state value `i`.
    pub fn state(&mut self, i: usize) -> &mut (dyn Any + Send) {
        assert!(i < self.n_states, "state {i} of {}", self.n_states);
        // SAFETY: in bounds; valid and not touched by anyone else while this context is in use
        // (the contract of `new` / `from_raw`).
        unsafe { &mut *(*self.states.add(i)).1 }
    }

    /// The simulator's pulse helper, if it has one.
    pub fn pulse_helper(&self) -> Option<&'a PulseHelper> {
        // SAFETY: null, or the simulator's helper, which outlives `'a` (the contract of `new` /
        // `from_raw`); it is shared, not mutated.
        unsafe { self.pulse.as_ref() }
    }

    /// Memristor array `i`.
    pub fn memristor(&mut self, i: usize) -> &mut MemristorArray<Device> {
        assert!(i < self.n_memristors, "array {i} of {}", self.n_memristors);
        // SAFETY: as in `state`.
        unsafe { &mut *self.memristors.add(i) }
    }
}

/// The signal store as a base pointer and a length, so that ops running at the same time on
/// different threads (each on its own ranges) never hold references to each other's values:
/// each op makes slices of just the ranges it uses.
#[derive(Clone, Copy, Debug)]
pub struct StorePtr {
    base: *mut f64,
    len: usize,
}

impl StorePtr {
    /// The whole of `store`; valid while `store` is neither moved nor resized, and used as the
    /// only access to it meanwhile.
    pub fn new(store: &mut [f64]) -> StorePtr {
        StorePtr {
            base: store.as_mut_ptr(),
            len: store.len(),
        }
    }

    /// A store at `base` of `len` values (see [`StorePtr::new`]).
    pub(crate) fn from_raw(base: *mut f64, len: usize) -> StorePtr {
        StorePtr { base, len }
    }

    /// The first value's address.
    pub(crate) fn as_mut_ptr(&self) -> *mut f64 {
        self.base
    }

    /// How many values the store holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// The values in `r`, unchecked.
    ///
    /// # Safety
    /// `r` must lie within the store, the store must be live, and nothing else may access
    /// these values while the slice is used.
    #[inline(always)]
    pub(super) unsafe fn get<'s>(self, r: &Range<usize>) -> &'s mut [f64] {
        debug_assert!(r.start <= r.end && r.end <= self.len);
        // SAFETY: the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.base.add(r.start), r.end - r.start) }
    }

    /// `N` mutable slices of the store at the given ranges, unchecked.
    ///
    /// # Safety
    /// As for [`StorePtr::get`] for each range, and the ranges must be pairwise disjoint (empty
    /// ranges excepted), which [`Op::check_ranges`] verifies.
    #[inline(always)]
    pub(super) unsafe fn parts<'s, const N: usize>(
        self,
        ranges: [&Range<usize>; N],
    ) -> [&'s mut [f64]; N] {
        // SAFETY: in bounds and pairwise disjoint (the caller's contract).
        ranges.map(|r| unsafe { self.get(r) })
    }
}

/// One readable range and one writable range of the store, unchecked.
///
/// # Safety
/// As for [`StorePtr::parts`].
#[inline(always)]
pub(super) unsafe fn rw<'s>(
    store: StorePtr,
    r: &Range<usize>,
    w: &Range<usize>,
) -> (&'s [f64], &'s mut [f64]) {
    // SAFETY: forwarded contract.
    let [a, b] = unsafe { store.parts([r, w]) };
    (a, b)
}
