//! Exact aggregates and their sensitivity. Private to the crate: exact values
//! never leave it; [`crate::report`] adds noise before anything is published.
//!
//! Each planned table becomes a [`Spec`]: the groups of its cross-tab (the
//! product of the options of its `by` questions, one group without `by`),
//! its columns (options, scale points, bins, …) and one or more *parts*
//! (`count`, or `sum` and `count` for means), each a vector of integers with
//! a declared L1 and squared-L2 sensitivity under adding or removing one
//! respondent. Noise is calibrated per part.
//!
//! Counting is *stable*: whatever a stored response holds, it changes each
//! part by at most its declared sensitivity. Answers of the wrong shape,
//! unknown ids, repeated ticks and values out of range are ignored; a
//! multiple-choice answer with more ticks than the declared bound keeps
//! only the first ones (in the order stored); a respondent who did not
//! answer a `by` question is in no group. So the bound holds even for
//! responses that did not pass `surveys::validate`.
//!
//! A table over a repeat's instances ([`Within`]: `counts` of a question
//! inside a repeat, or `instances` of the repeat) reads each of a
//! response's instances as one answer, but only the first `max` of them
//! (the repeat's declared most), so one response moves such a part by at
//! most `max` times what one answer can: Δ₁ = max·δ₁ and, by the triangle
//! inequality, Δ₂ ≤ max·δ₂, that is Δ₂² = max²·δ₂² (all instances giving
//! the same answer reach both).
//!
//! An `rds_proportion` ([`Body::Rds`]) sums weights rather than counting:
//! a respondent with a known option and an integer degree d adds
//! round(unit / clamp(d, lower, upper)) to their option's cell, so the
//! clamp bounds one respondent's move by round(unit / lower) for any
//! stored degree; anything else adds nothing.

use std::collections::BTreeMap;

use surveys::{
    Answer, Answers, Epsilon, Mechanism, PlannedTable, Question, QuestionKind, Statistic, Survey,
    Text,
};

use crate::report::AnalysisError;

/// A column or a group coordinate: an id and its label in every language.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opt {
    pub id: String,
    pub label: Text,
}

/// One `by` question of a cross-tab.
#[derive(Debug)]
pub(crate) struct Axis<'s> {
    pub question: &'s Question,
    pub options: Vec<Opt>,
    index: BTreeMap<String, usize>,
}

/// The repeat a table counts the instances of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Within<'s> {
    pub repeat: &'s Question,
    /// The repeat's declared `max`: no more of a response's instances are
    /// read (the first ones, in stored order).
    pub max: usize,
}

/// One noised vector of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Part {
    pub name: &'static str,
    /// Values per group.
    pub len: usize,
    /// L1 sensitivity of the whole part (all groups together).
    pub l1: u64,
    /// Squared L2 sensitivity.
    pub l2sq: u64,
}

/// What is computed, with what it needs to read an answer.
#[derive(Debug)]
pub(crate) enum Body<'s> {
    Total,
    /// The number of a repeat's instances (at most its `max` per response).
    Instances,
    /// Single choice: one cell per option.
    Single {
        index: BTreeMap<String, usize>,
    },
    /// Multiple choice: a cell per option, at most `max` ticks counted.
    Multiple {
        index: BTreeMap<String, usize>,
        max: usize,
    },
    Rating {
        scale: i64,
    },
    Grid {
        statements: BTreeMap<String, usize>,
        points: BTreeMap<String, usize>,
    },
    FirstChoice {
        index: BTreeMap<String, usize>,
    },
    Bins {
        edges: Vec<f64>,
    },
    /// Clamped mean: value clamped to [lower, upper] and rounded to the grid
    /// lower + k·step, k ∈ 0..=resolution; summed as j = 2k − resolution ∈
    /// [−resolution, resolution], so the sum's sensitivity is `resolution`
    /// and mean = (lower + upper)/2 + (step/2)·Σj/n.
    Mean {
        lower: f64,
        upper: f64,
        resolution: i64,
    },
    /// Per option: the sum of ranks (1..=k) and how many ranked it.
    MeanRank {
        index: BTreeMap<String, usize>,
        k: usize,
    },
    /// RDS-II: per option of a single choice, the sum of the weights
    /// round(unit / clamp(d, lower, upper)) of those who chose it, `d` the
    /// integer answer to `degree`; `unit` = [`RDS_UNITS_PER_MAX`] · upper.
    Rds {
        index: BTreeMap<String, usize>,
        degree: &'s Question,
        lower: i64,
        upper: i64,
        unit: i64,
    },
}

