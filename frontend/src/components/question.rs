use std::rc::Rc;

use surveys::i18n::{Ui, ui};
use surveys::{Question, QuestionKind, Survey};
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::lang_attr;
use crate::state::{Action, Draft, State, UNREADABLE_NUMBER, choice_dom_id, field_dom_id};

#[derive(Properties, PartialEq)]
pub struct QuestionProps {
    pub lang: &'static str,
    pub survey: Rc<Survey>,
    /// Its position in `survey.questions`.
    pub index: usize,
    pub draft: Option<Draft>,
    /// Its error messages, already in the runner's language.
    pub errors: Vec<String>,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Ids and attributes shared by every kind of question.
struct Parts<'a> {
    q: &'a Question,
    lang: &'static str,
    text_lang: Option<AttrValue>,
    survey: &'a Survey,
    hint_id: Option<String>,
    error_id: Option<String>,
}

impl Parts<'_> {
    fn tr<'s>(&'s self, text: &'s surveys::Text) -> &'s str {
        self.survey.tr(text, self.lang)
    }

    /// `aria-describedby`: the hint and the error.
    fn described_by(&self) -> Option<AttrValue> {
        let ids: Vec<&str> = [self.hint_id.as_deref(), self.error_id.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!ids.is_empty()).then(|| AttrValue::from(ids.join(" ")))
    }

    fn invalid(&self) -> Option<&'static str> {
        self.error_id.is_some().then_some("true")
    }

    /// The question's label with the "required" marker.
    fn label(&self) -> Html {
        html! {
            <>
                <span class="label-text" lang={self.text_lang.clone()}>{ self.tr(&self.q.label) }</span>
                if self.q.required.is_always() {
                    { " " }
                    <span class="req">{ ui(self.lang, Ui::Required) }</span>
                }
            </>
        }
    }

    fn hint(&self) -> Html {
        match (&self.q.hint, &self.hint_id) {
            (Some(hint), Some(id)) => html! {
                <p class="hint" id={id.clone()} lang={self.text_lang.clone()}>{ self.tr(hint) }</p>
            },
            _ => Html::default(),
        }
    }
}

fn error_block(id: &Option<String>, errors: &[String]) -> Html {
    match id {
        Some(id) => html! {
            <div class="error" id={id.clone()}>
                { for errors.iter().map(|m| html! { <p>{ m }</p> }) }
            </div>
        },
        None => Html::default(),
    }
}

