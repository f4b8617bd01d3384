//! Respondent-driven sampling (RDS): estimates of a categorical variable's
//! population proportions from a sample recruited along its members' social
//! ties, each respondent recruiting the next through coupons.
//!
//! This module works on a recruitment file the researchers hold (one row per
//! respondent: id, recruiter's id, degree, the variable), not on the
//! answers the collector stores, and it publishes nothing: its exact
//! estimates are for the researchers' own analysis, as R's RDS package
//! would give them. Nothing here touches a survey's privacy budget.
//!
//! * [`Sample::from_csv`] reads and checks the file, listing every problem;
//! * [`analyse`] computes the chosen estimator ([`Estimator`]: RDS-I as in
//!   R's `RDS.I.estimates` or RDS-II as in `RDS.II.estimates`), Salganik
//!   bootstrap intervals, the chains' shape,
//!   homophily, and the estimate over the first waves;
//! * [`render_text`] and [`render_json`] write it out.
//!
//! The method, its assumptions and its match with R: `docs/rds.md`.

mod bootstrap;
mod csv;
mod estimate;
mod render;
mod sample;

use rand::SeedableRng;

pub use bootstrap::Interval;
pub use csv::CsvError;
pub use estimate::{EstimateError, Estimator};
pub use render::{render_json, render_text};
pub use sample::{
    ColumnNames, Columns, MAX_CATEGORIES, Problem, ProblemKind, Problems, RdsError, Sample,
};

use estimate::{Chain, Fit};

/// How the bootstrap is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapSpec {
    /// The number of replicates (at least 2).
    pub replicates: usize,
    /// The generator's seed: the same seed, the same intervals (with the
    /// same build: the generator is `rand`'s `StdRng`, ChaCha12 in rand 0.9,
    /// seeded by `seed_from_u64`).
    pub seed: u64,
}

/// Everything `chorus rds estimate` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Analysis {
    pub estimator: Estimator,
    pub columns: ColumnNames,
    pub seed_marker: Option<String>,
    /// Rows in the file.
    pub respondents: usize,
    /// Rows with a value of the variable (those the estimate uses).
    pub with_value: usize,
    /// Rows without one: kept in the chains, left out of the estimate.
    pub missing_value: usize,
    pub categories: Vec<CategoryResult>,
    pub bootstrap: Option<BootstrapSummary>,
    pub chains: ChainStats,
    pub homophily: Homophily,
    pub convergence: Vec<WaveEstimate>,
    /// Things the reader must know about this estimate.
    pub notes: Vec<String>,
}

/// One category's estimate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryResult {
    pub value: String,
    /// Respondents with this value.
    pub n: usize,
    /// n ⁄ (respondents with a value): the unweighted share.
    pub sample_proportion: f64,
    /// nₖ ⁄ Σ_{i∈k} 1/dᵢ, the mean degree RDS-I corrects by.
    pub harmonic_mean_degree: f64,
    pub estimate: f64,
    /// `None` without a bootstrap.
    pub interval: Option<Interval>,
}

/// What the bootstrap did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BootstrapSummary {
    pub method: &'static str,
    pub replicates: usize,
    /// Replicates that gave an estimate (the intervals use these).
    pub used: usize,
    /// Replicates on which the estimator gave none (RDS-I without an
    /// equilibrium), left out.
    pub failed: usize,
    pub seed: u64,
    pub confidence: f64,
}

/// The recruitment chains' shape.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChainStats {
    pub seeds: usize,
    /// The longest chain's depth (the highest wave; seeds are wave 0).
    pub waves: usize,
    pub per_wave: Vec<WaveCount>,
    /// Each seed's chain, in the order of the file.
    pub seed_chains: Vec<SeedChain>,
    /// `transitions[i][j]`: respondents of category j recruited by one of
    /// category i (both values known), in the order of `categories`.
    pub transitions: Vec<Vec<usize>>,
}

/// One wave's size.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WaveCount {
    pub wave: usize,
    pub respondents: usize,
    pub with_value: usize,
}

/// One seed and what it led to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeedChain {
    pub id: String,
    pub line: usize,
    pub value: Option<String>,
    /// Everyone recruited down this seed's chain (not the seed itself).
    pub recruits: usize,
    /// The chain's depth.
    pub waves: usize,
}

/// Recruitment homophily.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Homophily {
    /// R's `homophily.estimates(recruitment = TRUE)`: Σᵢ tᵢᵢ ⁄ (Σᵢ rᵢ cᵢ ⁄ T),
    /// the in-group recruitments over those expected were recruiters'
    /// and recruits' values independent (rᵢ, cᵢ: row and column totals of
    /// the transitions, T their sum). 1 is none; `None` without
    /// recruitments between known values.
    pub recruitment: Option<f64>,
    pub groups: Vec<GroupHomophily>,
}

