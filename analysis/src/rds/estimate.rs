//! The estimators, on any recruitment data: the sample, the respondents of
//! its first waves, or a bootstrap chain.
//!
//! Both follow the R package RDS (Handcock, Gile, Fellows; version 0.9-10),
//! `RDS.I.estimates` and `RDS.II.estimates` with their defaults:
//!
//! * **RDS-II** (Volz and Heckathorn 2008): p̂ₖ = Σ_{i∈k} 1/dᵢ ⁄ Σᵢ 1/dᵢ over
//!   the respondents with a value.
//! * **RDS-I** (Heckathorn 2002; Salganik and Heckathorn 2004): tᵢⱼ counts
//!   the recruitments of a group-j respondent by a group-i respondent (both
//!   values known; seeds are nobody's recruits). A group whose members
//!   recruited no one gets 0.1 in each cell of its row, as R does. The row
//!   proportions Pᵢⱼ = tᵢⱼ ⁄ Σⱼ tᵢⱼ are a Markov chain's transitions; its
//!   equilibrium π (π P = π, Σ π = 1) divided by each group's harmonic mean
//!   degree hₖ = nₖ ⁄ Σ_{i∈k} 1/dᵢ, then normalised, is the estimate:
//!   p̂ₖ = (πₖ ⁄ hₖ) ⁄ Σⱼ (πⱼ ⁄ hⱼ).
//!
//! R's "data-smoothed" RDS-I (`smoothed = TRUE`, not its default) needs no
//! code of its own: it replaces the counts by the symmetric
//! Sᵢⱼ = ½ T (πᵢ Pᵢⱼ + πⱼ Pⱼᵢ) and recomputes π from S's row proportions,
//! but S's row sums are ½ T (πᵢ Σⱼ Pᵢⱼ + Σⱼ πⱼ Pⱼᵢ) = T πᵢ, and a
//! symmetric matrix's normalised row sums are the equilibrium of its row
//! proportions, so π, and the estimate, come out unchanged.
//!
//! Only the categories present in the data at hand take part; the others
//! are estimated at 0. The equilibrium is the chain's unique stationary
//! distribution: it exists when exactly one closed set of groups exists
//! (groups outside it, "transient", get 0, as R's eigenvector does), and it
//! is refused when that set is periodic (R gives `NA` when the period is
//! even).

/// Which estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    /// Salganik–Heckathorn RDS-I, R's `RDS.I.estimates` (with or without
    /// `smoothed`, which gives the same estimate).
    RdsI,
    /// Volz–Heckathorn RDS-II, R's `RDS.II.estimates`.
    RdsII,
}

impl Estimator {
    /// The name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::RdsI => "rds-i",
            Estimator::RdsII => "rds-ii",
        }
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            Estimator::RdsI => "RDS-I (Salganik–Heckathorn)",
            Estimator::RdsII => "RDS-II (Volz–Heckathorn)",
        }
    }
}

impl serde::Serialize for Estimator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Why an estimator gives no estimate on some data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    /// Nobody in the data has a value.
    #[error("no respondent here has a value")]
    NoValues,
    /// The recruitments split the groups into several closed sets.
    #[error(
        "RDS-I has no single equilibrium: the recruitments between groups split them into {} closed sets ({}), none of which recruited into another (R's RDS gives NaN here)",
        classes.len(),
        classes.iter().map(|c| format!("{{{}}}", c.join(", "))).collect::<Vec<_>>().join(" and ")
    )]
    SeveralClosed { classes: Vec<Vec<String>> },
    /// The recruitments between groups go round in a fixed cycle.
    #[error(
        "RDS-I has no equilibrium to converge to: recruitments among {{{}}} are periodic (period {period}: every recruitment moves to the next set of groups of a fixed cycle; R's RDS gives NA here)",
        groups.join(", ")
    )]
    Periodic { period: usize, groups: Vec<String> },
}

/// An estimator's failure, with category indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    NoValues,
    SeveralClosed(Vec<Vec<usize>>),
    Periodic { period: usize, class: Vec<usize> },
}

impl Failure {
    pub(crate) fn named(&self, categories: &[String]) -> EstimateError {
        let names = |ix: &[usize]| ix.iter().map(|&i| categories[i].clone()).collect();
        match self {
            Failure::NoValues => EstimateError::NoValues,
            Failure::SeveralClosed(classes) => EstimateError::SeveralClosed {
                classes: classes.iter().map(|c| names(c)).collect(),
            },
            Failure::Periodic { period, class } => EstimateError::Periodic {
                period: *period,
                groups: names(class),
            },
        }
    }
}

/// Recruitment data as the estimators read it: one entry per respondent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chain<'a> {
    /// The number of categories.
    pub k: usize,
    pub groups: &'a [Option<usize>],
    pub degrees: &'a [f64],
    /// Index of each respondent's recruiter in these slices.
    pub recruiters: &'a [Option<usize>],
}

