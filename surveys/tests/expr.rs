//! Data-driven tests of the expression language: source → value, or source
//! → the first error with its column. One `check` helper, one line a case.

use std::collections::BTreeMap;

use surveys::Date;
use surveys::expr::{Scope, Ty, Value, eval, parse, type_of};

fn today() -> Date {
    "2026-11-29".parse().expect("date")
}

fn ty(id: &str) -> Option<Ty> {
    let opts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    Some(match id {
        "age" | "score" | "missing_n" => Ty::Number,
        "name" => Ty::Text,
        "when" => Ty::Date,
        "ok" => Ty::Bool,
        "country" => Ty::Choice {
            question: id.into(),
            options: opts(&["ge", "md", "kz", "1"]),
        },
        "services" => Ty::Choices {
            question: id.into(),
            options: opts(&["ost", "art", "nsp"]),
        },
        "views" => Ty::Grid {
            question: id.into(),
        },
        _ => return None,
    })
}

fn values() -> BTreeMap<String, Value> {
    let mut v = BTreeMap::new();
    v.insert("age".into(), Value::Number(30.0));
    v.insert("score".into(), Value::Number(2.5));
    v.insert("name".into(), Value::Text("Анна".into()));
    v.insert(
        "when".into(),
        Value::Date("2026-01-10".parse().expect("date")),
    );
    v.insert("ok".into(), Value::Bool(true));
    v.insert("country".into(), Value::Text("ge".into()));
    v.insert(
        "services".into(),
        Value::Choices(vec!["ost".into(), "nsp".into()]),
    );
    v.insert("views".into(), Value::Choices(vec!["s1".into()]));
    v
}

