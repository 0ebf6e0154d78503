//! SVG figures of probe data: line plots and spike rasters, drawn with `plotters`' SVG backend
//! (no fonts needed: text is written as SVG `<text>` and the viewer picks the font).
//!
//! A [`Figure`] holds one or more [`Axes`] stacked vertically that share the x (time) axis. Each
//! axes draws either [`LineSeries`] (with a legend and distinct colours) or [`Raster`]s (one row per
//! neuron, a short vertical tick per spike). Ticks use 1-2-5 steps and have gridlines; the legend
//! sits right of the plot so it never covers data. Long series are reduced to the first, lowest,
//! highest and last point of every pixel column, which draws the same picture (peaks and single-step
//! spikes stay) in a file whose size depends on the figure's width, not on the run's length.
//!
//! ```
//! use netdsl_core::io::svg::{Axes, Figure, LineSeries, Raster};
//! let t: Vec<f64> = (1..=1000).map(|i| i as f64 * 1e-3).collect();
//! let y: Vec<f64> = t.iter().map(|t| (6.0 * t).sin()).collect();
//! let spikes = vec![vec![0.1, 0.5], vec![0.3]];
//! let svg = Figure::new("post")
//!     .xlabel("time [s]")
//!     .ylabel("value")
//!     .line(LineSeries::new("post[0]", t.clone(), y))
//!     .subplot(Axes::raster(Raster::new("pre", spikes)).ylabel("neuron"))
//!     .render();
//! assert!(svg.starts_with("<svg"));
//! ```

use std::fs;
use std::io;
use std::path::Path;

use ndarray::ArrayView2;

#[path = "svg_draw.rs"]
mod draw;
#[path = "svg_scale.rs"]
mod scale;

pub use scale::{downsample_indices, nice_ticks, Ticks};

/// Matplotlib's "tab10" colours, used in order within each axes.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// One line: `y` against `x`, with a legend label.
#[derive(Clone, Debug, PartialEq)]
pub struct LineSeries {
    /// The legend text; an empty label is left out of the legend.
    pub label: String,
    /// The x values (usually the probe's time range).
    pub x: Vec<f64>,
    /// The y values; non-finite values break the line.
    pub y: Vec<f64>,
    /// `#rrggbb`, `#rgb` or a basic colour name (`black`, `gray`, `red`, …); `None` (or an
    /// unknown name) takes the next colour of [`PALETTE`].
    pub color: Option<String>,
}

impl LineSeries {
    /// A line with a label. `x` and `y` should have the same length (extra values are ignored).
    pub fn new(label: impl Into<String>, x: impl Into<Vec<f64>>, y: impl Into<Vec<f64>>) -> Self {
        LineSeries {
            label: label.into(),
            x: x.into(),
            y: y.into(),
            color: None,
        }
    }

    /// One line per column of a (steps × dims) probe array against `trange`, labelled
    /// `label[0]`, `label[1]`, … (just `label` when there is one column).
    pub fn from_columns(label: &str, trange: &[f64], data: ArrayView2<'_, f64>) -> Vec<Self> {
        let one = data.ncols() == 1;
        data.columns()
            .into_iter()
            .enumerate()
            .map(|(i, col)| {
                let name = if one {
                    label.to_string()
                } else {
                    format!("{label}[{i}]")
                };
                LineSeries::new(name, trange.to_vec(), col.to_vec())
            })
            .collect()
    }

    /// This line with a fixed colour (`"#333"`, `"black"`).
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }
}

/// Spike times of a group of neurons, drawn one row per neuron.
#[derive(Clone, Debug, PartialEq)]
pub struct Raster {
    /// The legend text (the ensemble's name).
    pub label: String,
    /// For each neuron, the times at which it spiked.
    pub times: Vec<Vec<f64>>,
    /// The time span the raster covers (so a silent end still widens the axis); `None` uses
    /// the spikes' own span.
    pub span: Option<(f64, f64)>,
    /// `#rrggbb`, `#rgb` or a basic colour name (`black`, `gray`, `red`, …); `None` (or an
    /// unknown name) takes the next colour of [`PALETTE`].
    pub color: Option<String>,
}

