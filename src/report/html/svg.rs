//! Hand-written SVG chart primitives: scales (linear, log, "nines" percentile),
//! tick generation, a plot frame with grid, axes, axis labels and units, and
//! the marks drawn on it (polylines, bars, reference lines).
//!
//! Colours are never written here: every mark carries a class (`s0`..`s11`
//! for series, `zone-*` for semantic bars) and the page's CSS maps them to
//! colours, so one chart reads in light mode, dark mode and print. Each chart
//! renders as `<figure data-chart=ID data-points=N>`, N being the number of
//! data marks drawn (polyline vertices plus bars), so tests can check that
//! data reached the page.

use super::escape::esc;
pub(super) use super::scale::{decimate, Scale};
use std::fmt::Write;

/// Viewbox width of a half-width chart (the page scales it to the column width).
pub(super) const WIDTH: f64 = 640.0;
/// At most this many vertices per polyline; longer series are decimated.
pub(super) const MAX_POINTS_PER_SERIES: usize = 1500;

const LEFT: f64 = 66.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 46.0;

/// One axis: scale, label with unit, tick formatter and optional fixed ticks.
pub(super) struct Axis {
    /// The value mapping.
    pub scale: Scale,
    /// Label including the unit, e.g. "latency (ms, log scale)".
    pub label: String,
    /// Tick label formatter.
    pub fmt: fn(f64) -> String,
    /// Ticks to use instead of the scale's own (e.g. category names).
    pub fixed_ticks: Option<Vec<(f64, String)>>,
}

impl Axis {
    /// An axis with the scale's own ticks.
    pub(super) fn new(scale: Scale, label: impl Into<String>, fmt: fn(f64) -> String) -> Axis {
        Axis {
            scale,
            label: label.into(),
            fmt,
            fixed_ticks: None,
        }
    }

    fn ticks(&self) -> Vec<(f64, String)> {
        self.fixed_ticks
            .clone()
            .unwrap_or_else(|| self.scale.ticks(self.fmt))
    }
}

/// One legend entry: label and the class giving its colour.
struct LegendItem {
    label: String,
    class: String,
    dashed: bool,
}

/// A chart being built: frame, marks, legend; rendered with [`Chart::render`].
pub(super) struct Chart {
    id: &'static str,
    title: String,
    note: String,
    width: f64,
    height: f64,
    left: f64,
    x: Axis,
    y: Axis,
    y2: Option<Axis>,
    marks: String,
    points: usize,
    legend: Vec<LegendItem>,
}

impl Chart {
    /// A chart `id` (the `data-chart` value) with a title, a note under it and two axes.
    pub(super) fn new(id: &'static str, title: &str, note: &str, x: Axis, y: Axis) -> Chart {
        Chart {
            id,
            title: title.to_string(),
            note: note.to_string(),
            width: WIDTH,
            height: 300.0,
            left: LEFT,
            x,
            y,
            y2: None,
            marks: String::new(),
            points: 0,
            legend: Vec::new(),
        }
    }

    /// Add a right-hand axis (series drawn with `right = true` use it).
    pub(super) fn with_y2(mut self, axis: Axis) -> Chart {
        self.y2 = Some(axis);
        self
    }

    /// Override the viewbox size and the left margin (full-width charts, long category labels).
    pub(super) fn with_size(mut self, width: f64, height: f64, left: f64) -> Chart {
        self.width = width;
        self.height = height;
        self.left = left;
        self
    }

    fn right(&self) -> f64 {
        if self.y2.is_some() {
            self.width - 62.0
        } else {
            self.width - 24.0
        }
    }

    fn bottom(&self) -> f64 {
        self.height - BOTTOM
    }

    /// Pixel x of a data value.
    pub(super) fn px(&self, v: f64) -> f64 {
        self.left + self.x.scale.unit(v) * (self.right() - self.left)
    }

    /// Pixel y of a data value on the left (or right) axis.
    pub(super) fn py(&self, v: f64, right: bool) -> f64 {
        let axis = match (&self.y2, right) {
            (Some(a), true) => a,
            _ => &self.y,
        };
        self.bottom() - axis.scale.unit(v) * (self.bottom() - TOP)
    }

