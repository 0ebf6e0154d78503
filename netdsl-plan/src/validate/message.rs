//! The wording of violations, once for both sides. Texts of the user's statement (an end as
//! written, a slice as written) come from a [`Texts`]: the macro gives its source text, the
//! runtime the default (names and numbers).

use super::*;

/// How the user wrote the parts of a statement that messages quote.
pub trait Texts {
    /// An end without its slice: `pre`, `pre.neurons`, `learned.learning`.
    fn end(&self, conn: usize, side: Side) -> String;
    /// A slice as written, without brackets: `..post.n + 2`, `3`.
    fn slice(&self, conn: usize, side: Side) -> String;
    /// The last word of a probe's attribute as written (`voltage`, `neurons`).
    fn probe_attr(&self, probe: usize) -> String;
}

/// The runtime's texts: names and numbers.
impl<P: SizeLike> Texts for Declared<P> {
    fn end(&self, conn: usize, side: Side) -> String {
        let Some(c) = self.conns.get(conn) else {
            return String::from("?");
        };
        let e = match side {
            Side::Pre => c.pre,
            Side::Post => c.post,
        };
        match e {
            End::Item { item, port } => {
                let name = self.items.get(item).map_or("?", |i| &i.name);
                match port {
                    Port::Value => name.to_string(),
                    Port::Neurons => format!("{name}.neurons"),
                }
            }
            End::Learning { conn } => {
                let name = self.conns.get(conn).map_or("?", |c| &c.label);
                format!("{name}.learning")
            }
        }
    }

    fn slice(&self, conn: usize, side: Side) -> String {
        let Some(c) = self.conns.get(conn) else {
            return String::new();
        };
        let s = match side {
            Side::Pre => &c.pre_slice,
            Side::Post => &c.post_slice,
        };
        match s {
            None => String::new(),
            Some(s) if s.index => s.lo.text(),
            Some(s) => {
                let hi = s.hi.as_ref().map(SizeLike::text).unwrap_or_default();
                format!("{}..{hi}", s.lo.text())
            }
        }
    }

    fn probe_attr(&self, probe: usize) -> String {
        let attr = self.probes.get(probe).map(|p| p.attr);
        String::from(match attr {
            Some(ProbeAttr::Spikes) => "neurons",
            Some(ProbeAttr::Voltage) => "voltage",
            Some(ProbeAttr::Input) => "input",
            Some(ProbeAttr::Refractory) => "refractory",
            Some(ProbeAttr::Adaptation) => "adaptation",
            Some(ProbeAttr::Recovery) => "recovery",
            Some(ProbeAttr::RateOut) => "rate_out",
            Some(ProbeAttr::Weights) => "weights",
            Some(ProbeAttr::Output) => "output",
            Some(ProbeAttr::Error) => "error",
            Some(ProbeAttr::ResistancePos) => "r_pos",
            Some(ProbeAttr::ResistanceNeg) => "r_neg",
            Some(ProbeAttr::Value) | None => "value",
        })
    }
}

/// "`a` has 2 dimensions", "`a.neurons` has 1 neuron", "`n` has size_in 3".
fn has<P: SizeLike>(name: &str, what: &str, n: &P) -> String {
    match (what, n.known()) {
        ("dimensions", Some(1)) => format!("`{name}` has 1 dimension"),
        ("neurons", Some(1)) => format!("`{name}` has 1 neuron"),
        ("dimensions" | "neurons", _) => format!("`{name}` has {} {what}", n.show()),
        _ => format!("`{name}` has {what} {}", n.show()),
    }
}

struct Words<'a, P, T: ?Sized> {
    d: &'a Declared<P>,
    t: &'a T,
}