/// An `rds_proportion`'s weights are in units of 1/unit, unit = this many
/// times the degree's upper bound: each weight is then rounded by at most
/// 1/(2·this) of its own value (at most 0.05%).
pub(crate) const RDS_UNITS_PER_MAX: i64 = 1000;

/// round(unit / d) for 1 ≤ d, rounding halves up, in integers.
pub(crate) fn rds_weight(unit: i64, d: i64) -> i64 {
    (2 * unit + d) / (2 * d)
}

/// A planned table resolved against its survey, with its exact values.
#[derive(Debug)]
pub(crate) struct Spec<'s> {
    pub table: PlannedTable,
    pub question: Option<&'s Question>,
    /// A table over a repeat's instances: the repeat, and how many instances
    /// of a response are read.
    pub within: Option<Within<'s>>,
    pub by: Vec<Axis<'s>>,
    pub columns: Vec<Opt>,
    pub body: Body<'s>,
    pub parts: Vec<Part>,
    /// Exact values, per part: `groups × part.len`, group-major.
    exact: Vec<Vec<i64>>,
    /// Scratch: which columns this response has already ticked.
    ticked: Vec<bool>,
}

fn words(en: &str, ru: &str) -> Text {
    let mut t = BTreeMap::new();
    t.insert("en".to_string(), en.to_string());
    t.insert("ru".to_string(), ru.to_string());
    Text(t)
}

fn options(choices: &[surveys::Choice], other: bool) -> Vec<Opt> {
    let mut out: Vec<Opt> = choices
        .iter()
        .map(|c| Opt {
            id: c.id.clone(),
            label: c.label.clone(),
        })
        .collect();
    if other && !choices.iter().any(|c| c.id == "other") {
        out.push(Opt {
            id: "other".into(),
            label: words("Other", "Другое"),
        });
    }
    out
}

fn index_of(opts: &[Opt]) -> BTreeMap<String, usize> {
    opts.iter()
        .enumerate()
        .map(|(i, o)| (o.id.clone(), i))
        .collect()
}

