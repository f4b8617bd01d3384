//! `chorus check` on the full format: survey text → the exact list of
//! problems, one `place: message` a line.

use surveys::parse_survey;

const HEAD: &str = r#"
id = "s"
version = 1
languages = ["ru", "en"]
privacy_budget = 1
title = { ru = "Опрос", en = "Survey" }
"#;

fn check(body: &str, expected: &[&str]) {
    let text = format!("{HEAD}{body}");
    let got: Vec<String> = match parse_survey(&text) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    };
    assert_eq!(got, expected, "\n{text}");
}

const L: &str = r#"label = { ru = "В", en = "Q" }"#;

#[test]
fn every_type_loads_clean() {
    check(
        &format!(
            r#"
closes = "2027-01-31"

[choice_lists]
agree = [
  {{ id = "1", label = {{ ru = "Нет", en = "No" }} }},
  {{ id = "2", label = {{ ru = "Да", en = "Yes" }} }},
]

[[sections]]
id = "a"
title = {{ ru = "А", en = "A" }}

[[sections]]
id = "b"
title = {{ ru = "Б", en = "B" }}
relevant = "consent = true"

[[questions]]
id = "consent"
type = "consent"
section = "a"
required = true
{L}

[[questions]]
id = "intro"
type = "note"
section = "a"
{L}

[[questions]]
id = "country"
type = "single_choice"
section = "b"
other = true
randomize = true
choice_list = "agree"
{L}

[[questions]]
id = "what"
type = "multiple_choice"
section = "b"
min_selected = 1
max_selected = 2
{L}
choices = [
  {{ id = "x", label = {{ ru = "Икс", en = "X" }} }},
  {{ id = "none", label = {{ ru = "Ничего", en = "None" }}, exclusive = true, fixed = true }},
]

[[questions]]
id = "long"
type = "long_text"
section = "b"
max_length = 10000
relevant = "selected(what, 'x')"
{L}

[[questions]]
id = "n"
type = "integer"
section = "b"
required = "country = '2'"
required_message = {{ ru = "Нужно", en = "Needed" }}
constraint = ". != 13"
constraint_message = {{ ru = "Не 13", en = "Not 13" }}
{L}

[[questions]]
id = "d"
type = "decimal"
section = "b"
min = 0
max = 2.5
{L}

[[questions]]
id = "when"
type = "date"
section = "b"
min = "2020-01-01"
max = "today"
constraint = ". > date('2020-06-01')"
{L}

[[questions]]
id = "r"
type = "rating"
section = "b"
scale = 5
low_label = {{ ru = "Плохо", en = "Bad" }}
high_label = {{ ru = "Хорошо", en = "Good" }}
{L}

[[questions]]
id = "g"
type = "grid"
section = "b"
scale = "agree"
statements = [{{ id = "s1", label = {{ ru = "У1", en = "S1" }} }}]
{L}

[[questions]]
id = "rank"
type = "ranking"
section = "b"
rank = 1
{L}
choices = [
  {{ id = "p", label = {{ ru = "П", en = "P" }} }},
  {{ id = "q", label = {{ ru = "К", en = "Q" }} }},
]

[[questions]]
id = "total"
type = "calculate"
section = "b"
expression = "if(answered(n), n * 2, 0) + count_selected(what)"

[publication]
small_cell_threshold = 5

[[publication.tables]]
id = "all"
statistic = "total"
by = ["country"]
epsilon = 0.1

[[publication.tables]]
id = "what"
question = "what"
statistic = "counts"
epsilon = "1/10"

[[publication.tables]]
id = "n_mean"
question = "n"
statistic = "mean"
lower = 0
upper = 100
epsilon = 0.2
mechanism = "gaussian"

[[publication.tables]]
id = "r_hist"
question = "r"
statistic = "quantiles"
edges = [1, 2, 3, 4, 5]
epsilon = 0.2

[[publication.tables]]
id = "rank_first"
question = "rank"
statistic = "first_choice"
epsilon = 0.2

[[publication.tables]]
id = "grid"
question = "g"
statistic = "counts"
epsilon = 0.2
"#
        ),
        &[],
    );
}

