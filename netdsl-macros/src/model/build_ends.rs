//! Connection and probe endpoints as written (`a.x[1..2]`) to resolved ends and slices.

use super::names::{decl_what, did_you_mean, suggest, Builder, Decl};
use super::sizes::Size;
use super::*;
use crate::parse::*;

pub(super) fn resolve_end(b: &mut Builder, e: &EndInput, is_post: bool) -> Option<End> {
    if let Some(j) = b.instance_of(&e.name) {
        let port = e.port.as_ref().map(|p| p.to_string());
        let learning = port.as_deref() == Some("learning");
        let neurons = port.as_deref() == Some("neurons");
        let mut members = e.members.clone();
        let mut slice = e.slice.clone();
        // `arr.output[0]`, `arr.ens[1]`: a last index picks an element of an array or one
        // value of a single item (rustc decides, from the inner type's shape).
        if port.is_none() {
            if let (Some(last), Some(s)) = (members.last_mut(), &slice) {
                if last.index.is_none() && !s.range {
                    last.index = slice.take();
                }
            }
        }
        let v = b.virtual_item(
            j,
            e.index.as_ref(),
            &members,
            learning,
            neurons,
            is_post,
            &e.tokens,
        )?;
        let slice = resolve_slice(b, slice.as_ref())?;
        let port = if neurons { Port::Neurons } else { Port::Value };
        return Some(End {
            target: Target::Virtual { v, port },
            elem: None,
            slice,
            input: e.clone(),
        });
    }
    // Not an instance: `x.word` is a port (reported below when unknown).
    let mut e = e.clone();
    if e.port.is_none() && e.members.len() == 1 && e.members[0].index.is_none() {
        e.port = Some(e.members.remove(0).name);
    }
    // `e[i]` of an array item: the element.
    let mut elem_input = None;
    if let Some(Decl::Item(i)) = b.names.get(&e.name.to_string()).copied() {
        if b.item_counts[i].is_some() {
            elem_input = e.index.take();
            if elem_input.is_none() && e.members.is_empty() {
                if let Some(s) = e.slice.take_if(|s| !s.range) {
                    elem_input = Some(s);
                }
            }
            if elem_input.is_none() {
                b.err(syn::Error::new_spanned(
                    &e.tokens,
                    format!(
                        "`{}` is an array of items; connect one element, `{}[i]`",
                        e.name, e.name
                    ),
                ));
                return None;
            }
        }
    }
    if !e.members.is_empty() || e.index.is_some() {
        let what = b
            .names
            .get(&e.name.to_string())
            .map(|d| format!("a {}", decl_what(*d)))
            .unwrap_or_else(|| "not a subnetwork instance".to_string());
        b.err(syn::Error::new_spanned(
            &e.tokens,
            format!(
                "`{}` is {what}; only a subnetwork instance has items (`inst.item`)",
                e.name
            ),
        ));
        return None;
    }
    let e = &e;
    let key = e.name.to_string();
    let port_name = e.port.as_ref().map(|p| p.to_string());
    let target = match b.names.get(&key).copied() {
        Some(Decl::Item(i)) => {
            let port = match port_name.as_deref() {
                None => Port::Value,
                // Whether the item has neurons is a rule of netdsl-plan (validate).
                Some("neurons") => Port::Neurons,
                Some(p) => {
                    let s = suggest(p, ["neurons"]);
                    let port = e
                        .port
                        .as_ref()
                        .map(|p| p.span())
                        .unwrap_or_else(|| e.name.span());
                    b.err(syn::Error::new(port, format!("unknown port `.{p}` of `{key}`{}; a connection end is `x`, `x.neurons` or `conn.learning`", did_you_mean(s))));
                    return None;
                }
            };
            Target::Item { item: i, port }
        }
        Some(Decl::Conn(c)) => {
            if port_name.as_deref() != Some("learning") {
                b.err(syn::Error::new_spanned(
                    &e.tokens,
                    format!("`{key}` is a connection; the only way into a connection is its error input `{key}.learning`"),
                ));
                return None;
            }
            Target::Learning { conn: c }
        }
        Some(d) => {
            b.err(syn::Error::new(
                e.name.span(),
                format!(
                    "`{key}` is a {}; a connection joins ensembles, nodes and `conn.learning`",
                    decl_what(d)
                ),
            ));
            return None;
        }
        None => {
            b.unknown(
                &e.name,
                if is_post {
                    "connection target"
                } else {
                    "connection source"
                },
                |d| matches!(d, Decl::Item(_) | Decl::Conn(_) | Decl::Inst(_)),
            );
            return None;
        }
    };
    let elem = match (&elem_input, target) {
        (Some(s), Target::Item { item, .. }) => Some(b.element(item, s, &e.name)?),
        _ => None,
    };
    let slice = resolve_slice(b, e.slice.as_ref())?;
    Some(End {
        target,
        elem,
        slice,
        input: e.clone(),
    })
}

/// A slice as written to sizes; `Some(None)` when there is none, `None` on an error.
fn resolve_slice(b: &mut Builder, s: Option<&SliceInput>) -> Option<Option<Slice>> {
    let slice = match s {
        None => None,
        Some(s) => {
            let lo = match &s.lo {
                Some(x) => b.size(x),
                None => Some(Size::Known(0)),
            };
            let hi = match (&s.hi, s.range) {
                (Some(x), _) => b.size(x),
                (None, true) => None, // filled in by check: the end's size
                (None, false) => lo.as_ref().map(|l| Size::add(l, &Size::Known(1))),
            };
            let lo = lo?;
            if s.hi.is_some() || !s.range {
                hi.as_ref()?;
            }
            Some(Slice {
                lo,
                hi: hi.unwrap_or(Size::Known(usize::MAX)),
                input: s.clone(),
            })
        }
    };
    Some(slice)
}