/// One group's homophily.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupHomophily {
    pub value: String,
    /// Recruits (with a value) of this group's members.
    pub recruits: usize,
    /// Of those, in this group.
    pub in_group: usize,
    /// Sᵢᵢ = in_group ⁄ recruits.
    pub in_group_share: Option<f64>,
    /// Heckathorn's (2002) index against the estimate Pᵢ:
    /// (Sᵢᵢ − Pᵢ) ⁄ (1 − Pᵢ) when Sᵢᵢ ≥ Pᵢ, else (Sᵢᵢ − Pᵢ) ⁄ Pᵢ; from −1
    /// (recruits only outside the group) through 0 (as chance) to 1 (only
    /// inside).
    pub heckathorn: Option<f64>,
}

/// The estimate on the respondents of waves 0 to `wave`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WaveEstimate {
    pub wave: usize,
    pub respondents: usize,
    pub with_value: usize,
    /// One per category, in the order of `categories`; `None` when the
    /// estimator gives none on these waves (see `reason`).
    pub estimates: Option<Vec<f64>>,
    pub reason: Option<String>,
}

/// The estimator on the whole sample, one proportion per category (in the
/// order of [`Sample::categories`]).
pub fn estimate(sample: &Sample, estimator: Estimator) -> Result<Vec<f64>, EstimateError> {
    fit_waves(sample, estimator, usize::MAX)
        .map(|f| f.p)
        .map_err(|f| f.named(&sample.categories))
}

/// The estimator on the respondents of waves 0 to `last`.
fn fit_waves(sample: &Sample, estimator: Estimator, last: usize) -> Result<Fit, estimate::Failure> {
    let mut new_index = vec![None; sample.respondents.len()];
    let mut groups = Vec::new();
    let mut degrees = Vec::new();
    let mut recruiters = Vec::new();
    // Waves in order, so that a recruiter gets its new index first.
    let mut order: Vec<usize> = (0..sample.respondents.len())
        .filter(|&i| sample.respondents[i].wave <= last)
        .collect();
    order.sort_by_key(|&i| sample.respondents[i].wave);
    for i in order {
        let r = &sample.respondents[i];
        new_index[i] = Some(groups.len());
        groups.push(r.group);
        degrees.push(r.degree);
        recruiters.push(r.recruiter.and_then(|x| new_index[x]));
    }
    estimate::fit(
        estimator,
        Chain {
            k: sample.categories.len(),
            groups: &groups,
            degrees: &degrees,
            recruiters: &recruiters,
        },
    )
}

