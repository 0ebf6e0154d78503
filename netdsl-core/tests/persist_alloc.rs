//! Streamed probes and configured (not due) periodic checkpoints keep stepping
//! allocation-free: every probe streamed, a wall-clock and a simulated-time schedule.

use netdsl_core::io::checkpoint::CheckpointEvery;
use netdsl_core::models::learning::LearningRule;
use netdsl_core::models::synapses::Synapse;
use netdsl_core::network::*;
use netdsl_core::plan::ProbeAttr;
use netdsl_core::sim::Simulator;

mod counting_alloc;

use counting_alloc::{count, turn};

fn network() -> Network {
    let mut net = Network::new("persist_alloc");
    let inp = net.add_node(
        "inp",
        0,
        1,
        NodeOutput::Time(Box::new(|t, o| o[0] = (5.0 * t).sin())),
    );
    let a = net.add_ensemble("a", EnsembleSpec::new(40, 1));
    let b = net.add_ensemble("b", EnsembleSpec::new(40, 1));
    net.connect(ConnectionSpec::new(
        Endpoint::Value(inp),
        Endpoint::Value(a),
    ));
    let mut c = ConnectionSpec::new(Endpoint::Value(a), Endpoint::Value(b));
    c.learning = Some(LearningRule::pes());
    let c = net.connect(c);
    net.connect(ConnectionSpec::new(
        Endpoint::Value(b),
        Endpoint::Learning(c),
    ));
    let mut p = ProbeSpec::new(ProbeOf::Item(b), ProbeAttr::Value);
    p.synapse = Some(Synapse::Lowpass(0.01));
    net.probe("b", p);
    net.probe(
        "spikes",
        ProbeSpec::new(ProbeOf::Item(a), ProbeAttr::Spikes),
    );
    let mut w = ProbeSpec::new(ProbeOf::Conn(c), ProbeAttr::Weights);
    w.sample_every = Some(0.002);
    net.probe("weights", w);
    net
}

#[test]
fn streaming_and_scheduled_checkpoints_step_without_allocating() {
    let _turn = turn();
    let dir = std::env::temp_dir().join(format!("netdsl-persist-alloc-{}", std::process::id()));
    for every in [
        CheckpointEvery::Wall(std::time::Duration::from_secs(3600)),
        CheckpointEvery::SimTime(1000.0),
    ] {
        let mut sim = Simulator::new(network(), 0.001).expect("builds");
        sim.set_progress(false);
        sim.set_stream_flush(10);
        sim.stream_all(dir.join("probes")).expect("streams");
        sim.checkpoint_every(every, dir.join("ck"))
            .expect("writable");
        sim.run_steps(50).expect("runs");
        for steps in [1, 500, 3000] {
            let (r, n) = count(|| sim.run_steps(steps));
            r.expect("runs");
            assert_eq!(
                n, 0,
                "run_steps({steps}) with streams and {every:?}: {n} allocations"
            );
        }
        assert_eq!(sim.checkpoints_written(), 0);
    }
    std::fs::remove_dir_all(&dir).ok();
}
