"""Write a crate whose network holds N `EnsembleArray`s from `netdsl::networks`, to measure
compile time of library instances (docs/compile-time.md):

    python3 tools/gen_many_arrays.py 100 [ENSEMBLES_PER_ARRAY]
    cd /tmp/netdsl-many/arrays_100 && cargo build            # dependencies once
    touch src/main.rs && /usr/bin/time -f '%U user %S sys %e wall' cargo build
"""
import os
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = f"/tmp/netdsl-many/arrays_{n}"
os.makedirs(out + "/src", exist_ok=True)
with open(out + "/Cargo.toml", "w") as f:
    f.write(f"""[package]
name = "arrays_{n}"
version = "0.1.0"
edition = "2021"

[dependencies]
netdsl = {{ path = "{root}" }}

[profile.dev.package."*"]
opt-level = 2

[profile.dev]
opt-level = 1
""")
lines = ["use netdsl::networks::EnsembleArray;", "use netdsl::prelude::*;", "", "network! {",
         f"    /// {n} ensemble arrays of {k} ensembles in a chain.", "    pub Many {",
         f"        node stim: 0 -> {k} = |t| [t.sin(); {k}];"]
for i in range(n):
    lines.append(f"        net a{i}: EnsembleArray<{k}, 50>(1.0);")
lines.append("        stim -> a0.input;")
for i in range(1, n):
    lines.append(f"        a{i - 1}.output -> a{i}.input;")
lines.append(f"        probe out: a{n - 1}.output, synapse = 0.01;")
lines += ["    }", "}", "", "fn main() {",
          "    let t = std::time::Instant::now();",
          "    let sim = Many::new().build(0.001).expect(\"builds\");",
          "    println!(\"built {} ensembles in {:.2} s\", sim.structure().items.len(), t.elapsed().as_secs_f64());",
          "}"]
with open(out + "/src/main.rs", "w") as f:
    f.write("\n".join(lines) + "\n")
print(out)
