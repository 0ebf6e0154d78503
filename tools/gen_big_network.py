#!/usr/bin/env python3
"""Generate a standalone crate holding one big `network!` block, for compile-time measurements.

    tools/gen_big_network.py N [--out DIR] [--repo PATH] [--name NAME]

writes DIR (default /tmp/netdsl-big/big_N) with

- Cargo.toml: `netdsl = { path = "<this repository>" }` (or `--repo PATH`), `opt-level = 2`
  for dependencies as in the workspace, and an empty `[workspace]` table so the crate is not
  part of ours; Cargo.lock: a copy of the repository's, if the crate has none yet;
- src/main.rs: one `network!` with N ensembles (50..100 neurons, 1..3 dims, a few non-LIF
  neuron types and parameters), max(2, N/20) + 3 nodes (time closures, a constant, a passthrough
  relay, a time-input gate), exactly 2N connections (input nodes into the first ensembles, a
  chain e(i) -> e(i+1), skips e(i) -> e(j); functions `|x| [..]`, slices, scalar / vector /
  matrix transforms, Lowpass / Alpha / None / 0 synapses, solvers, and two PES-learned
  connections with their error ensembles and error connections) and ~N/10 + 4 probes. `main`
  builds the network, runs 20 steps and prints a checksum of every probe.

The output depends only on N (a fixed xorshift generator, no `random`), so the same N always
gives the same crate, byte for byte.
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Rng:
    """xorshift64*: the same numbers on every Python."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF or 1

    def next(self):
        s = self.s
        s ^= s >> 12
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= s >> 27
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def below(self, n):
        return (self.next() >> 11) % n

    def coef(self):
        """A short float literal in [-1, 1]."""
        return "%.2f" % ((self.below(201) - 100) / 100.0)


def fmt_list(xs):
    return "[" + ", ".join(xs) + "]"


