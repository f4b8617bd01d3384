use surveys::i18n::{Ui, ui};
use yew::prelude::*;

use super::lang_attr;
use super::question::QuestionView;
use crate::state::{Action, Draft, Form, MAIN_HEADING_ID, SECTION_TITLE_ID, SendStatus, State};
use runner::answers::instance_key;
use runner::ids::{ERROR_SUMMARY_ID, field_dom_id};
use runner::other_key;
use surveys::Question;

#[derive(Properties, PartialEq)]
pub struct SurveyFormProps {
    pub lang: &'static str,
    pub form: Form,
    pub dispatch: UseReducerDispatcher<State>,
}

/// One page of a survey (a section, or every question when it has none),
/// with Back, Next or Submit.
#[function_component]
pub fn SurveyForm(props: &SurveyFormProps) -> Html {
    let lang = props.lang;
    let t = |k| ui(lang, k);
    let form = &props.form;
    let survey = &form.survey;
    let text_lang = lang_attr(survey.language(lang), lang);
    let sending = form.status == SendStatus::Sending;
    let vis = form.visible();
    let (page, pages) = form.position(&vis);
    let last = form.on_last_page(&vis);

    // Next and Submit are the form's submit button (so Enter in a field
    // presses it).
    let onsubmit = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            dispatch.dispatch(Action::NextPage);
        })
    };
    let on_leave = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::BackToList))
    };
    let on_previous = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::PreviousPage))
    };

    // One question keyed `at` (its id, or `incidents[2].when` in a
    // repeat's instance); `inner` is its place among the repeat's questions.
    let view = |q: &Question, index: usize, inner: Option<usize>, at: &str| {
        let other_text = match form.drafts.get(&other_key(at)) {
            Some(Draft::Text(t)) => Some(t.clone()),
            _ => None,
        };
        html! {
            <QuestionView
                key={at.to_string()}
                {lang}
                survey={survey.clone()}
                {index}
                {inner}
                at={AttrValue::from(at.to_string())}
                options={form.choices_offered_at(q, at, &vis).into_iter().cloned().collect::<Vec<_>>()}
                draft={form.drafts.get(at).cloned()}
                {other_text}
                required={vis.requires_at(at)}
                errors={form.errors_at(at).map(|e| e.message(lang)).collect::<Vec<_>>()}
                dispatch={props.dispatch.clone()}
            />
        }
    };
    let questions = form.page_questions(&vis).into_iter().map(|q| {
        let index = survey
            .questions
            .iter()
            .position(|x| x.id == q.id)
            .unwrap_or_default();
        if q.kind.is_repeat() {
            repeat(form, &vis, q, index, lang, &props.dispatch, &view)
        } else {
            view(q, index, None, &q.id)
        }
    });
    let summary = if form.shows_errors(&vis) {
        html! {
            <div id={ERROR_SUMMARY_ID} class="error-summary" role="alert" tabindex="-1">
                <p>{ t(Ui::FixErrors) }</p>
                { for form.stray_errors().map(|e| html! { <p>{ e.message(lang) }</p> }) }
            </div>
        }
    } else {
        Html::default()
    };

    let status = send_status(&form.status, lang);
    let description = survey.tr(&survey.description, lang);
    let section = form.section(&vis);

    html! {
        <form
            id="survey-form"
            class="survey-form"
            novalidate=true
            autocomplete="off"
            aria-busy={sending.then_some("true")}
            {onsubmit}
        >
            <h1 id={MAIN_HEADING_ID} tabindex="-1" lang={text_lang.clone()}>
                { survey.tr(&survey.title, lang) }
            </h1>
            if page == 1 {
                if !description.is_empty() {
                    <p class="description" lang={text_lang.clone()}>{ description }</p>
                }
                <p class="privacy">{ t(Ui::PrivacyNote) }</p>
            }
            if pages > 1 {
                <p id="page-indicator" class="page-indicator">
                    { t(Ui::PageXOfY).replace("{x}", &page.to_string()).replace("{y}", &pages.to_string()) }
                </p>
            }
            if let Some(section) = section {
                <h2 id={SECTION_TITLE_ID} tabindex="-1" lang={text_lang}>
                    { survey.tr(&section.title, lang) }
                </h2>
            }
            { summary }
            { for questions }
            <div class="send-status" role="status" aria-live="polite">{ status }</div>
            <div class="actions">
                <button id="next" type="submit" class="primary">
                    { if last { t(Ui::Review) } else { t(Ui::Next) } }
                </button>
                if page > 1 {
                    <button id="back" type="button" class="secondary" onclick={on_previous}>
                        { t(Ui::Back) }
                    </button>
                } else {
                    <button id="leave" type="button" class="secondary" onclick={on_leave}>
                        { t(Ui::AnotherSurvey) }
                    </button>
                }
            </div>
        </form>
    }
}