impl<P: SizeLike, T: Texts + ?Sized> Words<'_, P, T> {
    fn item(&self, i: usize) -> &str {
        self.d.items.get(i).map_or("?", |i| &i.name)
    }

    fn conn(&self, c: usize) -> &str {
        self.d.conns.get(c).map_or("?", |c| &c.label)
    }

    fn probe(&self, p: usize) -> &str {
        self.d.probes.get(p).map_or("?", |p| &p.name)
    }

    /// `the `Lowpass` synapse of `a -> b``, `the `LIF` neurons of `ens``, `probe `p``.
    fn param_owner(&self, p: &ParamDecl) -> String {
        let kind = &p.kind;
        match p.of {
            ParamOf::Neurons(i) => format!("the `{kind}` neurons of `{}`", self.item(i)),
            ParamOf::ConnSynapse(c) => format!("the `{kind}` synapse of `{}`", self.conn(c)),
            ParamOf::ConnRule(c) => format!("the `{kind}` rule of `{}`", self.conn(c)),
            ParamOf::RuleSynapse(c) => format!(
                "the `{kind}` pre_synapse of the learning rule of `{}`",
                self.conn(c)
            ),
            ParamOf::ConnTransform(c) => format!("the connection `{}`", self.conn(c)),
            ParamOf::ProbeSynapse(q) => {
                format!("the `{kind}` synapse of probe `{}`", self.probe(q))
            }
            ParamOf::Probe(q) => format!("probe `{}`", self.probe(q)),
        }
    }

    fn end_of(&self, c: usize, side: Side) -> Option<End> {
        self.d.conns.get(c).map(|x| match side {
            Side::Pre => x.pre,
            Side::Post => x.post,
        })
    }

    fn sliced(&self, c: usize, side: Side) -> bool {
        self.d.conns.get(c).is_some_and(|x| match side {
            Side::Pre => x.pre_slice.is_some(),
            Side::Post => x.post_slice.is_some(),
        })
    }

    /// The end with its slice: `pulse_plus[..post.n]`.
    fn label(&self, c: usize, side: Side) -> String {
        let e = self.t.end(c, side);
        if self.sliced(c, side) {
            format!("{e}[{}]", self.t.slice(c, side))
        } else {
            e
        }
    }

    /// How an end's full size is named: "dimensions", "neurons", "size_in", ...
    fn what(&self, c: usize, side: Side) -> &'static str {
        match self.end_of(c, side) {
            Some(End::Item { item, port }) => match (self.d.items.get(item).map(|i| &i.kind), port)
            {
                (Some(ItemKind::Ensemble { .. }), Port::Value) => "dimensions",
                (Some(ItemKind::Ensemble { .. }), Port::Neurons) => "neurons",
                _ if side == Side::Post => "size_in",
                _ => "size_out",
            },
            _ => "error dimensions",
        }
    }

    /// "`pre` has 2 dimensions" or "`a[..2]` gives 2".
    fn src_desc(&self, c: usize, sizes: &ConnFacts<P>) -> String {
        if self.sliced(c, Side::Pre) {
            format!("`{}` gives {}", self.label(c, Side::Pre), sizes.src.show())
        } else {
            has(
                &self.t.end(c, Side::Pre),
                self.what(c, Side::Pre),
                &sizes.src,
            )
        }
    }

    fn post_desc(&self, c: usize, takes: &P) -> String {
        if self.sliced(c, Side::Post) {
            return format!("`{}` takes {}", self.label(c, Side::Post), takes.show());
        }
        let e = self.t.end(c, Side::Post);
        match (self.what(c, Side::Post), takes.known()) {
            ("dimensions", Some(1)) => format!("`{e}` takes 1 (it has 1 dimension)"),
            (w @ ("dimensions" | "neurons"), _) => {
                format!("`{e}` takes {} (it has {} {w})", takes.show(), takes.show())
            }
            (w, _) => format!("`{e}` takes {} (its {w})", takes.show()),
        }
    }

    fn slice_desc(&self, c: usize, side: Side, size: &P) -> String {
        has(&self.t.end(c, side), self.what(c, side), size)
    }
}

/// What the size messages need to know about a connection beyond the problem's own values.
struct ConnFacts<P> {
    /// The source after its slice.
    src: P,
    /// The function's output size, when known.
    func: Option<P>,
}

fn facts<P: SizeLike>(d: &Declared<P>, c: usize) -> Option<ConnFacts<P>> {
    let cn = d.conns.get(c)?;
    // Recompute the sliced source size the rules saw.
    let full = match cn.pre {
        End::Item { item, port } => match (&d.items.get(item)?.kind, port) {
            (ItemKind::Ensemble { d, .. }, Port::Value) => d.clone(),
            (ItemKind::Ensemble { n, .. }, Port::Neurons) => n.clone(),
            (ItemKind::Node { size_out, .. }, _) => size_out.clone(),
        },
        End::Learning { .. } => return None,
    };
    let src = match &cn.pre_slice {
        None => full,
        Some(s) => {
            let hi = s.hi.clone().unwrap_or(full);
            hi.minus(&s.lo).unwrap_or_else(|| P::from(0))
        }
    };
    let func = cn.function.as_ref().and_then(|f| {
        if f.identity {
            Some(src.clone())
        } else {
            f.size_out.clone()
        }
    });
    Some(ConnFacts { src, func })
}

