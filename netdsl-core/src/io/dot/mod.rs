//! A network as Graphviz DOT, drawn right for `.neurons` and sliced connections.
//!
//! The runtime describes a network with the neutral types of this module ([`DotGraph`],
//! [`DotItem`], [`DotEdge`], [`Port`]) and [`to_dot`] turns that into DOT text
//! (`dot -Tsvg net.dot > net.svg`). How it is drawn:
//!
//! - every ensemble is a cluster holding two boxes: its decoded value (`pre`, an ellipse) and its
//!   neurons (`pre.neurons`, a box), so `pre.neurons → memristor_plus` starts at the neurons and
//!   `pre → err` at the decoded value;
//! - a sliced endpoint gets its own port cell on the box it slices (`pulse_plus` shows cells
//!   `[..100]` and `[100..]` on its input side), and the edge lands on that cell; the edge label
//!   repeats the slices (`[..20] → [20..]`) and adds the function, transform, synapse and rule;
//! - nodes that are stages of one `state` value sit in one coloured cluster named after the state;
//! - memristive connections and memristive synapse items are drawn bold and dark red with their rule;
//!   errors into a learning rule go to a small `conn.learning` box, dashed.
//!
//! The output depends only on the input, in its order: the same graph gives byte-identical text.
//!
//! ```
//! use netdsl_core::io::dot::{to_dot, DotEdge, DotGraph, DotItem, Port};
//! let g = DotGraph {
//!     name: "net".into(),
//!     items: vec![DotItem::ensemble("pre", 10, 1), DotItem::node("out", 10, 1, "|t, x| ...")],
//!     edges: vec![DotEdge::new(Port::neurons("pre"), Port::input("out")).synapse("None")],
//! };
//! let dot = to_dot(&g);
//! assert!(dot.contains(r#""pre.neurons" -> "out""#));
//! ```

/// A network to draw: its items (ensembles, nodes, …) and its connections.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DotGraph {
    /// The graph's name, shown as its title.
    pub name: String,
    /// The items, drawn in this order.
    pub items: Vec<DotItem>,
    /// The connections, drawn in this order.
    pub edges: Vec<DotEdge>,
}

/// One item of the network.
#[derive(Clone, Debug, PartialEq)]
pub struct DotItem {
    /// The item's name in the network (`pre`, `memristor_plus`); ports refer to it.
    pub id: String,
    /// The text shown for it (usually the same as `id`).
    pub label: String,
    /// What the item is.
    pub kind: DotItemKind,
}

/// What a [`DotItem`] is.
#[derive(Clone, Debug, PartialEq)]
pub enum DotItemKind {
    /// An ensemble of `n` neurons representing `d` dimensions.
    Ensemble {
        /// Number of neurons.
        n: usize,
        /// Number of dimensions.
        d: usize,
    },
    /// A node running user code (or a constant, or a passthrough).
    Node {
        /// Input size.
        size_in: usize,
        /// Output size.
        size_out: usize,
        /// A short description of its output (`|t| …`, `passthrough`, `[0.5]`).
        what: String,
    },
    /// A node that is one stage (`method`) of a shared `state` value (`exc.filter`).
    StateStage {
        /// The state value's name; stages of one state are grouped together.
        state: String,
        /// The stage's method name.
        method: String,
        /// Input size.
        size_in: usize,
        /// Output size.
        size_out: usize,
    },
    /// A built-in memristive synapse array between `pre_n` and `post_n` neurons.
    Memristive {
        /// Number of pre neurons.
        pre_n: usize,
        /// Number of post neurons.
        post_n: usize,
        /// The device model (`Nb:SrTiO3, R0=200, R1=2.3e8, c=-0.146`).
        device: String,
        /// The learning rule (`mPES(gain=1e4)`).
        rule: String,
    },
}

impl DotItem {
    /// An ensemble item labelled with its id.
    pub fn ensemble(id: impl Into<String>, n: usize, d: usize) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::Ensemble { n, d },
        }
    }

    /// A node item labelled with its id.
    pub fn node(
        id: impl Into<String>,
        size_in: usize,
        size_out: usize,
        what: impl Into<String>,
    ) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::Node {
                size_in,
                size_out,
                what: what.into(),
            },
        }
    }

    /// A node that runs `state.method`, labelled with its id.
    pub fn stage(
        id: impl Into<String>,
        state: impl Into<String>,
        method: impl Into<String>,
        size_in: usize,
        size_out: usize,
    ) -> Self {
        let id = id.into();
        DotItem {
            label: id.clone(),
            id,
            kind: DotItemKind::StateStage {
                state: state.into(),
                method: method.into(),
                size_in,
                size_out,
            },
        }
    }
}