/// Where sending stands, as the notice under the form (the review's too).
pub fn send_status(status: &SendStatus, lang: &'static str) -> Html {
    let t = |k| ui(lang, k);
    match status {
        SendStatus::Editing => Html::default(),
        SendStatus::Sending => html! { <p class="notice">{ t(Ui::Sending) }</p> },
        SendStatus::NetworkError => {
            html! { <p class="notice problem">{ t(Ui::NetworkError) }</p> }
        }
        SendStatus::Refused(message) => html! { <p class="notice problem">{ message }</p> },
        SendStatus::SealFailed(failure) => {
            html! { <p class="notice problem">{ failure.message(lang) }</p> }
        }
    }
}

/// Draws question `q` (at `index` in the survey, `inner` among its
/// repeat's questions) keyed `at`.
type ViewQuestion<'a> = dyn Fn(&Question, usize, Option<usize>, &str) -> Html + 'a;

/// The element id of instance `k` of repeat `repeat` (its group, which
/// takes focus when it is added).
fn instance_dom_id(repeat: &str, k: usize) -> String {
    format!("instance-{repeat}-{k}")
}

/// A repeat: each instance's asked questions in a group of its own, with
/// "Remove" on each and "Add another" after them when the member chooses
/// how many. Focus goes to the new instance, or after a removal to the
/// repeat.
fn repeat(
    form: &Form,
    vis: &runner::Visibility,
    q: &Question,
    index: usize,
    lang: &'static str,
    dispatch: &UseReducerDispatcher<State>,
    view: &ViewQuestion,
) -> Html {
    let survey = &form.survey;
    let text_lang = lang_attr(survey.language(lang), lang);
    let label = survey.tr(&q.label, lang).to_string();
    let errors: Vec<String> = form.errors_at(&q.id).map(|e| e.message(lang)).collect();
    let error_id = (!errors.is_empty()).then(|| format!("err-{}", q.id));
    let chosen = q.kind.repeat_count().is_none();
    let n = form.instances(q, vis);
    let instances = (1..=n).map(|k| {
        let inner = q.kind.inner().iter().enumerate().filter_map(|(j, iq)| {
            let at = instance_key(&q.id, k, &iq.id);
            vis.asks_at(iq, &at).then(|| view(iq, index, Some(j), &at))
        });
        let remove = chosen.then(|| {
            let dispatch = dispatch.clone();
            let (repeat, focus) = (q.id.clone(), field_dom_id(&q.id));
            let onclick = Callback::from(move |_: MouseEvent| {
                dispatch.dispatch(Action::RemoveInstance(repeat.clone(), k));
                focus_soon(focus.clone());
            });
            html! {
                <button type="button" class="secondary remove" {onclick}>
                    { ui(lang, Ui::RemoveInstance) }
                    <span class="visually-hidden" lang={text_lang.clone()}>{ format!(" — {label} {k}") }</span>
                </button>
            }
        });
        html! {
            <fieldset class="instance" key={k} id={instance_dom_id(&q.id, k)} tabindex="-1" data-instance={k.to_string()}>
                <legend lang={text_lang.clone()}>{ format!("{label} {k}") }</legend>
                { for inner }
                { remove.unwrap_or_default() }
            </fieldset>
        }
    });
    let add = form.can_add_instance(q, vis).then(|| {
        let dispatch = dispatch.clone();
        let (repeat, focus) = (q.id.clone(), instance_dom_id(&q.id, n + 1));
        let onclick = Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::AddInstance(repeat.clone()));
            focus_soon(focus.clone());
        });
        html! {
            <button type="button" class="secondary add" id={format!("add-{}", q.id)} {onclick}>
                { ui(lang, if n == 0 { Ui::AddInstance } else { Ui::AddAnother }) }
                <span class="visually-hidden" lang={text_lang.clone()}>{ format!(" — {label}") }</span>
            </button>
        }
    });
    html! {
        <fieldset
            class={classes!("question", "repeat", error_id.as_ref().map(|_| "has-error"))}
            key={q.id.clone()}
            data-question={q.id.clone()}
            id={field_dom_id(&q.id)}
            tabindex="-1"
            aria-describedby={error_id.clone()}
        >
            <legend><span class="label-text" lang={text_lang.clone()}>{ label.clone() }</span></legend>
            if let Some(hint) = &q.hint {
                <p class="hint" lang={text_lang.clone()}>{ survey.tr(hint, lang) }</p>
            }
            if let Some(id) = error_id {
                <div class="error" {id}>
                    { for errors.iter().map(|m| html! { <p>{ m }</p> }) }
                </div>
            }
            { for instances }
            { add.unwrap_or_default() }
        </fieldset>
    }
}

/// Focuses element `id` once the page has been drawn again (it may be
/// new).
fn focus_soon(id: String) {
    wasm_bindgen_futures::spawn_local(async move {
        crate::dom::sleep(0).await;
        crate::dom::focus(&id);
    });
}
