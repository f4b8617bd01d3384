//! The Salganik (2006) bootstrap, as the R package RDS's default for RDS-I
//! and RDS-II (`RDS.bootstrap.intervals(uncertainty = "Salganik")`, its
//! `salganik.bootstrap.estimates`):
//!
//! 1. The recruitments between groups are counted as for RDS-I (tᵢⱼ, with
//!    0.1 in every cell of a group that recruited no one); a row that still
//!    sums below 0.5 is replaced by the column totals, as in R.
//! 2. Each replicate is one chain as long as the sample's recruits with a
//!    value, plus one: its first group is the group of a respondent drawn at
//!    random from those with a value; each next group is drawn from the row
//!    of the one before, with probabilities tᵢⱼ ⁄ Σⱼ tᵢⱼ; at each step a
//!    respondent of that group is drawn with probability proportional to
//!    degree, and their degree is taken.
//! 3. The estimator is computed on the replicate chain as on the sample (a
//!    category absent from the replicate is estimated 0). A replicate on
//!    which it gives nothing (RDS-I without an equilibrium) is left out and
//!    counted, as R leaves out its NaN replicates.
//!
//! The interval is R's default (`ci.type = "t"`): estimate ± z₀.₉₇₅ · the
//! standard deviation of the replicates (n − 1 in the denominator);
//! percentile bounds (2.5 % and 97.5 %, R's quantile type 7) are given too.

use rand::Rng;

use super::estimate::{self, Chain, Estimator};
use super::sample::Sample;

/// z with Φ(z) = 0.975: R's `qnorm(0.975)`.
pub(crate) const Z_975: f64 = 1.959_963_984_540_054;

/// The replicates' estimates.
#[derive(Debug, Clone)]
pub(crate) struct Replicates {
    /// One row per replicate that gave an estimate, one column per category.
    pub values: Vec<Vec<f64>>,
    /// Replicates that gave none.
    pub failed: usize,
}

/// Draws `count` replicates.
pub(crate) fn replicates(
    sample: &Sample,
    estimator: Estimator,
    count: usize,
    rng: &mut impl Rng,
) -> Replicates {
    let k = sample.categories.len();
    let groups: Vec<Option<usize>> = sample.respondents.iter().map(|r| r.group).collect();
    let degrees: Vec<f64> = sample.respondents.iter().map(|r| r.degree).collect();
    let recruiters: Vec<Option<usize>> = sample.respondents.iter().map(|r| r.recruiter).collect();
    let chain = Chain {
        k,
        groups: &groups,
        degrees: &degrees,
        recruiters: &recruiters,
    };
    // Every category is present in the sample itself.
    let pos: Vec<Option<usize>> = (0..k).map(Some).collect();
    let mut t = estimate::transitions(chain, &pos, k);
    for row in &mut t {
        if row.iter().sum::<f64>() == 0.0 {
            row.fill(0.1);
        }
    }
    let column_totals: Vec<f64> = (0..k).map(|j| t.iter().map(|row| row[j]).sum()).collect();
    for row in &mut t {
        if row.iter().sum::<f64>() < 0.5 {
            row.clone_from(&column_totals);
        }
    }
    let steps: Vec<Vec<f64>> = t.iter().map(|row| cumulative(row)).collect();
    let with_value: Vec<usize> = groups.iter().flatten().copied().collect();
    let members: Vec<Vec<f64>> = (0..k)
        .map(|g| {
            sample
                .respondents
                .iter()
                .filter(|r| r.group == Some(g))
                .map(|r| r.degree)
                .collect()
        })
        .collect();
    let by_degree: Vec<Vec<f64>> = members.iter().map(|d| cumulative(d)).collect();
    let length = 1 + sample
        .respondents
        .iter()
        .filter(|r| r.wave > 0 && r.group.is_some())
        .count();

    let recruiters: Vec<Option<usize>> = (0..length).map(|i| i.checked_sub(1)).collect();
    let mut groups = vec![None; length];
    let mut degrees = vec![0.0; length];
    let mut values = Vec::with_capacity(count);
    let mut failed = 0;
    for _ in 0..count {
        let mut g = with_value[rng.random_range(0..with_value.len())];
        for i in 0..length {
            if i > 0 {
                g = draw(&steps[g], rng);
            }
            groups[i] = Some(g);
            degrees[i] = members[g][draw(&by_degree[g], rng)];
        }
        let chain = Chain {
            k,
            groups: &groups,
            degrees: &degrees,
            recruiters: &recruiters,
        };
        match estimate::fit(estimator, chain) {
            Ok(fit) => values.push(fit.p),
            Err(_) => failed += 1,
        }
    }
    Replicates { values, failed }
}

fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut sum = 0.0;
    weights
        .iter()
        .map(|w| {
            sum += w;
            sum
        })
        .collect()
}

/// An index drawn with probability proportional to its weight, from the
/// cumulative weights.
fn draw(cumulative: &[f64], rng: &mut impl Rng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let u = rng.random::<f64>() * total;
    let i = cumulative.partition_point(|&c| c <= u);
    // Never past the last positive weight, whatever the rounding.
    i.min(cumulative.len().saturating_sub(1))
}

/// A category's bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Interval {
    /// The replicates' standard deviation.
    pub se: f64,
    /// estimate − z₀.₉₇₅ · se (R's default interval; may fall below 0).
    pub lower: f64,
    /// estimate + z₀.₉₇₅ · se (may exceed 1).
    pub upper: f64,
    /// The replicates' 2.5 % quantile.
    pub percentile_lower: f64,
    /// The replicates' 97.5 % quantile.
    pub percentile_upper: f64,
}

/// Intervals for each category, around `estimate`; `None` with fewer than
/// two replicates.
pub(crate) fn intervals(estimate: &[f64], replicates: &Replicates) -> Option<Vec<Interval>> {
    let n = replicates.values.len();
    if n < 2 {
        return None;
    }
    Some(
        estimate
            .iter()
            .enumerate()
            .map(|(c, &p)| {
                let mut xs: Vec<f64> = replicates.values.iter().map(|v| v[c]).collect();
                let mean = xs.iter().sum::<f64>() / n as f64;
                let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
                let se = var.sqrt();
                xs.sort_by(f64::total_cmp);
                Interval {
                    se,
                    lower: p - Z_975 * se,
                    upper: p + Z_975 * se,
                    percentile_lower: quantile(&xs, 0.025),
                    percentile_upper: quantile(&xs, 0.975),
                }
            })
            .collect(),
    )
}

/// R's default quantile (type 7) of sorted values.
pub(crate) fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rds_quantile_is_rs_type_7() {
        // R: quantile(c(1, 2, 3, 4, 10), c(0.025, 0.975)) → 1.1, 9.4
        let xs = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert!((quantile(&xs, 0.025) - 1.1).abs() < 1e-12);
        assert!((quantile(&xs, 0.975) - 9.4).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.5), 5.0);
    }

    #[test]
    fn rds_draw_follows_the_weights_and_never_picks_a_zero_weight() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let cum = cumulative(&[1.0, 0.0, 3.0]);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[draw(&cum, &mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = counts[2] as f64 / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{share}");
    }
}