    /// Draw a series as a polyline in colour class `class` and add it to the legend.
    pub(super) fn line(
        &mut self,
        points: &[(f64, f64)],
        class: &str,
        label: &str,
        right: bool,
        dashed: bool,
    ) {
        let pts = decimate(points, MAX_POINTS_PER_SERIES);
        if !pts.is_empty() {
            let mut attr = String::with_capacity(pts.len() * 12);
            for (x, y) in &pts {
                let _ = write!(attr, "{:.1},{:.1} ", self.px(*x), self.py(*y, right));
            }
            let dash = if dashed { " dashed" } else { "" };
            let _ = writeln!(
                self.marks,
                r#"<polyline class="series {}{dash}" points="{}"/>"#,
                esc(class),
                attr.trim_end()
            );
            self.points += pts.len();
        }
        self.legend_item(label, class, dashed);
    }

    /// Draw a bar between data coordinates (x0, y0) and (x1, y1) in class `class`.
    pub(super) fn bar(&mut self, x0: f64, x1: f64, y0: f64, y1: f64, class: &str, tip: &str) {
        let (a, b) = (self.px(x0), self.px(x1));
        let (c, d) = (self.py(y0, false), self.py(y1, false));
        self.rect(a.min(b), c.min(d), (b - a).abs(), (d - c).abs(), class, tip);
    }

