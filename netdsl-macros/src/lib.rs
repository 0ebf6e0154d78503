//! The `network!` macro of netdsl. A thin shell over `expand`, which runs the phases
//! parse → model → check → plan → emit on `proc_macro2` tokens (so tests can call it directly).
//!
//! User documentation lives in the `netdsl` facade crate.

use proc_macro2::TokenStream;

mod check;
mod emit;
mod model;
mod parse;
mod plan;
#[cfg(test)]
mod verdicts;

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
            Err((errs, consts)) => {
                out.extend(emit::emit_stub(net, &consts));
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

type Failure = (Vec<syn::Error>, Vec<(syn::Ident, TokenStream)>);

fn expand_network(net: &parse::NetworkInput) -> Result<TokenStream, Failure> {
    let (model, mut errors) = model::build(net);
    let mut all: Vec<syn::Error> = net.errors.clone();
    all.append(&mut errors);
    let Some(model) = model else {
        return Err((all, Vec::new()));
    };
    // The stub keeps the block's consts so code using `Net::N` does not fail too.
    let consts: Vec<(syn::Ident, TokenStream)> = model
        .consts
        .iter()
        .filter(|c| !c.size.is_generic())
        .map(|c| (c.name.clone(), c.size.tokens()))
        .collect();
    // Item checks run on whatever built, so every error of the block is reported at once.
    let checked = match check::check(&model) {
        Ok(c) => c,
        Err(mut e) => {
            all.append(&mut e);
            return Err((all, consts));
        }
    };
    if !all.is_empty() || !model.complete {
        return Err((all, consts));
    }
    // With instances, the macro cannot see every item: the runtime computes the plan.
    if model.hierarchical() {
        return Ok(emit::emit(&model, &checked, None));
    }
    let plan = plan::plan(&model, &checked).map_err(|e| (e, consts))?;
    Ok(emit::emit(&model, &checked, Some(&plan)))
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

    /// A communication channel with outside and generic sizes (deferred checks).
    pub fn channel_tokens() -> TokenStream {
        quote! {
            /// A channel of `D` dimensions.
            pub Channel<const D: usize> {
                const K = 2;
                node inp: 0 -> D = |t| [t.sin(); D];
                ensemble a: crate::N neurons, D dims;
                ensemble b: crate::N * K neurons, D dims, radius = 2;
                inp -> a;
                a -> b, synapse = 0.01;
                a[..crate::M] -> b[D - crate::M..], transform = 0.5;
                probe out: b, synapse = 0.01;
            }
        }
    }

    /// PES learning of x squared.
    pub fn learning_tokens() -> TokenStream {
        quote! {
            pub Square {
                node inp: 0 -> 1 = |t| [(2.0 * t).sin()];
                ensemble pre: 100 neurons, 1 dims;
                ensemble post: 100 neurons, 1 dims;
                ensemble error: 100 neurons, 1 dims;
                inp -> pre;
                conn learned: pre -> post, function = |_x| [0.0], learning = PES { learning_rate: 1e-4 };
                post -> error;
                pre -> error, function = |x| [x[0] * x[0]], transform = -1.0;
                error -> learned.learning;
                probe p: post, synapse = 0.01;
                probe w: learned.weights;
            }
        }
    }

    /// Instances, arrays, loops, paths into instances and a computed transform.
    pub fn hierarchy_tokens() -> TokenStream {
        quote! {
            pub Array<const N: usize>(radius: f64) {
                node input: N;
                ensemble ens[N]: 20 neurons, 1 dims, radius = radius;
                node output: N;
                for i in 0..N {
                    input[i] -> ens[i], synapse = None;
                    ens[i] -> output[i], synapse = None;
                }
            }

            pub Model(tau: f64) {
                node stim: 0 -> 2 = |t| [t, t];
                net arr: Array<2>(1.0);
                net many[3]: Array<1>(2.0);
                ensemble e: 20 neurons, 1 dims;
                stim -> arr.input, transform = rotation(tau);
                arr.output[1] -> many[2].input, synapse = tau;
                for k in 0..3 {
                    many[k].output -> e;
                }
                arr.ens[0].neurons -> e.neurons, transform = fill(-2.0);
                probe p: many[1].ens[0].neurons;
            }
        }
    }

    fn pretty(ts: TokenStream) -> String {
        let out = super::expand(ts).expect("expands");
        match syn::parse2::<syn::File>(out.clone()) {
            Ok(f) => prettyplease::unparse(&f),
            Err(e) => panic!("expansion does not parse: {e}\n{out}"),
        }
    }

    #[test]
    fn expansion_snapshots() {
        insta::assert_snapshot!("forum", pretty(forum_tokens()));
        insta::assert_snapshot!("channel", pretty(channel_tokens()));
        insta::assert_snapshot!("learning", pretty(learning_tokens()));
    }

    #[test]
    fn forum_plan_text_snapshot() {
        let f = crate::parse::parse_file(forum_tokens()).unwrap();
        let (m, errs) = crate::model::build(&f.networks[0]);
        assert!(errs.is_empty());
        let m = m.unwrap();
        let ck = crate::check::check(&m).unwrap_or_else(|_| panic!("checks"));
        assert!(ck.deferred.is_empty(), "all sizes are known");
        let plan = crate::plan::plan(&m, &ck).unwrap_or_else(|_| panic!("plan"));
        let text = plan.map_sizes(|s| s.value().expect("known")).to_string();
        insta::assert_snapshot!("forum_plan", text);
    }

    #[test]
    fn hierarchy_expands_without_errors() {
        let out = super::expand(hierarchy_tokens()).unwrap().to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("embed"), "{out}");
        assert!(
            !out.contains("const PLAN"),
            "no static plan with instances: {out}"
        );
    }

    #[test]
    fn expansion_is_deterministic() {
        for ts in [
            forum_tokens(),
            channel_tokens(),
            learning_tokens(),
            hierarchy_tokens(),
        ] {
            let a = super::expand(ts.clone()).unwrap().to_string();
            let b = super::expand(ts).unwrap().to_string();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn errors_come_all_at_once_with_a_stub() {
        let out = super::expand(quote! {
            pub Net(g: f64) {
                ensemble a: 0 neurons, 1 dims;
                ensemble b: 10 neurons, 2 dims;
                a -> c;
                b -> a;
                node x: 1 -> 1 = |t, x| [x[0]];
                x[3] -> a;
            }
        })
        .unwrap()
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 4, "{out}");
        assert!(
            out.contains("pub fn new (g : f64)"),
            "stub keeps the API: {out}"
        );
    }

    /// Deterministic xorshift64*.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Drop, swap or duplicate one token somewhere in the tree (possibly inside a group).
    fn mutate(ts: TokenStream, rng: &mut Rng, depth: usize) -> TokenStream {
        use proc_macro2::{Group, TokenTree};
        let mut v: Vec<TokenTree> = ts.into_iter().collect();
        if v.is_empty() {
            return TokenStream::new();
        }
        let groups: Vec<usize> = (0..v.len())
            .filter(|&i| matches!(v[i], TokenTree::Group(_)))
            .collect();
        if !groups.is_empty() && depth < 4 && rng.below(3) > 0 {
            let i = groups[rng.below(groups.len())];
            if let TokenTree::Group(g) = &v[i] {
                let mut ng = Group::new(g.delimiter(), mutate(g.stream(), rng, depth + 1));
                ng.set_span(g.span());
                v[i] = TokenTree::Group(ng);
            }
            return v.into_iter().collect();
        }
        let i = rng.below(v.len());
        match rng.below(3) {
            0 => {
                v.remove(i);
            }
            1 => {
                let j = rng.below(v.len());
                v.swap(i, j);
            }
            _ => {
                let t = v[i].clone();
                v.insert(rng.below(v.len() + 1), t);
            }
        }
        v.into_iter().collect()
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let seeds = [
            forum_tokens(),
            channel_tokens(),
            learning_tokens(),
            hierarchy_tokens(),
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut cases = 0;
        let mut errors = 0;
        for round in 0..1200 {
            let mut ts = seeds[round % seeds.len()].clone();
            for _ in 0..1 + rng.below(3) {
                ts = mutate(ts, &mut rng, 0);
            }
            let text = ts.to_string();
            let r = std::panic::catch_unwind(|| super::expand(ts));
            match r {
                Ok(Ok(out)) => {
                    if out.to_string().contains("compile_error") {
                        errors += 1;
                    }
                }
                Ok(Err(_)) => errors += 1,
                Err(_) => panic!("expand panicked on mutated input:\n{text}"),
            }
            cases += 1;
        }
        assert_eq!(cases, 1200);
        assert!(errors > 600, "most mutations are errors ({errors})");
    }

    /// Measures (prints, does not assert) how long expanding the largest example takes:
    /// `cargo test -p netdsl-macros --release -- expansion_time --nocapture`.
    #[test]
    fn expansion_time_of_the_forum_network() {
        let runs = 20;
        let t0 = std::time::Instant::now();
        for _ in 0..runs {
            let out = super::expand(forum_tokens()).unwrap();
            assert!(!out.is_empty());
        }
        let per = t0.elapsed().as_secs_f64() / runs as f64;
        println!("expanding the forum network takes {:.2} ms", per * 1e3);
    }

    /// The tokens inside the first `network! { … }` of a Rust source file.
    fn network_block_of(src: &str) -> TokenStream {
        let file: syn::File = syn::parse_str(src).expect("the file parses");
        file.items
            .iter()
            .find_map(|it| match it {
                syn::Item::Macro(m) if m.mac.path.is_ident("network") => Some(m.mac.tokens.clone()),
                _ => None,
            })
            .expect("a `network! { … }` item")
    }

    /// Measures (prints, does not assert) expansion of a big generated network, phase by phase:
    ///
    /// ```text
    /// python3 tools/gen_big_network.py 200
    /// NETDSL_BIG_NETWORK=/tmp/netdsl-big/big_200/src/main.rs \
    ///     cargo test -p netdsl-macros --release -- --ignored expansion_time_of_a_generated --nocapture
    /// ```
    #[test]
    #[ignore = "needs NETDSL_BIG_NETWORK=<generated main.rs>; see tools/gen_big_network.py"]
    fn expansion_time_of_a_generated_network() {
        use std::time::Instant;
        let path = std::env::var("NETDSL_BIG_NETWORK")
            .expect("set NETDSL_BIG_NETWORK to a main.rs written by tools/gen_big_network.py");
        let src = std::fs::read_to_string(&path).expect("reads the generated file");
        let tokens = network_block_of(&src);
        let runs = 5;
        let mut phases = [0.0f64; 6];
        let mut out = TokenStream::new();
        for _ in 0..runs {
            let t = Instant::now();
            let f = crate::parse::parse_file(tokens.clone()).expect("parses");
            phases[0] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let (m, errs) = crate::model::build(&f.networks[0]);
            phases[1] += t.elapsed().as_secs_f64();
            assert!(
                errs.is_empty() && f.networks[0].errors.is_empty(),
                "no errors"
            );
            let m = m.expect("a model");
            let t = Instant::now();
            let ck = crate::check::check(&m).unwrap_or_else(|_| panic!("checks"));
            phases[2] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let plan = crate::plan::plan(&m, &ck).unwrap_or_else(|_| panic!("plans"));
            phases[3] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            out = crate::emit::emit(&m, &ck, Some(&plan));
            phases[4] += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let again = super::expand(tokens.clone()).expect("expands");
            phases[5] += t.elapsed().as_secs_f64();
            assert!(!again.is_empty());
        }
        let ms = |s: f64| s / runs as f64 * 1e3;
        let text = out.to_string();
        assert_eq!(
            text,
            super::expand(tokens.clone()).unwrap().to_string(),
            "deterministic"
        );
        let n_tokens = {
            fn count(ts: TokenStream) -> usize {
                ts.into_iter()
                    .map(|t| match t {
                        proc_macro2::TokenTree::Group(g) => 1 + count(g.stream()),
                        _ => 1,
                    })
                    .sum()
            }
            count(out.clone())
        };
        let pretty = prettyplease::unparse(&syn::parse2::<syn::File>(out).expect("parses"));
        let plan_lines = pretty
            .find("pub fn new")
            .map(|i| pretty[..i].lines().count())
            .unwrap_or(0);
        println!(
            "{path}: expand {:.2} ms (parse {:.2}, model {:.2}, check {:.2}, plan {:.2}, emit {:.2}); \
             {} tokens, {} bytes, {} lines pretty-printed ({} before `fn new`, mostly PLAN)",
            ms(phases[5]),
            ms(phases[0]),
            ms(phases[1]),
            ms(phases[2]),
            ms(phases[3]),
            ms(phases[4]),
            n_tokens,
            text.len(),
            pretty.lines().count(),
            plan_lines,
        );
    }

    #[test]
    fn statements_naming_arguments_stay_in_network() {
        let out = super::expand(quote! {
            pub Net(scale: f64, tag: &'static str) {
                node a: 0 -> 1 = move |t| [t * scale];
                node b: 0 -> 1 = move |t| { let _ = format!("{tag}"); [t] };
                node c: 0 -> 1 = |t| [t];
                ensemble e: 10 neurons, 1 dims;
                a -> e;
            }
        })
        .unwrap();
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        let pretty = prettyplease::unparse(&syn::parse2::<syn::File>(out).unwrap());
        let part = pretty.find("fn __netdsl_part_0").expect("a part fn");
        // The part fn ends at the first line with its indentation and a closing brace.
        let body = part + pretty[part..].find("\n        }\n").expect("its end");
        assert!(part < body);
        assert!(
            !pretty.contains("__netdsl_part_1"),
            "one run of statements: {pretty}"
        );
        // `a` and `b` (format capture) stay in the body; `c`, `e` and `a -> e` go to a part.
        assert!(pretty[part..body].contains("\"c\""), "{pretty}");
        assert!(!pretty[part..body].contains("scale"), "{pretty}");
        assert!(!pretty[part..body].contains("{tag}"), "{pretty}");
        assert!(pretty[body..].contains("scale") && pretty[body..].contains("{tag}"));
    }

    #[test]
    fn forum_network_expands() {
        let out = super::expand(forum_tokens()).unwrap().to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("PLAN"));
    }
}