/// The estimate, its bootstrap intervals (unless `bootstrap` is `None`),
/// the chains' statistics, homophily and the estimate by wave.
pub fn analyse(
    sample: &Sample,
    estimator: Estimator,
    bootstrap: Option<BootstrapSpec>,
) -> Result<Analysis, EstimateError> {
    let cats = &sample.categories;
    let k = cats.len();
    let fit = fit_waves(sample, estimator, usize::MAX).map_err(|f| f.named(cats))?;
    let mut notes = Vec::new();

    let with_value = sample
        .respondents
        .iter()
        .filter(|r| r.group.is_some())
        .count();
    let missing = sample.respondents.len() - with_value;
    if missing > 0 {
        notes.push(format!(
            "{missing} respondent{} no value of `{}`: kept in the recruitment chains (waves, seeds, \
             recruiters), left out of the estimate",
            if missing == 1 { " has" } else { "s have" },
            sample.columns.variable
        ));
    }
    let names = |ix: &[usize]| {
        ix.iter()
            .map(|&i| format!("`{}`", cats[i]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !fit.filled.is_empty() {
        notes.push(format!(
            "members of {} recruited no one with a value; as in R's RDS, their transition row counts \
             0.1 recruits into every group",
            names(&fit.filled)
        ));
    }
    if !fit.transient.is_empty() {
        notes.push(format!(
            "no recruitment leads back into {} from the other groups, so RDS-I's equilibrium gives them 0 \
             (as R's RDS does); that 0 says more about the recruitments than about the population",
            names(&fit.transient)
        ));
    }

    let mut n = vec![0usize; k];
    let mut inv = vec![0.0; k];
    for r in &sample.respondents {
        if let Some(g) = r.group {
            n[g] += 1;
            inv[g] += 1.0 / r.degree;
        }
    }

    let summary_and_intervals = bootstrap.map(|spec| {
        let mut rng = rand::rngs::StdRng::seed_from_u64(spec.seed);
        let reps = bootstrap::replicates(sample, estimator, spec.replicates, &mut rng);
        let intervals = bootstrap::intervals(&fit.p, &reps);
        let summary = BootstrapSummary {
            method: "salganik",
            replicates: spec.replicates,
            used: reps.values.len(),
            failed: reps.failed,
            seed: spec.seed,
            confidence: 0.95,
        };
        (summary, intervals)
    });
    if let Some((s, intervals)) = &summary_and_intervals {
        if s.failed > 0 {
            notes.push(format!(
                "{} of {} bootstrap replicates gave no estimate (no equilibrium) and were left out, as R does",
                s.failed, s.replicates
            ));
        }
        if intervals.is_none() {
            notes.push(
                "fewer than 2 bootstrap replicates gave an estimate: no intervals".to_string(),
            );
        }
    }
    let categories = (0..k)
        .map(|c| CategoryResult {
            value: cats[c].clone(),
            n: n[c],
            sample_proportion: n[c] as f64 / with_value as f64,
            harmonic_mean_degree: n[c] as f64 / inv[c],
            estimate: fit.p[c],
            interval: summary_and_intervals
                .as_ref()
                .and_then(|(_, i)| i.as_ref())
                .map(|i| i[c]),
        })
        .collect();

    let chains = chain_stats(sample);
    let homophily = homophily(sample, &chains.transitions, &fit.p);
    let convergence = (0..=sample.max_wave())
        .map(|w| {
            let inside = sample.respondents.iter().filter(|r| r.wave <= w);
            let respondents = inside.clone().count();
            let with_value = inside.filter(|r| r.group.is_some()).count();
            let (estimates, reason) = match fit_waves(sample, estimator, w) {
                Ok(f) => (Some(f.p), None),
                Err(f) => (None, Some(f.named(cats).to_string())),
            };
            WaveEstimate {
                wave: w,
                respondents,
                with_value,
                estimates,
                reason,
            }
        })
        .collect();

    Ok(Analysis {
        estimator,
        columns: sample.columns.clone(),
        seed_marker: sample.seed_marker.clone(),
        respondents: sample.respondents.len(),
        with_value,
        missing_value: missing,
        categories,
        bootstrap: summary_and_intervals.map(|(s, _)| s),
        chains,
        homophily,
        convergence,
        notes,
    })
}

fn chain_stats(sample: &Sample) -> ChainStats {
    let rs = &sample.respondents;
    let k = sample.categories.len();
    let waves = sample.max_wave();
    let mut per_wave: Vec<WaveCount> = (0..=waves)
        .map(|wave| WaveCount {
            wave,
            respondents: 0,
            with_value: 0,
        })
        .collect();
    for r in rs {
        per_wave[r.wave].respondents += 1;
        if r.group.is_some() {
            per_wave[r.wave].with_value += 1;
        }
    }
    // Each respondent's seed, following recruiters (waves make this finite).
    let mut seed_of = vec![0; rs.len()];
    let mut order: Vec<usize> = (0..rs.len()).collect();
    order.sort_by_key(|&i| rs[i].wave);
    for i in order {
        seed_of[i] = match rs[i].recruiter {
            None => i,
            Some(r) => seed_of[r],
        };
    }
    let seed_chains = (0..rs.len())
        .filter(|&i| rs[i].recruiter.is_none())
        .map(|s| {
            let members = (0..rs.len()).filter(|&i| seed_of[i] == s);
            SeedChain {
                id: rs[s].id.clone(),
                line: rs[s].line,
                value: rs[s].group.map(|g| sample.categories[g].clone()),
                recruits: members.clone().count() - 1,
                waves: members.map(|i| rs[i].wave).max().unwrap_or(0),
            }
        })
        .collect::<Vec<_>>();
    let mut transitions = vec![vec![0; k]; k];
    for r in rs {
        if let (Some(g), Some(rec)) = (r.group, r.recruiter)
            && let Some(h) = rs[rec].group
        {
            transitions[h][g] += 1;
        }
    }
    ChainStats {
        seeds: seed_chains.len(),
        waves,
        per_wave,
        seed_chains,
        transitions,
    }
}

fn homophily(sample: &Sample, t: &[Vec<usize>], p: &[f64]) -> Homophily {
    let k = t.len();
    let row: Vec<usize> = t.iter().map(|r| r.iter().sum()).collect();
    let col: Vec<usize> = (0..k).map(|j| t.iter().map(|r| r[j]).sum()).collect();
    let total: usize = row.iter().sum();
    let diagonal: usize = (0..k).map(|i| t[i][i]).sum();
    let expected: f64 = (0..k).map(|i| row[i] as f64 * col[i] as f64).sum::<f64>() / total as f64;
    let recruitment = (total > 0 && expected > 0.0).then(|| diagonal as f64 / expected);
    let groups = (0..k)
        .map(|i| {
            let share = (row[i] > 0).then(|| t[i][i] as f64 / row[i] as f64);
            let heckathorn = share.and_then(|s| {
                let pi = p[i];
                if s >= pi {
                    (pi < 1.0).then(|| (s - pi) / (1.0 - pi))
                } else {
                    Some((s - pi) / pi)
                }
            });
            GroupHomophily {
                value: sample.categories[i].clone(),
                recruits: row[i],
                in_group: t[i][i],
                in_group_share: share,
                heckathorn,
            }
        })
        .collect();
    Homophily {
        recruitment,
        groups,
    }
}
