//! `analysis::rds`: RDS-I and RDS-II against the R package RDS on its own
//! example data (`tests/data/rds/`, made by `reference.R`; see the README
//! there), a worked example computed by hand, and every refusal.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use analysis::rds::{
    self, BootstrapSpec, Columns, CsvError, EstimateError, Estimator, ProblemKind, RdsError, Sample,
};

fn data(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rds")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The reference file: (dataset, variable, quantity, wave, category) → value.
type Reference = BTreeMap<(String, String, String, String, String), f64>;

fn reference() -> Reference {
    let text = data("reference.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        r#""dataset","variable","quantity","wave","category","value""#
    );
    lines
        .map(|line| {
            // R's write.csv: every field quoted, none holding a comma.
            let f: Vec<String> = line
                .split(',')
                .map(|s| s.trim_matches('"').to_string())
                .collect();
            assert_eq!(f.len(), 6, "{line}");
            let value: f64 = f[5].parse().unwrap();
            (
                (
                    f[0].clone(),
                    f[1].clone(),
                    f[2].clone(),
                    f[3].clone(),
                    f[4].clone(),
                ),
                value,
            )
        })
        .collect()
}

struct Dataset {
    name: &'static str,
    file: &'static str,
    id: &'static str,
    recruiter: &'static str,
    degree: &'static str,
    variables: &'static [&'static str],
    has_wave_column: bool,
}

const DATASETS: &[Dataset] = &[
    Dataset {
        name: "fauxmadrona",
        file: "fauxmadrona.csv",
        id: "id",
        recruiter: "recruiter.id",
        degree: "degree",
        variables: &["disease"],
        has_wave_column: true,
    },
    Dataset {
        name: "fauxsycamore",
        file: "fauxsycamore.csv",
        id: "id",
        recruiter: "recruiter.id",
        degree: "degree",
        variables: &["disease"],
        has_wave_column: true,
    },
    Dataset {
        name: "faux",
        file: "faux.csv",
        id: "id",
        recruiter: "recruiter.id",
        degree: "network.size",
        variables: &["X", "Y", "Z"],
        has_wave_column: true,
    },
    Dataset {
        name: "faux-missing",
        file: "faux-missing.csv",
        id: "id",
        recruiter: "recruiter.id",
        degree: "network.size",
        variables: &["Y"],
        has_wave_column: true,
    },
    Dataset {
        name: "fauxtime",
        file: "fauxtime.csv",
        id: "SER",
        recruiter: "recruiter.id",
        degree: "NETWORK",
        variables: &["var1"],
        has_wave_column: false,
    },
];