impl Raster {
    /// A raster from spike times per neuron.
    pub fn new(label: impl Into<String>, times: Vec<Vec<f64>>) -> Self {
        Raster {
            label: label.into(),
            times,
            span: None,
            color: None,
        }
    }

    /// A raster from a (steps × neurons) spike array (any non-zero entry is a spike, as Nengo's
    /// `1/dt` heights) and the probe's `trange`; it spans the whole `trange`.
    pub fn from_spikes(
        label: impl Into<String>,
        trange: &[f64],
        spikes: ArrayView2<'_, f64>,
    ) -> Self {
        let mut times = vec![Vec::new(); spikes.ncols()];
        for (row, &t) in spikes.rows().into_iter().zip(trange) {
            for (j, &s) in row.iter().enumerate() {
                if s != 0.0 {
                    times[j].push(t);
                }
            }
        }
        let span = match (trange.first(), trange.last()) {
            (Some(&a), Some(&b)) => Some((a, b)),
            _ => None,
        };
        Raster {
            label: label.into(),
            times,
            span,
            color: None,
        }
    }

    /// This raster with a fixed colour.
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }
}

/// What one [`Axes`] draws.
#[derive(Clone, Debug, PartialEq)]
pub enum Plot {
    /// Lines on a numeric y axis.
    Lines(Vec<LineSeries>),
    /// Spike rasters stacked top to bottom; the y axis counts neurons.
    Raster(Vec<Raster>),
}

/// One panel of a figure.
#[derive(Clone, Debug, PartialEq)]
pub struct Axes {
    /// Text above the panel; empty for none.
    pub title: String,
    /// The y axis label; empty for none.
    pub ylabel: String,
    /// Fixed y limits (lines only); `None` fits the data with a 5 % margin.
    pub ylim: Option<(f64, f64)>,
    /// What it draws.
    pub plot: Plot,
}

impl Axes {
    /// An empty panel for lines.
    pub fn lines() -> Self {
        Axes {
            title: String::new(),
            ylabel: String::new(),
            ylim: None,
            plot: Plot::Lines(Vec::new()),
        }
    }

    /// A raster panel holding `raster`; its y label is `neuron`.
    pub fn raster(raster: Raster) -> Self {
        Axes {
            title: String::new(),
            ylabel: "neuron".into(),
            ylim: None,
            plot: Plot::Raster(vec![raster]),
        }
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the y label.
    pub fn ylabel(mut self, label: impl Into<String>) -> Self {
        self.ylabel = label.into();
        self
    }

    /// Fixes the y limits.
    pub fn ylim(mut self, lo: f64, hi: f64) -> Self {
        self.ylim = Some((lo, hi));
        self
    }

    /// Adds a line (a raster panel becomes a line panel only if it holds no rasters).
    pub fn line(mut self, series: LineSeries) -> Self {
        match &mut self.plot {
            Plot::Lines(v) => v.push(series),
            Plot::Raster(r) if r.is_empty() => self.plot = Plot::Lines(vec![series]),
            Plot::Raster(_) => {} // documented: lines do not go on a raster's neuron axis
        }
        self
    }

    /// Adds a raster below the ones already there (a line panel becomes a raster panel only if it
    /// holds no lines).
    pub fn add_raster(mut self, raster: Raster) -> Self {
        match &mut self.plot {
            Plot::Raster(v) => v.push(raster),
            Plot::Lines(l) if l.is_empty() => self.plot = Plot::Raster(vec![raster]),
            Plot::Lines(_) => {}
        }
        self
    }
}

/// A figure: a title, stacked panels sharing one x axis, and the x label under the last panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// Text at the top; empty for none.
    pub title: String,
    /// The shared x axis label (under the bottom panel).
    pub xlabel: String,
    /// Width of the whole SVG in pixels.
    pub width: u32,
    /// Height of each panel's plot area in pixels.
    pub panel_height: u32,
    /// Fixed x limits; `None` fits all panels' data.
    pub xlim: Option<(f64, f64)>,
    /// The panels, top to bottom.
    pub axes: Vec<Axes>,
}

