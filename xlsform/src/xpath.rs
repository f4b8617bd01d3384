//! The XPath-ish expressions of XLSForm (`${age} >= 18 and selected(${services}, 'ost')`):
//! a tokenizer, a parser into a small tree, the translation of that tree into
//! the Chorus expression language (`docs/expressions.md`), and the
//! application of a `choice_filter` to each choice of its list: decided at
//! import where it depends only on columns of the `choices` sheet, left as
//! the choice's `relevant` where it depends on earlier answers (cascading
//! selects).
//!
//! Translation is all or nothing: an expression that uses anything Chorus
//! cannot express is refused with the reason, and the caller names it in the
//! conversion notes. Nothing is guessed.

use std::collections::BTreeMap;
use std::fmt;

/// A lexical token with its 1-based character column.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// `${name}`
    Ref(String),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    Num(String),
    Str(String),
    /// A name: a function, an operator word (`and`, `div`, …) or a path step.
    Name(String),
    /// Punctuation and operators: `= != < <= > >= + - * | ( ) , / [ ] @`.
    Op(&'static str),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ref(n) => write!(f, "${{{n}}}"),
            Tok::Dot => f.write_str("."),
            Tok::DotDot => f.write_str(".."),
            Tok::Num(n) => f.write_str(n),
            Tok::Str(s) => write!(f, "'{s}'"),
            Tok::Name(n) => f.write_str(n),
            Tok::Op(o) => f.write_str(o),
        }
    }
}

fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '$' {
            if chars.get(i + 1) != Some(&'{') {
                return Err(format!(
                    "column {col}: `$` must start a reference like ${{name}}"
                ));
            }
            let start = i + 2;
            let mut j = start;
            while j < chars.len() && chars[j] != '}' {
                j += 1;
            }
            if j >= chars.len() {
                return Err(format!("column {col}: `${{` is never closed with `}}`"));
            }
            let name: String = chars[start..j]
                .iter()
                .collect::<String>()
                .trim()
                .to_string();
            if name.is_empty() {
                return Err(format!("column {col}: empty reference `${{}}`"));
            }
            out.push((Tok::Ref(name), col));
            i = j + 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && chars[j] != c {
                j += 1;
            }
            if j >= chars.len() {
                return Err(format!(
                    "column {col}: the text starting here is never closed with {c}"
                ));
            }
            out.push((Tok::Str(chars[start..j].iter().collect()), col));
            i = j + 1;
            continue;
        }
        let next_is_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_digit() || (c == '.' && next_is_digit) {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push((Tok::Num(chars[start..i].iter().collect()), col));
            continue;
        }
        if c == '.' {
            if chars.get(i + 1) == Some(&'.') {
                out.push((Tok::DotDot, col));
                i += 2;
            } else {
                out.push((Tok::Dot, col));
                i += 1;
            }
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '-' | '.' | ':'))
            {
                i += 1;
            }
            out.push((Tok::Name(chars[start..i].iter().collect()), col));
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op = match two.as_str() {
            "!=" => Some("!="),
            "<=" => Some("<="),
            ">=" => Some(">="),
            _ => None,
        };
        if let Some(op) = op {
            out.push((Tok::Op(op), col));
            i += 2;
            continue;
        }
        let op = match c {
            '=' => "=",
            '<' => "<",
            '>' => ">",
            '+' => "+",
            '-' => "-",
            '*' => "*",
            '|' => "|",
            '(' => "(",
            ')' => ")",
            ',' => ",",
            '/' => "/",
            '[' => "[",
            ']' => "]",
            '@' => "@",
            other => return Err(format!("column {col}: unexpected character `{other}`")),
        };
        out.push((Tok::Op(op), col));
        i += 1;
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
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
    Mod,
    Union,
}

impl BinOp {
    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }

    /// The comparison with its sides swapped: `a < b` is `b > a`.
    fn mirrored(self) -> BinOp {
        match self {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            other => other,
        }
    }
}

/// A parsed XLSForm expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Ref(String),
    Dot,
    /// `..`: the parent node, as in `position(..)`; any other path is refused.
    Parent,
    /// A bare name that is not a function call: an XPath path step (or, in a
    /// `choice_filter`, a column of the `choices` sheet).
    Name(String),
    Num(String),
    Str(String),
    Call(String, Vec<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    len: usize,
}