fn load(d: &Dataset, variable: &str) -> Sample {
    Sample::from_csv(
        &data(d.file),
        Columns {
            id: d.id,
            recruiter: d.recruiter,
            degree: d.degree,
            variable,
        },
        Some("seed"),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", d.file))
}

fn key(d: &str, v: &str, q: &str, w: &str, c: &str) -> (String, String, String, String, String) {
    (d.into(), v.into(), q.into(), w.into(), c.into())
}

/// Compares with R to 1e-6 (the requirement); returns the largest difference.
fn close(what: &str, ours: f64, r: f64) -> f64 {
    let diff = (ours - r).abs();
    assert!(diff < 1e-6, "{what}: ours {ours}, R {r}");
    diff
}

#[test]
fn rds_point_estimates_match_the_r_package_on_its_example_data() {
    let reference = reference();
    let mut compared = 0;
    let mut largest: f64 = 0.0;
    for d in DATASETS {
        for &v in d.variables {
            let sample = load(d, v);
            // R's smoothed = TRUE gives the same equilibrium: both are
            // compared with our RDS-I.
            for (estimator, quantities) in [
                (Estimator::RdsI, &["rds-i", "rds-i-ds"][..]),
                (Estimator::RdsII, &["rds-ii"][..]),
            ] {
                let ours = rds::estimate(&sample, estimator).unwrap();
                assert_eq!(ours.len(), sample.categories().len());
                for q in quantities {
                    for (c, value) in sample.categories().iter().zip(&ours) {
                        let r = reference[&key(d.name, v, q, "", c)];
                        largest = largest.max(close(&format!("{} {v} {q} {c}", d.name), *value, r));
                        compared += 1;
                    }
                }
            }
        }
    }
    // 16 categories over 7 variables, three R quantities each.
    assert_eq!(compared, 48);
    // In fact the agreement is to rounding.
    assert!(largest < 1e-12, "largest difference {largest}");
}

#[test]
fn rds_estimates_by_wave_match_rs_cumulative_estimate() {
    let reference = reference();
    let mut compared = 0;
    for d in DATASETS.iter().filter(|d| d.name != "fauxtime") {
        for &v in d.variables {
            let sample = load(d, v);
            for (estimator, q) in [(Estimator::RdsI, "rds-i"), (Estimator::RdsII, "rds-ii")] {
                let a = rds::analyse(&sample, estimator, None).unwrap();
                for w in &a.convergence {
                    let wave = w.wave.to_string();
                    for (i, c) in sample.categories().iter().enumerate() {
                        let r = reference.get(&key(d.name, v, q, &wave, c));
                        match (&w.estimates, r) {
                            (Some(e), Some(&r)) => {
                                close(&format!("{} {v} {q} wave {wave} {c}", d.name), e[i], r);
                                compared += 1;
                            }
                            // A category not yet seen: R has no value, ours is 0.
                            (Some(e), None) => assert_eq!(e[i], 0.0, "{} {v} {wave} {c}", d.name),
                            // No equilibrium on these waves: R gives NaN.
                            (None, r) => assert!(r.is_none(), "{} {v} {q} wave {wave}", d.name),
                        }
                    }
                }
            }
        }
    }
    assert!(compared > 150, "{compared}");
}

#[test]
fn rds_waves_and_recruitment_homophily_match_r() {
    let reference = reference();
    for d in DATASETS {
        let sample = load(d, d.variables[0]);
        let a = rds::analyse(&sample, Estimator::RdsII, None).unwrap();
        for w in &a.chains.per_wave {
            let r = reference[&key(d.name, "", "wave-size", &w.wave.to_string(), "")];
            assert_eq!(w.respondents as f64, r, "{} wave {}", d.name, w.wave);
        }
        assert_eq!(
            a.chains
                .per_wave
                .iter()
                .map(|w| w.respondents)
                .sum::<usize>(),
            sample.len()
        );
        for &v in d.variables {
            let a = rds::analyse(&load(d, v), Estimator::RdsII, None).unwrap();
            let r = reference[&key(d.name, v, "recruitment-homophily", "", "")];
            close(
                &format!("{} {v} homophily", d.name),
                a.homophily.recruitment.unwrap(),
                r,
            );
        }
        if d.has_wave_column {
            // The package's own wave column agrees with ours, row by row.
            let text = data(d.file);
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split(',').map(|s| s.trim_matches('"')).collect();
                let wave: usize = f.last().unwrap().parse().unwrap();
                assert_eq!(sample.wave_of(f[0]), Some(wave), "{} {}", d.name, f[0]);
            }
        }
    }
}

#[test]
fn rds_seed_counts_of_the_faux_data() {
    let fm = &DATASETS[0];
    let a = rds::analyse(&load(fm, "disease"), Estimator::RdsI, None).unwrap();
    assert_eq!(a.chains.seeds, 10);
    assert_eq!(a.chains.waves, 5);
    assert_eq!(
        a.chains
            .seed_chains
            .iter()
            .map(|s| s.recruits + 1)
            .sum::<usize>(),
        500
    );
    let faux = &DATASETS[2];
    let a = rds::analyse(&load(faux, "Y"), Estimator::RdsI, None).unwrap();
    assert_eq!((a.chains.seeds, a.chains.waves), (1, 10));
    assert_eq!(a.chains.seed_chains[0].recruits, 388);
}