fn show(v: &Value) -> String {
    match v {
        Value::Empty => "empty".into(),
        Value::Number(n) => n.to_string(),
        Value::Text(t) => format!("'{t}'"),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => format!("date {d}"),
        Value::Choices(c) => format!("[{}]", c.join(", ")),
        Value::List(items) => format!(
            "list {}",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// `expected` is the value shown by [`show`], or `error N: message` for the
/// first problem at column N. `.` is the number 7.
fn check(src: &str, expected: &str) {
    let got = match parse(src) {
        Err(e) => format!("error {}: {}", e.column, e.message),
        Ok(e) => {
            let (_, errors) = type_of(&e, &ty, Some(Ty::Number));
            match errors.first() {
                Some(err) => format!("error {}: {}", err.column, err.message),
                None => {
                    let vals = values();
                    let dot = Value::Number(7.0);
                    let scope = Scope::new(today()).with_values(&vals).with_dot(&dot);
                    show(&eval(&e, &scope))
                }
            }
        }
    };
    assert_eq!(got, expected, "for `{src}`");
}

#[test]
fn literals_and_arithmetic() {
    check("3", "3");
    check("2.5", "2.5");
    check(".5 + 1", "1.5");
    check("-1", "-1");
    check("1 + 2 * 3", "7");
    check("(1 + 2) * 3", "9");
    check("10 - 4 - 3", "3");
    check("12 / 4 / 3", "1");
    check("--2", "2");
    check("1 / 0", "empty");
    check("int(7 / 2)", "3");
    check("int(-7 / 2)", "-3");
    check("'ost'", "'ost'");
    check("\"двойные\"", "'двойные'");
    check("true", "true");
    check("age * 2", "60");
    check("age + missing_n", "empty");
}

#[test]
fn logic_and_comparisons() {
    check("1 < 2 and 2 < 3", "true");
    check("1 > 2 or not (2 > 3)", "true");
    check("not 1 = 2", "true");
    check("true and false or true", "true");
    check("true or false and false", "true");
    check("age >= 18", "true");
    check("age != 30", "false");
    check("name = 'Анна'", "true");
    check("'a' < 'b'", "true");
    check("ok = true", "true");
    check(". <= 10", "true");
    check(". > 7", "false");
}

#[test]
fn empty_is_false_in_comparisons_and_true_under_not() {
    check("missing_n >= 18", "false");
    check("missing_n < 18", "false");
    check("missing_n = missing_n", "false");
    check("missing_n != 1", "false");
    check("not (missing_n >= 18)", "true");
    check("missing_n > 0 or true", "true");
    check("answered(missing_n)", "false");
    check("answered(age)", "true");
}

#[test]
fn functions() {
    check("selected(country, 'ge')", "true");
    check("selected(country, 'md')", "false");
    check("selected(services, 'nsp')", "true");
    check("selected(services, 'art')", "false");
    check("count_selected(services)", "2");
    check("count_selected(country)", "1");
    check("if(age > 18, 'adult', 'minor')", "'adult'");
    check("if(missing_n > 18, 1, 2)", "2");
    check("length(name)", "4");
    check("today()", "date 2026-11-29");
    check("date('2026-01-31') + 1", "date 2026-02-01");
    check("today() - when", "323");
    check("when - 10", "date 2025-12-31");
    check("when < today()", "true");
    check("country = 'ge' and ${age} > 20", "true");
    check("answered(views)", "true");
}

#[test]
fn syntax_errors_carry_their_column() {
    check("", "error 1: the expression is empty");
    check("age >= 18 and", "error 14: expected a value after `and`");
    check("age >=", "error 7: expected a value after `>=`");
    check(
        "(age > 1",
        "error 9: expected `)` to close the `(` at column 1",
    );
    check("age > 1)", "error 8: this `)` closes nothing");
    check(
        "age age",
        "error 5: unexpected `age`: expected an operator or the end of the expression",
    );
    check(
        "1 < age < 3",
        "error 9: comparisons cannot be chained: join them with `and`",
    );
    check("age == 1", "error 5: use a single `=` to compare");
    check("age > 1 && ok", "error 9: use `and` instead of `&`");
    check("!ok", "error 1: use `not` instead of `!`");
    check("name = 'Анна", "error 8: this text is not closed: add `'`");
    check("age # 2", "error 5: unexpected character `#`");
    check(
        "foo(age)",
        "error 1: unknown function `foo` (functions: selected, count_selected, answered, if, length, today, date, int, position, count, sum)",
    );
    check(
        "selected(country)",
        "error 1: selected() takes 2 arguments, not 1",
    );
    check("today(1)", "error 1: today() takes 0 arguments, not 1");
    check(
        "if(ok, 1 2)",
        "error 10: expected `,` or `)` in the arguments of if(), found `2`",
    );
    check("and", "error 1: expected a value, found `and`");
    check("${}", "error 1: `${}` names no question");
    check("Анна", "error 1: unexpected character `А`");
}

#[test]
fn type_errors_carry_their_column() {
    check(
        "country = 1",
        "error 9: cannot compare a choice (`country`) with a number: write the choice id in quotes, '1'",
    );
    check(
        "country = 'xx'",
        "error 11: `country` has no option `xx` (options: ge, md, kz, 1)",
    );
    check(
        "selected(country, 'xx')",
        "error 19: `country` has no option `xx` (options: ge, md, kz, 1)",
    );
    check(
        "selected(age, '1')",
        "error 10: selected() needs a single- or multiple-choice question, not a number",
    );
    check(
        "services = 'ost'",
        "error 1: `services` holds several choices: test it with selected(services, 'id') or count_selected(services)",
    );
    check(
        "views = 'a'",
        "error 1: `views` is a grid: only answered(views) can test it",
    );
    check(
        "age = 'thirty'",
        "error 5: cannot compare a number with a text",
    );
    check(
        "when > '2026-01-01'",
        "error 6: cannot compare a date with a text: write a date as date('2026-01-31')",
    );
    check(
        "age + name",
        "error 5: `+` needs two numbers, or a date and a number of days, not a number and a text",
    );
    check(
        "age and ok",
        "error 1: `and` joins true/false values, not a number",
    );
    check("not age", "error 5: `not` needs true/false, not a number");
    check("ok < true", "error 4: `<` cannot order true/false values");
    check("nobody > 1", "error 1: unknown question `nobody`");
    check(
        "date('2026-02-30')",
        "error 6: `2026-02-30` is not a date in the form YYYY-MM-DD",
    );
    check(
        "if(age, 1, 2)",
        "error 4: the condition of if() must be true/false, not a number",
    );
    check(
        "if(ok, 1, 'a')",
        "error 1: the two results of if() must be of one kind, not a number and a text",
    );
    check(
        "answered(1 + 2)",
        "error 12: answered() takes a question id, such as answered(q)",
    );
    check(
        "length(age)",
        "error 8: length() needs a text, not a number",
    );
    check("int(name)", "error 5: int() needs a number, not a text");
    check(
        "selected(services, 1)",
        "error 20: write the choice id in quotes: '1'",
    );
    check("country = '1'", "false");
}

#[test]
fn precedence_is_as_documented() {
    for (src, tree) in [
        ("a or b and c", "(a or (b and c))"),
        ("not a = b", "(not (a = b))"),
        ("a + b * c = d", "((a + (b * c)) = d)"),
        ("-a * b", "((-a) * b)"),
        ("a - b - c", "((a - b) - c)"),
        ("not not a", "(not (not a))"),
        ("a and not b or c", "((a and (not b)) or c)"),
    ] {
        assert_eq!(parse(src).expect("parses").to_string(), tree, "{src}");
    }
}
