//! Streamed probes: a probe's samples go to a `.npy` file while the run goes on, so its
//! memory stays at one flush's worth however long the run (see [`crate::io::stream`]).

use std::path::{Path, PathBuf};

use super::persist::ProbeStream;
use super::Simulator;
use crate::io::checkpoint::CheckpointError;
use crate::io::stream::NpyStream;

/// Default pending bytes per flush of a streamed probe.
const FLUSH_BYTES: usize = 64 * 1024;

impl Simulator {
    /// Streams probe `name` to the `.npy` file `path` (created, or truncated): the samples
    /// recorded so far are written at once, later ones every flush (see
    /// [`Simulator::set_stream_flush`]) and at the end of every run, so `path` is a valid
    /// `.npy` array of every sample written so far at any moment, also after a crash or a kill.
    /// Memory holds at most one flush's worth of the probe's samples: [`Simulator::data`] shows
    /// only those not yet written (the file has the rest). Returns the file's absolute path.
    ///
    /// [`Simulator::reset`] does not touch the file (samples recorded after it are appended);
    /// call this again to start a new one.
    pub fn stream_probe(
        &mut self,
        name: &str,
        path: impl AsRef<Path>,
    ) -> Result<PathBuf, CheckpointError> {
        let i = self
            .probe_index(name)
            .ok_or_else(|| CheckpointError::UnknownProbe(name.into()))?;
        let path = std::path::absolute(path.as_ref()).unwrap_or_else(|_| path.as_ref().into());
        let stream_err = |e: std::io::Error| CheckpointError::Stream {
            probe: name.into(),
            path: path.clone(),
            what: e.to_string(),
        };
        let p = &self.probes[i];
        let file = NpyStream::create(&path, &p.shape).map_err(stream_err)?;
        let flush_values = self.flush_values(p.sample_len());
        self.attach_stream(i, file, flush_values)
            .map_err(stream_err)?;
        Ok(path)
    }

    /// Streams every probe to `<dir>/<probe name>.npy` (the directory is created); returns the
    /// files in probe order.
    pub fn stream_all(&mut self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, CheckpointError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| CheckpointError::Io {
            path: dir.into(),
            source: e,
        })?;
        let names: Vec<String> = self.probes.iter().map(|p| p.name.clone()).collect();
        names
            .iter()
            .map(|n| self.stream_probe(n, dir.join(format!("{n}.npy"))))
            .collect()
    }

    /// Pending samples per flush of streams opened from now on (0, the default: 64 KiB worth,
    /// at least one sample). Smaller flushes lose less to a kill and cost a few system calls
    /// each (data and header writes).
    pub fn set_stream_flush(&mut self, samples: usize) {
        self.persist.flush_samples = samples;
    }

    /// Writes every stream's pending samples now.
    pub fn flush_streams(&mut self) -> Result<(), CheckpointError> {
        self.flush_streams_over(true)
    }

    /// Stops streaming probe `name`: its pending samples are written and the file is closed;
    /// later samples stay in memory. Returns the file, `None` if the probe was not streamed.
    pub fn stop_stream(&mut self, name: &str) -> Result<Option<PathBuf>, CheckpointError> {
        let i = self
            .probe_index(name)
            .ok_or_else(|| CheckpointError::UnknownProbe(name.into()))?;
        if !self.persist.streamed(i) {
            return Ok(None);
        }
        self.flush_streams_over(true)?;
        let s = self.persist.streams[i].take();
        self.persist.update_active();
        Ok(s.map(|s| s.file.path().to_path_buf()))
    }

    /// Samples of probe `name` written to its stream so far (`None` if it is not streamed).
    pub fn streamed_samples(&self, name: &str) -> Option<u64> {
        let i = self.probe_index(name)?;
        self.persist.streams.get(i)?.as_ref().map(|s| s.file.rows())
    }

    /// The file probe `name` streams to.
    pub fn stream_path(&self, name: &str) -> Option<&Path> {
        let i = self.probe_index(name)?;
        self.persist.streams.get(i)?.as_ref().map(|s| s.file.path())
    }

    pub(super) fn flush_values(&self, sample_len: usize) -> usize {
        let samples = match self.persist.flush_samples {
            0 => (FLUSH_BYTES / 8 / sample_len.max(1)).max(1),
            n => n,
        };
        samples * sample_len
    }

    /// Makes `file` probe `i`'s stream: writes its recorded samples, then keeps its buffers
    /// at one flush.
    pub(super) fn attach_stream(
        &mut self,
        i: usize,
        mut file: NpyStream,
        flush_values: usize,
    ) -> std::io::Result<()> {
        let p = &mut self.probes[i];
        file.append(&p.data)?;
        p.data = Vec::with_capacity(flush_values);
        p.steps = Vec::with_capacity(flush_values / p.sample_len().max(1));
        if self.persist.streams.len() < self.probes.len() {
            self.persist.streams.resize_with(self.probes.len(), || None);
        }
        self.persist.streams[i] = Some(ProbeStream { file, flush_values });
        self.persist.update_active();
        Ok(())
    }
}