/// An estimate, and what the data made of RDS-I's chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fit {
    /// One proportion per category; 0 for those absent from the data.
    pub p: Vec<f64>,
    /// RDS-I: groups outside the equilibrium's closed set (estimated 0).
    pub transient: Vec<usize>,
    /// RDS-I: groups whose members recruited no one with a value (their
    /// transition row taken as 0.1 to every group).
    pub filled: Vec<usize>,
}

/// The number of respondents with each value, and their Σ 1/d.
fn group_sums(chain: Chain<'_>) -> (Vec<usize>, Vec<f64>) {
    let mut n = vec![0; chain.k];
    let mut inv = vec![0.0; chain.k];
    for (g, d) in chain.groups.iter().zip(chain.degrees) {
        if let Some(g) = *g {
            n[g] += 1;
            inv[g] += 1.0 / d;
        }
    }
    (n, inv)
}

pub(crate) fn fit(estimator: Estimator, chain: Chain<'_>) -> Result<Fit, Failure> {
    match estimator {
        Estimator::RdsII => rds_ii(chain),
        Estimator::RdsI => rds_i(chain),
    }
}

fn rds_ii(chain: Chain<'_>) -> Result<Fit, Failure> {
    let (_, inv) = group_sums(chain);
    let total: f64 = inv.iter().sum();
    if total == 0.0 {
        return Err(Failure::NoValues);
    }
    Ok(Fit {
        p: inv.iter().map(|x| x / total).collect(),
        transient: Vec::new(),
        filled: Vec::new(),
    })
}

/// The recruitment counts between the groups present: `t[a][b]` is the
/// number of respondents of `present[b]` recruited by one of `present[a]`.
pub(crate) fn transitions(chain: Chain<'_>, pos: &[Option<usize>], m: usize) -> Vec<Vec<f64>> {
    let mut t = vec![vec![0.0; m]; m];
    for (g, r) in chain.groups.iter().zip(chain.recruiters) {
        if let (Some(g), Some(r)) = (*g, *r)
            && let Some(h) = chain.groups[r]
            && let (Some(a), Some(b)) = (pos[h], pos[g])
        {
            t[a][b] += 1.0;
        }
    }
    t
}

fn rds_i(chain: Chain<'_>) -> Result<Fit, Failure> {
    let (n, inv) = group_sums(chain);
    let present: Vec<usize> = (0..chain.k).filter(|&c| n[c] > 0).collect();
    let mut p = vec![0.0; chain.k];
    match present.as_slice() {
        [] => return Err(Failure::NoValues),
        [only] => {
            p[*only] = 1.0;
            return Ok(Fit {
                p,
                transient: Vec::new(),
                filled: Vec::new(),
            });
        }
        _ => {}
    }
    let mut pos = vec![None; chain.k];
    for (a, &c) in present.iter().enumerate() {
        pos[c] = Some(a);
    }
    let m = present.len();
    let mut t = transitions(chain, &pos, m);
    let mut filled = Vec::new();
    for (a, row) in t.iter_mut().enumerate() {
        if row.iter().sum::<f64>() == 0.0 {
            row.fill(0.1);
            filled.push(present[a]);
        }
    }
    let back = |ix: Vec<usize>| -> Vec<usize> { ix.into_iter().map(|a| present[a]).collect() };
    let lift = |f: Failure| match f {
        Failure::SeveralClosed(cs) => Failure::SeveralClosed(cs.into_iter().map(back).collect()),
        Failure::Periodic { period, class } => Failure::Periodic {
            period,
            class: back(class),
        },
        Failure::NoValues => Failure::NoValues,
    };
    let markov = row_proportions(&t);
    let (q, transient) = stationary(&markov).map_err(lift)?;
    // πₖ ⁄ hₖ with hₖ = nₖ ⁄ Σ 1/d.
    let w: Vec<f64> = present
        .iter()
        .enumerate()
        .map(|(a, &c)| q[a] * inv[c] / n[c] as f64)
        .collect();
    let sum: f64 = w.iter().sum();
    for (a, &c) in present.iter().enumerate() {
        p[c] = w[a] / sum;
    }
    Ok(Fit {
        p,
        transient: back(transient),
        filled,
    })
}

