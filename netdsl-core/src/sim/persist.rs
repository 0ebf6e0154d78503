//! What a simulator keeps for streamed probes and periodic checkpoints, and the hooks
//! `run_steps` calls: after each step (only when something is configured: one branch
//! otherwise) and at the end of a run.

use std::path::PathBuf;
use std::time::Instant;

use super::Simulator;
use crate::error::SimError;
use crate::io::checkpoint::{CheckpointError, CheckpointEvery};
use crate::io::stream::NpyStream;

/// A probe streamed to disk.
pub(super) struct ProbeStream {
    pub(super) file: NpyStream,
    /// Values of pending samples at which they are written out (a multiple of the sample
    /// length; the probe's buffers are reserved for it, so recording never reallocates).
    pub(super) flush_values: usize,
}

/// Periodic checkpoints.
pub(super) struct Periodic {
    pub(super) every: CheckpointEvery,
    pub(super) path: PathBuf,
    /// Wall clock: when the last one was written; steps since the clock was last read.
    pub(super) last: Instant,
    pub(super) tick: u32,
    /// Simulated time: a checkpoint after every step that is a multiple of this.
    pub(super) every_steps: u64,
}

/// Streams and periodic checkpoints of one simulator.
#[derive(Default)]
pub(super) struct Persist {
    /// Per probe (declaration order): its stream, if it is streamed.
    pub(super) streams: Vec<Option<ProbeStream>>,
    pub(super) periodic: Option<Periodic>,
    /// Pending samples per flush (0: 64 KiB worth).
    pub(super) flush_samples: usize,
    /// Whether [`Simulator::after_step`] has anything to do.
    pub(super) active: bool,
    /// Checkpoints written by `checkpoint_every` so far.
    pub(super) written: u64,
}

impl Persist {
    /// Whether probe `i` is streamed.
    pub(super) fn streamed(&self, i: usize) -> bool {
        matches!(self.streams.get(i), Some(Some(_)))
    }

    pub(super) fn update_active(&mut self) {
        self.active = self.periodic.is_some() || self.streams.iter().any(Option::is_some);
    }
}

/// Wall-clock checkpoints read the clock once per this many steps.
const CLOCK_EVERY: u32 = 64;

impl Simulator {
    fn sim_error(&self, op: &str, e: CheckpointError) -> SimError {
        SimError {
            step: self.step,
            t: self.time(),
            op_index: None,
            op: op.into(),
            message: e.to_string(),
        }
    }

    /// After each step when streams or periodic checkpoints are configured: write the streams
    /// whose pending samples reached their flush size, then a checkpoint if one is due.
    pub(super) fn after_step(&mut self) -> Result<(), SimError> {
        self.flush_streams_over(false)
            .map_err(|e| self.sim_error("stream", e))?;
        let due = match self.persist.periodic.as_mut() {
            None => false,
            Some(p) => match p.every {
                CheckpointEvery::SimTime(_) => self.step % p.every_steps == 0,
                CheckpointEvery::Wall(d) => {
                    p.tick += 1;
                    p.tick >= CLOCK_EVERY && {
                        p.tick = 0;
                        p.last.elapsed() >= d
                    }
                }
            },
        };
        if due {
            self.write_periodic()
                .map_err(|e| self.sim_error("checkpoint", e))?;
        }
        Ok(())
    }

    /// Writes the periodic checkpoint now.
    fn write_periodic(&mut self) -> Result<(), CheckpointError> {
        let Some(path) = self.persist.periodic.as_ref().map(|p| p.path.clone()) else {
            return Ok(());
        };
        self.save_checkpoint(&path)?;
        self.persist.written += 1;
        if let Some(p) = self.persist.periodic.as_mut() {
            p.last = Instant::now();
            p.tick = 0;
        }
        Ok(())
    }

    /// At the end of every run (also one stopped by an error): every stream written out, so
    /// the files hold every recorded sample when `run` returns.
    pub(super) fn end_run(&mut self) -> Result<(), SimError> {
        if self.persist.streams.iter().any(Option::is_some) {
            self.flush_streams_over(true)
                .map_err(|e| self.sim_error("stream", e))?;
        }
        Ok(())
    }

    /// Writes out the pending samples of every stream (`all`) or of those at their flush size.
    pub(super) fn flush_streams_over(&mut self, all: bool) -> Result<(), CheckpointError> {
        for (p, s) in self.probes.iter_mut().zip(&mut self.persist.streams) {
            let Some(s) = s else { continue };
            if p.data.is_empty() || (!all && p.data.len() < s.flush_values) {
                continue;
            }
            s.file
                .append(&p.data)
                .map_err(|e| CheckpointError::Stream {
                    probe: p.name.clone(),
                    path: s.file.path().to_path_buf(),
                    what: e.to_string(),
                })?;
            p.data.clear();
            p.steps.clear();
        }
        Ok(())
    }
}
