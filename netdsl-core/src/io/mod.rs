//! What goes in and out of a running network: probe records, and output a person looks at —
//! probe data as `.npy` and CSV, SVG plots, Graphviz DOT, progress bars.
pub mod checkpoint;
pub mod csv;
pub mod dot;
mod files;
pub mod npy;
pub mod probe;
pub mod progress;
pub mod stream;
pub mod svg;