fn usize_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// `x` as text without a needless `.0`.
pub(crate) fn num_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl<'s> Spec<'s> {
    /// Resolves `table` against `survey`, refusing what cannot be published.
    pub fn new(survey: &'s Survey, table: &PlannedTable) -> Result<Spec<'s>, AnalysisError> {
        let bad = |why: String| AnalysisError::Plan {
            table: table.id.clone(),
            message: why,
        };
        // The question, and the repeat it is inside (if it is).
        let (question, repeat) = match &table.question {
            None => (None, None),
            Some(id) => {
                let (q, repeat) = survey
                    .question_anywhere(id)
                    .ok_or_else(|| bad(format!("unknown question `{id}`")))?;
                (Some(q), repeat)
            }
        };
        if let Some(q) = question
            && q.kind.is_free_text()
        {
            return Err(bad(format!(
                "`{}` is free text, which is never published",
                q.id
            )));
        }
        let mut by = Vec::new();
        for b in &table.by {
            let (q, b_repeat) = survey
                .question_anywhere(b)
                .ok_or_else(|| bad(format!("unknown question `{b}` in `by`")))?;
            if let Some(r) = b_repeat {
                return Err(bad(format!(
                    "`by` takes questions outside repeats; `{b}` is inside the repeat `{}`",
                    r.id
                )));
            }
            let QuestionKind::SingleChoice { choices, other, .. } = &q.kind else {
                return Err(bad(format!(
                    "`by` takes single_choice questions; `{b}` is not"
                )));
            };
            let opts = options(choices, *other);
            by.push(Axis {
                question: q,
                index: index_of(&opts),
                options: opts,
            });
        }
        if by.len() > 2 {
            return Err(bad("`by` takes at most two questions".into()));
        }
        let needs_question = || {
            bad(format!(
                "`{}` needs a question",
                stat_name(&table.statistic)
            ))
        };
        let unfit = |q: &Question| {
            bad(format!(
                "`{}` cannot be computed on `{}` ({})",
                stat_name(&table.statistic),
                q.id,
                q.kind.name()
            ))
        };
        let count_part = |len: usize, l1: u64| Part {
            name: "count",
            len,
            l1,
            l2sq: l1,
        };
        // Over a repeat's instances: `instances` of the repeat itself, or
        // `counts` of a single choice, multiple choice or rating question
        // inside it; nothing else.
        let within = match (repeat, question) {
            (Some(r), Some(q)) => {
                let fits =
                    matches!(table.statistic, Statistic::Counts) && q.kind.counts_over_instances();
                if !fits {
                    return Err(bad(format!(
                        "`{}` cannot be computed on `{}` ({} inside the repeat `{}`): over a repeat's instances only `counts` of a single_choice, multiple_choice or rating question is published",
                        stat_name(&table.statistic),
                        q.id,
                        q.kind.name(),
                        r.id
                    )));
                }
                Some(within_of(r))
            }
            (None, Some(q)) if matches!(table.statistic, Statistic::Instances) => {
                if !matches!(q.kind, QuestionKind::Repeat { .. }) {
                    return Err(unfit(q));
                }
                Some(within_of(q))
            }
            _ => None,
        };
        let (columns, body, parts) = match &table.statistic {
            Statistic::Total => (
                vec![Opt {
                    id: "respondents".into(),
                    label: words("Respondents", "Участники"),
                }],
                Body::Total,
                vec![count_part(1, 1)],
            ),
            Statistic::Instances => {
                question.ok_or_else(needs_question)?;
                (
                    vec![Opt {
                        id: "instances".into(),
                        label: words("Instances in all", "Всего записей"),
                    }],
                    Body::Instances,
                    // One instance weighs 1; `within` scales it by `max`.
                    vec![count_part(1, 1)],
                )
            }
            Statistic::Counts => {
                let q = question.ok_or_else(needs_question)?;
                match &q.kind {
                    QuestionKind::SingleChoice { choices, other, .. } => {
                        let cols = options(choices, *other);
                        let index = index_of(&cols);
                        let n = cols.len();
                        (cols, Body::Single { index }, vec![count_part(n, 1)])
                    }
                    QuestionKind::MultipleChoice {
                        choices,
                        other,
                        max_selected,
                        ..
                    } => {
                        let cols = options(choices, *other);
                        let index = index_of(&cols);
                        let n = cols.len();
                        let max = max_selected
                            .and_then(|m| usize::try_from(m).ok())
                            .map_or(n, |m| m.min(n))
                            .max(1);
                        (
                            cols,
                            Body::Multiple { index, max },
                            vec![count_part(n, usize_u64(max))],
                        )
                    }
                    QuestionKind::Rating { scale, .. } => {
                        let cols: Vec<Opt> = (1..=*scale)
                            .map(|p| Opt {
                                id: p.to_string(),
                                label: Text(
                                    survey
                                        .languages
                                        .iter()
                                        .map(|l| (l.clone(), p.to_string()))
                                        .collect(),
                                ),
                            })
                            .collect();
                        let n = cols.len();
                        (
                            cols,
                            Body::Rating {
                                scale: i64::from(*scale),
                            },
                            vec![count_part(n, 1)],
                        )
                    }
                    QuestionKind::Grid { statements, scale } => {
                        let mut cols = Vec::new();
                        for s in statements {
                            for p in scale {
                                let label = Text(
                                    survey
                                        .languages
                                        .iter()
                                        .map(|l| {
                                            let d = &survey.default_language;
                                            (
                                                l.clone(),
                                                format!(
                                                    "{} — {}",
                                                    s.label.get(l, d),
                                                    p.label.get(l, d)
                                                ),
                                            )
                                        })
                                        .collect(),
                                );
                                cols.push(Opt {
                                    id: format!("{}:{}", s.id, p.id),
                                    label,
                                });
                            }
                        }
                        let n = cols.len();
                        let sens = usize_u64(statements.len()).max(1);
                        (
                            cols,
                            Body::Grid {
                                statements: statements
                                    .iter()
                                    .enumerate()
                                    .map(|(i, c)| (c.id.clone(), i))
                                    .collect(),
                                points: scale
                                    .iter()
                                    .enumerate()
                                    .map(|(i, c)| (c.id.clone(), i))
                                    .collect(),
                            },
                            vec![count_part(n, sens)],
                        )
                    }
                    _ => return Err(unfit(q)),
                }
            }
            Statistic::RdsProportion { degree } => {
                let q = question.ok_or_else(needs_question)?;
                let QuestionKind::SingleChoice { choices, other, .. } = &q.kind else {
                    return Err(unfit(q));
                };
                let (d, d_repeat) = survey
                    .question_anywhere(degree)
                    .ok_or_else(|| bad(format!("unknown question `{degree}` in `degree`")))?;
                if let Some(r) = d_repeat {
                    return Err(bad(format!(
                        "`degree` takes a question outside repeats (one network size per respondent); `{degree}` is inside the repeat `{}`",
                        r.id
                    )));
                }
                let (lower, upper) = surveys::rds_degree_range(degree, &d.kind).map_err(bad)?;
                let unit = RDS_UNITS_PER_MAX * upper;
                // One respondent adds one weight, at most that of the
                // smallest degree, to one cell.
                let w = rds_weight(unit, lower).unsigned_abs();
                let cols = options(choices, *other);
                let index = index_of(&cols);
                let n = cols.len();
                (
                    cols,
                    Body::Rds {
                        index,
                        degree: d,
                        lower,
                        upper,
                        unit,
                    },
                    vec![Part {
                        name: "weight",
                        len: n,
                        l1: w,
                        l2sq: w.saturating_mul(w),
                    }],
                )
            }
            Statistic::FirstChoice | Statistic::MeanRank => {
                let q = question.ok_or_else(needs_question)?;
                let QuestionKind::Ranking { choices, rank, .. } = &q.kind else {
                    return Err(unfit(q));
                };
                let cols = options(choices, false);
                let index = index_of(&cols);
                let n = cols.len();
                if matches!(table.statistic, Statistic::FirstChoice) {
                    (cols, Body::FirstChoice { index }, vec![count_part(n, 1)])
                } else {
                    let k = rank
                        .and_then(|r| usize::try_from(r).ok())
                        .map_or(n, |r| r.min(n))
                        .max(1);
                    let k64 = usize_u64(k);
                    let parts = vec![
                        Part {
                            name: "sum",
                            len: n,
                            // Ranks 1..=k, each to one option.
                            l1: k64 * (k64 + 1) / 2,
                            l2sq: k64 * (k64 + 1) * (2 * k64 + 1) / 6,
                        },
                        count_part(n, k64),
                    ];
                    (cols, Body::MeanRank { index, k }, parts)
                }
            }
            Statistic::Histogram { edges } | Statistic::Quantiles { edges } => {
                let q = question.ok_or_else(needs_question)?;
                if !matches!(
                    q.kind,
                    QuestionKind::Integer { .. }
                        | QuestionKind::Decimal { .. }
                        | QuestionKind::Rating { .. }
                ) {
                    return Err(unfit(q));
                }
                if edges.len() < 2
                    || edges
                        .windows(2)
                        .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
                {
                    return Err(bad("`edges` must be at least two ascending numbers".into()));
                }
                let last = edges.len() - 2;
                let cols: Vec<Opt> = edges
                    .windows(2)
                    .enumerate()
                    .map(|(i, w)| {
                        let close = if i == last { "]" } else { ")" };
                        let text = format!("[{}, {}{close}", num_text(w[0]), num_text(w[1]));
                        Opt {
                            id: format!("{}-{}", num_text(w[0]), num_text(w[1])),
                            label: Text(
                                survey
                                    .languages
                                    .iter()
                                    .map(|l| (l.clone(), text.clone()))
                                    .collect(),
                            ),
                        }
                    })
                    .collect();
                let n = cols.len();
                (
                    cols,
                    Body::Bins {
                        edges: edges.clone(),
                    },
                    vec![count_part(n, 1)],
                )
            }
            Statistic::Mean { lower, upper } => {
                let q = question.ok_or_else(needs_question)?;
                let integral = matches!(
                    q.kind,
                    QuestionKind::Integer { .. } | QuestionKind::Rating { .. }
                );
                if !integral && !matches!(q.kind, QuestionKind::Decimal { .. }) {
                    return Err(unfit(q));
                }
                if !(lower.is_finite() && upper.is_finite() && lower < upper) {
                    return Err(bad("`lower` must be less than `upper`".into()));
                }
                let span = upper - lower;
                let resolution = if integral
                    && lower.fract() == 0.0
                    && upper.fract() == 0.0
                    && span <= 1_000_000.0
                {
                    span as i64
                } else {
                    1000
                };
                let r = resolution.unsigned_abs();
                (
                    vec![Opt {
                        id: "n".into(),
                        label: words("Answers", "Ответов"),
                    }],
                    Body::Mean {
                        lower: *lower,
                        upper: *upper,
                        resolution,
                    },
                    vec![
                        Part {
                            name: "sum",
                            len: 1,
                            l1: r,
                            l2sq: r.saturating_mul(r),
                        },
                        count_part(1, 1),
                    ],
                )
            }
        };
        // One response gives at most `max` instances, each moving a part by
        // at most what one answer does: Δ₁ grows by `max`, Δ₂ by `max` too
        // (triangle inequality), so Δ₂² by max².
        let parts = match within {
            None => parts,
            Some(w) => {
                let m = usize_u64(w.max);
                parts
                    .into_iter()
                    .map(|p| Part {
                        l1: p.l1.saturating_mul(m),
                        l2sq: p.l2sq.saturating_mul(m).saturating_mul(m),
                        ..p
                    })
                    .collect()
            }
        };
        let groups = by.iter().map(|a| a.options.len()).product::<usize>();
        let exact = parts.iter().map(|p| vec![0i64; groups * p.len]).collect();
        let ticked = vec![false; columns.len()];
        Ok(Spec {
            table: table.clone(),
            question,
            within,
            by,
            columns,
            body,
            parts,
            exact,
            ticked,
        })
    }

    /// How many groups (cells of the `by` product; 1 without `by`).
    pub fn groups(&self) -> usize {
        self.by.iter().map(|a| a.options.len()).product()
    }

    /// The ids of group `g`'s coordinates, one per `by` question.
    pub fn group_key(&self, g: usize) -> Vec<String> {
        let mut key = Vec::with_capacity(self.by.len());
        let mut rest = g;
        for axis in self.by.iter().rev() {
            let n = axis.options.len().max(1);
            key.push(axis.options[rest % n].id.clone());
            rest /= n;
        }
        key.reverse();
        key
    }

    /// The exact values of each part. Crate-private: used only to add noise.
    pub fn exact(&self) -> &[Vec<i64>] {
        &self.exact
    }

    fn group_of(&self, answers: &Answers) -> Option<usize> {
        let mut g = 0;
        for axis in &self.by {
            let Some(Answer::Text(id)) = answers.get(&axis.question.id) else {
                return None;
            };
            let i = *axis.index.get(id.as_str())?;
            g = g * axis.options.len() + i;
        }
        Some(g)
    }

    fn bump(&mut self, part: usize, g: usize, i: usize, by: i64) {
        let len = self.parts[part].len;
        let cell = &mut self.exact[part][g * len + i];
        *cell = cell.saturating_add(by);
    }

    /// Adds one response.
    pub fn add(&mut self, answers: &Answers) {
        let Some(g) = self.group_of(answers) else {
            return;
        };
        let Some(q) = self.question else {
            self.add_answer(g, None);
            return;
        };
        if let Body::Rds {
            index,
            degree,
            lower,
            upper,
            unit,
        } = &self.body
        {
            // Both answers, of the right shape, or nothing at all.
            let (Some(Answer::Text(id)), Some(Answer::Integer(d))) =
                (answers.get(&q.id), answers.get(&degree.id))
            else {
                return;
            };
            let Some(&i) = index.get(id.as_str()) else {
                return;
            };
            let w = rds_weight(*unit, (*d).clamp(*lower, *upper));
            self.bump(0, g, i, w);
            return;
        }
        let Some(w) = self.within else {
            if let Some(a) = answers.get(&q.id) {
                self.add_answer(g, Some(a));
            }
            return;
        };
        // Over a repeat's instances: the first `max` instances only,
        // whatever else is stored.
        let Some(Answer::Repeat(all)) = answers.get(&w.repeat.id) else {
            return;
        };
        let instances = &all[..all.len().min(w.max)];
        if matches!(self.body, Body::Instances) {
            let n = i64::try_from(instances.len()).unwrap_or(i64::MAX);
            self.bump(0, g, 0, n);
            return;
        }
        for instance in instances {
            if let Some(a) = instance.get(&q.id) {
                self.add_answer(g, Some(a));
            }
        }
    }

    /// Adds one answer (a response's, or one instance's) to group `g`.
    fn add_answer(&mut self, g: usize, answer: Option<&Answer>) {
        match (&self.body, answer) {
            (Body::Total, _) => self.bump(0, g, 0, 1),
            (Body::Single { index }, Some(Answer::Text(id))) => {
                if let Some(&i) = index.get(id.as_str()) {
                    self.bump(0, g, i, 1);
                }
            }
            (Body::Multiple { index, max }, Some(Answer::Choices(ids))) => {
                let hits = first_distinct(index, ids, *max, &mut self.ticked);
                for i in hits {
                    self.bump(0, g, i, 1);
                }
            }
            (Body::Rating { scale }, Some(Answer::Integer(v))) if (1..=*scale).contains(v) => {
                let i = usize::try_from(*v - 1).unwrap_or(0);
                self.bump(0, g, i, 1);
            }
            (Body::Grid { statements, points }, Some(Answer::Grid(map))) => {
                let per = points.len();
                let hits: Vec<usize> = map
                    .iter()
                    .filter_map(|(s, p)| Some(statements.get(s)? * per + points.get(p)?))
                    .collect();
                for i in hits {
                    self.bump(0, g, i, 1);
                }
            }
            (Body::FirstChoice { index }, Some(Answer::Choices(ids))) => {
                if let Some(&i) = ids.first().and_then(|id| index.get(id.as_str())) {
                    self.bump(0, g, i, 1);
                }
            }
            (Body::MeanRank { index, k }, Some(Answer::Choices(ids))) => {
                let hits = first_distinct(index, ids, *k, &mut self.ticked);
                for (r, i) in hits.into_iter().enumerate() {
                    let rank = i64::try_from(r + 1).unwrap_or(i64::MAX);
                    self.bump(0, g, i, rank);
                    self.bump(1, g, i, 1);
                }
            }
            (Body::Bins { edges }, Some(a)) => {
                let Some(x) = number(a) else { return };
                let n = edges.len();
                if n < 2 || x < edges[0] || x > edges[n - 1] {
                    return;
                }
                // The bin [e_i, e_{i+1}) holding x; the last bin is closed.
                let i = edges
                    .partition_point(|e| *e <= x)
                    .saturating_sub(1)
                    .min(n - 2);
                self.bump(0, g, i, 1);
            }
            (
                Body::Mean {
                    lower,
                    upper,
                    resolution,
                },
                Some(a),
            ) => {
                let Some(x) = number(a) else { return };
                let (lower, upper, r) = (*lower, *upper, *resolution);
                let step = (upper - lower) / r as f64;
                let k = ((x.clamp(lower, upper) - lower) / step).round();
                let k = (k as i64).clamp(0, r);
                self.bump(0, g, 0, 2 * k - r);
                self.bump(1, g, 0, 1);
            }
            _ => {}
        }
    }
}

fn within_of(repeat: &Question) -> Within<'_> {
    let max = match &repeat.kind {
        QuestionKind::Repeat { max, .. } => usize::try_from(*max).unwrap_or(usize::MAX),
        _ => 0,
    };
    Within { repeat, max }
}