// A worked example, by hand. Two seeds, A1 and B1; X1 has no value.
//
//   A1 (a, d=2) ── A2 (a, 2) ── A3 (a, 4) ── B6 (b, 4)
//      └───────── B2 (b, 4)
//   B1 (b, 8) ─── B3 (b, 8) ── B4 (b, 4) ── B7 (b, 8)
//      │                          └──────── X1 (—, 5) ── B5 (b, 8)
//      └───────── A4 (a, 2)
//
// Group a: A1 A2 A3 A4, degrees 2 2 4 2: n = 4, Σ 1/d = 1.75, so the
// harmonic mean degree is h = 4 / 1.75 = 16/7.
// Group b: B1..B7, degrees 8 4 8 4 8 4 8: n = 7, Σ 1/d = 1.25, h = 28/5.
// X1 is in the chain (B5's recruiter, wave 3) but in neither group.
//
// RDS-II: p_a = 1.75 / (1.75 + 1.25) = 7/12, p_b = 5/12.
//
// RDS-I: the recruitments with both values known (B4→X1 and X1→B5 are
// not): a→a A1→A2, A2→A3; a→b A1→B2, A3→B6; b→a B1→A4; b→b B1→B3,
// B3→B4, B4→B7. So t = [[2, 2], [1, 3]], P = [[1/2, 1/2], [1/4, 3/4]],
// whose equilibrium solves π_a / 2 = π_b / 4: π = (1/3, 2/3).
// π_a / h_a = 1/3 · 7/16 = 7/48 = 49/336, π_b / h_b = 2/3 · 5/28 = 40/336,
// so p_a = 49/89 and p_b = 40/89.
const WORKED: &str = "\
id,recruiter,degree,group
A1,,2,a
B1,,8,b
A2,A1,2,a
B2,A1,4,b
A3,A2,4,a
B6,A3,4,b
B3,B1,8,b
A4,B1,2,a
B4,B3,4,b
B7,B4,8,b
X1,B4,5,
B5,X1,8,b
";

const COLUMNS: Columns<'static> = Columns {
    id: "id",
    recruiter: "recruiter",
    degree: "degree",
    variable: "group",
};

fn worked() -> Sample {
    Sample::from_csv(WORKED, COLUMNS, None).unwrap()
}

fn assert_near(ours: f64, exact: f64) {
    assert!((ours - exact).abs() < 1e-14, "{ours} ≠ {exact}");
}

#[test]
fn rds_worked_example_by_hand() {
    let s = worked();
    assert_eq!(s.categories(), ["a", "b"]);
    let ii = rds::estimate(&s, Estimator::RdsII).unwrap();
    assert_near(ii[0], 7.0 / 12.0);
    assert_near(ii[1], 5.0 / 12.0);
    let i = rds::estimate(&s, Estimator::RdsI).unwrap();
    assert_near(i[0], 49.0 / 89.0);
    assert_near(i[1], 40.0 / 89.0);

    let a = rds::analyse(&s, Estimator::RdsII, None).unwrap();
    assert_eq!((a.respondents, a.with_value, a.missing_value), (12, 11, 1));
    assert!(a.notes[0].starts_with("1 respondent has no value of `group`"));
    assert_eq!(a.categories[0].n, 4);
    assert_near(a.categories[0].harmonic_mean_degree, 16.0 / 7.0);
    assert_near(a.categories[1].harmonic_mean_degree, 28.0 / 5.0);
    assert_near(a.categories[1].sample_proportion, 7.0 / 11.0);

    // Waves: A1 B1 | A2 B2 B3 A4 | A3 B4 | B6 B7 X1 | B5.
    let per_wave: Vec<(usize, usize)> = a
        .chains
        .per_wave
        .iter()
        .map(|w| (w.respondents, w.with_value))
        .collect();
    assert_eq!(per_wave, [(2, 2), (4, 4), (2, 2), (3, 2), (1, 1)]);
    assert_eq!((a.chains.seeds, a.chains.waves), (2, 4));
    let seeds: Vec<(&str, usize, usize, usize)> = a
        .chains
        .seed_chains
        .iter()
        .map(|c| (c.id.as_str(), c.line, c.recruits, c.waves))
        .collect();
    assert_eq!(seeds, [("A1", 2, 4, 3), ("B1", 3, 6, 4)]);
    assert_eq!(a.chains.transitions, [[2, 2], [1, 3]]);

    // Recruitment homophily: 5 in-group recruitments where independence
    // expects (4·3 + 4·5) / 8 = 4.
    assert_near(a.homophily.recruitment.unwrap(), 1.25);
    // Heckathorn's index against RDS-II's 7/12 and 5/12: a recruits in
    // group 1/2 < 7/12, so (1/2 − 7/12) / (7/12) = −1/7; b 3/4 ≥ 5/12, so
    // (3/4 − 5/12) / (1 − 5/12) = 4/7.
    let g = &a.homophily.groups;
    assert_eq!((g[0].recruits, g[0].in_group), (4, 2));
    assert_near(g[0].heckathorn.unwrap(), -1.0 / 7.0);
    assert_near(g[1].heckathorn.unwrap(), 4.0 / 7.0);

    // By wave. Waves 0: A1 and B1 only, 1/d = 1/2 and 1/8: RDS-II gives
    // 0.8 for a. Waves 0–1 add A2, A4 (a, 1/2 each), B2 (1/4), B3 (1/8):
    // 1.5 / 2 = 0.75.
    assert_near(a.convergence[0].estimates.as_ref().unwrap()[0], 0.8);
    assert_near(a.convergence[1].estimates.as_ref().unwrap()[0], 0.75);
    assert_near(a.convergence[4].estimates.as_ref().unwrap()[0], 7.0 / 12.0);
    // RDS-I on wave 0: no recruitments, so both rows are 0.1, 0.1 (R's
    // rule), π = (1/2, 1/2), and (1/2 / 2) / (1/2 / 2 + 1/2 / 8) = 0.8.
    let a = rds::analyse(&s, Estimator::RdsI, None).unwrap();
    assert_near(a.convergence[0].estimates.as_ref().unwrap()[0], 0.8);
    assert_near(a.convergence[4].estimates.as_ref().unwrap()[0], 49.0 / 89.0);
}

