//! The chart of one versus run, as SVG (`target/versus.svg`; README.md shows a copy,
//! `docs/versus.svg`), drawn with plotters' SVG backend.
//!
//! 1. A header: the title, two lines that say by which command, when and on what machine
//!    the figures were taken, and the legend (one colour per runtime of [`RUNTIMES`]).
//! 2. The upper panel: one group of bars per time or throughput workload, each runtime's
//!    cost relative to goro's (goro = 1, a line marks it; lower is better), the ratio
//!    printed on each peer's bar. Names too wide for their group (many workloads) go on
//!    two rows, every other one lower.
//! 3. The lower panel: memory per task, one group per memory workload, in bytes, printed on
//!    each bar; beside it, how to read the chart.
//!
//! Each panel's axis is scaled to goro's and the async peers' bars; a thread-per-unit bar
//! that would stand far above them (hundreds of times goro's) is cut just above the
//! tallest of them, drawn with a white break, and still carries its real figure. The output
//! depends only on the [`Results`] given: the same results give the same bytes.
//!
//! Sizes are for a page about 900 pixels wide, as GitHub shows a README. Font sizes are
//! given to plotters, which writes them into the SVG about a fifth smaller.

use std::error::Error;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::results::{Figure, RUNTIMES, Results, bytes, decimals};

/// The picture, its rows (header, upper panel; the lower panel takes the rest), and the
/// width of the lower panel's chart (the notes take the rest).
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 780;
const HEADER_HEIGHT: u32 = 128;
const UPPER_HEIGHT: u32 = 380;
const MEMORY_WIDTH: u32 = 540;
/// One colour per runtime of [`RUNTIMES`]: Go's blue for goro, then three that stay apart.
const COLOURS: [RGBColor; 4] = [
    RGBColor(0, 173, 216),
    RGBColor(206, 92, 38),
    RGBColor(123, 76, 184),
    RGBColor(150, 150, 150),
];
const GREY_TEXT: RGBColor = RGBColor(80, 80, 80);
const GRID: RGBColor = RGBColor(228, 228, 228);
/// The part of a group's width its bars take, and the part of a bar's slot it fills.
const GROUP_FILL: f64 = 0.84;
const BAR_FILL: f64 = 0.86;
/// The axis's top over the tallest bar that decides the scale: room for its label.
const HEADROOM: f64 = 1.22;
/// How tall a cut bar is drawn, over that tallest bar; and where its break is.
const CUT_HEIGHT: f64 = 1.1;
const CUT_BREAK: (f64, f64) = (0.98, 1.01);
/// The runtimes whose bars decide a panel's scale: all but the thread per unit.
const SCALED: usize = 3;
/// Below a panel, the height of the names' area with one row of names, and what a second
/// row adds; about how wide a character of a name is; and how much of a panel's width is
/// not the plot (the axis, the margins).
const NAME_AREA: i32 = 34;
const NAME_ROW: i32 = 20;
const NAME_CHAR_WIDTH: f64 = 8.0;
const PLOT_INSET: f64 = 88.0;
const FONT: &str = "sans-serif";
/// How to read the chart, beside the memory panel.
const NOTES: [&str; 7] = [
    "How to read it",
    "Upper: each runtime's time over goro's, per workload",
    "(tcp_echo: its time per round trip over goro's).",
    "Above 1, goro was faster; below 1, the peer was.",
    "Lower: memory per task while tasks wait, in bytes.",
    "Grey bars far above the rest are cut; the figure on top",
    "is theirs. Table and method: README.md, BENCHMARKS.md.",
];

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The chart of `results`, as an SVG document.
pub fn svg(results: &Results) -> Result<String, Box<dyn Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(HEADER_HEIGHT);
        let (upper, lower) = body.split_vertically(UPPER_HEIGHT);
        let (memory, notes) = lower.split_horizontally(MEMORY_WIDTH);
        draw_header(&header, results)?;
        draw_panel(
            &upper,
            &Panel {
                caption: "time relative to goro (goro = 1; lower is faster)",
                figures: &results.workloads,
                value: |figure, runtime| figure.relative[runtime],
                // goro's bars are 1 by definition: the line says it.
                label: |_, runtime, value| (runtime > 0).then(|| decimals(value)),
                axis: |value| format!("{value}x"),
                floor: 1.5,
                goro_line: true,
            },
        )?;
        draw_panel(
            &memory,
            &Panel {
                caption: "memory per task (lower is smaller)",
                figures: &results.memory,
                value: |figure, runtime| figure.values[runtime],
                label: |figure, _, value| Some(figure.format(value)),
                axis: |value| bytes(*value),
                floor: 0.0,
                goro_line: false,
            },
        )?;
        draw_notes(&notes)?;
        root.present()?;
    }
    Ok(svg)
}

