//! Subnetwork instances: `net name: Type<..>(args);` and paths into them (`arr.ens.neurons`).

use netdsl::prelude::*;

mod lib_nets {
    use netdsl::prelude::*;

    network! {
        /// A scaled relay: one ensemble between an input and an output node.
        pub Relay<const D: usize>(gain: f64) {
            node input: D;
            node output: D;
            ensemble ens: 40 neurons, D dims;
            input -> ens, synapse = None;
            ens -> output, synapse = None, transform = gain;
            probe out: output;
        }
    }
}

network! {
    /// Two relays in a chain, defined in another module.
    pub Chain(tau: f64) {
        node stim: 0 -> 2 = |t| [t.sin(), t.cos()];
        net a: lib_nets::Relay<2>(1.0);
        net b: lib_nets::Relay<2>(0.5);
        ensemble tail: 40 neurons, 1 dims;
        stim -> a.input;
        a.output -> b.input, synapse = tau;
        b.output[1] -> tail;
        a.ens.neurons -> tail.neurons, transform = 0.0;
        probe p_tail: tail, synapse = 0.01;
        probe spikes: a.ens.neurons;
    }

    /// A network of a network of networks, in the same block.
    pub Outer {
        node s: 0 -> 1 = |t| [t];
        net chain: Chain(0.01);
        net r: lib_nets::Relay<1>(2.0);
        s -> r.input;
        r.output -> chain.tail;
        probe deep: chain.a.ens, synapse = 0.01;
    }
}

#[test]
fn items_of_instances_are_qualified_and_connected() {
    let net = Chain::new(0.02).network();
    let names: Vec<&str> = net.items.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["stim", "tail", "a.input", "a.output", "a.ens", "b.input", "b.output", "b.ens"]
    );
    let probes: Vec<&str> = net.probes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(probes, ["a.out", "b.out", "p_tail", "spikes"]);
    let labels: Vec<String> = net.conns.iter().map(|c| c.label.clone().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "a.input -> a.ens",
            "a.ens -> a.output",
            "b.input -> b.ens",
            "b.ens -> b.output",
            "stim -> a.input",
            "a.output -> b.input",
            "b.output[1] -> tail",
            "a.ens.neurons -> tail.neurons",
        ]
    );
    assert_eq!(net.conns[6].pre_slice, Some(1..2));
    assert!(net.static_plan.is_none());
}

#[test]
fn nested_instances_build_and_run() {
    let mut sim = Outer::new().build(0.001).expect("builds");
    sim.run(0.05).unwrap();
    assert_eq!(sim.data("deep").dim(), (50, 2));
    assert_eq!(sim.data("chain.spikes").dim(), (50, 40));
    let plan = sim.plan().to_string();
    assert!(plan.contains("chain.a.ens"), "{plan}");
    assert!(plan.contains("r.ens"), "{plan}");
}

#[test]
fn consts_describe_the_shape() {
    use netdsl::__private::Subnet;
    assert_eq!(<Chain as Subnet>::ITEMS, 8);
    assert_eq!(<Chain as Subnet>::CONNS, 8);
    assert_eq!(<Outer as Subnet>::ITEMS, 1 + 8 + 3);
    let s = <Outer as Subnet>::SHAPE;
    assert_eq!(s.chain.items, 1);
    assert_eq!(s.chain.shape.a.items, 2);
    assert_eq!(s.chain.shape.a.shape.ens.index, 2);
    assert_eq!(s.chain.shape.a.shape.ens.n, 40);
}