    /// Draw a bar in pixel coordinates (for charts that lay out their own bars).
    pub(super) fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, class: &str, tip: &str) {
        let _ = writeln!(
            self.marks,
            r#"<rect class="bar {}" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}</title></rect>"#,
            esc(class),
            w.max(0.5),
            h.max(0.5),
            esc(tip)
        );
        self.points += 1;
    }

    /// A vertical reference line at data value `x`, labelled on its left (`left`) or right side,
    /// in label row `row` (0 = top) so that labels of neighbouring lines do not overlap.
    pub(super) fn vline(&mut self, x: f64, class: &str, label: &str, left: bool, row: usize) {
        let px = self.px(x);
        // A label that would run past the right edge goes on the left (about 6.8 px a character).
        let left = left || px + 4.0 + label.chars().count() as f64 * 6.8 > self.width;
        let (anchor, dx) = if left { ("end", -4.0) } else { ("start", 4.0) };
        let dy = 12.0 + 14.0 * row as f64;
        let _ = writeln!(
            self.marks,
            r#"<line class="ref {c}" x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{b:.1}"/><text class="ref-label {c}" x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            px + dx,
            TOP + dy,
            esc(label),
            c = esc(class),
            b = self.bottom()
        );
    }

    /// A horizontal reference line at data value `y` of the left axis, labelled above its
    /// right end.
    pub(super) fn hline(&mut self, y: f64, class: &str, label: &str) {
        let py = self.py(y, false);
        let _ = writeln!(
            self.marks,
            r#"<line class="ref {c}" x1="{:.1}" x2="{r:.1}" y1="{py:.1}" y2="{py:.1}"/><text class="ref-label {c}" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            self.left,
            self.right() - 4.0,
            py - 4.0,
            esc(label),
            c = esc(class),
            r = self.right()
        );
    }

    /// Add a legend entry without drawing (for bar charts).
    pub(super) fn legend_item(&mut self, label: &str, class: &str, dashed: bool) {
        if !label.is_empty() && !self.legend.iter().any(|l| l.label == label) {
            self.legend.push(LegendItem {
                label: label.to_string(),
                class: class.to_string(),
                dashed,
            });
        }
    }

    /// Number of data marks drawn so far.
    #[cfg(test)]
    pub(super) fn points(&self) -> usize {
        self.points
    }

    /// Write the chart as a `<figure>` into `out`.
    pub(super) fn render(&self, out: &mut String) {
        let (w, h) = (self.width, self.height);
        let _ = writeln!(
            out,
            r#"<figure class="chart" data-chart="{id}" data-points="{n}" id="chart-{id}">
<figcaption><h3>{title}</h3><p class="note">{note}</p></figcaption>
<svg viewBox="0 0 {w} {h}" role="img" aria-label="{title}" preserveAspectRatio="xMidYMid meet">"#,
            id = self.id,
            n = self.points,
            title = esc(&self.title),
            note = esc(&self.note),
        );
        self.render_axes(out);
        out.push_str(&self.marks);
        if self.points == 0 {
            let _ = writeln!(
                out,
                r#"<text class="empty" x="{:.1}" y="{:.1}" text-anchor="middle">no data in this run</text>"#,
                (self.left + self.right()) / 2.0,
                (TOP + self.bottom()) / 2.0
            );
        }
        out.push_str("</svg>\n");
        if !self.legend.is_empty() {
            out.push_str(r#"<ul class="legend">"#);
            for item in &self.legend {
                let dash = if item.dashed { " dashed" } else { "" };
                let _ = write!(
                    out,
                    r#"<li><span class="sw {}{dash}"></span>{}</li>"#,
                    esc(&item.class),
                    esc(&item.label)
                );
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</figure>\n");
    }

    fn render_axes(&self, out: &mut String) {
        let (l, r, t, b) = (self.left, self.right(), TOP, self.bottom());
        out.push_str(r#"<g class="axes">"#);
        for (v, label) in self.y.ticks() {
            let y = self.py(v, false);
            let _ = write!(
                out,
                r#"<line class="grid" x1="{l:.1}" x2="{r:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                l - 6.0,
                y + 4.0,
                esc(&label)
            );
        }
        if let Some(y2) = &self.y2 {
            for (v, label) in y2.ticks() {
                let y = self.py(v, true);
                let _ = write!(
                    out,
                    r#"<text class="tick right" x="{:.1}" y="{:.1}">{}</text>"#,
                    r + 6.0,
                    y + 4.0,
                    esc(&label)
                );
            }
            let _ = write!(
                out,
                r#"<text class="axis-label right" transform="translate({:.1} {:.1}) rotate(90)" text-anchor="middle">{}</text>"#,
                self.width - 8.0,
                (t + b) / 2.0,
                esc(&y2.label)
            );
        }
        for (v, label) in self.x.ticks() {
            let x = self.px(v);
            // A label at the right edge would be cut off: right-align it there.
            let anchor = if x > r - 20.0 { "end" } else { "middle" };
            let _ = write!(
                out,
                r#"<line class="grid x" x1="{x:.1}" x2="{x:.1}" y1="{t:.1}" y2="{b:.1}"/><text class="tick" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                b + 16.0,
                esc(&label)
            );
        }
        let _ = write!(
            out,
            r#"<line class="axis" x1="{l:.1}" x2="{r:.1}" y1="{b:.1}" y2="{b:.1}"/><line class="axis" x1="{l:.1}" x2="{l:.1}" y1="{t:.1}" y2="{b:.1}"/><text class="axis-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="axis-label" transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">{}</text></g>"#,
            (l + r) / 2.0,
            self.height - 8.0,
            esc(&self.x.label),
            (t + b) / 2.0,
            esc(&self.y.label)
        );
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_counts_drawn_points_and_escapes_labels() {
        let x = Axis::new(Scale::linear_from_zero(10.0), "t (s)", |v| v.to_string());
        let y = Axis::new(Scale::linear_from_zero(10.0), "v", |v| v.to_string());
        let mut c = Chart::new("t", "<b>", "n", x, y);
        c.line(
            &[(0.0, 1.0), (5.0, 2.0), (f64::NAN, 1.0)],
            "s0",
            "a<b",
            false,
            false,
        );
        c.bar(1.0, 2.0, 0.0, 3.0, "s1", "tip");
        let mut out = String::new();
        c.render(&mut out);
        assert_eq!(c.points(), 3);
        assert!(out.contains(r#"data-points="3""#));
        assert!(!out.contains("<b>") && out.contains("a&lt;b"));
    }
}
