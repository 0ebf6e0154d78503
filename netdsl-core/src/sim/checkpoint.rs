//! Saving a simulator's state to a checkpoint and loading it into a freshly built simulator of
//! the same network (see [`crate::io::checkpoint`] for the trait and errors, and
//! `docs/reliability.md` for the format).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::persist::{Periodic, ProbeStream};
use super::{SimOptions, Simulator};
use crate::io::checkpoint::format::{self, ContainerError, FieldReader, Fields, Fnv};
use crate::io::checkpoint::{codec_of, CheckpointError, CheckpointEvery};
use crate::io::stream::NpyStream;
use crate::models::memristor::DeviceParams;
use crate::network::Network;
use crate::step::ops::{Op, WeightValues};

/// What identifies the network a checkpoint belongs to.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Fingerprint {
    /// FNV-1a of the plan text.
    plan: u64,
    dt: f64,
    store_len: u64,
    n_ops: u64,
    /// FNV-1a of everything the build computed and stepping never changes: the store values no
    /// op writes, weight matrices kept outside the store, encoders, biases, gains, neuron and
    /// filter constants, learning rates, memristor device parameters; probe names and shapes.
    built: u64,
}

/// A checkpoint's contents, read and checked against this simulator before anything is
/// changed.
struct Staged<'a> {
    step: u64,
    store: Vec<f64>,
    filters: Vec<Vec<f64>>,
    processes: Vec<&'a [u8]>,
    memristors: Vec<(f64, Vec<Vec<f64>>, u64)>,
    states: Vec<&'a [u8]>,
    probes: Vec<StagedProbe>,
}

struct StagedProbe {
    steps: Vec<u64>,
    data: Vec<f64>,
    stream: Option<(PathBuf, u64)>,
}

impl Simulator {
    fn fingerprint(&self) -> Fingerprint {
        let mut plan = Fnv::default();
        plan.str(&self.plan.to_string());
        let mut h = Fnv::default();
        // The store values no op writes.
        let mut at = 0;
        for (r, _) in &self.initial_written {
            h.f64s(&self.store[at..r.start]);
            at = r.end;
        }
        h.f64s(&self.store[at..]);
        for (i, w) in &self.ext_signals {
            h.u64(*i as u64);
            match w {
                WeightValues::F64(w) => h.f64s(w),
                WeightValues::F32(w) => {
                    h.u64(w.len() as u64);
                    for x in w.iter() {
                        h.bytes(&x.to_bits().to_le_bytes());
                    }
                }
            }
        }
        for op in &self.ops {
            match op {
                Op::Bias { bias, .. } => h.f64s(bias),
                Op::Encode { enc, bias, .. } => {
                    h.f64s(enc);
                    h.f64s(bias);
                }
                Op::GainInc { gain, .. } => h.f64s(gain),
                Op::LocalError { enc, .. } => h.f64s(enc),
                Op::Pes { alpha, .. } => h.f64s(&[*alpha]),
                Op::Neurons { neuron, .. } => h.str(&format!("{neuron:?}")),
                Op::Filter { filter, .. } => h.str(&format!("{filter:?}")),
                _ => h.u64(0),
            }
        }
        for a in &self.memristors {
            h.u64(a.n_post() as u64);
            h.u64(a.n_pre() as u64);
            h.str(&format!("{:?}", a.model()));
            for p in a.params_pos() {
                match p {
                    DeviceParams::PowerLaw(p) => h.f64s(&[p.r0, p.r1, p.c]),
                    DeviceParams::Linear(p) => h.f64s(&[p.r_on, p.r_off, p.step]),
                }
            }
        }
        for p in &self.probes {
            h.str(&p.name);
            h.u64(p.sample_len() as u64);
            h.f64s(&[p.period]);
        }
        Fingerprint {
            plan: plan.finish(),
            dt: self.dt,
            store_len: self.store.len() as u64,
            n_ops: self.ops.len() as u64,
            built: h.finish(),
        }
    }