#[test]
fn type_keys_and_choice_lists() {
    check(
        &format!(
            r#"
[choice_lists]
yn = [{{ id = "y", label = {{ ru = "Да" }} }}]

[[questions]]
id = "a"
type = "single_choice"
choice_list = "nope"
min_selected = 1
{L}

[[questions]]
id = "b"
type = "multiple_choice"
choice_list = "yn"
min_selected = 3
max_selected = 2
{L}

[[questions]]
id = "c"
type = "rating"
scale = 11
{L}

[[questions]]
id = "d"
type = "ranking"
rank = 3
{L}
choices = [{{ id = "p", label = {{ ru = "П", en = "P" }} }}]

[[questions]]
id = "e"
type = "single_choice"
other = true
{L}
choices = [{{ id = "other", label = {{ ru = "Другое", en = "Other" }} }}]

[[questions]]
id = "f"
type = "date"
min = "yesterday"
{L}

[[questions]]
id = "g"
type = "grid"
{L}

[[questions]]
id = "h"
type = "calculate"

[[questions]]
id = "i"
type = "note"
required = true
label = {{ ru = "Заметка" }}
"#
        ),
        &[
            "choice list `yn`, choice `y`: `label` is missing its `en` text",
            "question `a`: a `single_choice` question takes no `min_selected`",
            "question `a`: unknown choice list `nope` (lists: yn)",
            "question `b`: `min_selected` (3) is greater than `max_selected` (2)",
            "question `c`: `scale` must be a whole number from 2 to 10",
            "question `d`: `rank` (3) is more than the 1 options",
            "question `e`: with `other = true` the choice id `other` is reserved: rename that choice or drop `other`",
            "question `f`: `min` must be a date in quotes, \"YYYY-MM-DD\", or \"today\"",
            "question `g`: a grid needs `statements`: a list of { id, label } tables",
            "question `g`: a grid needs a `scale`: a list of choices or the name of a choice list",
            "question `h`: missing `expression`: what to calculate",
            "question `i`: a `note` question takes no `required`",
            "question `i`: `label` is missing its `en` text",
        ],
    );
}

#[test]
fn sections_must_be_declared_complete_and_contiguous() {
    check(
        &format!(
            r#"
[[sections]]
id = "one"
title = {{ ru = "1", en = "1" }}

[[sections]]
id = "two"
title = {{ ru = "2", en = "2" }}

[[sections]]
id = "three"
title = {{ ru = "3" }}

[[questions]]
id = "a"
type = "short_text"
section = "two"
{L}

[[questions]]
id = "b"
type = "short_text"
section = "one"
{L}

[[questions]]
id = "c"
type = "short_text"
section = "two"
{L}

[[questions]]
id = "d"
type = "short_text"
{L}

[[questions]]
id = "e"
type = "short_text"
section = "four"
{L}
"#
        ),
        &[
            "section `three`: `title` is missing its `en` text",
            "question `b`: section `one` is declared before section `two`, so its questions must come first",
            "question `d`: missing `section`: this survey has sections, so every question names one (one, two, three)",
            "question `e`: unknown section `four` (sections: one, two, three)",
            "section `three`: no question is in this section",
        ],
    );
}

#[test]
fn logic_problems_are_all_reported_with_column() {
    check(
        &format!(
            r#"
[[questions]]
id = "country"
type = "single_choice"
{L}
choices = [{{ id = "ge", label = {{ ru = "Грузия", en = "Georgia" }} }}]

[[questions]]
id = "age"
type = "integer"
{L}
relevant = "country = 1 and later > 2"
required = "age > 1"
constraint = ". > "

[[questions]]
id = "later"
type = "integer"
{L}
relevant = "selected(age, 'x') or selected(country, 'xx')"
constraint = "count_selected(country) + 1"

[[questions]]
id = "note"
type = "note"
{L}
relevant = "nobody = 1 and . = 2"

[[questions]]
id = "x"
type = "calculate"
expression = "y + 1"

[[questions]]
id = "y"
type = "calculate"
expression = "x * 2"

[[questions]]
id = "z"
type = "calculate"
expression = "note"
"#
        ),
        &[
            "question `age`, constraint, column 5: expected a value after `>`",
            "question `age`, relevant, column 9: cannot compare a choice (`country`) with a number: write the choice id in quotes, '1'",
            "question `age`, relevant, column 17: `later` comes later in the survey: logic can use only answers given before it",
            "question `age`, required, column 1: `age` is this question: in a `constraint`, write `.` for its answer",
            "question `later`, relevant, column 10: selected() needs a single- or multiple-choice question, not a number",
            "question `later`, relevant, column 41: `country` has no option `xx` (options: ge)",
            "question `later`, constraint, column 1: `constraint` must be true or false, but this gives a number",
            "question `note`, relevant, column 1: unknown question `nobody`",
            "question `note`, relevant, column 16: `.` (this answer) can be used only in a `constraint`",
            "question `z`, expression, column 1: `note` is a note and has no answer",
            "question `x`, expression: dependency cycle: the calculations `x`, `y` each depend on the others",
        ],
    );
}

