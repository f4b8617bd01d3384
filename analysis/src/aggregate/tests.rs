#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::*;

const SURVEY: &str = r#"
id = "t"
version = 1
languages = ["en"]
title = { en = "T" }
privacy_budget = 100

[[questions]]
id = "one"
type = "single_choice"
other = true
label = { en = "One" }
choices = [{ id = "a", label = { en = "A" } }, { id = "b", label = { en = "B" } }]

[[questions]]
id = "two"
type = "single_choice"
label = { en = "Two" }
choices = [{ id = "p", label = { en = "P" } }, { id = "q", label = { en = "Q" } }, { id = "r", label = { en = "R" } }]

[[questions]]
id = "many"
type = "multiple_choice"
max_selected = 2
label = { en = "Many" }
choices = [
  { id = "x", label = { en = "X" } },
  { id = "y", label = { en = "Y" } },
  { id = "z", label = { en = "Z" } },
  { id = "w", label = { en = "W" } },
]

[[questions]]
id = "all"
type = "multiple_choice"
label = { en = "All" }
choices = [{ id = "x", label = { en = "X" } }, { id = "y", label = { en = "Y" } }, { id = "z", label = { en = "Z" } }]

[[questions]]
id = "stars"
type = "rating"
scale = 5
label = { en = "Stars" }

[[questions]]
id = "agree"
type = "grid"
label = { en = "Agree" }
statements = [{ id = "s1", label = { en = "S1" } }, { id = "s2", label = { en = "S2" } }, { id = "s3", label = { en = "S3" } }]
scale = [{ id = "no", label = { en = "No" } }, { id = "yes", label = { en = "Yes" } }]

[[questions]]
id = "order"
type = "ranking"
rank = 3
label = { en = "Order" }
choices = [
  { id = "a", label = { en = "A" } },
  { id = "b", label = { en = "B" } },
  { id = "c", label = { en = "C" } },
  { id = "d", label = { en = "D" } },
  { id = "e", label = { en = "E" } },
]

[[questions]]
id = "age"
type = "integer"
label = { en = "Age" }

[[questions]]
id = "hours"
type = "decimal"
label = { en = "Hours" }

[[questions]]
id = "note"
type = "short_text"
label = { en = "Note" }

[publication]
[[publication.tables]]
id = "total"
statistic = "total"
epsilon = 1
[[publication.tables]]
id = "total_by"
statistic = "total"
by = ["one", "two"]
epsilon = 1
[[publication.tables]]
id = "one"
question = "one"
statistic = "counts"
epsilon = 1
[[publication.tables]]
id = "many_by"
question = "many"
statistic = "counts"
by = ["two"]
epsilon = 1
[[publication.tables]]
id = "all"
question = "all"
statistic = "counts"
epsilon = 1
[[publication.tables]]
id = "stars"
question = "stars"
statistic = "counts"
by = ["one"]
epsilon = 1
[[publication.tables]]
id = "agree"
question = "agree"
statistic = "counts"
epsilon = 1
[[publication.tables]]
id = "first"
question = "order"
statistic = "first_choice"
epsilon = 1
[[publication.tables]]
id = "rank"
question = "order"
statistic = "mean_rank"
by = ["two"]
epsilon = 1
[[publication.tables]]
id = "age_mean"
question = "age"
statistic = "mean"
lower = 18
upper = 70
epsilon = 1
[[publication.tables]]
id = "hours_mean"
question = "hours"
statistic = "mean"
lower = -2.5
upper = 12
by = ["one"]
epsilon = 1
[[publication.tables]]
id = "age_hist"
question = "age"
statistic = "histogram"
edges = [18, 30, 50, 70]
epsilon = 1
[[publication.tables]]
id = "stars_q"
question = "stars"
statistic = "quantiles"
edges = [1, 2, 3, 4, 5]
epsilon = 1
"#;

