//! SVG figures of probe data: line plots and spike rasters, no fonts or crates needed.
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

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;

use ndarray::ArrayView2;

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
    /// An SVG colour; `None` takes the next colour of [`PALETTE`].
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

    /// This line with a fixed SVG colour (`"#333"`, `"black"`).
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
    /// An SVG colour; `None` takes the next colour of [`PALETTE`].
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

    /// This raster with a fixed SVG colour.
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
        render_figure(self)
    }
}

// ---------------------------------------------------------------------------------------------
// ticks

/// Ticks from 1-2-5 steps: every multiple of the step within `[lo, hi]`, as exact decimal text.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// The step between ticks.
    pub step: f64,
    /// (value, label) of each tick, ascending.
    pub ticks: Vec<(f64, String)>,
}

/// About `target` ticks over `[lo, hi]` with a step of 1, 2 or 5 times a power of ten
/// (at least `min_step`, e.g. 1 for neuron indices).
pub fn nice_ticks(lo: f64, hi: f64, target: usize, min_step: f64) -> Ticks {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let range = hi - lo;
    if !(range.is_finite()) || range <= 0.0 {
        return Ticks {
            step: 0.0,
            ticks: if lo.is_finite() {
                vec![(lo, format_plain(lo))]
            } else {
                Vec::new()
            },
        };
    }
    // Candidate 1-2-5 steps around range/target; keep the one whose tick count is closest to
    // `target` (the smaller step on a tie).
    let raw = (range / target.max(1) as f64).max(min_step);
    let e0 = raw.log10().floor() as i32;
    let mut best: Option<(usize, i64, i32, i64, i64)> = None; // (miss, nf, e, first, last)
    for e in [e0 - 1, e0, e0 + 1] {
        for nf in [1i64, 2, 5] {
            let step = nf as f64 * 10f64.powi(e);
            if step < min_step * (1.0 - 1e-9) {
                continue;
            }
            let first = (lo / step - 1e-9).ceil() as i64;
            let last = (hi / step + 1e-9).floor() as i64;
            let count = (last - first + 1).max(0) as usize;
            let miss = count.abs_diff(target.max(1)) * 2 + usize::from(count < 2);
            if best.is_none_or(|b| miss < b.0) {
                best = Some((miss, nf, e, first, last));
            }
        }
    }
    let (_, nf, e, first, last) = best.expect("at least one candidate step");
    let step = nf as f64 * 10f64.powi(e);
    let big = lo.abs().max(hi.abs());
    let scientific = big >= 1e6 || e <= -5;
    let ticks = (first..=last)
        .map(|i| {
            let m = i * nf; // value = m × 10^e exactly
            (i as f64 * step, format_decimal(m, e, scientific))
        })
        .collect();
    Ticks { step, ticks }
}

/// `m × 10^e` as text: plain decimals (`0.25`, `1500`, `-0.001`) or scientific (`2.5e-6`).
fn format_decimal(m: i64, e: i32, scientific: bool) -> String {
    if m == 0 {
        return "0".into();
    }
    let neg = m < 0;
    let mut digits = m.unsigned_abs().to_string();
    let mut e = e;
    let sign = if neg { "-" } else { "" };
    if scientific {
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
            e += 1;
        }
        let exp = e + digits.len() as i32 - 1;
        let (head, tail) = digits.split_at(1);
        if tail.is_empty() {
            format!("{sign}{head}e{exp}")
        } else {
            format!("{sign}{head}.{tail}e{exp}")
        }
    } else if e >= 0 {
        format!("{sign}{digits}{}", "0".repeat(e as usize))
    } else {
        let places = (-e) as usize;
        if digits.len() <= places {
            digits = "0".repeat(places - digits.len() + 1) + &digits;
        }
        let (int, frac) = digits.split_at(digits.len() - places);
        format!("{sign}{int}.{frac}")
    }
}

