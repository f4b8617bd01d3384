//! The recruitment data, checked: a [`Sample`] is made only by
//! [`Sample::from_csv`], which reports every problem of the file at once,
//! and holds respondents whose recruiters are all in it, without cycles,
//! each with a wave and a degree above zero.

use std::collections::HashMap;
use std::fmt;

use super::csv::{self, CsvError, Record};

/// At most this many categories: a variable with more distinct values is
/// not categorical (an id or a free-text column given by mistake).
pub const MAX_CATEGORIES: usize = 100;

/// The names of the four columns that are read.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'a> {
    /// The respondent's id, unique in the file.
    pub id: &'a str,
    /// The id of the respondent who recruited them; empty (or the seed
    /// marker) for a seed.
    pub recruiter: &'a str,
    /// The respondent's degree (personal network size), a number above 0.
    pub degree: &'a str,
    /// The categorical variable whose proportions are estimated.
    pub variable: &'a str,
}

/// The column names, as given, kept for the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnNames {
    pub id: String,
    pub recruiter: String,
    pub degree: String,
    pub variable: String,
}

/// Why a file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RdsError {
    /// Not well-formed CSV.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// A named column is not in the header.
    #[error(
        "no column `{name}` for the {role} in the file; its columns are: {}",
        list(columns)
    )]
    MissingColumn {
        role: &'static str,
        name: String,
        columns: Vec<String>,
    },
    /// A named column is in the header more than once.
    #[error(
        "the column `{name}` (the {role}) appears {count} times in the header; rename the copies so that each name is unique"
    )]
    AmbiguousColumn {
        role: &'static str,
        name: String,
        count: usize,
    },
    /// A header and no respondent.
    #[error("the file has a header but no respondents")]
    NoRespondents,
    /// No respondent has a value of the variable.
    #[error("no respondent has a value of `{variable}` (every cell of the column is empty)")]
    NoValues { variable: String },
    /// The variable has more distinct values than a categorical one would.
    #[error(
        "`{variable}` has {count} distinct values, more than the {MAX_CATEGORIES} a categorical variable may have here; is it the right column?"
    )]
    TooManyCategories { variable: String, count: usize },
    /// One or more rows are wrong; all are listed.
    #[error("{0}")]
    Rows(Problems),
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every problem found in the rows, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

/// At most this many problems are written out; the rest are counted.
const SHOWN: usize = 20;

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in the recruitment data:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.0.iter().take(SHOWN) {
            write!(f, "\n  {p}")?;
        }
        if n > SHOWN {
            write!(f, "\n  … and {} more", n - SHOWN)?;
        }
        Ok(())
    }
}

/// One problem, on one line of the file (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.kind)
    }
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemKind {
    #[error("the id (`{column}`) is empty; every respondent needs an id")]
    EmptyId { column: String },
    #[error("the id `{id}` is also the id on line {first_line}; ids must be unique")]
    DuplicateId { id: String, first_line: usize },
    #[error(
        "the recruiter `{recruiter}` is the id of no respondent in the file{}",
        hint(seed_marker.as_deref(), recruiter, *first_line)
    )]
    UnknownRecruiter {
        recruiter: String,
        seed_marker: Option<String>,
        /// The first line naming the same recruiter, when this is not it.
        first_line: Option<usize>,
    },
    #[error(
        "the seed marker `{marker}` is also this respondent's id, so a recruiter `{marker}` would be ambiguous; choose another marker"
    )]
    MarkerIsId { marker: String },
    #[error(
        "the degree (`{column}`) {what}; every respondent needs their network size, a number above 0 (R's RDS package would silently replace it by the largest degree in the data; here it must be fixed in the file)"
    )]
    Degree { column: String, what: String },
    #[error(
        "a recruitment cycle: {}; every chain must start at a seed",
        describe_cycle(members)
    )]
    Cycle { members: Vec<(String, usize)> },
}

fn hint(marker: Option<&str>, recruiter: &str, first_line: Option<usize>) -> String {
    match (marker, first_line) {
        (_, Some(line)) => format!(" (as on line {line})"),
        (None, None) => format!(
            " (if `{recruiter}` marks seeds, pass --seed-marker {recruiter}; a seed's recruiter may also be left empty)"
        ),
        (Some(m), None) => format!(" nor the seed marker `{m}`"),
    }
}

fn describe_cycle(members: &[(String, usize)]) -> String {
    match members {
        [] => String::new(),
        [(id, _)] => format!("`{id}` is named as their own recruiter"),
        [(first, _), rest @ ..] => {
            let mut s = format!("`{first}` was recruited by");
            for (id, line) in rest {
                s.push_str(&format!(" `{id}` (line {line}), who was recruited by"));
            }
            s.push_str(&format!(" `{first}`"));
            s
        }
    }
}