/// One question with its label, hint, field and errors.
#[function_component]
pub fn QuestionView(props: &QuestionProps) -> Html {
    let survey = &props.survey;
    let Some(q) = survey.questions.get(props.index) else {
        return Html::default();
    };
    let parts = Parts {
        q,
        lang: props.lang,
        text_lang: lang_attr(survey.language(props.lang), props.lang),
        survey,
        hint_id: q.hint.as_ref().map(|_| format!("hint-{}", q.id)),
        error_id: (!props.errors.is_empty()).then(|| format!("err-{}", q.id)),
    };
    let class = classes!("question", parts.error_id.is_some().then_some("has-error"));
    let errors = error_block(&parts.error_id, &props.errors);
    match &q.kind {
        QuestionKind::SingleChoice { choices, .. }
        | QuestionKind::MultipleChoice { choices, .. } => {
            let multiple = matches!(q.kind, QuestionKind::MultipleChoice { .. });
            let options = choices.iter().map(|c| {
                let id = choice_dom_id(&q.id, &c.id);
                let dispatch = props.dispatch.clone();
                let (question, choice) = (q.id.clone(), c.id.clone());
                let (kind, checked, onchange) = if multiple {
                    let checked = matches!(&props.draft, Some(Draft::Choices(l)) if l.contains(&c.id));
                    let onchange = Callback::from(move |e: Event| {
                        let ticked = e.target_unchecked_into::<HtmlInputElement>().checked();
                        dispatch.dispatch(Action::Tick {
                            question: question.clone(),
                            choice: choice.clone(),
                            ticked,
                        });
                    });
                    ("checkbox", checked, onchange)
                } else {
                    let checked = matches!(&props.draft, Some(Draft::Choice(x)) if *x == c.id);
                    let onchange = Callback::from(move |_: Event| {
                        dispatch.dispatch(Action::Choose {
                            question: question.clone(),
                            choice: choice.clone(),
                        });
                    });
                    ("radio", checked, onchange)
                };
                html! {
                    <div class="choice" key={c.id.clone()}>
                        <input
                            type={kind}
                            id={id.clone()}
                            name={q.id.clone()}
                            value={c.id.clone()}
                            {checked}
                            {onchange}
                        />
                        <label for={id} lang={parts.text_lang.clone()}>{ parts.tr(&c.label) }</label>
                    </div>
                }
            });
            html! {
                <fieldset
                    class={class}
                    aria-describedby={parts.described_by()}
                    aria-invalid={parts.invalid()}
                >
                    <legend>{ parts.label() }</legend>
                    { parts.hint() }
                    { errors }
                    <div class={if multiple { "choices checkboxes" } else { "choices radios" }}>
                        { for options }
                    </div>
                </fieldset>
            }
        }
        QuestionKind::Integer { min, max } => {
            let id = field_dom_id(&q.id);
            let dispatch = props.dispatch.clone();
            let question = q.id.clone();
            let oninput = Callback::from(move |e: InputEvent| {
                let input = e.target_unchecked_into::<HtmlInputElement>();
                let mut text = input.value();
                // The browser hides what it cannot read as a number; keep
                // the field from counting as blank so validation speaks.
                if text.is_empty() && input.validity().bad_input() {
                    text = UNREADABLE_NUMBER.to_string();
                }
                dispatch.dispatch(Action::SetText {
                    question: question.clone(),
                    text,
                });
            });
            // The field is left uncontrolled: writing the value back would
            // wipe text the browser cannot read (such as `1e`) mid-typing.
            html! {
                <div class={class}>
                    <label class="q-label" for={id.clone()}>{ parts.label() }</label>
                    { parts.hint() }
                    { errors }
                    <input
                        type="number"
                        inputmode="numeric"
                        class="number"
                        id={id}
                        name={q.id.clone()}
                        step="1"
                        min={min.map(|m| m.to_string())}
                        max={max.map(|m| m.to_string())}
                        autocomplete="off"
                        aria-required={q.required.is_always().then_some("true")}
                        aria-describedby={parts.described_by()}
                        aria-invalid={parts.invalid()}
                        {oninput}
                    />
                </div>
            }
        }
        QuestionKind::ShortText { max_length } => {
            let id = field_dom_id(&q.id);
            let dispatch = props.dispatch.clone();
            let question = q.id.clone();
            let oninput = Callback::from(move |e: InputEvent| {
                let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
                dispatch.dispatch(Action::SetText {
                    question: question.clone(),
                    text,
                });
            });
            let value = match &props.draft {
                Some(Draft::Text(t)) => t.clone(),
                _ => String::new(),
            };
            // No spellcheck: some browsers send the text to an online service.
            html! {
                <div class={class}>
                    <label class="q-label" for={id.clone()}>{ parts.label() }</label>
                    { parts.hint() }
                    { errors }
                    <textarea
                        id={id}
                        name={q.id.clone()}
                        rows="3"
                        maxlength={max_length.to_string()}
                        autocomplete="off"
                        spellcheck="false"
                        lang={parts.text_lang.clone()}
                        aria-required={q.required.is_always().then_some("true")}
                        aria-describedby={parts.described_by()}
                        aria-invalid={parts.invalid()}
                        {value}
                        {oninput}
                    />
                </div>
            }
        }
        // Interim until the runner renders every type (issue 3): the label alone.
        _ => html! {
            <div class={class}>
                <p class="q-label">{ survey.tr(&q.label, props.lang) }</p>
            </div>
        },
    }
}