impl Figure {
    /// An empty 800-pixel-wide figure with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Figure {
            title: title.into(),
            xlabel: String::new(),
            width: 800,
            panel_height: 220,
            xlim: None,
            axes: Vec::new(),
        }
    }

    /// Sets the x label.
    pub fn xlabel(mut self, label: impl Into<String>) -> Self {
        self.xlabel = label.into();
        self
    }

    /// Sets the y label of the last panel (creating a line panel if there is none).
    pub fn ylabel(mut self, label: impl Into<String>) -> Self {
        if self.axes.is_empty() {
            self.axes.push(Axes::lines());
        }
        self.axes.last_mut().expect("one axes").ylabel = label.into();
        self
    }

    /// Adds a line to the last panel, or to a new line panel when the last one is a raster.
    pub fn line(mut self, series: LineSeries) -> Self {
        match self.axes.last_mut() {
            Some(Axes {
                plot: Plot::Lines(v),
                ..
            }) => v.push(series),
            _ => self.axes.push(Axes::lines().line(series)),
        }
        self
    }

    /// Adds several lines as [`Figure::line`] does.
    pub fn lines(self, series: impl IntoIterator<Item = LineSeries>) -> Self {
        series.into_iter().fold(self, Figure::line)
    }

    /// Adds a panel below the others.
    pub fn subplot(mut self, axes: Axes) -> Self {
        self.axes.push(axes);
        self
    }

    /// Sets the width and each panel's plot height, in pixels.
    pub fn size(mut self, width: u32, panel_height: u32) -> Self {
        self.width = width;
        self.panel_height = panel_height;
        self
    }

    /// Fixes the x limits.
    pub fn xlim(mut self, lo: f64, hi: f64) -> Self {
        self.xlim = Some((lo, hi));
        self
    }

    /// Writes [`Figure::render`]'s SVG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> io::Result<()> {
        fs::write(path, self.render())
    }

    /// The figure as a standalone SVG document.
    pub fn render(&self) -> String {
        draw::render_figure(self)
    }
}

