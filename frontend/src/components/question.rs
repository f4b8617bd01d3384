use std::rc::Rc;

use surveys::i18n::{Ui, ui};
use surveys::{Choice, Question, QuestionKind, Survey, Text};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::lang_attr;
use crate::dom;
use crate::state::{Action, Draft, State};
use runner::ids::{choice_dom_id, field_dom_id, grid_dom_id, rank_dom_id};
use runner::{OTHER, UNREADABLE_NUMBER, date_bound, other_key, ranks_asked, today};

/// The empty choice of a rank select: not ranked (yet).
const NO_RANK: &str = "—";

/// Longest "other, please specify" text the field takes.
const OTHER_MAX_LENGTH: u32 = surveys::model::SHORT_TEXT_DEFAULT_MAX;

#[derive(Properties, PartialEq)]
pub struct QuestionProps {
    pub lang: &'static str,
    pub survey: Rc<Survey>,
    /// Its position in `survey.questions`.
    pub index: usize,
    /// Inside a repeat (the question at `index`): its position among the
    /// repeat's questions.
    #[prop_or_default]
    pub inner: Option<usize>,
    /// Its key: its id, or in a repeat's instance `incidents[2].when`.
    /// Fields' names, element ids and the actions' `question` use it.
    pub at: AttrValue,
    /// Its options (a grid: its scale) in the order shown.
    pub options: Vec<Choice>,
    pub draft: Option<Draft>,
    /// The "other, please specify" text entered, if any.
    pub other_text: Option<String>,
    /// Must be answered now.
    pub required: bool,
    /// Its error messages, already in the runner's language.
    pub errors: Vec<String>,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Ids and attributes shared by every kind of question.
struct Parts<'a> {
    q: &'a Question,
    props: &'a QuestionProps,
    lang: &'static str,
    text_lang: Option<AttrValue>,
    hint_id: Option<String>,
    error_id: Option<String>,
}

impl Parts<'_> {
    fn tr<'s>(&'s self, text: &'s Text) -> &'s str {
        self.props.survey.tr(text, self.lang)
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

    fn aria_required(&self) -> Option<&'static str> {
        self.props.required.then_some("true")
    }

    fn class(&self, kind: &'static str) -> Classes {
        classes!(
            "question",
            kind,
            self.error_id.is_some().then_some("has-error")
        )
    }

    /// The question's label with the "required" marker.
    fn label(&self) -> Html {
        html! {
            <>
                <span class="label-text" lang={self.text_lang.clone()}>{ self.tr(&self.q.label) }</span>
                if self.props.required {
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

    fn errors(&self) -> Html {
        match &self.error_id {
            Some(id) => html! {
                <div class="error" id={id.clone()}>
                    { for self.props.errors.iter().map(|m| html! { <p>{ m }</p> }) }
                </div>
            },
            None => Html::default(),
        }
    }

    /// A fieldset of several fields under the question's label.
    fn fieldset(&self, kind: &'static str, body: Html) -> Html {
        html! {
            <fieldset
                class={self.class(kind)}
                data-question={self.props.at.to_string()}
                aria-describedby={self.described_by()}
                aria-invalid={self.invalid()}
            >
                <legend>{ self.label() }</legend>
                { self.hint() }
                { self.errors() }
                { body }
            </fieldset>
        }
    }

    /// One field with the question's label over it.
    fn single_field(&self, kind: &'static str, field: Html) -> Html {
        html! {
            <div class={self.class(kind)} data-question={self.props.at.to_string()}>
                <label class="q-label" for={field_dom_id(self.props.at.as_str())}>{ self.label() }</label>
                { self.hint() }
                { self.errors() }
                { field }
            </div>
        }
    }

    /// "Clear answer" for an optional question that has an answer; focus
    /// goes to `then_focus`, the first option.
    fn clear_button(&self, then_focus: String) -> Html {
        if self.props.required || self.props.draft.is_none() {
            return Html::default();
        }
        let dispatch = self.props.dispatch.clone();
        let question = self.props.at.to_string();
        let onclick = Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::Clear {
                question: question.clone(),
            });
            dom::focus(&then_focus);
        });
        html! {
            <button type="button" class="clear" id={format!("clear-{}", self.props.at)} {onclick}>
                { ui(self.lang, Ui::ClearAnswer) }
            </button>
        }
    }

    fn text_callback(&self, question: String) -> Callback<InputEvent> {
        let dispatch = self.props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let text = e.target_unchecked_into::<HtmlInputElement>().value();
            dispatch.dispatch(Action::SetText {
                question: question.clone(),
                text,
            });
        })
    }
}

