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

/// A survey with a repeat (at most 3 incidents) and a plan over its
/// instances.
const REPEAT_SURVEY: &str = r#"
id = "r"
version = 1
languages = ["en"]
title = { en = "R" }
privacy_budget = 100

[[questions]]
id = "country"
type = "single_choice"
label = { en = "Country" }
choices = [{ id = "a", label = { en = "A" } }, { id = "b", label = { en = "B" } }]

[[questions]]
id = "incidents"
type = "repeat"
label = { en = "Incidents" }
max = 3

[[questions.questions]]
id = "place"
type = "single_choice"
other = true
label = { en = "Where?" }
choices = [{ id = "street", label = { en = "Street" } }, { id = "station", label = { en = "Station" } }]

[[questions.questions]]
id = "acts"
type = "multiple_choice"
max_selected = 2
label = { en = "What?" }
choices = [
  { id = "beat", label = { en = "Beating" } },
  { id = "search", label = { en = "Search" } },
  { id = "detain", label = { en = "Detention" } },
  { id = "insult", label = { en = "Insults" } },
]

[[questions.questions]]
id = "severity"
type = "rating"
scale = 4
label = { en = "How bad?" }

[[questions.questions]]
id = "hurt"
type = "integer"
label = { en = "Hurt" }

[[questions.questions]]
id = "what"
type = "short_text"
label = { en = "What happened?" }

[publication]
[[publication.tables]]
id = "respondents"
statistic = "total"
epsilon = 1
[[publication.tables]]
id = "incidents"
question = "incidents"
statistic = "instances"
epsilon = 1
[[publication.tables]]
id = "incidents_by"
question = "incidents"
statistic = "instances"
by = ["country"]
epsilon = 1
[[publication.tables]]
id = "place"
question = "place"
statistic = "counts"
epsilon = 1
[[publication.tables]]
id = "acts_by"
question = "acts"
statistic = "counts"
by = ["country"]
epsilon = 1
[[publication.tables]]
id = "acts_gauss"
question = "acts"
statistic = "counts"
mechanism = "gaussian"
epsilon = 1
[[publication.tables]]
id = "severity"
question = "severity"
statistic = "counts"
epsilon = 1
"#;

/// Any stored answer at all: every shape, ids known and unknown, nested
/// repeats included.
fn any_answer(rng: &mut ChaCha20Rng, depth: u32) -> Answer {
    const IDS: &[&str] = &[
        "a", "b", "street", "station", "other", "beat", "search", "detain", "insult", "1", "zz",
    ];
    match rng.random_range(0..if depth == 0 { 6 } else { 7 }) {
        0 => Answer::Bool(rng.random_bool(0.5)),
        1 => Answer::Integer(rng.random_range(-3..8)),
        2 => Answer::Decimal(rng.random_range(-3.0..8.0)),
        3 => Answer::Text(pick(rng, IDS).into()),
        4 => {
            let n = rng.random_range(0..7);
            Answer::Choices((0..n).map(|_| pick(rng, IDS).to_string()).collect())
        }
        5 => Answer::Grid(
            (0..rng.random_range(0..3))
                .map(|_| (pick(rng, IDS).to_string(), pick(rng, IDS).to_string()))
                .collect(),
        ),
        _ => Answer::Repeat(
            (0..rng.random_range(0..5))
                .map(|_| random_instance(rng, depth - 1))
                .collect(),
        ),
    }
}

/// One instance of `incidents`: mostly well-formed, sometimes anything.
fn random_instance(rng: &mut ChaCha20Rng, depth: u32) -> Answers {
    let mut i = Answers::new();
    let mut put = |rng: &mut ChaCha20Rng, id: &str, good: Answer| {
        match rng.random_range(0..10) {
            0 => {}
            1 | 2 => {
                i.insert(id.into(), any_answer(rng, depth));
            }
            _ => {
                i.insert(id.into(), good);
            }
        };
    };
    let place = Answer::Text(pick(rng, &["street", "station", "other", "zz"]).into());
    put(rng, "place", place);
    let n = rng.random_range(0..7);
    let acts = Answer::Choices(
        (0..n)
            .map(|_| pick(rng, &["beat", "search", "detain", "insult", "?"]).to_string())
            .collect(),
    );
    put(rng, "acts", acts);
    let severity = Answer::Integer(rng.random_range(-1..7));
    put(rng, "severity", severity);
    let hurt = Answer::Integer(rng.random_range(0..9));
    put(rng, "hurt", hurt);
    i
}

