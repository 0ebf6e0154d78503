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

network! {
    /// Value parameters where literals go: one type, many model variants.
    pub Variant(tau: f64, rate: f64, r: f64, seed: u64, k: f64, reg: f64) {
        node stim: 0 -> 1 = |t| [t.sin()];
        ensemble a: 30 neurons, 1 dims, radius = r, seed = seed, max_rates = Uniform(100.0 * k, 200.0);
        ensemble b: 30 neurons, 1 dims;
        stim -> a;
        conn learn: a -> b, synapse = tau, transform = k, solver = LstsqL2 { reg: reg },
            learning = PES { learning_rate: rate };
        b -> learn.learning, synapse = Alpha(tau);
        probe p: b, synapse = tau;
    }

    /// Value parameters passed down into instances.
    pub TwoVariants(tau: f64) {
        net fast: Variant(tau, 1e-4, 1.0, 1, 1.0, 0.1);
        net slow: Variant(10.0 * tau, 1e-5, 2.0, 2, 0.5, 0.01);
    }
}

#[test]
fn value_parameters_go_where_literals_go() {
    use netdsl::core::network::{ItemSpec, Transform};
    let net = Variant::new(0.02, 3e-4, 1.5, 7, 0.5, 0.2).network();
    let ItemSpec::Ensemble(a) = &net.items[1].1 else {
        panic!("a is an ensemble")
    };
    assert_eq!(a.radius, 1.5);
    assert_eq!(a.seed, Some(7));
    assert_eq!(
        a.max_rates,
        Dist::Uniform {
            low: 50.0,
            high: 200.0
        }
    );
    let learn = &net.conns[1];
    assert_eq!(learn.synapse, Some(Synapse::Lowpass(0.02)));
    assert_eq!(learn.transform, Transform::Scalar(0.5));
    assert_eq!(learn.solver.l2_reg(), Some(0.2));
    match &learn.learning {
        Some(LearningRule::Pes { learning_rate, .. }) => assert_eq!(*learning_rate, 3e-4),
        other => panic!("{other:?}"),
    }
    assert_eq!(net.conns[2].synapse, Some(Synapse::Alpha(0.02)));
    assert_eq!(net.probes[0].1.synapse, Some(Synapse::Lowpass(0.02)));
}

#[test]
fn value_parameters_pass_into_instances() {
    let net = TwoVariants::new(0.005).network();
    assert_eq!(net.conns[1].synapse, Some(Synapse::Lowpass(0.005)));
    assert_eq!(net.conns[4].synapse, Some(Synapse::Lowpass(0.05)));
    assert_eq!(net.conns[4].label.as_deref(), Some("slow.learn"));
    // The learning target moved with the instance.
    assert_eq!(
        net.conns[5].post,
        netdsl::core::network::Endpoint::Learning(4)
    );
    let mut sim = TwoVariants::new(0.005).build(0.001).expect("builds");
    sim.run(0.02).unwrap();
    assert_eq!(sim.data("slow.p").dim(), (20, 1));
}

mod stateful {
    use netdsl::prelude::*;

    /// A state value shared by two stages.
    pub struct Counter {
        pub calls: usize,
    }

    impl Counter {
        pub fn tick(&mut self, _t: f64, x: &[f64]) -> [f64; 1] {
            self.calls += 1;
            [x[0]]
        }
    }

    network! {
        pub Counted(c: Counter) {
            node input: 1;
            node count: 1 -> 1 = c.tick;
            input -> count, synapse = None;
        }
    }
}

network! {
    /// A state parameter passed into an instance.
    pub HasState(c: stateful::Counter) {
        node stim: 0 -> 1 = |t| [t];
        net inner: stateful::Counted(c);
        stim -> inner.input;
    }
}

#[test]
fn state_parameters_pass_into_instances() {
    let mut sim = HasState::new(stateful::Counter { calls: 0 })
        .build(0.001)
        .expect("builds");
    sim.run_steps(5).unwrap();
    let c: &stateful::Counter = sim
        .state("inner.c")
        .expect("state under its qualified name");
    assert_eq!(c.calls, 5);
}

network! {
    /// A learned connection inside an instance, its error from outside.
    pub Learner {
        ensemble pre: 30 neurons, 1 dims;
        ensemble post: 30 neurons, 1 dims;
        conn learn: pre -> post, learning = PES { learning_rate: 1e-4 };
    }

    pub Teacher {
        node stim: 0 -> 1 = |t| [t.sin()];
        ensemble err: 30 neurons, 1 dims;
        net l: Learner;
        stim -> l.pre;
        l.post -> err;
        stim -> err, transform = -1.0;
        err -> l.learn.learning;
    }
}

#[test]
fn error_into_a_learned_connection_inside_an_instance() {
    let net = Teacher::new().network();
    let last = net.conns.last().unwrap();
    assert_eq!(last.post, netdsl::core::network::Endpoint::Learning(0));
    assert_eq!(last.label.as_deref(), Some("err -> l.learn.learning"));
    let mut sim = Teacher::new().build(0.001).expect("builds");
    sim.run_steps(10).unwrap();
}