impl<P: SizeLike> Violation<P> {
    /// The message for the runtime: items, connections and probes by name.
    pub fn message(&self, d: &Declared<P>) -> String {
        self.message_with(d, d)
    }

    /// The message, quoting the user's statement through `texts`.
    pub fn message_with<T: Texts + ?Sized>(&self, d: &Declared<P>, texts: &T) -> String {
        let w = Words { d, t: texts };
        let deferred = self.deferred.is_some();
        match &self.problem {
            Problem::NoNeurons { item, n } if deferred => format!(
                "ensemble `{}` must have at least one neuron (`{}`)",
                w.item(*item),
                n.text()
            ),
            Problem::NoNeurons { item, .. } => format!(
                "ensemble `{}` has 0 neurons; it needs at least 1",
                w.item(*item)
            ),
            Problem::NoDimensions { item, d: dims } if deferred => format!(
                "ensemble `{}` must have at least one dimension (`{}`)",
                w.item(*item),
                dims.text()
            ),
            Problem::NoDimensions { item, .. } => format!(
                "ensemble `{}` has 0 dimensions; it needs at least 1",
                w.item(*item)
            ),
            Problem::PassthroughSizes {
                item,
                size_in,
                size_out,
            } => format!(
                "passthrough node `{}` passes its input through: size_in {} must equal size_out {}",
                w.item(*item),
                size_in.show(),
                size_out.show()
            ),
            Problem::NodeIgnoresInput { item, size_in } => {
                let name = w.item(*item);
                format!("node `{name}` has size_in {} but its output ignores input; use `|t, x| ..` or declare `node {name}: 0 -> OUT`", size_in.show())
            }
            Problem::NodeOutputSize {
                item,
                given,
                size_out,
            } => format!(
                "node `{}` gives {} values but its size_out is {}",
                w.item(*item),
                given.show(),
                size_out.show()
            ),
            Problem::RateTooHigh {
                item,
                max_rate,
                tau_ref,
            } => format!("max_rates up to {max_rate} Hz in `{}`, but LIF neurons with tau_ref = {tau_ref} s cannot fire at or above 1/tau_ref = {} Hz", w.item(*item), 1.0 / tau_ref),
            Problem::ParamOutOfRange {
                param,
                name,
                value,
                range,
            } => {
                let owner = match w.d.params.get(*param) {
                    Some(p) => w.param_owner(p),
                    None => "?".to_string(),
                };
                format!(
                    "`{name}` of {owner} must be {}, got {value}",
                    range.describe()
                )
            }
            Problem::RadiusNotPositive { item, radius } => format!(
                "radius of `{}` must be positive and finite, found {radius}",
                w.item(*item)
            ),
            Problem::SourceWithoutOutput { item, .. } => {
                let name = w.item(*item);
                format!("`{name}` has no output (size_out 0) and cannot be a connection's source")
            }
            Problem::TargetWithoutInput { item, .. } => {
                let name = w.item(*item);
                format!("`{name}` takes no input (size_in 0); declare it `node {name}: IN -> OUT = |t, x| ..` to give it one")
            }
            Problem::EndWithoutNeurons { item, .. } => {
                let name = w.item(*item);
                match d.items.get(*item).map(|i| &i.kind) {
                    Some(ItemKind::Ensemble { .. }) => {
                        format!("`{name}` is a Direct-mode ensemble and has no neurons")
                    }
                    _ => format!("`{name}` is a node; only ensembles have `.neurons`"),
                }
            }
            Problem::LearningAsSource { conn } => format!(
                "`{}` is an error input; it cannot be a connection's source",
                texts.end(*conn, Side::Pre)
            ),
            Problem::LearningWithoutRule { learned, .. } => {
                let n = w.conn(*learned);
                format!("connection `{n}` has no learning rule, so `{n}.learning` takes no error; give it `learning = PES` (or `mPES`)")
            }
            Problem::IndexOutOfRange {
                conn,
                side,
                index,
                size,
            } => {
                let text = texts.slice(*conn, *side);
                let l = index.text();
                let idx = if text == l {
                    format!("index {l}")
                } else {
                    format!("index `{text}` = {l}")
                };
                format!(
                    "{idx} is out of range: {} (valid indices 0..{})",
                    w.slice_desc(*conn, *side, size),
                    size.text()
                )
            }
            Problem::SliceReversed { conn, side, lo, hi } => format!(
                "slice `{}` is reversed: it starts at {} and ends at {}",
                texts.slice(*conn, *side),
                lo.text(),
                hi.text()
            ),
            Problem::SliceEmpty { conn, side, lo } => format!(
                "slice `{}` is empty: it starts and ends at {}",
                texts.slice(*conn, *side),
                lo.text()
            ),
            Problem::SlicePastEnd {
                conn,
                side,
                hi,
                size,
            } => format!(
                "slice `{}` ends at {} but {}{}",
                texts.slice(*conn, *side),
                hi.text(),
                w.slice_desc(*conn, *side, size),
                if deferred { ", which is smaller" } else { "" }
            ),
            Problem::SliceOutside {
                conn, side, size, ..
            } => format!(
                "slice `{}` must be a non-empty range within 0..{}, but {}",
                texts.slice(*conn, *side),
                size.text(),
                w.slice_desc(*conn, *side, size)
            ),
            Problem::WeightSolverEnds { conn } => format!("`solver = LstsqL2 {{ weights: true }}` needs a decoded ensemble on both ends (`pre -> post`); `{}` is not one", w.conn(*conn)),
            Problem::PesSource { item, direct, .. } => format!("PES learns from the pre neurons' activity, but `{}` is {}; learn on a connection from an ensemble", w.item(*item), if *direct { "a Direct-mode ensemble" } else { "a node" }),
            Problem::MpesEnds { conn } => format!("mPES runs on memristive synapses between neurons: write `pre.neurons -> post.neurons`, not `{}`", w.conn(*conn)),
            Problem::MpesFunction { .. } => {
                "an mPES connection's weights are its devices: it takes no `function`".to_string()
            }
            Problem::FunctionOnNeurons { conn } => {
                let pre = match d.conns.get(*conn).map(|c| c.pre) {
                    Some(End::Item { item, .. }) => w.item(item).to_string(),
                    _ => String::from("?"),
                };
                format!("a `function` needs a decoded source, but `{}` is neuron activity; connect from `{pre}`", texts.end(*conn, Side::Pre))
            }
            Problem::TransformEntries {
                conn,
                entries,
                input,
            } => {
                let f = facts(d, *conn);
                let src = f.as_ref().map(|f| w.src_desc(*conn, f)).unwrap_or_default();
                match f.and_then(|f| f.func) {
                    None => format!("transform vector has {} entries but {src}; a vector transform multiplies element by element", entries.show()),
                    Some(fs) => format!("transform vector has {} entries but {src}, and `function` returns {}, so {}; a vector transform multiplies element by element", entries.show(), fs.show(), input.show()),
                }
            }
            Problem::TransformColumns {
                conn,
                rows,
                cols,
                input,
            } => {
                let f = facts(d, *conn);
                let src = f.as_ref().map(|f| w.src_desc(*conn, f)).unwrap_or_default();
                let (rr, cc) = (rows.text(), cols.text());
                match f.and_then(|f| f.func) {
                    None => format!("transform matrix is {rr}x{cc} (out x in): its {} columns must match the source, but {src}", cols.show()),
                    Some(fs) => format!("transform matrix is {rr}x{cc} (out x in): its {} columns must match the source, but {src}, and `function` returns {}, so {}", cols.show(), fs.show(), input.show()),
                }
            }
            Problem::SizeMismatch { conn, sends, takes } => {
                let Some(f) = facts(d, *conn) else {
                    return format!("size mismatch in `{}`", w.conn(*conn));
                };
                let cn = &d.conns[*conn];
                let label = w.conn(*conn);
                let src = w.src_desc(*conn, &f);
                let post = w.post_desc(*conn, takes);
                let fdesc = match (&cn.function, &f.func) {
                    (Some(_), Some(s)) => format!(", and `function` returns {}", s.show()),
                    _ => String::new(),
                };
                let tdesc = match &cn.transform {
                    TransformDecl::Matrix { rows, .. } => {
                        format!(" through the {}-row transform", rows.text())
                    }
                    _ => String::new(),
                };
                let changed =
                    cn.function.is_some() || matches!(cn.transform, TransformDecl::Matrix { .. });
                if changed {
                    format!("size mismatch in `{label}`: {src}{fdesc}, sending {}{tdesc}, but {post}", sends.show())
                } else {
                    format!("size mismatch in `{label}`: {src} but {post}")
                }
            }
            Problem::WeightSolverSize {
                conn,
                sends,
                takes,
            } => {
                let Some(f) = facts(d, *conn) else {
                    return format!("size mismatch in `{}`", w.conn(*conn));
                };
                let cn = &d.conns[*conn];
                let src = w.src_desc(*conn, &f);
                let post = w.post_desc(*conn, takes);
                let fdesc = match (&cn.function, &f.func) {
                    (Some(_), Some(s)) => format!(", and `function` returns {}", s.show()),
                    _ => String::new(),
                };
                let tdesc = match &cn.transform {
                    TransformDecl::Matrix { rows, .. } => {
                        format!(" (after the {}-row transform)", rows.text())
                    }
                    _ => String::new(),
                };
                format!(
                    "size mismatch in `{}`: {src}{fdesc}, sending {}{tdesc}, but {post}; expected {}",
                    w.conn(*conn),
                    sends.show(),
                    takes.show()
                )
            }
            Problem::ErrorSize {
                conn,
                learned,
                sends,
                error,
            } => format!(
                "error size mismatch: `{}` sends {} values, but the error of `{}` has {} (the dimensions of its target `{}`)",
                w.conn(*conn),
                sends.show(),
                w.conn(*learned),
                error.show(),
                w.label(*learned, Side::Post)
            ),
            Problem::StorageF32 { conn, why } => {
                let label = w.conn(*conn);
                let why = match why {
                    F32Refusal::Learns => format!("`{label}` learns: its weights change every step"),
                    F32Refusal::NotMatrix => format!("`{label}` has a scalar or vector transform, not a weight matrix"),
                    F32Refusal::OneRow => format!("`{label}` has one output, so its weights are a single row"),
                };
                format!("`storage = f32` keeps a fixed weight matrix (more than one row) in single precision, but {why}; leave the weights `f64`")
            }
            Problem::ProbeNodeAttr { probe, item } => {
                let key = w.item(*item);
                format!("`{key}` is a node; probe its output with `probe {}: {key}`", w.probe(*probe))
            }
            Problem::ProbeNeuronAttr { probe, item } => format!(
                "`{}` has {} neurons, which have no `{}`",
                w.item(*item),
                d.items.get(*item).map_or("?", |i| &i.neuron_name),
                texts.probe_attr(*probe)
            ),
            Problem::ProbeAttrTarget { probe } => format!(
                "probe `{}` cannot record `{}` of its target",
                w.probe(*probe),
                texts.probe_attr(*probe)
            ),
            Problem::ProbeNoError { conn, .. } => format!(
                "connection `{}` has no learning rule, so no error to probe",
                w.conn(*conn)
            ),
            Problem::ProbeNotMemristive { conn, .. } => format!("connection `{}` is not memristive (`learning = mPES`), so it has no device resistances", w.conn(*conn)),
            Problem::ProbeF32Weights { conn, .. } => format!("connection `{}` keeps its weights as `f32` (`storage = f32`), outside the signals probes record; probe its output, or store the weights as `f64`", w.conn(*conn)),
            Problem::ProbeFilteredDevice { conn, .. } => format!("the device weights and resistances of the memristive connection `{}` are recorded unfiltered: remove the probe's synapse", w.conn(*conn)),
            Problem::Cycle { conns, index } => {
                let path = conns
                    .iter()
                    .map(|&c| format!("`{}`", w.conn(c)))
                    .collect::<Vec<_>>()
                    .join(" -> ");
                if *index == 0 {
                    format!("this connection is on a cycle with no synapse: {path} -> back to the start; nothing in it can run first within a step. Give one of these connections a synapse (`synapse = 0` is a pure one-step delay)")
                } else {
                    format!("connection {} of the synapse-free cycle {path}", index + 1)
                }
            }
        }
    }
}
