//! Phase 5: the generated code. The network type, its `const PLAN`, its constructor, and
//! `network()` which describes it to the runtime through `::netdsl::__private`. On errors a stub
//! with the same API is emitted instead, so one mistake gives one error.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use crate::check::{Checked, Deferred};
use crate::model::*;
use crate::parse::NetworkInput;
use items::{connection, ensemble, node_output, probe};
use netdsl_plan as np;
use parts::{split_parts, unraw};
use subnet::emit_subnet;
use values::rt;

mod items;
mod parts;
mod subnet;
mod values;

fn escape(msg: &str) -> String {
    msg.replace('{', "{{").replace('}', "}}")
}

fn deferred_assert(d: &Deferred) -> TokenStream {
    let cond = &d.cond;
    let msg = escape(&d.msg);
    quote_spanned!(d.span=> ::core::assert!(#cond, #msg);)
}

/// Generic parameter lists: `<const N: usize>` and `<N>`.
fn generics(m_generics: &[crate::parse::GenericInput]) -> (TokenStream, TokenStream) {
    if m_generics.is_empty() {
        return (quote!(), quote!());
    }
    let names: Vec<&Ident> = m_generics.iter().map(|g| &g.name).collect();
    let tys: Vec<&syn::Type> = m_generics.iter().map(|g| &g.ty).collect();
    (quote!(<#(const #names: #tys),*>), quote!(<#(#names),*>))
}

fn opkind(k: np::OpKind) -> Ident {
    Ident::new(&format!("{k:?}"), Span::call_site())
}

fn plan_tokens(plan: &np::Plan<Size>) -> TokenStream {
    let p = rt();
    let pl = quote!(#p::plan);
    let cow = quote!(#p::Cow);
    let name = plan.name.as_ref();
    let signals = plan.signals.iter().map(|s| {
        let n = s.name.as_ref();
        let shape = match &s.shape {
            np::Shape::Vec(a) => quote!(#pl::Shape::Vec(#a)),
            np::Shape::Mat(a, b) => quote!(#pl::Shape::Mat(#a, #b)),
        };
        quote!(#pl::SignalDesc { name: #cow::Borrowed(#n), shape: #shape })
    });
    let refs = |v: &[np::SigRef<Size>]| {
        let r = v.iter().map(|r| {
            let s = r.signal;
            let range = match &r.range {
                Some((a, b)) => quote!(::core::option::Option::Some((#a, #b))),
                None => quote!(::core::option::Option::None),
            };
            quote!(#pl::SigRef { signal: #s, range: #range })
        });
        quote!(#cow::Borrowed(&[#(#r),*]))
    };
    let ops = plan.ops.iter().map(|o| {
        let kind = opkind(o.kind);
        let owner = match o.owner {
            np::Owner::Time => quote!(#pl::Owner::Time),
            np::Owner::Item(i) => quote!(#pl::Owner::Item(#i)),
            np::Owner::Conn(i) => quote!(#pl::Owner::Conn(#i)),
            np::Owner::Probe(i) => quote!(#pl::Owner::Probe(#i)),
        };
        let label = o.label.as_ref();
        let (sets, incs, reads, updates) = (
            refs(&o.sets),
            refs(&o.incs),
            refs(&o.reads),
            refs(&o.updates),
        );
        quote!(#pl::OpDesc {
            kind: #pl::OpKind::#kind,
            owner: #owner,
            label: #cow::Borrowed(#label),
            sets: #sets,
            incs: #incs,
            reads: #reads,
            updates: #updates,
        })
    });
    quote!(#pl::Plan {
        name: #cow::Borrowed(#name),
        signals: #cow::Borrowed(&[#(#signals),*]),
        ops: #cow::Borrowed(&[#(#ops),*]),
    })
}

/// The full expansion of a checked network.
/// `plan` is `None` for a network with instances: the macro cannot see their items, so the
/// runtime computes its plan (with the same rules) when it is built.
pub fn emit(m: &Model, ck: &Checked, plan: Option<&np::Plan<Size>>) -> TokenStream {
    let p = rt();
    let name = &m.name;
    let vis = &m.vis;
    let attrs = &m.attrs;
    let (gparams, gargs) = generics(&m.generics);
    let arg_names: Vec<&Ident> = m.args.iter().map(|a| &a.name).collect();
    let arg_tys: Vec<&syn::Type> = m.args.iter().map(|a| &a.ty).collect();
    let name_str = name.to_string();
    let generic = !m.generics.is_empty();

    let plan_const = plan.map(|plan| {
        let plan_ts = plan_tokens(plan);
        let plan_doc =
            "The static step plan, computed at compile time (its `Display` is the plan text).";
        quote!(
            #[doc = #plan_doc]
            pub const PLAN: #p::plan::Plan = #plan_ts;
        )
    });
    let set_plan =
        plan.map(|_| quote!(__net.static_plan = ::core::option::Option::Some(Self::PLAN);));

    // Deferred checks.
    let (free, inline): (Vec<&Deferred>, Vec<&Deferred>) =
        ck.deferred.iter().partition(|d| !(generic && d.generic));
    let free_asserts = free.iter().map(|d| {
        let a = deferred_assert(d);
        quote_spanned!(d.span=> const _: () = { #a };)
    });
    let inline_asserts: Vec<TokenStream> = inline.iter().map(|d| deferred_assert(d)).collect();
    let (checks_item, checks_use) = if generic {
        (
            quote!(
                #[doc(hidden)]
                const __NETDSL_CHECKS: () = { #(#inline_asserts)* };
            ),
            quote!(let () = Self::__NETDSL_CHECKS;),
        )
    } else {
        (quote!(), quote!())
    };

    // Block consts.
    let assoc_consts = m.consts.iter().map(|c| {
        let (n, v) = (&c.name, c.size.tokens());
        let doc = format!(
            "`const {} = {}` of the network block.",
            c.name,
            c.size.text()
        );
        quote!(#[doc = #doc] #[allow(non_upper_case_globals)] pub const #n: usize = #v;)
    });
    let local_consts = m.consts.iter().filter(|c| !c.size.is_generic()).map(|c| {
        let (n, v) = (&c.name, c.size.tokens());
        quote!(#[allow(non_upper_case_globals, dead_code)] const #n: usize = #v;)
    });

    // States: the constructor arguments that stages borrow, in argument order.
    let mut states = Vec::new();
    for (k, a) in m.args.iter().enumerate() {
        let n = &a.name;
        let s = n.to_string();
        if m.state_args[k] {
            // A state type that implements `Checkpoint` goes into checkpoints without the user
            // registering it (autoref specialisation: the fallback does nothing).
            let ck = quote!(::netdsl::__private::checkpoint);
            states.push(quote!({
                use #ck::{RegisterCheckpoint as _, RegisterFallback as _};
                let __reg = &#ck::auto_register(&#n);
                __reg.register();
            }));
            states.push(quote!(__net.add_state(#s, #n);));
        }
    }
    let items = m.items.iter().zip(&m.item_counts).map(|(it, count)| {
        let n = it.name.to_string();
        let name = match count {
            Some(_) => quote!(::std::format!("{}[{}]", #n, __k)),
            None => quote!(#n),
        };
        let add = match &it.kind {
            ItemKind::Ensemble(e) => {
                let spec = ensemble(e);
                quote!(__net.add_ensemble(#name, #spec);)
            }
            ItemKind::Node(nd) => {
                let out = node_output(m, nd, &it.name);
                let (si, so) = (nd.size_in.tokens(), nd.size_out.tokens());
                quote!(__net.add_node(#name, #si, #so, #out);)
            }
        };
        match count {
            Some(c) => quote!(for __k in 0..#c { #add }),
            None => add,
        }
    });
    // Connections in order; those of a `for` loop as one loop (their checked copies are not
    // emitted).
    let mut conns: Vec<TokenStream> = Vec::new();
    let mut run: Option<(usize, Vec<TokenStream>)> = None;
    let flush_loop = |run: &mut Option<(usize, Vec<TokenStream>)>, conns: &mut Vec<TokenStream>| {
        if let Some((lp, body)) = run.take() {
            let l = &m.loops[lp];
            let (var, lo, hi) = (&l.var, &l.lo, &l.hi);
            conns.push(quote!(for #var in #lo..#hi { #(#body)* }));
        }
    };
    for (c, s) in m.conns.iter().zip(&ck.conns) {
        match c.role {
            ConnRole::Check => {}
            ConnRole::Plain => {
                flush_loop(&mut run, &mut conns);
                let spec = connection(m, c, s);
                conns.push(quote!(__net.connect(#spec);));
            }
            ConnRole::Emit { lp } => {
                if run.as_ref().is_some_and(|(l, _)| *l != lp) {
                    flush_loop(&mut run, &mut conns);
                }
                let spec = connection(m, c, s);
                run.get_or_insert_with(|| (lp, Vec::new()))
                    .1
                    .push(quote!(__net.connect(#spec);));
            }
        }
    }
    flush_loop(&mut run, &mut conns);
    let probes = m.probes.iter().map(|pr| {
        let n = pr.name.to_string();
        let spec = probe(m, pr);
        quote!(__net.probe(#n, #spec);)
    });
    let embeds = m.instances.iter().enumerate().map(|(j, inst)| {
        let [items_at, conns_at, probes_at] =
            offsets(&owner(&m.name, &m.generics), own_items(&m.item_counts), j);
        let (ty, args) = (&inst.ty, &inst.args);
        let n = inst.name.to_string();
        let span = ty.span();
        let new = quote_spanned!(span=> <#ty>::new(#(#args),*));
        let sub = inst.subnet();
        // Stays in `network()`: it moves `__net`'s own value (and may name arguments).
        let st = match &inst.count {
            None => {
                quote!(#p::embed(&mut __net, #n, #new.network(), #items_at, #conns_at, #probes_at);)
            }
            Some(c) => quote!(for __k in 0..#c {
                #p::embed(
                    &mut __net,
                    &::std::format!("{}[{}]", #n, __k),
                    #new.network(),
                    #items_at + __k * #sub::ITEMS,
                    #conns_at + __k * #sub::CONNS,
                    #probes_at + __k * #sub::PROBES,
                );
            }),
        };
        (st, true)
    });
    let statements: Vec<(TokenStream, bool)> = items
        .map(|s| (s, false))
        .chain(embeds)
        .chain(conns.into_iter().chain(probes).map(|s| (s, false)))
        .collect();
    let arg_strs: Vec<String> = arg_names.iter().map(|a| unraw(a)).collect();
    let (parts, body) = split_parts(statements, &arg_strs, &m.generics);
    let subnet = emit_subnet(m, ck);
    let offset_items = offset_consts(
        &owner(&m.name, &m.generics),
        own_items(&m.item_counts),
        &m.instances,
    );
    let ctor_doc = format!("A `{name_str}` network owning its state values.");

    quote! {
        #(#attrs)*
        #vis struct #name #gparams {
            #(#arg_names: #arg_tys,)*
        }

        #(#free_asserts)*

        impl #gparams #name #gargs {
            #plan_const
            #(#assoc_consts)*
            #checks_item
            #offset_items

            #[doc = #ctor_doc]
            #[allow(clippy::new_without_default)]
            pub fn new(#(#arg_names: #arg_tys),*) -> Self {
                #checks_use
                Self { #(#arg_names),* }
            }

            /// The network description for the runtime, carrying the compile-time plan.
            #[allow(unused_variables, unused_mut, clippy::all)]
            pub fn network(self) -> #p::network::Network {
                #checks_use
                #(#local_consts)*
                let Self { #(#arg_names),* } = self;
                let mut __net = #p::network::Network::new(#name_str);
                #(#parts)*
                #(#states)*
                #(#body)*
                #set_plan
                __net
            }

            /// Build a simulator with time step `dt` (seconds); random parameters not given
            /// explicitly are drawn from network seed 0 (see `build_seeded`).
            pub fn build(self, dt: f64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                #p::sim::Simulator::new(self.network(), dt)
            }

            /// Build a simulator with time step `dt` (seconds), drawing every random parameter
            /// not given explicitly (encoders, rates, intercepts, eval points, initial voltages,
            /// device variability) from `seed`: same seed, same numbers.
            pub fn build_seeded(self, dt: f64, seed: u64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                let mut __net = self.network();
                __net.seed = seed;
                #p::sim::Simulator::new(__net, dt)
            }
        }

        #subnet
    }
}

/// The network type with the same API and no content, emitted next to errors so code that uses
/// the network does not fail with secondary errors.
pub fn emit_stub(net: &NetworkInput, consts: &[(Ident, TokenStream)]) -> TokenStream {
    let p = rt();
    let name = &net.name;
    let vis = &net.vis;
    let attrs = &net.attrs;
    let (gparams, gargs) = generics(&net.generics);
    let arg_names: Vec<&Ident> = net.args.iter().map(|a| &a.name).collect();
    let arg_tys: Vec<&syn::Type> = net.args.iter().map(|a| &a.ty).collect();
    let name_str = name.to_string();
    let consts = consts
        .iter()
        .map(|(n, v)| quote!(#[allow(non_upper_case_globals)] pub const #n: usize = #v;));
    quote! {
        #(#attrs)*
        #vis struct #name #gparams {
            #(#arg_names: #arg_tys,)*
        }
        #[allow(dead_code, unused_variables, clippy::all)]
        impl #gparams #name #gargs {
            pub const PLAN: #p::plan::Plan = #p::plan::Plan {
                name: #p::Cow::Borrowed(#name_str),
                signals: #p::Cow::Borrowed(&[]),
                ops: #p::Cow::Borrowed(&[]),
            };
            #(#consts)*
            pub fn new(#(#arg_names: #arg_tys),*) -> Self {
                Self { #(#arg_names),* }
            }
            pub fn network(self) -> #p::network::Network {
                #p::network::Network::new(#name_str)
            }
            pub fn build(self, dt: f64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                #p::sim::Simulator::new(self.network(), dt)
            }
            pub fn build_seeded(self, dt: f64, seed: u64) -> ::core::result::Result<#p::sim::Simulator, #p::error::BuildError> {
                let _ = seed;
                #p::sim::Simulator::new(self.network(), dt)
            }
        }
    }
}