fn format_plain(v: f64) -> String {
    let s = format!("{v}");
    if s.len() > 10 {
        format!("{v:.4e}")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// downsampling

/// The indices of `(x, y)` points to draw so that a line through them looks like the full one at
/// `columns` pixel columns over `[x0, x1]`: per column the first, lowest, highest and last point,
/// in order. Non-finite points are kept (they break the line). Short series are kept whole.
pub fn downsample_indices(x: &[f64], y: &[f64], x0: f64, x1: f64, columns: usize) -> Vec<usize> {
    let n = x.len().min(y.len());
    if n <= 4 * columns.max(1) || x1 <= x0 {
        return (0..n).collect();
    }
    let scale = columns as f64 / (x1 - x0);
    let col_of = |v: f64| -> i64 { ((v - x0) * scale).floor() as i64 };
    let mut out = Vec::with_capacity(4 * columns + 8);
    let mut i = 0;
    while i < n {
        if !x[i].is_finite() || !y[i].is_finite() {
            out.push(i);
            i += 1;
            continue;
        }
        let c = col_of(x[i]);
        let start = i;
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < n && x[j].is_finite() && y[j].is_finite() && col_of(x[j]) == c {
            if y[j] < y[lo] {
                lo = j;
            }
            if y[j] > y[hi] {
                hi = j;
            }
            j += 1;
        }
        let end = j - 1;
        let mut keep = [start, lo, hi, end];
        keep.sort_unstable();
        for (k, &idx) in keep.iter().enumerate() {
            if k == 0 || idx != keep[k - 1] {
                out.push(idx);
            }
        }
        i = j;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// rendering

const FONT: &str = "font-family=\"sans-serif\"";
const TICK_FONT: f64 = 11.0;
const LABEL_FONT: f64 = 12.0;
const TITLE_FONT: f64 = 15.0;

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

/// Estimated width of `s` in pixels at `size` (sans-serif averages about 0.6 em per character).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let mut r: Option<(f64, f64)> = None;
    for v in values.filter(|v| v.is_finite()) {
        r = Some(match r {
            None => (v, v),
            Some((a, b)) => (a.min(v), b.max(v)),
        });
    }
    r
}

fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    }
}

/// The y range and ticks of one panel; for rasters, also the row count.
struct PanelScale {
    ylo: f64,
    yhi: f64,
    ticks: Ticks,
    rows: usize,
}

fn panel_scale(ax: &Axes) -> PanelScale {
    match &ax.plot {
        Plot::Lines(series) => {
            let (lo, hi) = match ax.ylim {
                Some((a, b)) => widen(a.min(b), a.max(b)),
                None => {
                    let r = finite_range(series.iter().flat_map(|s| {
                        let n = s.x.len().min(s.y.len());
                        s.y[..n].iter().copied()
                    }));
                    match r {
                        Some((a, b)) => {
                            let (a, b) = widen(a, b);
                            let m = 0.05 * (b - a);
                            (a - m, b + m)
                        }
                        None => (0.0, 1.0),
                    }
                }
            };
            PanelScale {
                ylo: lo,
                yhi: hi,
                ticks: nice_ticks(lo, hi, 5, 0.0),
                rows: 0,
            }
        }
        Plot::Raster(rasters) => {
            let rows: usize = rasters.iter().map(|r| r.times.len()).sum();
            let rows_f = rows.max(1) as f64;
            let mut ticks = nice_ticks(0.0, rows_f - 1.0, 5, 1.0);
            if rows <= 1 {
                ticks = Ticks {
                    step: 1.0,
                    ticks: vec![(0.0, "0".into())],
                };
            }
            PanelScale {
                ylo: -0.5,
                yhi: rows_f - 0.5,
                ticks,
                rows,
            }
        }
    }
}

fn fmt1(v: f64) -> String {
    // One decimal is a tenth of a pixel; drop "-0.0" and trailing ".0".
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn render_figure(fig: &Figure) -> String {
    let empty = [Axes::lines()];
    let axes: &[Axes] = if fig.axes.is_empty() {
        &empty
    } else {
        &fig.axes
    };
    let width = fig.width.max(200) as f64;
    let panel_h = fig.panel_height.max(40) as f64;

    // Shared x range.
    let (x0, x1) = match fig.xlim {
        Some((a, b)) => widen(a.min(b), a.max(b)),
        None => {
            let r = finite_range(axes.iter().flat_map(|ax| -> Vec<f64> {
                match &ax.plot {
                    Plot::Lines(s) => s
                        .iter()
                        .flat_map(|s| {
                            let n = s.x.len().min(s.y.len());
                            s.x[..n].iter().copied()
                        })
                        .collect(),
                    Plot::Raster(r) => r
                        .iter()
                        .flat_map(|r| {
                            let span = r.span.map(|(a, b)| vec![a, b]).unwrap_or_default();
                            r.times.iter().flatten().copied().chain(span)
                        })
                        .collect(),
                }
            }));
            let (a, b) = r.map(|(a, b)| widen(a, b)).unwrap_or((0.0, 1.0));
            // A time range starting at dt starts the axis at 0.
            if a > 0.0 && a <= 0.01 * (b - a) {
                (0.0, b)
            } else {
                (a, b)
            }
        }
    };
    let xticks = nice_ticks(x0, x1, ((width - 160.0) / 90.0).max(2.0) as usize, 0.0);

    let scales: Vec<PanelScale> = axes.iter().map(panel_scale).collect();

    // Margins.
    let ytick_w = scales
        .iter()
        .flat_map(|s| s.ticks.ticks.iter().map(|t| text_width(&t.1, TICK_FONT)))
        .fold(0.0, f64::max);
    let has_ylabel = axes.iter().any(|a| !a.ylabel.is_empty());
    let left = 12.0 + if has_ylabel { LABEL_FONT + 8.0 } else { 0.0 } + ytick_w + 8.0;
    let legend_w = axes
        .iter()
        .flat_map(|ax| -> Vec<f64> {
            match &ax.plot {
                Plot::Lines(s) => s.iter().map(|s| text_width(&s.label, TICK_FONT)).collect(),
                Plot::Raster(r) => r.iter().map(|r| text_width(&r.label, TICK_FONT)).collect(),
            }
        })
        .fold(0.0, f64::max);
    let right = if legend_w > 0.0 {
        16.0 + 20.0 + 6.0 + legend_w + 10.0
    } else {
        20.0
    };
    let plot_w = (width - left - right).max(40.0);
    let top = if fig.title.is_empty() {
        12.0
    } else {
        12.0 + TITLE_FONT + 12.0
    };
    let gap = 16.0;
    let panel_title_h = |ax: &Axes| {
        if ax.title.is_empty() {
            0.0
        } else {
            LABEL_FONT + 8.0
        }
    };
    let bottom = 8.0
        + TICK_FONT
        + 6.0
        + if fig.xlabel.is_empty() {
            0.0
        } else {
            LABEL_FONT + 10.0
        }
        + 6.0;
    let height = top
        + axes.iter().map(|a| panel_title_h(a) + panel_h).sum::<f64>()
        + gap * (axes.len() - 1) as f64
        + bottom;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" {FONT}>",
        fmt1(width),
        fmt1(height),
        fmt1(width),
        fmt1(height)
    );
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    if !fig.title.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{TITLE_FONT}\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>",
            fmt1(left + plot_w / 2.0),
            fmt1(12.0 + TITLE_FONT),
            xml_escape(&fig.title)
        );
    }

    let px = |x: f64| left + (x - x0) / (x1 - x0) * plot_w;
    let mut y_top = top;
    for (k, (ax, sc)) in axes.iter().zip(&scales).enumerate() {
        let last = k + 1 == axes.len();
        if !ax.title.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL_FONT}\" text-anchor=\"middle\">{}</text>",
                fmt1(left + plot_w / 2.0),
                fmt1(y_top + LABEL_FONT),
                xml_escape(&ax.title)
            );
            y_top += panel_title_h(ax);
        }
        let (pt, pb) = (y_top, y_top + panel_h);
        let py = |y: f64| pb - (y - sc.ylo) / (sc.yhi - sc.ylo) * panel_h;

        // Frame, gridlines and ticks.
        let _ = writeln!(out, "<g class=\"axes\" id=\"axes{k}\">");
        let mut grid = String::new();
        for (v, _) in &xticks.ticks {
            let x = fmt1(px(*v));
            let _ = write!(grid, "M{x} {}V{}", fmt1(pt), fmt1(pb));
        }
        let raster = matches!(ax.plot, Plot::Raster(_));
        for (v, _) in &sc.ticks.ticks {
            let y = if raster {
                pt + (v + 0.5) / sc.rows.max(1) as f64 * panel_h
            } else {
                py(*v)
            };
            let _ = write!(grid, "M{} {}H{}", fmt1(left), fmt1(y), fmt1(left + plot_w));
        }
        let _ = writeln!(
            out,
            "<path d=\"{grid}\" stroke=\"#e5e5e5\" stroke-width=\"1\" fill=\"none\"/>"
        );
        let mut tick_marks = String::new();
        let mut labels = String::new();
        for (v, text) in &sc.ticks.ticks {
            let y = if raster {
                pt + (v + 0.5) / sc.rows.max(1) as f64 * panel_h
            } else {
                py(*v)
            };
            let _ = write!(tick_marks, "M{} {}h-5", fmt1(left), fmt1(y));
            let _ = writeln!(
                labels,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                fmt1(left - 8.0),
                fmt1(y + TICK_FONT * 0.35),
                xml_escape(text)
            );
        }
        for (v, text) in &xticks.ticks {
            let x = px(*v);
            let _ = write!(tick_marks, "M{} {}v5", fmt1(x), fmt1(pb));
            if last {
                let _ = writeln!(
                    labels,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    fmt1(x),
                    fmt1(pb + 8.0 + TICK_FONT),
                    xml_escape(text)
                );
            }
        }
        let _ = writeln!(
            out,
            "<path d=\"{tick_marks}\" stroke=\"#333\" stroke-width=\"1\" fill=\"none\"/>"
        );
        let _ = write!(
            out,
            "<g font-size=\"{TICK_FONT}\" fill=\"#333\">\n{labels}</g>\n"
        );
        if !ax.ylabel.is_empty() {
            let cx = 12.0 + LABEL_FONT * 0.8;
            let cy = (pt + pb) / 2.0;
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL_FONT}\" text-anchor=\"middle\" transform=\"rotate(-90 {} {})\">{}</text>",
                fmt1(cx),
                fmt1(cy),
                fmt1(cx),
                fmt1(cy),
                xml_escape(&ax.ylabel)
            );
        }

        // Data, clipped to the plot area.
        let _ = writeln!(
            out,
            "<clipPath id=\"netdsl-clip{k}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>",
            fmt1(left),
            fmt1(pt),
            fmt1(plot_w),
            fmt1(panel_h)
        );
        let _ = writeln!(out, "<g clip-path=\"url(#netdsl-clip{k})\">");
        let mut legend: Vec<(String, String, bool)> = Vec::new();
        match &ax.plot {
            Plot::Lines(series) => {
                for (i, s) in series.iter().enumerate() {
                    let color = s
                        .color
                        .clone()
                        .unwrap_or_else(|| PALETTE[i % PALETTE.len()].into());
                    let n = s.x.len().min(s.y.len());
                    let idx =
                        downsample_indices(&s.x[..n], &s.y[..n], x0, x1, plot_w.ceil() as usize);
                    let mut d = String::new();
                    let mut pen_down = false;
                    for &j in &idx {
                        let (x, y) = (s.x[j], s.y[j]);
                        if !x.is_finite() || !y.is_finite() {
                            pen_down = false;
                            continue;
                        }
                        let cmd = if pen_down { "L" } else { "M" };
                        let _ = write!(d, "{cmd}{} {}", fmt1(px(x)), fmt1(py(y)));
                        pen_down = true;
                    }
                    let _ = writeln!(
                        out,
                        "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>",
                        xml_escape(&color)
                    );
                    if !s.label.is_empty() {
                        legend.push((s.label.clone(), color, false));
                    }
                }
            }
            Plot::Raster(rasters) => {
                let row_h = panel_h / sc.rows.max(1) as f64;
                let tick_h = (row_h * 0.8).max(1.0);
                let mut row = 0usize;
                for (i, r) in rasters.iter().enumerate() {
                    let color = r
                        .color
                        .clone()
                        .unwrap_or_else(|| PALETTE[i % PALETTE.len()].into());
                    let mut d = String::new();
                    for times in &r.times {
                        let yc = pt + (row as f64 + 0.5) * row_h;
                        let y = fmt1(yc - tick_h / 2.0);
                        let mut sorted: Vec<f64> =
                            times.iter().copied().filter(|t| t.is_finite()).collect();
                        sorted.sort_by(f64::total_cmp);
                        let mut last_x = f64::NEG_INFINITY;
                        for t in sorted {
                            // One tick per half pixel is all the eye can see.
                            let x = (px(t) * 2.0).round() / 2.0;
                            if x != last_x {
                                let _ = write!(d, "M{} {y}v{}", fmt1(x), fmt1(tick_h));
                                last_x = x;
                            }
                        }
                        row += 1;
                    }
                    let _ = writeln!(
                        out,
                        "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"/>",
                        xml_escape(&color)
                    );
                    if i > 0 {
                        let y = fmt1(pt + (row - r.times.len()) as f64 * row_h);
                        let _ = writeln!(
                            out,
                            "<path d=\"M{} {y}H{}\" stroke=\"#999\" stroke-width=\"0.5\"/>",
                            fmt1(left),
                            fmt1(left + plot_w)
                        );
                    }
                    if !r.label.is_empty() {
                        legend.push((r.label.clone(), color, true));
                    }
                }
            }
        }
        out.push_str("</g>\n");
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\"/>",
            fmt1(left),
            fmt1(pt),
            fmt1(plot_w),
            fmt1(panel_h)
        );

        // Legend, outside the plot on the right, top-aligned.
        if !legend.is_empty() {
            let lx = left + plot_w + 16.0;
            let _ = writeln!(out, "<g class=\"legend\" font-size=\"{TICK_FONT}\">");
            for (i, (label, color, tick)) in legend.iter().enumerate() {
                let y = pt + 8.0 + i as f64 * (TICK_FONT + 6.0);
                if y + 4.0 > pb {
                    break;
                }
                let mark = if *tick {
                    format!(
                        "M{} {}v10M{} {}v10M{} {}v10",
                        fmt1(lx + 4.0),
                        fmt1(y - 5.0),
                        fmt1(lx + 10.0),
                        fmt1(y - 5.0),
                        fmt1(lx + 16.0),
                        fmt1(y - 5.0)
                    )
                } else {
                    format!("M{} {}h20", fmt1(lx), fmt1(y))
                };
                let _ = writeln!(
                    out,
                    "<path d=\"{mark}\" stroke=\"{}\" stroke-width=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                    xml_escape(color),
                    if *tick { "1.5" } else { "2" },
                    fmt1(lx + 26.0),
                    fmt1(y + TICK_FONT * 0.35),
                    xml_escape(label)
                );
            }
            out.push_str("</g>\n");
        }
        out.push_str("</g>\n");
        y_top = pb + gap;
    }
    if !fig.xlabel.is_empty() {
        let pb = y_top - gap;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{LABEL_FONT}\" text-anchor=\"middle\">{}</text>",
            fmt1(left + plot_w / 2.0),
            fmt1(pb + 8.0 + TICK_FONT + 8.0 + LABEL_FONT),
            xml_escape(&fig.xlabel)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use std::process::Command;

    fn labels(t: &Ticks) -> Vec<&str> {
        t.ticks.iter().map(|t| t.1.as_str()).collect()
    }

    #[test]
    fn ticks_use_1_2_5_steps() {
        assert_eq!(
            labels(&nice_ticks(0.0, 1.0, 5, 0.0)),
            ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 30.0, 6, 0.0)),
            ["0", "5", "10", "15", "20", "25", "30"]
        );
        assert_eq!(
            labels(&nice_ticks(-1.1, 1.1, 5, 0.0)),
            ["-1.0", "-0.5", "0", "0.5", "1.0"]
        );
        assert_eq!(
            labels(&nice_ticks(0.001, 0.0099, 4, 0.0)),
            ["0.002", "0.004", "0.006", "0.008"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 2.5e-5, 5, 0.0)),
            ["0", "5e-6", "1e-5", "1.5e-5", "2e-5", "2.5e-5"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 3e7, 3, 0.0)),
            ["0", "1e7", "2e7", "3e7"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 4.0, 10, 1.0)),
            ["0", "1", "2", "3", "4"]
        );
        assert_eq!(
            labels(&nice_ticks(0.0, 1200.0, 5, 0.0)),
            ["0", "200", "400", "600", "800", "1000", "1200"]
        );
        assert_eq!(nice_ticks(1.0, 1.0, 5, 0.0).ticks.len(), 1);
        for (lo, hi) in [(0.13, 0.97), (-3.7, 12.2), (1e-3, 30.0), (99.0, 101.0)] {
            let t = nice_ticks(lo, hi, 5, 0.0);
            let m = t.step / 10f64.powf(t.step.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|v| (m - v).abs() < 1e-9),
                "{}",
                t.step
            );
            assert!(
                t.ticks.len() >= 3 && t.ticks.len() <= 11,
                "{lo} {hi}: {:?}",
                t.ticks
            );
            assert!(t
                .ticks
                .iter()
                .all(|(v, _)| *v >= lo - 1e-12 && *v <= hi + 1e-12));
        }
    }

    #[test]
    fn downsampling_keeps_extremes_and_is_small() {
        let n = 30_000; // 30 s at dt = 1e-3
        let t: Vec<f64> = (1..=n).map(|i| i as f64 * 1e-3).collect();
        let mut y: Vec<f64> = t.iter().map(|t| (2.0 * t).sin()).collect();
        y[12_345] = 5.0; // a one-step spike
        y[20_000] = -4.0;
        let idx = downsample_indices(&t, &y, t[0], t[n - 1], 700);
        assert!(idx.len() <= 4 * 700 + 4, "{}", idx.len());
        assert!(idx.contains(&12_345) && idx.contains(&20_000));
        assert!(idx.windows(2).all(|w| w[0] < w[1]));
        assert_eq!((idx[0], *idx.last().unwrap()), (0, n - 1));
        let svg = Figure::new("long run")
            .xlabel("time [s]")
            .line(LineSeries::new("x", t.clone(), y.clone()))
            .line(LineSeries::new(
                "cos",
                t.clone(),
                t.iter().map(|t| t.cos()).collect::<Vec<_>>(),
            ))
            .render();
        assert!(svg.len() < 120_000, "{} bytes", svg.len());
        // The spike reaches the top of the data range: some point of the path sits at the highest y.
        assert!(svg.contains("class=\"legend\""));
        // short series untouched
        assert_eq!(
            downsample_indices(&t[..10], &y[..10], 0.0, 1.0, 700),
            (0..10).collect::<Vec<_>>()
        );
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
        // three spikes, three ticks
        let data = svg.split("clip-path=").nth(1).unwrap();
        let path = data.split("<path d=\"").nth(1).unwrap();
        assert_eq!(path[..path.find('"').unwrap()].matches('M').count(), 3);
    }

    #[test]
    fn escapes_and_is_deterministic() {
        let f = Figure::new("a < b & \"c\"")
            .xlabel("t's")
            .line(LineSeries::new("<x>", vec![0.0, 1.0], vec![0.0, 1.0]));
        let svg = f.render();
        assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(svg.contains("&lt;x&gt;"));
        assert!(svg.contains("t&apos;s"));
        assert!(!svg.contains("<x>"));
        assert_eq!(svg, f.clone().render());
        // empty and degenerate figures still render
        let e = Figure::new("empty").render();
        assert!(e.ends_with("</svg>\n"));
        let c = Figure::new("")
            .line(LineSeries::new("c", vec![1.0; 3], vec![2.0; 3]))
            .render();
        assert!(!c.contains("NaN") && !c.contains("inf"));
        let nan = Figure::new("")
            .line(LineSeries::new(
                "n",
                vec![0.0, 1.0, 2.0, 3.0],
                vec![0.0, f64::NAN, 1.0, 2.0],
            ))
            .render();
        assert!(nan.contains("M") && !nan.contains("NaN"));
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
            assert!(svg.len() < 150_000, "{name}: {} bytes", svg.len());
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
