//! The macro's side of the shared-verdict test: the networks of `netdsl-plan/tests/validate.rs`
//! (`faulty()`), written as users write them, must break the same rules, in the same order.

use proc_macro2::TokenStream;
use quote::quote;

fn kinds(ts: TokenStream) -> Vec<String> {
    let f = crate::parse::parse_file(ts).unwrap_or_else(|e| panic!("{e}"));
    let (m, errs) = crate::model::build(&f.networks[0]);
    assert!(
        errs.is_empty(),
        "{:?}",
        errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
    );
    let m = m.expect("a model");
    let d = crate::check::declared(&m);
    netdsl_plan::validate(&d)
        .violations
        .iter()
        .map(|v| {
            format!("{:?}", v.problem)
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect()
        })
        .collect()
}

#[test]
fn shared_verdicts() {
    let abk = quote! {
        ensemble a: 10 neurons, 2 dims;
        ensemble b: 10 neurons, 2 dims;
        node k: 0 -> 3 = [1.0, 2.0, 3.0];
    };
    let cases: Vec<(&str, TokenStream, Vec<&str>)> = vec![
        (
            "size_through_slice",
            quote!(Net { #abk k[..1] -> a; }),
            vec!["SizeMismatch"],
        ),
        (
            "slice_past_end",
            quote!(Net { #abk k[1..4] -> a; }),
            vec!["SlicePastEnd"],
        ),
        (
            "transform_shape",
            quote!(Net { #abk a -> b, transform = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]; }),
            vec!["TransformColumns"],
        ),
        (
            "function_output_size",
            quote!(Net { #abk a -> b, function = |x| [x[0]]; }),
            vec!["SizeMismatch"],
        ),
        (
            "probe_attr",
            quote!(Net { ensemble r: 10 neurons, 1 dims, neuron = RectifiedLinear; probe v: r.neurons.voltage; }),
            vec!["ProbeNeuronAttr"],
        ),
        (
            "pes_on_diagonal",
            quote!(Net { #abk conn l: a -> b, transform = [1.0, 0.5], learning = PES; a -> l.learning; }),
            vec![],
        ),
        (
            "pes_from_node",
            quote!(Net { #abk conn l: k[..2] -> a, learning = PES; }),
            vec!["PesSource"],
        ),
        (
            "mpes_decoded",
            quote!(Net { #abk conn m: a -> b, learning = mPES; }),
            vec!["MpesEnds"],
        ),
        (
            "cycle_without_synapse",
            quote!(Net { node p: 1 -> 1; node q: 1 -> 1; p -> q, synapse = None; q -> p, synapse = None; }),
            vec!["Cycle", "Cycle"],
        ),
        (
            "learning_error_size",
            quote!(Net { #abk conn l: a[..1] -> b[..1], learning = PES; a -> l.learning; }),
            vec!["ErrorSize"],
        ),
    ];
    for (name, ts, want) in cases {
        assert_eq!(kinds(ts), want, "{name}");
    }
}

/// A size the macro cannot evaluate gives a deferred condition, not a verdict.
#[test]
fn unknown_sizes_are_deferred() {
    let f = crate::parse::parse_file(quote!(Net<const D: usize> {
        ensemble a: 10 neurons, D dims;
        ensemble b: 10 neurons, 2 dims;
        a -> b;
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let (m, _) = crate::model::build(&f.networks[0]);
    let d = crate::check::declared(&m.expect("a model"));
    let v = netdsl_plan::validate(&d);
    assert!(v.is_ok());
    assert_eq!(v.violations.len(), 2, "{:?}", v.violations);
    assert!(v.violations.iter().all(|x| x.deferred.is_some()));
    assert!(v.structure.is_some());
}
