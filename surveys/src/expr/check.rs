//! The static checker: types, references and cycles, for `chorus check`.
//! Reports every problem of every expression (an expression's syntax error
//! is its only problem: nothing after it can be trusted).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{BinOp, Expr, ExprKind, Func, parse};
use crate::load::Problem;
use crate::model::QuestionKind;

/// The static type of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Number,
    Text,
    Bool,
    Date,
    /// A single-choice answer: a text that is one of `options`.
    Choice {
        question: String,
        options: Vec<String>,
    },
    /// A multiple-choice or ranking answer.
    Choices {
        question: String,
        options: Vec<String>,
    },
    /// A grid answer: only `answered()` applies.
    Grid {
        question: String,
    },
    /// A repeat, outside it: only `count()` applies.
    Repeat {
        question: String,
    },
    /// A question inside a repeat, seen from outside it: a value per
    /// instance, of type `of`; only `sum()` applies (to numbers).
    Column {
        question: String,
        repeat: String,
        of: Box<Ty>,
    },
    /// Unknown (after an error, or from a broken question): no further
    /// problems are reported about it.
    Any,
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Number => write!(f, "a number"),
            Ty::Text => write!(f, "a text"),
            Ty::Bool => write!(f, "true/false"),
            Ty::Date => write!(f, "a date"),
            Ty::Choice { question, .. } => write!(f, "the single-choice answer `{question}`"),
            Ty::Choices { question, .. } => write!(f, "the choices of `{question}`"),
            Ty::Grid { question } => write!(f, "the grid answer `{question}`"),
            Ty::Repeat { question } => write!(f, "the repeat `{question}`"),
            Ty::Column {
                question, repeat, ..
            } => write!(
                f,
                "the answers to `{question}` in each instance of `{repeat}`"
            ),
            Ty::Any => write!(f, "a value"),
        }
    }
}

impl Ty {
    fn is_any(&self) -> bool {
        matches!(self, Ty::Any)
    }

    fn is_bool(&self) -> bool {
        matches!(self, Ty::Bool | Ty::Any)
    }

    fn is_number(&self) -> bool {
        matches!(self, Ty::Number | Ty::Any)
    }

    fn is_textual(&self) -> bool {
        matches!(self, Ty::Text | Ty::Choice { .. } | Ty::Any)
    }
}

/// A problem in one expression, at a 1-based character column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub column: usize,
    pub message: String,
}

/// The type of a question's answer inside expressions; `None` for a note
/// (no answer) and a calculation (its type is inferred from its expression).
pub(crate) fn kind_ty(id: &str, kind: &QuestionKind) -> Option<Ty> {
    let question = id.to_string();
    let options = |choices: &[crate::model::Choice], other: bool| {
        let mut o: Vec<String> = choices.iter().map(|c| c.id.clone()).collect();
        if other {
            o.push("other".into());
        }
        o
    };
    Some(match kind {
        QuestionKind::SingleChoice { choices, other, .. } => Ty::Choice {
            question,
            options: options(choices, *other),
        },
        QuestionKind::MultipleChoice { choices, other, .. } => Ty::Choices {
            question,
            options: options(choices, *other),
        },
        QuestionKind::Ranking { choices, .. } => Ty::Choices {
            question,
            options: options(choices, false),
        },
        QuestionKind::ShortText { .. } | QuestionKind::LongText { .. } => Ty::Text,
        QuestionKind::Integer { .. }
        | QuestionKind::Decimal { .. }
        | QuestionKind::Rating { .. } => Ty::Number,
        QuestionKind::Date { .. } => Ty::Date,
        QuestionKind::Grid { .. } => Ty::Grid { question },
        QuestionKind::Consent => Ty::Bool,
        QuestionKind::Repeat { .. } => Ty::Repeat { question },
        QuestionKind::Note | QuestionKind::Calculate { .. } => return None,
    })
}