/// Parses XLSForm expression text.
pub(crate) fn parse(src: &str) -> Result<Expr, String> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        len: src.chars().count(),
    };
    if p.toks.is_empty() {
        return Err("the expression is empty".into());
    }
    let e = p.or()?;
    if let Some((t, col)) = p.toks.get(p.pos) {
        return Err(format!(
            "column {col}: unexpected `{t}` after a complete expression"
        ));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn col(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(_, c)| *c)
            .unwrap_or(self.len + 1)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == w)
    }

    fn is_op(&self, o: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(x)) if *x == o)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.is_word("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.equality()?;
        while self.is_word("and") {
            self.pos += 1;
            let right = self.equality()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, String> {
        let mut left = self.relational()?;
        loop {
            let op = if self.is_op("=") {
                BinOp::Eq
            } else if self.is_op("!=") {
                BinOp::Ne
            } else {
                return Ok(left);
            };
            self.pos += 1;
            let right = self.relational()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn relational(&mut self) -> Result<Expr, String> {
        let mut left = self.additive()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("<")) => BinOp::Lt,
                Some(Tok::Op("<=")) => BinOp::Le,
                Some(Tok::Op(">")) => BinOp::Gt,
                Some(Tok::Op(">=")) => BinOp::Ge,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.additive()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn additive(&mut self) -> Result<Expr, String> {
        let mut left = self.multiplicative()?;
        loop {
            let op = if self.is_op("+") {
                BinOp::Add
            } else if self.is_op("-") {
                BinOp::Sub
            } else {
                return Ok(left);
            };
            self.pos += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        loop {
            let op = if self.is_op("*") {
                BinOp::Mul
            } else if self.is_word("div") {
                BinOp::Div
            } else if self.is_word("mod") {
                BinOp::Mod
            } else {
                return Ok(left);
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.is_op("-") {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let mut left = self.primary()?;
        while self.is_op("|") {
            self.pos += 1;
            let right = self.primary()?;
            left = Expr::Binary(BinOp::Union, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let col = self.col();
        let Some(tok) = self.peek().cloned() else {
            return Err(format!(
                "column {col}: the expression ends where a value is expected"
            ));
        };
        self.pos += 1;
        let e = match tok {
            Tok::Ref(n) => Expr::Ref(n),
            Tok::Dot => Expr::Dot,
            Tok::DotDot => Expr::Parent,
            Tok::Num(n) => Expr::Num(n),
            Tok::Str(s) => Expr::Str(s),
            Tok::Op("(") => {
                let inner = self.or()?;
                if !self.is_op(")") {
                    return Err(format!("column {}: expected `)`", self.col()));
                }
                self.pos += 1;
                inner
            }
            Tok::Name(name) if self.is_op("(") => {
                self.pos += 1;
                let mut args = Vec::new();
                if self.is_op(")") {
                    self.pos += 1;
                } else {
                    loop {
                        args.push(self.or()?);
                        if self.is_op(",") {
                            self.pos += 1;
                        } else if self.is_op(")") {
                            self.pos += 1;
                            break;
                        } else {
                            return Err(format!(
                                "column {}: expected `,` or `)` in the arguments of {name}()",
                                self.col()
                            ));
                        }
                    }
                }
                Expr::Call(name, args)
            }
            Tok::Name(name) => Expr::Name(name),
            Tok::Op("/") | Tok::Op("@") => {
                return Err(format!(
                    "column {col}: XPath paths (`/`, `..`, `@`) are not supported; refer to questions as ${{name}}"
                ));
            }
            other => return Err(format!("column {col}: unexpected `{other}`")),
        };
        if self.is_op("/") || self.is_op("[") {
            return Err(format!(
                "column {}: XPath paths and predicates (`/`, `[…]`) are not supported; refer to questions as ${{name}}",
                self.col()
            ));
        }
        Ok(e)
    }
}

/// What a referenced question answers, as far as translation cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueKind {
    SingleChoice,
    MultipleChoice,
    Ranking,
    Number,
    Text,
    Date,
    Consent,
    /// A `calculate`: its value type is not known here.
    Calculated,
    /// A note takes no answer.
    Note,
    /// A repeat: outside it, `count()` gives its number of instances.
    Repeat,
}

/// A question an expression may refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefInfo {
    /// The Chorus question id.
    pub id: String,
    pub kind: ValueKind,
    /// For choice questions: XLSForm choice name → Chorus choice id.
    pub choices: BTreeMap<String, String>,
    /// The Chorus id of the repeat the question is inside, if any.
    pub repeat: Option<String>,
}

/// Resolves `${name}` references for the translator.
pub trait Names {
    /// The question `name` refers to, or why it cannot be referred to.
    fn resolve(&self, name: &str) -> Result<RefInfo, String>;
}

/// Where an expression stands: its column decides whether `.` may be used,
/// its question whether it is inside a repeat.
#[derive(Clone)]
pub struct Scope<'a> {
    pub names: &'a dyn Names,
    /// The question `.` stands for (in a `constraint`); `None` elsewhere.
    pub dot: Option<RefInfo>,
    /// The Chorus id of the repeat the expression's question is inside:
    /// there, `${x}` of a question of the same repeat is the current
    /// instance's answer and `position(..)` the instance's number. Outside
    /// a repeat, its questions are seen only through `sum()` and `count()`.
    pub repeat: Option<String>,
}

impl<'a> Scope<'a> {
    /// An expression outside any repeat, where `.` is not allowed.
    pub fn new(names: &'a dyn Names) -> Scope<'a> {
        Scope {
            names,
            dot: None,
            repeat: None,
        }
    }
}

impl fmt::Debug for Scope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("dot", &self.dot)
            .field("repeat", &self.repeat)
            .finish_non_exhaustive()
    }
}

/// Chorus keywords, which a question id cannot be written as bare.
const KEYWORDS: &[&str] = &["and", "or", "not", "true", "false"];

/// A question id as a Chorus expression writes it: bare (`age`), or
/// `${age-band}` when it holds a `-` or is a keyword.
fn id_text(id: &str) -> String {
    if id.contains('-') || KEYWORDS.contains(&id) {
        format!("${{{id}}}")
    } else {
        id.to_string()
    }
}

// Precedence levels of the Chorus language, loosest first.
const P_OR: u8 = 1;
const P_AND: u8 = 2;
const P_NOT: u8 = 3;
const P_CMP: u8 = 4;
const P_ADD: u8 = 5;
const P_MUL: u8 = 6;
const P_NEG: u8 = 7;
const P_ATOM: u8 = 8;

/// Translates XLSForm expression text into the Chorus expression language,
/// or says why it cannot.
pub fn translate(src: &str, scope: &Scope<'_>) -> Result<String, String> {
    let e = parse(src)?;
    let (text, _) = Translator { scope }.expr(&e)?;
    Ok(text)
}

struct Translator<'s, 'a> {
    scope: &'s Scope<'a>,
}

fn wrap(text: String, prec: u8, min: u8) -> String {
    if prec < min {
        format!("({text})")
    } else {
        text
    }
}

fn quote(s: &str) -> Result<String, String> {
    if !s.contains('\'') {
        Ok(format!("'{s}'"))
    } else if !s.contains('"') {
        Ok(format!("\"{s}\""))
    } else {
        Err(format!(
            "the text {s:?} holds both kinds of quote, which Chorus expressions cannot write"
        ))
    }
}

fn number(n: &str) -> String {
    let mut s = n.to_string();
    if s.starts_with('.') {
        s.insert(0, '0');
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

fn is_number_text(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite) && !t.contains(['e', 'E'])
}

impl Translator<'_, '_> {
    /// The question a `${ref}` or `.` stands for, used for its value: not a
    /// repeat, nor a question of a repeat the expression is not inside.
    fn info(&self, e: &Expr) -> Result<Option<RefInfo>, String> {
        match e {
            Expr::Ref(n) => {
                let info = self.scope.names.resolve(n)?;
                self.plain(n, &info)?;
                Ok(Some(info))
            }
            Expr::Dot => match &self.scope.dot {
                Some(d) => Ok(Some(d.clone())),
                None => Err("`.` (this answer) can be used only in a constraint".into()),
            },
            _ => Ok(None),
        }
    }

    /// Whether the answer of `${name}` has one value where the expression
    /// stands: a repeat has none, and a question inside a repeat has one per
    /// instance, except inside that repeat (where it is this instance's).
    fn plain(&self, name: &str, info: &RefInfo) -> Result<(), String> {
        let here = self.scope.repeat.as_deref();
        if info.kind == ValueKind::Repeat {
            return Err(if here == Some(info.id.as_str()) {
                format!(
                    "`${{{name}}}` is the repeat this question is in; position(..) gives the number of the current instance"
                )
            } else {
                format!(
                    "`${{{name}}}` is a repeat, which has no single value: count(${{{name}}}) gives its number of instances"
                )
            });
        }
        match &info.repeat {
            Some(r) if here != Some(r.as_str()) => Err(format!(
                "`${{{name}}}` is inside the repeat `{r}`, with one answer per instance: outside that repeat only sum(${{{name}}}) (of a number) or count() of the repeat can use it"
            )),
            _ => Ok(()),
        }
    }

    fn reference(&self, e: &Expr) -> Result<(String, RefInfo), String> {
        match self.info(e)? {
            Some(info) => {
                let text = if matches!(e, Expr::Dot) {
                    ".".to_string()
                } else {
                    id_text(&info.id)
                };
                if info.kind == ValueKind::Note {
                    return Err(format!("`{text}` is a note, which has no answer"));
                }
                Ok((text, info))
            }
            None => Err("expected a question reference like ${name}".into()),
        }
    }

    /// A literal compared with (or selected in) a question, written as the
    /// question's answers are: choice ids as mapped texts, numbers as numbers.
    fn literal_for(&self, info: &RefInfo, lit: &Expr) -> Result<Option<String>, String> {
        let raw = match lit {
            Expr::Str(s) => s.clone(),
            Expr::Num(n) => number(n),
            _ => return Ok(None),
        };
        match info.kind {
            ValueKind::SingleChoice | ValueKind::MultipleChoice | ValueKind::Ranking => {
                match info.choices.get(&raw) {
                    Some(id) => Ok(Some(quote(id)?)),
                    None => Err(format!(
                        "`{}` has no choice named `{raw}`",
                        if info.id.is_empty() { "." } else { &info.id }
                    )),
                }
            }
            ValueKind::Number if matches!(lit, Expr::Str(s) if is_number_text(s)) => {
                Ok(Some(number(raw.trim())))
            }
            ValueKind::Consent => match raw.to_ascii_lowercase().as_str() {
                "ok" | "yes" | "true" | "1" => Ok(Some("true".into())),
                _ => Err(format!(
                    "an acknowledge question is compared with '{raw}'; only 'OK' can be translated"
                )),
            },
            _ => Ok(None),
        }
    }

    fn expr(&self, e: &Expr) -> Result<(String, u8), String> {
        match e {
            Expr::Ref(_) | Expr::Dot => {
                let (text, _) = self.reference(e)?;
                Ok((text, P_ATOM))
            }
            Expr::Num(n) => Ok((number(n), P_ATOM)),
            Expr::Str(s) => Ok((quote(s)?, P_ATOM)),
            Expr::Name(n) => Err(format!(
                "`{n}` is an XPath path, not a reference; refer to questions as ${{name}}"
            )),
            Expr::Parent => Err(
                "`..` is an XPath path (only position(..) is translated); refer to questions as ${name}"
                    .into(),
            ),
            Expr::Neg(inner) => {
                let (t, p) = self.expr(inner)?;
                Ok((format!("-{}", wrap(t, p, P_NEG)), P_NEG))
            }
            Expr::Binary(op, l, r) => self.binary(*op, l, r),
            Expr::Call(name, args) => self.call(name, args),
        }
    }

    fn binary(&self, op: BinOp, l: &Expr, r: &Expr) -> Result<(String, u8), String> {
        let (sym, prec) = match op {
            BinOp::Or => ("or", P_OR),
            BinOp::And => ("and", P_AND),
            BinOp::Eq => ("=", P_CMP),
            BinOp::Ne => ("!=", P_CMP),
            BinOp::Lt => ("<", P_CMP),
            BinOp::Le => ("<=", P_CMP),
            BinOp::Gt => (">", P_CMP),
            BinOp::Ge => (">=", P_CMP),
            BinOp::Add => ("+", P_ADD),
            BinOp::Sub => ("-", P_ADD),
            BinOp::Mul => ("*", P_MUL),
            BinOp::Div => ("/", P_MUL),
            BinOp::Mod => {
                return Err("Chorus expressions have no remainder operator (`mod`)".into());
            }
            BinOp::Union => {
                return Err("the XPath union `|` has no Chorus equivalent".into());
            }
        };
        if op.is_comparison() {
            return self.comparison(op, sym, l, r);
        }
        let (lt, lp) = self.expr(l)?;
        let (rt, rp) = self.expr(r)?;
        Ok((
            format!("{} {sym} {}", wrap(lt, lp, prec), wrap(rt, rp, prec + 1)),
            prec,
        ))
    }

    fn comparison(&self, op: BinOp, sym: &str, l: &Expr, r: &Expr) -> Result<(String, u8), String> {
        // `${q} != ''` asks whether q is answered: Chorus says so directly,
        // because any comparison with an empty answer is false.
        let empty = |e: &Expr| matches!(e, Expr::Str(s) if s.is_empty());
        if matches!(op, BinOp::Eq | BinOp::Ne) && (empty(l) || empty(r)) {
            let other = if empty(l) { r } else { l };
            if matches!(other, Expr::Dot) {
                return Err("comparing `.` with '' has no Chorus equivalent (a constraint is checked only on an answer)".into());
            }
            if !matches!(other, Expr::Ref(_)) {
                return Err(
                    "comparison with '' is translated only for a question reference".into(),
                );
            }
            let (text, _) = self.reference(other)?;
            return Ok(if op == BinOp::Ne {
                (format!("answered({text})"), P_ATOM)
            } else {
                (format!("not answered({text})"), P_NOT)
            });
        }
        let linfo = self.info(l)?;
        let rinfo = self.info(r)?;
        for info in [&linfo, &rinfo].into_iter().flatten() {
            if matches!(info.kind, ValueKind::MultipleChoice | ValueKind::Ranking) {
                return Err(format!(
                    "`{}` is a select_multiple or rank question: compare its choices with selected(…) or count-selected(…)",
                    if info.id.is_empty() { "." } else { &info.id }
                ));
            }
        }
        let side = |this: &Expr, other_info: &Option<RefInfo>| -> Result<(String, u8), String> {
            if let Some(info) = other_info
                && let Some(lit) = self.literal_for(info, this)?
            {
                return Ok((lit, P_ATOM));
            }
            self.expr(this)
        };
        let (lt, lp) = side(l, &rinfo)?;
        let (rt, rp) = side(r, &linfo)?;
        Ok((
            format!(
                "{} {sym} {}",
                wrap(lt, lp, P_CMP + 1),
                wrap(rt, rp, P_CMP + 1)
            ),
            P_CMP,
        ))
    }

    fn arity(name: &str, args: &[Expr], n: usize) -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!(
                "{name}() takes {n} argument(s), not {}",
                args.len()
            ))
        }
    }

    fn call(&self, name: &str, args: &[Expr]) -> Result<(String, u8), String> {
        match name {
            "selected" => {
                Self::arity(name, args, 2)?;
                let (q, info) = self.reference(&args[0])?;
                if !matches!(
                    info.kind,
                    ValueKind::SingleChoice | ValueKind::MultipleChoice | ValueKind::Ranking
                ) {
                    return Err(format!(
                        "selected() is used on `{q}`, which is not a choice question"
                    ));
                }
                let Some(lit) = self.literal_for(&info, &args[1])? else {
                    return Err(
                        "the choice in selected() must be written as a literal, like 'ost'".into(),
                    );
                };
                Ok((format!("selected({q}, {lit})"), P_ATOM))
            }
            "count-selected" => {
                Self::arity(name, args, 1)?;
                let (q, _) = self.reference(&args[0])?;
                Ok((format!("count_selected({q})"), P_ATOM))
            }
            "string-length" => {
                Self::arity(name, args, 1)?;
                let (t, _) = self.expr(&args[0])?;
                Ok((format!("length({t})"), P_ATOM))
            }
            "if" => {
                Self::arity(name, args, 3)?;
                let parts = args
                    .iter()
                    .map(|a| self.expr(a).map(|(t, _)| t))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((format!("if({})", parts.join(", ")), P_ATOM))
            }
            "today" => {
                Self::arity(name, args, 0)?;
                Ok(("today()".into(), P_ATOM))
            }
            "date" => {
                Self::arity(name, args, 1)?;
                match &args[0] {
                    Expr::Str(s) if is_iso_date(s) => Ok((format!("date('{s}')"), P_ATOM)),
                    _ => Err("date() is translated only for a literal 'YYYY-MM-DD'".into()),
                }
            }
            "not" => {
                Self::arity(name, args, 1)?;
                let (t, _) = self.expr(&args[0])?;
                Ok((format!("not ({t})"), P_NOT))
            }
            "true" | "false" => {
                Self::arity(name, args, 0)?;
                Ok((name.to_string(), P_ATOM))
            }
            "int" => {
                Self::arity(name, args, 1)?;
                let (t, _) = self.expr(&args[0])?;
                Ok((format!("int({t})"), P_ATOM))
            }
            "number" => {
                Self::arity(name, args, 1)?;
                match self.info(&args[0])? {
                    Some(info) if info.kind == ValueKind::Number => self.expr(&args[0]),
                    _ => Err("number() is translated only around a numeric question".into()),
                }
            }
            "now" | "decimal-date-time" | "decimal-time" | "format-date-time" => Err(format!(
                "{name}() works with times of day, which Chorus does not record"
            )),
            "once" | "uuid" | "random" | "randomize" => Err(format!(
                "{name}() gives a value per respondent or per filling, which Chorus does not compute"
            )),
            "pulldata" | "instance" | "search" => Err(format!(
                "{name}() reads external data files, which Chorus does not have"
            )),
            "position" => {
                if !matches!(args, [Expr::Parent]) {
                    return Err(
                        "position() is translated only as position(..), the number of the current repeat instance"
                            .into(),
                    );
                }
                if self.scope.repeat.is_none() {
                    return Err(
                        "position(..) is the number of a repeat instance, and this question is not inside a repeat"
                            .into(),
                    );
                }
                Ok(("position()".into(), P_ATOM))
            }
            "count" => {
                Self::arity(name, args, 1)?;
                let Expr::Ref(n) = &args[0] else {
                    return Err(
                        "count() is translated only for a repeat, as count(${repeat})".into(),
                    );
                };
                let info = self.scope.names.resolve(n)?;
                // `count(${x})` of a question inside a repeat counts its
                // nodes: one in every instance.
                let repeat = match (&info.kind, &info.repeat) {
                    (ValueKind::Repeat, _) => info.id.clone(),
                    (_, Some(r)) => r.clone(),
                    _ => {
                        return Err(format!(
                            "count() is translated only for a repeat, and `${{{n}}}` is not one (for the choices ticked in a select_multiple, use count-selected())"
                        ));
                    }
                };
                if self.scope.repeat.as_deref() == Some(repeat.as_str()) {
                    return Err(format!(
                        "count() of the repeat `{repeat}` from inside it has no Chorus equivalent: Chorus counts a repeat's instances only after it (position(..) gives the current instance's number)"
                    ));
                }
                Ok((format!("count({})", id_text(&repeat)), P_ATOM))
            }
            "sum" => {
                Self::arity(name, args, 1)?;
                let Expr::Ref(n) = &args[0] else {
                    return Err(
                        "sum() is translated only for a number question inside a repeat, as sum(${x})"
                            .into(),
                    );
                };
                let info = self.scope.names.resolve(n)?;
                let Some(r) = &info.repeat else {
                    return Err(format!(
                        "sum() adds up the answers of a question inside a repeat, and `${{{n}}}` is not inside one"
                    ));
                };
                if self.scope.repeat.as_deref() == Some(r.as_str()) {
                    return Err(format!(
                        "inside the repeat `{r}`, `${{{n}}}` is the current instance's answer: sum() over every instance can be used only outside the repeat"
                    ));
                }
                if !matches!(info.kind, ValueKind::Number | ValueKind::Calculated) {
                    return Err(format!(
                        "sum() adds up numbers, and `${{{n}}}` is not a number question"
                    ));
                }
                Ok((format!("sum({})", id_text(&info.id)), P_ATOM))
            }
            "indexed-repeat" => {
                // The one form Chorus can write: this instance's answer,
                // `indexed-repeat(${x}, ${r}, position(..))` inside `r`.
                if let [Expr::Ref(_), Expr::Ref(r), Expr::Call(p, pargs)] = args
                    && p == "position"
                    && matches!(pargs.as_slice(), [Expr::Parent])
                    && let Ok(rinfo) = self.scope.names.resolve(r)
                    && rinfo.kind == ValueKind::Repeat
                    && self.scope.repeat.as_deref() == Some(rinfo.id.as_str())
                {
                    return self.expr(&args[0]);
                }
                Err("indexed-repeat() takes the answer of one chosen instance, which Chorus expressions cannot do: outside a repeat they use only count() of it and sum() of its numbers".into())
            }
            other => Err(format!("the function {other}() has no Chorus equivalent")),
        }
    }
}

fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A value of the `choice_filter` evaluator (columns and literals only).
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Text(String),
    Num(f64),
    Bool(bool),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0,
            Val::Text(s) => !s.is_empty(),
        }
    }

    fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Text(s) => s.trim().parse().ok(),
            Val::Bool(b) => Some(f64::from(u8::from(*b))),
        }
    }
}

