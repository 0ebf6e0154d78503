//! Parameter values and their valid ranges: the one table ([`param_range`]) both the macro and
//! the runtime builder take ranges from, and the [`ParamDecl`] entries a [`Declared`]
//! network lists for the rules to check.
//!
//! [`Declared`]: super::Declared

use std::borrow::Cow;

/// The range a parameter's value must lie in (every range excludes NaN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamRange {
    /// `> 0` (and finite).
    Positive,
    /// `>= 0` (and finite).
    NonNegative,
    /// Finite (not NaN or infinite).
    Finite,
}

impl ParamRange {
    /// Whether `v` lies in the range.
    pub fn contains(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                ParamRange::Positive => v > 0.0,
                ParamRange::NonNegative => v >= 0.0,
                ParamRange::Finite => true,
            }
    }

    /// For messages: `> 0`, `>= 0`, `finite`.
    pub fn describe(self) -> &'static str {
        match self {
            ParamRange::Positive => "> 0",
            ParamRange::NonNegative => ">= 0",
            ParamRange::Finite => "finite",
        }
    }
}

/// The valid range of parameter `name` of `kind` (a neuron type as written, `LIF`; a synapse,
/// `Lowpass`; a rule, `PES`; `probe`; `transform`), as Nengo 4.1 states it (its `NumberParam`
/// bounds; `Lowpass(0)` and `Alpha(0)` are valid there: no filtering). `None`: not checked.
pub fn param_range(kind: &str, name: &str) -> Option<ParamRange> {
    use ParamRange::*;
    let lif = matches!(kind, "LIF" | "LIFRate" | "AdaptiveLIF" | "AdaptiveLIFRate");
    Some(match (kind, name) {
        (_, "tau_rc") if lif => Positive,
        (_, "tau_ref") if lif => NonNegative,
        ("Sigmoid" | "Tanh", "tau_ref") => Positive,
        ("AdaptiveLIF" | "AdaptiveLIFRate", "tau_n") => Positive,
        ("AdaptiveLIF" | "AdaptiveLIFRate", "inc_n") => NonNegative,
        (_, "min_voltage") if lif => Finite,
        // Izhikevich's are checked by the neuron model, with Nengo's text.
        ("Izhikevich", _) => return None,
        (_, "amplitude") => Positive,
        ("Lowpass" | "Alpha", "tau") => NonNegative,
        ("PES", "learning_rate") => NonNegative,
        ("mPES", "gain") => Positive,
        ("mPES", "threshold") => NonNegative,
        ("probe", "sample_every") => Positive,
        ("transform", "transform") => Finite,
        _ => return None,
    })
}

impl ParamDecl {
    /// The check of `name` of `kind` at `of`, when [`param_range`] gives it a range.
    pub fn new(
        of: ParamOf,
        kind: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
        value: f64,
    ) -> Option<Self> {
        let (kind, name) = (kind.into(), name.into());
        let range = param_range(&kind, &name)?;
        Some(ParamDecl {
            of,
            kind,
            name,
            value,
            range,
        })
    }
}

/// What a checked parameter belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamOf {
    /// An ensemble's neuron type.
    Neurons(usize),
    /// A connection's synapse.
    ConnSynapse(usize),
    /// A connection's learning rule.
    ConnRule(usize),
    /// The pre synapse of a connection's learning rule.
    RuleSynapse(usize),
    /// A connection's transform.
    ConnTransform(usize),
    /// A probe's synapse.
    ProbeSynapse(usize),
    /// A probe.
    Probe(usize),
}

/// One parameter value the rules check against its range.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDecl {
    /// Where the value was written (the macro maps [`At::Param`](super::At::Param) of this entry to it).
    pub of: ParamOf,
    /// The kind of what it belongs to, for messages (`Lowpass`, `LIF`, `PES`; empty for a
    /// probe or a transform).
    pub kind: Cow<'static, str>,
    /// The parameter's name (`tau`, `tau_rc`, `learning_rate`, `sample_every`).
    pub name: Cow<'static, str>,
    /// Its value.
    pub value: f64,
    /// Its valid range.
    pub range: ParamRange,
}