#[test]
fn section_relevance_may_use_only_earlier_answers() {
    check(
        &format!(
            r#"
[[sections]]
id = "one"
title = {{ ru = "1", en = "1" }}
relevant = "b > 1"

[[sections]]
id = "two"
title = {{ ru = "2", en = "2" }}
relevant = "a > 1 and b"

[[questions]]
id = "a"
type = "integer"
section = "one"
{L}

[[questions]]
id = "b"
type = "integer"
section = "two"
{L}
"#
        ),
        &[
            "section `one`, relevant, column 1: `b` comes later in the survey: logic can use only answers given before it",
            "section `two`, relevant, column 11: `b` comes later in the survey: logic can use only answers given before it",
        ],
    );
}

#[test]
fn publication_plan_problems() {
    check(
        &format!(
            r#"
privacy_budget_note = "budget is 1"

[[questions]]
id = "country"
type = "single_choice"
{L}
choices = [{{ id = "ge", label = {{ ru = "Грузия", en = "Georgia" }} }}]

[[questions]]
id = "what"
type = "multiple_choice"
{L}
choices = [{{ id = "x", label = {{ ru = "Икс", en = "X" }} }}]

[[questions]]
id = "comment"
type = "long_text"
{L}

[[questions]]
id = "n"
type = "integer"
{L}

[publication]

[[publication.tables]]
id = "t1"
question = "comment"
statistic = "counts"
epsilon = 0.5

[[publication.tables]]
id = "t1"
question = "n"
statistic = "counts"
by = ["what", "n", "country", "nobody"]
epsilon = 0.5

[[publication.tables]]
id = "t3"
question = "n"
statistic = "mean"
lower = 10
upper = 1
epsilon = 0.5

[[publication.tables]]
id = "t4"
question = "n"
statistic = "histogram"
edges = [0, 5, 5]
epsilon = 0.5

[[publication.tables]]
id = "t5"
question = "ghost"
statistic = "first_choice"
epsilon = 0

[[publication.tables]]
id = "t6"
question = "country"
statistic = "total"
epsilon = 0.1
mechanism = "cauchy"
"#
        ),
        &[
            "survey: unknown key `privacy_budget_note` (known keys: id, version, languages, default_language, title, browser_title, description, privacy_budget, closes, public_keys, drafts, choice_lists, sections, questions, publication)",
            "publication table `t1`: `comment` is free text, which is never published: remove this table",
            "publication table `t1`: duplicate table id",
            "publication table `t1`: `counts` does not apply to `n`, a integer question (it applies to single_choice, multiple_choice, rating, grid)",
            "publication table `t1`: `by` takes at most two questions, not 4",
            "publication table `t1`: `by` takes single_choice questions; `what` is multiple_choice",
            "publication table `t1`: a table cannot be broken down by its own question `n`",
            "publication table `t1`: unknown question `nobody` in `by`",
            "publication table `t3`: `lower` (10) must be less than `upper` (1)",
            "publication table `t4`: `edges` must be strictly ascending",
            "publication table `t5`: unknown question `ghost`",
            "publication table `t5`: `epsilon` must be greater than 0",
            "publication table `t6`: `total` counts respondents and takes no `question`",
            "publication table `t6`: `mechanism` must be \"laplace\" or \"gaussian\"",
        ],
    );
}

