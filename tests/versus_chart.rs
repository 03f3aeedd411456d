//! `examples/versus`'s record of a run: the chart it writes to `target/versus.svg` is
//! well-formed SVG that names every workload, the same results give the same bytes, and
//! the copies README.md shows (`docs/versus.svg`, the table between README's versus markers)
//! hold every workload versus measures, so that adding a workload without refreshing them
//! fails here.

// Shared with benches/ and examples/versus; only the workloads' names are used here.
#[allow(dead_code)]
#[path = "../benches/peers/mod.rs"]
mod peers;

#[path = "../examples/versus/chart.rs"]
mod chart;
#[path = "../examples/versus/results.rs"]
mod results;

use results::{
    CHURN_ROWS, CURRENT_THREAD_ECHO_ROW, CURRENT_THREAD_ROWS, ECHO_ROW, Figure, MEMORY_ROWS,
    Measure, NEIGHBOURS_ROWS, Results, SPAWN_JOIN_ROWS, Taken,
};

/// Every time or throughput workload versus measures, in its order: its own spawn-and-join
/// rows, issue 6's scheduler workloads (`benches/peers/workloads.rs`), echo, issue 15's
/// timer churn and lateness rows, issue 16's current-thread rows.
fn workload_names() -> Vec<&'static str> {
    let shared = peers::workloads::all::<goro::Handle>().map(|(name, _)| name);
    SPAWN_JOIN_ROWS
        .into_iter()
        .chain(shared)
        .chain([ECHO_ROW])
        .chain(CHURN_ROWS)
        .chain(NEIGHBOURS_ROWS)
        .chain(CURRENT_THREAD_ROWS)
        .chain([CURRENT_THREAD_ECHO_ROW])
        .collect()
}

/// Every name the chart and the table must show: the workloads, then memory.
fn every_name() -> Vec<&'static str> {
    let mut names = workload_names();
    names.extend(MEMORY_ROWS);
    names
}

/// Results like a real run's: times, a throughput, memory, and thread-per-unit figures far
/// above the rest (cut bars).
fn fixed_results() -> Results {
    let workloads = workload_names()
        .into_iter()
        .enumerate()
        .map(|(index, name)| {
            let goro = 1e-3 * (index + 1) as f64;
            if name == ECHO_ROW || name == CURRENT_THREAD_ECHO_ROW {
                Figure::new(
                    name,
                    "round trips per second".into(),
                    Measure::Rate,
                    [Some(92_900.0), Some(79_100.0), Some(62_000.0), None],
                )
            } else {
                let thread = SPAWN_JOIN_ROWS.contains(&name).then_some(goro * 340.0);
                Figure::new(
                    name,
                    format!("workload {index} <&> of the fixed results"),
                    Measure::Time,
                    [Some(goro), Some(goro * 5.9), Some(goro * 0.9), thread],
                )
            }
        })
        .collect();
    let memory = MEMORY_ROWS
        .into_iter()
        .map(|name| {
            Figure::new(
                name,
                "memory per task".into(),
                Measure::Bytes,
                [Some(121.0), Some(439.0), Some(152.0), Some(9_830.0)],
            )
        })
        .collect();
    Results {
        taken: Taken {
            date: "2026-12-05".into(),
            commit: Some("0123abc".into()),
            machine: "2 CPUs (test), load average 0.50 at the start".into(),
            workers: 2,
        },
        workloads,
        memory,
    }
}