/// How the checker resolves a reference: its type, or why it may not be used.
type Resolver<'r> = dyn Fn(&str) -> Result<Ty, Option<String>> + 'r;

struct Checker<'r> {
    resolve: &'r Resolver<'r>,
    dot: Option<Ty>,
    /// Checking the logic of a question inside a repeat: `position()` applies.
    in_repeat: bool,
    /// Checking the argument of `count()` or `sum()`: a repeat or a
    /// question inside one may stand here.
    aggregate: bool,
    errors: Vec<TypeError>,
}

/// Type-checks `e` (standalone use: tests, tools). `resolve` gives the type
/// of a question id, `dot` the type of `.` where it is allowed.
pub fn type_of(
    e: &Expr,
    resolve: &dyn Fn(&str) -> Option<Ty>,
    dot: Option<Ty>,
) -> (Ty, Vec<TypeError>) {
    let r = |id: &str| resolve(id).ok_or_else(|| Some(format!("unknown question `{id}`")));
    let mut c = Checker {
        resolve: &r,
        dot,
        in_repeat: false,
        aggregate: false,
        errors: Vec::new(),
    };
    let t = c.ty(e);
    (t, c.errors)
}

fn start_col(e: &Expr) -> usize {
    let mut col = e.col;
    e.walk(&mut |n| col = col.min(n.col));
    col
}

