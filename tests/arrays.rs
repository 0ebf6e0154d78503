//! Arrays of items and instances (`ensemble e[N]: ..`, `net s[N]: ..`) and `for` loops, with
//! literal and generic counts.

use netdsl::prelude::*;

network! {
    /// N one-dimensional ensembles between an input and an output node.
    pub Array<const N: usize, const NEURONS: usize>(radius: f64) {
        node input: N;
        node output: N;
        ensemble ens[N]: NEURONS neurons, 1 dims, radius = radius;
        for i in 0..N {
            input[i] -> ens[i], synapse = None;
            ens[i] -> output[i], synapse = None;
        }
    }

    /// Literal counts, a probe of an element, an array of instances.
    pub Uses {
        node stim: 0 -> 3 = |t| [t, 2.0 * t, 3.0 * t];
        node sink[2]: 3;
        net arr: Array<3, 20>(1.0);
        net many[2]: Array<1, 20>(2.0);
        stim -> arr.input;
        for k in 0..2 {
            arr.output -> sink[k];
            stim[k] -> many[k].input;
        }
        arr.ens[2].neurons -> many[1].ens[0].neurons, transform = 0.0;
        probe p: sink[1], synapse = 0.01;
        probe s: arr.ens[0].neurons;
        probe m: many[1].output;
    }
}

#[test]
fn generic_arrays_unroll_at_run_time() {
    let net = Array::<3, 20>::new(1.5).network();
    let names: Vec<&str> = net.items.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["input", "output", "ens[0]", "ens[1]", "ens[2]"]);
    let labels: Vec<String> = net.conns.iter().map(|c| c.label.clone().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "input[0] -> ens[0]",
            "ens[0] -> output[0]",
            "input[1] -> ens[1]",
            "ens[1] -> output[1]",
            "input[2] -> ens[2]",
            "ens[2] -> output[2]",
        ]
    );
    assert_eq!(net.conns[2].pre_slice, Some(1..2));
    assert_eq!(net.conns[5].post_slice, Some(2..3));
    use netdsl::__private::Subnet;
    assert_eq!(<Array<3, 20> as Subnet>::ITEMS, 5);
    assert_eq!(<Array<3, 20> as Subnet>::CONNS, 6);
}

#[test]
fn arrays_of_items_and_instances_build_and_run() {
    let net = Uses::new().network();
    let names: Vec<&str> = net.items.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "stim",
            "sink[0]",
            "sink[1]",
            "arr.input",
            "arr.output",
            "arr.ens[0]",
            "arr.ens[1]",
            "arr.ens[2]",
            "many[0].input",
            "many[0].output",
            "many[0].ens[0]",
            "many[1].input",
            "many[1].output",
            "many[1].ens[0]"
        ]
    );
    let mut sim = Uses::new().build(0.001).expect("builds");
    sim.run(0.02).unwrap();
    assert_eq!(sim.data("p").dim(), (20, 3));
    assert_eq!(sim.data("s").dim(), (20, 20));
    assert_eq!(sim.data("m").dim(), (20, 1));
}
