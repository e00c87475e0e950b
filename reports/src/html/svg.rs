//! Hand-written SVG charts, drawn server-side so `report.html` needs no chart library, no
//! network and no script to show them: a line chart (optionally with a second y axis) and a
//! grouped bar chart. Every drawn value is also written as a `data-*` attribute and into a
//! `<table>` under the chart, so tests and screen readers get the numbers, not just pixels.

use std::fmt::Write as _;

use super::escape;

/// Series colours, chosen to stay distinct for the common colour-vision deficiencies.
const PALETTE: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 260.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;
const LEFT: f64 = 64.0;
/// Right margin without and with a second axis.
const RIGHT: (f64, f64) = (16.0, 64.0);
/// Above this many points a line gets no per-point markers: they would only blur it.
const MAX_MARKERS: usize = 120;
/// The widest a bar gets, in pixels.
const MAX_BAR: f64 = 28.0;

/// Which y axis a series is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Axis {
    /// The left axis, labelled [`LineChart::y_label`].
    Left,
    /// The right axis, labelled [`LineChart::y2_label`].
    Right,
}

/// One line: a key for `data-series`, a legend label and its points.
pub(super) struct Series {
    /// Machine name, e.g. `ttft_p95`.
    pub key: String,
    /// Legend text, e.g. `TTFT p95`.
    pub label: String,
    /// Points `(x, y)`; non-finite ones are left out.
    pub points: Vec<(f64, f64)>,
    /// The axis the series is read against.
    pub axis: Axis,
}

/// A line chart over a numeric x axis.
pub(super) struct LineChart {
    /// `data-chart` value, e.g. `latency`.
    pub kind: &'static str,
    /// Caption and SVG `<title>`.
    pub title: String,
    /// X axis label with its unit.
    pub x_label: String,
    /// Left y axis label with its unit.
    pub y_label: String,
    /// Right y axis label; only drawn when a series uses [`Axis::Right`].
    pub y2_label: String,
    /// The lines.
    pub series: Vec<Series>,
    /// Extra `data-*` attributes for the figure, e.g. `("phase", "short-c20")`.
    pub attrs: Vec<(&'static str, String)>,
}

/// A bar chart: one group of bars per category, one bar per series in each group.
pub(super) struct BarChart {
    /// `data-chart` value.
    pub kind: &'static str,
    /// Caption and SVG `<title>`.
    pub title: String,
    /// Y axis label with its unit.
    pub y_label: String,
    /// The groups along x (phase names).
    pub groups: Vec<String>,
    /// `(key, label, one value per group)`.
    pub series: Vec<(String, String, Vec<f64>)>,
}

/// A linear scale from data to pixels.
#[derive(Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    px_lo: f64,
    px_hi: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        self.px_lo + (v - self.lo) / (self.hi - self.lo) * (self.px_hi - self.px_lo)
    }
}

/// Round tick positions covering `[lo, hi]` (1, 2 or 5 times a power of ten apart), and the
/// domain widened to the outer ticks.
fn ticks(lo: f64, hi: f64) -> (Vec<f64>, f64, f64) {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let last = (hi / step).ceil() * step;
    let n = ((last - first) / step).round() as usize;
    ((0..=n).map(|i| first + i as f64 * step).collect(), first, last)
}

