//! Phase 1: tokens to syntax (`*Input` types). Statements are split at top-level `;` and parsed
//! one by one, so every syntax error of a block is reported, not only the first.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, LitInt, Token, Type, Visibility};

mod statements;
mod values;

use statements::parse_stmt;

/// Everything between `network! {` and `}`: one or more networks.
pub struct FileInput {
    pub networks: Vec<NetworkInput>,
}

/// `#[doc] vis Name<const N: usize>(arg: Ty, ..) { stmts }`.
pub struct NetworkInput {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub generics: Vec<GenericInput>,
    pub args: Vec<ArgInput>,
    pub stmts: Vec<StmtInput>,
    /// Syntax errors of single statements (the rest of the block still parsed).
    pub errors: Vec<syn::Error>,
}

/// `const N: usize`.
pub struct GenericInput {
    pub name: Ident,
    pub ty: Type,
}

/// `exc: Memristors`.
pub struct ArgInput {
    pub name: Ident,
    pub ty: Type,
}

/// A size expression, kept with its tokens for spans and its text for messages.
#[derive(Clone)]
pub struct SizeInput {
    pub kind: SizeKind,
    pub tokens: TokenStream,
}

#[derive(Clone)]
pub enum SizeKind {
    Lit(LitInt),
    /// `N`, `crate::N_PRE`.
    Path(syn::Path),
    /// `post.n`, `err.d`, `x.size_in`.
    Field {
        base: Ident,
        field: Ident,
    },
    Binary {
        lhs: Box<SizeInput>,
        op: BinOp,
        rhs: Box<SizeInput>,
    },
    Paren(Box<SizeInput>),
    /// `{ any const expression }`.
    Block(TokenStream),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
}

impl BinOp {
    pub fn text(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }
}

impl SizeInput {
    /// The source text, formatted like Rust (`post.n + 2`).
    pub fn text(&self) -> String {
        match &self.kind {
            SizeKind::Lit(l) => l.to_string(),
            SizeKind::Path(p) => path_text(p),
            SizeKind::Field { base, field } => format!("{base}.{field}"),
            SizeKind::Binary { lhs, op, rhs } => {
                format!("{} {} {}", lhs.text(), op.text(), rhs.text())
            }
            SizeKind::Paren(inner) => format!("({})", inner.text()),
            SizeKind::Block(ts) => format!("{{ {ts} }}"),
        }
    }
}

pub fn path_text(p: &syn::Path) -> String {
    let mut s = String::new();
    if p.leading_colon.is_some() {
        s.push_str("::");
    }
    for (i, seg) in p.segments.iter().enumerate() {
        if i > 0 {
            s.push_str("::");
        }
        s.push_str(&seg.ident.to_string());
    }
    s
}

pub fn first_span(ts: &TokenStream) -> Span {
    ts.clone()
        .into_iter()
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site)
}

/// `[i]`, `[i..j]`, `[..j]`, `[i..]`.
#[derive(Clone)]
pub struct SliceInput {
    pub lo: Option<SizeInput>,
    pub hi: Option<SizeInput>,
    /// `false` for a single index `[i]`.
    pub range: bool,
    pub tokens: TokenStream,
}

impl SliceInput {
    pub fn text(&self) -> String {
        if !self.range {
            return self.lo.as_ref().map(|s| s.text()).unwrap_or_default();
        }
        let lo = self.lo.as_ref().map(|s| s.text()).unwrap_or_default();
        let hi = self.hi.as_ref().map(|s| s.text()).unwrap_or_default();
        format!("{lo}..{hi}")
    }
}

/// One end of a connection: `pre`, `pre.neurons`, `learn.learning`, `pulse_plus[..post.n]`,
/// `ens[i]` (an array element), `arr.ens[1].neurons` (an item of an instance).
#[derive(Clone)]
pub struct EndInput {
    pub name: Ident,
    /// `name[i]` followed by more of the path (`s[2].ens`, `ens[i][0..2]`).
    pub index: Option<SliceInput>,
    /// `.item` or `.item[i]` of an instance, in order.
    pub members: Vec<MemberInput>,
    /// `neurons` or `learning` (or a mistake, reported by the model).
    pub port: Option<Ident>,
    pub slice: Option<SliceInput>,
    pub tokens: TokenStream,
}

