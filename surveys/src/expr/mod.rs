//! The expression language of `relevant`, `constraint`, `required` and
//! `calculate` (see `docs/expressions.md`): a hand-written lexer, a
//! precedence-climbing parser, a static checker and an evaluator.
//!
//! ```
//! use surveys::expr::{parse, eval, Scope, Value};
//! let e = parse("if(2 > 1, 'yes', 'no')").expect("parses");
//! let scope = Scope::new("2026-01-31".parse().expect("date"));
//! assert_eq!(eval(&e, &scope), Value::Text("yes".into()));
//! ```

mod check;
mod eval;
mod lex;
mod parse;

pub(crate) use check::{Compiled, LogicSource, SectionSource, check_logic, parse_logic};
pub use check::{Ty, TypeError, type_of};
pub use eval::{Scope, Value, eval};
pub use parse::parse;

use std::fmt;

/// A parsed expression. `col` is the 1-based character column of the node
/// (an operator's own column for operations, a function's name for calls).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub col: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(f64),
    Text(String),
    Bool(bool),
    /// `.`: the answer being checked by a constraint.
    Dot,
    /// A question id, written `age` or `${age}`.
    Ref(String),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

/// The functions of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Selected,
    CountSelected,
    Answered,
    If,
    Length,
    Today,
    Date,
    Int,
    /// The number of the current instance of a repeat, from 1.
    Position,
    /// The number of instances of a repeat.
    Count,
    /// The sum of a number question over the instances of its repeat.
    Sum,
}

impl Func {
    pub const ALL: &'static [Func] = &[
        Func::Selected,
        Func::CountSelected,
        Func::Answered,
        Func::If,
        Func::Length,
        Func::Today,
        Func::Date,
        Func::Int,
        Func::Position,
        Func::Count,
        Func::Sum,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Func::Selected => "selected",
            Func::CountSelected => "count_selected",
            Func::Answered => "answered",
            Func::If => "if",
            Func::Length => "length",
            Func::Today => "today",
            Func::Date => "date",
            Func::Int => "int",
            Func::Position => "position",
            Func::Count => "count",
            Func::Sum => "sum",
        }
    }

    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            Func::Today | Func::Position => 0,
            Func::CountSelected
            | Func::Answered
            | Func::Length
            | Func::Date
            | Func::Int
            | Func::Count
            | Func::Sum => 1,
            Func::Selected => 2,
            Func::If => 3,
        }
    }

    fn by_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }
}

/// A syntax error, at a 1-based character column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct SyntaxError {
    pub column: usize,
    pub message: String,
}

impl Expr {
    /// Every question id this expression refers to, with its column.
    pub fn refs(&self) -> Vec<(&str, usize)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Ref(id) = &e.kind {
                out.push((id.as_str(), e.col));
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Not(e) | ExprKind::Neg(e) => e.walk(f),
            ExprKind::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            _ => {}
        }
    }
}

impl fmt::Display for Expr {
    /// Fully parenthesised, for tests and messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(n) => f.write_str(&crate::num::format_f64(*n)),
            ExprKind::Text(s) => write!(f, "'{s}'"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Dot => write!(f, "."),
            ExprKind::Ref(id) => write!(f, "{id}"),
            ExprKind::Not(e) => write!(f, "(not {e})"),
            ExprKind::Neg(e) => write!(f, "(-{e})"),
            ExprKind::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            ExprKind::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}