fn pick<'a>(rng: &mut ChaCha20Rng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// A random response: mostly well-formed, sometimes with unknown ids,
/// repeated ticks, too many ticks, wrong shapes or missing answers.
fn random_answers(rng: &mut ChaCha20Rng) -> Answers {
    let mut a = Answers::new();
    let ids = |rng: &mut ChaCha20Rng, from: &[&str], n: usize| -> Vec<String> {
        (0..n).map(|_| pick(rng, from).to_string()).collect()
    };
    if rng.random_bool(0.9) {
        a.insert(
            "one".into(),
            Answer::Text(pick(rng, &["a", "b", "other", "zz"]).into()),
        );
    }
    if rng.random_bool(0.9) {
        a.insert(
            "two".into(),
            Answer::Text(pick(rng, &["p", "q", "r"]).into()),
        );
    }
    let n = rng.random_range(0..7);
    a.insert(
        "many".into(),
        Answer::Choices(ids(rng, &["x", "y", "z", "w", "?"], n)),
    );
    let n = rng.random_range(0..6);
    a.insert(
        "all".into(),
        Answer::Choices(ids(rng, &["x", "y", "z", "q"], n)),
    );
    a.insert(
        "stars".into(),
        if rng.random_bool(0.9) {
            Answer::Integer(rng.random_range(-1..8))
        } else {
            Answer::Text("5".into())
        },
    );
    let mut grid = BTreeMap::new();
    for s in ["s1", "s2", "s3", "s9"] {
        if rng.random_bool(0.8) {
            grid.insert(
                s.to_string(),
                pick(rng, &["no", "yes", "maybe"]).to_string(),
            );
        }
    }
    a.insert("agree".into(), Answer::Grid(grid));
    let n = rng.random_range(0..8);
    a.insert(
        "order".into(),
        Answer::Choices(ids(rng, &["a", "b", "c", "d", "e", "f"], n)),
    );
    a.insert(
        "age".into(),
        match rng.random_range(0..4) {
            0 => Answer::Decimal(rng.random_range(-1e6..1e6)),
            1 => Answer::Decimal(f64::INFINITY),
            _ => Answer::Integer(rng.random_range(-100..200)),
        },
    );
    a.insert(
        "hours".into(),
        Answer::Decimal(rng.random_range(-10.0..30.0)),
    );
    a.insert("note".into(), Answer::Text("free text".into()));
    a
}