/// Text escaped for SVG content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use std::process::Command;

    /// The `<tag …/>` elements of `svg` that contain `needle`.
    fn elements<'a>(svg: &'a str, tag: &str, needle: &str) -> Vec<&'a str> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .map(|e| &e[..e.find("/>").unwrap_or(e.len())])
            .filter(|e| e.contains(needle))
            .collect()
    }

    /// Whether `svg` has a `<text>` element reading `s`.
    fn has_text(svg: &str, s: &str) -> bool {
        svg.contains(&format!(">{s}</text>"))
    }

    /// The points of a `<polyline>`.
    fn points(e: &str) -> Vec<(i32, i32)> {
        let p = e.split("points=\"").nth(1).unwrap();
        p[..p.find('"').unwrap()]
            .split_whitespace()
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn long_lines_are_decimated_and_keep_their_peaks() {
        let n = 30_000; // 30 s at dt = 1e-3
        let t: Vec<f64> = (1..=n).map(|i| i as f64 * 1e-3).collect();
        let mut y: Vec<f64> = t.iter().map(|t| (2.0 * t).sin()).collect();
        y[12_345] = 5.0; // a one-step spike
        y[20_000] = -4.0;
        let cos: Vec<f64> = t.iter().map(|t| t.cos()).collect();
        let svg = Figure::new("long run")
            .xlabel("time [s]")
            .line(LineSeries::new("x", t.clone(), y))
            .line(LineSeries::new("cos", t.clone(), cos))
            .render();
        assert!(svg.len() < 60_000, "{} bytes", svg.len());
        // One data line and one legend line per series.
        let x = elements(&svg, "polyline", "stroke=\"#1F77B4\"");
        let c = elements(&svg, "polyline", "stroke=\"#FF7F0E\"");
        assert_eq!((x.len(), c.len()), (2, 2));
        let (data, cos) = (points(x[0]), points(c[0]));
        assert!(data.len() <= 4 * 800 && data.len() > 100, "{}", data.len());
        // The one-step spikes reach beyond the cosine's range on both sides (y grows downwards).
        let span = |p: &[(i32, i32)]| (p.iter().map(|q| q.1).min(), p.iter().map(|q| q.1).max());
        let ((dtop, dbot), (ctop, cbot)) = (span(&data), span(&cos));
        assert!(
            dtop < ctop && dbot > cbot,
            "{dtop:?} {ctop:?} {dbot:?} {cbot:?}"
        );
        assert!(has_text(&svg, "x") && has_text(&svg, "cos") && has_text(&svg, "time [s]"));
    }

    #[test]
    fn raster_from_spikes() {
        let trange: Vec<f64> = (1..=5).map(|i| i as f64 * 0.1).collect();
        let mut s = Array2::zeros((5, 3));
        s[[0, 0]] = 1000.0;
        s[[3, 0]] = 1000.0;
        s[[2, 2]] = 1000.0;
        let r = Raster::from_spikes("pre", &trange, s.view());
        assert_eq!(
            r.times,
            vec![vec![0.1, 0.4], vec![], vec![0.30000000000000004]]
        );
        assert_eq!(r.span, Some((0.1, 0.5)));
        let svg = Figure::new("").subplot(Axes::raster(r)).render();
        // three spikes, three ticks (the legend's marks are 2 pixels wide)
        let ticks = elements(&svg, "rect", "fill=\"#1F77B4\"");
        let one_px: Vec<_> = ticks.iter().filter(|e| e.contains("width=\"1\"")).collect();
        assert_eq!((one_px.len(), ticks.len()), (3, 6), "{ticks:?}");
        // neuron 0's two spikes share a row, neuron 2's sits two rows lower
        let y = |e: &str| {
            e.split("y=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(y(one_px[0]), y(one_px[1]));
        assert_ne!(y(one_px[0]), y(one_px[2]));
        assert!(has_text(&svg, "neuron") && has_text(&svg, "pre"));
    }

    #[test]
    fn escapes_and_is_deterministic() {
        let f = Figure::new("a < b & \"c\"\u{1}")
            .xlabel("t's")
            .line(LineSeries::new("<x>", vec![0.0, 1.0], vec![0.0, 1.0]).color("black"));
        let svg = f.render();
        assert!(has_text(&svg, "a &lt; b &amp; &quot;c&quot;"));
        assert!(svg.contains("&lt;x&gt;"));
        assert!(svg.contains("t&apos;s"));
        assert!(!svg.contains("<x>"));
        assert_eq!(elements(&svg, "polyline", "stroke=\"#000000\"").len(), 2);
        assert_eq!(svg, f.clone().render());
        // empty and degenerate figures still render
        let e = Figure::new("empty").render();
        assert!(e.starts_with("<svg") && e.ends_with("</svg>\n"));
        let c = Figure::new("")
            .line(LineSeries::new("c", vec![1.0; 3], vec![2.0; 3]))
            .render();
        assert!(!c.contains("NaN") && !c.contains("inf"));
        // a NaN breaks the line in two
        let nan = Figure::new("")
            .line(LineSeries::new(
                "n",
                vec![0.0, 1.0, 2.0, 3.0, 4.0],
                vec![0.0, 0.5, f64::NAN, 1.0, 2.0],
            ))
            .render();
        assert!(!nan.contains("NaN"));
        assert_eq!(elements(&nan, "polyline", "#1F77B4").len(), 3);
    }

    #[test]
    fn xml_escape_drops_control_characters() {
        assert_eq!(
            xml_escape("a<'b'>\u{7}&\n"),
            "a&lt;&apos;b&apos;&gt;&amp;\n"
        );
    }

    fn example_figures() -> Vec<(&'static str, Figure)> {
        let dt = 1e-3;
        let t: Vec<f64> = (1..=30_000).map(|i| i as f64 * dt).collect();
        let target: Vec<f64> = t
            .iter()
            .map(|t| (2.0 * std::f64::consts::PI * t / 4.0).sin())
            .collect();
        let post: Vec<f64> = t
            .iter()
            .zip(&target)
            .map(|(t, y)| y * (1.0 - (-t / 5.0).exp()) + 0.05 * (37.0 * t).sin())
            .collect();
        let err: Vec<f64> = post.iter().zip(&target).map(|(p, y)| p - y).collect();
        let mut spikes = Array2::zeros((3000, 20));
        let mut v = [0.0; 20];
        for step in 0..3000 {
            for j in 0..20 {
                v[j] += (0.01 + 0.004 * j as f64) * (1.0 + (step as f64 * 0.003).sin());
                if v[j] >= 1.0 {
                    v[j] = 0.0;
                    spikes[[step, j]] = 1.0 / dt;
                }
            }
        }
        let f1 = Figure::new("mPES learning: post tracks sin(2πt/4)")
            .xlabel("time [s]")
            .ylabel("decoded value")
            .line(LineSeries::new("target", t.clone(), target))
            .line(LineSeries::new("post (synapse 0.01)", t.clone(), post))
            .line(LineSeries::new("error", t.clone(), err));
        let short_t = &t[..3000];
        let f2 = Figure::new("MemristorNet, first 3 s")
            .xlabel("time [s]")
            .subplot(
                Axes::lines()
                    .title("decoded")
                    .ylabel("value")
                    .line(LineSeries::new(
                        "pre",
                        short_t.to_vec(),
                        short_t.iter().map(|t| (3.0 * t).sin()).collect::<Vec<_>>(),
                    )),
            )
            .subplot(
                Axes::raster(Raster::from_spikes(
                    "pre.neurons",
                    short_t,
                    spikes.slice(ndarray::s![.., ..12]),
                ))
                .add_raster(Raster::from_spikes(
                    "post.neurons",
                    short_t,
                    spikes.slice(ndarray::s![.., 12..]),
                ))
                .title("spikes"),
            );
        vec![("lines", f1), ("subplots", f2)]
    }

    #[test]
    fn renders_with_rsvg_or_parses_as_xml() {
        let dir = std::env::var("NETDSL_SVG_OUT").ok();
        for (name, fig) in example_figures() {
            let svg = fig.render();
            // Lines are decimated; a raster costs one element per spike-pixel (~90 bytes).
            assert!(svg.len() < 300_000, "{name}: {} bytes", svg.len());
            let path = match &dir {
                Some(d) => std::path::PathBuf::from(d).join(format!("{name}.svg")),
                None => std::env::temp_dir()
                    .join(format!("netdsl-svg-{}-{name}.svg", std::process::id())),
            };
            fig.save(&path).unwrap();
            let png = path.with_extension("png");
            match Command::new("rsvg-convert")
                .arg("-o")
                .arg(&png)
                .arg(&path)
                .output()
            {
                Ok(o) => assert!(
                    o.status.success(),
                    "rsvg-convert: {}",
                    String::from_utf8_lossy(&o.stderr)
                ),
                Err(_) => {
                    let ok = Command::new("python3")
                        .args([
                            "-c",
                            "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                        ])
                        .arg(&path)
                        .output();
                    match ok {
                        Ok(o) => {
                            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr))
                        }
                        Err(_) => eprintln!(
                            "note: neither rsvg-convert nor python3 found; SVG not parsed"
                        ),
                    }
                }
            }
        }
    }
}
