//! Drawing a [`Figure`] with plotters' SVG backend. Plotters lays out each panel and draws the
//! axes, gridlines, tick labels and lines; on top of it sit our 1-2-5 ticks with exact labels, the
//! min/max decimation of long lines, the spike rasters and a legend right of each plot.

use std::error::Error;
use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::scale::{downsample_indices, nice_ticks, Ticks};
use super::{Axes, Figure, Plot, PALETTE};

const TICK_FONT: f64 = 11.0;
const LABEL_FONT: f64 = 12.0;
const TITLE_FONT: f64 = 16.0; // 15 would print as font-size="15.000000000000002"
/// Space between stacked panels.
const GAP: i32 = 16;
/// Width of data lines in pixels. Plotters draws at whole-pixel coordinates, where a 2-pixel
/// stroke covers whole pixels (sharp) and a 1-pixel one smears into two pale ones.
const LINE_W: u32 = 2;
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xe5, 0xe5, 0xe5);

type Drawn = Result<(), Box<dyn Error>>;
type Root<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// The figure as an SVG document.
pub(super) fn render_figure(fig: &Figure) -> String {
    let mut svg = String::new();
    let drawn = draw_figure(fig, &mut svg);
    // Drawing into a String has no I/O to fail and the fonts are not measured, so an error here
    // would be a plotters bug; the backend still closes the document when it is dropped.
    debug_assert!(drawn.is_ok(), "{drawn:?}");
    inline_text(&svg)
}

/// Plotters writes the content of each `<text>` on a line of its own; put it back inline
/// (`<text …>B</text>`), which is what readers of the file search for. Plotters escapes `>` in
/// attributes and `<` in content, so the first `>` ends the tag and `</text>` closes it.
fn inline_text(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        let Some(k) = rest[i..].find(">\n") else {
            break;
        };
        out.push_str(&rest[..i + k + 1]);
        rest = &rest[i + k + 2..];
        let Some(j) = rest.find("\n</text>") else {
            break;
        };
        out.push_str(&rest[..j]);
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

/// A plotters text style of `px` pixels (the SVG backend writes `size / 1.24` as font-size).
fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", px * 1.24).into_font())
}

/// Text without the control characters XML does not allow (plotters escapes the rest).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| (c as u32) >= 0x20 || c == '\t' || c == '\n')
        .collect()
}

/// Estimated width of `s` in pixels at `size` (sans-serif averages about 0.6 em per character).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.6
}

/// `#rgb`, `#rrggbb` or a basic colour name; anything else takes the palette colour `i`.
fn color(spec: Option<&str>, i: usize) -> RGBColor {
    let hex = |s: &str| u8::from_str_radix(s, 16).ok();
    let parsed = spec.and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
        "black" => Some((0, 0, 0)),
        "white" => Some((255, 255, 255)),
        "gray" | "grey" => Some((128, 128, 128)),
        "red" => Some((255, 0, 0)),
        "green" => Some((0, 128, 0)),
        "blue" => Some((0, 0, 255)),
        "orange" => Some((255, 165, 0)),
        "purple" => Some((128, 0, 128)),
        s if s.len() == 7 && s.starts_with('#') => {
            Some((hex(&s[1..3])?, hex(&s[3..5])?, hex(&s[5..7])?))
        }
        s if s.len() == 4 && s.starts_with('#') => {
            let d = |k: usize| hex(&s[k..k + 1]).map(|v| v * 17);
            Some((d(1)?, d(2)?, d(3)?))
        }
        _ => None,
    });
    let (r, g, b) = parsed.unwrap_or_else(|| {
        let p = PALETTE[i % PALETTE.len()];
        (
            hex(&p[1..3]).unwrap_or(0),
            hex(&p[3..5]).unwrap_or(0),
            hex(&p[5..7]).unwrap_or(0),
        )
    });
    RGBColor(r, g, b)
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |r, v| {
        Some(r.map_or((v, v), |(a, b): (f64, f64)| (a.min(v), b.max(v))))
    })
}

fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if hi > lo {
        (lo, hi)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        (lo - pad, hi + pad)
    }
}