/// The number in an answer: integers and finite decimals.
fn number(a: &Answer) -> Option<f64> {
    match a {
        Answer::Integer(i) => Some(*i as f64),
        Answer::Decimal(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

pub(crate) fn stat_name(s: &Statistic) -> &'static str {
    match s {
        Statistic::Total => "total",
        Statistic::Counts => "counts",
        Statistic::Instances => "instances",
        Statistic::Mean { .. } => "mean",
        Statistic::Histogram { .. } => "histogram",
        Statistic::Quantiles { .. } => "quantiles",
        Statistic::FirstChoice => "first_choice",
        Statistic::MeanRank => "mean_rank",
        Statistic::RdsProportion { .. } => "rds_proportion",
    }
}

/// The default plan: counts of every single- and multiple-choice question
/// with at least one option, `each` ε apiece, discrete Laplace.
pub(crate) fn default_tables(survey: &Survey, each: Epsilon) -> Vec<PlannedTable> {
    survey
        .questions
        .iter()
        .filter(|q| match &q.kind {
            QuestionKind::SingleChoice { choices, .. }
            | QuestionKind::MultipleChoice { choices, .. } => !choices.is_empty(),
            _ => false,
        })
        .map(|q| PlannedTable {
            id: q.id.clone(),
            question: Some(q.id.clone()),
            statistic: Statistic::Counts,
            by: Vec::new(),
            epsilon: each,
            mechanism: Mechanism::Laplace,
        })
        .collect()
}

/// How many default tables a survey has.
pub(crate) fn default_table_count(survey: &Survey) -> usize {
    default_tables(survey, Epsilon::ZERO).len()
}

/// The columns of the first `max` distinct known ids in `ids`, in order:
/// the bound that keeps a multiple-choice or ranking answer's sensitivity
/// what the plan declares. `ticked` is scratch, one flag per column.
fn first_distinct(
    index: &BTreeMap<String, usize>,
    ids: &[String],
    max: usize,
    ticked: &mut [bool],
) -> Vec<usize> {
    ticked.iter_mut().for_each(|t| *t = false);
    let mut hits = Vec::with_capacity(max);
    for id in ids {
        if hits.len() == max {
            break;
        }
        if let Some(&i) = index.get(id.as_str())
            && !ticked[i]
        {
            ticked[i] = true;
            hits.push(i);
        }
    }
    hits
}

#[cfg(test)]
mod tests;