/// For random datasets D and one more respondent r: every part of every
/// table moves, from D to D ∪ {r}, by at most its declared L1 and L2
/// sensitivity (removing r is the same pair read the other way).
#[test]
fn one_respondent_moves_every_aggregate_by_at_most_its_sensitivity() {
    let survey = surveys::parse_survey(SURVEY).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let mut worst: BTreeMap<(String, &'static str), (u64, u64)> = BTreeMap::new();
    for _ in 0..60 {
        let mut specs: Vec<Spec<'_>> = survey
            .publication
            .tables
            .iter()
            .map(|t| Spec::new(&survey, t).unwrap())
            .collect();
        let n = rng.random_range(0..20);
        for _ in 0..n {
            let a = random_answers(&mut rng);
            specs.iter_mut().for_each(|s| s.add(&a));
        }
        let before: Vec<Vec<Vec<i64>>> = specs.iter().map(|s| s.exact().to_vec()).collect();
        let r = random_answers(&mut rng);
        for (spec, before) in specs.iter_mut().zip(before) {
            spec.add(&r);
            for ((part, old), new) in spec.parts.iter().zip(&before).zip(spec.exact()) {
                let l1: u64 = old.iter().zip(new).map(|(a, b)| a.abs_diff(*b)).sum();
                let l2sq: u64 = old
                    .iter()
                    .zip(new)
                    .map(|(a, b)| a.abs_diff(*b).pow(2))
                    .sum();
                assert!(
                    l1 <= part.l1 && l2sq <= part.l2sq,
                    "{} {}: moved L1 {l1} L2² {l2sq}, declared {} {}",
                    spec.table.id,
                    part.name,
                    part.l1,
                    part.l2sq
                );
                let w = worst.entry((spec.table.id.clone(), part.name)).or_default();
                *w = (w.0.max(l1), w.1.max(l2sq));
            }
        }
    }
    // The bounds are tight where they should be: some respondent reached
    // them (so the test exercised the extremes).
    let reached = |id: &str, part: &'static str| worst[&(id.to_string(), part)];
    assert_eq!(reached("many_by", "count").0, 2, "max_selected enforced");
    assert_eq!(reached("all", "count").0, 3);
    assert_eq!(reached("agree", "count").0, 3);
    assert_eq!(reached("rank", "sum").0, 6);
    assert_eq!(reached("rank", "count").0, 3);
    assert_eq!(reached("total_by", "count").0, 1);
}

#[test]
fn declared_sensitivities() {
    let survey = surveys::parse_survey(SURVEY).unwrap();
    let spec = |id: &str| {
        let t = survey
            .publication
            .tables
            .iter()
            .find(|t| t.id == id)
            .unwrap();
        Spec::new(&survey, t).unwrap()
    };
    let parts = |id: &str| -> Vec<(&'static str, u64, u64)> {
        spec(id)
            .parts
            .iter()
            .map(|p| (p.name, p.l1, p.l2sq))
            .collect()
    };
    assert_eq!(parts("one"), [("count", 1, 1)]);
    assert_eq!(spec("one").columns.len(), 3, "a, b and other");
    assert_eq!(parts("many_by"), [("count", 2, 2)]);
    assert_eq!(spec("many_by").groups(), 3);
    assert_eq!(parts("all"), [("count", 3, 3)]);
    assert_eq!(parts("agree"), [("count", 3, 3)]);
    assert_eq!(spec("agree").columns.len(), 6);
    assert_eq!(parts("rank"), [("sum", 6, 14), ("count", 3, 3)]);
    // Integer bounds 18..70: grid step 1, centred sum, sensitivity 52.
    assert_eq!(parts("age_mean"), [("sum", 52, 2704), ("count", 1, 1)]);
    assert_eq!(parts("hours_mean")[0], ("sum", 1000, 1_000_000));
    assert_eq!(spec("total_by").groups(), 9);
    assert_eq!(spec("total_by").group_key(5), ["b", "r"]);
}

#[test]
fn multiple_choice_keeps_the_first_ticks_up_to_the_bound() {
    let survey = surveys::parse_survey(SURVEY).unwrap();
    let t = survey
        .publication
        .tables
        .iter()
        .find(|t| t.id == "many_by")
        .unwrap();
    let mut spec = Spec::new(&survey, t).unwrap();
    let mut a = Answers::new();
    a.insert("two".into(), Answer::Text("q".into()));
    a.insert(
        "many".into(),
        Answer::Choices(vec![
            "w".into(),
            "w".into(),
            "?".into(),
            "y".into(),
            "x".into(),
        ]),
    );
    spec.add(&a);
    // Group q is the second of three; columns x, y, z, w.
    assert_eq!(spec.exact()[0][4..8], [0, 1, 0, 1]);
}

#[test]
fn bins_and_means_read_values_as_declared() {
    let survey = surveys::parse_survey(SURVEY).unwrap();
    let find = |id: &str| {
        survey
            .publication
            .tables
            .iter()
            .find(|t| t.id == id)
            .unwrap()
    };
    let mut hist = Spec::new(&survey, find("age_hist")).unwrap();
    let mut mean = Spec::new(&survey, find("age_mean")).unwrap();
    for v in [17, 18, 29, 30, 49, 50, 70, 71] {
        let mut a = Answers::new();
        a.insert("age".into(), Answer::Integer(v));
        hist.add(&a);
        mean.add(&a);
    }
    // 17 and 71 are outside the edges; 70 is in the last, closed bin.
    assert_eq!(hist.exact()[0], [2, 2, 2]);
    // Clamped to [18, 70] and centred at 44: j = 2(x − 18) − 52 = 2x − 88.
    let js: i64 = [18, 18, 29, 30, 49, 50, 70, 70]
        .iter()
        .map(|x| 2 * x - 88)
        .sum();
    assert_eq!(mean.exact()[0], [js]);
    assert_eq!(mean.exact()[1], [8]);
}

#[test]
fn free_text_and_misfits_are_refused() {
    let survey = surveys::parse_survey(SURVEY).unwrap();
    let table = |q: &str, statistic: Statistic| PlannedTable {
        id: "x".into(),
        question: Some(q.into()),
        statistic,
        by: vec![],
        epsilon: Epsilon::from_integer(1),
        mechanism: Mechanism::Laplace,
    };
    for (q, s) in [
        ("note", Statistic::Counts),
        ("age", Statistic::Counts),
        ("one", Statistic::MeanRank),
        (
            "one",
            Statistic::Histogram {
                edges: vec![1.0, 2.0],
            },
        ),
    ] {
        assert!(Spec::new(&survey, &table(q, s)).is_err(), "{q}");
    }
    let mut by_multi = table("one", Statistic::Counts);
    by_multi.by = vec!["many".into()];
    assert!(Spec::new(&survey, &by_multi).is_err());
}
