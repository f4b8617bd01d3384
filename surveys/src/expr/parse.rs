//! Tokens to a tree, by precedence climbing (loosest first):
//! `or`, `and`, `not`, comparisons (not chained), `+ -`, `* /`, unary `-`.

use super::lex::{Tok, Token, lex};
use super::{BinOp, Expr, ExprKind, Func, SyntaxError};

/// Parses one expression; the error carries the column.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let tokens = lex(src)?;
    if tokens.len() == 1 {
        return Err(SyntaxError {
            column: 1,
            message: "the expression is empty".into(),
        });
    }
    let mut p = Parser { tokens, pos: 0 };
    let e = p.or()?;
    let t = p.peek();
    if t.tok != Tok::End {
        let message = if t.tok == Tok::RParen {
            "this `)` closes nothing".to_string()
        } else {
            format!(
                "unexpected `{}`: expected an operator or the end of the expression",
                t.text
            )
        };
        return Err(SyntaxError {
            column: t.col,
            message,
        });
    }
    Ok(e)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

fn keyword(t: &Tok, word: &str) -> bool {
    matches!(t, Tok::Ident(w) if w == word)
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn binary(op: BinOp, col: usize, a: Expr, b: Expr) -> Expr {
        Expr {
            kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
            col,
        }
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.and()?;
        while keyword(&self.peek().tok, "or") {
            let col = self.bump().col;
            let r = self.and()?;
            e = Self::binary(BinOp::Or, col, e, r);
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.not()?;
        while keyword(&self.peek().tok, "and") {
            let col = self.bump().col;
            let r = self.not()?;
            e = Self::binary(BinOp::And, col, e, r);
        }
        Ok(e)
    }

    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if keyword(&self.peek().tok, "not") {
            let col = self.bump().col;
            let e = self.not()?;
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(e)),
                col,
            });
        }
        self.comparison()
    }

    fn comparison_op(t: &Tok) -> Option<BinOp> {
        Some(match t {
            Tok::Eq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            _ => return None,
        })
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let e = self.additive()?;
        let Some(op) = Self::comparison_op(&self.peek().tok) else {
            return Ok(e);
        };
        let col = self.bump().col;
        let r = self.additive()?;
        let t = self.peek();
        if Self::comparison_op(&t.tok).is_some() {
            return Err(SyntaxError {
                column: t.col,
                message: "comparisons cannot be chained: join them with `and`".into(),
            });
        }
        Ok(Self::binary(op, col, e, r))
    }

    fn additive(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.multiplicative()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(e),
            };
            let col = self.bump().col;
            let r = self.multiplicative()?;
            e = Self::binary(op, col, e, r);
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(e),
            };
            let col = self.bump().col;
            let r = self.unary()?;
            e = Self::binary(op, col, e, r);
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.peek().tok == Tok::Minus {
            let col = self.bump().col;
            let e = self.unary()?;
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(e)),
                col,
            });
        }
        self.primary()
    }

    /// "expected a value after `and`": names the token before, if any.
    fn expected_value(&self, t: &Token) -> SyntaxError {
        let after = self
            .pos
            .checked_sub(1)
            .map(|i| &self.tokens[i])
            .filter(|_| t.tok == Tok::End || self.pos > 0);
        let message = match (&t.tok, after) {
            (Tok::End, Some(prev)) => format!("expected a value after `{}`", prev.text),
            (Tok::End, None) => "expected a value".to_string(),
            _ => format!("expected a value, found `{}`", t.text),
        };
        SyntaxError {
            column: t.col,
            message,
        }
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        let t = self.peek().clone();
        let col = t.col;
        let kind = match &t.tok {
            Tok::Num(n) => ExprKind::Number(*n),
            Tok::Str(s) => ExprKind::Text(s.clone()),
            Tok::Dot => ExprKind::Dot,
            Tok::Braced(name) => ExprKind::Ref(name.clone()),
            Tok::LParen => {
                self.bump();
                let e = self.or()?;
                let close = self.peek().clone();
                if close.tok != Tok::RParen {
                    return Err(SyntaxError {
                        column: close.col,
                        message: format!("expected `)` to close the `(` at column {col}"),
                    });
                }
                self.bump();
                return Ok(e);
            }
            Tok::Ident(w) if w == "true" || w == "false" => ExprKind::Bool(w == "true"),
            Tok::Ident(w) if matches!(w.as_str(), "and" | "or" | "not") => {
                return Err(self.expected_value(&t));
            }
            Tok::Ident(name) => {
                self.bump();
                if self.peek().tok == Tok::LParen {
                    return self.call(name, col);
                }
                return Ok(Expr {
                    kind: ExprKind::Ref(name.clone()),
                    col,
                });
            }
            _ => return Err(self.expected_value(&t)),
        };
        self.bump();
        Ok(Expr { kind, col })
    }

    fn call(&mut self, name: &str, col: usize) -> Result<Expr, SyntaxError> {
        let Some(func) = Func::by_name(name) else {
            let known: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
            return Err(SyntaxError {
                column: col,
                message: format!(
                    "unknown function `{name}` (functions: {})",
                    known.join(", ")
                ),
            });
        };
        self.bump(); // (
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                args.push(self.or()?);
                let t = self.peek().clone();
                match t.tok {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break,
                    _ => {
                        return Err(SyntaxError {
                            column: t.col,
                            message: format!(
                                "expected `,` or `)` in the arguments of {name}(), found {}",
                                if t.tok == Tok::End {
                                    "the end".to_string()
                                } else {
                                    format!("`{}`", t.text)
                                }
                            ),
                        });
                    }
                }
            }
        }
        self.bump(); // )
        if args.len() != func.arity() {
            let n = func.arity();
            return Err(SyntaxError {
                column: col,
                message: format!(
                    "{name}() takes {n} argument{}, not {}",
                    if n == 1 { "" } else { "s" },
                    args.len()
                ),
            });
        }
        Ok(Expr {
            kind: ExprKind::Call(func, args),
            col,
        })
    }
}