impl Checker<'_> {
    fn err(&mut self, column: usize, message: impl Into<String>) -> Ty {
        self.errors.push(TypeError {
            column,
            message: message.into(),
        });
        Ty::Any
    }

    fn ty(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Number(_) => Ty::Number,
            ExprKind::Text(_) => Ty::Text,
            ExprKind::Bool(_) => Ty::Bool,
            ExprKind::Dot => match &self.dot {
                Some(t) => t.clone(),
                None => self.err(
                    e.col,
                    "`.` (this answer) can be used only in a `constraint`",
                ),
            },
            ExprKind::Ref(id) => match (self.resolve)(id) {
                Ok(Ty::Repeat { question }) if !self.aggregate => self.err(
                    e.col,
                    format!("`{question}` is a repeat: count({question}) gives its number of instances"),
                ),
                Ok(Ty::Column { question, repeat, .. }) if !self.aggregate => self.err(
                    e.col,
                    format!("`{question}` is inside the repeat `{repeat}`: outside it, only sum({question}) (for a number) or count({repeat}) can use it"),
                ),
                Ok(t) => t,
                Err(Some(msg)) => self.err(e.col, msg),
                Err(None) => Ty::Any,
            },
            ExprKind::Not(x) => {
                let t = self.ty(x);
                if !t.is_bool() {
                    self.err(x.col, format!("`not` needs true/false, not {t}"));
                }
                Ty::Bool
            }
            ExprKind::Neg(x) => {
                let t = self.ty(x);
                if !t.is_number() {
                    return self.err(e.col, format!("`-` needs a number, not {t}"));
                }
                Ty::Number
            }
            ExprKind::Binary(op @ (BinOp::And | BinOp::Or), a, b) => {
                for side in [a, b] {
                    let t = self.ty(side);
                    if !t.is_bool() {
                        self.err(
                            start_col(side),
                            format!("`{}` joins true/false values, not {t}", op.symbol()),
                        );
                    }
                }
                Ty::Bool
            }
            ExprKind::Binary(op, a, b) if op.is_comparison() => {
                let (ta, tb) = (self.ty(a), self.ty(b));
                self.compare(*op, e.col, (a, &ta), (b, &tb));
                Ty::Bool
            }
            ExprKind::Binary(op, a, b) => {
                let (ta, tb) = (self.ty(a), self.ty(b));
                self.arithmetic(*op, e.col, &ta, &tb)
            }
            ExprKind::Call(f, args) => self.call(*f, e.col, args),
        }
    }

    fn compare(&mut self, op: BinOp, col: usize, a: (&Expr, &Ty), b: (&Expr, &Ty)) {
        let ordering = !matches!(op, BinOp::Eq | BinOp::Ne);
        for (side, other) in [(a, b), (b, a)] {
            match side.1 {
                Ty::Choices { question, .. } => {
                    self.err(
                        side.0.col,
                        format!("`{question}` holds several choices: test it with selected({question}, 'id') or count_selected({question})"),
                    );
                    return;
                }
                Ty::Grid { question } => {
                    self.err(
                        side.0.col,
                        format!("`{question}` is a grid: only answered({question}) can test it"),
                    );
                    return;
                }
                Ty::Choice { question, options } => match (other.1, &other.0.kind) {
                    (Ty::Text, ExprKind::Text(lit)) if !options.contains(lit) => {
                        self.err(
                            other.0.col,
                            format!(
                                "`{question}` has no option `{lit}` (options: {})",
                                options.join(", ")
                            ),
                        );
                        return;
                    }
                    (Ty::Number, kind) => {
                        let hint = match kind {
                            ExprKind::Number(n) => {
                                format!(
                                    ": write the choice id in quotes, '{}'",
                                    crate::num::format_f64(*n)
                                )
                            }
                            _ => String::new(),
                        };
                        self.err(
                            col,
                            format!("cannot compare a choice (`{question}`) with a number{hint}"),
                        );
                        return;
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        let (ta, tb) = (a.1, b.1);
        let fits = match (ta, tb) {
            (Ty::Any, _) | (_, Ty::Any) => true,
            (Ty::Number, Ty::Number) | (Ty::Date, Ty::Date) => true,
            (x, y) if x.is_textual() && y.is_textual() => true,
            (Ty::Bool, Ty::Bool) => {
                if ordering {
                    self.err(
                        col,
                        format!("`{}` cannot order true/false values", op.symbol()),
                    );
                    return;
                }
                true
            }
            _ => false,
        };
        if !fits {
            let hint = if matches!((ta, tb), (Ty::Date, Ty::Text) | (Ty::Text, Ty::Date)) {
                ": write a date as date('2026-01-31')"
            } else {
                ""
            };
            self.err(col, format!("cannot compare {ta} with {tb}{hint}"));
        }
    }

    fn arithmetic(&mut self, op: BinOp, col: usize, a: &Ty, b: &Ty) -> Ty {
        if a.is_any() || b.is_any() {
            return match (op, a, b) {
                (BinOp::Mul | BinOp::Div, _, _) => Ty::Number,
                _ => Ty::Any,
            };
        }
        match (op, a, b) {
            (_, Ty::Number, Ty::Number) => Ty::Number,
            (BinOp::Add, Ty::Date, Ty::Number) | (BinOp::Add, Ty::Number, Ty::Date) => Ty::Date,
            (BinOp::Sub, Ty::Date, Ty::Number) => Ty::Date,
            (BinOp::Sub, Ty::Date, Ty::Date) => Ty::Number,
            (BinOp::Add | BinOp::Sub, _, _) => self.err(
                col,
                format!(
                    "`{}` needs two numbers, or a date and a number of days, not {a} and {b}",
                    op.symbol()
                ),
            ),
            _ => self.err(
                col,
                format!("`{}` needs two numbers, not {a} and {b}", op.symbol()),
            ),
        }
    }

    /// The argument must name a question (or be `.`).
    fn question_arg(&mut self, f: Func, arg: &Expr) -> Option<Ty> {
        if matches!(arg.kind, ExprKind::Ref(_) | ExprKind::Dot) {
            Some(self.ty(arg))
        } else {
            self.err(
                arg.col,
                format!(
                    "{}() takes a question id, such as {}(q)",
                    f.name(),
                    f.name()
                ),
            );
            None
        }
    }

    fn call(&mut self, f: Func, col: usize, args: &[Expr]) -> Ty {
        match f {
            Func::Selected | Func::CountSelected => {
                let Some(t) = self.question_arg(f, &args[0]) else {
                    return if f == Func::Selected {
                        Ty::Bool
                    } else {
                        Ty::Number
                    };
                };
                let options = match &t {
                    Ty::Choice { options, .. } | Ty::Choices { options, .. } => Some(options),
                    Ty::Any => None,
                    other => {
                        self.err(
                            args[0].col,
                            format!(
                                "{}() needs a single- or multiple-choice question, not {other}",
                                f.name()
                            ),
                        );
                        None
                    }
                };
                if f == Func::CountSelected {
                    return Ty::Number;
                }
                let second = self.ty(&args[1]);
                match (&args[1].kind, options) {
                    (ExprKind::Text(lit), Some(options)) if !options.contains(lit) => {
                        let q = match &t {
                            Ty::Choice { question, .. } | Ty::Choices { question, .. } => {
                                question.as_str()
                            }
                            _ => "",
                        };
                        self.err(
                            args[1].col,
                            format!(
                                "`{q}` has no option `{lit}` (options: {})",
                                options.join(", ")
                            ),
                        );
                    }
                    (ExprKind::Number(n), _) => {
                        self.err(
                            args[1].col,
                            format!(
                                "write the choice id in quotes: '{}'",
                                crate::num::format_f64(*n)
                            ),
                        );
                    }
                    _ if !second.is_textual() => {
                        self.err(
                            args[1].col,
                            format!(
                                "the second argument of selected() is a choice id, not {second}"
                            ),
                        );
                    }
                    _ => {}
                }
                Ty::Bool
            }
            Func::Answered => {
                self.question_arg(f, &args[0]);
                Ty::Bool
            }
            Func::If => {
                let c = self.ty(&args[0]);
                if !c.is_bool() {
                    self.err(
                        start_col(&args[0]),
                        format!("the condition of if() must be true/false, not {c}"),
                    );
                }
                let (a, b) = (self.ty(&args[1]), self.ty(&args[2]));
                match (&a, &b) {
                    (Ty::Any, t) | (t, Ty::Any) => t.clone(),
                    (x, y) if x == y => x.clone(),
                    (x, y) if x.is_textual() && y.is_textual() => Ty::Text,
                    _ => self.err(
                        col,
                        format!("the two results of if() must be of one kind, not {a} and {b}"),
                    ),
                }
            }
            Func::Length => {
                let t = self.ty(&args[0]);
                if !t.is_textual() {
                    self.err(
                        start_col(&args[0]),
                        format!("length() needs a text, not {t}"),
                    );
                }
                Ty::Number
            }
            Func::Today => Ty::Date,
            Func::Date => {
                let t = self.ty(&args[0]);
                match &args[0].kind {
                    ExprKind::Text(s) if s.parse::<crate::Date>().is_err() => {
                        self.err(
                            args[0].col,
                            format!("`{s}` is not a date in the form YYYY-MM-DD"),
                        );
                    }
                    _ if !t.is_textual() && t != Ty::Date => {
                        self.err(args[0].col, format!("date() needs a text, not {t}"));
                    }
                    _ => {}
                }
                Ty::Date
            }
            Func::Int => {
                let t = self.ty(&args[0]);
                if !t.is_number() {
                    self.err(
                        start_col(&args[0]),
                        format!("int() needs a number, not {t}"),
                    );
                }
                Ty::Number
            }
            Func::Position => {
                if !self.in_repeat {
                    self.err(
                        col,
                        "position() is the number of the current instance: it can be used only by questions inside a repeat",
                    );
                }
                Ty::Number
            }
            Func::Count | Func::Sum => {
                let t = if matches!(args[0].kind, ExprKind::Ref(_)) {
                    self.aggregate = true;
                    let t = self.ty(&args[0]);
                    self.aggregate = false;
                    t
                } else {
                    self.ty(&args[0]);
                    Ty::Text // any non-aggregate: refused below
                };
                match (f, &t) {
                    (_, Ty::Any) | (Func::Count, Ty::Repeat { .. }) => {}
                    (Func::Sum, Ty::Column { of, .. }) if of.is_number() => {}
                    (Func::Sum, Ty::Column { question, of, .. }) => {
                        self.err(
                            args[0].col,
                            format!("sum() adds up numbers, and `{question}` gives {of}"),
                        );
                    }
                    (Func::Count, _) => {
                        self.err(
                            start_col(&args[0]),
                            "count() takes a repeat, such as count(incidents); for the options ticked, use count_selected()",
                        );
                    }
                    _ => {
                        self.err(
                            start_col(&args[0]),
                            "sum() takes a number question inside a repeat, such as sum(people_injured)",
                        );
                    }
                }
                Ty::Number
            }
        }
    }
}

/// The logic of one question as written, for [`check_logic`].
#[derive(Clone, Debug, Default)]
pub(crate) struct LogicSource<'a> {
    pub id: &'a str,
    /// `None` when the question itself is broken: references to it are
    /// then not checked further.
    pub kind: Option<&'a QuestionKind>,
    pub relevant: Option<&'a str>,
    pub required: Option<&'a str>,
    pub constraint: Option<&'a str>,
    pub calculate: Option<&'a str>,
    /// A repeat's `count`.
    pub count: Option<&'a str>,
    /// The index (among the sources) of the repeat it is inside.
    pub repeat: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct SectionSource<'a> {
    pub id: &'a str,
    pub relevant: Option<&'a str>,
    /// Index of its first question; `None` when it has none.
    pub first_question: Option<usize>,
}

/// Parsed expressions, in the order of the sources. `None` where absent
/// (or broken, which only happens alongside a reported problem).
#[derive(Clone, Debug, Default)]
pub(crate) struct Compiled {
    pub questions: Vec<CompiledLogic>,
    pub sections: Vec<Option<Expr>>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct CompiledLogic {
    pub relevant: Option<Expr>,
    pub required: Option<Expr>,
    pub constraint: Option<Expr>,
    pub calculate: Option<Expr>,
    /// A repeat's `count`: how many instances.
    pub count: Option<Expr>,
    /// The `relevant` of each option that has one: its index in the
    /// question's choices, and the expression.
    pub choices: Vec<(usize, Expr)>,
}

/// The options of a question that have a `relevant`: index, id, expression.
fn choice_relevants(kind: Option<&QuestionKind>) -> impl Iterator<Item = (usize, &str, &str)> {
    kind.and_then(QuestionKind::choices)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((i, c.id.as_str(), c.relevant.as_deref()?)))
}

/// Parses every expression of a survey, reporting only syntax errors: what
/// the browser needs of a survey the collector has already checked.
pub(crate) fn parse_logic(
    sections: &[SectionSource],
    questions: &[LogicSource],
) -> (Compiled, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut parse_one = |place: &str, field: &str, src: Option<&str>| -> Option<Expr> {
        match parse(src?) {
            Ok(e) => Some(e),
            Err(e) => {
                problems.push(Problem {
                    place: format!("{place}, {field}, column {}", e.column),
                    message: e.message,
                });
                None
            }
        }
    };
    let mut compiled = Compiled::default();
    for s in sections {
        compiled.sections.push(parse_one(
            &format!("section `{}`", s.id),
            "relevant",
            s.relevant,
        ));
    }
    for q in questions {
        let place = format!("question `{}`", q.id);
        compiled.questions.push(CompiledLogic {
            relevant: parse_one(&place, "relevant", q.relevant),
            required: parse_one(&place, "required", q.required),
            constraint: parse_one(&place, "constraint", q.constraint),
            calculate: parse_one(&place, "expression", q.calculate),
            count: parse_one(&place, "count", q.count),
            choices: choice_relevants(q.kind)
                .filter_map(|(i, id, src)| {
                    let e = parse_one(&format!("{place}, choice `{id}`"), "relevant", Some(src))?;
                    Some((i, e))
                })
                .collect(),
        });
    }
    (compiled, problems)
}

/// Parses and checks every expression of a survey: syntax, unknown
/// references, references forward or to the question itself, types,
/// non-boolean conditions, cycles among calculations.
pub(crate) fn check_logic(
    sections: &[SectionSource],
    questions: &[LogicSource],
) -> (Compiled, Vec<Problem>) {
    // 1. Parse.
    let (compiled, mut problems) = parse_logic(sections, questions);
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, q) in questions.iter().enumerate() {
        index.entry(q.id).or_insert(i);
    }
    let is_calc = |i: usize| {
        questions[i].calculate.is_some()
            || matches!(questions[i].kind, Some(QuestionKind::Calculate { .. }))
    };

    // 2. Cycles among calculations: i and j are on one cycle when each
    // reaches the other.
    let n = questions.len();
    let edges: Vec<Vec<usize>> = (0..n)
        .map(|i| match (&compiled.questions[i].calculate, is_calc(i)) {
            (Some(e), true) => e
                .refs()
                .into_iter()
                .filter_map(|(id, _)| index.get(id).copied())
                .filter(|&j| j != i && is_calc(j))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let reach: Vec<BTreeSet<usize>> = (0..n)
        .map(|i| {
            let mut seen = BTreeSet::new();
            let mut stack = edges[i].clone();
            while let Some(j) = stack.pop() {
                if seen.insert(j) {
                    stack.extend(edges[j].iter().copied());
                }
            }
            seen
        })
        .collect();
    let on_cycle = |i: usize, j: usize| reach[i].contains(&j) && reach[j].contains(&i);

    // 3. Types, in order; a calculation's type is inferred where it stands.
    let mut calc_types: BTreeMap<usize, Ty> = BTreeMap::new();
    let resolver = |here: Option<usize>, limit: usize, calc_types: &BTreeMap<usize, Ty>| {
        let calc_types = calc_types.clone();
        let index = &index;
        move |id: &str| -> Result<Ty, Option<String>> {
            let Some(&j) = index.get(id) else {
                return Err(Some(format!("unknown question `{id}`")));
            };
            if Some(j) == here {
                return Err(Some(if here.is_some_and(is_calc) {
                    format!("a calculation cannot use its own value (`{id}`)")
                } else {
                    format!("`{id}` is this question: in a `constraint`, write `.` for its answer")
                }));
            }
            if j >= limit {
                if let Some(i) = here
                    && is_calc(i)
                    && is_calc(j)
                    && on_cycle(i, j)
                {
                    return Err(None); // reported as a cycle
                }
                return Err(Some(format!(
                    "`{id}` comes later in the survey: logic can use only answers given before it"
                )));
            }
            let here_repeat = here.and_then(|h| questions[h].repeat);
            if here_repeat == Some(j) {
                return Err(Some(format!(
                    "`{id}` is the repeat this question is in: position() gives the number of the instance"
                )));
            }
            let ty = match questions[j].kind {
                Some(QuestionKind::Note) => {
                    return Err(Some(format!("`{id}` is a note and has no answer")));
                }
                None => return Err(None),
                Some(QuestionKind::Calculate { .. }) => {
                    calc_types.get(&j).cloned().unwrap_or(Ty::Any)
                }
                Some(kind) => kind_ty(id, kind).unwrap_or(Ty::Any),
            };
            match questions[j].repeat {
                // Seen from outside its repeat: a value per instance.
                Some(r) if here_repeat != Some(r) => Ok(Ty::Column {
                    question: id.to_string(),
                    repeat: questions[r].id.to_string(),
                    of: Box::new(ty),
                }),
                _ => Ok(ty),
            }
        }
    };
    let run = |place: String,
               field: &str,
               e: Option<&Expr>,
               (resolve, in_repeat): (&Resolver, bool),
               dot: Option<Ty>,
               want_bool: bool,
               problems: &mut Vec<Problem>|
     -> Option<Ty> {
        let e = e?;
        let mut c = Checker {
            resolve,
            dot,
            in_repeat,
            aggregate: false,
            errors: Vec::new(),
        };
        let t = c.ty(e);
        if want_bool && !t.is_bool() && c.errors.is_empty() {
            c.errors.push(TypeError {
                column: start_col(e),
                message: format!("`{field}` must be true or false, but this gives {t}"),
            });
        }
        for err in c.errors {
            problems.push(Problem {
                place: format!("{place}, {field}, column {}", err.column),
                message: err.message,
            });
        }
        Some(t)
    };

    let mut section_problems = Vec::new();
    for (s, e) in sections.iter().zip(&compiled.sections) {
        let limit = s.first_question.unwrap_or(n);
        let r = resolver(None, limit, &calc_types);
        run(
            format!("section `{}`", s.id),
            "relevant",
            e.as_ref(),
            (&r, false),
            None,
            true,
            &mut section_problems,
        );
    }
    let mut question_problems = Vec::new();
    for (i, (q, c)) in questions.iter().zip(&compiled.questions).enumerate() {
        let place = format!("question `{}`", q.id);
        let r = resolver(Some(i), i, &calc_types);
        let r = (&r as &Resolver, q.repeat.is_some());
        let p = &mut question_problems;
        if let Some(t) = run(place.clone(), "count", c.count.as_ref(), r, None, false, p)
            && !t.is_number()
        {
            p.push(Problem {
                place: format!("{place}, count"),
                message: format!("`count` must give a number of instances, not {t}"),
            });
        }
        run(
            place.clone(),
            "relevant",
            c.relevant.as_ref(),
            r,
            None,
            true,
            p,
        );
        run(
            place.clone(),
            "required",
            c.required.as_ref(),
            r,
            None,
            true,
            p,
        );
        let options = q.kind.and_then(QuestionKind::choices).unwrap_or_default();
        for (ci, e) in &c.choices {
            let id = options.get(*ci).map_or("", |o| o.id.as_str());
            run(
                format!("{place}, choice `{id}`"),
                "relevant",
                Some(e),
                r,
                None,
                true,
                p,
            );
        }
        let dot = q.kind.and_then(|k| kind_ty(q.id, k)).or(Some(Ty::Any));
        run(
            place.clone(),
            "constraint",
            c.constraint.as_ref(),
            r,
            dot,
            true,
            p,
        );
        if let Some(t) = run(
            place.clone(),
            "expression",
            c.calculate.as_ref(),
            r,
            None,
            false,
            p,
        ) {
            if matches!(t, Ty::Choices { .. } | Ty::Grid { .. }) {
                p.push(Problem {
                    place: format!("{place}, expression"),
                    message: format!(
                        "a calculation must give a number, a text, true/false or a date, not {t}"
                    ),
                });
            }
            let t = match t {
                Ty::Choice { .. } => Ty::Text,
                Ty::Choices { .. } | Ty::Grid { .. } => Ty::Any,
                t => t,
            };
            calc_types.insert(i, t);
        }
    }
    problems.extend(section_problems);
    problems.extend(question_problems);

    // 4. One problem per cycle, at its first calculation.
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for i in 0..n {
        if reported.contains(&i) || !reach[i].contains(&i) {
            continue;
        }
        let members: Vec<usize> = (0..n).filter(|&j| j == i || on_cycle(i, j)).collect();
        reported.extend(members.iter().copied());
        let names: Vec<String> = members
            .iter()
            .map(|&j| format!("`{}`", questions[j].id))
            .collect();
        problems.push(Problem {
            place: format!("question `{}`, expression", questions[i].id),
            message: format!(
                "dependency cycle: the calculations {} each depend on the others",
                names.join(", ")
            ),
        });
    }
    (compiled, problems)
}
