//! Taking over a page the collector rendered (progressive enhancement).
//!
//! The collector's server-rendered runner sends every page as plain HTML
//! that works without scripts; with scripts on, the same page loads this
//! runner. Until the runner is ready the member may already be typing: so
//! the fields are read at the last moment, when the survey's definition has
//! arrived, by the same `runner::fields` that reads the server's form
//! posts, and the runner starts on the same page with the same drafts and
//! submission id. Only then is the server's markup replaced.

use surveys::Survey;
use wasm_bindgen::JsCast;
use web_sys::{Element, FormData, HtmlFormElement};

use crate::state::{Form, INITIAL_LANGUAGE, Screen, State};

/// What the collector rendered.
pub enum Rendered {
    /// Not a page of the collector's runner (or no server markup).
    Nothing,
    /// The list of surveys.
    List { lang: &'static str },
    /// A page (or the review) of a survey's form.
    Form {
        lang: &'static str,
        survey_id: String,
    },
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn page_lang() -> &'static str {
    let lang = document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    surveys::i18n::ui_language(&lang).unwrap_or(INITIAL_LANGUAGE)
}

/// Installs the runner's words that the server's page carries (in the
/// page's language); `None` when it carries none or they cannot be read.
pub fn install_page_words() -> Option<&'static str> {
    let block = document()?.get_element_by_id("chorus-words")?;
    let lang = block.get_attribute("data-lang")?;
    let words: Vec<String> = serde_json::from_str(&block.text_content()?).ok()?;
    surveys::i18n::install(&lang, words).ok()
}

fn ssr() -> Option<Element> {
    document()?.get_element_by_id("ssr")
}

fn ssr_form() -> Option<HtmlFormElement> {
    document()?
        .query_selector("#ssr form#survey-form[data-survey]")
        .ok()
        .flatten()?
        .dyn_into::<HtmlFormElement>()
        .ok()
}

/// What the page holds, read before the runner starts.
pub fn rendered() -> Rendered {
    if ssr().is_none() {
        return Rendered::Nothing;
    }
    let lang = page_lang();
    match ssr_form().and_then(|f| f.get_attribute("data-survey")) {
        Some(survey_id) => Rendered::Form { lang, survey_id },
        None => {
            // A page of the list kind only if it lists surveys.
            let listed = document()
                .and_then(|d| d.query_selector("#ssr .survey-list").ok().flatten())
                .is_some();
            if listed {
                Rendered::List { lang }
            } else {
                Rendered::Nothing
            }
        }
    }
}

/// Every field of the server's form as it would be posted now.
fn fields(form: &HtmlFormElement) -> Option<Vec<(String, String)>> {
    let data = FormData::new_with_form(form).ok()?;
    let mut out = Vec::new();
    for entry in js_sys::try_iter(&data).ok()??.flatten() {
        let pair: js_sys::Array = entry.dyn_into().ok()?;
        let name = pair.get(0).as_string()?;
        // Files cannot occur in these forms; anything not text is skipped.
        if let Some(value) = pair.get(1).as_string() {
            out.push((name, value));
        }
    }
    Some(out)
}

/// The runner's state for the form on the page, now that `survey` (its
/// current definition) has arrived; `None` when the page's form cannot be
/// read as this survey's (another version, say): the server's page then
/// stays and keeps working.
pub fn form_state(survey: Survey, lang: &'static str) -> Option<State> {
    let form = ssr_form()?;
    let fields = fields(&form)?;
    let get = |n: &str| fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if get("_v")? != survey.version.to_string() {
        return None;
    }
    let sid = get("_sid")?.to_string();
    let drafts = runner::fields::decode(&survey, &fields).ok()?;
    let mut core = runner::Form::new(survey, sid);
    core.drafts = drafts;
    if get("_review") == Some("1") {
        core.review();
    } else {
        core.set_page(get("_page")?.parse().ok()?);
    }
    Some(State {
        lang,
        screen: Screen::Form(Form::from_core(core)),
        ..State::default()
    })
}

/// Removes the server's markup, just before the runner renders its own.
pub fn remove_server_page() {
    if let Some(e) = ssr() {
        e.remove();
    }
}
