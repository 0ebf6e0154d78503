//! The `network!` macro of netdsl. A thin shell over [`expand`], which runs the phases
//! parse → model → check → plan → emit on `proc_macro2` tokens (so tests can call it directly).
//!
//! User documentation lives in the `netdsl` facade crate.

use proc_macro2::TokenStream;

mod check;
mod emit;
mod model;
mod parse;
mod plan;

/// Declare a checked spiking network; see the `netdsl` crate for the language.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Expand a `network!` body: the generated items, or stubs plus every error found.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let file = parse::parse_file(input)?;
    let mut out = TokenStream::new();
    let mut errors: Option<syn::Error> = None;
    for net in &file.networks {
        match expand_network(net) {
            Ok(ts) => out.extend(ts),
            Err(errs) => {
                out.extend(emit::emit_stub(net));
                for e in errs {
                    match &mut errors {
                        Some(all) => all.combine(e),
                        None => errors = Some(e),
                    }
                }
            }
        }
    }
    if let Some(e) = errors {
        out.extend(e.into_compile_error());
    }
    Ok(out)
}

fn expand_network(net: &parse::NetworkInput) -> Result<TokenStream, Vec<syn::Error>> {
    let (model, mut errors) = model::build(net);
    let mut all: Vec<syn::Error> = net.errors.clone();
    all.append(&mut errors);
    let Some(model) = model else {
        return Err(all);
    };
    let checked = match check::check(&model) {
        Ok(c) => c,
        Err(mut e) => {
            all.append(&mut e);
            return Err(all);
        }
    };
    if !all.is_empty() {
        return Err(all);
    }
    let plan = plan::plan(&model, &checked)?;
    Ok(emit::emit(&model, &checked, &plan))
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    /// The forum thread's network, as in the design doc.
    pub fn forum_tokens() -> TokenStream {
        quote! {
            /// The forum thread's memristive network.
            pub MemristorNet(exc: Memristors, inh: Memristors) {
                const N = 100;

                node inp: 0 -> 1 = |t| [(6.0 * t / 5.0).trunc() / 3.0 % 2.0 - 1.0];
                ensemble pre: N neurons, 1 dims;
                ensemble post: N neurons, 1 dims;
                ensemble err: 100 neurons, 1 dims;
                node memristor_plus: pre.n -> post.n = exc.filter;
                node memristor_minus: pre.n -> post.n = inh.filter;
                node pulse_plus: post.n + err.d -> post.n = exc.pulse;
                node pulse_minus: post.n + err.d -> post.n = inh.pulse;

                inp -> pre;
                pre.neurons -> memristor_plus, synapse = None;
                pre.neurons -> memristor_minus, synapse = None;
                memristor_plus -> post.neurons, synapse = None;
                memristor_minus -> post.neurons, synapse = None, transform = -1.0;
                pre -> err, function = |x| x, transform = -1.0;
                post -> err;
                memristor_plus -> pulse_plus[..post.n], synapse = None;
                memristor_minus -> pulse_minus[..post.n], synapse = None;
                err -> pulse_plus[post.n..];
                err -> pulse_minus[post.n..];

                probe post_value: post, synapse = 0.01;
                probe pre_spikes: pre.neurons;
            }
        }
    }

    #[test]
    fn forum_network_expands() {
        let out = super::expand(forum_tokens()).unwrap().to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("PLAN"));
    }
}
