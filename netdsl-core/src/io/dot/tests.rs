use super::render::{html, quote};
use super::*;
use std::collections::BTreeMap;
use std::process::Command;

/// The forum thread's network in netdsl's version (design doc), N = 100.
fn forum_graph() -> DotGraph {
    let n = 100;
    DotGraph {
        name: "MemristorNet".into(),
        items: vec![
            DotItem::node("inp", 0, 1, "|t| [(6t/5).trunc()/3 % 2 - 1]"),
            DotItem::ensemble("pre", n, 1),
            DotItem::ensemble("post", n, 1),
            DotItem::ensemble("err", 100, 1),
            DotItem::stage("memristor_plus", "exc", "filter", n, n),
            DotItem::stage("memristor_minus", "inh", "filter", n, n),
            DotItem::stage("pulse_plus", "exc", "pulse", n + 1, n),
            DotItem::stage("pulse_minus", "inh", "pulse", n + 1, n),
        ],
        edges: vec![
            DotEdge::new(Port::output("inp"), Port::decoded("pre")).synapse("Lowpass(0.005)"),
            DotEdge::new(Port::neurons("pre"), Port::input("memristor_plus")).synapse("None"),
            DotEdge::new(Port::neurons("pre"), Port::input("memristor_minus")).synapse("None"),
            DotEdge::new(Port::output("memristor_plus"), Port::neurons("post")).synapse("None"),
            DotEdge::new(Port::output("memristor_minus"), Port::neurons("post"))
                .synapse("None")
                .transform("-1.0"),
            DotEdge::new(Port::decoded("pre"), Port::decoded("err"))
                .function("|x| x")
                .transform("-1.0")
                .synapse("Lowpass(0.005)"),
            DotEdge::new(Port::decoded("post"), Port::decoded("err")).synapse("Lowpass(0.005)"),
            DotEdge::new(
                Port::output("memristor_plus"),
                Port::input("pulse_plus").slice("..post.n"),
            )
            .synapse("None"),
            DotEdge::new(
                Port::output("memristor_minus"),
                Port::input("pulse_minus").slice("..post.n"),
            )
            .synapse("None"),
            DotEdge::new(
                Port::decoded("err"),
                Port::input("pulse_plus").slice("post.n.."),
            )
            .synapse("Lowpass(0.005)"),
            DotEdge::new(
                Port::decoded("err"),
                Port::input("pulse_minus").slice("post.n.."),
            )
            .synapse("Lowpass(0.005)"),
        ],
    }
}

/// A network with a learned memristive connection, a PES connection, source slices and a
/// memristive item.
fn learning_graph() -> DotGraph {
    DotGraph {
        name: "Learn \"x\" <&>".into(),
        items: vec![
            DotItem::node("stim", 0, 3, "sin"),
            DotItem::ensemble("pre", 10, 3),
            DotItem::ensemble("post", 10, 3),
            DotItem::ensemble("error", 100, 3),
            DotItem {
                id: "syn".into(),
                label: "syn".into(),
                kind: DotItemKind::Memristive {
                    pre_n: 10,
                    post_n: 10,
                    device: "Nb:SrTiO3".into(),
                    rule: "mPES(gain=1e4)".into(),
                },
            },
        ],
        edges: vec![
            DotEdge::new(Port::output("stim"), Port::decoded("pre")),
            DotEdge::new(Port::neurons("pre"), Port::neurons("post"))
                .name("learned")
                .memristive("mPES(gain=1e4)"),
            DotEdge::new(Port::decoded("post"), Port::decoded("error")),
            DotEdge::new(
                Port::decoded("pre").slice("..2"),
                Port::decoded("error").slice("1.."),
            )
            .function("|x| x * x")
            .transform("-1"),
            DotEdge::new(Port::decoded("error"), Port::learning("learned")),
            DotEdge::new(Port::neurons("pre"), Port::input("syn")),
        ],
    }
}