/// The first `${name}` in `e`, if any.
fn first_ref(e: &Expr) -> Option<&str> {
    match e {
        Expr::Ref(n) => Some(n),
        Expr::Call(_, args) => args.iter().find_map(first_ref),
        Expr::Neg(x) => first_ref(x),
        Expr::Binary(_, l, r) => first_ref(l).or_else(|| first_ref(r)),
        _ => None,
    }
}

/// A parsed `choice_filter`, applied choice by choice. For each choice of
/// the list, the columns of the `choices` sheet it names (`country`, `name`)
/// stand for that choice's cells; what then depends on nothing else is
/// decided at import, and what depends on earlier answers (`${country}`)
/// is left as a [`Condition`] for the choice's `relevant`.
#[derive(Debug)]
pub struct ChoiceFilter(Expr);

/// What a `choice_filter` says about one choice.
#[derive(Clone, Debug, PartialEq)]
pub enum ForChoice {
    /// Always offered.
    Keep,
    /// Never offered.
    Drop,
    /// Offered while the condition on earlier answers holds.
    When(Condition),
}

/// The part of a `choice_filter` that depends on earlier answers, with the
/// choice's cells written in as texts: `${country} = 'ua'`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition(Expr);

impl Condition {
    /// The condition in the Chorus expression language, or why it cannot be
    /// written there.
    pub fn translate(&self, scope: &Scope<'_>) -> Result<String, String> {
        let (text, _) = Translator { scope }.expr(&self.0)?;
        Ok(text)
    }
}