/// One question with its label, hint, fields and errors. Its wrapper
/// carries `data-question="<id>"`.
#[function_component]
pub fn QuestionView(props: &QuestionProps) -> Html {
    // Number and date fields are not controlled (writing the value back
    // would wipe what the browser cannot read yet, such as `1e`): they get
    // what was entered once, when the page is shown again.
    let field = use_node_ref();
    {
        let field = field.clone();
        let initial = match &props.draft {
            Some(Draft::Text(t)) if t != UNREADABLE_NUMBER => Some(t.clone()),
            _ => None,
        };
        use_effect_with((), move |_| {
            if let (Some(input), Some(text)) = (field.cast::<HtmlInputElement>(), initial) {
                input.set_value(&text);
            }
        });
    }

    let survey = &props.survey;
    let Some(q) = survey
        .questions
        .get(props.index)
        .and_then(|q| match props.inner {
            None => Some(q),
            Some(j) => q.kind.inner().get(j),
        })
    else {
        return Html::default();
    };
    let at = props.at.as_str();
    let parts = Parts {
        q,
        props,
        lang: props.lang,
        text_lang: lang_attr(survey.language(props.lang), props.lang),
        hint_id: q.hint.as_ref().map(|_| format!("hint-{}", at)),
        error_id: (!props.errors.is_empty()).then(|| format!("err-{}", at)),
    };
    match &q.kind {
        QuestionKind::SingleChoice { other, .. } => choices(&parts, false, *other),
        QuestionKind::MultipleChoice { other, .. } => choices(&parts, true, *other),
        QuestionKind::Integer { min, max } => {
            parts.single_field("integer", number_field(&parts, field, Some((*min, *max))))
        }
        // The bounds are validate's to check: formatting an f64 here would
        // cost the bundle some 20 KB.
        QuestionKind::Decimal { .. } => {
            parts.single_field("decimal", number_field(&parts, field, None))
        }
        QuestionKind::Date { min, max } => {
            let id = field_dom_id(at);
            let day = today();
            let bound = |b: &Option<String>| b.as_deref().map(|b| date_bound(b, day));
            let oninput = parts.text_callback(at.to_string());
            parts.single_field(
                "date",
                html! {
                    <input
                        type="date"
                        class="date"
                        ref={field}
                        id={id}
                        name={at.to_string()}
                        min={bound(min)}
                        max={bound(max)}
                        autocomplete="off"
                        aria-required={parts.aria_required()}
                        aria-describedby={parts.described_by()}
                        aria-invalid={parts.invalid()}
                        {oninput}
                    />
                },
            )
        }
        QuestionKind::ShortText { max_length } => {
            parts.single_field("short-text", text_area(&parts, *max_length, 3))
        }
        QuestionKind::LongText { max_length } => {
            parts.single_field("long-text", text_area(&parts, *max_length, 8))
        }
        QuestionKind::Rating {
            scale,
            low_label,
            high_label,
        } => rating(&parts, *scale, low_label.as_ref(), high_label.as_ref()),
        QuestionKind::Grid { statements, .. } => grid(&parts, statements),
        QuestionKind::Ranking { .. } => ranking(&parts),
        QuestionKind::Note => html! {
            <div class="question note" data-question={at.to_string()}>
                <p class="note-text" lang={parts.text_lang.clone()}>{ parts.tr(&q.label) }</p>
                { parts.hint() }
            </div>
        },
        QuestionKind::Consent => consent(&parts),
        // Never shown.
        QuestionKind::Calculate { .. } | QuestionKind::Repeat { .. } => Html::default(),
    }
}

