//! The rules themselves: items, probes, connections (sizes through slices, functions and
//! transforms; what a learning rule may learn; weight storage), then cycles.

use super::*;

/// Check a declared network: every violation, each connection's sizes, and the structure.
pub fn validate<P: SizeLike>(d: &Declared<P>) -> Validated<P> {
    let mut ck = Checker {
        d,
        out: Vec::new(),
        given: Vec::new(),
    };
    for p in 0..d.probes.len() {
        ck.probe(p);
    }
    for i in 0..d.items.len() {
        ck.item(i);
    }
    // Connections into `conn.learning` need the learned connection's sizes: those last.
    let mut sizes: Vec<Option<ConnSizes<P>>> = vec![None; d.conns.len()];
    let mut failed = vec![false; d.conns.len()];
    for pass in 0..2 {
        for (i, c) in d.conns.iter().enumerate() {
            let into_learning = matches!(c.post, End::Learning { .. });
            if into_learning != (pass == 1) {
                continue;
            }
            if let End::Learning { conn } = c.post {
                // A learned connection that failed its own check has said so already.
                if failed.get(conn).copied().unwrap_or(true)
                    && d.conns.get(conn).is_some_and(|x| x.rule.is_some())
                {
                    failed[i] = true;
                    continue;
                }
            }
            match ck.conn(i, &sizes) {
                Some(s) => sizes[i] = Some(s),
                None => failed[i] = true,
            }
        }
    }
    for (k, p) in d.params.iter().enumerate() {
        if !p.range.contains(p.value) {
            ck.fail(
                At::Param(k),
                Problem::ParamOutOfRange {
                    param: k,
                    name: p.name.clone(),
                    value: p.value,
                    range: p.range,
                },
            );
        }
    }
    let mut violations = ck.out;
    let mut structure = None;
    if !violations.iter().any(Violation::is_definite) {
        if let Some(s) = structure_of(d, &sizes) {
            let cyc = cycle(&s);
            if cyc.is_empty() {
                structure = Some(s);
            }
            violations.extend(cyc);
        }
    }
    Validated {
        violations,
        sizes,
        structure,
    }
}

struct Checker<'d, P> {
    d: &'d Declared<P>,
    out: Vec<Violation<P>>,
    /// Deferred slice conditions of the current connection: its size checks only apply when
    /// its slices are valid (so one bad slice gives one error).
    given: Vec<Vec<Cmp<P>>>,
}

/// The sizes of one end, before its slice.
struct EndSize<P> {
    full: P,
}