#[test]
fn rds_bootstrap_is_reproducible_and_brackets_the_estimate() {
    let d = &DATASETS[0];
    let s = load(d, "disease");
    let spec = BootstrapSpec {
        replicates: 200,
        seed: 7,
    };
    for estimator in [Estimator::RdsI, Estimator::RdsII] {
        let a = rds::analyse(&s, estimator, Some(spec)).unwrap();
        let b = rds::analyse(&s, estimator, Some(spec)).unwrap();
        assert_eq!(a, b, "same seed, same intervals");
        let summary = a.bootstrap.as_ref().unwrap();
        assert_eq!(
            (summary.replicates, summary.used, summary.failed),
            (200, 200, 0)
        );
        for c in &a.categories {
            let i = c.interval.unwrap();
            // A sample of 500: a standard error of a few points.
            assert!(i.se > 0.005 && i.se < 0.1, "{} se {}", c.value, i.se);
            assert!(i.lower < c.estimate && c.estimate < i.upper);
            assert!(i.percentile_lower < c.estimate && c.estimate < i.percentile_upper);
            assert!((i.upper - i.lower - 2.0 * 1.959_963_984_540_054 * i.se).abs() < 1e-12);
        }
        let other = rds::analyse(&s, estimator, Some(BootstrapSpec { seed: 8, ..spec })).unwrap();
        assert_ne!(a.categories[0].interval, other.categories[0].interval);
    }
}

/// R's Salganik bootstrap standard errors, 5000 replicates, on the data
/// reordered so that R numbers its groups consistently (README.md).
const R_BOOTSTRAP_SE: &[(usize, &str, Estimator, &[f64])] = &[
    (0, "disease", Estimator::RdsI, &[0.0219289, 0.0219289]),
    (0, "disease", Estimator::RdsII, &[0.0221258, 0.0221258]),
    (2, "Y", Estimator::RdsI, &[0.0526007, 0.0797472, 0.0805249]),
    (2, "Y", Estimator::RdsII, &[0.0520889, 0.0801280, 0.0804756]),
];