fn draw_header(area: &Area, results: &Results) -> Result<(), Box<dyn Error>> {
    let title = TextStyle::from((FONT, 28).into_font()).color(&BLACK);
    area.draw(&Text::new(
        "goro against tokio, async-executor and a thread per unit",
        (16, 12),
        title,
    ))?;
    let small = TextStyle::from((FONT, 17).into_font()).color(&GREY_TEXT);
    area.draw(&Text::new(
        results.taken.run_line(),
        (16, 46),
        small.clone(),
    ))?;
    area.draw(&Text::new(
        results.taken.machine_line(),
        (16, 68),
        small.clone(),
    ))?;
    let mut x = 16;
    for (name, colour) in RUNTIMES.iter().zip(COLOURS) {
        area.draw(&Rectangle::new([(x, 98), (x + 16, 114)], colour.filled()))?;
        area.draw(&Text::new(*name, (x + 22, 99), small.clone()))?;
        // About 8 pixels a character at this size, then a gap.
        x += 22 + name.len() as i32 * 8 + 30;
    }
    Ok(())
}

fn draw_notes(area: &Area) -> Result<(), Box<dyn Error>> {
    let heading = TextStyle::from((FONT, 17).into_font().style(FontStyle::Bold)).color(&BLACK);
    let line = TextStyle::from((FONT, 16).into_font()).color(&GREY_TEXT);
    for (index, note) in NOTES.iter().enumerate() {
        let style = if index == 0 { &heading } else { &line };
        area.draw(&Text::new(
            *note,
            (20, 56 + 24 * index as i32),
            style.clone(),
        ))?;
    }
    Ok(())
}

/// One panel: a group of bars per figure.
struct Panel<'a> {
    caption: &'a str,
    figures: &'a [Figure],
    /// A runtime's bar's height (`None`: no bar).
    value: fn(&Figure, usize) -> Option<f64>,
    /// The text on a runtime's bar, given its value (`None`: none).
    label: fn(&Figure, usize, f64) -> Option<String>,
    /// The text at an axis tick.
    axis: fn(&f64) -> String,
    /// The axis reaches at least this high.
    floor: f64,
    /// Whether to mark goro's level, 1.
    goro_line: bool,
}

fn draw_panel(area: &Area, panel: &Panel) -> Result<(), Box<dyn Error>> {
    let groups = panel.figures.len() as f64;
    let tallest = panel
        .figures
        .iter()
        .flat_map(|figure| (0..SCALED).filter_map(|runtime| (panel.value)(figure, runtime)))
        .fold(panel.floor, f64::max);
    let top = tallest * HEADROOM;
    // Names too wide for their group go on two rows, every other one lower, so that
    // neighbours do not overlap.
    let group_width = (area.dim_in_pixel().0 as f64 - PLOT_INSET) / groups;
    let staggered = panel
        .figures
        .iter()
        .any(|figure| figure.name.chars().count() as f64 * NAME_CHAR_WIDTH > group_width);
    let name_rows = if staggered { 2 } else { 1 };
    // Room on the right for the last name, if it is wider than its group.
    let last_name = panel
        .figures
        .last()
        .map_or(0, |figure| figure.name.chars().count());
    let overhang = (last_name as f64 * NAME_CHAR_WIDTH - group_width) / 2.0;
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, (FONT, 19))
        .margin(12)
        .margin_right(12 + overhang.max(0.0) as i32)
        .x_label_area_size(NAME_AREA + NAME_ROW * (name_rows - 1))
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..groups, 0.0..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&panel.axis)
        .label_style((FONT, 15))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .draw()?;
    if panel.goro_line {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 1.0), (groups, 1.0)],
            COLOURS[0].stroke_width(1),
        )))?;
    }
    let name_style = TextStyle::from((FONT, 16).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    let value_style =
        TextStyle::from((FONT, 15).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (group, figure) in panel.figures.iter().enumerate() {
        let centre = group as f64 + 0.5;
        let row = if staggered { group as i32 % 2 } else { 0 };
        chart.draw_series(std::iter::once(
            EmptyElement::at((centre, 0.0))
                + Text::new(figure.name, (0, 8 + NAME_ROW * row), name_style.clone()),
        ))?;
        let bars: Vec<(usize, f64)> = (0..RUNTIMES.len())
            .filter_map(|runtime| Some((runtime, (panel.value)(figure, runtime)?)))
            .collect();
        let slot = GROUP_FILL / bars.len() as f64;
        let first = centre - slot * (bars.len() as f64 - 1.0) / 2.0;
        for (index, (runtime, value)) in bars.into_iter().enumerate() {
            let middle = first + slot * index as f64;
            let (left, right) = (
                middle - slot * BAR_FILL / 2.0,
                middle + slot * BAR_FILL / 2.0,
            );
            let cut = value > tallest * CUT_HEIGHT;
            let height = if cut { tallest * CUT_HEIGHT } else { value };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(left, 0.0), (right, height)],
                COLOURS[runtime].filled(),
            )))?;
            if cut {
                let (low, high) = CUT_BREAK;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(left, tallest * low), (right, tallest * high)],
                    WHITE.filled(),
                )))?;
            }
            if let Some(label) = (panel.label)(figure, runtime, value) {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((middle, height))
                        + Text::new(label, (0, -3), value_style.clone()),
                ))?;
            }
        }
    }
    Ok(())
}