#[test]
fn the_plan_may_not_spend_more_than_the_budget() {
    check(
        &format!(
            r#"
[[questions]]
id = "n"
type = "integer"
{L}

[[publication.tables]]
id = "all"
statistic = "total"
epsilon = 0.5

[[publication.tables]]
id = "n_hist"
question = "n"
statistic = "histogram"
edges = [0, 10, 100]
epsilon = "2/3"
"#
        ),
        &["publication: the tables spend ε = 7/6 in all, more than the privacy_budget of 1"],
    );
}

/// `drafts` is a yes or no; `true` loads and reaches the runner.
#[test]
fn drafts_is_true_or_false() {
    check(
        &format!(
            r#"
drafts = "yes"
[[questions]]
id = "n"
type = "integer"
{L}
"#
        ),
        &[
            "survey: `drafts` must be true (members may keep an unfinished answer on their phone, locked with a passphrase) or false",
        ],
    );
    let text = format!("{HEAD}drafts = true\n[[questions]]\nid = \"n\"\ntype = \"integer\"\n{L}\n");
    let survey = parse_survey(&text).expect("loads");
    assert!(survey.drafts);
    let json = serde_json::to_value(&survey).expect("json");
    assert_eq!(json["drafts"], serde_json::json!(true));
    let without = parse_survey(&format!(
        "{HEAD}[[questions]]\nid = \"n\"\ntype = \"integer\"\n{L}\n"
    ))
    .expect("loads");
    assert!(!without.drafts);
    assert!(
        serde_json::to_value(&without)
            .expect("json")
            .get("drafts")
            .is_none()
    );
}

#[test]
fn missing_texts_are_listed_for_every_language_and_field() {
    check(
        r#"
[choice_lists]
agree = [{ id = "1", label = { ru = "Нет" } }]

[[sections]]
id = "a"
title = { en = "A" }

[[questions]]
id = "g"
type = "grid"
section = "a"
label = { ru = "Г", en = "G" }
hint = { ru = "Подсказка" }
scale = "agree"
statements = [{ id = "s1", label = { en = "S1" } }]

[[questions]]
id = "r"
type = "rating"
section = "a"
scale = 5
label = { ru = "Р", en = "R" }
low_label = { ru = "Плохо" }
high_label = { en = "Good" }
required = true
required_message = { en = "Needed" }
constraint = ". > 1"
constraint_message = { ru = "Больше" }
"#,
        &[
            "choice list `agree`, choice `1`: `label` is missing its `en` text",
            "section `a`: `title` is missing its `ru` text",
            "question `g`: `hint` is missing its `en` text",
            "question `g`, statement `s1`: `label` is missing its `ru` text",
            "question `r`: `required_message` is missing its `ru` text",
            "question `r`: `constraint_message` is missing its `en` text",
            "question `r`: `low_label` is missing its `en` text",
            "question `r`: `high_label` is missing its `ru` text",
        ],
    );
}