def generate(n, name):
    if n < 10:
        sys.exit("N must be at least 10")
    rng = Rng(0x5EED0000 + n)
    dims = [1 + rng.below(3) for _ in range(n)]
    neurons = [50 + rng.below(51) for _ in range(n)]

    # Two PES trios (pre, post, error) in the middle of the chain; post and error share dims.
    trios = []
    for k in range(2):
        a = n // 3 + k * (n // 3)
        pre, post, err = a, a + 1, a + 2
        dims[err] = dims[post]
        trios.append((pre, post, err))

    lines = []
    w = lines.append
    w("    /// A generated network of %d ensembles and %d connections." % (n, 2 * n))
    w("    pub %s {" % name)

    # Nodes.
    n_stim = max(2, n // 20)
    stim_targets = [k * (n // n_stim) for k in range(n_stim)]
    for k, e in enumerate(stim_targets):
        d = dims[e]
        f = 1.0 + k
        outs = ["(%.1f * t + %d.0).sin()" % (f * (j + 1), j) for j in range(d)]
        w("        node stim%d: 0 -> %d = |t| %s;" % (k, d, fmt_list(outs)))
    w("        node bias: 0 -> 1 = 0.5;")
    w("        node relay: 2;")
    w("        node gate: 2 -> 1 = |_t, x| [x[0] * x[1]];")

    # Ensembles.
    kinds = ["", "", "", "", "", ", neuron = LIFRate", ", neuron = SpikingRectifiedLinear"]
    for i in range(n):
        extra = ""
        if i not in [t[k] for t in trios for k in range(3)]:
            extra = kinds[rng.below(len(kinds))]
        r = rng.below(4)
        if r == 0:
            extra += ", max_rates = Uniform(100, 200)"
        elif r == 1:
            extra += ", intercepts = Uniform(-0.8, 0.8), radius = 1.5"
        w("        ensemble e%d: %d neurons, %d dims%s;" % (i, neurons[i], dims[i], extra))

    conns = []

    def conn(text):
        conns.append("        %s;" % text)

    # Inputs.
    for k, e in enumerate(stim_targets):
        conn("stim%d -> e%d" % (k, e))

    # Fixed extras: relay, gate, bias (4 connections).
    conn("e%d -> relay, function = |x| [x[0], x[0] * x[0]]" % (n // 4))
    conn("relay -> gate, synapse = Alpha(0.01)")
    conn("gate -> e%d[0], synapse = 0.01" % (n // 4 + 3))
    conn("bias -> e%d[0], transform = 0.1, synapse = None" % (n // 5))

    # PES trios (4 connections each).
    for k, (pre, post, err) in enumerate(trios):
        dp = dims[post]
        zeros = fmt_list(["0.0"] * dp)
        conn(
            "conn learn%d: e%d -> e%d, function = |_x| %s, learning = PES { learning_rate: 1e-4 }"
            % (k, pre, post, zeros)
        )
        conn("e%d -> e%d" % (post, err))
        target = fmt_list(["-x[%d] * x[%d]" % (j % dims[pre], j % dims[pre]) for j in range(dp)])
        conn("e%d -> e%d, function = |x| %s" % (pre, err, target))
        conn("e%d -> learn%d.learning" % (err, k))

    trio_pairs = {(t[0], t[1]) for t in trios} | {(t[0], t[2]) for t in trios}
    trio_pairs |= {(t[1], t[2]) for t in trios}

    def edge(i, j, style):
        di, dj = dims[i], dims[j]
        if style == 0:
            # Sizes matched by a function.
            outs = []
            for q in range(dj):
                a, b = rng.below(di), rng.below(di)
                outs.append(["x[%d]" % a, "x[%d] * x[%d]" % (a, b), "-x[%d]" % a][rng.below(3)])
            return "e%d -> e%d, function = |x| %s" % (i, j, fmt_list(outs))
        if style == 1:
            # Slices of the common dims.
            m = min(di, dj)
            lo = rng.below(di - m + 1)
            pre = "e%d[%d..%d]" % (i, lo, lo + m) if m < di else "e%d" % i
            post = "e%d[..%d]" % (j, m) if m < dj else "e%d" % j
            return "%s -> %s, synapse = Lowpass(0.01)" % (pre, post)
        if style == 2:
            # A matrix transform (dj x di).
            rows = [fmt_list([rng.coef() for _ in range(di)]) for _ in range(dj)]
            return "e%d -> e%d, transform = %s" % (i, j, fmt_list(rows))
        if style == 3:
            if di == dj:
                vec = fmt_list([rng.coef() for _ in range(di)])
                return "e%d -> e%d, transform = %s, synapse = Alpha(0.005)" % (i, j, vec)
            return "e%d[0] -> e%d[%d], transform = 0.5" % (i, j, rng.below(dj))
        if style == 4:
            if di == dj:
                return "e%d -> e%d, solver = LstsqL2 { reg: 0.05, weights: false }" % (i, j)
            return "e%d[%d] -> e%d[0], synapse = 0" % (i, rng.below(di), j)
        # Default options, function of one component.
        return "e%d -> e%d, function = |x| [x[0]; %d]" % (i, j, dj)

    # Chain.
    for i in range(n - 1):
        if (i, i + 1) in trio_pairs:
            continue
        conn(edge(i, i + 1, rng.below(6)))

    # Skips until 2N.
    seen = set(trio_pairs)
    i = 0
    while len(conns) < 2 * n:
        j = i + 2 + rng.below(9)
        if j < n and (i, j) not in seen:
            seen.add((i, j))
            conn(edge(i, j, rng.below(6)))
        i = (i + 1) % n
    assert len(conns) == 2 * n

    lines.extend(conns)

    # Probes.
    probes = []
    for k in range(0, n, 10):
        probes.append("probe p%d: e%d, synapse = 0.01;" % (k, k))
    probes.append("probe spikes: e1.neurons;")
    probes.append("probe gate_out: gate;")
    probes.append("probe w0: learn0.weights, sample_every = 0.005;")
    probes.append("probe err1: learn1.error;")
    for p in probes:
        w("        " + p)
    w("    }")

    n_probes = len(probes)
    src = """//! Generated by `tools/gen_big_network.py %(n)d`; do not edit.
//! %(n)d ensembles, %(c)d connections, %(p)d probes.
use netdsl::prelude::*;

network! {
%(body)s
}

fn main() {
    let mut sim = %(name)s::new().build(0.001).expect("builds");
    sim.run_steps(20).expect("runs");
    let mut names: Vec<String> = sim.probe_names().iter().map(|s| s.to_string()).collect();
    names.sort();
    for name in &names {
        let d = sim.data_dyn(name).expect("probe");
        let sum: f64 = d.iter().sum();
        println!("{name}: shape {:?} sum {sum:.6e}", d.shape());
    }
    println!("{} ops in the plan", %(name)s::PLAN.ops.len());
}
""" % {"n": n, "c": 2 * n, "p": n_probes, "name": name, "body": "\n".join(lines)}
    return src


CARGO = """[package]
name = "%(pkg)s"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
netdsl = { path = "%(repo)s" }

# As in the netdsl workspace: dependencies optimised, the crate itself at the dev profile.
[profile.dev.package."*"]
opt-level = 2

[profile.dev]
opt-level = 1

# Not a member of the netdsl workspace.
[workspace]
"""


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("n", type=int, help="number of ensembles (connections: 2N)")
    ap.add_argument("--out", help="crate directory (default /tmp/netdsl-big/big_N)")
    ap.add_argument("--name", default="Big", help="network type name")
    ap.add_argument(
        "--repo",
        default=REPO,
        help="the netdsl checkout to depend on (default: this one; a frozen copy keeps parallel "
        "edits out of timings)",
    )
    args = ap.parse_args()
    out = args.out or os.path.join("/tmp/netdsl-big", "big_%d" % args.n)
    os.makedirs(os.path.join(out, "src"), exist_ok=True)
    files = {
        "Cargo.toml": CARGO % {"pkg": "netdsl-big-%d" % args.n, "repo": os.path.abspath(args.repo)},
        os.path.join("src", "main.rs"): generate(args.n, args.name),
    }
    lock = os.path.join(out, "Cargo.lock")
    repo_lock = os.path.join(args.repo, "Cargo.lock")
    if not os.path.exists(lock) and os.path.exists(repo_lock):
        # Start from the workspace's lock file: the same dependency versions, no resolution.
        with open(repo_lock) as f:
            files["Cargo.lock"] = f.read()
    for rel, text in files.items():
        path = os.path.join(out, rel)
        old = None
        if os.path.exists(path):
            with open(path) as f:
                old = f.read()
        if old != text:  # keep mtimes when nothing changed
            with open(path, "w") as f:
                f.write(text)
    print(out)


if __name__ == "__main__":
    main()
