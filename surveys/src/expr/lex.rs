//! Characters to tokens. Columns count characters from 1.

use super::SyntaxError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    /// `${name}`: always a question reference, whatever the name.
    Braced(String),
    Dot,
    LParen,
    RParen,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    End,
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub col: usize,
    /// As written, for messages.
    pub text: String,
}

fn err(column: usize, message: impl Into<String>) -> SyntaxError {
    SyntaxError {
        column,
        message: message.into(),
    }
}

pub(super) fn lex(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '0'..='9' => {
                i = number_end(&chars, i);
                let text: String = chars[start..i].iter().collect();
                Tok::Num(
                    crate::num::parse_f64(&text)
                        .ok_or_else(|| err(col, format!("`{text}` is not a number")))?,
                )
            }
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => {
                i = number_end(&chars, i);
                let text: String = chars[start..i].iter().collect();
                Tok::Num(
                    crate::num::parse_f64(&text)
                        .ok_or_else(|| err(col, format!("`{text}` is not a number")))?,
                )
            }
            '\'' | '"' => {
                let close = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .ok_or_else(|| err(col, format!("this text is not closed: add `{c}`")))?;
                let s: String = chars[i + 1..i + 1 + close].iter().collect();
                i += close + 2;
                Tok::Str(s)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                Tok::Ident(chars[start..i].iter().collect())
            }
            '$' if next == Some('{') => {
                let close = chars[i + 2..]
                    .iter()
                    .position(|&d| d == '}')
                    .ok_or_else(|| err(col, "`${` is not closed: add `}`"))?;
                let name: String = chars[i + 2..i + 2 + close].iter().collect();
                let name = name.trim().to_string();
                if name.is_empty() {
                    return Err(err(col, "`${}` names no question"));
                }
                i += close + 3;
                Tok::Braced(name)
            }
            _ => {
                let two = |t: Tok, i: &mut usize| {
                    *i += 2;
                    t
                };
                let one = |t: Tok, i: &mut usize| {
                    *i += 1;
                    t
                };
                match (c, next) {
                    ('!', Some('=')) => two(Tok::Ne, &mut i),
                    ('<', Some('=')) => two(Tok::Le, &mut i),
                    ('>', Some('=')) => two(Tok::Ge, &mut i),
                    ('<', Some('>')) => return Err(err(col, "use `!=` for “not equal”")),
                    ('=', Some('=')) => return Err(err(col, "use a single `=` to compare")),
                    ('&', _) => return Err(err(col, "use `and` instead of `&`")),
                    ('|', _) => return Err(err(col, "use `or` instead of `|`")),
                    ('!', _) => return Err(err(col, "use `not` instead of `!`")),
                    ('=', _) => one(Tok::Eq, &mut i),
                    ('<', _) => one(Tok::Lt, &mut i),
                    ('>', _) => one(Tok::Gt, &mut i),
                    ('+', _) => one(Tok::Plus, &mut i),
                    ('-', _) => one(Tok::Minus, &mut i),
                    ('*', _) => one(Tok::Star, &mut i),
                    ('/', _) => one(Tok::Slash, &mut i),
                    ('(', _) => one(Tok::LParen, &mut i),
                    (')', _) => one(Tok::RParen, &mut i),
                    (',', _) => one(Tok::Comma, &mut i),
                    ('.', _) => one(Tok::Dot, &mut i),
                    _ => return Err(err(col, format!("unexpected character `{c}`"))),
                }
            }
        };
        out.push(Token {
            tok,
            col,
            text: chars[start..i].iter().collect(),
        });
    }
    out.push(Token {
        tok: Tok::End,
        col: chars.len() + 1,
        text: String::new(),
    });
    Ok(out)
}

/// Digits, then at most one `.` followed by digits.
fn number_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i += 1;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
    }
    i
}