fn row_proportions(t: &[Vec<f64>]) -> Vec<Vec<f64>> {
    t.iter()
        .map(|row| {
            let s: f64 = row.iter().sum();
            row.iter().map(|x| x / s).collect()
        })
        .collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The stationary distribution of the row-stochastic `p`, and the states
/// outside its support. Refused unless exactly one closed class exists and
/// it is aperiodic.
pub(crate) fn stationary(p: &[Vec<f64>]) -> Result<(Vec<f64>, Vec<usize>), Failure> {
    let m = p.len();
    // reach[i][j]: j can be reached from i (in zero or more steps).
    let mut reach: Vec<Vec<bool>> = (0..m)
        .map(|i| (0..m).map(|j| i == j || p[i][j] > 0.0).collect())
        .collect();
    for via in 0..m {
        let from_via = reach[via].clone();
        for row in reach.iter_mut().filter(|row| row[via]) {
            for (r, &v) in row.iter_mut().zip(&from_via) {
                *r |= v;
            }
        }
    }
    // A closed class: a state whose every reachable state reaches it back,
    // with all of those.
    let mut seen = vec![false; m];
    let mut closed: Vec<Vec<usize>> = Vec::new();
    for i in 0..m {
        if seen[i] {
            continue;
        }
        let class: Vec<usize> = (0..m).filter(|&j| reach[i][j] && reach[j][i]).collect();
        for &j in &class {
            seen[j] = true;
        }
        let is_closed = (0..m).all(|j| !reach[i][j] || reach[j][i]);
        if is_closed {
            closed.push(class);
        }
    }
    let class = match closed.as_slice() {
        [one] => one.clone(),
        _ => return Err(Failure::SeveralClosed(closed)),
    };
    // The period: the gcd of level(u) + 1 − level(v) over the class's edges,
    // with levels from a breadth-first search.
    let mut level = vec![usize::MAX; m];
    level[class[0]] = 0;
    let mut queue = std::collections::VecDeque::from([class[0]]);
    while let Some(u) = queue.pop_front() {
        for v in 0..m {
            if p[u][v] > 0.0 && level[v] == usize::MAX {
                level[v] = level[u] + 1;
                queue.push_back(v);
            }
        }
    }
    let mut period = 0;
    for &u in &class {
        for &v in &class {
            if p[u][v] > 0.0 {
                period = gcd(period, (level[u] + 1).abs_diff(level[v]));
            }
        }
    }
    if period > 1 {
        return Err(Failure::Periodic { period, class });
    }
    // π on the class: Σᵢ πᵢ Pᵢⱼ − πⱼ = 0 for each j but the last, Σ π = 1.
    let s = class.len();
    let mut a = vec![vec![0.0; s]; s];
    let mut b = vec![0.0; s];
    for (row, &j) in class.iter().enumerate().take(s - 1) {
        for (col, &i) in class.iter().enumerate() {
            a[row][col] = p[i][j] - if i == j { 1.0 } else { 0.0 };
        }
    }
    a[s - 1].fill(1.0);
    b[s - 1] = 1.0;
    let x = solve(a, b).ok_or_else(|| Failure::SeveralClosed(vec![class.clone()]))?;
    let mut q = vec![0.0; m];
    for (&i, xi) in class.iter().zip(&x) {
        q[i] = xi.max(0.0);
    }
    let total: f64 = q.iter().sum();
    for v in &mut q {
        *v /= total;
    }
    let transient = (0..m).filter(|i| !class.contains(i)).collect();
    Ok((q, transient))
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None`
/// when `a` is singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            if f != 0.0 {
                for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *x -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let mut s = b[row];
        for k in row + 1..n {
            s -= a[row][k] * x[k];
        }
        x[row] = s / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rds_stationary_of_a_two_state_chain() {
        // π = (b, a) / (a + b) for P = [[1−a, a], [b, 1−b]].
        let (q, transient) = stationary(&[vec![0.7, 0.3], vec![0.1, 0.9]]).unwrap();
        assert!((q[0] - 0.25).abs() < 1e-15 && (q[1] - 0.75).abs() < 1e-15);
        assert!(transient.is_empty());
    }

    #[test]
    fn rds_stationary_puts_nothing_on_transient_states() {
        // State 0 leads into the closed {1, 2} and is never entered again.
        let p = [
            vec![0.5, 0.5, 0.0],
            vec![0.0, 0.5, 0.5],
            vec![0.0, 0.5, 0.5],
        ];
        let (q, transient) = stationary(&p).unwrap();
        assert_eq!(q, vec![0.0, 0.5, 0.5]);
        assert_eq!(transient, vec![0]);
    }

    #[test]
    fn rds_stationary_refuses_two_closed_classes_and_periodic_chains() {
        let p = [vec![1.0, 0.0], vec![0.0, 1.0]];
        assert_eq!(
            stationary(&p),
            Err(Failure::SeveralClosed(vec![vec![0], vec![1]]))
        );
        let p = [vec![0.0, 1.0], vec![1.0, 0.0]];
        assert_eq!(
            stationary(&p),
            Err(Failure::Periodic {
                period: 2,
                class: vec![0, 1]
            })
        );
        let p = [
            vec![0.0, 1.0, 0.0],
            vec![0.0, 0.0, 1.0],
            vec![1.0, 0.0, 0.0],
        ];
        assert!(matches!(
            stationary(&p),
            Err(Failure::Periodic { period: 3, .. })
        ));
    }
}
