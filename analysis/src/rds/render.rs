//! An [`Analysis`] as a readable text report or as JSON (the layout is
//! documented in `docs/rds.md`; `format` names its version).

use std::fmt::Write as _;

use super::{Analysis, bootstrap::Z_975};

/// The JSON layout's name and version.
pub const JSON_FORMAT: &str = "chorus-rds-estimate/1";

#[derive(serde::Serialize)]
struct Document<'a> {
    format: &'static str,
    file: &'a str,
    #[serde(flatten)]
    analysis: &'a Analysis,
}

/// The analysis as pretty-printed JSON, fields in a fixed order; `file`
/// names the input as the user gave it.
pub fn render_json(analysis: &Analysis, file: &str) -> String {
    let doc = Document {
        format: JSON_FORMAT,
        file,
        analysis,
    };
    // Plain structs of strings, numbers and options: this cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Left-aligns the first column and right-aligns the others.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            let pad = width[c] - cell.chars().count();
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn num(x: f64) -> String {
    format!("{x:.4}")
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_else(|| "—".to_string())
}

/// The analysis as a text report; `file` names the input.
pub fn render_text(a: &Analysis, file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} estimate of `{}` in {file}",
        a.estimator.title(),
        a.columns.variable
    );
    let _ = writeln!(
        out,
        "{} respondents, {} with a value; {} seed{}, {} wave{}",
        a.respondents,
        a.with_value,
        a.chains.seeds,
        if a.chains.seeds == 1 { "" } else { "s" },
        a.chains.waves,
        if a.chains.waves == 1 { "" } else { "s" }
    );
    out.push('\n');

    let mut rows = vec![vec![
        "value".to_string(),
        "n".to_string(),
        "sample".to_string(),
        "estimate".to_string(),
    ]];
    if a.bootstrap.is_some() {
        rows[0].extend(["s.e.", "95% interval", "percentile 95%"].map(String::from));
    }
    for c in &a.categories {
        let mut r = vec![
            c.value.clone(),
            c.n.to_string(),
            num(c.sample_proportion),
            num(c.estimate),
        ];
        if a.bootstrap.is_some() {
            match &c.interval {
                Some(i) => r.extend([
                    num(i.se),
                    format!("[{}, {}]", num(i.lower), num(i.upper)),
                    format!("[{}, {}]", num(i.percentile_lower), num(i.percentile_upper)),
                ]),
                None => r.extend(["—", "—", "—"].map(String::from)),
            }
        }
        rows.push(r);
    }
    table(&mut out, &rows);
    if let Some(b) = &a.bootstrap {
        let _ = writeln!(
            out,
            "\nBootstrap: Salganik's chain bootstrap, {} replicates ({} used), --seed {}; \
             interval = estimate ± {:.2} × s.e.",
            b.replicates, b.used, b.seed, Z_975
        );
    }

    out.push_str("\nRespondents by wave\n");
    let mut rows = vec![vec![
        "wave".to_string(),
        "respondents".to_string(),
        "with value".to_string(),
    ]];
    for w in &a.chains.per_wave {
        rows.push(vec![
            w.wave.to_string(),
            w.respondents.to_string(),
            w.with_value.to_string(),
        ]);
    }
    table(&mut out, &rows);

    out.push_str("\nSeeds\n");
    let mut rows = vec![vec![
        "seed".to_string(),
        "line".to_string(),
        "value".to_string(),
        "recruits".to_string(),
        "waves".to_string(),
    ]];
    for s in &a.chains.seed_chains {
        rows.push(vec![
            s.id.clone(),
            s.line.to_string(),
            s.value.clone().unwrap_or_else(|| "—".to_string()),
            s.recruits.to_string(),
            s.waves.to_string(),
        ]);
    }
    table(&mut out, &rows);

    out.push_str("\nRecruitments (rows: the recruiter's value; columns: the recruit's)\n");
    let mut rows = vec![
        std::iter::once(String::new())
            .chain(a.categories.iter().map(|c| c.value.clone()))
            .collect::<Vec<_>>(),
    ];
    for (c, row) in a.categories.iter().zip(&a.chains.transitions) {
        rows.push(
            std::iter::once(c.value.clone())
                .chain(row.iter().map(|x| x.to_string()))
                .collect(),
        );
    }
    table(&mut out, &rows);

    let _ = writeln!(
        out,
        "\nHomophily: recruitment homophily {} (1 = none)",
        opt(a.homophily.recruitment)
    );
    let mut rows = vec![vec![
        "value".to_string(),
        "recruits".to_string(),
        "in group".to_string(),
        "share".to_string(),
        "Heckathorn".to_string(),
    ]];
    for g in &a.homophily.groups {
        rows.push(vec![
            g.value.clone(),
            g.recruits.to_string(),
            g.in_group.to_string(),
            opt(g.in_group_share),
            opt(g.heckathorn),
        ]);
    }
    table(&mut out, &rows);

    out.push_str("\nConvergence: the estimate on waves 0 to w\n");
    let mut rows = vec![
        ["w", "with value"]
            .map(String::from)
            .into_iter()
            .chain(a.categories.iter().map(|c| c.value.clone()))
            .collect::<Vec<_>>(),
    ];
    let mut reasons = Vec::new();
    for w in &a.convergence {
        let mut r = vec![w.wave.to_string(), w.with_value.to_string()];
        match &w.estimates {
            Some(e) => r.extend(e.iter().map(|&x| num(x))),
            None => {
                r.extend(a.categories.iter().map(|_| "—".to_string()));
                if let Some(why) = &w.reason {
                    reasons.push(format!("wave {}: {why}", w.wave));
                }
            }
        }
        rows.push(r);
    }
    table(&mut out, &rows);
    for r in reasons {
        let _ = writeln!(out, "  {r}");
    }

    if !a.notes.is_empty() {
        out.push_str("\nNotes\n");
        for n in &a.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}