/// A tick label with as many decimals as the step between ticks needs.
fn tick_label(v: f64, ticks: &[f64]) -> String {
    let step = if ticks.len() > 1 { ticks[1] - ticks[0] } else { 1.0 };
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// The data range of some values, with 0 included when `from_zero` (latencies, rates).
fn range(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if from_zero { (lo.min(0.0), hi.max(0.0)) } else { (lo, hi) }
}

/// A number for a `data-*` attribute or a table cell: shortest exact form, 3 decimals at most.
pub(super) fn num(v: f64) -> String {
    let rounded = (v * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

fn open_figure(out: &mut String, kind: &str, title: &str, attrs: &[(&'static str, String)]) {
    let _ = write!(out, "<figure class=\"chart\" data-chart=\"{kind}\"");
    for (k, v) in attrs {
        let _ = write!(out, " data-{k}=\"{}\"", escape(v));
    }
    let _ = writeln!(out, ">\n<figcaption>{}</figcaption>", escape(title));
}

fn legend(out: &mut String, items: &[(String, String)]) {
    out.push_str("<ul class=\"legend\">");
    for (i, (key, label)) in items.iter().enumerate() {
        let _ = write!(
            out,
            "<li data-series=\"{}\"><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            escape(key),
            PALETTE[i % PALETTE.len()],
            escape(label)
        );
    }
    out.push_str("</ul>\n");
}

/// Axis lines, gridlines, tick labels and the axis title for one y axis.
fn y_axis(out: &mut String, scale: Scale, ticks: &[f64], x: f64, grid_to: f64, label: &str, right: bool) {
    let _ =
        write!(out, "<line class=\"axis\" x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\"/>", HEIGHT - BOTTOM);
    let (anchor, dx) = if right { ("start", 6.0) } else { ("end", -6.0) };
    for t in ticks {
        let y = scale.at(*t);
        if !right {
            let _ =
                write!(out, "<line class=\"grid\" x1=\"{x}\" y1=\"{y:.1}\" x2=\"{grid_to}\" y2=\"{y:.1}\"/>");
        }
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
            x + dx,
            y + 4.0,
            tick_label(*t, ticks)
        );
    }
    let (tx, rot) = if right { (WIDTH - 8.0, 90) } else { (14.0, -90) };
    let ty = (TOP + HEIGHT - BOTTOM) / 2.0;
    let _ = write!(
        out,
        "<text class=\"label\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" transform=\"rotate({rot} {tx} {ty})\">{}</text>",
        escape(label)
    );
}

/// Renders a line chart as a `<figure>` holding the SVG, its legend and a data table.
pub(super) fn line_chart(c: &LineChart) -> String {
    let has_right = c.series.iter().any(|s| s.axis == Axis::Right);
    let right_margin = if has_right { RIGHT.1 } else { RIGHT.0 };
    let points = |axis: Option<Axis>| {
        c.series.iter().filter(move |s| axis.is_none_or(|a| s.axis == a)).flat_map(|s| s.points.iter())
    };
    let (x_lo, x_hi) = range(points(None).map(|p| p.0), false);
    let (xt, x_lo, x_hi) = ticks(x_lo, x_hi);
    let x = Scale { lo: x_lo, hi: x_hi, px_lo: LEFT, px_hi: WIDTH - right_margin };
    let y_for = |axis| {
        let (lo, hi) = range(points(Some(axis)).map(|p| p.1), true);
        let (t, lo, hi) = ticks(lo, hi);
        (t, Scale { lo, hi, px_lo: HEIGHT - BOTTOM, px_hi: TOP })
    };
    let (yt, y) = y_for(Axis::Left);
    let (y2t, y2) = y_for(Axis::Right);

    let mut out = String::new();
    open_figure(&mut out, c.kind, &c.title, &c.attrs);
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(&c.title)
    );
    y_axis(&mut out, y, &yt, LEFT, WIDTH - right_margin, &c.y_label, false);
    if has_right {
        y_axis(&mut out, y2, &y2t, WIDTH - right_margin, 0.0, &c.y2_label, true);
    }
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>",
        WIDTH - right_margin
    );
    for t in &xt {
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            x.at(*t),
            base + 16.0,
            tick_label(*t, &xt)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        (LEFT + WIDTH - right_margin) / 2.0,
        HEIGHT - 8.0,
        escape(&c.x_label)
    );
    for (i, s) in c.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let ys = if s.axis == Axis::Left { y } else { y2 };
        let pts: Vec<(f64, f64)> =
            s.points.iter().copied().filter(|(a, b)| a.is_finite() && b.is_finite()).collect();
        let pixels: Vec<String> =
            pts.iter().map(|(a, b)| format!("{:.1},{:.1}", x.at(*a), ys.at(*b))).collect();
        let values: Vec<String> = pts.iter().map(|(a, b)| format!("{},{}", num(*a), num(*b))).collect();
        // Right-axis lines are dashed so a reader can tell which axis to read them against.
        let dash = if s.axis == Axis::Right { " stroke-dasharray=\"6 3\"" } else { "" };
        let _ = write!(
            out,
            "<g data-series=\"{}\"><polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash} points=\"{}\" data-values=\"{}\"/>",
            escape(&s.key),
            pixels.join(" "),
            values.join(";")
        );
        if pts.len() <= MAX_MARKERS {
            for (a, b) in &pts {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"><title>{}: {} at {}</title></circle>",
                    x.at(*a),
                    ys.at(*b),
                    escape(&s.label),
                    num(*b),
                    num(*a)
                );
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    let items: Vec<(String, String)> = c
        .series
        .iter()
        .map(|s| {
            let label = if s.axis == Axis::Right {
                format!("{} (right axis, dashed)", s.label)
            } else {
                s.label.clone()
            };
            (s.key.clone(), label)
        })
        .collect();
    legend(&mut out, &items);
    line_table(&mut out, c);
    out.push_str("</figure>\n");
    out
}

/// The numbers behind a line chart: one row per x value, one column per series.
fn line_table(out: &mut String, c: &LineChart) {
    let mut xs: Vec<f64> =
        c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).filter(|v| v.is_finite()).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    out.push_str("<details><summary>Data</summary><table class=\"data\"><thead><tr>");
    let _ = write!(out, "<th class=\"num\">{}</th>", escape(&c.x_label));
    for s in &c.series {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(&s.label));
    }
    out.push_str("</tr></thead><tbody>\n");
    for xv in xs {
        let _ = write!(out, "<tr><td class=\"num\">{}</td>", num(xv));
        for s in &c.series {
            let cell = s
                .points
                .iter()
                .find(|p| p.0 == xv)
                .filter(|p| p.1.is_finite())
                .map_or_else(|| "-".into(), |p| num(p.1));
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></details>\n");
}

/// Renders a grouped bar chart as a `<figure>` holding the SVG, its legend and a data table.
pub(super) fn bar_chart(c: &BarChart) -> String {
    let width = WIDTH.max(LEFT + RIGHT.0 + c.groups.len() as f64 * (c.series.len() as f64 * 14.0 + 24.0));
    let (lo, hi) = range(c.series.iter().flat_map(|s| s.2.iter().copied()), true);
    let (yt, lo, hi) = ticks(lo, hi);
    let y = Scale { lo, hi, px_lo: HEIGHT - BOTTOM, px_hi: TOP };
    let mut out = String::new();
    open_figure(&mut out, c.kind, &c.title, &[]);
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {width} {HEIGHT}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(&c.title)
    );
    y_axis(&mut out, y, &yt, LEFT, width - RIGHT.0, &c.y_label, false);
    let base = HEIGHT - BOTTOM;
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>",
        width - RIGHT.0
    );
    let group_w = (width - LEFT - RIGHT.0) / c.groups.len().max(1) as f64;
    // Bars stay slim when there are few groups, centred in their group's slot.
    let bar_w = ((group_w - 16.0) / c.series.len().max(1) as f64).min(MAX_BAR);
    let bars_w = bar_w * c.series.len() as f64;
    for (g, name) in c.groups.iter().enumerate() {
        let gx = LEFT + g as f64 * group_w + (group_w - bars_w) / 2.0;
        for (i, (key, label, values)) in c.series.iter().enumerate() {
            let Some(v) = values.get(g).copied().filter(|v| v.is_finite()) else { continue };
            let top = y.at(v);
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\" data-series=\"{}\" data-group=\"{}\" data-value=\"{}\"><title>{}, {}: {}</title></rect>",
                gx + i as f64 * bar_w,
                (bar_w - 1.0).max(1.0),
                (base - top).max(0.0),
                PALETTE[i % PALETTE.len()],
                escape(key),
                escape(name),
                num(v),
                escape(name),
                escape(label),
                num(v)
            );
        }
        let _ = write!(
            out,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            gx + bars_w / 2.0,
            base + 16.0,
            escape(name)
        );
    }
    let _ = writeln!(
        out,
        "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">phase</text>",
        (LEFT + width) / 2.0,
        HEIGHT - 8.0
    );
    out.push_str("</svg>\n");
    legend(&mut out, &c.series.iter().map(|s| (s.0.clone(), s.1.clone())).collect::<Vec<_>>());
    out.push_str("<details><summary>Data</summary><table class=\"data\"><thead><tr><th>Phase</th>");
    for (_, label, _) in &c.series {
        let _ = write!(out, "<th class=\"num\">{}</th>", escape(label));
    }
    out.push_str("</tr></thead><tbody>\n");
    for (g, name) in c.groups.iter().enumerate() {
        let _ = write!(out, "<tr><td>{}</td>", escape(name));
        for (_, _, values) in &c.series {
            let cell = values.get(g).copied().filter(|v| v.is_finite()).map_or_else(|| "-".into(), num);
            let _ = write!(out, "<td class=\"num\">{cell}</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></details>\n</figure>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let (t, lo, hi) = ticks(0.0, 87.0);
        assert_eq!((lo, hi), (0.0, 100.0));
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (t, _, _) = ticks(3.0, 3.0);
        assert!(t.len() >= 2 && t[0] <= 2.5 && *t.last().unwrap_or(&0.0) >= 3.5, "{t:?}");
        assert_eq!(tick_label(0.25, &[0.0, 0.05]), "0.25");
        assert_eq!(tick_label(200.0, &[0.0, 100.0]), "200");
    }

    #[test]
    fn a_right_axis_is_drawn_only_when_a_series_uses_it() {
        let chart = |axis| LineChart {
            kind: "t",
            title: "T".into(),
            x_label: "x".into(),
            y_label: "left".into(),
            y2_label: "right-unit".into(),
            series: vec![Series { key: "k".into(), label: "K".into(), points: vec![(1.0, 2.0)], axis }],
            attrs: vec![],
        };
        assert!(line_chart(&chart(Axis::Right)).contains("right-unit"));
        assert!(!line_chart(&chart(Axis::Left)).contains("right-unit"));
    }

    #[test]
    fn non_finite_points_are_left_out() {
        let c = LineChart {
            kind: "t",
            title: "T".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            y2_label: String::new(),
            series: vec![Series {
                key: "k".into(),
                label: "K".into(),
                points: vec![(1.0, 2.0), (2.0, f64::NAN), (3.0, 4.5)],
                axis: Axis::Left,
            }],
            attrs: vec![],
        };
        let html = line_chart(&c);
        assert!(html.contains("data-values=\"1,2;3,4.5\""), "{html}");
        assert_eq!(html.matches("<circle").count(), 2);
    }
}