    /// The checkpoint of the current state, as the bytes of a file.
    ///
    /// # Errors
    /// [`CheckpointError::Unsupported`] for a state value whose type is not registered
    /// ([`crate::io::checkpoint::register_state`]) or a process without checkpoint support;
    /// [`CheckpointError::State`] when a state value's `save` fails.
    pub fn checkpoint_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        let mut f = Fields::default();
        let fp = self.fingerprint();
        f.u64(fp.plan);
        f.f64(fp.dt);
        f.u64(fp.store_len);
        f.u64(fp.n_ops);
        f.u64(fp.built);
        f.u64(self.step);
        f.f64s(&self.store);
        // Filter states, then process states, in op order.
        let filters: Vec<&Vec<f64>> = self
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Filter { state, .. } => Some(state),
                _ => None,
            })
            .collect();
        f.u64(filters.len() as u64);
        for s in filters {
            f.f64s(s);
        }
        let mut processes = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            if let Op::NodeProcess { process, .. } = op {
                let mut blob = Vec::new();
                process
                    .save_state(&mut blob)
                    .map_err(|e| CheckpointError::Unsupported {
                        what: format!(
                            "the process of `{}`: {e} (give the process save_state / load_state)",
                            self.op_names[i]
                        ),
                    })?;
                processes.push(blob);
            }
        }
        f.u64(processes.len() as u64);
        for b in &processes {
            f.bytes(b);
        }
        f.u64(self.memristors.len() as u64);
        for a in &self.memristors {
            let (gain, parts, pulses) = a.state_parts();
            f.f64(gain);
            f.u64(parts.len() as u64);
            for p in parts {
                f.f64s(p);
            }
            f.u64(pulses);
        }
        f.u64(self.states.len() as u64);
        for (name, value) in &self.states {
            let codec = codec_of(&**value).ok_or_else(|| CheckpointError::Unsupported {
                what: format!(
                    "state value `{name}`: its type does not implement netdsl's `Checkpoint` \
                     trait, or is not registered (`io::checkpoint::register_state::<T>()`, or \
                     add it with `add_checkpointed_state`)"
                ),
            })?;
            let mut blob = Vec::new();
            (codec.save)(&**value, &mut blob).map_err(|e| CheckpointError::State {
                name: name.clone(),
                type_name: codec.type_name,
                source: e,
            })?;
            f.str(name);
            f.str(codec.type_name);
            f.bytes(&blob);
        }
        f.u64(self.probes.len() as u64);
        for (i, p) in self.probes.iter().enumerate() {
            f.str(&p.name);
            f.u64s(&p.steps);
            f.f64s(&p.data);
            match self.persist.streams.get(i).and_then(Option::as_ref) {
                Some(s) => {
                    f.u8(1);
                    f.str(&s.file.path().to_string_lossy());
                    f.u64(s.file.rows());
                }
                None => f.u8(0),
            }
        }
        Ok(format::encode(&f.buf))
    }

    /// Writes a checkpoint of the current state to `path`, atomically (a temporary file next to
    /// it, then a rename): a crash while writing leaves the previous file intact. Streamed
    /// probes are recorded by their file and the number of samples written to it.
    ///
    /// What is saved: time and step, every signal of the store (neuron voltages and refractory
    /// times, decoded values, learned weights, PES deltas …), filter states, process states,
    /// memristor arrays (resistances, conductances, weights, pulse counts, gain, pulse total),
    /// user state values ([`crate::io::checkpoint::Checkpoint`]), probe samples and their
    /// steps. Plus a fingerprint of the network, so that it is only ever loaded into the same
    /// one. Closures (nodes, connection functions) are not saved: they must not keep state of
    /// their own (keep it in a state value instead).
    pub fn save_checkpoint(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = self.checkpoint_bytes()?;
        format::write_atomic(path, &bytes).map_err(|e| CheckpointError::Io {
            path: path.into(),
            source: e,
        })
    }

    /// Loads the checkpoint at `path` into this simulator, which must be built from the same
    /// network (same code, seed and `dt`); any thread count. Running on from it gives the same
    /// bits as the run that saved it would have.
    ///
    /// Every check on the file (magic, version, length, checksum, network fingerprint, sizes of
    /// every part) is done before anything is changed: on such an error the simulator is as it
    /// was. A state value's `load` that fails leaves the simulator part loaded: rebuild it.
    /// Streamed probes are reopened at their recorded files, cut back to the samples written
    /// when the checkpoint was taken, and continue there.
    pub fn load_checkpoint(&mut self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| CheckpointError::Io {
            path: path.into(),
            source: e,
        })?;
        self.load_checkpoint_bytes(&bytes, path)
    }

    /// [`Simulator::load_checkpoint`] from the bytes of a file (`path` names it in errors).
    pub fn load_checkpoint_bytes(
        &mut self,
        bytes: &[u8],
        path: impl AsRef<Path>,
    ) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let payload = format::decode(bytes).map_err(|e| match e {
            ContainerError::NotACheckpoint => CheckpointError::NotACheckpoint { path: path.into() },
            ContainerError::Version(found) => CheckpointError::Version {
                path: path.into(),
                found,
                supported: format::FORMAT_VERSION,
            },
            ContainerError::Length { expected, found } => CheckpointError::Truncated {
                path: path.into(),
                expected,
                found,
            },
            ContainerError::Checksum { stored, computed } => CheckpointError::Corrupt {
                path: path.into(),
                stored,
                computed,
            },
        })?;
        let mut r = FieldReader::new(payload);
        let malformed = |what: String| CheckpointError::Malformed {
            path: path.into(),
            what,
        };
        let staged = self.stage(&mut r, path).map_err(|e| match e {
            Stage::Malformed(w) => malformed(w),
            Stage::Other(e) => e,
        })?;
        if r.remaining() != 0 {
            return Err(malformed(format!(
                "{} bytes after the last field",
                r.remaining()
            )));
        }
        // Processes first: a built-in one checks that it was set up as the saved one was.
        let mut procs = staged.processes.iter();
        for (i, op) in self.ops.iter_mut().enumerate() {
            let Op::NodeProcess { process, .. } = op else {
                continue;
            };
            let Some(blob) = procs.next() else { break };
            let mut rd: &[u8] = blob;
            let result = process.load_state(&mut rd).and_then(|()| {
                if rd.is_empty() {
                    Ok(())
                } else {
                    Err(std::io::Error::other("load_state left bytes unread"))
                }
            });
            result.map_err(|e| CheckpointError::OtherNetwork {
                path: path.into(),
                what: format!("the process of `{}`: {e}", self.op_names[i]),
            })?;
        }
        // Then streams (they can fail on files), user states, and the rest (infallible).
        let mut streams = Vec::with_capacity(staged.probes.len());
        for (p, sp) in self.probes.iter().zip(&staged.probes) {
            streams.push(match &sp.stream {
                None => None,
                Some((file, rows)) => {
                    let s = NpyStream::reopen(file, &p.shape, *rows).map_err(|e| {
                        CheckpointError::Stream {
                            probe: p.name.clone(),
                            path: file.clone(),
                            what: e.to_string(),
                        }
                    })?;
                    Some(ProbeStream {
                        file: s,
                        flush_values: self.flush_values(p.sample_len()),
                    })
                }
            });
        }
        for ((name, value), blob) in self.states.iter_mut().zip(&staged.states) {
            let codec = codec_of(&**value).ok_or_else(|| CheckpointError::Unsupported {
                what: format!("state value `{name}`: its type is not registered"),
            })?;
            let mut rd: &[u8] = blob;
            let result = (codec.load)(&mut **value, &mut rd).and_then(|()| {
                if rd.is_empty() {
                    Ok(())
                } else {
                    Err(std::io::Error::other(format!(
                        "load read {} of the {} bytes save wrote",
                        blob.len() - rd.len(),
                        blob.len()
                    )))
                }
            });
            result.map_err(|e| CheckpointError::State {
                name: name.clone(),
                type_name: codec.type_name,
                source: e,
            })?;
        }
        let mut filters = staged.filters.into_iter();
        for op in self.ops.iter_mut() {
            if let Op::Filter { state, .. } = op {
                if let Some(s) = filters.next() {
                    *state = s;
                }
            }
        }
        for (a, (gain, parts, pulses)) in self.memristors.iter_mut().zip(staged.memristors) {
            let (g, dst, total) = a.state_parts_mut();
            *g = gain;
            for (d, s) in dst.into_iter().zip(parts) {
                d.copy_from_slice(&s);
            }
            *total = pulses;
        }
        self.store.copy_from_slice(&staged.store);
        self.step = staged.step;
        for (p, sp) in self.probes.iter_mut().zip(staged.probes) {
            p.steps = sp.steps;
            p.data = sp.data;
        }
        self.persist.streams = streams;
        self.persist.update_active();
        Ok(())
    }

    /// Reads the payload after the container checks and checks every part against this
    /// simulator.
    fn stage<'a>(&self, r: &mut FieldReader<'a>, path: &Path) -> Result<Staged<'a>, Stage> {
        let m = Stage::Malformed;
        let other = |what: String| {
            Stage::Other(CheckpointError::OtherNetwork {
                path: path.into(),
                what,
            })
        };
        let saved = Fingerprint {
            plan: r.u64("fingerprint").map_err(m)?,
            dt: r.f64("fingerprint").map_err(m)?,
            store_len: r.u64("fingerprint").map_err(m)?,
            n_ops: r.u64("fingerprint").map_err(m)?,
            built: r.u64("fingerprint").map_err(m)?,
        };
        let here = self.fingerprint();
        if saved.dt.to_bits() != here.dt.to_bits() {
            return Err(other(format!(
                "it was saved with dt = {}, this simulator has dt = {}",
                saved.dt, here.dt
            )));
        }
        if (saved.plan, saved.store_len, saved.n_ops) != (here.plan, here.store_len, here.n_ops) {
            return Err(other(format!(
                "its plan differs (plan text hash {:016x}, {} signal values, {} ops; here \
                 {:016x}, {}, {})",
                saved.plan, saved.store_len, saved.n_ops, here.plan, here.store_len, here.n_ops
            )));
        }
        if saved.built != here.built {
            return Err(other(
                "the plan is the same but the build differs (another seed, or other parameter \
                 values: encoders, gains, weights, device parameters or probes)"
                    .into(),
            ));
        }
        let step = r.u64("step").map_err(m)?;
        let store = r.f64s("signal store").map_err(m)?;
        if store.len() != self.store.len() {
            return Err(m("signal store length".into()));
        }
        let n_filters = self
            .ops
            .iter()
            .filter(|o| matches!(o, Op::Filter { .. }))
            .count();
        if r.u64("filters").map_err(m)? != n_filters as u64 {
            return Err(m("filter count".into()));
        }
        let mut filters = Vec::with_capacity(n_filters);
        for op in &self.ops {
            if let Op::Filter { state, .. } = op {
                let s = r.f64s("filter state").map_err(m)?;
                if s.len() != state.len() {
                    return Err(m("filter state length".into()));
                }
                filters.push(s);
            }
        }
        let n_procs = self
            .ops
            .iter()
            .filter(|o| matches!(o, Op::NodeProcess { .. }))
            .count();
        if r.u64("processes").map_err(m)? != n_procs as u64 {
            return Err(m("process count".into()));
        }
        let processes = (0..n_procs)
            .map(|_| r.bytes("process state"))
            .collect::<Result<Vec<_>, _>>()
            .map_err(m)?;
        if r.u64("memristor arrays").map_err(m)? != self.memristors.len() as u64 {
            return Err(m("memristor array count".into()));
        }
        let mut memristors = Vec::with_capacity(self.memristors.len());
        for a in &self.memristors {
            let (_, parts, _) = a.state_parts();
            let gain = r.f64("memristor gain").map_err(m)?;
            if r.u64("memristor parts").map_err(m)? != parts.len() as u64 {
                return Err(m("memristor part count".into()));
            }
            let mut got = Vec::with_capacity(parts.len());
            for p in parts {
                let v = r.f64s("memristor state").map_err(m)?;
                if v.len() != p.len() {
                    return Err(m("memristor state length".into()));
                }
                got.push(v);
            }
            let pulses = r.u64("memristor pulses").map_err(m)?;
            memristors.push((gain, got, pulses));
        }
        if r.u64("states").map_err(m)? != self.states.len() as u64 {
            return Err(m("state value count".into()));
        }
        let mut states = Vec::with_capacity(self.states.len());
        for (name, value) in &self.states {
            let saved_name = r.str("state name").map_err(m)?;
            let type_name = r.str("state type").map_err(m)?;
            let blob = r.bytes("state value").map_err(m)?;
            if saved_name != name {
                return Err(other(format!(
                    "state value `{saved_name}` in the checkpoint, `{name}` here"
                )));
            }
            match codec_of(&**value) {
                Some(c) if c.type_name == type_name => {}
                Some(c) => {
                    return Err(other(format!(
                        "state value `{name}` is a {type_name} in the checkpoint, a {} here",
                        c.type_name
                    )))
                }
                None => {
                    return Err(Stage::Other(CheckpointError::Unsupported {
                        what: format!(
                            "state value `{name}` ({type_name} in the checkpoint): its type is \
                             not registered here (`io::checkpoint::register_state::<T>()`)"
                        ),
                    }))
                }
            }
            states.push(blob);
        }
        if r.u64("probes").map_err(m)? != self.probes.len() as u64 {
            return Err(m("probe count".into()));
        }
        let mut probes = Vec::with_capacity(self.probes.len());
        for p in &self.probes {
            if r.str("probe name").map_err(m)? != p.name {
                return Err(m(format!("probe `{}` out of place", p.name)));
            }
            let steps = r.u64s("probe steps").map_err(m)?;
            let data = r.f64s("probe data").map_err(m)?;
            if data.len() != steps.len() * p.sample_len() {
                return Err(m(format!("probe `{}`: data and steps disagree", p.name)));
            }
            let stream = match r.u8("probe stream").map_err(m)? {
                0 => None,
                1 => {
                    let file = PathBuf::from(r.str("stream path").map_err(m)?);
                    Some((file, r.u64("stream rows").map_err(m)?))
                }
                k => return Err(m(format!("probe stream kind {k}"))),
            };
            probes.push(StagedProbe {
                steps,
                data,
                stream,
            });
        }
        Ok(Staged {
            step,
            store,
            filters,
            processes,
            memristors,
            states,
            probes,
        })
    }

    /// Builds `net` (as [`Simulator::new`]) and loads the checkpoint at `path` into it.
    pub fn resume(
        net: Network,
        dt: f64,
        path: impl AsRef<Path>,
    ) -> Result<Simulator, CheckpointError> {
        Simulator::resume_with_options(net, dt, SimOptions::default(), path)
    }

    /// [`Simulator::resume`] with the threads of `options` (any count: the numbers do not
    /// depend on it).
    pub fn resume_with_options(
        net: Network,
        dt: f64,
        options: SimOptions,
        path: impl AsRef<Path>,
    ) -> Result<Simulator, CheckpointError> {
        let mut sim = Simulator::with_options(net, dt, options)?;
        sim.load_checkpoint(path)?;
        Ok(sim)
    }

    /// Writes a checkpoint to `path` (atomically, replacing the previous one) periodically
    /// during runs: see [`CheckpointEvery`] (wall-clock time is what bounds the work a crash
    /// loses; simulated time gives checkpoints at reproducible steps). Stepping allocates
    /// nothing between checkpoints. A failed write stops the run with a `SimError` naming
    /// `checkpoint`.
    ///
    /// # Errors
    /// If a checkpoint could not be written now (the state cannot be saved, or the path is not
    /// writable): checked at once rather than hours into a run.
    pub fn checkpoint_every(
        &mut self,
        every: CheckpointEvery,
        path: impl AsRef<Path>,
    ) -> Result<(), CheckpointError> {
        let path = path.as_ref().to_path_buf();
        self.save_checkpoint(&path)?;
        let every_steps = match every {
            CheckpointEvery::SimTime(s) => {
                ((s / self.dt).round().max(1.0)).min(u64::MAX as f64) as u64
            }
            CheckpointEvery::Wall(_) => 1,
        };
        self.persist.periodic = Some(Periodic {
            every,
            path,
            last: Instant::now(),
            tick: 0,
            every_steps,
        });
        self.persist.update_active();
        Ok(())
    }

    /// Stops periodic checkpoints.
    pub fn stop_checkpoints(&mut self) {
        self.persist.periodic = None;
        self.persist.update_active();
    }

    /// Checkpoints written by [`Simulator::checkpoint_every`] so far (not counting the one it
    /// writes when called).
    pub fn checkpoints_written(&self) -> u64 {
        self.persist.written
    }
}

/// Why staging failed: a payload field, or a mismatch with this simulator.
enum Stage {
    Malformed(String),
    Other(CheckpointError),
}