/// Radio buttons or checkboxes, with "Other, please specify" and its text.
fn choices(parts: &Parts, multiple: bool, other: bool) -> Html {
    let at = parts.props.at.as_str();
    let props = parts.props;
    let picked = |id: &str| match &props.draft {
        Some(Draft::Choices(l)) => l.iter().any(|c| c == id),
        Some(Draft::Choice(c)) => c == id,
        _ => false,
    };
    let option = |id: &str, label: Html, label_id: Option<String>| {
        let dom_id = choice_dom_id(at, id);
        let dispatch = props.dispatch.clone();
        let (question, choice) = (at.to_string(), id.to_string());
        let (kind, onchange) = if multiple {
            let onchange = Callback::from(move |e: Event| {
                let ticked = e.target_unchecked_into::<HtmlInputElement>().checked();
                dispatch.dispatch(Action::Tick {
                    question: question.clone(),
                    choice: choice.clone(),
                    ticked,
                });
            });
            ("checkbox", onchange)
        } else {
            let onchange = Callback::from(move |_: Event| {
                dispatch.dispatch(Action::Choose {
                    question: question.clone(),
                    choice: choice.clone(),
                });
            });
            ("radio", onchange)
        };
        html! {
            <div class="choice" key={id.to_string()}>
                <input
                    type={kind}
                    id={dom_id.clone()}
                    name={at.to_string()}
                    value={id.to_string()}
                    checked={picked(id)}
                    {onchange}
                />
                <label for={dom_id} id={label_id}>{ label }</label>
            </div>
        }
    };
    let listed = props.options.iter().map(|c| {
        option(
            &c.id,
            html! { <span lang={parts.text_lang.clone()}>{ parts.tr(&c.label) }</span> },
            None,
        )
    });
    let other_label_id = format!("label-{}-{OTHER}", at);
    let other_option = if other {
        option(
            OTHER,
            html! { { ui(parts.lang, Ui::OtherSpecify) } },
            Some(other_label_id.clone()),
        )
    } else {
        Html::default()
    };
    let other_text = if other && picked(OTHER) {
        let key = other_key(at);
        html! {
            <input
                type="text"
                class="other-text"
                id={field_dom_id(&key)}
                name={key.clone()}
                maxlength={OTHER_MAX_LENGTH.to_string()}
                autocomplete="off"
                spellcheck="false"
                aria-labelledby={other_label_id}
                value={props.other_text.clone().unwrap_or_default()}
                oninput={parts.text_callback(key)}
            />
        }
    } else {
        Html::default()
    };
    let first = props.options.first().map_or(OTHER, |c| c.id.as_str());
    let clear = if multiple {
        Html::default()
    } else {
        parts.clear_button(choice_dom_id(at, first))
    };
    parts.fieldset(
        if multiple {
            "multiple-choice"
        } else {
            "single-choice"
        },
        html! {
            <>
                <div class={if multiple { "choices checkboxes" } else { "choices radios" }}>
                    { for listed }
                    { other_option }
                </div>
                { other_text }
                { clear }
            </>
        },
    )
}

/// A number field: an integer with its bounds, or a decimal (`None`).
fn number_field(
    parts: &Parts,
    field: NodeRef,
    integer: Option<(Option<i64>, Option<i64>)>,
) -> Html {
    let at = parts.props.at.as_str();
    let dispatch = parts.props.dispatch.clone();
    let question = at.to_string();
    let (min, max) = integer.unwrap_or_default();
    let integer = integer.is_some();
    let oninput = Callback::from(move |e: InputEvent| {
        let input = e.target_unchecked_into::<HtmlInputElement>();
        let mut text = input.value();
        // The browser hides what it cannot read as a number; keep the
        // field from counting as blank so validation speaks.
        if integer && text.is_empty() && input.validity().bad_input() {
            text = UNREADABLE_NUMBER.to_string();
        }
        dispatch.dispatch(Action::SetText {
            question: question.clone(),
            text,
        });
    });
    // A decimal is a text field: a number field refuses the decimal comma
    // of Russian and other keyboards in some browsers.
    html! {
        <input
            type={if integer { "number" } else { "text" }}
            inputmode={if integer { "numeric" } else { "decimal" }}
            class="number"
            ref={field}
            id={field_dom_id(at)}
            name={at.to_string()}
            step={integer.then_some("1")}
            min={min.map(|m| m.to_string())}
            max={max.map(|m| m.to_string())}
            autocomplete="off"
            aria-required={parts.aria_required()}
            aria-describedby={parts.described_by()}
            aria-invalid={parts.invalid()}
            {oninput}
        />
    }
}