/// Checks that `svg` is well-formed XML with one `<svg>` root: every tag closed in order,
/// attribute values quoted, `&` only in entities. Returns what is wrong.
fn well_formed(svg: &str) -> Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    let mut roots = Vec::new();
    let mut rest = svg;
    loop {
        let text_end = rest.find('<').unwrap_or(rest.len());
        check_text(&rest[..text_end])?;
        rest = &rest[text_end..];
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix("<?") {
            let end = after.find("?>").ok_or("an unclosed <?...?>")?;
            rest = &after[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("an unclosed comment")?;
            rest = &after[end + 3..];
            continue;
        }
        let end = tag_end(rest).ok_or_else(|| format!("an unclosed tag at {:.40}", rest))?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        let name_of = |tag: &'_ str| -> String {
            tag.split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        if let Some(closing) = tag.strip_prefix('/') {
            let name = closing.trim();
            match open.pop() {
                Some(opened) if opened == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name = name_of(tag);
        if name.is_empty() {
            return Err(format!("a tag without a name: <{tag}>"));
        }
        if open.is_empty() {
            roots.push(name.clone());
        }
        if !tag.ends_with('/') {
            let start = tag.find(&name).expect("the name is in its tag");
            open.push(&tag[start..start + name.len()]);
        }
    }
    if !open.is_empty() {
        return Err(format!("unclosed at the end: {open:?}"));
    }
    if roots != ["svg"] {
        return Err(format!("the roots are {roots:?}, not one <svg>"));
    }
    Ok(())
}

/// The index of the `>` that ends the tag `rest` starts with, skipping quoted values.
fn tag_end(rest: &str) -> Option<usize> {
    let mut quote = None;
    for (index, c) in rest.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '>') => return Some(index),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

/// Text between tags: no `>` on its own is fine in XML, but `&` must start an entity.
fn check_text(text: &str) -> Result<(), String> {
    for (index, _) in text.match_indices('&') {
        let entity = &text[index..];
        let known = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"];
        if !known.iter().any(|known| entity.starts_with(known)) {
            return Err(format!("a bare & in text: {:.30}", entity));
        }
    }
    Ok(())
}

/// The text of every `<text>` element of `svg`, trimmed.
fn texts(svg: &str) -> Vec<&str> {
    svg.split("<text")
        .skip(1)
        .filter_map(|element| {
            let (_, content) = element.split_once('>')?;
            Some(content.split_once("</text>")?.0.trim())
        })
        .collect()
}

/// The names of `names` that `svg` does not show as the text of an element.
fn missing_from_svg<'a>(svg: &str, names: &[&'a str]) -> Vec<&'a str> {
    let texts = texts(svg);
    names
        .iter()
        .copied()
        .filter(|name| !texts.contains(name))
        .collect()
}

#[test]
fn the_chart_is_well_formed_and_names_every_workload() {
    let svg = chart::svg(&fixed_results()).unwrap();
    well_formed(&svg).unwrap_or_else(|error| panic!("versus's chart is not well-formed: {error}"));
    assert_eq!(missing_from_svg(&svg, &every_name()), Vec::<&str>::new());
    let texts = texts(&svg);
    for runtime in results::RUNTIMES {
        assert!(texts.contains(&runtime), "no legend for {runtime}");
    }
    assert!(
        texts.contains(&"340"),
        "a cut bar shows its figure: {texts:?}"
    );
}

#[test]
fn the_same_results_give_the_same_chart() {
    assert_eq!(
        chart::svg(&fixed_results()).unwrap(),
        chart::svg(&fixed_results()).unwrap()
    );
}

#[test]
fn the_table_has_a_row_and_a_cell_per_runtime_for_every_workload() {
    let markdown = fixed_results().markdown();
    for name in every_name() {
        let row = markdown
            .lines()
            .find(|line| line.starts_with(&format!("| **{name}**")))
            .unwrap_or_else(|| panic!("no row for {name} in\n{markdown}"));
        assert_eq!(
            row.matches('|').count(),
            results::RUNTIMES.len() + 2,
            "{row}"
        );
    }
    assert!(markdown.contains("| 5.90x (5.90 ms) |"), "{markdown}");
}

/// How to refresh what README.md shows, for the failure messages below.
const REFRESH: &str = "run `cargo run --release --example versus`, then copy target/versus.svg \
                       to docs/versus.svg and target/versus.md into README.md between its \
                       versus markers";

#[test]
fn the_committed_chart_holds_every_workload_versus_measures() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/versus.svg");
    let svg = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    well_formed(&svg).unwrap_or_else(|error| panic!("{path} is not well-formed: {error}"));
    let missing = missing_from_svg(&svg, &every_name());
    assert!(missing.is_empty(), "{path} lacks {missing:?}: {REFRESH}");
}

#[test]
fn the_readme_table_holds_every_workload_versus_measures() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{path}: {error}"));
    let (_, after_begin) = readme
        .split_once("<!-- versus:begin -->")
        .expect("README.md has a <!-- versus:begin --> marker");
    let (table, _) = after_begin
        .split_once("<!-- versus:end -->")
        .expect("README.md has a <!-- versus:end --> marker");
    let missing: Vec<_> = every_name()
        .into_iter()
        .filter(|name| !table.contains(&format!("| **{name}**")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's table lacks {missing:?}: {REFRESH}"
    );
}

#[test]
fn the_well_formedness_check_rejects_broken_documents() {
    let good = r#"<?xml version="1.0"?><svg a="x>y"><g><text>a &amp; b</text><rect/></g></svg>"#;
    assert_eq!(well_formed(good), Ok(()));
    for broken in [
        "<svg><g></svg>",
        "<svg><g></g>",
        "<svg></g></svg>",
        "<svg><text>a & b</text></svg>",
        r#"<svg a="x></svg>"#,
        "<svg></svg><svg></svg>",
        "<g></g>",
    ] {
        assert!(well_formed(broken).is_err(), "accepted {broken}");
    }
}
