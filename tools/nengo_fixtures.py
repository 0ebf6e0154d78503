#!/usr/bin/env python3
"""Generate Nengo 4.1 reference fixtures for netdsl's exactness tests.

Usage:
    pip install -r tools/requirements-fixtures.txt   # nengo==4.1.0 (+ numpy, scipy)
    python3 tools/nengo_fixtures.py [--out tests/fixtures] [--only NAME ...] [--allow-mismatch]

numpy: Nengo 4.1.0 runs correctly with numpy 2.x (fixtures were generated with numpy 2.4.6);
numpy 1.x (>= 1.21) works too.  scipy is used by Nengo's decoder solve (cho_factor/cho_solve)
when installed; the fixtures record which versions were used.

Every scenario is built with fully explicit parameters (encoders, gains, biases, eval points,
initial voltages, synapses, solvers), run, and written to ``<out>/<name>.json`` (see
tests/fixtures/README.md for the schema and a description of each network).  The values quoted
in nengo-4.1-semantics.md section 9 are checked; a check table is printed and the script exits
with status 1 *without writing anything* if Nengo disagrees with the document (unless
--allow-mismatch is given).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import warnings


def _baseline_numpy():
    """Re-run this script with NumPy's dispatched SIMD loops off (NPY_DISABLE_CPU_FEATURES).

    On CPUs with AVX2/AVX-512, NumPy 2.x evaluates exp, log, expm1, log1p, tanh, ... with its own
    vector code (SVML and others), which differs from the C library by an ulp here and there;
    the baseline loops call the C library, what netdsl calls too.  With them the fixtures are
    the same on every x86-64 machine (regenerating the committed ones reproduces them exactly).
    """
    if os.environ.get("NPY_DISABLE_CPU_FEATURES") is not None:
        return
    probe = ("import numpy as np; m = getattr(np, '_core', None) or np.core; "
             "print(' '.join(m._multiarray_umath.__cpu_dispatch__))")
    feats = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                           text=True).stdout.strip()
    if feats:
        env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=feats)
        os.execve(sys.executable, [sys.executable] + sys.argv, env)


_baseline_numpy()

import numpy as np  # noqa: E402

import nengo  # noqa: E402
from nengo.dists import Choice  # noqa: E402

try:
    import scipy
    SCIPY_VERSION = scipy.__version__
except ImportError:  # Nengo then uses its numpy Cholesky fallback
    SCIPY_VERSION = None

nengo.rc["decoder_cache"]["enabled"] = "False"  # no disk cache; always the real solve
nengo.rc["progress"]["progress_bar"] = "False"

DT = 0.001
SCHEMA_VERSION = 1

# --------------------------------------------------------------------------------------------
# JSON output: compact but readable; floats as Python repr (shortest round-trip form).


def _scalar(x):
    if x is None:
        return "null"
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        f = float(x)
        if not math.isfinite(f):
            raise ValueError("non-finite float in fixture")
        return repr(f)
    if isinstance(x, str):
        return json.dumps(x)
    raise TypeError(f"cannot encode {type(x)}")


def _is_scalar(x):
    return not isinstance(x, (dict, list, tuple, np.ndarray))


WIDTH = 100


def _compact(o):
    if isinstance(o, dict):
        return "{" + ", ".join(json.dumps(str(k)) + ": " + _compact(v) for k, v in o.items()) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(_compact(e) for e in o) + "]"
    return _scalar(o)


def dump(o, ind=0):
    """JSON text: short values on one line, long lists packed into lines of ~WIDTH chars."""
    if isinstance(o, np.ndarray):
        o = o.tolist()
    pad = " " * (ind + 1)
    if _is_scalar(o):
        return _scalar(o)
    one = _compact(o)
    if len(one) + ind <= WIDTH:
        return one
    if isinstance(o, dict):
        items = [pad + json.dumps(str(k)) + ": " + dump(v, ind + 1) for k, v in o.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * ind + "}"
    parts = [dump(e, ind + 1) for e in o]
    lines, cur = [], ""
    for part in parts:
        if "\n" in part or "\n" in cur:
            if cur:
                lines.append(cur)
            cur = part
        elif cur and len(pad) + len(cur) + 1 + len(part) > WIDTH:
            lines.append(cur)
            cur = part
        else:
            cur = cur + "," + part if cur else part
    if cur:
        lines.append(cur)
    return "[\n" + ",\n".join(pad + ln for ln in lines) + "\n" + " " * ind + "]"


def tolist(a):
    return np.asarray(a, dtype=float).tolist()


# --------------------------------------------------------------------------------------------
# Network recorder: creates Nengo objects from explicit specs and records the same specs.

DEFAULT_SYN = {"type": "Lowpass", "tau": 0.005}


def make_synapse(spec):
    if spec is None:
        return None
    if spec["type"] == "Lowpass":
        return nengo.Lowpass(spec["tau"])
    if spec["type"] == "Alpha":
        return nengo.Alpha(spec["tau"])
    raise ValueError(spec)


def lowpass(tau):
    return {"type": "Lowpass", "tau": tau}


def LIF(tau_rc=0.02, tau_ref=0.002, min_voltage=0.0, amplitude=1.0):
    return {"type": "LIF", "tau_rc": tau_rc, "tau_ref": tau_ref,
            "min_voltage": min_voltage, "amplitude": amplitude}


def make_neuron(spec, v0, state=None):
    t = spec["type"]
    init = None if v0 is None else {"voltage": Choice([float(v0)])}
    if state:
        init = dict(init or {})
        init.update({k: np.asarray(v, dtype=float) for k, v in state.items()})
    if t == "AdaptiveLIF":
        return nengo.AdaptiveLIF(tau_n=spec["tau_n"], inc_n=spec["inc_n"], tau_rc=spec["tau_rc"],
                                 tau_ref=spec["tau_ref"], min_voltage=spec["min_voltage"],
                                 amplitude=spec["amplitude"], initial_state=init)
    if t == "AdaptiveLIFRate":
        return nengo.AdaptiveLIFRate(tau_n=spec["tau_n"], inc_n=spec["inc_n"],
                                     tau_rc=spec["tau_rc"], tau_ref=spec["tau_ref"],
                                     amplitude=spec["amplitude"], initial_state=init)
    if t == "Izhikevich":
        return nengo.Izhikevich(tau_recovery=spec["tau_recovery"], coupling=spec["coupling"],
                                reset_voltage=spec["reset_voltage"],
                                reset_recovery=spec["reset_recovery"], initial_state=init)
    if t == "Sigmoid":
        return nengo.Sigmoid(tau_ref=spec["tau_ref"])
    if t == "Tanh":
        return nengo.Tanh(tau_ref=spec["tau_ref"])
    if t in ("RegularSpiking", "StochasticSpiking", "PoissonSpiking"):
        base_init = None
        own_init = None
        if init:
            own_names = ("voltage",) if t == "RegularSpiking" else ()
            own_init = {k: v for k, v in init.items() if k in own_names} or None
            base_init = {k: v for k, v in init.items() if k not in own_names} or None
        base = make_neuron(spec["base"], None, base_init)
        return getattr(nengo, t)(base, amplitude=spec["amplitude"], initial_state=own_init)
    if t == "LIF":
        return nengo.LIF(tau_rc=spec["tau_rc"], tau_ref=spec["tau_ref"],
                         min_voltage=spec["min_voltage"], amplitude=spec["amplitude"],
                         initial_state=init)
    if t == "LIFRate":
        return nengo.LIFRate(tau_rc=spec["tau_rc"], tau_ref=spec["tau_ref"],
                             amplitude=spec["amplitude"])
    if t == "RectifiedLinear":
        return nengo.RectifiedLinear(amplitude=spec["amplitude"])
    if t == "SpikingRectifiedLinear":
        return nengo.SpikingRectifiedLinear(amplitude=spec["amplitude"], initial_state=init)
    if t == "Direct":
        return nengo.Direct()
    raise ValueError(t)


def ALIF(tau_n=1.0, inc_n=0.01, tau_rc=0.02, tau_ref=0.002, min_voltage=0.0, amplitude=1.0):
    return {"type": "AdaptiveLIF", "tau_n": tau_n, "inc_n": inc_n, "tau_rc": tau_rc,
            "tau_ref": tau_ref, "min_voltage": min_voltage, "amplitude": amplitude}


def ALIFRate(tau_n=1.0, inc_n=0.01, tau_rc=0.02, tau_ref=0.002, amplitude=1.0):
    return {"type": "AdaptiveLIFRate", "tau_n": tau_n, "inc_n": inc_n, "tau_rc": tau_rc,
            "tau_ref": tau_ref, "amplitude": amplitude}


IZH_PRESETS = {  # nengo.Izhikevich docstring
    "RS": {}, "IB": {"reset_voltage": -55.0, "reset_recovery": 4.0},
    "CH": {"reset_voltage": -50.0, "reset_recovery": 2.0}, "FS": {"tau_recovery": 0.1},
    "LTS": {"coupling": 0.25}, "RZ": {"tau_recovery": 0.1, "coupling": 0.26},
}


def IZH(preset="RS"):
    nt = nengo.Izhikevich(**IZH_PRESETS[preset])
    return {"type": "Izhikevich", "tau_recovery": nt.tau_recovery, "coupling": nt.coupling,
            "reset_voltage": nt.reset_voltage, "reset_recovery": nt.reset_recovery}


def make_solver(spec):
    """A Nengo solver from its record: {"type": class name, "weights": bool, parameters...}."""
    kw = {k: v for k, v in spec.items() if k not in ("type", "weights", "solver1", "solver2",
                                                     "values")}
    for k in ("solver1", "solver2"):
        if k in spec:
            kw[k] = make_solver(spec[k])
    if spec["type"] == "NoSolver":
        vals = spec.get("values")
        return nengo.solvers.NoSolver(None if vals is None else np.asarray(vals, dtype=float),
                                      weights=spec.get("weights", False))
    return getattr(nengo.solvers, spec["type"])(weights=spec.get("weights", False), **kw)


class Net:
    def __init__(self, seed=0):
        self.seed = seed
        self.net = nengo.Network(seed=seed)
        self.objs = {}
        self.kinds = {}
        self.d = {"ensembles": [], "nodes": [], "connections": [], "probes": []}
        self.extra = {}

    def resolve(self, name):
        if name.endswith(".neurons"):
            return self.objs[name[: -len(".neurons")]].neurons
        if name.endswith(".learning_rule"):
            return self.objs[name[: -len(".learning_rule")]].learning_rule
        return self.objs[name]

    def kind(self, name):
        if name.endswith(".neurons"):
            return "neurons"
        if name.endswith(".learning_rule"):
            return "learning_rule"
        return self.kinds[name]

    def ensemble(self, name, n, d, neuron=None, encoders=None, gain=None, bias=None,
                 eval_points=None, radius=1.0, v0=None, max_rates=None, intercepts=None,
                 state=None):
        neuron = neuron or LIF()
        kw = {}
        if encoders is not None:
            kw["encoders"] = np.asarray(encoders, dtype=float)
        if gain is not None:
            kw["gain"] = np.asarray(gain, dtype=float)
            kw["bias"] = np.asarray(bias, dtype=float)
        if max_rates is not None:
            kw["max_rates"] = np.asarray(max_rates, dtype=float)
            kw["intercepts"] = np.asarray(intercepts, dtype=float)
        if eval_points is not None:
            kw["eval_points"] = np.asarray(eval_points, dtype=float)
        with self.net:
            e = nengo.Ensemble(n, d, radius=radius, neuron_type=make_neuron(neuron, v0, state),
                               label=name, **kw)
        self.objs[name] = e
        self.kinds[name] = "ensemble"
        self.d["ensembles"].append({
            "name": name, "n_neurons": n, "dimensions": d, "neuron_type": neuron,
            "radius": float(radius), "normalize_encoders": True,
            "encoders": None if encoders is None else tolist(np.reshape(encoders, (n, d))),
            "gain": None if gain is None else tolist(gain),
            "bias": None if bias is None else tolist(bias),
            "max_rates": None if max_rates is None else tolist(max_rates),
            "intercepts": None if intercepts is None else tolist(intercepts),
            "eval_points": None if eval_points is None else tolist(eval_points),
            "initial_voltage": None if v0 is None else [float(v0)] * n,
        })
        if state:
            self.d["ensembles"][-1]["initial_state"] = {k: tolist(v) for k, v in state.items()}
        return e

    def node(self, name, output, text=None, size_in=0, size_out=None):
        with self.net:
            nd = nengo.Node(output, size_in=size_in, size_out=size_out, label=name)
        self.objs[name] = nd
        self.kinds[name] = "node"
        if output is None:
            out = {"kind": "passthrough"}
        elif callable(output):
            out = {"kind": "function", "args": "t" if size_in == 0 else "t,x", "text": text}
        else:
            out = {"kind": "constant", "value": tolist(np.atleast_1d(output))}
        self.d["nodes"].append({"name": name, "size_in": nd.size_in, "size_out": nd.size_out,
                                "output": out})
        return nd

    def conn(self, name, pre, post, pre_slice=None, post_slice=None, function=None,
             function_text=None, transform=None, synapse=DEFAULT_SYN, solver="auto",
             learning=None):
        pre_o, post_o = self.resolve(pre), self.resolve(post)
        if pre_slice is not None:
            pre_o = pre_o[slice(*pre_slice)]
        if post_slice is not None:
            post_o = post_o[slice(*post_slice)]
        kw = {"synapse": make_synapse(synapse)}
        if function is not None:
            kw["function"] = function
        if transform is not None:
            kw["transform"] = np.asarray(transform, dtype=float) if not np.isscalar(transform) \
                else float(transform)
        decoded = self.kind(pre) == "ensemble"
        if solver == "auto":
            solver = {"type": "LstsqL2", "reg": 0.1, "weights": False} if decoded else None
        if solver is not None:
            kw["solver"] = make_solver(solver)
        if learning is not None:
            assert learning["type"] == "PES"
            kw["learning_rule_type"] = nengo.PES(
                learning_rate=learning["learning_rate"],
                pre_synapse=make_synapse(learning["pre_synapse"]))
        with self.net:
            c = nengo.Connection(pre_o, post_o, label=name, **kw)
        self.objs[name] = c
        self.kinds[name] = "connection"
        if transform is None:
            tr = None
        elif np.isscalar(transform):
            tr = float(transform)
        else:
            tr = tolist(transform)
        self.d["connections"].append({
            "name": name, "pre": pre, "pre_kind": self.kind(pre),
            "pre_slice": None if pre_slice is None else list(pre_slice),
            "post": post, "post_kind": self.kind(post),
            "post_slice": None if post_slice is None else list(post_slice),
            "function": function_text, "transform": tr, "synapse": synapse,
            "solver": solver, "eval_points": None, "learning_rule": learning,
            "size_in": c.size_in, "size_mid": c.size_mid, "size_out": c.size_out,
        })
        return c

    def probe(self, name, target, attr=None, synapse=None, sample_every=None, solver=None):
        tk = self.kind(target)
        if attr is None:
            attr = {"ensemble": "decoded_output", "node": "output", "neurons": "output",
                    "connection": "output"}[tk]
        kw = {} if solver is None else {"solver": make_solver(solver)}
        with self.net:
            p = nengo.Probe(self.resolve(target), attr, synapse=make_synapse(synapse),
                            sample_every=sample_every, label=name, **kw)
        self.objs[name] = p
        self.kinds[name] = "probe"
        rec = {"name": name, "target": target, "target_kind": tk, "attr": attr,
               "synapse": synapse, "sample_every": sample_every}
        if attr == "decoded_output":
            rec["solver"] = solver or {"type": "LstsqL2", "reg": 0.1, "weights": False}
        self.d["probes"].append(rec)
        return p

    # ---------------------------------------------------------------------------------------
    def run(self, n_steps, dt=DT):
        self.sim = sim = nengo.Simulator(self.net, dt=dt, progress_bar=False)
        with sim:
            sim.run_steps(n_steps)
        self.n_steps, self.dt = n_steps, dt
        return sim

    def data(self, name):
        return self.sim.data[self.objs[name]]

    def fixture(self, name, description, notes=None):
        sim = self.sim
        res = {"trange": tolist(sim.trange()), "probes": {}, "probe_t": {}}
        for p in self.d["probes"]:
            po = self.objs[p["name"]]
            arr = np.asarray(sim.data[po], dtype=float)
            res["probes"][p["name"]] = arr.reshape(arr.shape[0], -1).tolist() \
                if arr.ndim == 2 else arr.tolist()
            if po.sample_every is not None:  # others are sampled at every step (= trange)
                res["probe_t"][p["name"]] = tolist(sim.trange(sample_every=po.sample_every))
        build = {"ensembles": {}, "connections": {}, "probes": {}}
        for e in self.d["ensembles"]:
            eo = self.objs[e["name"]]
            bd = sim.data[eo]
            rec = {"encoders": tolist(bd.encoders)}
            given = e["eval_points"]
            same = given is not None and np.array_equal(
                np.asarray(given, dtype=float) * e["radius"], bd.eval_points)
            # eval_points (already x radius) only when they differ from network eval_points
            if not same and e["neuron_type"]["type"] != "Direct":
                rec["eval_points"] = tolist(bd.eval_points)
            if bd.gain is not None:
                rec.update(gain=tolist(bd.gain), bias=tolist(bd.bias),
                           scaled_encoders=tolist(bd.scaled_encoders),
                           max_rates=tolist(bd.max_rates), intercepts=tolist(bd.intercepts))
            build["ensembles"][e["name"]] = rec
        for c in self.d["connections"]:
            co = self.objs[c["name"]]
            build["connections"][c["name"]] = self._conn_build(co)
        for obj in sim.model.params:
            if isinstance(obj, nengo.Connection) and isinstance(obj.post_obj, nengo.Probe):
                build["probes"][obj.post_obj.label] = self._conn_build(obj)
        res["build"] = build
        fx = {
            "schema_version": SCHEMA_VERSION, "name": name, "description": description,
            "nengo_version": nengo.__version__, "numpy_version": np.__version__,
            "scipy_version": SCIPY_VERSION, "dt": self.dt, "n_steps": self.n_steps,
            "network_seed": self.seed, "simulator_seed": sim.seed, "network": self.d,
        }
        if notes:
            fx["notes"] = notes
        fx.update(self.extra)
        fx["results"] = res
        return fx

    def _conn_build(self, co):
        bd = self.sim.data[co]
        rec = {"weights": tolist(np.atleast_2d(bd.weights)) if bd.weights is not None else None}
        si = getattr(bd, "solver_info", None) or {}
        if "rmses" in si:
            rec["solver_rmses"] = tolist(si["rmses"])
        return rec


# --------------------------------------------------------------------------------------------
# Checks against nengo-4.1-semantics.md section 9

CHECKS = []


def check(scenario, what, got, expected, atol):
    got_a, exp_a = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    ok = got_a.shape == exp_a.shape and np.allclose(got_a, exp_a, rtol=0, atol=atol)
    CHECKS.append((scenario, what, ok, np.round(got_a, 10).tolist(), exp_a.tolist()))
    return ok


def check_true(scenario, what, cond, got, expected):
    CHECKS.append((scenario, what, bool(cond), got, expected))


# --------------------------------------------------------------------------------------------
# Helpers

A11 = dict(n=4, d=1, encoders=[[1], [-1], [1], [-1]], gain=[2, 2, 3, 3], bias=[1.5, 1.5, 1, 1])


def spike_steps(col):
    return (np.nonzero(np.asarray(col) > 0)[0] + 1).tolist()


def steps_of(vals, steps):
    return [float(np.asarray(vals)[s - 1, 0]) for s in steps]


def draw_params(n, d, seed):
    """Parameters Nengo draws for Ensemble(n, d, seed=seed) with all defaults."""
    with nengo.Network() as net:
        e = nengo.Ensemble(n, d, seed=seed)
    with nengo.Simulator(net, progress_bar=False) as sim:
        bd = sim.data[e]
        return dict(encoders=bd.encoders.copy(), gain=bd.gain.copy(), bias=bd.bias.copy(),
                    eval_points=bd.eval_points.copy())


# --------------------------------------------------------------------------------------------
# Scenarios


def s01_time():
    N = Net()
    N.node("u", lambda t: t, "t")
    N.probe("p", "u")
    N.run(3)
    check("s01", "probe u", N.data("p")[:, 0], [0.001, 0.002, 0.003], 1e-15)
    check_true("s01", "sim.n_steps == 3", N.sim.n_steps == 3, N.sim.n_steps, 3)
    return N.fixture("s01_time", "Node(lambda t: t) probed for 3 steps; first step sees t = dt.")


def _step_net(synapse, n=5):
    N = Net()
    N.node("u", 1.0)
    N.node("v", None, size_in=1)
    N.conn("c", "u", "v", synapse=synapse)
    N.probe("p", "v")
    N.run(n)
    return N


def s02_lowpass():
    N = _step_net(lowpass(0.01))
    check("s02", "probe v", N.data("p")[:, 0],
          [0, 0.09516258, 0.18126925, 0.25918178, 0.32967995], 1e-8)
    return N.fixture("s02_lowpass", "Node(1.0) -> passthrough Node(size_in=1), synapse "
                     "Lowpass(0.01); probe the passthrough node. 5 steps.")


def s03_alpha():
    N = _step_net({"type": "Alpha", "tau": 0.005})
    check("s03", "probe v", N.data("p")[:, 0],
          [0, 0.0175231, 0.06155194, 0.12190138, 0.19120786], 1e-7)
    return N.fixture("s03_alpha", "Node(1.0) -> passthrough Node(size_in=1), synapse "
                     "Alpha(0.005); probe the passthrough node. 5 steps.")


def s04_delay_zero():
    N = _step_net(lowpass(0.0))
    check("s04", "synapse=0 probe v", N.data("p")[:, 0], [0, 1, 1, 1, 1], 1e-15)
    return N.fixture("s04_delay_zero", "Node(1.0) -> passthrough Node(size_in=1), synapse "
                     "Lowpass(0) (pure one-step delay). 5 steps.")


def s04_delay_none():
    N = _step_net(None)
    check("s04", "synapse=None probe v", N.data("p")[:, 0], [1, 1, 1, 1, 1], 1e-15)
    return N.fixture("s04_delay_none", "Node(1.0) -> passthrough Node(size_in=1), synapse "
                     "None (no delay). 5 steps.")


def s04_circular():
    N = Net()
    N.node("a", lambda t, x: x + 1, "x + 1", size_in=1, size_out=1)
    N.node("b", lambda t, x: x + 1, "x + 1", size_in=1, size_out=1)
    N.conn("ab", "a", "b", synapse=lowpass(0.0))
    N.conn("ba", "b", "a", synapse=lowpass(0.0))
    N.probe("pa", "a")
    N.probe("pb", "b")
    N.run(4)
    check("s04", "circular probe a", N.data("pa")[:, 0], [1, 2, 3, 4], 1e-15)
    return N.fixture("s04_circular", "Two nodes f(t,x)=x+1 connected a->b and b->a, both with "
                     "synapse Lowpass(0). 4 steps.")


def s05_cycle_check():
    with nengo.Network() as net:
        a = nengo.Node(None, size_in=1)
        b = nengo.Node(None, size_in=1)
        nengo.Connection(a, b, synapse=None)
        nengo.Connection(b, a, synapse=None)
    msg = None
    try:
        nengo.Simulator(net, progress_bar=False)
    except nengo.exceptions.BuildError as e:
        msg = str(e)
    check_true("s05", "cycle BuildError", msg is not None and
               msg.startswith("Input graph has cycles."), (msg or "no error")[:40],
               "Input graph has cycles. ...")


def s06_single_lif():
    N = Net()
    N.node("stim", 0.5)
    N.ensemble("ens", 1, 1, neuron=LIF(), encoders=[[1.0]], gain=[1.0], bias=[1.5], v0=0.0,
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.conn("c", "stim", "ens", synapse=None)
    N.probe("spikes", "ens.neurons", "output")
    N.probe("voltage", "ens.neurons", "voltage")
    N.probe("refractory_time", "ens.neurons", "refractory_time")
    N.probe("input", "ens.neurons", "input")
    N.run(100)
    check_true("s06", "spike steps", spike_steps(N.data("spikes")[:, 0]) ==
               [14, 30, 46, 62, 78, 94], spike_steps(N.data("spikes")[:, 0]),
               [14, 30, 46, 62, 78, 94])
    check("s06", "spike value", N.data("spikes")[13, 0], 1000.0, 1e-9)
    check("s06", "voltage steps 1-3", N.data("voltage")[:3, 0],
          [0.09754115, 0.19032516, 0.27858405], 1e-8)
    check("s06", "refractory_time step 14", N.data("refractory_time")[13, 0], 0.00286294, 1e-8)
    check("s06", "input J", N.data("input")[:, 0], [2.0] * 100, 1e-12)
    rate = nengo.LIFRate().rates(np.array([1.0]), np.array([1.0]), np.array([1.0]))
    check("s06", "analytic rate J=2", np.ravel(rate)[0], 63.0400022, 1e-7)
    return N.fixture("s06_single_lif", "One LIF neuron (gain 1, bias 1.5, encoder 1, v0 0) "
                     "driven by Node(0.5) with synapse None: J = 2. 100 steps.")


def s07_gain_bias():
    N = Net()
    N.ensemble("ens", 3, 1, neuron=LIF(), max_rates=[100, 200, 300],
               intercepts=[-0.5, 0, 0.5], encoders=[[1], [1], [-1]], radius=2.0, v0=0.0,
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.probe("spikes", "ens.neurons", "output")
    N.run(1)
    bd = N.data("ens")
    g = [1.3554965211, 6.1791619817, 29.0111102882]
    b = [1.6777482606, 1.0, -13.5055551441]
    check("s07", "ensemble gain", bd.gain, g, 1e-9)
    check("s07", "ensemble bias", bd.bias, b, 1e-9)
    check("s07", "scaled_encoders (radius 2)", bd.scaled_encoders[:, 0],
          [0.6777482606, 3.0895809908, -14.5055551441], 1e-9)
    mr = np.array([100.0, 200.0, 300.0])
    ic = np.array([-0.5, 0.0, 0.5])
    gg, bb = nengo.LIF().gain_bias(mr, ic)
    check("s07", "LIF().gain_bias gain", gg, g, 1e-9)
    check("s07", "LIF().gain_bias bias", bb, b, 1e-9)
    cases = []
    mr2 = [50.0, 100.0, 200.0, 300.0, 400.0]
    ic2 = [-0.9, -0.5, 0.0, 0.5, 0.89]
    for spec, nt in [(LIF(), nengo.LIF()), (LIF(tau_rc=0.05, tau_ref=0.001),
                                            nengo.LIF(tau_rc=0.05, tau_ref=0.001)),
                     ({"type": "RectifiedLinear", "amplitude": 1.0}, nengo.RectifiedLinear()),
                     ({"type": "RectifiedLinear", "amplitude": 0.5},
                      nengo.RectifiedLinear(amplitude=0.5)),
                     ({"type": "SpikingRectifiedLinear", "amplitude": 1.0},
                      nengo.SpikingRectifiedLinear())]:
        for m, i in [(mr, ic), (np.array(mr2), np.array(ic2))]:
            gg, bb = nt.gain_bias(np.asarray(m, float), np.asarray(i, float))
            cases.append({"neuron_type": spec, "max_rates": tolist(m), "intercepts": tolist(i),
                          "gain": tolist(gg), "bias": tolist(bb)})
    N.extra["gain_bias_cases"] = cases
    return N.fixture(
        "s07_gain_bias", "Ensemble(3, 1, LIF v0=0, max_rates [100,200,300], intercepts "
        "[-0.5,0,0.5], encoders [[1],[1],[-1]], radius 2): built gain/bias/scaled_encoders in "
        "results.build. gain_bias_cases: NeuronType.gain_bias(max_rates, intercepts) for LIF, "
        "LIF(tau_rc=0.05,tau_ref=0.001), RectifiedLinear (amplitude 1 and 0.5), "
        "SpikingRectifiedLinear. 1 step.")


def s08_lifrate():
    N = Net()
    J = np.array([0.5, 1.0, 1.0001, 1.5, 2.0, 5.0])
    out = np.zeros_like(J)
    nengo.LIFRate().step(DT, J, out)
    check("s08", "LIFRate.step", out,
          [0, 0, 5.3703152621, 41.7149068741, 63.0400021906, 154.7299947551], 1e-9)
    cases = [{"neuron_type": {"type": "LIFRate", "tau_rc": 0.02, "tau_ref": 0.002,
                              "amplitude": 1.0}, "J": tolist(J), "rates": tolist(out)}]
    J2 = np.array([-1.0, 0.0, 1.0, 1.0 + 1e-9, 1.01, 3.0, 10.0, 100.0])
    for kw in [dict(), dict(tau_rc=0.05, tau_ref=0.001), dict(amplitude=0.5)]:
        nt = nengo.LIFRate(**kw)
        o = np.zeros_like(J2)
        nt.step(DT, J2, o)
        spec = {"type": "LIFRate", "tau_rc": nt.tau_rc, "tau_ref": nt.tau_ref,
                "amplitude": nt.amplitude}
        cases.append({"neuron_type": spec, "J": tolist(J2), "rates": tolist(o)})
    # And a LIFRate ensemble in a simulation
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    N.ensemble("ens", 3, 1, neuron={"type": "LIFRate", "tau_rc": 0.02, "tau_ref": 0.002,
                                    "amplitude": 1.0},
               encoders=[[1], [-1], [1]], gain=[1.5, 2.5, 4.0], bias=[1.2, 1.1, 0.5],
               eval_points=np.linspace(-1, 1, 21)[:, None])
    N.conn("c", "stim", "ens", synapse=None)
    N.probe("rates", "ens.neurons", "output")
    N.probe("decoded", "ens", synapse=lowpass(0.01))
    N.run(50)
    N.extra["rate_cases"] = cases
    return N.fixture(
        "s08_lifrate", "rate_cases: LIFRate.step(dt, J) for the doc's J values and more "
        "(default, tau_rc 0.05/tau_ref 0.001, amplitude 0.5). Plus a 3-neuron LIFRate ensemble "
        "driven by sin(10t) (synapse None), probing rates and decoded output. 50 steps.")


def s09_spiking_relu():
    N = Net()
    N.node("stim", 0.3)
    N.ensemble("ens", 2, 1, neuron={"type": "SpikingRectifiedLinear", "amplitude": 1.0},
               encoders=[[1], [1]], gain=[200, 500], bias=[0.1, 0.2], v0=0.0,
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.conn("c", "stim", "ens", synapse=None)
    N.probe("spikes", "ens.neurons", "output")
    N.probe("input", "ens.neurons", "input")
    N.run(1000)
    s = N.data("spikes")
    check("s09", "J", N.data("input")[0], [60.1, 150.2], 1e-9)
    check_true("s09", "first spike steps", [spike_steps(s[:, 0])[0], spike_steps(s[:, 1])[0]]
               == [17, 7], [spike_steps(s[:, 0])[0], spike_steps(s[:, 1])[0]], [17, 7])
    cnt = (s * DT).sum(axis=0).round().astype(int).tolist()
    check_true("s09", "spike counts /1000 steps", cnt == [60, 150], cnt, [60, 150])
    return N.fixture("s09_spiking_relu", "Two SpikingRectifiedLinear neurons (gain [200,500], "
                     "bias [0.1,0.2], encoders 1, v0 0) driven by Node(0.3), synapse None. "
                     "1000 steps.")


def s10_neuron_input_gain():
    N = Net()
    N.node("stim", 0.3)
    N.ensemble("ens", 2, 1, neuron={"type": "RectifiedLinear", "amplitude": 1.0},
               encoders=[[1], [1]], gain=[2, 5], bias=[0, 0],
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.conn("c", "stim", "ens.neurons", transform=[[1], [2]], synapse=None)
    N.probe("input", "ens.neurons", "input")
    N.probe("rates", "ens.neurons", "output")
    N.run(3)
    check("s10", "neurons input", N.data("input")[0], [0.6, 3.0], 1e-12)
    return N.fixture("s10_neuron_input_gain", "RectifiedLinear ensemble gain [2,5] bias 0; "
                     "Node(0.3) -> ens.neurons, transform [[1],[2]], synapse None: J = gain * "
                     "(transform*u). 3 steps.")


def s11_decoders():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    ep = np.linspace(-1, 1, 11)[:, None]
    N.ensemble("A", 4, 1, encoders=A11["encoders"], gain=A11["gain"], bias=A11["bias"],
               eval_points=ep, v0=0.0)
    N.node("out_sq", None, size_in=1)
    N.node("out_x05", None, size_in=1)
    N.node("out_x01", None, size_in=1)
    N.conn("c_in", "stim", "A", synapse=None)
    N.conn("c_sq", "A", "out_sq", function=lambda x: x ** 2, function_text="x**2")
    N.conn("c_x05", "A", "out_x05", solver={"type": "LstsqL2", "reg": 0.05, "weights": False})
    N.conn("c_x01", "A", "out_x01")
    # transposed solve: 20 neurons, 8 eval points
    P = draw_params(20, 1, seed=11)
    ep8 = np.linspace(-0.9, 0.9, 8)[:, None]
    N.ensemble("W", 20, 1, encoders=P["encoders"], gain=P["gain"], bias=P["bias"],
               eval_points=ep8, v0=0.0)
    N.node("out_w", None, size_in=1)
    N.conn("c_w_in", "stim", "W", synapse=None)
    N.conn("c_w", "W", "out_w", function=lambda x: x ** 2, function_text="x**2")
    # weights=True ens -> ens
    N.ensemble("B", 3, 1, encoders=[[1], [-1], [1]], gain=[1.5, 2.5, 4.0], bias=[1.2, 1.1, 0.5],
               eval_points=np.linspace(-1, 1, 21)[:, None], v0=0.0)
    N.conn("c_full", "A", "B", function=lambda x: 2 * x, function_text="2*x",
           solver={"type": "LstsqL2", "reg": 0.1, "weights": True})
    N.probe("p_sq", "out_sq")
    N.probe("p_B_spikes", "B.neurons", "output")
    N.run(20)
    check("s11", "weights x**2", N.data("c_sq").weights[0],
          [-0.00029161, -0.00029161, 0.00556946, 0.00556946], 1e-8)
    check("s11", "weights x reg 0.05", N.data("c_x05").weights[0],
          [0.00192161, -0.00192161, 0.00512138, -0.00512138], 1e-8)
    A = nengo.LIFRate().rates(ep @ np.array(A11["encoders"], float).T,
                              np.array(A11["gain"], float), np.array(A11["bias"], float))
    check("s11", "A.max()", A.max(), 128.97166, 1e-5)
    check_true("s11", "c_full weights shape (3, 4)", N.data("c_full").weights.shape == (3, 4),
               list(N.data("c_full").weights.shape), [3, 4])
    return N.fixture(
        "s11_decoders", "Decoder solves. A: 4 LIF neurons (doc section 9.11), eval points "
        "linspace(-1,1,11): c_sq x**2 reg 0.1, c_x05 identity reg 0.05, c_x01 identity reg 0.1. "
        "W: 20 LIF neurons (Nengo-drawn, seed 11) with 8 eval points linspace(-0.9,0.9,8) "
        "(m < n: transposed solve), c_w x**2. c_full: A -> B (3 neurons) function 2*x, "
        "LstsqL2(weights=True): full (3, 4) weight matrix into B.neurons. 20 steps.")


def _comm12(N):
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    N.ensemble("A", 4, 1, encoders=A11["encoders"], gain=A11["gain"], bias=A11["bias"],
               eval_points=np.linspace(-1, 1, 21)[:, None], v0=0.0)
    N.ensemble("B", 3, 1, encoders=[[1], [-1], [1]], gain=[1.5, 2.5, 4.0], bias=[1.2, 1.1, 0.5],
               eval_points=np.linspace(-1, 1, 21)[:, None], v0=0.0)
    N.conn("c_in", "stim", "A", synapse=None)
    N.conn("c_ab", "A", "B", function=lambda x: 2 * x, function_text="2*x")


def s12_comm_channel():
    N = Net()
    _comm12(N)
    N.probe("B_decoded", "B", synapse=lowpass(0.01))
    N.probe("B_spikes", "B.neurons", "output")
    N.probe("A_spikes", "A.neurons", "output")
    N.probe("stim", "stim")
    N.run(200)
    check("s12", "weights A->B", N.data("c_ab").weights[0],
          [0.00576053, -0.00576053, 0.00794759, -0.00794759], 1e-8)
    nsp = int(round((N.data("B_spikes") * DT).sum()))
    check_true("s12", "B spikes in 200 steps", nsp == 52, nsp, 52)
    check("s12", "B probe steps 50/100/150/200", steps_of(N.data("B_decoded"),
                                                           [50, 100, 150, 200]),
          [0.97106321, 0.97231961, 1.33560875, 1.39633075], 1e-8)
    return N.fixture(
        "s12_comm_channel", "stim sin(10t) -(None)-> A (4 LIF, doc 9.11 params, eval points "
        "linspace(-1,1,21), v0 0) -(Lowpass 0.005, function 2*x)-> B (3 LIF, encoders "
        "[1,-1,1], gain [1.5,2.5,4], bias [1.2,1.1,0.5], same eval points, v0 0). Probe B "
        "decoded with Lowpass(0.01). 200 steps.")


def s13_pes():
    N = Net()
    N.node("stim", 0.5)
    N.ensemble("pre", 4, 1, encoders=A11["encoders"], gain=A11["gain"], bias=A11["bias"],
               eval_points=np.linspace(-1, 1, 11)[:, None], v0=0.0)
    N.node("post", None, size_in=1)
    N.node("err", None, size_in=1)
    N.conn("c_in", "stim", "pre", synapse=None)
    N.conn("conn", "pre", "post", function=lambda x: [0.0], function_text="[0.0]",
           learning={"type": "PES", "learning_rate": 1e-3, "pre_synapse": lowpass(0.005)})
    N.conn("c_post_err", "post", "err", synapse=None)
    N.conn("c_stim_err", "stim", "err", transform=-1.0, synapse=None)
    N.conn("c_err_rule", "err", "conn.learning_rule")
    N.probe("post", "post")
    N.probe("err", "err")
    N.probe("weights", "conn", "weights")
    N.run(300)
    check("s13", "post steps 50/100/200/300", steps_of(N.data("post"), [50, 100, 200, 300]),
          [0.08887551, 0.16758819, 0.21259084, 0.18777874], 1e-8)
    return N.fixture(
        "s13_pes", "stim Node(0.5) -(None)-> pre (4 LIF, doc 9.11 params, v0 0); conn: pre -> "
        "passthrough node post, function [0.0], synapse Lowpass(0.005), PES(learning_rate 1e-3, "
        "pre_synapse Lowpass(0.005)); err passthrough node = post - stim (both synapse None); "
        "err -> conn.learning_rule (Lowpass 0.005). 300 steps.")


def s14_probe_timing():
    N = Net()
    N.node("stim", [1.0])
    N.ensemble("ens", 2, 1, encoders=[[1], [1]], gain=[1, 1], bias=[1, 1], v0=0.0,
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.conn("c", "stim", "ens", synapse=None)
    N.probe("J_syn0", "ens.neurons", "input", synapse=lowpass(0.0))
    N.probe("J_none", "ens.neurons", "input")
    N.probe("J_every2", "ens.neurons", "input", sample_every=0.002)
    N.run(4)
    check("s14", "J synapse=0", N.data("J_syn0")[:, 0], [0, 2, 2, 2], 1e-12)
    check("s14", "J synapse=None", N.data("J_none")[:, 0], [2, 2, 2, 2], 1e-12)
    check("s14", "sample_every t", N.sim.trange(sample_every=0.002), [0.002, 0.004], 1e-15)
    check_true("s14", "sample_every n", len(N.data("J_every2")) == 2, len(N.data("J_every2")), 2)
    return N.fixture("s14_probe_timing", "LIF ensemble of 2 (encoders 1, gain 1, bias 1, v0 0) "
                     "driven by Node([1]) synapse None (J = 2); probe neurons input with synapse "
                     "Lowpass(0), None, and sample_every 0.002. 4 steps.")


def s15_neurons_to_node():
    N = Net()
    N.ensemble("ens", 3, 1, encoders=[[1], [1], [1]], gain=[5, 5, 5], bias=[2, 2, 2], v0=0.9,
               eval_points=np.linspace(-1, 1, 11)[:, None])
    N.node("out", lambda t, x: x, "x", size_in=3)  # no size_out: Nengo calls f(0, zeros) once
    N.conn("c", "ens.neurons", "out", synapse=None)
    N.probe("node", "out")
    N.probe("spikes", "ens.neurons", "output")
    N.run(10)
    col = N.data("node")[:, 0]
    check_true("s15", "first spike step", spike_steps(col)[0] == 2, spike_steps(col)[0], 2)
    check("s15", "node sees 1000 at t=0.002", N.data("node")[1], [1000.0] * 3, 1e-9)
    return N.fixture(
        "s15_neurons_to_node", "LIF ensemble of 3 (gain 5, bias 2, encoders 1, v0 0.9, no input: "
        "J = 2) -> ens.neurons -> Node(f(t,x) = x, size_in 3) synapse None: the node sees this "
        "step's spikes. size_out is not given to Nengo, so Nengo calls f once at construction "
        "with (0.0, zeros(3)) to find it (it does not when size_out is given). 10 steps.")


def s16_direct():
    N = Net()
    N.node("u", lambda t: t, "t")
    N.ensemble("d", 1, 2, neuron={"type": "Direct"})
    N.node("out", None, size_in=1)
    N.conn("c_in", "u", "d", post_slice=(1, 2), synapse=None)
    N.conn("c_out", "d", "out", function=lambda x: 10 * x[1], function_text="10*x[1]",
           synapse=None, solver=None)
    N.probe("out", "out")
    N.run(3)
    check("s16", "direct out", N.data("out")[:, 0], [0.01, 0.02, 0.03], 1e-15)
    return N.fixture("s16_direct", "Node(t) -> d[1] (Direct ensemble, 1 neuron, 2 dims), synapse "
                     "None; d -> passthrough node, function 10*x[1], synapse None. 3 steps.")


def s20_comm_channel_50():
    PA, PB = draw_params(50, 1, seed=20), draw_params(50, 1, seed=21)
    N = Net()
    N.node("inp", lambda t: np.sin(2 * np.pi * t), "sin(2*pi*t)")
    N.ensemble("A", 50, 1, v0=0.0, **PA)
    N.ensemble("B", 50, 1, v0=0.0, **PB)
    N.node("C", None, size_in=1)
    N.conn("c_inp_a", "inp", "A")
    N.conn("c_ab", "A", "B")
    N.conn("c_bc", "B", "C", function=lambda x: x ** 2, function_text="x**2")
    N.probe("B_decoded", "B", synapse=lowpass(0.01))
    N.probe("A_spikes", "A.neurons", "output")
    N.probe("C", "C")
    N.run(500)
    return N.fixture(
        "s20_comm_channel_50", "inp sin(2*pi*t) -(Lowpass 0.005)-> A (50 LIF) -(Lowpass 0.005)-> "
        "B (50 LIF) -(Lowpass 0.005, function x**2)-> passthrough node C. Ensemble parameters "
        "were drawn by Nengo (Ensemble(50,1,seed=20) for A, seed=21 for B) and are given "
        "explicitly (encoders, gain, bias, 750 eval points); v0 = 0. 500 steps.")


def s21_pes_ens_ens():
    PA, PB = draw_params(30, 1, seed=210), draw_params(30, 1, seed=211)
    N = Net()
    N.node("stim", lambda t: np.sin(2 * np.pi * t), "sin(2*pi*t)")
    N.ensemble("pre", 30, 1, v0=0.0, **PA)
    N.ensemble("post", 30, 1, v0=0.0, **PB)
    N.node("err", None, size_in=1)
    N.conn("c_in", "stim", "pre")
    N.conn("conn", "pre", "post", function=lambda x: [0.0], function_text="[0.0]",
           learning={"type": "PES", "learning_rate": 1e-4, "pre_synapse": lowpass(0.005)})
    N.conn("c_post_err", "post", "err", synapse=None)
    N.conn("c_stim_err", "stim", "err", transform=-1.0, synapse=None)
    N.conn("c_err_rule", "err", "conn.learning_rule")
    N.probe("post_decoded", "post", synapse=lowpass(0.01))
    N.probe("err", "err")
    N.probe("weights", "conn", "weights", sample_every=0.01)
    N.run(500)
    w = N.data("weights")
    check_true("s21", "weights changed", not np.allclose(w[0], w[-1]), "changed", "changed")
    return N.fixture(
        "s21_pes_ens_ens", "stim sin(2*pi*t) -(Lowpass 0.005)-> pre (30 LIF); conn: pre -> post "
        "(30 LIF) decoded, function [0.0], Lowpass(0.005), PES(1e-4, pre_synapse Lowpass "
        "0.005); err passthrough node = post decoded (synapse None) - stim (transform -1, "
        "synapse None); err -> conn.learning_rule (Lowpass 0.005). Parameters drawn by Nengo "
        "(seeds 210/211), given explicitly; v0 = 0. Weights probed every 10 steps. 500 steps.")


def s23_pes_neurons():
    """PES on a neuron-to-neuron connection (the control of the memristor experiments)."""
    PA, PB = draw_params(20, 1, seed=230), draw_params(20, 1, seed=231)
    N = Net()
    N.node("stim", lambda t: np.sin(2 * np.pi * t), "sin(2*pi*t)")
    N.ensemble("pre", 20, 1, v0=0.0, **PA)
    N.ensemble("post", 20, 1, v0=0.0, **PB)
    N.node("err", None, size_in=1)
    N.conn("c_in", "stim", "pre")
    N.conn("conn", "pre.neurons", "post.neurons", transform=np.zeros((20, 20)),
           learning={"type": "PES", "learning_rate": 1e-3, "pre_synapse": lowpass(0.005)})
    N.conn("c_post_err", "post", "err", synapse=None)
    N.conn("c_stim_err", "stim", "err", transform=-1.0, synapse=None)
    N.conn("c_err_rule", "err", "conn.learning_rule")
    N.probe("post_decoded", "post", synapse=lowpass(0.01))
    N.probe("post_spikes", "post.neurons")
    N.probe("weights", "conn", "weights", sample_every=0.05)
    N.run(500)
    w = N.data("weights")
    check_true("s23", "weights changed", not np.allclose(w[0], w[-1]), "changed", "changed")
    return N.fixture(
        "s23_pes_neurons", "stim sin(2*pi*t) -(Lowpass 0.005)-> pre (20 LIF); conn: pre.neurons "
        "-> post.neurons (20 LIF), transform 20x20 zeros, Lowpass(0.005), PES(1e-3, pre_synapse "
        "Lowpass 0.005): the error is projected on post's scaled encoders; err passthrough node = "
        "post decoded (synapse None) - stim (transform -1, synapse None); err -> "
        "conn.learning_rule (Lowpass 0.005). Parameters drawn by Nengo (seeds 230/231), given "
        "explicitly; v0 = 0. Weights probed every 50 steps. 500 steps.")


class Memristors:
    """Deterministic memristor pair model mirrored by the Rust side (see fixture notes)."""

    def __init__(self, n_pre, n_post, a, b, m):
        self.r0, self.r1 = 1e2, 2.5e8
        self.n = n_post
        j = np.arange(n_post)[:, None]
        i = np.arange(n_pre)[None, :]
        self.R = 1e8 + 1e6 * ((j * a + i * b) % m).astype(float)
        self.R0 = self.R.copy()

    def filter(self, t, x):
        w = (self.R - self.r0) / (self.r1 - self.r0)
        return w @ x

    def pulse(self, t, x):
        out, err = x[: self.n], x[self.n:]
        if err[0] > 0:
            self.R[out > 0] *= 0.999
        return out


def s22_forum_network():
    n, n_err = 20, 30
    exc = Memristors(n, n, 7, 3, 11)
    inh = Memristors(n, n, 5, 2, 13)
    PP, PQ, PE = draw_params(n, 1, 220), draw_params(n, 1, 221), draw_params(n_err, 1, 222)
    N = Net()
    N.node("inp", lambda t: int(6 * t / 5) / 3.0 % 2 - 1, "int(6*t/5)/3.0 % 2 - 1")
    N.ensemble("pre", n, 1, v0=0.0, **PP)
    N.ensemble("post", n, 1, v0=0.0, **PQ)
    N.ensemble("err", n_err, 1, v0=0.0, **PE)
    N.node("memristor_plus", exc.filter, "exc.filter", size_in=n, size_out=n)
    N.node("memristor_minus", inh.filter, "inh.filter", size_in=n, size_out=n)
    N.node("pulse_plus", exc.pulse, "exc.pulse", size_in=n + 1, size_out=n)
    N.node("pulse_minus", inh.pulse, "inh.pulse", size_in=n + 1, size_out=n)
    N.conn("c_inp_pre", "inp", "pre")
    N.conn("c_pre_mp", "pre.neurons", "memristor_plus", synapse=None)
    N.conn("c_pre_mm", "pre.neurons", "memristor_minus", synapse=None)
    N.conn("c_mp_post", "memristor_plus", "post.neurons", synapse=None)
    N.conn("c_mm_post", "memristor_minus", "post.neurons", synapse=None, transform=-1.0)
    N.conn("c_pre_err", "pre", "err", function=lambda x: x, function_text="x", transform=-1.0)
    N.conn("c_post_err", "post", "err")
    N.conn("c_mp_pp", "memristor_plus", "pulse_plus", post_slice=(0, n), synapse=None)
    N.conn("c_mm_pm", "memristor_minus", "pulse_minus", post_slice=(0, n), synapse=None)
    N.conn("c_err_pp", "err", "pulse_plus", post_slice=(n, n + 1))
    N.conn("c_err_pm", "err", "pulse_minus", post_slice=(n, n + 1))
    N.probe("post_decoded", "post", synapse=lowpass(0.01))
    N.probe("pre_spikes", "pre.neurons", "output")
    N.probe("err_decoded", "err")
    N.probe("memristor_plus", "memristor_plus", sample_every=0.02)
    N.probe("memristor_minus", "memristor_minus", sample_every=0.02)
    N.extra["memristors"] = {
        "rule": (
            "Python class Memristors(n_pre, n_post, a, b, m): r0 = 1e2, r1 = 2.5e8; "
            "R is an n_post x n_pre float64 array, R[j,i] = 1e8 + 1e6*((j*a + i*b) % m) "
            "(j = post row, i = pre column). filter(t, x) = ((R - r0)/(r1 - r0)) @ x "
            "(x = this step's pre spikes, size n_pre). pulse(t, x): out = x[:n_post], "
            "err = x[n_post:]; if err[0] > 0: every row j with out[j] > 0 is multiplied by "
            "0.999 (R[out > 0] *= 0.999); returns out (nothing reads it). exc and inh are "
            "separate instances; filter and pulse of one instance share R. Nengo runs "
            "memristor_X (filter) before pulse_X because pulse_X reads its output (synapse "
            "None), so the R change made at step k is first used by filter at step k+1."),
        "exc": {"a": 7, "b": 3, "m": 11, "R_initial": tolist(exc.R0)},
        "inh": {"a": 5, "b": 2, "m": 13, "R_initial": tolist(inh.R0)},
        "r0": 1e2, "r1": 2.5e8, "factor": 0.999,
    }
    N.run(1000)
    N.extra["memristors"]["exc"]["R_final"] = tolist(exc.R)
    N.extra["memristors"]["inh"]["R_final"] = tolist(inh.R)
    check_true("s22", "memristor R changed", not np.array_equal(exc.R, exc.R0), "changed",
               "changed")
    return N.fixture(
        "s22_forum_network", "The forum thread's network (design doc netdsl version) at n=20: "
        "inp -> pre (default synapse); pre.neurons -> memristor_plus/minus (None); "
        "memristor_plus -> post.neurons (None), memristor_minus -> post.neurons (None, "
        "transform -1); pre -> err (function x, transform -1, default synapse); post -> err "
        "(default); memristor_X -> pulse_X[:n] (None); err -> pulse_X[n:] (default). "
        "Ensemble params drawn by Nengo (seeds 220/221/222) and given explicitly, v0 = 0. "
        "Memristor model in 'memristors'. 1000 steps; memristor node outputs sampled every "
        "20 steps.")


# --------------------------------------------------------------------------------------------
# Neuron types beyond LIF (issue 14): every parameter explicit; initial states given.

EP11 = np.linspace(-1, 1, 11)[:, None]


def _neuron_probes(N, ens, attrs, suffix=""):
    for a in attrs:
        N.probe(a + suffix, ens + ".neurons", a)


def s30_adaptive_lif():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    N.ensemble("ens", 4, 1, neuron=ALIF(tau_n=0.05, inc_n=0.2), encoders=[[1], [-1], [1], [-1]],
               gain=[2, 2, 3, 3], bias=[1.5, 1.5, 1, 1], v0=0.0, eval_points=EP11,
               state={"refractory_time": [0.0, 0.001, 0.0, 0.0],
                      "adaptation": [0.0, 0.1, 0.2, 0.3]})
    N.ensemble("ens2", 3, 1, neuron=ALIF(tau_n=1.0, inc_n=0.01, tau_rc=0.05, tau_ref=0.001,
                                         min_voltage=-0.5, amplitude=0.5),
               encoders=[[1], [1], [-1]], max_rates=[100, 150, 200],
               intercepts=[-0.5, 0.0, 0.5], v0=0.3, eval_points=EP11)
    N.conn("c", "stim", "ens", synapse=lowpass(0.005))
    N.conn("c2", "stim", "ens2", synapse=None)
    N.node("out", None, size_in=1)
    N.conn("dec", "ens", "out", synapse=lowpass(0.005))
    _neuron_probes(N, "ens", ["output", "voltage", "refractory_time", "adaptation", "input"])
    _neuron_probes(N, "ens2", ["output", "voltage", "adaptation"], "2")
    N.probe("out", "out")
    N.probe("decoded2", "ens2", synapse=lowpass(0.01))
    N.run(500)
    return N.fixture(
        "s30_adaptive_lif", "AdaptiveLIF: ens (4 neurons, tau_n 0.05, inc_n 0.2, gains/biases of "
        "A11, initial refractory_time [0,0.001,0,0] and adaptation [0,0.1,0.2,0.3], v0 0) driven "
        "by Node(sin(10t)) through Lowpass(0.005), decoded to a passthrough node; ens2 (3 neurons, "
        "tau_n 1, inc_n 0.01, tau_rc 0.05, tau_ref 0.001, min_voltage -0.5, amplitude 0.5, "
        "max_rates [100,150,200], intercepts [-0.5,0,0.5], v0 0.3) driven with synapse None; "
        "neuron output, voltage, refractory_time, adaptation (and input) probed. 500 steps.")


def s31_adaptive_lif_rate():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    N.ensemble("ens", 4, 1, neuron=ALIFRate(tau_n=0.1, inc_n=0.05), encoders=[[1], [-1], [1], [-1]],
               gain=[2, 2, 3, 3], bias=[1.5, 1.5, 1, 1], eval_points=EP11,
               state={"adaptation": [0.0, 0.5, 1.0, 0.25]})
    N.conn("c", "stim", "ens", synapse=lowpass(0.005))
    N.node("out", None, size_in=1)
    N.conn("dec", "ens", "out", synapse=lowpass(0.005))
    _neuron_probes(N, "ens", ["output", "adaptation"])
    N.probe("out", "out")
    N.run(400)
    return N.fixture(
        "s31_adaptive_lif_rate", "AdaptiveLIFRate (tau_n 0.1, inc_n 0.05; gains/biases of A11; "
        "initial adaptation [0,0.5,1,0.25]) driven by Node(sin(10t)) through Lowpass(0.005), "
        "decoded to a passthrough node; output and adaptation probed. 400 steps.")


def s32_izhikevich():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    for p in IZH_PRESETS:
        name = "izh_" + p.lower()
        N.ensemble(name, 3, 1, neuron=IZH(p), encoders=[[1], [-1], [1]],
                   max_rates=[20, 50, 80], intercepts=[-0.5, 0.0, 0.5], v0=-65.0,
                   eval_points=EP11, state={"recovery": [-13.0, -10.0, 0.0]})
        N.conn("c_" + name, "stim", name, synapse=lowpass(0.005))
        N.probe("spikes_" + name, name + ".neurons", "output")
    for p in ("rs", "ch"):
        N.probe("voltage_izh_" + p, "izh_" + p + ".neurons", "voltage")
        N.probe("recovery_izh_" + p, "izh_" + p + ".neurons", "recovery")
    N.probe("decoded_rs", "izh_rs", synapse=lowpass(0.01))
    N.run(400)
    return N.fixture(
        "s32_izhikevich", "Izhikevich, one ensemble of 3 neurons per preset of Nengo's docstring "
        "(RS, IB, CH, FS, LTS, RZ), max_rates [20,50,80] and intercepts [-0.5,0,0.5] (gain/bias by "
        "Nengo's numerical NeuronType.gain_bias), encoders [1,-1,1], initial voltage -65 and "
        "recovery [-13,-10,0], driven by Node(sin(10t)) through Lowpass(0.005); spikes of all, "
        "voltage and recovery of RS and CH, decoded output of RS (decoders from "
        "settled_firingrate) probed. 400 steps.")


def _try(fn):
    try:
        fn()
        return None
    except Exception as e:  # noqa: BLE001 (recording Nengo's message is the point)
        return {"error_type": type(e).__name__, "message": str(e)}


def s33_rate_types():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    N.ensemble("sig", 3, 1, neuron={"type": "Sigmoid", "tau_ref": 0.0025},
               encoders=[[1], [-1], [1]], max_rates=[250, 300, 350],
               intercepts=[-0.5, 0.0, 0.5], eval_points=EP11)
    N.ensemble("tanh", 3, 1, neuron={"type": "Tanh", "tau_ref": 0.002},
               encoders=[[1], [-1], [1]], max_rates=[100, 200, 300],
               intercepts=[-0.5, 0.0, 0.5], eval_points=EP11)
    for e in ("sig", "tanh"):
        N.conn("c_" + e, "stim", e, synapse=lowpass(0.005))
        N.probe("rates_" + e, e + ".neurons", "output")
        N.probe("decoded_" + e, e, synapse=lowpass(0.01))
    N.run(200)
    mr = np.array([10.0, 30.0, 60.0, 100.0])
    ic = np.array([-0.8, -0.2, 0.3, 0.8])
    cases = []
    specs = [({"type": "Sigmoid", "tau_ref": 0.0025}, np.array([210.0, 250.0, 300.0, 390.0])),
             ({"type": "Tanh", "tau_ref": 0.0025}, np.array([10.0, 100.0, 250.0, 390.0])),
             ({"type": "Tanh", "tau_ref": 0.001}, mr * 5),
             (ALIF(), mr * 3), (ALIF(tau_n=0.1, inc_n=0.5, tau_rc=0.05, tau_ref=0.001), mr * 5),
             (ALIFRate(), mr * 3)] + [(IZH(p), mr) for p in IZH_PRESETS]
    for spec, m in specs:
        nt = make_neuron(spec, None)
        gg, bb = nt.gain_bias(m, ic)
        mr_back, ic_back = nt.max_rates_intercepts(gg, bb)
        cases.append({"neuron_type": spec, "max_rates": tolist(m), "intercepts": tolist(ic),
                      "gain": tolist(gg), "bias": tolist(bb),
                      "max_rates_back": tolist(mr_back), "intercepts_back": tolist(ic_back)})
    N.extra["gain_bias_cases"] = cases
    J = np.array([-40.0, -5.0, -1.0, 0.0, 0.5, 1.0, 3.0, 5.0, 8.0, 15.0, 30.0])
    rate_cases = []
    for spec in [{"type": "Sigmoid", "tau_ref": 0.0025}, {"type": "Tanh", "tau_ref": 0.002},
                 ALIFRate()] + [IZH(p) for p in IZH_PRESETS]:
        nt = make_neuron(spec, None)
        out = np.ravel(nt.rates(J, np.ones(1), np.zeros(1)))
        rate_cases.append({"neuron_type": spec, "J": tolist(J), "rates": tolist(out)})
    N.extra["rate_cases"] = rate_cases
    errs = []
    for spec, m, i in [(IZH(), [5000.0], [0.0]),
                       ({"type": "Sigmoid", "tau_ref": 0.0025}, [500.0], [0.0]),
                       ({"type": "Tanh", "tau_ref": 0.0025}, [400.0], [0.0]),
                       (ALIF(tau_ref=0.002), [600.0], [0.0])]:
        nt = make_neuron(spec, None)
        r = _try(lambda nt=nt, m=m, i=i: nt.gain_bias(np.array(m), np.array(i)))
        errs.append({"neuron_type": spec, "max_rates": m, "intercepts": i, **r})

    def sigmoid_low():
        with nengo.Network() as net:
            nengo.Ensemble(2, 1, neuron_type=nengo.Sigmoid(), max_rates=[100, 300],
                           intercepts=[0, 0])
        nengo.Simulator(net, progress_bar=False)
    r = _try(sigmoid_low)
    errs.append({"neuron_type": {"type": "Sigmoid", "tau_ref": 0.0025},
                 "max_rates": [100.0, 300.0], "intercepts": [0.0, 0.0], **r})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for base in (LIF(), {"type": "SpikingRectifiedLinear", "amplitude": 1.0}, IZH()):
            spec = {"type": "RegularSpiking", "base": base, "amplitude": 1.0}
            r = _try(lambda spec=spec: make_neuron(spec, None))
            errs.append({"neuron_type": spec, "max_rates": None, "intercepts": None, **r})
    N.extra["errors"] = errs
    return N.fixture(
        "s33_rate_types", "Sigmoid (tau_ref 0.0025, max_rates [250,300,350]) and Tanh (tau_ref "
        "0.002, max_rates [100,200,300]) ensembles, intercepts [-0.5,0,0.5], encoders [1,-1,1], "
        "driven by Node(sin(10t)) through Lowpass(0.005); rates and decoded outputs probed. "
        "200 steps. gain_bias_cases: NeuronType.gain_bias and max_rates_intercepts for Sigmoid, "
        "Tanh, AdaptiveLIF, AdaptiveLIFRate and every Izhikevich preset (numerical); rate_cases: "
        "NeuronType.rates(J, 1, 0); errors: Nengo's exception type and text for max rates out of "
        "range, negative gains and rates-to-spikes types whose base has an overlapping state.")


def s34_regular_spiking():
    N = Net()
    N.node("stim", lambda t: np.sin(10 * t), "sin(10*t)")
    specs = {
        "lifrate": ({"type": "RegularSpiking", "amplitude": 1.0,
                     "base": {"type": "LIFRate", "tau_rc": 0.02, "tau_ref": 0.002,
                              "amplitude": 1.0}}, None),
        "alifrate": ({"type": "RegularSpiking", "amplitude": 1.0,
                      "base": ALIFRate(tau_n=0.1, inc_n=0.1)},
                     {"adaptation": [0.0, 0.2, 0.4, 0.0]}),
        "tanh": ({"type": "RegularSpiking", "amplitude": 0.5,
                  "base": {"type": "Tanh", "tau_ref": 0.0025}}, None),
    }
    for name, (spec, state) in specs.items():
        N.ensemble(name, 4, 1, neuron=spec, encoders=[[1], [-1], [1], [-1]],
                   gain=[2, 2, 3, 3], bias=[1.5, 1.5, 1, 1], v0=0.25, eval_points=EP11,
                   state=state)
        N.conn("c_" + name, "stim", name, synapse=lowpass(0.005))
        attrs = ["output", "voltage", "rate_out"] + (["adaptation"] if state else [])
        _neuron_probes(N, name, attrs, "_" + name)
        N.probe("decoded_" + name, name, synapse=lowpass(0.01))
    N.run(300)
    return N.fixture(
        "s34_regular_spiking", "RegularSpiking around LIFRate, AdaptiveLIFRate (tau_n 0.1, "
        "inc_n 0.1, initial adaptation [0,0.2,0.4,0]) and Tanh (amplitude 0.5: negative "
        "spikes), each 4 neurons with the gains/biases of A11, initial voltage 0.25, driven by "
        "Node(sin(10t)) through Lowpass(0.005); output, voltage, rate_out (and adaptation) and "
        "decoded outputs probed. 300 steps.")


# --------------------------------------------------------------------------------------------
# Statistics with Nengo's default random parameters


def lp_delayed(x, tau, dt=DT):
    """Update-mode Lowpass as seen downstream: y[1] = 0, y[n] = a*y[n-1] + (1-a)*x[n-1]."""
    a = math.exp(-dt / tau)
    y = np.zeros_like(x)
    s = 0.0
    for k in range(len(x)):
        y[k] = s
        s = a * s + (1 - a) * x[k]
    return y


def ideal_signal(fn, n_steps, dt=DT):
    t = dt * np.arange(1, n_steps + 1)
    u = np.sin(2 * np.pi * t)
    return lp_delayed(lp_delayed(fn(lp_delayed(u, 0.005)), 0.005), 0.01)


def stat_network(n, seed, function, direct=False):
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node(lambda t: np.sin(2 * np.pi * t))
        kw = {"neuron_type": nengo.Direct()} if direct else {}
        a = nengo.Ensemble(n, 1, **kw)
        b = nengo.Ensemble(n, 1, **kw)
        nengo.Connection(inp, a)
        c = nengo.Connection(a, b, function=function)
        p = nengo.Probe(b, synapse=0.01)
    return net, c, p


def stat_fixture(name, fn, fn_text):
    n_steps = 1000
    ideal = ideal_signal(fn, n_steps)
    # the ideal formula must equal the same network in Direct mode
    net, c, p = stat_network(1, 0, fn, direct=True)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(n_steps)
    check("stat", f"{name}: ideal == Direct-mode Nengo", sim.data[p][:, 0], ideal, 1e-12)
    per_n = {}
    for n in (50, 100):
        rows = []
        for seed in range(5):
            net, c, p = stat_network(n, seed, fn)
            with nengo.Simulator(net, progress_bar=False) as sim:
                sim.run_steps(n_steps)
            y = sim.data[p][:, 0]
            rmse = float(np.sqrt(np.mean((y - ideal) ** 2)))
            rows.append({"seed": seed, "rmse": rmse,
                         "solver_rmse_mean": float(np.mean(sim.data[c].solver_info["rmses"])),
                         "simulator_seed": sim.seed})
        r = np.array([x["rmse"] for x in rows])
        s = np.array([x["solver_rmse_mean"] for x in rows])
        per_n[str(n)] = {"runs": rows, "rmse_mean": float(r.mean()), "rmse_std": float(r.std()),
                         "solver_rmse_mean_mean": float(s.mean()),
                         "solver_rmse_mean_std": float(s.std())}
    return {
        "schema_version": SCHEMA_VERSION, "name": name,
        "description": (
            f"Statistics with Nengo's default random parameters. For N in (50, 100) and network "
            f"seeds 0..4: inp = Node(sin(2*pi*t)); A = Ensemble(N, 1); B = Ensemble(N, 1) (all "
            f"defaults: LIF, max_rates U(200,400), intercepts U(-1,0.9), ScatteredHypersphere "
            f"encoders/eval points, random initial voltage); Connection(inp, A) and "
            f"Connection(A, B, function={fn_text}) with default synapse Lowpass(0.005) and "
            f"LstsqL2(reg=0.1); Probe(B, synapse=Lowpass(0.01)); Network(seed=seed), "
            f"Simulator default seed (seed+1); 1000 steps."),
        "rmse_definition": (
            "ideal[k] for k = 1..1000 (t_k = k*dt): u = sin(2*pi*t_k); L(x, tau) is the update-"
            "mode lowpass as seen downstream: y[1] = 0, y[k] = a*y[k-1] + (1-a)*x[k-1], "
            "a = exp(-dt/tau); ideal = L(L(f(L(u, 0.005)), 0.005), 0.01) with f = " + fn_text + " applied elementwise (this equals the same "
            "network run with Direct ensembles, checked to 1e-12). rmse = sqrt(mean over all "
            "1000 steps of (probe_B[k] - ideal[k])^2). solver_rmse_mean = mean of "
            "sim.data[A->B connection].solver_info['rmses'] (LstsqL2's per-output RMSE on the "
            "eval points of the rate-based decode). *_std are population std (ddof = 0)."),
        "function": fn_text,
        "nengo_version": nengo.__version__, "numpy_version": np.__version__,
        "scipy_version": SCIPY_VERSION, "dt": DT, "n_steps": n_steps,
        "ideal_first_values": tolist(ideal[:5]),
        "results": per_n,
    }


def stat_comm_channel():
    return stat_fixture("stat_comm_channel", lambda x: x, "x")


def stat_square():
    return stat_fixture("stat_square", lambda x: x ** 2, "x**2")


# --------------------------------------------------------------------------------------------
# Solvers (issue 14 item 2)


def _lif_rates(n, m, seed, dead=0):
    """Activities of n LIF neurons (explicit gains/biases/encoders drawn from a numpy seed) at m
    points linspace(-1, 1, m); `dead` of them never fire (bias far below threshold)."""
    r = np.random.RandomState(seed)
    enc = np.where(r.rand(n) < 0.5, -1.0, 1.0)
    intercepts = np.linspace(-0.85, 0.85, n)
    r.shuffle(intercepts)
    max_rates = r.uniform(150, 350, n)
    gain, bias = nengo.LIFRate().gain_bias(max_rates, intercepts)
    bias[:dead] = -20.0
    x = np.linspace(-1, 1, m)[:, None]
    A = nengo.LIFRate().rates(x * enc[None, :], gain, bias)
    Y = np.hstack([x, x ** 2])
    return A, Y


SOLVER_CASES = {
    # name: (n neurons, m points, seed, dead neurons)
    "tall": (16, 60, 24, 0),
    "small": (5, 30, 7, 0),
    "fat": (16, 8, 25, 0),
    "dead": (10, 40, 26, 2),
}

SOLVER_RUNS = [
    # (case, solver record)
    ("tall", {"type": "Lstsq", "rcond": 0.01}),
    ("tall", {"type": "Lstsq", "rcond": 0.001}),
    ("tall", {"type": "LstsqL2", "reg": 0.1}),
    ("tall", {"type": "LstsqL2", "reg": 0.01}),
    ("tall", {"type": "LstsqL2nz", "reg": 0.1}),
    ("tall", {"type": "LstsqL1", "l1": 1e-4, "l2": 1e-6, "max_iter": 1000}),
    ("tall", {"type": "LstsqL1", "l1": 1e-3, "l2": 1e-5, "max_iter": 1000}),
    ("tall", {"type": "LstsqDrop", "drop": 0.25,
              "solver1": {"type": "LstsqL2", "reg": 0.001},
              "solver2": {"type": "LstsqL2", "reg": 0.1}}),
    ("tall", {"type": "LstsqDrop", "drop": 0.5,
              "solver1": {"type": "LstsqL2nz", "reg": 0.01},
              "solver2": {"type": "Nnls"}}),
    ("tall", {"type": "Nnls"}),
    ("tall", {"type": "NnlsL2", "reg": 0.1}),
    ("tall", {"type": "NnlsL2nz", "reg": 0.1}),
    ("small", {"type": "LstsqNoise", "noise": 0.0}),
    ("small", {"type": "LstsqMultNoise", "noise": 0.0}),
    ("small", {"type": "Lstsq", "rcond": 0.01}),
    ("small", {"type": "Nnls"}),
    ("fat", {"type": "Lstsq", "rcond": 0.01}),
    ("fat", {"type": "LstsqL2", "reg": 0.1}),
    # (LstsqNoise/LstsqMultNoise with m < n raise AttributeError in Nengo 4.1: Cholesky's
    # `sigma.size` on the int 0; netdsl solves the transposed system there.)
    ("fat", {"type": "Nnls"}),
    ("fat", {"type": "LstsqDrop", "drop": 0.25,
             "solver1": {"type": "LstsqL2", "reg": 0.001},
             "solver2": {"type": "LstsqL2", "reg": 0.1}}),
    ("dead", {"type": "LstsqL2nz", "reg": 0.1}),
    ("dead", {"type": "NnlsL2nz", "reg": 0.1}),
    ("dead", {"type": "Nnls"}),
    ("dead", {"type": "LstsqL1", "l1": 1e-4, "l2": 1e-6, "max_iter": 1000}),
]

# Noise solvers: Nengo's decoders over N_NOISE RandomState seeds (mean and s.d. per entry).
N_NOISE = 400
NOISE_RUNS = [("tall", {"type": "LstsqNoise", "noise": 0.1}),
              ("tall", {"type": "LstsqMultNoise", "noise": 0.1})]


def s24_solvers():
    import scipy
    import sklearn
    cases = {}
    for name, (n, m, seed, dead) in SOLVER_CASES.items():
        A, Y = _lif_rates(n, m, seed, dead)
        sv = np.linalg.svd(A, compute_uv=False)
        cases[name] = {"A": tolist(A), "Y": tolist(Y), "singular_values": tolist(sv)}
    runs = []
    for case, spec in SOLVER_RUNS:
        A, Y = np.asarray(cases[case]["A"]), np.asarray(cases[case]["Y"])
        X, info = make_solver(spec)(A, Y, rng=np.random.RandomState(0))
        rec = {"case": case, "solver": spec, "X": tolist(X)}
        if spec["type"] == "Lstsq":
            sv = np.asarray(cases[case]["singular_values"])
            ratio = sv / sv[0]
            # distance of the nearest singular value from the cut-off, relative
            rec["cutoff_margin"] = float(np.min(np.abs(ratio - spec["rcond"])) / spec["rcond"])
            rec["rank"] = int(info["rank"])
        runs.append(rec)
    noise = []
    for case, spec in NOISE_RUNS:
        A, Y = np.asarray(cases[case]["A"]), np.asarray(cases[case]["Y"])
        Xs = np.array([make_solver(spec)(A, Y, rng=np.random.RandomState(k))[0]
                       for k in range(N_NOISE)])
        noise.append({"case": case, "solver": spec, "n_seeds": N_NOISE,
                      "mean": tolist(Xs.mean(axis=0)), "std": tolist(Xs.std(axis=0))})
    check_true("s24", "Nnls decoders non-negative",
               all(np.min(r["X"]) >= 0 for r in runs if r["solver"]["type"].startswith("Nnls")),
               True, True)
    fx = {
        "schema_version": SCHEMA_VERSION, "name": "s24_solvers",
        "description": "Solver-level fixture: Nengo 4.1's solver classes called directly, "
        "`solver(A, Y, rng=np.random.RandomState(0))`, on fixed LIF activity matrices A (m "
        "points x n neurons, LIFRate rates of explicit gains/biases/encoders at "
        "linspace(-1,1,m)) and targets Y = [x, x**2]. Cases: tall (60x16), small (30x5, well "
        "conditioned, for the unregularised noise=0 solves), fat (8x16: the transposed "
        "Cholesky), dead (40x10, two neurons never active). `runs`: one decoder matrix X (n x 2) "
        "per (case, solver). `noise`: LstsqNoise/LstsqMultNoise(noise=0.1) over RandomState "
        "seeds 0..n_seeds-1, entrywise mean and s.d. of X (numpy's stream is not reproduced, "
        "so these are compared in distribution).",
        "nengo_version": nengo.__version__, "numpy_version": np.__version__,
        "scipy_version": scipy.__version__, "sklearn_version": sklearn.__version__,
        "cases": cases, "runs": runs, "noise": noise,
    }
    return fx


def s25_solver_network():
    N = Net()
    N.node("stim", lambda t: np.sin(8 * t), "sin(8*t)")
    P = draw_params(12, 1, seed=25)
    N.ensemble("A", 12, 1, encoders=P["encoders"], gain=P["gain"], bias=P["bias"],
               eval_points=np.linspace(-1, 1, 41)[:, None], v0=0.0)
    Q = draw_params(8, 1, seed=26)
    N.ensemble("B", 8, 1, encoders=Q["encoders"], gain=Q["gain"], bias=Q["bias"],
               eval_points=np.linspace(-1, 1, 31)[:, None], v0=0.0)
    N.ensemble("C", 8, 1, encoders=Q["encoders"], gain=Q["gain"], bias=Q["bias"],
               eval_points=np.linspace(-1, 1, 31)[:, None], v0=0.0)
    N.node("out_lstsq", None, size_in=1)
    N.node("out_l2nz", None, size_in=1)
    N.node("out_nnls", None, size_in=1)
    N.node("out_l1", None, size_in=1)
    N.node("out_drop", None, size_in=1)
    N.node("out_nnlsl2", None, size_in=1)
    N.node("out_none", None, size_in=1)
    N.conn("c_in", "stim", "A", synapse=None)
    N.conn("c_lstsq", "A", "out_lstsq", solver={"type": "Lstsq", "rcond": 0.01,
                                                "weights": False})
    N.conn("c_l2nz", "A", "out_l2nz", function=lambda x: x ** 2, function_text="x**2",
           solver={"type": "LstsqL2nz", "reg": 0.1, "weights": False})
    N.conn("c_nnls", "A", "out_nnls", solver={"type": "Nnls", "weights": False})
    N.conn("c_l1", "A", "out_l1", solver={"type": "LstsqL1", "l1": 1e-4, "l2": 1e-6,
                                          "max_iter": 1000, "weights": False})
    N.conn("c_drop", "A", "out_drop", solver={
        "type": "LstsqDrop", "drop": 0.25, "solver1": {"type": "LstsqL2", "reg": 0.001},
        "solver2": {"type": "LstsqL2", "reg": 0.1}, "weights": False})
    N.conn("c_nnlsl2", "A", "out_nnlsl2", function=lambda x: x ** 2, function_text="x**2",
           solver={"type": "NnlsL2", "reg": 0.1, "weights": False})
    N.conn("c_none", "A", "out_none",
           solver={"type": "NoSolver", "values": [[0.001 * (k - 6)] for k in range(12)],
                   "weights": False})
    # weight solves: non-compositional (Nnls) and compositional (LstsqL2nz), transform 0.5
    N.conn("c_w_nnls", "A", "B", transform=0.5, solver={"type": "Nnls", "weights": True})
    N.conn("c_w_l2nz", "A", "C", function=lambda x: -x, function_text="-x",
           solver={"type": "LstsqL2nz", "reg": 0.1, "weights": True})
    for o in ["out_lstsq", "out_l2nz", "out_nnls", "out_l1", "out_drop", "out_nnlsl2",
              "out_none"]:
        N.probe("p_" + o[4:], o)
    N.probe("p_B_spikes", "B.neurons", "output")
    N.probe("p_C_spikes", "C.neurons", "output")
    N.probe("p_A_l2", "A", synapse=lowpass(0.01),
            solver={"type": "LstsqL2", "reg": 0.05, "weights": False})
    N.probe("p_A_nnls", "A", solver={"type": "Nnls", "weights": False})
    N.probe("p_A_lstsq", "A", solver={"type": "Lstsq", "rcond": 0.01, "weights": False})
    N.run(150)
    check_true("s25", "c_w_nnls weights shape (8, 12)",
               N.data("c_w_nnls").weights.shape == (8, 12),
               list(N.data("c_w_nnls").weights.shape), [8, 12])
    check_true("s25", "c_w_nnls weights >= 0 (Nnls, transform 0.5 folded into targets)",
               bool(np.all(N.data("c_w_nnls").weights >= 0)), True, True)
    return N.fixture(
        "s25_solver_network", "Solvers in a network. A: 12 LIF neurons (Nengo-drawn, seed 25), "
        "eval points linspace(-1,1,41); decoded connections to passthrough nodes with Lstsq, "
        "LstsqL2nz (x**2), Nnls, LstsqL1, LstsqDrop, NnlsL2 (x**2), NoSolver(values); weight "
        "solves A -> B (8 neurons) Nnls(weights=True) with transform 0.5 (non-compositional: "
        "targets through transform and B's scaled encoders) and A -> C LstsqL2nz(weights=True) "
        "function -x (compositional); decoded probes of A with LstsqL2(reg=0.05) (synapse "
        "0.01), Nnls and Lstsq. 150 steps.")


SCENARIOS = [s01_time, s02_lowpass, s03_alpha, s04_delay_zero, s04_delay_none, s04_circular,
             s06_single_lif, s07_gain_bias, s08_lifrate, s09_spiking_relu,
             s10_neuron_input_gain, s11_decoders, s12_comm_channel, s13_pes, s14_probe_timing,
             s15_neurons_to_node, s16_direct, s20_comm_channel_50, s21_pes_ens_ens,
             s22_forum_network, s23_pes_neurons, s24_solvers, s25_solver_network,
             s30_adaptive_lif, s31_adaptive_lif_rate, s32_izhikevich, s33_rate_types,
             s34_regular_spiking, stat_comm_channel, stat_square]


def seed_check():
    with nengo.Network(seed=3) as net:
        nengo.Node(1.0)
    with nengo.Simulator(net, progress_bar=False) as sim:
        check_true("s17", "Network(seed=3) -> sim.seed", sim.seed == 4, sim.seed, 4)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "fixtures"))
    ap.add_argument("--only", nargs="*", help="scenario names to generate")
    ap.add_argument("--allow-mismatch", action="store_true",
                    help="write fixtures even if a section 9 check fails")
    args = ap.parse_args()
    if nengo.__version__ != "4.1.0":
        sys.exit(f"nengo 4.1.0 required, found {nengo.__version__}")
    outs = {}
    for f in SCENARIOS:
        if args.only and f.__name__ not in args.only:
            continue
        outs[f.__name__] = f()
    if not args.only:
        s05_cycle_check()
        seed_check()
    print(f"{'scenario':<6} {'check':<44} {'ok':<4} got / expected")
    bad = 0
    for sc, what, ok, got, exp in CHECKS:
        bad += not ok
        g, e = str(got), str(exp)
        print(f"{sc:<6} {what:<44} {'OK' if ok else 'FAIL':<4} {g[:70]}"
              + ("" if ok else f"\n{'':<56}expected {e[:70]}"))
    if bad and not args.allow_mismatch:
        sys.exit(f"{bad} check(s) FAILED: Nengo disagrees with nengo-4.1-semantics.md section 9; "
                 "no fixtures written")
    os.makedirs(args.out, exist_ok=True)
    for name, fx in outs.items():
        text = dump(fx) + "\n"
        back = json.loads(text)  # round-trip sanity
        assert back["name"] == name
        path = os.path.join(args.out, name + ".json")
        with open(path, "w") as fh:
            fh.write(text)
        kb = len(text.encode()) / 1024
        print(f"wrote {path} ({kb:.1f} KB)")
        if kb > 300:
            sys.exit(f"{name}.json is larger than 300 KB")
    if bad:
        print(f"WARNING: {bad} check(s) failed (--allow-mismatch)")


if __name__ == "__main__":
    main()