impl EndInput {
    /// `name.port[slice]`, as written.
    pub fn label(&self) -> String {
        match &self.slice {
            Some(s) => format!("{}[{}]", self.text(), s.text()),
            None => self.text(),
        }
    }

    pub fn text(&self) -> String {
        let mut s = self.name.to_string();
        if let Some(i) = &self.index {
            s.push_str(&format!("[{}]", i.text()));
        }
        for m in &self.members {
            s.push('.');
            s.push_str(&m.text());
        }
        if let Some(p) = &self.port {
            s.push('.');
            s.push_str(&p.to_string());
        }
        s
    }
}

/// `.item` or `.item[i]` in a path into an instance.
#[derive(Clone)]
pub struct MemberInput {
    pub name: Ident,
    pub index: Option<SliceInput>,
}

impl MemberInput {
    pub fn text(&self) -> String {
        match &self.index {
            Some(i) => format!("{}[{}]", self.name, i.text()),
            None => self.name.to_string(),
        }
    }
}

/// `key = value`.
pub struct ParamInput {
    pub key: Ident,
    pub value: Expr,
}

#[allow(clippy::large_enum_variant)]
pub enum StmtInput {
    Const {
        name: Ident,
        size: SizeInput,
    },
    Node {
        name: Ident,
        size_in: Option<SizeInput>,
        size_out: SizeInput,
        output: Option<NodeOutputInput>,
        params: Vec<ParamInput>,
    },
    Ensemble {
        name: Ident,
        n: SizeInput,
        d: SizeInput,
        params: Vec<ParamInput>,
    },
    Conn {
        name: Option<Ident>,
        pre: EndInput,
        post: EndInput,
        params: Vec<ParamInput>,
        tokens: TokenStream,
    },
    Probe {
        name: Ident,
        target: Ident,
        attrs: Vec<Ident>,
        /// `[i]` after the target (index 0) or after each attribute word (index k + 1).
        indices: Vec<Option<SliceInput>>,
        target_tokens: TokenStream,
        params: Vec<ParamInput>,
    },
    /// `ensemble e[N]: ..;`, `node n[N]: ..;`: `N` items alike (`e[0]`, `e[1]`, ..).
    Array {
        count: SizeInput,
        item: Box<StmtInput>,
    },
    /// `for i in a..b { connections }`.
    For {
        var: Ident,
        lo: SizeInput,
        hi: SizeInput,
        body: Vec<StmtInput>,
        tokens: TokenStream,
    },
    /// `net arr: EnsembleArray<2, 50>(1.0);` or `net s[N]: Type;`: a subnetwork instance.
    Net {
        name: Ident,
        count: Option<SizeInput>,
        ty: syn::Path,
        args: Vec<Expr>,
    },
}

pub enum NodeOutputInput {
    /// `process EXPR`.
    Process(Expr),
    /// Anything else: closure, `None`, `state.method`, a constant.
    Expr(Expr),
}

mod kw {
    syn::custom_keyword!(node);
    syn::custom_keyword!(ensemble);
    syn::custom_keyword!(conn);
    syn::custom_keyword!(probe);
    syn::custom_keyword!(process);
    syn::custom_keyword!(neurons);
    syn::custom_keyword!(net);
}

/// Tokens between two cursors of one stream.
fn tokens_between(begin: syn::buffer::Cursor, end: syn::buffer::Cursor) -> TokenStream {
    let mut out = TokenStream::new();
    let mut c = begin;
    while c != end {
        match c.token_tree() {
            Some((tt, next)) => {
                out.extend([tt]);
                c = next;
            }
            None => break,
        }
    }
    out
}

pub fn parse_file(ts: TokenStream) -> syn::Result<FileInput> {
    let parser = |input: ParseStream| {
        let mut networks = Vec::new();
        while !input.is_empty() {
            networks.push(parse_network(input)?);
        }
        if networks.is_empty() {
            return Err(input.error(
                "expected a network: `pub Name(arg: Type, ..) { ensemble a: 100 neurons, 1 dims; .. }`",
            ));
        }
        Ok(FileInput { networks })
    };
    parser.parse2(ts)
}