#[test]
fn rds_bootstrap_agrees_with_rs_salganik_bootstrap() {
    // Both are Monte Carlo: with 5000 replicates each, a standard error is
    // known to about 1.5 %, so two of them differ by less than 6 % unless
    // the bootstraps differ (R's, unordered, is 66 % off on fauxmadrona).
    for &(d, v, estimator, r) in R_BOOTSTRAP_SE {
        let a = rds::analyse(
            &load(&DATASETS[d], v),
            estimator,
            Some(BootstrapSpec {
                replicates: 5000,
                seed: 2026,
            }),
        )
        .unwrap();
        for (c, &r) in a.categories.iter().zip(r) {
            let se = c.interval.unwrap().se;
            assert!(
                (se / r - 1.0).abs() < 0.06,
                "{} {v} {estimator:?} {}: ours {se}, R {r}",
                DATASETS[d].name,
                c.value
            );
        }
    }
}

#[test]
fn rds_json_is_stable_and_complete() {
    let s = worked();
    let a = rds::analyse(
        &s,
        Estimator::RdsI,
        Some(BootstrapSpec {
            replicates: 50,
            seed: 1,
        }),
    )
    .unwrap();
    let json = rds::render_json(&a, "worked.csv");
    assert_eq!(json, rds::render_json(&a, "worked.csv"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format"], "chorus-rds-estimate/1");
    assert_eq!(v["file"], "worked.csv");
    assert_eq!(v["estimator"], "rds-i");
    assert_eq!(v["columns"]["variable"], "group");
    assert_eq!(v["categories"][0]["value"], "a");
    assert_near(
        v["categories"][0]["estimate"].as_f64().unwrap(),
        49.0 / 89.0,
    );
    assert!(v["categories"][0]["interval"]["lower"].is_number());
    assert_eq!(v["bootstrap"]["seed"], 1);
    assert_eq!(
        v["chains"]["transitions"],
        serde_json::json!([[2, 2], [1, 3]])
    );
    assert_near(
        v["convergence"][4]["estimates"][0].as_f64().unwrap(),
        49.0 / 89.0,
    );
    // Fields in the documented order.
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut order: Vec<(usize, &str)> = keys
        .iter()
        .map(|k| (json.find(&format!("\n  \"{k}\"")).unwrap(), *k))
        .collect();
    order.sort();
    let order: Vec<&str> = order.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        order,
        [
            "format",
            "file",
            "estimator",
            "columns",
            "seed_marker",
            "respondents",
            "with_value",
            "missing_value",
            "categories",
            "bootstrap",
            "chains",
            "homophily",
            "convergence",
            "notes"
        ]
    );
    let text = rds::render_text(&a, "worked.csv");
    assert!(text.starts_with("RDS-I (Salganik–Heckathorn) estimate of `group` in worked.csv\n"));
    assert!(text.contains("0.5506"), "{text}");
}

// Refusals.

fn refuse(csv: &str, marker: Option<&str>) -> RdsError {
    Sample::from_csv(csv, COLUMNS, marker).unwrap_err()
}

fn problems(e: &RdsError) -> Vec<(usize, ProblemKind)> {
    match e {
        RdsError::Rows(p) => p.0.iter().map(|p| (p.line, p.kind.clone())).collect(),
        other => panic!("not a row problem: {other}"),
    }
}

#[test]
fn rds_refuses_a_recruiter_who_is_not_in_the_file() {
    let e = refuse(
        "id,recruiter,degree,group\n1,,3,a\n2,1,3,a\n3,9,3,b\n4,9,3,b\n",
        None,
    );
    assert_eq!(
        problems(&e),
        [
            (
                4,
                ProblemKind::UnknownRecruiter {
                    recruiter: "9".into(),
                    seed_marker: None,
                    first_line: None,
                }
            ),
            (
                5,
                ProblemKind::UnknownRecruiter {
                    recruiter: "9".into(),
                    seed_marker: None,
                    first_line: Some(4),
                }
            )
        ]
    );
    let msg = e.to_string();
    assert!(
        msg.contains("line 4: the recruiter `9` is the id of no respondent in the file (if `9` marks seeds, pass --seed-marker 9"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "line 5: the recruiter `9` is the id of no respondent in the file (as on line 4)"
        ),
        "{msg}"
    );
    // With a marker, other values are still refused.
    let e = refuse(
        "id,recruiter,degree,group\n1,seed,3,a\n2,0,3,a\n",
        Some("seed"),
    );
    assert!(e.to_string().contains("nor the seed marker `seed`"), "{e}");
}

#[test]
fn rds_seed_marker_and_empty_recruiters_both_mark_seeds() {
    let s = Sample::from_csv(
        "id,recruiter,degree,group\n1,seed,3,a\n2,,3,b\n3,1,3,b\n",
        COLUMNS,
        Some("seed"),
    )
    .unwrap();
    let a = rds::analyse(&s, Estimator::RdsII, None).unwrap();
    assert_eq!((a.chains.seeds, a.chains.waves), (2, 1));
    let e = refuse(
        "id,recruiter,degree,group\nseed,,3,a\n2,seed,3,b\n",
        Some("seed"),
    );
    assert_eq!(
        problems(&e),
        [(
            2,
            ProblemKind::MarkerIsId {
                marker: "seed".into()
            }
        )]
    );
}

#[test]
fn rds_refuses_duplicate_and_empty_ids() {
    let e = refuse(
        "id,recruiter,degree,group\n1,,3,a\n2,1,3,a\n1,2,3,b\n,1,2,a\n",
        None,
    );
    assert_eq!(
        problems(&e),
        [
            (
                4,
                ProblemKind::DuplicateId {
                    id: "1".into(),
                    first_line: 2
                }
            ),
            (
                5,
                ProblemKind::EmptyId {
                    column: "id".into()
                }
            ),
        ]
    );
    assert!(e.to_string().starts_with(
        "2 problems in the recruitment data:\n  line 4: the id `1` is also the id on line 2"
    ));
}

#[test]
fn rds_refuses_missing_zero_negative_and_non_numeric_degrees() {
    let e = refuse(
        "id,recruiter,degree,group\n1,,,a\n2,1,0,a\n3,1,-2,b\n4,1,many,b\n5,1,NaN,b\n6,1,2.5,b\n",
        None,
    );
    let got: Vec<(usize, String)> = problems(&e)
        .into_iter()
        .map(|(line, k)| match k {
            ProblemKind::Degree { what, .. } => (line, what),
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            (2, "is empty".to_string()),
            (3, "is 0".to_string()),
            (4, "is -2".to_string()),
            (5, "is `many`, not a number".to_string()),
            (6, "is `NaN`, not a number".to_string()),
        ]
    );
    assert!(e.to_string().contains(
        "line 2: the degree (`degree`) is empty; every respondent needs their network size"
    ));
}

#[test]
fn rds_refuses_recruitment_cycles() {
    let e = refuse(
        "id,recruiter,degree,group\n1,,3,a\n2,4,3,a\n3,2,3,b\n4,3,3,b\n5,5,3,a\n6,2,3,a\n",
        None,
    );
    let p = problems(&e);
    assert_eq!(
        p,
        [
            (
                3,
                ProblemKind::Cycle {
                    members: vec![("2".into(), 3), ("4".into(), 5), ("3".into(), 4)]
                }
            ),
            (
                6,
                ProblemKind::Cycle {
                    members: vec![("5".into(), 6)]
                }
            ),
        ]
    );
    let msg = e.to_string();
    assert!(msg.contains("line 3: a recruitment cycle: `2` was recruited by `4` (line 5), who was recruited by `3` (line 4), who was recruited by `2`; every chain must start at a seed"), "{msg}");
    assert!(
        msg.contains("line 6: a recruitment cycle: `5` is named as their own recruiter"),
        "{msg}"
    );
    // No seed at all is a cycle too.
    let e = refuse("id,recruiter,degree,group\n1,2,3,a\n2,1,3,b\n", None);
    assert_eq!(problems(&e).len(), 1);
}

#[test]
fn rds_lists_every_problem_of_a_file_at_once() {
    let e = refuse(
        "id,recruiter,degree,group\n1,,3,a\n2,1,,a\n2,1,4,b\n3,7,2,a\n4,5,2,b\n5,4,2,a\n",
        None,
    );
    let lines: Vec<usize> = problems(&e).iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{e}");
    assert!(matches!(problems(&e)[3].1, ProblemKind::Cycle { .. }));
}

#[test]
fn rds_refuses_a_column_that_is_not_there_listing_the_columns() {
    let e = Sample::from_csv(
        "id,recruiter,degree,group\n1,,3,a\n",
        Columns {
            variable: "hiv",
            ..COLUMNS
        },
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no column `hiv` for the variable (--variable) in the file; its columns are: `id`, `recruiter`, `degree`, `group`"
    );
    let e = refuse("id,recruiter,degree,group,group\n1,,3,a,b\n", None);
    assert!(
        matches!(e, RdsError::AmbiguousColumn { count: 2, .. }),
        "{e}"
    );
}

#[test]
fn rds_refuses_files_without_respondents_values_or_csv_shape() {
    assert_eq!(
        refuse("id,recruiter,degree,group\n", None),
        RdsError::NoRespondents
    );
    assert_eq!(
        refuse("id,recruiter,degree,group\n1,,3,\n2,1,4,\n", None),
        RdsError::NoValues {
            variable: "group".into()
        }
    );
    assert_eq!(
        refuse("id,recruiter,degree,group\n1,,3,a\n2,1,3\n", None),
        RdsError::Csv(CsvError::FieldCount {
            line: 3,
            found: 3,
            expected: 4
        })
    );
    assert_eq!(refuse("", None), RdsError::Csv(CsvError::Empty));
    let many: String = (0..=rds::MAX_CATEGORIES)
        .map(|i| format!("{i},,3,v{i}\n"))
        .collect();
    assert!(matches!(
        refuse(&format!("id,recruiter,degree,group\n{many}"), None),
        RdsError::TooManyCategories { count: 101, .. }
    ));
}

#[test]
fn rds_i_refuses_recruitments_without_a_single_equilibrium() {
    // a recruits only a, b only b: two closed sets, no equilibrium (R: NaN).
    let s = Sample::from_csv(
        "id,recruiter,degree,group\n1,,3,a\n2,1,3,a\n3,,3,b\n4,3,3,b\n",
        COLUMNS,
        None,
    )
    .unwrap();
    let e = rds::estimate(&s, Estimator::RdsI).unwrap_err();
    assert_eq!(
        e,
        EstimateError::SeveralClosed {
            classes: vec![vec!["a".into()], vec!["b".into()]]
        }
    );
    assert!(e.to_string().contains("2 closed sets ({a} and {b})"), "{e}");
    assert!(rds::analyse(&s, Estimator::RdsI, None).is_err());
    // RDS-II needs no equilibrium.
    assert_eq!(rds::estimate(&s, Estimator::RdsII).unwrap(), [0.5, 0.5]);

    // a only recruits b and b only a: periodic (R: NA).
    let s = Sample::from_csv(
        "id,recruiter,degree,group\n1,,3,a\n2,1,3,b\n3,2,3,a\n",
        COLUMNS,
        None,
    )
    .unwrap();
    assert_eq!(
        rds::estimate(&s, Estimator::RdsI).unwrap_err(),
        EstimateError::Periodic {
            period: 2,
            groups: vec!["a".into(), "b".into()]
        }
    );
}

#[test]
fn rds_i_gives_a_transient_group_zero_with_a_note() {
    // b recruits a, a only a: b is left and never re-entered. R's
    // eigenvector gives b 0 as well.
    let s = Sample::from_csv(
        "id,recruiter,degree,group\n1,,3,b\n2,1,3,a\n3,2,3,a\n4,3,3,a\n",
        COLUMNS,
        None,
    )
    .unwrap();
    let a = rds::analyse(&s, Estimator::RdsI, None).unwrap();
    assert_eq!(a.categories[0].estimate, 1.0);
    assert_eq!(a.categories[1].estimate, 0.0);
    assert!(
        a.notes
            .iter()
            .any(|n| n.contains("no recruitment leads back into `b`")),
        "{:?}",
        a.notes
    );
}