#[test]
fn options_with_relevant_are_checked_like_logic() {
    check(
        &format!(
            r#"
[choice_lists]
agree = [
  {{ id = "yes", label = {{ ru = "Да", en = "Yes" }}, relevant = "country = 'ge'" }},
  {{ id = "no", label = {{ ru = "Нет", en = "No" }} }},
]

[[questions]]
id = "country"
type = "single_choice"
{L}
choices = [
  {{ id = "ge", label = {{ ru = "Грузия", en = "Georgia" }} }},
  {{ id = "ua", label = {{ ru = "Украина", en = "Ukraine" }} }},
]

[[questions]]
id = "region"
type = "single_choice"
{L}
choices = [
  {{ id = "tbilisi", label = {{ ru = "Тбилиси", en = "Tbilisi" }}, relevant = "${{country}} = 'ge'" }},
  {{ id = "kyiv", label = {{ ru = "Киев", en = "Kyiv" }}, relevant = "${{country}} = 'kz'" }},
  {{ id = "odesa", label = {{ ru = "Одесса", en = "Odesa" }}, relevant = "later = 1" }},
  {{ id = "lviv", label = {{ ru = "Львов", en = "Lviv" }}, relevant = "${{country}} =" }},
  {{ id = "kharkiv", label = {{ ru = "Харьков", en = "Kharkiv" }}, relevant = "${{region}} = 'kyiv'" }},
  {{ id = "dnipro", label = {{ ru = "Днепр", en = "Dnipro" }}, relevant = "country" }},
  {{ id = "sumy", label = {{ ru = "Сумы", en = "Sumy" }}, relevant = 1 }},
]

[[questions]]
id = "later"
type = "integer"
{L}

[[questions]]
id = "order"
type = "ranking"
{L}
choices = [{{ id = "p", label = {{ ru = "П", en = "P" }}, relevant = "country = 'ge'" }}]

[[questions]]
id = "scale"
type = "grid"
{L}
statements = [{{ id = "s", label = {{ ru = "С", en = "S" }} }}]
scale = "agree"

[[questions]]
id = "services"
type = "multiple_choice"
min_selected = 1
{L}
choices = [
  {{ id = "ost", label = {{ ru = "ОЗТ", en = "OST" }}, relevant = "country = 'ua'" }},
  {{ id = "hiv", label = {{ ru = "ВИЧ", en = "HIV" }} }},
]

[[questions]]
id = "grid_statement"
type = "grid"
{L}
statements = [{{ id = "s", label = {{ ru = "С", en = "S" }}, relevant = "country = 'ua'" }}]
scale = [{{ id = "x", label = {{ ru = "Х", en = "X" }} }}]
"#
        ),
        &[
            "question `region`, choice `sumy`: `relevant` must be a string",
            "question `order`, choice `p`: `relevant` on an option is for single_choice and multiple_choice questions: a ranking orders every option it shows",
            "question `scale`, choice `yes`: `relevant` on an option is for single_choice and multiple_choice questions: every statement of a grid has the same scale",
            "question `services`: `min_selected` cannot be used with options that have `relevant`: how many are offered depends on earlier answers",
            "question `grid_statement`, statement `s`: unknown key `relevant` (known keys: id, label)",
            "question `region`, choice `lviv`, relevant, column 13: expected a value after `=`",
            "question `region`, choice `kyiv`, relevant, column 14: `country` has no option `kz` (options: ge, ua)",
            "question `region`, choice `odesa`, relevant, column 1: `later` comes later in the survey: logic can use only answers given before it",
            "question `region`, choice `kharkiv`, relevant, column 1: `region` is this question: in a `constraint`, write `.` for its answer",
            "question `region`, choice `dnipro`, relevant, column 1: `relevant` must be true or false, but this gives the single-choice answer `country`",
        ],
    );
}

#[test]
fn repeat_problems_are_all_reported_with_their_place() {
    check(
        &format!(
            r#"
[[questions]]
id = "n"
type = "integer"
{L}

[[questions]]
id = "r"
type = "repeat"
required = true
{L}

[[questions.questions]]
id = "when"
type = "date"
section = "a"
{L}

[[questions.questions]]
id = "n"
type = "integer"
{L}

[[questions.questions]]
id = "inner"
type = "repeat"
max = 2
{L}

[[questions.questions]]
id = "what"
type = "short_text"
relevant = "position() > 1 and ${{when}} > date('2020-01-01') and ${{r}} = 1"
{L}

[[questions]]
id = "r2"
type = "repeat"
max = 2
min = 3
count = "${{n}}"
{L}

[[questions.questions]]
id = "x"
type = "integer"
{L}

[[questions]]
id = "after"
type = "integer"
relevant = "${{what}} = 'a' or position() = 1 or count(${{n}}) > 0 or sum(${{what}}) > 0 or sum(${{x}}) > 0"
{L}
"#
        ),
        &[
            "question `r`: a `repeat` question takes no `required`",
            "question `when`: a question inside a repeat is on the repeat's page: it takes no `section` (`r` has it)",
            "question `n`: duplicate question id",
            "question `inner`: a repeat inside a repeat (`r`) is not supported: ask its questions in `r` or in a repeat of its own",
            "question `r`: missing `max`: the most instances a member may give (at most 100); it also bounds how much one response weighs in a publication",
            "question `r2`: a repeat with `count` has as many instances as it gives: it takes no `min`",
            "question `r2`: `min` (3) is more than `max` (2)",
            "question `what`, relevant, column 53: `r` is the repeat this question is in: position() gives the number of the instance",
            "question `after`, relevant, column 1: `what` is inside the repeat `r`: outside it, only sum(what) (for a number) or count(r) can use it",
            "question `after`, relevant, column 18: position() is the number of the current instance: it can be used only by questions inside a repeat",
            "question `after`, relevant, column 42: count() takes a repeat, such as count(incidents); for the options ticked, use count_selected()",
            "question `after`, relevant, column 59: sum() adds up numbers, and `what` gives a text",
        ],
    );
}