/// One respondent, checked.
#[derive(Debug, Clone)]
pub(crate) struct Respondent {
    pub id: String,
    pub line: usize,
    /// Index of the recruiter; `None` for a seed.
    pub recruiter: Option<usize>,
    pub degree: f64,
    /// Index into [`Sample::categories`]; `None` when the value is missing.
    pub group: Option<usize>,
    /// 0 for a seed, 1 for a seed's recruits, …
    pub wave: usize,
}

/// Recruitment data that passed every check.
#[derive(Debug, Clone)]
pub struct Sample {
    pub(crate) columns: ColumnNames,
    pub(crate) seed_marker: Option<String>,
    /// The variable's distinct values, sorted (by bytes).
    pub(crate) categories: Vec<String>,
    /// In the order of the file.
    pub(crate) respondents: Vec<Respondent>,
}

impl Sample {
    /// Reads and checks a CSV file: a header line, then one line per
    /// respondent. A seed is a row whose recruiter is empty or equals
    /// `seed_marker`. A row whose variable is empty is kept in the chains
    /// but has no value.
    pub fn from_csv(
        text: &str,
        columns: Columns<'_>,
        seed_marker: Option<&str>,
    ) -> Result<Sample, RdsError> {
        let records = csv::read(text)?;
        let (header, rows) = records.split_first().ok_or(CsvError::Empty)?;
        let find = |role: &'static str, name: &str| -> Result<usize, RdsError> {
            let hits: Vec<usize> = header
                .fields
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim() == name)
                .map(|(i, _)| i)
                .collect();
            match hits.as_slice() {
                [i] => Ok(*i),
                [] => Err(RdsError::MissingColumn {
                    role,
                    name: name.to_string(),
                    columns: header.fields.clone(),
                }),
                _ => Err(RdsError::AmbiguousColumn {
                    role,
                    name: name.to_string(),
                    count: hits.len(),
                }),
            }
        };
        let at = [
            find("respondent id (--id)", columns.id)?,
            find("recruiter id (--recruiter)", columns.recruiter)?,
            find("degree (--degree)", columns.degree)?,
            find("variable (--variable)", columns.variable)?,
        ];
        if rows.is_empty() {
            return Err(RdsError::NoRespondents);
        }
        let names = ColumnNames {
            id: columns.id.to_string(),
            recruiter: columns.recruiter.to_string(),
            degree: columns.degree.to_string(),
            variable: columns.variable.to_string(),
        };
        let seed_marker = seed_marker.map(str::trim).filter(|m| !m.is_empty());
        build(rows, at, names, seed_marker)
    }

    /// The variable's distinct values, in the order estimates are given.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// The number of respondents (rows), with or without a value.
    pub fn len(&self) -> usize {
        self.respondents.len()
    }

    /// Never true: a sample has at least one respondent.
    pub fn is_empty(&self) -> bool {
        self.respondents.is_empty()
    }

    /// The column names the sample was read with.
    pub fn columns(&self) -> &ColumnNames {
        &self.columns
    }

    /// The respondent's wave (0 for a seed), by id.
    pub fn wave_of(&self, id: &str) -> Option<usize> {
        self.respondents.iter().find(|r| r.id == id).map(|r| r.wave)
    }

    /// The longest chain's depth: the highest wave.
    pub fn max_wave(&self) -> usize {
        self.respondents.iter().map(|r| r.wave).max().unwrap_or(0)
    }
}