impl<P: SizeLike> Checker<'_, P> {
    fn fail(&mut self, at: At, problem: Problem<P>) {
        self.out.push(Violation {
            problem,
            at,
            deferred: None,
        });
    }

    fn defer(
        &mut self,
        at: At,
        problem: Problem<P>,
        given: Vec<Vec<Cmp<P>>>,
        require: Vec<Cmp<P>>,
    ) {
        self.out.push(Violation {
            problem,
            at,
            deferred: Some(Deferred { given, require }),
        });
    }

    /// `a == b`, now or deferred; `false` when definitely not.
    fn expect_eq(&mut self, at: At, a: &P, b: &P, problem: Problem<P>) -> bool {
        match (a.known(), b.known()) {
            (Some(x), Some(y)) => {
                if x != y {
                    self.fail(at, problem);
                    return false;
                }
                true
            }
            _ => {
                if a != b {
                    let given = self.given.clone();
                    self.defer(at, problem, given, vec![Cmp::Eq(a.clone(), b.clone())]);
                }
                true
            }
        }
    }

    fn item(&mut self, i: usize) {
        let it = &self.d.items[i];
        match &it.kind {
            ItemKind::Ensemble { n, d, .. } => {
                if n.known() == Some(0) {
                    self.fail(
                        At::EnsembleNeurons(i),
                        Problem::NoNeurons {
                            item: i,
                            n: n.clone(),
                        },
                    );
                }
                if d.known() == Some(0) {
                    self.fail(
                        At::EnsembleDims(i),
                        Problem::NoDimensions {
                            item: i,
                            d: d.clone(),
                        },
                    );
                }
                if n.known().is_none() {
                    let p = Problem::NoNeurons {
                        item: i,
                        n: n.clone(),
                    };
                    self.defer(
                        At::EnsembleNeurons(i),
                        p,
                        Vec::new(),
                        vec![Cmp::Positive(n.clone())],
                    );
                }
                if d.known().is_none() {
                    let p = Problem::NoDimensions {
                        item: i,
                        d: d.clone(),
                    };
                    self.defer(
                        At::EnsembleDims(i),
                        p,
                        Vec::new(),
                        vec![Cmp::Positive(d.clone())],
                    );
                }
                if let (Some(tau_ref), Some(max_rate)) = (it.tau_ref, it.max_rate) {
                    if tau_ref > 0.0 && max_rate >= 1.0 / tau_ref {
                        let p = Problem::RateTooHigh {
                            item: i,
                            max_rate,
                            tau_ref,
                        };
                        self.fail(At::EnsembleMaxRates(i), p);
                    }
                }
                if let Some(radius) = it.radius {
                    if !(radius > 0.0 && radius.is_finite()) {
                        self.fail(
                            At::EnsembleRadius(i),
                            Problem::RadiusNotPositive { item: i, radius },
                        );
                    }
                }
            }
            ItemKind::Node {
                size_in,
                size_out,
                kind,
            } => {
                match kind {
                    NodeKind::Passthrough => {
                        let p = Problem::PassthroughSizes {
                            item: i,
                            size_in: size_in.clone(),
                            size_out: size_out.clone(),
                        };
                        self.expect_eq(At::NodeSizeOut(i), size_in, size_out, p);
                    }
                    NodeKind::Constant | NodeKind::Process
                        if size_in.known().is_some_and(|v| v > 0) =>
                    {
                        let p = Problem::NodeIgnoresInput {
                            item: i,
                            size_in: size_in.clone(),
                        };
                        self.fail(At::NodeOutput(i), p);
                    }
                    _ => {}
                }
                if let Some(given) = &it.output_size {
                    if matches!(kind, NodeKind::Constant | NodeKind::Process) {
                        let p = Problem::NodeOutputSize {
                            item: i,
                            given: given.clone(),
                            size_out: size_out.clone(),
                        };
                        self.expect_eq(At::NodeOutput(i), given, size_out, p);
                    }
                }
            }
        }
    }

    fn probe(&mut self, p: usize) {
        let pr = &self.d.probes[p];
        let at = At::Probe(p);
        match pr.target {
            ProbeTarget::Item(i) => {
                let Some(it) = self.d.items.get(i) else {
                    return self.fail(at, Problem::ProbeAttrTarget { probe: p });
                };
                match (&it.kind, pr.attr) {
                    (_, ProbeAttr::Value) => {}
                    (ItemKind::Node { .. }, a) if is_neuron_attr(a) => {
                        self.fail(at, Problem::ProbeNodeAttr { probe: p, item: i })
                    }
                    (ItemKind::Ensemble { neuron, .. }, a) if is_neuron_attr(a) => {
                        if !neuron_ok(*neuron, a) {
                            self.fail(at, Problem::ProbeNeuronAttr { probe: p, item: i })
                        }
                    }
                    _ => self.fail(at, Problem::ProbeAttrTarget { probe: p }),
                }
            }
            ProbeTarget::Conn(c) => {
                let Some(conn) = self.d.conns.get(c) else {
                    return self.fail(at, Problem::ProbeAttrTarget { probe: p });
                };
                let memristive = conn.rule == Some(RuleKind::Mpes);
                match pr.attr {
                    ProbeAttr::Output => {}
                    ProbeAttr::Error if conn.rule.is_none() => {
                        return self.fail(at, Problem::ProbeNoError { probe: p, conn: c })
                    }
                    ProbeAttr::Error => {}
                    ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg if !memristive => {
                        return self.fail(at, Problem::ProbeNotMemristive { probe: p, conn: c })
                    }
                    ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg => {}
                    ProbeAttr::Weights if conn.storage_f32 => {
                        return self.fail(at, Problem::ProbeF32Weights { probe: p, conn: c })
                    }
                    ProbeAttr::Weights => {}
                    _ => return self.fail(at, Problem::ProbeAttrTarget { probe: p }),
                }
                let device = matches!(
                    pr.attr,
                    ProbeAttr::Weights | ProbeAttr::ResistancePos | ProbeAttr::ResistanceNeg
                );
                if memristive && device && pr.synapse {
                    self.fail(at, Problem::ProbeFilteredDevice { probe: p, conn: c });
                }
            }
        }
    }

    /// The full size of an end (before its slice).
    fn end_size(
        &mut self,
        c: usize,
        side: Side,
        sizes: &[Option<ConnSizes<P>>],
    ) -> Option<EndSize<P>> {
        let e = match side {
            Side::Pre => self.d.conns[c].pre,
            Side::Post => self.d.conns[c].post,
        };
        let at = match side {
            Side::Pre => At::ConnPre(c),
            Side::Post => At::ConnPost(c),
        };
        match e {
            End::Item { item, port } => match (&self.d.items.get(item)?.kind, port) {
                (ItemKind::Ensemble { d, .. }, Port::Value) => Some(EndSize { full: d.clone() }),
                (ItemKind::Ensemble { n, neuron, .. }, Port::Neurons) => {
                    if *neuron == NeuronClass::Direct {
                        self.fail(
                            at,
                            Problem::EndWithoutNeurons {
                                conn: c,
                                side,
                                item,
                            },
                        );
                        return None;
                    }
                    Some(EndSize { full: n.clone() })
                }
                (ItemKind::Node { .. }, Port::Neurons) => {
                    self.fail(
                        at,
                        Problem::EndWithoutNeurons {
                            conn: c,
                            side,
                            item,
                        },
                    );
                    None
                }
                (
                    ItemKind::Node {
                        size_in, size_out, ..
                    },
                    Port::Value,
                ) => Some(EndSize {
                    full: match side {
                        Side::Pre => size_out.clone(),
                        Side::Post => size_in.clone(),
                    },
                }),
            },
            End::Learning { conn } => sizes
                .get(conn)
                .and_then(|s| s.as_ref())
                .and_then(|s| s.error_size.clone())
                .map(|full| EndSize { full }),
        }
    }

    /// Check a slice against the end's full size; returns the slice and the sliced length.
    fn slice(&mut self, c: usize, side: Side, full: &P) -> Option<(Option<(P, P)>, P)> {
        let conn = &self.d.conns[c];
        let (s, at) = match side {
            Side::Pre => (&conn.pre_slice, At::ConnPreSlice(c)),
            Side::Post => (&conn.post_slice, At::ConnPostSlice(c)),
        };
        let Some(s) = s else {
            return Some((None, full.clone()));
        };
        let lo = s.lo.clone();
        let hi = s.hi.clone().unwrap_or_else(|| full.clone());
        match (lo.known(), hi.known(), full.known()) {
            (Some(l), Some(h), f) => {
                if s.index {
                    if f.is_some_and(|f| l >= f) {
                        let p = Problem::IndexOutOfRange {
                            conn: c,
                            side,
                            index: lo,
                            size: full.clone(),
                        };
                        self.fail(at, p);
                        return None;
                    }
                } else if h < l {
                    let p = Problem::SliceReversed {
                        conn: c,
                        side,
                        lo,
                        hi,
                    };
                    self.fail(at, p);
                    return None;
                } else if h == l {
                    self.fail(at, Problem::SliceEmpty { conn: c, side, lo });
                    return None;
                } else if f.is_some_and(|f| h > f) {
                    let p = Problem::SlicePastEnd {
                        conn: c,
                        side,
                        hi,
                        size: full.clone(),
                    };
                    self.fail(at, p);
                    return None;
                }
                if f.is_none() {
                    let cond = vec![Cmp::Le(hi.clone(), full.clone())];
                    self.given.push(cond.clone());
                    let p = Problem::SlicePastEnd {
                        conn: c,
                        side,
                        hi: hi.clone(),
                        size: full.clone(),
                    };
                    self.defer(at, p, Vec::new(), cond);
                }
            }
            _ => {
                let cond = vec![
                    Cmp::Lt(lo.clone(), hi.clone()),
                    Cmp::Le(hi.clone(), full.clone()),
                ];
                self.given.push(cond.clone());
                let p = Problem::SliceOutside {
                    conn: c,
                    side,
                    lo: lo.clone(),
                    hi: hi.clone(),
                    size: full.clone(),
                };
                self.defer(at, p, Vec::new(), cond);
            }
        }
        let len = hi.minus(&lo).unwrap_or_else(|| P::from(0));
        Some((Some((lo, hi)), len))
    }

    fn conn(&mut self, c: usize, sizes: &[Option<ConnSizes<P>>]) -> Option<ConnSizes<P>> {
        let d = self.d;
        let cn = &d.conns[c];
        self.given.clear();
        let (pre_item, pre_port) = match cn.pre {
            End::Item { item, port } => (item, port),
            End::Learning { .. } => {
                self.fail(At::ConnPre(c), Problem::LearningAsSource { conn: c });
                return None;
            }
        };
        let pre_kind = &d.items.get(pre_item)?.kind;
        let pre_direct = matches!(
            pre_kind,
            ItemKind::Ensemble {
                neuron: NeuronClass::Direct,
                ..
            }
        );
        let pre_ens = matches!(pre_kind, ItemKind::Ensemble { .. });
        let decoded = pre_ens && pre_port == Port::Value && !pre_direct;

        // Source.
        if let ItemKind::Node { size_out, .. } = pre_kind {
            if size_out.known() == Some(0) {
                let p = Problem::SourceWithoutOutput {
                    conn: c,
                    item: pre_item,
                };
                self.fail(At::ConnPre(c), p);
                return None;
            }
        }
        let pre_full = self.end_size(c, Side::Pre, sizes)?.full;
        let (pre_slice, src_size) = self.slice(c, Side::Pre, &pre_full)?;
        let pre_size = match (decoded, pre_kind) {
            (true, ItemKind::Ensemble { n, .. }) => n.clone(),
            _ => src_size.clone(),
        };

        // Target.
        if let End::Learning { conn: learned } = cn.post {
            if d.conns
                .get(learned)
                .map(|x| x.rule.is_none())
                .unwrap_or(true)
            {
                let p = Problem::LearningWithoutRule { conn: c, learned };
                self.fail(At::ConnPost(c), p);
                return None;
            }
        }
        if let End::Item { item, .. } = cn.post {
            if let ItemKind::Node { size_in, .. } = &d.items.get(item)?.kind {
                if size_in.known() == Some(0) {
                    self.fail(
                        At::ConnPost(c),
                        Problem::TargetWithoutInput { conn: c, item },
                    );
                    return None;
                }
            }
        }
        let post_full = self.end_size(c, Side::Post, sizes)?.full;
        let (post_slice, post_size) = self.slice(c, Side::Post, &post_full)?;

        // Rule and solver validity.
        if cn.weight_solver {
            let post_ok = matches!(cn.post, End::Item { item, port: Port::Value }
                if matches!(d.items.get(item).map(|i| &i.kind),
                    Some(ItemKind::Ensemble { neuron, .. }) if *neuron != NeuronClass::Direct));
            if !decoded || !post_ok {
                self.fail(At::Conn(c), Problem::WeightSolverEnds { conn: c });
                return None;
            }
        }
        match cn.rule {
            // PES learns the connection's full weight matrix (decoders folded with the
            // transform), so any transform shape will do (Nengo: every transform is `Dense`).
            Some(RuleKind::Pes) if !pre_ens || pre_direct => {
                let p = Problem::PesSource {
                    conn: c,
                    item: pre_item,
                    direct: pre_direct,
                };
                self.fail(At::Conn(c), p);
                return None;
            }
            Some(RuleKind::Mpes) => {
                let post_neurons = matches!(
                    cn.post,
                    End::Item {
                        port: Port::Neurons,
                        ..
                    }
                );
                if pre_port != Port::Neurons || !post_neurons {
                    self.fail(At::Conn(c), Problem::MpesEnds { conn: c });
                    return None;
                }
                if cn.function.is_some() {
                    self.fail(At::Conn(c), Problem::MpesFunction { conn: c });
                    return None;
                }
            }
            _ => {}
        }

        // Function.
        let mut func_size = None;
        let mut x = src_size.clone();
        if let Some(f) = &cn.function {
            if pre_port == Port::Neurons {
                self.fail(At::ConnPre(c), Problem::FunctionOnNeurons { conn: c });
                return None;
            }
            let fs = if f.identity {
                Some(x.clone())
            } else {
                f.size_out.clone()
            };
            func_size = fs.clone();
            if let Some(fs) = fs {
                x = fs;
            }
        }

        // Transform: what goes out.
        let implied_func = cn.function.is_some() && func_size.is_none();
        let out_size = match &cn.transform {
            TransformDecl::Scalar => {
                if cn.weight_solver || implied_func {
                    post_size.clone()
                } else {
                    x.clone()
                }
            }
            TransformDecl::Diagonal(k) => {
                if implied_func {
                    func_size = Some(k.clone());
                } else {
                    let p = Problem::TransformEntries {
                        conn: c,
                        entries: k.clone(),
                        input: x.clone(),
                    };
                    if !self.expect_eq(At::ConnTransform(c), k, &x, p) {
                        return None;
                    }
                }
                k.clone()
            }
            TransformDecl::Matrix { rows, cols } => {
                if implied_func {
                    func_size = Some(cols.clone());
                } else {
                    let p = Problem::TransformColumns {
                        conn: c,
                        rows: rows.clone(),
                        cols: cols.clone(),
                        input: x.clone(),
                    };
                    if !self.expect_eq(At::ConnTransform(c), cols, &x, p) {
                        return None;
                    }
                }
                rows.clone()
            }
            TransformDecl::Implied => post_size.clone(),
        };
        if implied_func && func_size.is_none() {
            func_size = Some(out_size.clone());
        }

        // Source vs target.
        let out_size = if cn.weight_solver {
            // Solved into the post neurons: decoded sizes must match post dims (after slice).
            let sends = match &cn.transform {
                TransformDecl::Matrix { rows, .. } => rows.clone(),
                TransformDecl::Implied => post_size.clone(),
                _ => x.clone(),
            };
            let p = Problem::WeightSolverSize {
                conn: c,
                sends: sends.clone(),
                takes: post_size.clone(),
            };
            if !self.expect_eq(At::Conn(c), &sends, &post_size, p) {
                return None;
            }
            match cn.post {
                End::Item { item, .. } => match &d.items.get(item)?.kind {
                    ItemKind::Ensemble { n, .. } => n.clone(),
                    ItemKind::Node { .. } => out_size,
                },
                End::Learning { .. } => out_size,
            }
        } else {
            let p = match cn.post {
                End::Learning { conn: learned } => Problem::ErrorSize {
                    conn: c,
                    learned,
                    sends: out_size.clone(),
                    error: post_size.clone(),
                },
                End::Item { .. } => Problem::SizeMismatch {
                    conn: c,
                    sends: out_size.clone(),
                    takes: post_size.clone(),
                },
            };
            if !self.expect_eq(At::Conn(c), &out_size, &post_size, p) {
                return None;
            }
            post_size.clone()
        };

        // Learning error size: the post's dimensions for connections into neurons.
        let post_neurons = matches!(
            cn.post,
            End::Item {
                port: Port::Neurons,
                ..
            }
        ) || cn.weight_solver;
        let error_size = match (cn.rule, post_neurons, cn.post) {
            (None, _, _) => None,
            (Some(_), false, _) => Some(out_size.clone()),
            (Some(_), true, End::Item { item, .. }) => match &d.items.get(item)?.kind {
                ItemKind::Ensemble { d, .. } => Some(d.clone()),
                ItemKind::Node { size_in, .. } => Some(size_in.clone()),
            },
            (Some(_), true, End::Learning { .. }) => None,
        };

        if cn.storage_f32 {
            // The runtime keeps an f32 matrix only where its weights op is the one user of a
            // fixed matrix with more than one row.
            let matrix =
                decoded || cn.weight_solver || cn.transform.kind() == TransformKind::Matrix;
            let why = if cn.rule.is_some() {
                Some(F32Refusal::Learns)
            } else if !matrix {
                Some(F32Refusal::NotMatrix)
            } else if out_size.known() == Some(1) {
                Some(F32Refusal::OneRow)
            } else {
                None
            };
            if let Some(why) = why {
                self.fail(At::ConnStorage(c), Problem::StorageF32 { conn: c, why });
                return None;
            }
        }
        Some(ConnSizes {
            pre_slice,
            pre_size,
            src_size,
            func_size,
            out_size,
            post_slice,
            error_size,
        })
    }
}

fn is_neuron_attr(a: ProbeAttr) -> bool {
    matches!(
        a,
        ProbeAttr::Spikes
            | ProbeAttr::Voltage
            | ProbeAttr::Input
            | ProbeAttr::Refractory
            | ProbeAttr::Adaptation
            | ProbeAttr::Recovery
            | ProbeAttr::RateOut
    )
}