#[test]
fn deterministic_and_structured() {
    let g = forum_graph();
    let a = to_dot(&g);
    let b = to_dot(&g.clone());
    assert_eq!(a, b);
    assert!(a.contains("subgraph \"cluster_pre\" {"));
    assert!(a.contains("subgraph \"cluster_state_exc\" {"));
    assert!(a.contains("\"pre.neurons\" -> \"memristor_plus\" [label=\"synapse: None\"];"));
    assert!(a.contains("\"memristor_plus\" -> \"post.neurons\""));
    assert!(a.contains(
        "\"err\" -> \"pulse_plus\":in1 [label=\"→ [post.n..]\\nsynapse: Lowpass(0.005)\"];"
    ));
    assert!(a.contains("\"memristor_plus\" -> \"pulse_plus\":in0 "));
    assert!(a.contains("PORT=\"in0\""));
    // exc's stages share a cluster; inh's are in another.
    let exc = a.split("cluster_state_exc").nth(1).unwrap();
    let exc = &exc[..exc.find("  }\n").unwrap()];
    assert!(exc.contains("\"memristor_plus\"") && exc.contains("\"pulse_plus\""));
    assert!(!exc.contains("\"pulse_minus\""));
    assert_eq!(a.matches(" -> ").count(), 11);
}

#[test]
fn escaping_and_learning() {
    let d = to_dot(&learning_graph());
    assert!(d.starts_with("digraph \"Learn \\\"x\\\" <&>\" {\n"));
    assert!(d.contains("\"error\" -> \"learned.learning\" [label=\"\", style=dashed"));
    assert!(d.contains("\"pre.neurons\" -> \"post.neurons\" [label=\"learned\\nmemristive: mPES(gain=1e4)\", style=bold"));
    assert!(d.contains("\"pre\":out0 -> \"error\":in0 [label=\"[..2] → [1..]\\nfunction: |x| x * x\\ntransform: -1\"];"));
    assert!(d.contains("\"learned.learning\" -> \"post.neurons\" [style=dotted"));
    assert!(d.contains("shape=box3d"));
    assert!(d.contains("|x| x * x"));
    assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    assert_eq!(html("<&>\""), "&lt;&amp;&gt;&quot;");
}

// ---- rendering with the real `dot` ----