fn build(
    rows: &[Record],
    [id_at, recruiter_at, degree_at, variable_at]: [usize; 4],
    columns: ColumnNames,
    seed_marker: Option<&str>,
) -> Result<Sample, RdsError> {
    let mut problems = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let id = row.fields[id_at].trim();
        if id.is_empty() {
            problems.push(Problem {
                line: row.line,
                kind: ProblemKind::EmptyId {
                    column: columns.id.clone(),
                },
            });
            continue;
        }
        if seed_marker == Some(id) {
            problems.push(Problem {
                line: row.line,
                kind: ProblemKind::MarkerIsId {
                    marker: id.to_string(),
                },
            });
        }
        if let Some(&first) = index.get(id) {
            problems.push(Problem {
                line: row.line,
                kind: ProblemKind::DuplicateId {
                    id: id.to_string(),
                    first_line: rows[first].line,
                },
            });
        } else {
            index.insert(id, i);
        }
    }

    let mut values: Vec<&str> = rows
        .iter()
        .map(|r| r.fields[variable_at].trim())
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_unstable();
    values.dedup();
    let categories: Vec<String> = values.iter().map(|v| v.to_string()).collect();

    let mut respondents = Vec::with_capacity(rows.len());
    let mut unknown: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        let recruiter = row.fields[recruiter_at].trim();
        let recruiter = if recruiter.is_empty() || Some(recruiter) == seed_marker {
            None
        } else if let Some(&r) = index.get(recruiter) {
            Some(r)
        } else {
            let first_line = unknown.get(recruiter).copied();
            unknown.entry(recruiter).or_insert(row.line);
            problems.push(Problem {
                line: row.line,
                kind: ProblemKind::UnknownRecruiter {
                    recruiter: recruiter.to_string(),
                    seed_marker: seed_marker.map(str::to_string),
                    first_line,
                },
            });
            // Taken as a seed, so that cycles are still found.
            None
        };
        let degree = match parse_degree(row.fields[degree_at].trim()) {
            Ok(d) => d,
            Err(what) => {
                problems.push(Problem {
                    line: row.line,
                    kind: ProblemKind::Degree {
                        column: columns.degree.clone(),
                        what,
                    },
                });
                f64::NAN
            }
        };
        let value = row.fields[variable_at].trim();
        let group = (!value.is_empty())
            .then(|| values.binary_search(&value).ok())
            .flatten();
        respondents.push(Respondent {
            id: row.fields[id_at].trim().to_string(),
            line: row.line,
            recruiter,
            degree,
            group,
            wave: 0,
        });
    }
    problems.extend(assign_waves(&mut respondents));
    if !problems.is_empty() {
        // Stable: a line's problems keep the order they were found in.
        problems.sort_by_key(|p| p.line);
        return Err(RdsError::Rows(Problems(problems)));
    }
    if categories.is_empty() {
        return Err(RdsError::NoValues {
            variable: columns.variable,
        });
    }
    if categories.len() > MAX_CATEGORIES {
        return Err(RdsError::TooManyCategories {
            variable: columns.variable,
            count: categories.len(),
        });
    }
    Ok(Sample {
        columns,
        seed_marker: seed_marker.map(str::to_string),
        categories,
        respondents,
    })
}

fn parse_degree(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Err("is empty".to_string());
    }
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() && d > 0.0 => Ok(d),
        Ok(d) if d.is_finite() => Err(format!("is {text}")),
        _ => Err(format!("is `{text}`, not a number")),
    }
}

/// Gives every respondent their wave (the number of recruitments between
/// them and their seed); returns one problem per recruitment cycle.
fn assign_waves(respondents: &mut [Respondent]) -> Vec<Problem> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
        Broken,
    }
    let n = respondents.len();
    let mut state = vec![State::New; n];
    let mut problems = Vec::new();
    let mut path = Vec::new();
    for start in 0..n {
        if state[start] != State::New {
            continue;
        }
        path.clear();
        let mut at = start;
        // The wave of the node the walk ends on, if it has one.
        let base: Option<usize> = loop {
            match state[at] {
                State::New => {
                    state[at] = State::OnPath;
                    path.push(at);
                    match respondents[at].recruiter {
                        None => break Some(0),
                        Some(r) => at = r,
                    }
                }
                State::Done => break Some(respondents[at].wave + 1),
                State::Broken => break None,
                State::OnPath => {
                    // The walk came back to itself: a cycle from `at`.
                    let from = path.iter().position(|&p| p == at).unwrap_or(0);
                    let mut members: Vec<usize> = path[from..].to_vec();
                    let first = (0..members.len())
                        .min_by_key(|&k| respondents[members[k]].line)
                        .unwrap_or(0);
                    members.rotate_left(first);
                    problems.push(Problem {
                        line: respondents[members[0]].line,
                        kind: ProblemKind::Cycle {
                            members: members
                                .iter()
                                .map(|&m| (respondents[m].id.clone(), respondents[m].line))
                                .collect(),
                        },
                    });
                    break None;
                }
            }
        };
        match base {
            Some(w) => {
                // `path` runs from `start` up towards the seed; the walk
                // ended on a seed (w = 0 is the seed's own wave) or just
                // below a respondent whose wave is known (w is one more).
                let last = path.len();
                for (k, &node) in path.iter().enumerate() {
                    // `last - 1 - k` recruitments between it and the path's end.
                    respondents[node].wave = w + (last - 1 - k);
                    state[node] = State::Done;
                }
            }
            None => {
                for &node in &path {
                    state[node] = State::Broken;
                }
            }
        }
    }
    problems
}
