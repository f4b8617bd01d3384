//! The review of every answer before sending: each asked question with
//! its answer in words, page by page.

use surveys::i18n::{Ui, ui};
use surveys::{Question, QuestionKind};

use crate::answers::{Draft, OTHER, instance_key, other_key};
use crate::form::Form;

/// One page of the review.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewPage<'a> {
    /// Its index in [`Form::pages`] (where "Change" goes).
    pub page: usize,
    /// Its section title, when the survey has sections.
    pub title: Option<&'a str>,
    /// Each question asked on it, as labelled there, with its answer as
    /// shown (see [`answer_text`]). A repeat gives one line per question
    /// of each instance, labelled with the repeat and the instance's
    /// number ("Incidents 2: When did it happen?").
    pub answers: Vec<(String, String)>,
}

/// The pages asked now, each with its questions and answers, in `lang`.
/// Notes are left out: they take no answer.
pub fn review<'a>(form: &'a Form, lang: &str) -> Vec<ReviewPage<'a>> {
    let vis = form.visible();
    form.shown_pages(&vis)
        .into_iter()
        .map(|p| ReviewPage {
            page: p,
            title: form.pages()[p]
                .section
                .map(|s| form.survey.tr(&form.survey.sections[s].title, lang)),
            answers: form
                .questions_on(p, &vis)
                .into_iter()
                .filter(|q| !matches!(q.kind, QuestionKind::Note))
                .flat_map(|q| lines(form, q, &vis, lang))
                .collect(),
        })
        .filter(|p| !p.answers.is_empty())
        .collect()
}

/// The review lines of question `q`: its label and answer, or for a
/// repeat those of each question asked in each instance.
fn lines(form: &Form, q: &Question, vis: &crate::Visibility, lang: &str) -> Vec<(String, String)> {
    let survey = &form.survey;
    if !q.kind.is_repeat() {
        return vec![(
            survey.tr(&q.label, lang).to_string(),
            answer_text(form, q, lang),
        )];
    }
    let n = form.instances(q, vis);
    if n == 0 {
        return vec![(
            survey.tr(&q.label, lang).to_string(),
            ui(lang, Ui::NotAnswered).to_string(),
        )];
    }
    let mut out = Vec::new();
    for k in 1..=n {
        for iq in q.kind.inner() {
            let key = instance_key(&q.id, k, &iq.id);
            if matches!(iq.kind, QuestionKind::Note) || !vis.asks_at(iq, &key) {
                continue;
            }
            out.push((
                format!(
                    "{} {k}: {}",
                    survey.tr(&q.label, lang),
                    survey.tr(&iq.label, lang)
                ),
                answer_text_at(form, iq, &key, lang),
            ));
        }
    }
    out
}

/// A question's answer in words: option labels (in the order shown), the
/// "other" text, "statement: option" per line of a grid, "1. option" per
/// rank; [`Ui::NotAnswered`] when blank.
pub fn answer_text(form: &Form, q: &Question, lang: &str) -> String {
    answer_text_at(form, q, &q.id, lang)
}

/// The answer in words of question `q` keyed `key` (in a repeat's
/// instance, `incidents[2].when`).
pub fn answer_text_at(form: &Form, q: &Question, key: &str, lang: &str) -> String {
    let survey = &form.survey;
    let label = |id: &str| -> String {
        if id == OTHER && q.kind.has_other() {
            let text = match form.drafts.get(&other_key(key)) {
                Some(Draft::Text(t)) if !t.trim().is_empty() => t.trim(),
                _ => "",
            };
            let other = ui(lang, Ui::OtherSpecify);
            return if text.is_empty() {
                other.to_string()
            } else {
                format!("{other}: {text}")
            };
        }
        form.choices_in_order(q)
            .into_iter()
            .find(|c| c.id == id)
            .map_or_else(|| id.to_string(), |c| survey.tr(&c.label, lang).to_string())
    };
    let text = match (&q.kind, form.drafts.get(key)) {
        (QuestionKind::Rating { .. }, Some(Draft::Choice(c))) => c.clone(),
        (_, Some(Draft::Choice(c))) => label(c),
        (QuestionKind::MultipleChoice { choices, .. }, Some(Draft::Choices(ticked))) => {
            let mut shown: Vec<String> = form
                .choices_in_order(q)
                .into_iter()
                .filter(|c| ticked.contains(&c.id))
                .map(|c| label(&c.id))
                .collect();
            shown.extend(
                ticked
                    .iter()
                    .filter(|t| !choices.iter().any(|c| &c.id == *t))
                    .map(|t| label(t)),
            );
            shown.join("; ")
        }
        (_, Some(Draft::Text(t))) => t.trim().to_string(),
        (QuestionKind::Grid { statements, .. }, Some(Draft::Grid(picked))) => statements
            .iter()
            .filter_map(|s| {
                let c = picked.get(&s.id)?;
                Some(format!("{}: {}", survey.tr(&s.label, lang), label(c)))
            })
            .collect::<Vec<_>>()
            .join("; "),
        (_, Some(Draft::Ranks(slots))) => slots
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some(format!("{}. {}", i + 1, label(c.as_ref()?))))
            .collect::<Vec<_>>()
            .join("; "),
        (QuestionKind::Consent, Some(Draft::Checked(true))) => ui(lang, Ui::Agreed).to_string(),
        _ => String::new(),
    };
    if text.is_empty() {
        ui(lang, Ui::NotAnswered).to_string()
    } else {
        text
    }
}