impl ChoiceFilter {
    /// Parses a filter, or says why it cannot be parsed.
    pub fn new(src: &str) -> Result<ChoiceFilter, String> {
        parse(src).map(ChoiceFilter)
    }

    /// The first earlier answer the filter depends on (`country` for
    /// `country = ${country}`), if any.
    pub fn depends_on(&self) -> Option<&str> {
        first_ref(&self.0)
    }

    /// The filter for the choice whose cells `column` looks up. Sides of
    /// `and`, `or` and `not()` that use no earlier answer are decided here:
    /// `country = ${country} and active = 'yes'` drops an inactive choice,
    /// and leaves `${country} = 'ua'` for an active one.
    pub fn for_choice(&self, column: &dyn Fn(&str) -> Option<String>) -> Result<ForChoice, String> {
        Ok(match fold(&self.0, column)? {
            Folded::Known(v) if v.truthy() => ForChoice::Keep,
            Folded::Known(_) => ForChoice::Drop,
            Folded::Open(e) => ForChoice::When(Condition(e)),
        })
    }
}

/// A filter for one choice, as far as the import can decide it.
enum Folded {
    Known(Val),
    Open(Expr),
}

fn fold(e: &Expr, column: &dyn Fn(&str) -> Option<String>) -> Result<Folded, String> {
    if first_ref(e).is_none() {
        return eval(e, column).map(Folded::Known);
    }
    let both = |op: BinOp, l: &Expr, r: &Expr| -> Result<Folded, String> {
        // `and` is decided by a false side, `or` by a true one; a side that
        // cannot decide it drops out.
        let decides = op == BinOp::Or;
        let (l, r) = (fold(l, column)?, fold(r, column)?);
        Ok(match (l, r) {
            (Folded::Known(v), _) | (_, Folded::Known(v)) if v.truthy() == decides => {
                Folded::Known(Val::Bool(decides))
            }
            (Folded::Known(_), other) | (other, Folded::Known(_)) => other,
            (Folded::Open(l), Folded::Open(r)) => {
                Folded::Open(Expr::Binary(op, Box::new(l), Box::new(r)))
            }
        })
    };
    match e {
        Expr::Binary(op @ (BinOp::And | BinOp::Or), l, r) => both(*op, l, r),
        Expr::Call(f, args) if f == "not" && args.len() == 1 => Ok(match fold(&args[0], column)? {
            Folded::Known(v) => Folded::Known(Val::Bool(!v.truthy())),
            Folded::Open(x) => Folded::Open(Expr::Call(f.clone(), vec![x])),
        }),
        _ => fill(e, column).map(Folded::Open),
    }
}