/// A random stored response to [`REPEAT_SURVEY`]: any number of instances
/// (more than `max` too), any values, wrong shapes, inner answers stored
/// outside the repeat, a missing or malformed `country`.
fn random_repeat_response(rng: &mut ChaCha20Rng) -> Answers {
    let mut a = Answers::new();
    if rng.random_bool(0.85) {
        a.insert(
            "country".into(),
            if rng.random_bool(0.9) {
                Answer::Text(pick(rng, &["a", "b", "c"]).into())
            } else {
                any_answer(rng, 1)
            },
        );
    }
    match rng.random_range(0..10) {
        0 => {}
        1 => {
            a.insert("incidents".into(), any_answer(rng, 2));
        }
        _ => {
            let n = rng.random_range(0..9);
            let instances = (0..n).map(|_| random_instance(rng, 1)).collect();
            a.insert("incidents".into(), Answer::Repeat(instances));
        }
    }
    if rng.random_bool(0.2) {
        // Inner ids stored at the top: never counted.
        a.insert("place".into(), Answer::Text("street".into()));
        a.insert("acts".into(), Answer::Choices(vec!["beat".into()]));
    }
    a
}

/// L1 and squared L2 distance between two exact vectors.
fn distance(old: &[i64], new: &[i64]) -> (u64, u64) {
    let l1 = old.iter().zip(new).map(|(a, b)| a.abs_diff(*b)).sum();
    let l2sq = old
        .iter()
        .zip(new)
        .map(|(a, b)| a.abs_diff(*b).pow(2))
        .sum();
    (l1, l2sq)
}

fn repeat_specs(survey: &Survey) -> Vec<Spec<'_>> {
    survey
        .publication
        .tables
        .iter()
        .map(|t| Spec::new(survey, t).unwrap())
        .collect()
}