fn parse_network(input: ParseStream) -> syn::Result<NetworkInput> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    if !input.peek(Ident) {
        return Err(input.error("expected the network's name, e.g. `pub MyNet { .. }`"));
    }
    let name: Ident = input.parse()?;
    let mut generics = Vec::new();
    if input.peek(Token![<]) {
        let g: syn::Generics = input.parse()?;
        for p in g.params {
            match p {
                syn::GenericParam::Const(c) => generics.push(GenericInput {
                    name: c.ident,
                    ty: c.ty,
                }),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "a network can only be generic over const sizes, e.g. `<const N: usize>`",
                    ))
                }
            }
        }
    }
    let mut args = Vec::new();
    if input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in input);
        let list = Punctuated::<(Ident, Type), Token![,]>::parse_terminated_with(&content, |s| {
            let name: Ident = s.parse()?;
            s.parse::<Token![:]>()?;
            let ty: Type = s.parse()?;
            Ok((name, ty))
        })?;
        args = list
            .into_iter()
            .map(|(name, ty)| ArgInput { name, ty })
            .collect();
    }
    if !input.peek(syn::token::Brace) {
        return Err(input.error("expected `{` and the network's body"));
    }
    let group: proc_macro2::Group = match input.parse::<TokenTree>()? {
        TokenTree::Group(g) => g,
        other => return Err(syn::Error::new(other.span(), "expected `{`")),
    };
    let mut stmts = Vec::new();
    let mut errors = Vec::new();
    for chunk in split_statements(group.stream()) {
        match parse_stmt.parse2(chunk) {
            Ok(s) => stmts.push(s),
            Err(e) => errors.push(e),
        }
    }
    Ok(NetworkInput {
        attrs,
        vis,
        name,
        generics,
        args,
        stmts,
        errors,
    })
}

/// Split a body at top-level `;` (groups keep their inner `;`). Empty statements are dropped.
pub fn split_statements(ts: TokenStream) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut cur = TokenStream::new();
    for tt in ts {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ';' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            // `for i in a..b { .. }` ends at its block.
            TokenTree::Group(g)
                if g.delimiter() == Delimiter::Brace
                    && matches!(cur.clone().into_iter().next(), Some(TokenTree::Ident(i)) if i == "for") =>
            {
                cur.extend([tt]);
                out.push(std::mem::take(&mut cur));
            }
            _ => cur.extend([tt]),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::values::{parse_end, parse_size};
    use super::*;
    use quote::quote;

    #[test]
    fn parses_the_forum_network() {
        let f = parse_file(crate::tests::forum_tokens()).unwrap();
        assert_eq!(f.networks.len(), 1);
        let n = &f.networks[0];
        assert!(
            n.errors.is_empty(),
            "{:?}",
            n.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
        assert_eq!(n.name, "MemristorNet");
        assert_eq!(n.args.len(), 2);
        assert_eq!(n.stmts.len(), 22);
    }

    #[test]
    fn size_text_round_trips() {
        let s = parse_size
            .parse2(quote!(post.n + err.d * (2 - crate::K)))
            .unwrap();
        assert_eq!(s.text(), "post.n + err.d * (2 - crate::K)");
    }

    #[test]
    fn slices_of_every_form() {
        for (ts, text, range) in [
            (quote!(a[3]), "3", false),
            (quote!(a[1..2]), "1..2", true),
            (quote!(a[..post.n]), "..post.n", true),
            (quote!(a[post.n..]), "post.n..", true),
        ] {
            let e = parse_end.parse2(ts).unwrap();
            let s = e.slice.unwrap();
            assert_eq!(s.text(), text);
            assert_eq!(s.range, range);
        }
    }

    #[test]
    fn every_bad_statement_is_reported() {
        let f = parse_file(quote!(Net { ensemble a: 10 neuron, 1 dims; node b: 1 -> ; ensemble c: 1 neurons, 1 dims; })).unwrap();
        assert_eq!(f.networks[0].errors.len(), 2);
        assert_eq!(f.networks[0].stmts.len(), 1);
    }
}
