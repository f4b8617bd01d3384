//! Evaluation. Infallible: whatever the answers, a value comes out (the
//! static checker keeps well-formed surveys away from the odd cases, and
//! the odd cases give `Empty` rather than a panic).

use std::collections::BTreeMap;

use super::{BinOp, Expr, ExprKind, Func};
use crate::Date;

/// A value of the language.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Not answered, not relevant, or undefined (division by zero).
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    Date(Date),
    /// Multiple-choice answers, ranking answers (in rank order), and the
    /// answered statements of a grid.
    Choices(Vec<String>),
    /// Outside a repeat: a value per instance (of an inner question, or
    /// `true` for the repeat itself), for `count()` and `sum()`.
    List(Vec<Value>),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty)
    }

    /// Only `true` is true: empty and every non-boolean are false.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
}

/// What an expression can see: answers so far, `.`, and today.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    values: Option<&'a BTreeMap<String, Value>>,
    dot: Option<&'a Value>,
    today: Date,
    /// Inside a repeat: the current instance's number, from 1.
    position: Option<usize>,
}

impl<'a> Scope<'a> {
    /// No answers at all.
    pub fn new(today: Date) -> Scope<'a> {
        Scope {
            values: None,
            dot: None,
            today,
            position: None,
        }
    }

    /// Inside instance `n` (from 1) of a repeat: what `position()` gives.
    pub fn at_position(mut self, n: Option<usize>) -> Scope<'a> {
        self.position = n;
        self
    }

    pub fn with_values(mut self, values: &'a BTreeMap<String, Value>) -> Scope<'a> {
        self.values = Some(values);
        self
    }

    /// `.` in a constraint.
    pub fn with_dot(mut self, dot: &'a Value) -> Scope<'a> {
        self.dot = Some(dot);
        self
    }

    fn get(&self, id: &str) -> Value {
        self.values
            .and_then(|v| v.get(id))
            .cloned()
            .unwrap_or(Value::Empty)
    }
}

pub fn eval(e: &Expr, s: &Scope) -> Value {
    match &e.kind {
        ExprKind::Number(n) => Value::Number(*n),
        ExprKind::Text(t) => Value::Text(t.clone()),
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Dot => s.dot.cloned().unwrap_or(Value::Empty),
        ExprKind::Ref(id) => s.get(id),
        ExprKind::Not(x) => Value::Bool(!eval(x, s).is_true()),
        ExprKind::Neg(x) => match eval(x, s) {
            Value::Number(n) => Value::Number(-n),
            _ => Value::Empty,
        },
        ExprKind::Binary(BinOp::And, a, b) => {
            Value::Bool(eval(a, s).is_true() && eval(b, s).is_true())
        }
        ExprKind::Binary(BinOp::Or, a, b) => {
            Value::Bool(eval(a, s).is_true() || eval(b, s).is_true())
        }
        ExprKind::Binary(op, a, b) => binary(*op, eval(a, s), eval(b, s)),
        ExprKind::Call(f, args) => call(*f, args, s),
    }
}

fn binary(op: BinOp, a: Value, b: Value) -> Value {
    use Value::{Bool, Date as D, Empty, Number as N, Text as T};
    use std::cmp::Ordering;
    if op.is_comparison() {
        let ord: Option<Ordering> = match (&a, &b) {
            (N(x), N(y)) => x.partial_cmp(y),
            (T(x), T(y)) => Some(x.cmp(y)),
            (D(x), D(y)) => Some(x.cmp(y)),
            (Bool(x), Bool(y)) if matches!(op, BinOp::Eq | BinOp::Ne) => Some(x.cmp(y)),
            // Any comparison with empty (or of mismatched kinds) is false.
            _ => return Bool(false),
        };
        let Some(ord) = ord else {
            return Bool(false);
        };
        return Bool(match op {
            BinOp::Eq => ord == Ordering::Equal,
            BinOp::Ne => ord != Ordering::Equal,
            BinOp::Lt => ord == Ordering::Less,
            BinOp::Le => ord != Ordering::Greater,
            BinOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        });
    }
    let number = |n: f64| if n.is_finite() { N(n) } else { Empty };
    match (op, a, b) {
        (BinOp::Add, N(x), N(y)) => number(x + y),
        (BinOp::Sub, N(x), N(y)) => number(x - y),
        (BinOp::Mul, N(x), N(y)) => number(x * y),
        (BinOp::Div, N(x), N(y)) if y != 0.0 => number(x / y),
        (BinOp::Add, D(d), N(n)) | (BinOp::Add, N(n), D(d)) => add_days(d, n),
        (BinOp::Sub, D(d), N(n)) => add_days(d, -n),
        (BinOp::Sub, D(x), D(y)) => N((x.days_since_epoch() - y.days_since_epoch()) as f64),
        _ => Empty,
    }
}

/// A date moved by a whole number of days (fractions are dropped).
fn add_days(d: Date, n: f64) -> Value {
    if !n.is_finite() || n.abs() > 4_000_000.0 {
        return Value::Empty;
    }
    let moved = d.add_days(n.trunc() as i64);
    // Only dates that can be written YYYY-MM-DD.
    let (y, _, _) = moved.ymd();
    if (1..=9999).contains(&y) {
        Value::Date(moved)
    } else {
        Value::Empty
    }
}

fn call(f: Func, args: &[Expr], s: &Scope) -> Value {
    let arg = |i: usize| args.get(i).map(|a| eval(a, s)).unwrap_or(Value::Empty);
    match f {
        Func::Selected => {
            let wanted = match arg(1) {
                Value::Text(t) => t,
                _ => return Value::Bool(false),
            };
            Value::Bool(match arg(0) {
                Value::Text(t) => t == wanted,
                Value::Choices(c) => c.contains(&wanted),
                _ => false,
            })
        }
        Func::CountSelected => Value::Number(match arg(0) {
            Value::Choices(c) => c.len() as f64,
            Value::Text(_) => 1.0,
            _ => 0.0,
        }),
        Func::Answered => Value::Bool(!arg(0).is_empty()),
        Func::If => {
            if arg(0).is_true() {
                arg(1)
            } else {
                arg(2)
            }
        }
        Func::Length => Value::Number(match arg(0) {
            Value::Text(t) => t.chars().count() as f64,
            _ => 0.0,
        }),
        Func::Today => Value::Date(s.today),
        Func::Date => match arg(0) {
            Value::Text(t) => t.parse().map(Value::Date).unwrap_or(Value::Empty),
            d @ Value::Date(_) => d,
            _ => Value::Empty,
        },
        Func::Int => match arg(0) {
            Value::Number(n) => Value::Number(n.trunc()),
            _ => Value::Empty,
        },
        Func::Position => s.position.map_or(Value::Empty, |n| Value::Number(n as f64)),
        Func::Count => Value::Number(match arg(0) {
            Value::List(items) => items.len() as f64,
            _ => 0.0,
        }),
        // Unanswered instances add nothing; no instance at all is 0.
        Func::Sum => match arg(0) {
            Value::List(items) => {
                let total: f64 = items
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) => *n,
                        _ => 0.0,
                    })
                    .sum();
                if total.is_finite() {
                    Value::Number(total)
                } else {
                    Value::Empty
                }
            }
            _ => Value::Number(0.0),
        },
    }
}