/// `e` with every choices-sheet column it names replaced by the choice's
/// cell, as a text: XLSForm compares a column with an answer as texts, and
/// Chorus choice ids are texts.
fn fill(e: &Expr, column: &dyn Fn(&str) -> Option<String>) -> Result<Expr, String> {
    Ok(match e {
        Expr::Name(n) => {
            Expr::Str(column(n).ok_or_else(|| format!("the choices sheet has no column `{n}`"))?)
        }
        Expr::Call(f, args) => Expr::Call(
            f.clone(),
            args.iter()
                .map(|a| fill(a, column))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Neg(x) => Expr::Neg(Box::new(fill(x, column)?)),
        // `country = ${country}` reads as `${country} = 'ua'`: the answer first.
        Expr::Binary(op, l, r)
            if op.is_comparison()
                && matches!(**l, Expr::Name(_))
                && matches!(**r, Expr::Ref(_)) =>
        {
            Expr::Binary(op.mirrored(), r.clone(), Box::new(fill(l, column)?))
        }
        Expr::Binary(op, l, r) => {
            Expr::Binary(*op, Box::new(fill(l, column)?), Box::new(fill(r, column)?))
        }
        Expr::Ref(_) | Expr::Dot | Expr::Parent | Expr::Num(_) | Expr::Str(_) => e.clone(),
    })
}

fn eval(e: &Expr, column: &dyn Fn(&str) -> Option<String>) -> Result<Val, String> {
    match e {
        Expr::Str(s) => Ok(Val::Text(s.clone())),
        Expr::Num(n) => number(n)
            .parse()
            .map(Val::Num)
            .map_err(|_| format!("`{n}` is not a number")),
        Expr::Name(n) => column(n)
            .map(Val::Text)
            .ok_or_else(|| format!("the choices sheet has no column `{n}`")),
        Expr::Call(f, args) if (f == "true" || f == "false") && args.is_empty() => {
            Ok(Val::Bool(f == "true"))
        }
        Expr::Call(f, args) if f == "not" && args.len() == 1 => {
            Ok(Val::Bool(!eval(&args[0], column)?.truthy()))
        }
        Expr::Binary(BinOp::And, l, r) => Ok(Val::Bool(
            eval(l, column)?.truthy() && eval(r, column)?.truthy(),
        )),
        Expr::Binary(BinOp::Or, l, r) => Ok(Val::Bool(
            eval(l, column)?.truthy() || eval(r, column)?.truthy(),
        )),
        Expr::Binary(op, l, r) if op.is_comparison() => {
            let (a, b) = (eval(l, column)?, eval(r, column)?);
            let ord = match (a.as_num(), b.as_num()) {
                (Some(x), Some(y)) if !matches!((&a, &b), (Val::Text(_), Val::Text(_))) => {
                    x.partial_cmp(&y)
                }
                _ => {
                    let text = |v: &Val| match v {
                        Val::Text(s) => s.clone(),
                        Val::Num(n) => n.to_string(),
                        Val::Bool(b) => b.to_string(),
                    };
                    Some(text(&a).cmp(&text(&b)))
                }
            };
            let Some(ord) = ord else {
                return Ok(Val::Bool(false));
            };
            use std::cmp::Ordering::*;
            Ok(Val::Bool(match op {
                BinOp::Eq => ord == Equal,
                BinOp::Ne => ord != Equal,
                BinOp::Lt => ord == Less,
                BinOp::Le => ord != Greater,
                BinOp::Gt => ord == Greater,
                _ => ord != Less,
            }))
        }
        _ => Err("it uses more than comparisons of choices-sheet columns with literals".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Form;

    fn info(id: &str, kind: ValueKind, choices: &[(&str, &str)]) -> RefInfo {
        RefInfo {
            id: id.into(),
            kind,
            choices: choices
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            repeat: None,
        }
    }

    /// A question inside the repeat `incidents`.
    fn inner(id: &str, kind: ValueKind, choices: &[(&str, &str)]) -> RefInfo {
        RefInfo {
            repeat: Some("incidents".into()),
            ..info(id, kind, choices)
        }
    }

    impl Names for Form {
        fn resolve(&self, name: &str) -> Result<RefInfo, String> {
            let yes_no = [("yes", "yes"), ("no", "no")];
            match name {
                "age" | "Age" => Ok(info("age", ValueKind::Number, &[])),
                "months" => Ok(info("months", ValueKind::Number, &[])),
                "consent" => Ok(info("consent", ValueKind::Consent, &[])),
                "ost" => Ok(info("ost", ValueKind::SingleChoice, &yes_no)),
                "band" => Ok(info(
                    "band",
                    ValueKind::SingleChoice,
                    &[("1", "1"), ("2", "2")],
                )),
                "Sex" => Ok(info(
                    "sex",
                    ValueKind::SingleChoice,
                    &[("F", "f"), ("M", "m")],
                )),
                "services" => Ok(info(
                    "services",
                    ValueKind::MultipleChoice,
                    &[
                        ("ost", "ost"),
                        ("Needle Exchange", "needle_exchange"),
                        ("none", "none"),
                    ],
                )),
                "country" => Ok(info(
                    "country",
                    ValueKind::SingleChoice,
                    &[("ua", "ua"), ("ge", "ge")],
                )),
                "comment" => Ok(info("comment", ValueKind::Text, &[])),
                "visit" => Ok(info("visit", ValueKind::Date, &[])),
                "intro" => Ok(info("intro", ValueKind::Note, &[])),
                "Age-Band" => Ok(info("age-band", ValueKind::SingleChoice, &[("a", "a")])),
                "not" => Ok(info("not", ValueKind::Number, &[])),
                // The repeat `incidents` (XLSForm name `Incidents`) and its questions.
                "Incidents" => Ok(info("incidents", ValueKind::Repeat, &[])),
                "visits" => Ok(info("visits", ValueKind::Repeat, &[])),
                "injured" => Ok(inner("injured", ValueKind::Number, &[])),
                "hurt" => Ok(inner("hurt", ValueKind::Calculated, &[])),
                "when" => Ok(inner("when", ValueKind::Date, &[])),
                "by" => Ok(inner(
                    "by",
                    ValueKind::MultipleChoice,
                    &[("police", "police"), ("medics", "medics")],
                )),
                "start" => Err("`start` is a metadata field that Chorus does not record".into()),
                other => Err(format!("no question is named `{other}`")),
            }
        }
    }

    fn run(src: &str, dot: Option<&str>) -> Result<String, String> {
        let dot = dot.map(|n| Form.resolve(n).expect("known dot question"));
        translate(
            src,
            &Scope {
                names: &Form,
                dot,
                repeat: None,
            },
        )
    }

    /// Translates `src` as it stands in a question of the repeat `incidents`.
    fn run_in_repeat(src: &str, dot: Option<&str>) -> Result<String, String> {
        let dot = dot.map(|n| Form.resolve(n).expect("known dot question"));
        translate(
            src,
            &Scope {
                names: &Form,
                dot,
                repeat: Some("incidents".into()),
            },
        )
    }

    /// Input → translated text.
    const TRANSLATED: &[(&str, Option<&str>, &str)] = &[
        ("${age} >= 18", None, "age >= 18"),
        ("${Age}>=18 and ${age}<=65", None, "age >= 18 and age <= 65"),
        (
            "selected(${services}, 'ost')",
            None,
            "selected(services, 'ost')",
        ),
        (
            "selected(${services},'Needle Exchange')",
            None,
            "selected(services, 'needle_exchange')",
        ),
        (
            "count-selected(${services}) > 1",
            None,
            "count_selected(services) > 1",
        ),
        (
            "string-length(${comment}) <= 200",
            None,
            "length(comment) <= 200",
        ),
        ("if(${age} > 50, 1, 0)", None, "if(age > 50, 1, 0)"),
        ("${visit} <= today()", None, "visit <= today()"),
        (
            "${visit} >= date('2020-01-01')",
            None,
            "visit >= date('2020-01-01')",
        ),
        (
            "not(selected(${services}, 'none'))",
            None,
            "not (selected(services, 'none'))",
        ),
        (
            "not(selected(., 'none') and count-selected(.) > 1)",
            Some("services"),
            "not (selected(., 'none') and count_selected(.) > 1)",
        ),
        (
            "${ost} = 'yes' or ${ost} = 'no'",
            None,
            "ost = 'yes' or ost = 'no'",
        ),
        ("${Sex} = 'F'", None, "sex = 'f'"),
        ("${band} = 2", None, "band = '2'"),
        ("'1' = ${band}", None, "'1' = band"),
        ("${age} > '17'", None, "age > 17"),
        ("${consent} = 'OK'", None, "consent = true"),
        ("${months} div 12 >= 1", None, "months / 12 >= 1"),
        ("(${age} + 1) * 2", None, "(age + 1) * 2"),
        ("${age} - (${months} - 1)", None, "age - (months - 1)"),
        ("-${age} < -.5", None, "-age < -0.5"),
        ("int(${months} div 12)", None, "int(months / 12)"),
        ("${comment} != ''", None, "answered(comment)"),
        ("${comment} = ''", None, "not answered(comment)"),
        (
            "${ost} = 'yes' and ${comment} = ''",
            None,
            "ost = 'yes' and not answered(comment)",
        ),
        ("not(${age} > 1) = true()", None, "(not (age > 1)) = true"),
        (". >= 0 and . <= 120", Some("age"), ". >= 0 and . <= 120"),
        ("number(${age}) > 10", None, "age > 10"),
        (
            "(${age} > 1 or ${age} < 0) and true()",
            None,
            "(age > 1 or age < 0) and true",
        ),
        ("${comment} = \"it's\"", None, "comment = \"it's\""),
    ];

    /// Input → a fragment of the reason it is refused.
    const REFUSED: &[(&str, &str)] = &[
        ("${age} mod 2 = 0", "remainder"),
        ("${start} != ''", "metadata"),
        ("${nobody} > 1", "no question is named"),
        ("/data/age > 1", "XPath paths"),
        ("../age > 1", "XPath paths"),
        ("age > 1", "XPath path"),
        ("${services} = 'ost'", "selected("),
        ("selected(${age}, 'x')", "not a choice question"),
        (
            "selected(${services}, 'heroin')",
            "no choice named `heroin`",
        ),
        (
            "concat(${comment}, 'x')",
            "concat() has no Chorus equivalent",
        ),
        ("now() > 1", "times of day"),
        ("pulldata('f', 'a', 'b', ${age})", "external data"),
        ("position(..) = 1", "not inside a repeat"),
        ("${age} >", "ends where a value is expected"),
        ("(${age} > 1", "expected `)`"),
        ("${age > 1", "never closed"),
        ("'abc", "never closed"),
        ("${age} # 1", "unexpected character"),
        (". > 1", "only in a constraint"),
        ("${intro} = 'x'", "is a note"),
        ("date(${visit})", "literal 'YYYY-MM-DD'"),
        ("${consent} = 'maybe'", "only 'OK'"),
        ("${age} | ${months}", "union"),
        ("", "empty"),
    ];

    /// Repeats: input, translated outside any repeat (`None`) or inside
    /// `incidents`, → translated text.
    const REPEAT_TRANSLATED: &[(&str, bool, &str)] = &[
        ("count(${Incidents}) > 0", false, "count(incidents) > 0"),
        // A question's nodes are one per instance.
        ("count(${when}) >= 2", false, "count(incidents) >= 2"),
        ("sum(${injured}) > 10", false, "sum(injured) > 10"),
        ("sum(${hurt})", false, "sum(hurt)"),
        // From inside another repeat, a repeat is seen as from outside.
        ("position(..) > 1", true, "position() > 1"),
        (
            "position(..) = 1 or ${age} > 18",
            true,
            "position() = 1 or age > 18",
        ),
        (
            "selected(${by}, 'police') and ${injured} > 0",
            true,
            "selected(by, 'police') and injured > 0",
        ),
        ("${when} <= today()", true, "when <= today()"),
        (
            "indexed-repeat(${injured}, ${Incidents}, position(..)) > 0",
            true,
            "injured > 0",
        ),
        // Keyword ids and ids with `-` are written braced.
        ("${Age-Band} = 'a'", false, "${age-band} = 'a'"),
        ("${not} > 1", false, "${not} > 1"),
    ];

    /// Repeats: input, inside `incidents` or not, → a fragment of the reason.
    const REPEAT_REFUSED: &[(&str, bool, &str)] = &[
        ("${injured} > 0", false, "inside the repeat `incidents`"),
        (
            "selected(${by}, 'police')",
            false,
            "inside the repeat `incidents`",
        ),
        ("${by} = 'police'", false, "inside the repeat `incidents`"),
        ("${Incidents} > 0", false, "count(${Incidents}) gives"),
        ("${Incidents} > 0", true, "the repeat this question is in"),
        ("count(${Incidents}) > 1", true, "from inside it"),
        ("sum(${injured})", true, "current instance's answer"),
        ("sum(${age})", false, "not inside one"),
        ("sum(${when})", false, "not a number question"),
        ("sum(2)", false, "as sum(${x})"),
        ("count(${age})", false, "count-selected()"),
        ("count(2)", false, "count(${repeat})"),
        ("position(..)", false, "not inside a repeat"),
        ("position()", true, "only as position(..)"),
        ("position(../..)", true, "XPath paths"),
        ("../injured > 1", true, "XPath paths"),
        (
            "indexed-repeat(${injured}, ${Incidents}, 1)",
            false,
            "one chosen instance",
        ),
        (
            "indexed-repeat(${injured}, ${Incidents}, position(..))",
            false,
            "one chosen instance",
        ),
        (
            "indexed-repeat(${injured}, ${visits}, position(..))",
            true,
            "one chosen instance",
        ),
    ];

    #[test]
    fn translates_repeat_functions() {
        for (src, inside, want) in REPEAT_TRANSLATED {
            let got = if *inside {
                run_in_repeat(src, None)
            } else {
                run(src, None)
            };
            assert_eq!(got.as_deref(), Ok(*want), "input {src:?}");
        }
        // In a constraint of a question inside the repeat, `.` is its answer.
        assert_eq!(
            run_in_repeat(". <= today()", Some("when")).as_deref(),
            Ok(". <= today()")
        );
        for (src, inside, fragment) in REPEAT_REFUSED {
            let got = if *inside {
                run_in_repeat(src, None)
            } else {
                run(src, None)
            };
            match got {
                Ok(t) => panic!("{src:?} should be refused, got {t:?}"),
                Err(reason) => assert!(
                    reason.contains(fragment),
                    "{src:?}: reason {reason:?} should mention {fragment:?}"
                ),
            }
        }
    }

    #[test]
    fn translates() {
        for (src, dot, want) in TRANSLATED {
            assert_eq!(run(src, *dot).as_deref(), Ok(*want), "input {src:?}");
        }
    }

    #[test]
    fn refuses_with_reason() {
        for (src, fragment) in REFUSED {
            match run(src, None) {
                Ok(t) => panic!("{src:?} should be refused, got {t:?}"),
                Err(reason) => assert!(
                    reason.contains(fragment),
                    "{src:?}: reason {reason:?} should mention {fragment:?}"
                ),
            }
        }
    }

    /// Applies `filter` to a choice with these cells: `keep`, `drop`, or
    /// the translated condition.
    fn apply(filter: &str, cells: &[(&str, &str)]) -> Result<String, String> {
        let f = ChoiceFilter::new(filter)?;
        let column = |c: &str| {
            cells
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, v)| v.to_string())
        };
        match f.for_choice(&column)? {
            ForChoice::Keep => Ok("keep".into()),
            ForChoice::Drop => Ok("drop".into()),
            ForChoice::When(c) => c.translate(&Scope::new(&Form)),
        }
    }

    type Cells = &'static [(&'static str, &'static str)];

    /// Filter, the choice's cells → `keep`, `drop` or the choice's relevant.
    const FILTERED: &[(&str, Cells, &str)] = &[
        ("country = 'ge'", &[("country", "ge")], "keep"),
        ("country = 'ge'", &[("country", "md")], "drop"),
        (
            "n >= 2 and not(country = 'md')",
            &[("n", "3"), ("country", "ge")],
            "keep",
        ),
        (
            "n >= 2 and not(country = 'md')",
            &[("n", "3"), ("country", "md")],
            "drop",
        ),
        ("n >= 10", &[("n", "9")], "drop"),
        // Cascading selects: the cell is written in, mapped to the choice id.
        (
            "country = ${country}",
            &[("country", "ua")],
            "country = 'ua'",
        ),
        (
            "${country} = country",
            &[("country", "ge")],
            "country = 'ge'",
        ),
        ("${Sex} = sex", &[("sex", "F")], "sex = 'f'"),
        // A number-like cell compared with a select answer is a choice id.
        ("band = ${band}", &[("band", "2")], "band = '2'"),
        ("band < ${band}", &[("band", "1")], "band > '1'"),
        // …and compared with a number question, a number.
        ("${age} >= min_age", &[("min_age", "18")], "age >= 18"),
        // An empty cell asks, as in XLSForm, for an unanswered question.
        (
            "country = ${country}",
            &[("country", "")],
            "not answered(country)",
        ),
        // Static sides of `and`, `or` and `not()` are decided at import.
        (
            "country = ${country} and active = 'yes'",
            &[("country", "ua"), ("active", "yes")],
            "country = 'ua'",
        ),
        (
            "country = ${country} and active = 'yes'",
            &[("country", "ua"), ("active", "no")],
            "drop",
        ),
        (
            "active = 'yes' or country = ${country}",
            &[("country", "ua"), ("active", "yes")],
            "keep",
        ),
        (
            "active = 'yes' or country = ${country}",
            &[("country", "ua"), ("active", "no")],
            "country = 'ua'",
        ),
        (
            "not(active = 'no' or ${age} < min_age)",
            &[("active", "yes"), ("min_age", "18")],
            "not (age < 18)",
        ),
        (
            "(country = ${country} or country = 'all') and ${age} >= 18",
            &[("country", "ge")],
            "country = 'ge' and age >= 18",
        ),
        (
            "(country = ${country} or country = 'all') and ${age} >= 18",
            &[("country", "all")],
            "age >= 18",
        ),
        // ODK's filters on the choice's own name.
        (
            "selected(${services}, name)",
            &[("name", "ost")],
            "selected(services, 'ost')",
        ),
        (
            "selected(${services}, name)",
            &[("name", "Needle Exchange")],
            "selected(services, 'needle_exchange')",
        ),
        (
            "not(selected(${services}, name))",
            &[("name", "none")],
            "not (selected(services, 'none'))",
        ),
        ("name != ${Sex}", &[("name", "M")], "sex != 'm'"),
        (
            "'F' != name and name != ${Sex}",
            &[("name", "M")],
            "sex != 'm'",
        ),
    ];

    /// Filter, the choice's cells → a fragment of the reason it is refused.
    const FILTER_REFUSED: &[(&str, Cells, &str)] = &[
        ("region = 'x'", &[("country", "ge")], "no column `region`"),
        (
            "zone = ${country}",
            &[("country", "ge")],
            "no column `zone`",
        ),
        (
            "country = ${country} and zone = 'x'",
            &[("country", "ge")],
            "no column `zone`",
        ),
        (
            "country = ${country}",
            &[("country", "md")],
            "has no choice named `md`",
        ),
        ("${services} = name", &[("name", "ost")], "selected("),
        (
            "country = ${nobody}",
            &[("country", "ge")],
            "no question is named",
        ),
        ("country = ${country", &[("country", "ge")], "never closed"),
    ];

    #[test]
    fn choice_filters() {
        for (filter, cells, want) in FILTERED {
            assert_eq!(
                apply(filter, cells).as_deref(),
                Ok(*want),
                "{filter:?} on {cells:?}"
            );
        }
        for (filter, cells, fragment) in FILTER_REFUSED {
            match apply(filter, cells) {
                Ok(t) => panic!("{filter:?} on {cells:?} should be refused, got {t:?}"),
                Err(reason) => assert!(
                    reason.contains(fragment),
                    "{filter:?}: reason {reason:?} should mention {fragment:?}"
                ),
            }
        }
        let f = ChoiceFilter::new("active = 'yes' and country = ${country}").expect("parses");
        assert_eq!(f.depends_on(), Some("country"));
        let f = ChoiceFilter::new("active = 'yes'").expect("parses");
        assert_eq!(f.depends_on(), None);
    }
}