fn text_area(parts: &Parts, max_length: u32, rows: u32) -> Html {
    let at = parts.props.at.as_str();
    let dispatch = parts.props.dispatch.clone();
    let question = at.to_string();
    let oninput = Callback::from(move |e: InputEvent| {
        let text = e.target_unchecked_into::<HtmlTextAreaElement>().value();
        dispatch.dispatch(Action::SetText {
            question: question.clone(),
            text,
        });
    });
    let value = match &parts.props.draft {
        Some(Draft::Text(t)) => t.clone(),
        _ => String::new(),
    };
    // No spellcheck: some browsers send the text to an online service.
    html! {
        <textarea
            id={field_dom_id(at)}
            name={at.to_string()}
            rows={rows.to_string()}
            maxlength={max_length.to_string()}
            autocomplete="off"
            spellcheck="false"
            lang={parts.text_lang.clone()}
            aria-required={parts.aria_required()}
            aria-describedby={parts.described_by()}
            aria-invalid={parts.invalid()}
            {value}
            {oninput}
        />
    }
}

/// 1 to `scale` as a row of radio buttons, the end labels under the ends.
fn rating(parts: &Parts, scale: u8, low: Option<&Text>, high: Option<&Text>) -> Html {
    let at = parts.props.at.as_str();
    let props = parts.props;
    let points = (1..=scale).map(|n| {
        let value = n.to_string();
        let id = choice_dom_id(at, &value);
        let checked = matches!(&props.draft, Some(Draft::Choice(c)) if *c == value);
        let dispatch = props.dispatch.clone();
        let (question, choice) = (at.to_string(), value.clone());
        let onchange = Callback::from(move |_: Event| {
            dispatch.dispatch(Action::Choose {
                question: question.clone(),
                choice: choice.clone(),
            });
        });
        // Screen readers hear the end labels with the end points.
        let end = match n {
            1 => low,
            n if n == scale => high,
            _ => None,
        };
        html! {
            <div class="point" key={value.clone()}>
                <input type="radio" id={id.clone()} name={at.to_string()} value={value.clone()} {checked} {onchange} />
                <label for={id}>
                    { value }
                    if let Some(end) = end {
                        <span class="visually-hidden" lang={parts.text_lang.clone()}>
                            { format!(" — {}", parts.tr(end)) }
                        </span>
                    }
                </label>
            </div>
        }
    });
    let ends = if low.is_some() || high.is_some() {
        html! {
            <div class="scale-ends" aria-hidden="true" lang={parts.text_lang.clone()}>
                <span>{ low.map(|t| parts.tr(t)).unwrap_or_default() }</span>
                <span>{ high.map(|t| parts.tr(t)).unwrap_or_default() }</span>
            </div>
        }
    } else {
        Html::default()
    };
    parts.fieldset(
        "rating",
        html! {
            <>
                <div class="scale">{ for points }</div>
                { ends }
                { parts.clear_button(choice_dom_id(at, "1")) }
            </>
        },
    )
}

/// Each statement as its own group of radio buttons on the shared scale:
/// readable on a 320 px phone, unlike a wide table.
fn grid(parts: &Parts, statements: &[Choice]) -> Html {
    let at = parts.props.at.as_str();
    let props = parts.props;
    let picked = |statement: &str, choice: &str| matches!(&props.draft, Some(Draft::Grid(m)) if m.get(statement).is_some_and(|c| c == choice));
    let rows = statements.iter().map(|s| {
        // The field name `runner::fields` reads.
        let name = format!("{}.{}", at, s.id);
        let options = props.options.iter().map(|c| {
            let id = grid_dom_id(at, &s.id, &c.id);
            let dispatch = props.dispatch.clone();
            let (question, statement, choice) = (at.to_string(), s.id.clone(), c.id.clone());
            let onchange = Callback::from(move |_: Event| {
                dispatch.dispatch(Action::Grade {
                    question: question.clone(),
                    statement: statement.clone(),
                    choice: choice.clone(),
                });
            });
            html! {
                <div class="choice" key={c.id.clone()}>
                    <input
                        type="radio"
                        id={id.clone()}
                        name={name.clone()}
                        value={c.id.clone()}
                        checked={picked(&s.id, &c.id)}
                        {onchange}
                    />
                    <label for={id} lang={parts.text_lang.clone()}>{ parts.tr(&c.label) }</label>
                </div>
            }
        });
        html! {
            <fieldset class="statement" key={s.id.clone()}>
                <legend lang={parts.text_lang.clone()}>{ parts.tr(&s.label) }</legend>
                <div class="choices radios compact">{ for options }</div>
            </fieldset>
        }
    });
    parts.fieldset("grid", html! { <>{ for rows }</> })
}

