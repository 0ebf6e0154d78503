"""Structure of Nengo 4.1's networks (and the notebooks' integrator and oscillator), for
tests/networks.rs: item counts, sizes, transforms and synapses, order-free.

    /work/venv-nengo/bin/python tools/nengo_network_structure.py > tests/fixtures/networks_structure.json
"""
import json

import numpy as np
import nengo
from nengo.networks import EnsembleArray, InputGatedMemory, Product


def integrator(recurrent_tau, n_neurons, dimensions):
    # The notebooks' integrator (Nengo 2's nengo.networks.Integrator).
    with nengo.Network() as net:
        net.input = nengo.Node(size_in=dimensions)
        net.ensemble = nengo.Ensemble(n_neurons, dimensions=dimensions)
        nengo.Connection(net.ensemble, net.ensemble, synapse=recurrent_tau)
        nengo.Connection(net.input, net.ensemble, transform=recurrent_tau, synapse=None)
    return net


def oscillator(recurrent_tau, frequency, n_neurons):
    # The notebooks' oscillator (Nengo 2's nengo.networks.Oscillator).
    with nengo.Network() as net:
        net.input = nengo.Node(label="In", size_in=2)
        net.ensemble = nengo.Ensemble(n_neurons, dimensions=2)
        t_a = [[1, -frequency * recurrent_tau], [frequency * recurrent_tau, 1]]
        nengo.Connection(net.ensemble, net.ensemble, synapse=recurrent_tau, transform=t_a)
        nengo.Connection(net.input, net.ensemble, synapse=None)
    return net


def size_of(obj, post):
    if isinstance(obj, nengo.ensemble.Neurons):
        return obj.ensemble.n_neurons
    if isinstance(obj, nengo.Ensemble):
        return obj.dimensions
    return obj.size_in if post else obj.size_out


def describe(net):
    ens = sorted([e.n_neurons, e.dimensions, float(e.radius)] for e in net.all_ensembles)
    nodes = sorted([n.size_in, n.size_out] for n in net.all_nodes)
    conns = []
    for c in net.all_connections:
        t = c.transform
        t = np.asarray(1.0 if isinstance(t, nengo.transforms.NoTransform) else t.init, dtype=float)
        syn = None if c.synapse is None else float(c.synapse.tau)
        conns.append(
            {
                "mid": c.size_mid,
                "out": c.size_out,
                "function": c.function is not None,
                "transform_shape": list(t.shape),
                "transform": [float(x) for x in t.flatten()],
                "synapse": syn,
            }
        )
    conns.sort(key=lambda d: json.dumps(d, sort_keys=True))
    return {
        "ensembles": ens,
        "nodes": nodes,
        "connections": conns,
    }


out = {}
with nengo.Network():
    out["ensemble_array_3_20_r1.5"] = describe(EnsembleArray(20, 3, radius=1.5))
    out["product_2_100"] = describe(Product(100, 2))
    out["product_1_200_mag2"] = describe(Product(200, 1, input_magnitude=2.0))
    out["input_gated_memory_2_50"] = describe(
        InputGatedMemory(50, 2, feedback=0.9, difference_gain=2.0, recurrent_synapse=0.05, difference_synapse=0.02)
    )
    out["integrator_2_100_tau0.1"] = describe(integrator(0.1, 100, 2))
    out["oscillator_200_tau0.1_f5"] = describe(oscillator(0.1, 5.0, 200))
print(json.dumps(out, indent=1, sort_keys=True))