/// The shared x range: `xlim`, or all panels' data (a time range starting at dt starts at 0).
fn x_range(fig: &Figure, axes: &[Axes]) -> (f64, f64) {
    if let Some((a, b)) = fig.xlim {
        return widen(a.min(b), a.max(b));
    }
    let xs = axes.iter().flat_map(|ax| -> Vec<f64> {
        match &ax.plot {
            Plot::Lines(s) => s
                .iter()
                .flat_map(|s| s.x[..s.y.len().min(s.x.len())].to_vec())
                .collect(),
            Plot::Raster(r) => r
                .iter()
                .flat_map(|r| {
                    let span = r.span.map(|(a, b)| vec![a, b]).unwrap_or_default();
                    r.times.iter().flatten().copied().chain(span)
                })
                .collect(),
        }
    });
    let (a, b) = finite_range(xs)
        .map(|(a, b)| widen(a, b))
        .unwrap_or((0.0, 1.0));
    if a > 0.0 && a <= 0.01 * (b - a) {
        (0.0, b)
    } else {
        (a, b)
    }
}

/// The y range and ticks (in chart coordinates) of one panel; for rasters, also the row count.
/// Raster row `r` (top first) sits at `y = rows - 1 - r`.
struct PanelScale {
    ylo: f64,
    yhi: f64,
    ticks: Vec<(f64, String)>,
    rows: usize,
}

fn panel_scale(ax: &Axes) -> PanelScale {
    match &ax.plot {
        Plot::Lines(series) => {
            let (lo, hi) = match ax.ylim {
                Some((a, b)) => widen(a.min(b), a.max(b)),
                None => {
                    let ys = series
                        .iter()
                        .flat_map(|s| s.y[..s.x.len().min(s.y.len())].to_vec());
                    finite_range(ys).map_or((0.0, 1.0), |(a, b)| {
                        let (a, b) = widen(a, b);
                        let m = 0.05 * (b - a);
                        (a - m, b + m)
                    })
                }
            };
            let ticks = nice_ticks(lo, hi, 5, 0.0).ticks;
            PanelScale {
                ylo: lo,
                yhi: hi,
                ticks,
                rows: 0,
            }
        }
        Plot::Raster(rasters) => {
            let rows: usize = rasters.iter().map(|r| r.times.len()).sum();
            let last = rows.max(1) as f64 - 1.0;
            let ticks = match rows {
                0 | 1 => vec![(0.0, "0".into())],
                _ => nice_ticks(0.0, last, 5, 1.0).ticks,
            };
            let ticks = ticks.into_iter().map(|(v, l)| (last - v, l)).collect();
            PanelScale {
                ylo: -0.5,
                yhi: last + 0.5,
                ticks,
                rows,
            }
        }
    }
}

/// The label of the tick nearest `v`.
fn label_of(ticks: &[(f64, String)], v: f64) -> String {
    ticks
        .iter()
        .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
        .map(|t| t.1.clone())
        .unwrap_or_default()
}