/// Per option a select of its rank: works without drag and drop, with a
/// keyboard and a screen reader. Giving a rank that another option has
/// swaps the two.
fn ranking(parts: &Parts) -> Html {
    let q = parts.q;
    let at = parts.props.at.as_str();
    let props = parts.props;
    let ranks = ranks_asked(&q.kind);
    let rank_of = |id: &str| match &props.draft {
        Some(Draft::Ranks(slots)) => slots
            .iter()
            .position(|s| s.as_deref() == Some(id))
            .map(|i| i + 1),
        _ => None,
    };
    let rows = props.options.iter().map(|c| {
        let id = rank_dom_id(at, &c.id);
        let dispatch = props.dispatch.clone();
        let (question, choice) = (at.to_string(), c.id.clone());
        let onchange = Callback::from(move |rank: Option<u32>| {
            dispatch.dispatch(Action::Rank {
                question: question.clone(),
                choice: choice.clone(),
                rank,
            });
        });
        html! {
            <div class="rank-row" key={c.id.clone()}>
                <RankSelect id={id.clone()} name={format!("{}.rank.{}", at, c.id)} {ranks} value={rank_of(&c.id)} {onchange} />
                <label for={id} lang={parts.text_lang.clone()}>{ parts.tr(&c.label) }</label>
            </div>
        }
    });
    parts.fieldset("ranking", html! { <div class="ranks">{ for rows }</div> })
}

#[derive(Properties, PartialEq)]
struct RankSelectProps {
    id: String,
    /// The field name `runner::fields` reads.
    name: String,
    ranks: usize,
    value: Option<usize>,
    onchange: Callback<Option<u32>>,
}

/// A select of "—, 1, …, k" whose value follows the state (yew does not
/// control a select's value; an effect sets it).
#[function_component]
fn RankSelect(props: &RankSelectProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.value, move |value| {
            if let Some(select) = node.cast::<HtmlSelectElement>() {
                select.set_value(&value.map(|r| r.to_string()).unwrap_or_default());
            }
        });
    }
    let onchange = {
        let emit = props.onchange.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            emit.emit(value.parse().ok());
        })
    };
    html! {
        <select ref={node} id={props.id.clone()} name={props.name.clone()} class="rank" {onchange}>
            <option value="" selected={props.value.is_none()}>{ NO_RANK }</option>
            { for (1..=props.ranks).map(|r| html! {
                <option value={r.to_string()} selected={props.value == Some(r)}>{ r }</option>
            }) }
        </select>
    }
}

/// A box to tick, labelled with the question.
fn consent(parts: &Parts) -> Html {
    let at = parts.props.at.as_str();
    let props = parts.props;
    let id = field_dom_id(at);
    let checked = matches!(props.draft, Some(Draft::Checked(true)));
    let dispatch = props.dispatch.clone();
    let question = at.to_string();
    let onchange = Callback::from(move |e: Event| {
        let checked = e.target_unchecked_into::<HtmlInputElement>().checked();
        dispatch.dispatch(Action::Check {
            question: question.clone(),
            checked,
        });
    });
    let consent_hint = format!("consent-hint-{}", at);
    let described_by = match parts.described_by() {
        Some(ids) => format!("{consent_hint} {ids}"),
        None => consent_hint.clone(),
    };
    html! {
        <div class={parts.class("consent")} data-question={at.to_string()}>
            { parts.hint() }
            { parts.errors() }
            <div class="choice">
                <input
                    type="checkbox"
                    id={id.clone()}
                    name={at.to_string()}
                    value="true"
                    {checked}
                    aria-required={parts.aria_required()}
                    aria-describedby={described_by}
                    aria-invalid={parts.invalid()}
                    {onchange}
                />
                <label for={id}>{ parts.label() }</label>
            </div>
            <p class="hint consent-hint" id={consent_hint}>{ ui(parts.lang, Ui::ConsentHint) }</p>
        </div>
    }
}
