"""Nengo 4.1 reference-simulator baselines for the netdsl benchmark networks: build time, steps/s and
peak memory. Copy of shared/bench/nengo_baseline.py (networks unchanged) that also reports the
process's peak RSS; run one network per process so peaks don't mix (`examples/bench.rs` does).
`steps_per_s` is the original script's single timed run of 2000 steps; `best_steps_per_s` is the
best of that run and BENCH_REPEATS (default 2) more, the estimator `examples/bench.rs` uses for
both simulators (the least disturbed by other work on a shared machine).
Usage: pip install nengo==4.1.0; python3 nengo_baseline.py [name ...]   (one JSON line per network)"""
import json, os, resource, sys, time
import numpy as np
import nengo

nengo.rc["decoder_cache"]["enabled"] = "False"  # time the real decoder solve, not a disk cache

def seed_memristor(n=100):
    """The seed document's network: pre.neurons -> memristor filter nodes -> post.neurons, pulse nodes."""
    class Memristors:
        def __init__(self, n_pre, n_post, rng):
            self.r0, self.r1 = 1e2, 2.5e8
            self.R = rng.uniform(1e8, 1.1e8, size=(n_post, n_pre))
        def filter(self, t, x):
            w = (self.R - self.r0) / (self.r1 - self.r0)
            return w @ x
        def pulse(self, t, x):
            out, err = x[:n], x[n:]
            if err[0] > 0:  # lower the resistance of every row whose output is positive
                self.R[out > 0] *= 0.999
            return out
    rng = np.random.RandomState(0)
    exc, inh = Memristors(n, n, rng), Memristors(n, n, rng)
    model = nengo.Network(seed=0)
    with model:
        inp = nengo.Node(lambda t: int(6 * t / 5) / 3.0 % 2 - 1)
        pre = nengo.Ensemble(n, 1); post = nengo.Ensemble(n, 1); err = nengo.Ensemble(100, 1)
        mp = nengo.Node(exc.filter, size_in=n, size_out=n)
        mm = nengo.Node(inh.filter, size_in=n, size_out=n)
        pp = nengo.Node(exc.pulse, size_in=n + 1, size_out=n)
        pm = nengo.Node(inh.pulse, size_in=n + 1, size_out=n)
        nengo.Connection(inp, pre)
        nengo.Connection(pre.neurons, mp, synapse=0.01)
        nengo.Connection(pre.neurons, mm, synapse=0.01)
        nengo.Connection(mp, post.neurons, synapse=None)
        nengo.Connection(mm, post.neurons, synapse=None, transform=-1)
        nengo.Connection(pre, err, function=lambda x: x, transform=-1)
        nengo.Connection(post, err)
        nengo.Connection(mp, pp[:n], synapse=None)
        nengo.Connection(mm, pm[:n], synapse=None)
        nengo.Connection(err, pp[n:]); nengo.Connection(err, pm[n:])
        nengo.Probe(post, synapse=0.01); nengo.Probe(err, synapse=0.01)
    return model

def comm_channel(n=100):
    model = nengo.Network(seed=0)
    with model:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        a = nengo.Ensemble(n, 1); b = nengo.Ensemble(n, 1)
        nengo.Connection(inp, a); nengo.Connection(a, b)
        nengo.Probe(b, synapse=0.01)
    return model

def chain10(n=200):
    model = nengo.Network(seed=0)
    with model:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        prev = inp
        for i in range(10):
            e = nengo.Ensemble(n, 1); nengo.Connection(prev, e); prev = e
        nengo.Probe(prev, synapse=0.01)
    return model

def large_weights(n=2000):
    model = nengo.Network(seed=0)
    with model:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        a = nengo.Ensemble(n, 1); b = nengo.Ensemble(n, 1)
        nengo.Connection(inp, a)
        nengo.Connection(a, b, solver=nengo.solvers.LstsqL2(weights=True))
        nengo.Probe(b, synapse=0.01)
    return model

def pes_learning(n=100):
    model = nengo.Network(seed=0)
    with model:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        pre = nengo.Ensemble(n, 1); post = nengo.Ensemble(n, 1); err = nengo.Ensemble(n, 1)
        nengo.Connection(inp, pre)
        c = nengo.Connection(pre, post, function=lambda x: 0, learning_rule_type=nengo.PES())
        nengo.Connection(post, err); nengo.Connection(pre, err, function=lambda x: x**2, transform=-1)
        nengo.Connection(err, c.learning_rule)
        nengo.Probe(post, synapse=0.01)
    return model

NETS = dict(seed_memristor=seed_memristor, comm_channel=comm_channel, chain10=chain10,
            large_weights=large_weights, pes_learning=pes_learning)

if __name__ == "__main__":
    names = sys.argv[1:] or list(NETS)
    for name in names:
        t0 = time.perf_counter(); model = NETS[name]()
        with nengo.Simulator(model, progress_bar=False) as sim:
            t1 = time.perf_counter()
            sim.run_steps(200)  # warm-up
            t2 = time.perf_counter(); steps = 2000; sim.run_steps(steps); t3 = time.perf_counter()
            best = steps / (t3 - t2)
            for _ in range(int(os.environ.get("BENCH_REPEATS", "2"))):
                ta = time.perf_counter(); sim.run_steps(steps); tb = time.perf_counter()
                best = max(best, steps / (tb - ta))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
        print(json.dumps(dict(net=name, build_s=round(t1 - t0, 3), steps_per_s=round(steps / (t3 - t2), 1),
                              best_steps_per_s=round(best, 1), peak_rss_mb=round(peak_mb, 1), own_process=len(names) == 1)), flush=True)
