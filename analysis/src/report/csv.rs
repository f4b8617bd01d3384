//! One CSV file per table: what the HTML shows, with ids, in a form
//! spreadsheets read. Suppressed values are written as "< threshold", like
//! the page; the JSON has the raw noisy values.

use super::{Report, Table};

/// Quotes a CSV field when needed (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn share_text(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn mean_text(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// `table` of `report` as CSV with the columns
/// `kind, <by question ids…>, choice, label, value, margin95, low95, high95`:
/// `kind` is `count`, `total`, `mean`, `quartiles`, or for `rds_proportion`
/// `weight` (a noisy weighted sum, in units of 1/`rds.unit`, suppressed
/// below `rds.suppressed_below`) and `share` (the RDS-II estimate, with its
/// approximate, simulated margin); labels are in the survey's default
/// language. A `quartiles` row's `value` is
/// "q1 / median / q3" and its `margin95` the three approximate (simulated,
/// parametric-bootstrap, noise-only) margins in the same order.
pub fn render_csv(report: &Report, table: &Table) -> String {
    let lang = report.default_language.as_str();
    let small = match &table.rds {
        Some(rds) => format!("< {}", rds.suppressed_below),
        None => format!("< {}", report.small_cell_threshold),
    };
    let count_kind = if table.rds.is_some() {
        "weight"
    } else {
        "count"
    };
    let label_of = |id: &str| {
        table
            .columns
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.get(lang, lang).to_string())
            .unwrap_or_default()
    };
    let mut out = String::new();
    let mut header = vec!["kind".to_string()];
    header.extend(table.by.iter().map(|b| field(&b.question)));
    header.extend(
        ["choice", "label", "value", "margin95", "low95", "high95"]
            .iter()
            .map(|s| s.to_string()),
    );
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    let by_n = table.by.len();
    let mut row = |kind: &str, group: &[String], rest: [String; 6]| {
        let mut cols = vec![kind.to_string()];
        for i in 0..by_n {
            cols.push(field(group.get(i).map(String::as_str).unwrap_or("")));
        }
        cols.extend(rest.iter().map(|s| field(s)));
        out.push_str(&cols.join(","));
        out.push_str("\r\n");
    };
    for c in &table.cells {
        let value = if c.suppressed {
            small.clone()
        } else {
            c.value.to_string()
        };
        row(
            count_kind,
            &c.group,
            [
                c.choice.clone(),
                label_of(&c.choice),
                value,
                table.margin95.to_string(),
                String::new(),
                String::new(),
            ],
        );
    }
    for t in &table.totals {
        let value = if t.suppressed {
            small.clone()
        } else {
            t.value.to_string()
        };
        let choice = t.choice.clone().unwrap_or_default();
        let label = label_of(&choice);
        row(
            "total",
            &t.group,
            [
                choice,
                label,
                value,
                t.margin95.to_string(),
                String::new(),
                String::new(),
            ],
        );
    }
    for m in &table.means {
        let (value, lo, hi) = if m.suppressed {
            (format!("n {small}"), String::new(), String::new())
        } else {
            (
                mean_text(m.mean),
                format!("{:.2}", m.low95),
                format!("{:.2}", m.high95),
            )
        };
        let choice = m.choice.clone().unwrap_or_default();
        let label = label_of(&choice);
        row(
            "mean",
            &m.group,
            [choice, label, value, String::new(), lo, hi],
        );
    }
    for p in &table.proportions {
        let (value, margin) = match (p.suppressed, p.proportion) {
            (false, Some(v)) => (format!("{v:.4}"), share_text(p.margin95_approx)),
            (true, _) => (format!("weight {small}"), String::new()),
            (false, None) => (String::new(), String::new()),
        };
        row(
            "share",
            &p.group,
            [
                p.choice.clone(),
                label_of(&p.choice),
                value,
                margin,
                String::new(),
                String::new(),
            ],
        );
    }
    for q in &table.quantiles {
        let (value, margins) = if q.suppressed {
            (format!("n {small}"), String::new())
        } else {
            (
                format!(
                    "{} / {} / {}",
                    mean_text(q.q1),
                    mean_text(q.median),
                    mean_text(q.q3)
                ),
                format!(
                    "{} / {} / {}",
                    mean_text(q.q1_margin95_approx),
                    mean_text(q.median_margin95_approx),
                    mean_text(q.q3_margin95_approx)
                ),
            )
        };
        row(
            "quartiles",
            &q.group,
            [
                "q1/median/q3".into(),
                String::new(),
                value,
                margins,
                String::new(),
                String::new(),
            ],
        );
    }
    out
}