const REPEAT: &str = r#"
[[questions]]
id = "country"
type = "single_choice"
label = { ru = "В", en = "Q" }
choices = [{ id = "ge", label = { ru = "Грузия", en = "Georgia" } }]

[[questions]]
id = "incidents"
type = "repeat"
label = { ru = "В", en = "Q" }
max = 4

[[questions.questions]]
id = "place"
type = "single_choice"
label = { ru = "В", en = "Q" }
choices = [{ id = "street", label = { ru = "Улица", en = "Street" } }]

[[questions.questions]]
id = "acts"
type = "multiple_choice"
label = { ru = "В", en = "Q" }
choices = [{ id = "beat", label = { ru = "Побои", en = "Beating" } }]

[[questions.questions]]
id = "severity"
type = "rating"
scale = 3
label = { ru = "В", en = "Q" }

[[questions.questions]]
id = "hurt"
type = "integer"
label = { ru = "В", en = "Q" }

[[questions.questions]]
id = "what"
type = "short_text"
label = { ru = "В", en = "Q" }

[publication]
"#;

#[test]
fn a_plan_counts_over_a_repeats_instances() {
    check(
        &format!(
            r#"{REPEAT}
[[publication.tables]]
id = "incidents"
question = "incidents"
statistic = "instances"
by = ["country"]
epsilon = 0.2

[[publication.tables]]
id = "place"
question = "place"
statistic = "counts"
epsilon = 0.2

[[publication.tables]]
id = "acts"
question = "acts"
statistic = "counts"
by = ["country"]
mechanism = "gaussian"
epsilon = 0.2

[[publication.tables]]
id = "severity"
question = "severity"
statistic = "counts"
epsilon = 0.2
"#
        ),
        &[],
    );
}

#[test]
fn a_plan_over_a_repeat_refuses_what_it_cannot_publish() {
    check(
        &format!(
            r#"{REPEAT}
[[publication.tables]]
id = "hurt_mean"
question = "hurt"
statistic = "mean"
lower = 0
upper = 10
epsilon = 0.1

[[publication.tables]]
id = "hurt_counts"
question = "hurt"
statistic = "counts"
epsilon = 0.1

[[publication.tables]]
id = "what"
question = "what"
statistic = "counts"
epsilon = 0.1

[[publication.tables]]
id = "place_instances"
question = "place"
statistic = "instances"
epsilon = 0.1

[[publication.tables]]
id = "repeat_counts"
question = "incidents"
statistic = "counts"
epsilon = 0.1

[[publication.tables]]
id = "country_instances"
question = "country"
statistic = "instances"
epsilon = 0.1

[[publication.tables]]
id = "no_question"
statistic = "instances"
epsilon = 0.1

[[publication.tables]]
id = "by_inner"
question = "incidents"
statistic = "instances"
by = ["place"]
epsilon = 0.1
"#
        ),
        &[
            "publication table `hurt_mean`: `mean` is not published over a repeat's instances: `hurt` is inside the repeat `incidents`, and over instances only `counts` (of a single_choice, multiple_choice or rating question) is published; `instances` on `incidents` counts the instances themselves",
            "publication table `hurt_counts`: `counts` does not apply to `hurt`, a integer question inside the repeat `incidents` (over a repeat's instances it applies to single_choice, multiple_choice, rating)",
            "publication table `what`: `what` is free text, which is never published: remove this table",
            "publication table `place_instances`: `instances` counts the instances of a repeat and takes the repeat itself: `place` is inside the repeat `incidents`, so write question = \"incidents\"",
            "publication table `repeat_counts`: `counts` does not apply to `incidents`, a repeat question (it applies to single_choice, multiple_choice, rating, grid; of a repeat, `instances` counts its instances, and `counts` of a single_choice, multiple_choice or rating question inside it counts the instances giving each option)",
            "publication table `country_instances`: `instances` does not apply to `country`, a single_choice question (it applies to repeat)",
            "publication table `no_question`: missing `question`: the question `instances` is computed on",
            "publication table `by_inner`: `by` takes questions outside repeats (a respondent is in one group); `place` is inside the repeat `incidents`",
        ],
    );
}