/// Which side of an item a connection attaches to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// An ensemble's decoded value (`pre`).
    Decoded,
    /// An ensemble's neurons (`pre.neurons`).
    Neurons,
    /// A node's output.
    Output,
    /// A node's input.
    Input,
    /// The learning rule of the connection with this name (`conn.learning`); the error goes here.
    Learning(String),
}

/// One end of a connection: an item, the side of it, and an optional slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    /// The item's id. For [`PortKind::Learning`] it is not used for placement (the learning box
    /// is named after the connection); the learned connection's post item is a good value.
    pub item: String,
    /// Which side of the item.
    pub kind: PortKind,
    /// The slice as the user wrote it (`..20`, `[20..]`, `[..post.n]`); brackets are added when
    /// missing.
    pub slice: Option<String>,
}

impl Port {
    /// An ensemble's decoded value.
    pub fn decoded(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Decoded)
    }
    /// An ensemble's neurons.
    pub fn neurons(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Neurons)
    }
    /// A node's output.
    pub fn output(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Output)
    }
    /// A node's input.
    pub fn input(item: impl Into<String>) -> Self {
        Self::with_kind(item, PortKind::Input)
    }
    /// The learning rule of connection `conn`.
    pub fn learning(conn: impl Into<String>) -> Self {
        let conn = conn.into();
        Port {
            item: conn.clone(),
            kind: PortKind::Learning(conn),
            slice: None,
        }
    }
    /// This port with a slice.
    pub fn slice(mut self, slice: impl Into<String>) -> Self {
        self.slice = Some(slice.into());
        self
    }
    fn with_kind(item: impl Into<String>, kind: PortKind) -> Self {
        Port {
            item: item.into(),
            kind,
            slice: None,
        }
    }
}

/// One connection.
#[derive(Clone, Debug, PartialEq)]
pub struct DotEdge {
    /// Where it starts.
    pub from: Port,
    /// Where it ends.
    pub to: Port,
    /// The connection's name, when it has one (needed for `conn.learning` ports).
    pub name: Option<String>,
    /// The function's text (`|x| x * x`).
    pub function: Option<String>,
    /// The transform's text (`-1.0`, `[[1, 0], [0, 1]]`).
    pub transform: Option<String>,
    /// The synapse's text (`None`, `Lowpass(0.005)`); `None` here means "do not show".
    pub synapse: Option<String>,
    /// The learning rule's text (`PES(1e-4)`, `mPES(gain=1e4)`).
    pub learning: Option<String>,
    /// Whether the weights are memristive device conductances (drawn bold, dark red).
    pub memristive: bool,
}

impl DotEdge {
    /// A plain connection from `from` to `to`.
    pub fn new(from: Port, to: Port) -> Self {
        DotEdge {
            from,
            to,
            name: None,
            function: None,
            transform: None,
            synapse: None,
            learning: None,
            memristive: false,
        }
    }
    /// Names the connection.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets the function text.
    pub fn function(mut self, f: impl Into<String>) -> Self {
        self.function = Some(f.into());
        self
    }
    /// Sets the transform text.
    pub fn transform(mut self, t: impl Into<String>) -> Self {
        self.transform = Some(t.into());
        self
    }
    /// Sets the synapse text.
    pub fn synapse(mut self, s: impl Into<String>) -> Self {
        self.synapse = Some(s.into());
        self
    }
    /// Sets the learning rule text.
    pub fn learning(mut self, rule: impl Into<String>) -> Self {
        self.learning = Some(rule.into());
        self
    }
    /// Marks the connection memristive, with its rule.
    pub fn memristive(mut self, rule: impl Into<String>) -> Self {
        self.memristive = true;
        self.learning = Some(rule.into());
        self
    }
}

pub mod labels;
mod render;
#[cfg(test)]
mod tests;

pub use render::to_dot;