/// A linear axis over `lo..hi` whose gridlines and labels sit at our ticks.
struct TickedAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(lo: f64, hi: f64, ticks: &[(f64, String)]) -> Self {
        let ticks = ticks.iter().map(|t| t.0).collect();
        TickedAxis { lo, hi, ticks }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (a, b): (i32, i32)) -> i32 {
        a + ((v - self.lo) / (self.hi - self.lo) * f64::from(b - a)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Only bold points (gridlines with labels), no light ones.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Sizes shared by every panel, in pixels.
struct Layout {
    panel_h: i32,
    /// Left of the plot: y tick labels and the y label.
    left: i32,
    /// Right of the plot: the legend.
    right: i32,
    /// Under the last panel: x tick labels and the x label.
    bottom: i32,
}

fn panel_title_h(ax: &Axes) -> i32 {
    if ax.title.is_empty() {
        0
    } else {
        LABEL_FONT as i32 + 8
    }
}

fn draw_figure(fig: &Figure, out: &mut String) -> Drawn {
    let empty = [Axes::lines()];
    let axes: &[Axes] = if fig.axes.is_empty() {
        &empty
    } else {
        &fig.axes
    };
    let width = fig.width.max(200) as i32;
    let (x0, x1) = x_range(fig, axes);
    let xticks = nice_ticks(
        x0,
        x1,
        ((width as f64 - 160.0) / 90.0).max(2.0) as usize,
        0.0,
    );
    let scales: Vec<PanelScale> = axes.iter().map(panel_scale).collect();

    let ytick_w = scales
        .iter()
        .flat_map(|s| s.ticks.iter().map(|t| text_width(&t.1, TICK_FONT)))
        .fold(0.0, f64::max);
    let has_ylabel = axes.iter().any(|a| !a.ylabel.is_empty());
    let legend_w = axes
        .iter()
        .flat_map(|ax| -> Vec<f64> {
            match &ax.plot {
                Plot::Lines(s) => s.iter().map(|s| text_width(&s.label, TICK_FONT)).collect(),
                Plot::Raster(r) => r.iter().map(|r| text_width(&r.label, TICK_FONT)).collect(),
            }
        })
        .fold(0.0, f64::max);
    let layout = Layout {
        panel_h: fig.panel_height.max(40) as i32,
        left: (12.0 + ytick_w + if has_ylabel { LABEL_FONT + 12.0 } else { 0.0 }).ceil() as i32,
        right: if legend_w > 0.0 {
            (52.0 + legend_w).ceil() as i32
        } else {
            20
        },
        bottom: (TICK_FONT
            + 16.0
            + if fig.xlabel.is_empty() {
                0.0
            } else {
                LABEL_FONT + 10.0
            }) as i32,
    };
    let top = if fig.title.is_empty() {
        12
    } else {
        24 + TITLE_FONT as i32
    };
    let blocks: Vec<i32> = axes
        .iter()
        .enumerate()
        .map(|(k, ax)| {
            let below = if k + 1 == axes.len() {
                layout.bottom
            } else {
                GAP
            };
            panel_title_h(ax) + layout.panel_h + below
        })
        .collect();
    let height = top + blocks.iter().sum::<i32>();

    let root = SVGBackend::with_string(out, (width as u32, height as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let centre = 6 + layout.left + (width - 6 - layout.left - layout.right) / 2;
    if !fig.title.is_empty() {
        let style = TextStyle::from(
            ("sans-serif", TITLE_FONT * 1.24)
                .into_font()
                .style(FontStyle::Bold),
        )
        .pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(clean(&fig.title), (centre, 12), style))?;
    }
    let mut y = top;
    for (k, ((ax, sc), h)) in axes.iter().zip(&scales).zip(&blocks).enumerate() {
        let block = root.clone().shrink((0, y), (width, *h));
        if !ax.title.is_empty() {
            let style = font(LABEL_FONT).pos(Pos::new(HPos::Center, VPos::Top));
            block.draw(&Text::new(clean(&ax.title), (centre, 2), style))?;
        }
        let xlabel = (k + 1 == axes.len()).then_some(fig.xlabel.as_str());
        draw_panel(&root, &block, &layout, ax, sc, (x0, x1), &xticks, xlabel)?;
        y += h;
    }
    root.present()?;
    Ok(())
}

/// One panel: axes and grid by plotters, then the data and the legend. `xlabel` is `Some` for
/// the bottom panel, which carries the x tick labels.
#[allow(clippy::too_many_arguments)]
fn draw_panel(
    root: &Root<'_>,
    block: &Root<'_>,
    layout: &Layout,
    ax: &Axes,
    sc: &PanelScale,
    (x0, x1): (f64, f64),
    xticks: &Ticks,
    xlabel: Option<&str>,
) -> Drawn {
    let mut chart = ChartBuilder::on(block)
        .margin_top(panel_title_h(ax))
        .margin_left(6)
        .margin_right(layout.right)
        .margin_bottom(if xlabel.is_some() { 0 } else { GAP })
        .y_label_area_size(layout.left)
        .x_label_area_size(if xlabel.is_some() { layout.bottom } else { 0 })
        .build_cartesian_2d(
            TickedAxis::new(x0, x1, &xticks.ticks),
            TickedAxis::new(sc.ylo, sc.yhi, &sc.ticks),
        )?;
    let xfmt = |v: &f64| label_of(&xticks.ticks, *v);
    let yfmt = |v: &f64| label_of(&sc.ticks, *v);
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID)
        .axis_style(INK)
        .label_style(font(TICK_FONT).color(&INK))
        .axis_desc_style(font(LABEL_FONT))
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt);
    if let Some(l) = xlabel.filter(|l| !l.is_empty()) {
        mesh.x_desc(clean(l));
    }
    if !ax.ylabel.is_empty() {
        mesh.y_desc(clean(&ax.ylabel));
    }
    mesh.draw()?;

    let (px, py) = chart.plotting_area().get_pixel_range();
    let mut legend: Vec<(String, RGBColor, bool)> = Vec::new();
    match &ax.plot {
        Plot::Lines(series) => {
            let columns = (px.end - px.start).max(1) as usize;
            for (i, s) in series.iter().enumerate() {
                let c = color(s.color.as_deref(), i);
                let n = s.x.len().min(s.y.len());
                let (x, y) = (&s.x[..n], &s.y[..n]);
                // Non-finite points break the line into separately drawn pieces.
                let mut pieces: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
                for j in downsample_indices(x, y, x0, x1, columns) {
                    let inside = x[j] >= x0 && x[j] <= x1;
                    if x[j].is_finite() && y[j].is_finite() && inside {
                        pieces.last_mut().expect("one piece").push((x[j], y[j]));
                    } else if pieces.last().is_some_and(|p| !p.is_empty()) {
                        pieces.push(Vec::new());
                    }
                }
                for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
                    chart.draw_series(LineSeries::new(piece, c.stroke_width(LINE_W)))?;
                }
                if !s.label.is_empty() {
                    legend.push((clean(&s.label), c, false));
                }
            }
        }
        Plot::Raster(rasters) => {
            let row_h = (py.end - py.start) as f64 / sc.rows.max(1) as f64;
            let tick_h = (row_h * 0.8).round().max(1.0) as i32;
            let mut row = 0usize;
            for (i, r) in rasters.iter().enumerate() {
                let c = color(r.color.as_deref(), i);
                if i > 0 {
                    // A thin line between two rasters.
                    let yb = py.start + (row as f64 * row_h).round() as i32;
                    root.draw(&PathElement::new(
                        [(px.start, yb), (px.end - 1, yb)],
                        INK.mix(0.4),
                    ))?;
                }
                for times in &r.times {
                    let yc = py.start as f64 + (row as f64 + 0.5) * row_h;
                    let top = (yc - tick_h as f64 / 2.0).round() as i32;
                    for (xa, xb) in tick_runs(times, x0, x1, |t| chart.backend_coord(&(t, 0.0)).0) {
                        root.draw(&Rectangle::new(
                            [(xa, top), (xb + 1, top + tick_h)],
                            c.filled(),
                        ))?;
                    }
                    row += 1;
                }
                if !r.label.is_empty() {
                    legend.push((clean(&r.label), c, true));
                }
            }
        }
    }
    // On top of plotters' axis lines, which sit just outside the plotting area.
    let frame = [(px.start - 1, py.start - 1), (px.end, py.end)];
    root.draw(&Rectangle::new(frame, INK.stroke_width(1)))?;

    // The legend, outside the plot on the right, top-aligned.
    let lx = px.end + 16;
    for (i, (label, c, tick)) in legend.iter().enumerate() {
        let y = py.start + 8 + i as i32 * (TICK_FONT as i32 + 6);
        if y + 4 > py.end {
            break;
        }
        if *tick {
            for dx in [4, 10, 16] {
                root.draw(&Rectangle::new(
                    [(lx + dx, y - 5), (lx + dx + 2, y + 5)],
                    c.filled(),
                ))?;
            }
        } else {
            root.draw(&PathElement::new(
                [(lx, y), (lx + 20, y)],
                c.stroke_width(2),
            ))?;
        }
        let style = font(TICK_FONT).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(label.clone(), (lx + 26, y), style))?;
    }
    Ok(())
}

/// The pixel columns `[xa, xb]` where one neuron row has spikes within `[x0, x1]`: one column per
/// spike, neighbouring columns joined (a dense stretch becomes one solid bar, as the eye sees it).
fn tick_runs(times: &[f64], x0: f64, x1: f64, px: impl Fn(f64) -> i32) -> Vec<(i32, i32)> {
    let mut cols: Vec<i32> = times
        .iter()
        .filter(|t| t.is_finite() && **t >= x0 && **t <= x1)
        .map(|&t| px(t))
        .collect();
    cols.sort_unstable();
    cols.dedup();
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for c in cols {
        match runs.last_mut() {
            Some(run) if run.1 + 1 == c => run.1 = c,
            _ => runs.push((c, c)),
        }
    }
    runs
}
