//! The models a network is made of: neuron types, synapses, learning rules, memristive devices
//! and the processes that drive nodes.
pub mod learning;
pub mod memristor;
pub mod neurons;
pub mod processes;
pub mod synapses;