/// Over a repeat's instances, for ANY stored responses D and any one more
/// response r: each part of each table moves, from D to D ∪ {r}, by at most
/// the L1 and squared-L2 sensitivity its noise is calibrated to (removing
/// r is the same pair read the other way).
#[test]
fn one_response_moves_tables_over_instances_by_at_most_their_sensitivity() {
    let survey = surveys::parse_survey(REPEAT_SURVEY).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let mut worst: BTreeMap<(String, &'static str), (u64, u64)> = BTreeMap::new();
    let mut long = 0;
    for _ in 0..400 {
        let mut specs = repeat_specs(&survey);
        for _ in 0..rng.random_range(0..12) {
            let a = random_repeat_response(&mut rng);
            specs.iter_mut().for_each(|s| s.add(&a));
        }
        let before: Vec<Vec<Vec<i64>>> = specs.iter().map(|s| s.exact().to_vec()).collect();
        let r = random_repeat_response(&mut rng);
        if matches!(r.get("incidents"), Some(Answer::Repeat(v)) if v.len() > 3) {
            long += 1;
        }
        for (spec, before) in specs.iter_mut().zip(before) {
            spec.add(&r);
            for ((part, old), new) in spec.parts.iter().zip(&before).zip(spec.exact()) {
                let (l1, l2sq) = distance(old, new);
                assert!(
                    l1 <= part.l1 && l2sq <= part.l2sq,
                    "{} {}: moved L1 {l1} L2² {l2sq}, declared {} {} by {r:?}",
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
    assert!(long > 50, "responses with more than max instances: {long}");
    // The random responses reached the L1 bounds: the test saw the extremes.
    let reached = |id: &str| worst[&(id.to_string(), "count")].0;
    assert_eq!(reached("respondents"), 1);
    assert_eq!(reached("incidents"), 3);
    assert_eq!(reached("incidents_by"), 3);
    assert_eq!(reached("place"), 3);
    assert_eq!(reached("acts_by"), 6);
    assert_eq!(reached("severity"), 3);
}

#[test]
fn sensitivity_over_instances_is_max_times_one_answers() {
    let survey = surveys::parse_survey(REPEAT_SURVEY).unwrap();
    let specs = repeat_specs(&survey);
    let parts = |id: &str| -> Vec<(&'static str, u64, u64)> {
        let s = specs.iter().find(|s| s.table.id == id).unwrap();
        s.parts.iter().map(|p| (p.name, p.l1, p.l2sq)).collect()
    };
    // max = 3 instances: one answer's (Δ₁, Δ₂²) becomes (3·Δ₁, 9·Δ₂²).
    assert_eq!(parts("respondents"), [("count", 1, 1)]);
    assert_eq!(parts("incidents"), [("count", 3, 9)]);
    assert_eq!(parts("incidents_by"), [("count", 3, 9)]);
    assert_eq!(parts("place"), [("count", 3, 9)]);
    // max_selected = 2 ticks per instance.
    assert_eq!(parts("acts_by"), [("count", 6, 18)]);
    assert_eq!(parts("acts_gauss"), [("count", 6, 18)]);
    assert_eq!(parts("severity"), [("count", 3, 9)]);

    // A worst case reaches both bounds: the most instances, each giving
    // the same answer, plus instances beyond `max` that are not counted.
    let mut specs = repeat_specs(&survey);
    let instance = Answers::from([
        ("place".to_string(), Answer::Text("station".into())),
        (
            "acts".to_string(),
            Answer::Choices(vec!["beat".into(), "detain".into(), "search".into()]),
        ),
        ("severity".to_string(), Answer::Integer(4)),
    ]);
    let worst = Answers::from([
        ("country".to_string(), Answer::Text("b".into())),
        ("incidents".to_string(), Answer::Repeat(vec![instance; 7])),
    ]);
    for spec in &mut specs {
        let before = spec.exact().to_vec();
        spec.add(&worst);
        for ((part, old), new) in spec.parts.iter().zip(&before).zip(spec.exact()) {
            assert_eq!(
                distance(old, new),
                (part.l1, part.l2sq),
                "{}",
                spec.table.id
            );
        }
    }
}

#[test]
fn instances_are_counted_up_to_the_repeats_max() {
    let survey = surveys::parse_survey(REPEAT_SURVEY).unwrap();
    let mut specs = repeat_specs(&survey);
    let inst = |place: &str, acts: &[&str], severity: i64| {
        Answers::from([
            ("place".to_string(), Answer::Text(place.into())),
            (
                "acts".to_string(),
                Answer::Choices(acts.iter().map(|s| s.to_string()).collect()),
            ),
            ("severity".to_string(), Answer::Integer(severity)),
        ])
    };
    let response = |country: &str, instances: Vec<Answers>| {
        Answers::from([
            ("country".to_string(), Answer::Text(country.into())),
            ("incidents".to_string(), Answer::Repeat(instances)),
        ])
    };
    let responses = [
        // Five instances stored: only the first three count.
        response(
            "a",
            vec![
                inst("street", &["beat", "beat", "search", "insult"], 2),
                inst("other", &["?", "detain"], 9),
                inst("zz", &[], 1),
                inst("station", &["insult"], 4),
                inst("station", &["insult"], 4),
            ],
        ),
        response("b", vec![inst("station", &["insult"], 3)]),
        // An instance without the question, an empty repeat.
        response("b", vec![Answers::new(), inst("street", &["search"], 3)]),
        response("a", vec![]),
        // Not a repeat answer: nothing counted, but the respondent is.
        Answers::from([
            ("country".to_string(), Answer::Text("a".into())),
            ("incidents".to_string(), Answer::Text("street".into())),
        ]),
    ];
    for r in &responses {
        specs.iter_mut().for_each(|s| s.add(r));
    }
    let exact = |id: &str| specs.iter().find(|s| s.table.id == id).unwrap().exact()[0].clone();
    assert_eq!(exact("respondents"), [5]);
    assert_eq!(exact("incidents"), [3 + 1 + 2]);
    // Groups a, b.
    assert_eq!(exact("incidents_by"), [3, 3]);
    // street, station, other; "zz" is no option.
    assert_eq!(exact("place"), [2, 1, 1]);
    // Group a then b; beat, search, detain, insult; two ticks per instance.
    assert_eq!(exact("acts_by"), [1, 1, 1, 0, 0, 1, 0, 1]);
    // Scale 1..=4; 9 is out of range.
    assert_eq!(exact("severity"), [1, 1, 2, 0]);
}

#[test]
fn only_counts_of_choices_and_ratings_and_instances_go_over_a_repeat() {
    let survey = surveys::parse_survey(REPEAT_SURVEY).unwrap();
    let table = |q: &str, statistic: Statistic, by: &[&str]| PlannedTable {
        id: "x".into(),
        question: Some(q.into()),
        statistic,
        by: by.iter().map(|b| b.to_string()).collect(),
        epsilon: Epsilon::from_integer(1),
        mechanism: Mechanism::Laplace,
    };
    let refused = |t: PlannedTable| match Spec::new(&survey, &t) {
        Err(AnalysisError::Plan { message, .. }) => message,
        other => panic!("{t:?} accepted: {other:?}"),
    };
    let mean = Statistic::Mean {
        lower: 0.0,
        upper: 5.0,
    };
    assert_eq!(
        refused(table("hurt", mean, &[])),
        "`mean` cannot be computed on `hurt` (integer inside the repeat `incidents`): over a repeat's instances only `counts` of a single_choice, multiple_choice or rating question is published"
    );
    let hist = Statistic::Histogram {
        edges: vec![0.0, 1.0, 5.0],
    };
    assert!(refused(table("severity", hist, &[])).starts_with("`histogram` cannot"));
    assert!(refused(table("hurt", Statistic::Counts, &[])).starts_with("`counts` cannot"));
    assert!(refused(table("what", Statistic::Counts, &[])).contains("free text"));
    assert!(refused(table("place", Statistic::Instances, &[])).starts_with("`instances` cannot"));
    assert_eq!(
        refused(table("country", Statistic::Instances, &[])),
        "`instances` cannot be computed on `country` (single_choice)"
    );
    assert_eq!(
        refused(table("incidents", Statistic::Counts, &[])),
        "`counts` cannot be computed on `incidents` (repeat)"
    );
    assert_eq!(
        refused(table("incidents", Statistic::Instances, &["place"])),
        "`by` takes questions outside repeats; `place` is inside the repeat `incidents`"
    );
    let mut no_question = table("incidents", Statistic::Instances, &[]);
    no_question.question = None;
    assert_eq!(refused(no_question), "`instances` needs a question");
    // And the ones that are published.
    for (q, s) in [
        ("incidents", Statistic::Instances),
        ("place", Statistic::Counts),
        ("acts", Statistic::Counts),
        ("severity", Statistic::Counts),
    ] {
        let spec = Spec::new(&survey, &table(q, s, &["country"])).unwrap();
        assert_eq!(
            spec.within.map(|w| (w.repeat.id.as_str(), w.max)),
            Some(("incidents", 3))
        );
    }
}

/// A respondent-driven sample: the network size `network` is in 2..=50, so
/// weights are in units of 1/50 000 and one respondent weighs at most
/// round(50 000/2) = 25 000 units; `wide` (1..=10⁶) reaches the largest
/// unit allowed.
const RDS_SURVEY: &str = r#"
id = "rds"
version = 1
languages = ["en"]
title = { en = "RDS" }
privacy_budget = 100

[[questions]]
id = "group"
type = "single_choice"
other = true
label = { en = "Group" }
choices = [{ id = "a", label = { en = "A" } }, { id = "b", label = { en = "B" } }]

[[questions]]
id = "area"
type = "single_choice"
label = { en = "Area" }
choices = [{ id = "n", label = { en = "North" } }, { id = "s", label = { en = "South" } }]

[[questions]]
id = "network"
type = "integer"
min = 2
max = 50
label = { en = "How many people who use drugs do you know?" }

[[questions]]
id = "wide"
type = "integer"
min = 1
max = 1000000
label = { en = "Wide" }

[[questions]]
id = "size"
type = "decimal"
min = 1
max = 10
label = { en = "Size" }

[[questions]]
id = "open"
type = "integer"
min = 1
label = { en = "Open" }

[[questions]]
id = "zero"
type = "integer"
min = 0
max = 9
label = { en = "Zero" }

[[questions]]
id = "visits"
type = "repeat"
max = 2
label = { en = "Visits" }

[[questions.questions]]
id = "known"
type = "integer"
min = 1
max = 5
label = { en = "Known" }

[[questions.questions]]
id = "where"
type = "single_choice"
label = { en = "Where" }
choices = [{ id = "x", label = { en = "X" } }]

[publication]
[[publication.tables]]
id = "rds"
question = "group"
statistic = "rds_proportion"
degree = "network"
epsilon = 1
[[publication.tables]]
id = "rds_by"
question = "group"
statistic = "rds_proportion"
degree = "network"
by = ["area"]
mechanism = "gaussian"
epsilon = 1
[[publication.tables]]
id = "rds_wide"
question = "group"
statistic = "rds_proportion"
degree = "wide"
epsilon = 1
"#;

/// A random stored response to [`RDS_SURVEY`]: the option and the degrees
/// mostly well-formed, sometimes missing, unknown, out of range (0,
/// negative, above the bound, extreme), of the wrong type (a decimal, a
/// number as text) or any shape at all.
fn random_rds_response(rng: &mut ChaCha20Rng) -> Answers {
    let mut a = Answers::new();
    match rng.random_range(0..10) {
        0 => {}
        1 => {
            a.insert("group".into(), any_answer(rng, 1));
        }
        _ => {
            a.insert(
                "group".into(),
                Answer::Text(pick(rng, &["a", "b", "other", "zz"]).into()),
            );
        }
    }
    if rng.random_bool(0.8) {
        a.insert(
            "area".into(),
            Answer::Text(pick(rng, &["n", "s", "?"]).into()),
        );
    }
    let degree = |rng: &mut ChaCha20Rng, hi: i64| match rng.random_range(0..12) {
        0 => None,
        1 => Some(Answer::Integer(0)),
        2 => Some(Answer::Integer(rng.random_range(-5..0))),
        3 => Some(Answer::Integer(pick_i64(rng))),
        4 => Some(Answer::Decimal(rng.random_range(0.0..60.0))),
        5 => Some(Answer::Text("12".into())),
        6 => Some(any_answer(rng, 1)),
        _ => Some(Answer::Integer(rng.random_range(1..hi.saturating_mul(2)))),
    };
    if let Some(d) = degree(rng, 50) {
        a.insert("network".into(), d);
    }
    if let Some(d) = degree(rng, 1_000_000) {
        a.insert("wide".into(), d);
    }
    a
}

fn pick_i64(rng: &mut ChaCha20Rng) -> i64 {
    *[i64::MIN, i64::MAX, 1, 2, 3, 49, 50, 51]
        .get(rng.random_range(0..8))
        .unwrap()
}

/// For ANY stored responses D and one more response r: the weighted sums
/// of an `rds_proportion` move, from D to D ∪ {r}, by at most the declared
/// Δ₁ = round(unit/min) in L1 and Δ₁² in squared L2 (removing r is the
/// same pair read the other way), and the bound is reached.
#[test]
fn one_response_moves_rds_weighted_sums_by_at_most_their_sensitivity() {
    let survey = surveys::parse_survey(RDS_SURVEY).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut worst: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for _ in 0..400 {
        let mut specs = repeat_specs(&survey);
        for _ in 0..rng.random_range(0..15) {
            let a = random_rds_response(&mut rng);
            specs.iter_mut().for_each(|s| s.add(&a));
        }
        let before: Vec<Vec<Vec<i64>>> = specs.iter().map(|s| s.exact().to_vec()).collect();
        let r = random_rds_response(&mut rng);
        for (spec, before) in specs.iter_mut().zip(before) {
            spec.add(&r);
            for ((part, old), new) in spec.parts.iter().zip(&before).zip(spec.exact()) {
                let (l1, l2sq) = distance(old, new);
                assert!(
                    l1 <= part.l1 && l2sq <= part.l2sq,
                    "{} {}: moved L1 {l1} L2² {l2sq}, declared {} {} by {r:?}",
                    spec.table.id,
                    part.name,
                    part.l1,
                    part.l2sq
                );
                let w = worst.entry(spec.table.id.clone()).or_default();
                *w = (w.0.max(l1), w.1.max(l2sq));
            }
        }
    }
    assert_eq!(worst["rds"], (25_000, 625_000_000));
    assert_eq!(worst["rds_by"], (25_000, 625_000_000));
    assert_eq!(
        worst["rds_wide"],
        (1_000_000_000, 1_000_000_000_000_000_000)
    );
}

#[test]
fn rds_weights_are_the_inverse_degree_clamped_and_rounded() {
    let survey = surveys::parse_survey(RDS_SURVEY).unwrap();
    let specs = repeat_specs(&survey);
    let parts = |id: &str| -> Vec<(&'static str, u64, u64)> {
        let s = specs.iter().find(|s| s.table.id == id).unwrap();
        s.parts.iter().map(|p| (p.name, p.l1, p.l2sq)).collect()
    };
    assert_eq!(parts("rds"), [("weight", 25_000, 625_000_000)]);
    assert_eq!(parts("rds_by"), [("weight", 25_000, 625_000_000)]);
    assert_eq!(
        parts("rds_wide"),
        [("weight", 1_000_000_000, 1_000_000_000_000_000_000)]
    );
    assert_eq!(rds_weight(5, 2), 3, "halves round up");
    assert_eq!(rds_weight(50_000, 3), 16_667);

    let mut specs = repeat_specs(&survey);
    let r = |group: Option<&str>, network: Option<Answer>| {
        let mut a = Answers::new();
        if let Some(g) = group {
            a.insert("group".into(), Answer::Text(g.into()));
        }
        if let Some(d) = network {
            a.insert("network".into(), d);
        }
        a
    };
    let responses = [
        r(Some("a"), Some(Answer::Integer(2))),  // 50 000 / 2 = 25 000
        r(Some("a"), Some(Answer::Integer(10))), // 5 000
        r(Some("b"), Some(Answer::Integer(4))),  // 12 500
        r(Some("b"), Some(Answer::Integer(900))), // clamped to 50: 1 000
        r(Some("b"), Some(Answer::Integer(0))),  // clamped to 2: 25 000
        r(Some("b"), Some(Answer::Integer(7))),  // 7 142.86 → 7 143
        r(Some("other"), Some(Answer::Integer(3))), // 16 666.67 → 16 667
        r(Some("zz"), Some(Answer::Integer(5))), // no such option
        r(Some("a"), None),                      // no degree
        r(Some("a"), Some(Answer::Decimal(2.0))), // not an integer
        r(None, Some(Answer::Integer(2))),       // no option
    ];
    for a in &responses {
        specs.iter_mut().for_each(|s| s.add(a));
    }
    let exact = |id: &str| specs.iter().find(|s| s.table.id == id).unwrap().exact()[0].clone();
    assert_eq!(exact("rds"), [30_000, 45_643, 16_667]);
    // Nobody answered `area`: in no group.
    assert_eq!(exact("rds_by"), [0; 6]);
}

#[test]
fn an_rds_proportion_needs_a_single_choice_and_a_bounded_degree() {
    let survey = surveys::parse_survey(RDS_SURVEY).unwrap();
    let table = |q: &str, degree: &str| PlannedTable {
        id: "x".into(),
        question: Some(q.into()),
        statistic: Statistic::RdsProportion {
            degree: degree.into(),
        },
        by: Vec::new(),
        epsilon: Epsilon::from_integer(1),
        mechanism: Mechanism::Laplace,
    };
    let refused = |t: PlannedTable| match Spec::new(&survey, &t) {
        Err(AnalysisError::Plan { message, .. }) => message,
        other => panic!("{t:?} accepted: {other:?}"),
    };
    assert_eq!(
        refused(table("network", "network")),
        "`rds_proportion` cannot be computed on `network` (integer)"
    );
    assert!(refused(table("where", "network")).starts_with(
        "`rds_proportion` cannot be computed on `where` (single_choice inside the repeat `visits`)"
    ));
    assert_eq!(
        refused(table("group", "nobody")),
        "unknown question `nobody` in `degree`"
    );
    assert_eq!(
        refused(table("group", "known")),
        "`degree` takes a question outside repeats (one network size per respondent); `known` is inside the repeat `visits`"
    );
    assert!(refused(table("group", "size")).starts_with("`degree` must be an integer question"));
    assert!(refused(table("group", "open")).contains("needs both `min` and `max`"));
    assert!(refused(table("group", "zero")).contains("has `min = 0`; it must be at least 1"));
}
