//! Shared code of the mPES experiment runners (`mpes_followup`, `mpes_sweep`, `mpes_frontiers`,
//! `mpes_x1x2`) and their tests: the follow-up paper's tasks and block metric, a parameterised
//! Frontiers experiment, the sweep grid with its deterministic sharding, a std-thread pool, and
//! SVG plots.
//!
//! Not an example itself. The including crate must also declare `mod common;`
//! (`examples/common/mod.rs`: metrics, statistics, argument parsing), which this uses as
//! `crate::common`.
#![allow(dead_code)]

pub mod followup;
pub mod frontiers;
pub mod imports;
pub mod plot;
pub mod pool;
pub mod sweep;