fn dot_available() -> bool {
    Command::new("dot")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn render_svg(dot: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dot failed: {err}");
    assert!(
        !err.contains("Warning") && !err.contains("Error"),
        "dot said: {err}"
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find(';') else {
            out.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let ent = &rest[i + 1..i + j];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if ent.starts_with("#x") => u32::from_str_radix(&ent[2..], 16)
                .ok()
                .and_then(char::from_u32),
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..i + j + 1]),
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

/// One `<g class="…">` group of graphviz's SVG.
struct Group {
    class: String,
    title: String,
    texts: Vec<(f64, f64, String)>,
    points: Vec<(f64, f64)>,
    /// The edge's path start (edges only).
    path_start: Option<(f64, f64)>,
    /// The edge's arrowhead points (edges only).
    head: Vec<(f64, f64)>,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    let j = tag[i..].find('"')?;
    Some(&tag[i..i + j])
}

fn numbers(s: &str) -> Vec<f64> {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .filter(|t| !t.is_empty() && *t != "-" && *t != "e")
        .filter_map(|t| t.parse().ok())
        .collect()
}

fn pairs(v: Vec<f64>) -> Vec<(f64, f64)> {
    v.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

fn parse_groups(svg: &str) -> Vec<Group> {
    let mut groups = Vec::new();
    for chunk in svg.split("<g id=\"").skip(1) {
        let tag_end = chunk.find('>').unwrap();
        let tag = format!(" id=\"{}", &chunk[..tag_end]);
        let class = attr(&tag, "class").unwrap_or("").to_string();
        let body = &chunk[tag_end + 1..];
        let body = &body[..body.find("</g>").unwrap_or(body.len())];
        let title = body
            .find("<title>")
            .map(|i| {
                let t = &body[i + 7..];
                unescape(&t[..t.find("</title>").unwrap()])
            })
            .unwrap_or_default();
        let mut texts = Vec::new();
        let mut points = Vec::new();
        let mut path_start = None;
        let mut head = Vec::new();
        for el in body.split('<').skip(1) {
            let (name, rest) = el.split_once([' ', '>']).unwrap_or((el, ""));
            let tag = format!(" {rest}");
            match name {
                "text" => {
                    let x: f64 = attr(&tag, "x").unwrap().parse().unwrap();
                    let y: f64 = attr(&tag, "y").unwrap().parse().unwrap();
                    let content = &el[el.find('>').unwrap() + 1..];
                    texts.push((x, y, unescape(content)));
                }
                "polygon" => {
                    let p = pairs(numbers(attr(&tag, "points").unwrap()));
                    if class == "edge" {
                        head.extend(p);
                    } else {
                        points.extend(p);
                    }
                }
                "path" => {
                    let p = pairs(numbers(attr(&tag, "d").unwrap()));
                    if class == "edge" {
                        path_start = path_start.or(p.first().copied());
                    }
                    points.extend(p);
                }
                "ellipse" => {
                    let f = |n| attr(&tag, n).unwrap().parse::<f64>().unwrap();
                    let (cx, cy, rx, ry) = (f("cx"), f("cy"), f("rx"), f("ry"));
                    points.extend([(cx - rx, cy - ry), (cx + rx, cy + ry)]);
                }
                _ => {}
            }
        }
        groups.push(Group {
            class,
            title,
            texts,
            points,
            path_start,
            head,
        });
    }
    groups
}

fn bbox(points: &[(f64, f64)]) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in points {
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    b
}

fn near(b: (f64, f64, f64, f64), p: (f64, f64), tol: f64) -> bool {
    p.0 >= b.0 - tol && p.0 <= b.2 + tol && p.1 >= b.1 - tol && p.1 <= b.3 + tol
}

/// (tail node, tail port, head node, head port) from an edge title.
fn endpoints(title: &str) -> (String, String, String, String) {
    let (a, b) = title.split_once("->").unwrap();
    let split = |s: &str| match s.split_once(':') {
        Some((n, p)) => (n.to_string(), p.to_string()),
        None => (s.to_string(), String::new()),
    };
    let (an, ap) = split(a);
    let (bn, bp) = split(b);
    (an, ap, bn, bp)
}

#[test]
fn graphviz_renders_forum_network_right() {
    if !dot_available() {
        eprintln!("note: graphviz `dot` not installed; skipping the rendering check");
        return;
    }
    let g = forum_graph();
    let svg = render_svg(&to_dot(&g));
    if let Ok(dir) = std::env::var("NETDSL_DOT_OUT") {
        std::fs::write(format!("{dir}/forum.svg"), &svg).unwrap();
        std::fs::write(format!("{dir}/forum.dot"), to_dot(&g)).unwrap();
    }
    let groups = parse_groups(&svg);
    let nodes: BTreeMap<&str, &Group> = groups
        .iter()
        .filter(|g| g.class == "node")
        .map(|g| (g.title.as_str(), g))
        .collect();
    let clusters: Vec<&str> = groups
        .iter()
        .filter(|g| g.class == "cluster")
        .map(|g| g.title.as_str())
        .collect();
    assert_eq!(
        clusters,
        [
            "cluster_pre",
            "cluster_post",
            "cluster_err",
            "cluster_state_exc",
            "cluster_state_inh"
        ]
    );
    // The neurons boxes sit inside their ensemble's cluster.
    for ens in ["pre", "post", "err"] {
        let c = groups
            .iter()
            .find(|g| g.title == format!("cluster_{ens}"))
            .unwrap();
        let cb = bbox(&c.points);
        for id in [ens.to_string(), format!("{ens}.neurons")] {
            let nb = bbox(&nodes[id.as_str()].points);
            assert!(
                near(cb, (nb.0, nb.1), 0.5) && near(cb, (nb.2, nb.3), 0.5),
                "{id} outside its cluster"
            );
        }
    }
    let edges: Vec<&Group> = groups.iter().filter(|g| g.class == "edge").collect();
    assert_eq!(edges.len(), 11, "one drawn edge per connection");

    // (from node, to node, to port's slice text, label lines)
    let expect: [(&str, &str, Option<&str>, &[&str]); 11] = [
        ("inp", "pre", None, &["synapse: Lowpass(0.005)"]),
        ("pre.neurons", "memristor_plus", None, &["synapse: None"]),
        ("pre.neurons", "memristor_minus", None, &["synapse: None"]),
        ("memristor_plus", "post.neurons", None, &["synapse: None"]),
        (
            "memristor_minus",
            "post.neurons",
            None,
            &["transform: -1.0", "synapse: None"],
        ),
        (
            "pre",
            "err",
            None,
            &[
                "function: |x| x",
                "transform: -1.0",
                "synapse: Lowpass(0.005)",
            ],
        ),
        ("post", "err", None, &["synapse: Lowpass(0.005)"]),
        (
            "memristor_plus",
            "pulse_plus",
            Some("[..post.n]"),
            &["→ [..post.n]", "synapse: None"],
        ),
        (
            "memristor_minus",
            "pulse_minus",
            Some("[..post.n]"),
            &["→ [..post.n]", "synapse: None"],
        ),
        (
            "err",
            "pulse_plus",
            Some("[post.n..]"),
            &["→ [post.n..]", "synapse: Lowpass(0.005)"],
        ),
        (
            "err",
            "pulse_minus",
            Some("[post.n..]"),
            &["→ [post.n..]", "synapse: Lowpass(0.005)"],
        ),
    ];
    for (from, to, slice, label) in expect {
        let matching: Vec<&&Group> = edges
            .iter()
            .filter(|e| {
                let (a, _, b, bp) = endpoints(&e.title);
                let texts: Vec<&str> = e.texts.iter().map(|t| t.2.as_str()).collect();
                a == from && b == to && texts == label && (slice.is_some() != bp.is_empty())
            })
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{from} -> {to} {label:?}: {}",
            matching.len()
        );
        let e = matching[0];
        // Geometry: the edge leaves the source box and its arrowhead touches the target box.
        let sb = bbox(&nodes[from].points);
        let tb = bbox(&nodes[to].points);
        assert!(
            near(sb, e.path_start.unwrap(), 3.0),
            "{from} -> {to} does not start at {from}"
        );
        assert!(
            e.head.iter().any(|&p| near(tb, p, 3.0)),
            "{from} -> {to} does not end at {to}"
        );
        if let Some(slice) = slice {
            // ... and lands on the port cell showing its slice.
            let cell = nodes[to].texts.iter().find(|t| t.2 == slice).unwrap();
            let tip = e
                .head
                .iter()
                .copied()
                .min_by(|p, q| {
                    let d = |p: (f64, f64)| (p.0 - cell.0).powi(2) + (p.1 - cell.1).powi(2);
                    d(*p).total_cmp(&d(*q))
                })
                .unwrap();
            assert!(
                (tip.1 - (cell.1 - 3.0)).abs() < 10.0,
                "{from} -> {to} misses cell {slice}: tip {tip:?}, cell {cell:?}"
            );
        }
    }
    // The memristor stages of one state share a cluster, the other state has the others.
    let exc = bbox(
        &groups
            .iter()
            .find(|g| g.title == "cluster_state_exc")
            .unwrap()
            .points,
    );
    for id in ["memristor_plus", "pulse_plus"] {
        let nb = bbox(&nodes[id].points);
        assert!(near(exc, (nb.0, nb.1), 0.5) && near(exc, (nb.2, nb.3), 0.5));
    }
    let nb = bbox(&nodes["pulse_minus"].points);
    assert!(!(near(exc, (nb.0, nb.1), 0.5) && near(exc, (nb.2, nb.3), 0.5)));
}

#[test]
fn graphviz_renders_learning_network() {
    if !dot_available() {
        eprintln!("note: graphviz `dot` not installed; skipping the rendering check");
        return;
    }
    let g = learning_graph();
    let svg = render_svg(&to_dot(&g));
    if let Ok(dir) = std::env::var("NETDSL_DOT_OUT") {
        std::fs::write(format!("{dir}/learning.svg"), &svg).unwrap();
    }
    let groups = parse_groups(&svg);
    let mut titles: Vec<String> = groups
        .iter()
        .filter(|g| g.class.starts_with("edge"))
        .map(|g| g.title.clone())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "error->learned.learning",
            "learned.learning->post.neurons",
            "post->error",
            "pre.neurons->post.neurons",
            "pre.neurons->syn",
            "pre:out0->error:in0",
            "stim->pre",
        ]
    );
    let adjusts = groups.iter().find(|g| g.class.contains("adjusts")).unwrap();
    assert_eq!(adjusts.title, "learned.learning->post.neurons");
    let learned = groups
        .iter()
        .find(|g| g.title == "pre.neurons->post.neurons")
        .unwrap();
    let texts: Vec<&str> = learned.texts.iter().map(|t| t.2.as_str()).collect();
    assert_eq!(texts, ["learned", "memristive: mPES(gain=1e4)"]);
    assert!(svg.contains("stroke=\"#b2182b\""));
}
