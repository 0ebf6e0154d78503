//! From a network or a simulator to the files a person looks at: the graph (DOT), every probe
//! as `.npy` and CSV, SVG plots of probes, the plan text.

use std::io;
use std::path::{Path, PathBuf};

use crate::build::structure::structure;
use crate::error::BuildError;
use crate::io::csv::CsvTable;
use crate::io::dot::labels::{conn_text, dot_graph, ConnText};
use crate::io::dot::to_dot;
use crate::io::npy::write_npy;
use crate::io::svg::{Axes, Figure, LineSeries, Raster};
use crate::network::Network;
use crate::plan::{ProbeAttr, ProbeTarget};
use crate::sim::Simulator;

impl Network {
    /// The network as Graphviz DOT (`dot -Tsvg`), with `.neurons` ends and slices drawn on the
    /// right boxes. Fails like [`Simulator::new`] on an invalid network.
    pub fn to_dot(&self) -> Result<String, BuildError> {
        let s = structure(self)?;
        let texts: Vec<ConnText> = self.conns.iter().map(conn_text).collect();
        Ok(to_dot(&dot_graph(&s, &texts)))
    }
}

/// A file-name-safe version of a probe name.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Simulator {
    /// The network as Graphviz DOT.
    pub fn to_dot(&self) -> String {
        to_dot(&dot_graph(self.structure(), self.conn_texts()))
    }

    /// Write every probe to `dir` as `<probe>.npy` (samples × shape) and `<probe>.csv` (time,
    /// then one named column per value). Returns the paths written.
    pub fn save_probes(&self, dir: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for name in self.probe_names() {
            let stem = file_stem(name);
            let data = self.data_dyn(name).expect("probe exists");
            let npy = dir.join(format!("{stem}.npy"));
            write_npy(&npy, &data)?;
            written.push(npy);
            let times = self.probe_times(name).expect("probe exists").to_vec();
            let flat = self.data(name);
            let csv = dir.join(format!("{stem}.csv"));
            CsvTable::new(&times).probe(name, flat).save(&csv)?;
            written.push(csv);
        }
        Ok(written)
    }

    /// A figure of the named probes over time, one panel each: lines for values, a spike raster
    /// for `.neurons` spike probes.
    pub fn plot(&self, title: &str, probes: &[&str]) -> Figure {
        let mut fig = Figure::new(title).xlabel("time [s]");
        for &name in probes {
            let Some(times) = self.probe_times(name) else {
                continue;
            };
            let times = times.to_vec();
            let data = self.data(name);
            let spikes = self.structure().probes.iter().any(|p| {
                p.name == name
                    && p.attr == ProbeAttr::Spikes
                    && matches!(p.target, ProbeTarget::Item(_))
            });
            let axes = if spikes {
                Axes::raster(Raster::from_spikes(name, &times, data))
                    .title(name)
                    .ylabel("neuron")
            } else {
                let mut a = Axes::lines().title(name);
                for s in LineSeries::from_columns(name, &times, data) {
                    a = a.line(s);
                }
                a
            };
            fig = fig.subplot(axes);
        }
        fig
    }
}