/// A respondent-driven sample: a network-size question and ones that
/// cannot be one.
const RDS: &str = r#"
[[questions]]
id = "group"
type = "single_choice"
label = { ru = "В", en = "Q" }
choices = [{ id = "a", label = { ru = "А", en = "A" } }, { id = "b", label = { ru = "Б", en = "B" } }]

[[questions]]
id = "network"
type = "integer"
min = 1
max = 200
label = { ru = "В", en = "Q" }

[[questions]]
id = "open"
type = "integer"
min = 1
label = { ru = "В", en = "Q" }

[[questions]]
id = "zero"
type = "integer"
min = 0
max = 10
label = { ru = "В", en = "Q" }

[[questions]]
id = "huge"
type = "integer"
min = 1
max = 2000000
label = { ru = "В", en = "Q" }

[[questions]]
id = "size"
type = "decimal"
min = 1
max = 10
label = { ru = "В", en = "Q" }

[[questions]]
id = "visits"
type = "repeat"
max = 2
label = { ru = "В", en = "Q" }

[[questions.questions]]
id = "known"
type = "integer"
min = 1
max = 5
label = { ru = "В", en = "Q" }

[publication]
"#;

#[test]
fn a_plan_publishes_rds_proportions() {
    check(
        &format!(
            r#"{RDS}
[[publication.tables]]
id = "group"
question = "group"
statistic = "rds_proportion"
degree = "network"
epsilon = 0.5

[[publication.tables]]
id = "group_gauss"
question = "group"
statistic = "rds_proportion"
degree = "network"
mechanism = "gaussian"
epsilon = 0.5
"#
        ),
        &[],
    );
}

#[test]
fn an_rds_proportion_needs_a_bounded_network_size() {
    check(
        &format!(
            r#"{RDS}
[[publication.tables]]
id = "no_degree"
question = "group"
statistic = "rds_proportion"
epsilon = 0.1

[[publication.tables]]
id = "open"
question = "group"
statistic = "rds_proportion"
degree = "open"
epsilon = 0.1

[[publication.tables]]
id = "zero"
question = "group"
statistic = "rds_proportion"
degree = "zero"
epsilon = 0.1

[[publication.tables]]
id = "huge"
question = "group"
statistic = "rds_proportion"
degree = "huge"
epsilon = 0.1

[[publication.tables]]
id = "size"
question = "group"
statistic = "rds_proportion"
degree = "size"
epsilon = 0.1

[[publication.tables]]
id = "inner"
question = "group"
statistic = "rds_proportion"
degree = "known"
epsilon = 0.1

[[publication.tables]]
id = "unknown"
question = "group"
statistic = "rds_proportion"
degree = "nobody"
epsilon = 0.1

[[publication.tables]]
id = "not_choice"
question = "network"
statistic = "rds_proportion"
degree = "network"
epsilon = 0.1

[[publication.tables]]
id = "stray"
question = "group"
statistic = "counts"
degree = "network"
epsilon = 0.1
"#
        ),
        &[
            "publication table `no_degree`: missing `degree`: the integer question asking each respondent's network size (how many people of the population they know), by whose inverse they are weighted",
            "publication table `open`: the degree question `open` needs both `min` and `max`: the weights 1/degree, and so the noise, are bounded by its range",
            "publication table `zero`: the degree question `zero` has `min = 0`; it must be at least 1 (a respondent weighs 1/degree, and one respondent's largest weight, 1/min, sizes the noise)",
            "publication table `huge`: the degree question `huge` has `max = 2000000`; for `rds_proportion` it must be at most 1000000",
            "publication table `size`: `degree` must be an integer question (each respondent's network size); `size` is decimal",
            "publication table `inner`: `degree` takes a question outside repeats (one network size per respondent); `known` is inside the repeat `visits`",
            "publication table `unknown`: unknown question `nobody` in `degree`",
            "publication table `not_choice`: `rds_proportion` does not apply to `network`, a integer question (it applies to single_choice)",
            "publication table `stray`: `degree` applies only to an `rds_proportion`",
        ],
    );
}
