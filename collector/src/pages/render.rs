//! The HTML of the server-rendered runner: the same markup, ids, field
//! names and CSS classes as the WASM runner's components, written as text.
//! No inline script or style: the policy stays strict.

use std::fmt::Write;

use runner::ids::{
    ERROR_SUMMARY_ID, MAIN_HEADING_ID, SECTION_TITLE_ID, choice_dom_id, field_dom_id, grid_dom_id,
    rank_dom_id,
};
use runner::{Draft, FieldError, Form, OTHER, Visibility, date_bound, other_key, ranks_asked};
use surveys::i18n::{Ui, ui};
use surveys::{Question, QuestionKind, Survey, SurveySummary, Text};

/// Text and attribute values, escaped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// ` lang="xx"` when the texts are in another language than the page's.
fn lang_attr(text_lang: &str, page_lang: &str) -> String {
    if text_lang == page_lang {
        String::new()
    } else {
        format!(" lang=\"{}\"", esc(text_lang))
    }
}

/// What every page shares: its language, the operator's exit address and
/// the language links.
#[derive(Clone, Copy)]
pub struct Chrome<'a> {
    pub lang: &'a str,
    pub exit_url: &'a str,
    /// Where each language's version of this page is, when a plain link can
    /// switch (`None` on a form: there the switch is part of the form).
    pub lang_links: Option<&'a dyn Fn(&str) -> String>,
}

impl std::fmt::Debug for Chrome<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chrome")
            .field("lang", &self.lang)
            .field("exit_url", &self.exit_url)
            .finish_non_exhaustive()
    }
}

/// The skip link, the quick exit (first after it), and the header.
pub fn header(c: &Chrome) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<a class=\"skip-link\" href=\"#main\">{}</a>\
         <a id=\"quick-exit\" class=\"quick-exit\" href=\"{}\" rel=\"noreferrer\">{}</a>\
         <header class=\"site-header\"><div class=\"wrap bar\"><span class=\"brand\">{}</span>",
        esc(ui(c.lang, Ui::SkipToContent)),
        esc(c.exit_url),
        esc(ui(c.lang, Ui::QuickExit)),
        esc(ui(c.lang, Ui::AppName)),
    );
    if let Some(link) = c.lang_links {
        let _ = write!(
            h,
            "<nav class=\"langs\" aria-label=\"{}\">",
            esc(ui(c.lang, Ui::Language))
        );
        for &(code, name) in surveys::i18n::UI_LANGUAGES {
            let current = if code == c.lang {
                " aria-current=\"true\""
            } else {
                ""
            };
            let _ = write!(
                h,
                "<a class=\"lang\" href=\"{}\" lang=\"{code}\" hreflang=\"{code}\"{current}>{}</a>",
                esc(&link(code)),
                esc(name)
            );
        }
        h.push_str("</nav>");
    }
    h.push_str("</div></header>");
    h
}

/// The list of open surveys, each a link to its form.
pub fn list(c: &Chrome, surveys: &[SurveySummary]) -> String {
    let lang = c.lang;
    let t = |k| esc(ui(lang, k));
    let mut h = format!(
        "<section class=\"survey-list\"><h1 id=\"{MAIN_HEADING_ID}\" tabindex=\"-1\">{}</h1>\
         <p class=\"privacy\">{}</p>",
        t(Ui::OpenSurveys),
        t(Ui::PrivacyNote)
    );
    if surveys.is_empty() {
        let _ = write!(h, "<p class=\"notice\">{}</p>", t(Ui::NoSurveys));
    } else {
        h.push_str("<ul class=\"surveys\">");
        for s in surveys {
            let tl = lang_attr(s.language(lang), lang);
            let id = esc(&s.id);
            let seg = surveys::path_segment(&s.id);
            let _ = write!(
                h,
                "<li class=\"card\"><h2 id=\"title-{id}\"{tl}>{}</h2>",
                esc(s.tr(&s.title, lang))
            );
            let description = s.tr(&s.description, lang);
            if !description.is_empty() {
                let _ = write!(h, "<p{tl}>{}</p>", esc(description));
            }
            let _ = write!(
                h,
                "<div class=\"actions\"><a class=\"button primary\" data-survey=\"{id}\" \
                 href=\"/s/{seg}?lang={}\" aria-describedby=\"title-{id}\">{}</a>\
                 <a class=\"results\" href=\"/results/{seg}\">{}</a></div></li>",
                esc(lang),
                t(Ui::Start),
                t(Ui::Results)
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>");
    h
}

/// What a form page shows besides the questions.
#[derive(Debug, Default)]
pub struct Notices<'a> {
    /// The page was shown again because answers made more of its
    /// questions relevant.
    pub more_questions: bool,
    /// The page was shown again because answers changed the options of
    /// its questions, taking away one that had been picked.
    pub options_changed: bool,
    /// A refusal of the whole submission, in the collector's words.
    pub refused: Option<&'a str>,
}

/// The hidden fields every post of a form carries: who it is, where it is,
/// and the drafts not shown as fields on this page.
fn hidden_fields(
    form: &Form,
    lang: &str,
    page: Option<(usize, &Visibility)>,
    shown: &[&Question],
) -> String {
    let mut h = String::new();
    let mut hidden = |name: &str, value: &str| {
        let _ = write!(
            h,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(name),
            esc(value)
        );
    };
    hidden("_sid", &form.submission_id);
    hidden("_v", &form.survey.version.to_string());
    hidden("_lang", lang);
    // The keys of the fields on this page (inside a repeat, those of each
    // instance's asked questions): their drafts are the page's to send.
    let mut keys: Vec<String> = Vec::new();
    match page {
        Some((p, vis)) => {
            hidden("_page", &p.to_string());
            keys = shown.iter().flat_map(|q| form.shown_keys(q, vis)).collect();
            hidden("_shown", &keys.join(" "));
        }
        None => hidden("_review", "1"),
    }
    let on_page = |key: &str| {
        keys.iter().any(|k| {
            let repeat = form.survey.question(k).is_some_and(|q| q.kind.is_repeat());
            !repeat && (k == key || other_key(k) == key)
        })
    };
    let carried: std::collections::BTreeMap<String, Draft> = form
        .drafts
        .iter()
        .filter(|(k, _)| !on_page(k))
        .map(|(k, d)| (k.clone(), d.clone()))
        .collect();
    for (name, value) in runner::fields::encode(&carried) {
        hidden(&name, &value);
    }
    h
}

/// The form's opening: its element with what the WASM runner needs to take
/// it over, the title, and on the first page the description.
fn form_open(form: &Form, lang: &str, first: bool, review: bool) -> String {
    let survey = &form.survey;
    let tl = lang_attr(survey.language(lang), lang);
    let mut h = format!(
        "<form id=\"survey-form\" class=\"survey-form\" method=\"post\" action=\"/s/{}\" \
         novalidate autocomplete=\"off\" data-survey=\"{}\"{}>\
         <h1 id=\"{MAIN_HEADING_ID}\" tabindex=\"-1\"{tl}>{}</h1>",
        surveys::path_segment(&survey.id),
        esc(&survey.id),
        if review { " data-review=\"1\"" } else { "" },
        esc(survey.tr(&survey.title, lang)),
    );
    if first {
        let description = survey.tr(&survey.description, lang);
        if !description.is_empty() {
            let _ = write!(h, "<p class=\"description\"{tl}>{}</p>", esc(description));
        }
        let _ = write!(
            h,
            "<p class=\"privacy\">{}</p>",
            esc(ui(lang, Ui::PrivacyNote))
        );
    }
    h
}

/// The language switch of a form: buttons that post the answers so far
/// and show the same page in another language. After the actions, so that
/// Enter in a field presses Next.
fn form_langs(lang: &str) -> String {
    let mut h = format!(
        "<nav class=\"langs form-langs\" aria-label=\"{}\">",
        esc(ui(lang, Ui::Language))
    );
    for &(code, name) in surveys::i18n::UI_LANGUAGES {
        let current = if code == lang {
            " aria-current=\"true\""
        } else {
            ""
        };
        let _ = write!(
            h,
            "<button type=\"submit\" class=\"lang\" name=\"_go\" value=\"lang.{code}\" lang=\"{code}\"{current}>{}</button>",
            esc(name)
        );
    }
    h.push_str("</nav>");
    h
}

/// One page of a form, with its errors, Next or "Review answers", and Back.
pub fn form_page(c: &Chrome, form: &Form, vis: &Visibility, notices: &Notices) -> String {
    let lang = c.lang;
    let t = |k| esc(ui(lang, k));
    let survey = &form.survey;
    let tl = lang_attr(survey.language(lang), lang);
    let (page, pages) = form.position(vis);
    let current = form.current_page(vis);
    let questions = form.page_questions(vis);
    let mut h = form_open(form, lang, page == 1, false);
    if pages > 1 {
        let _ = write!(
            h,
            "<p id=\"page-indicator\" class=\"page-indicator\">{}</p>",
            esc(&ui(lang, Ui::PageXOfY)
                .replace("{x}", &page.to_string())
                .replace("{y}", &pages.to_string()))
        );
    }
    if let Some(section) = form.section(vis) {
        let _ = write!(
            h,
            "<h2 id=\"{SECTION_TITLE_ID}\" tabindex=\"-1\"{tl}>{}</h2>",
            esc(survey.tr(&section.title, lang))
        );
    }
    if notices.more_questions {
        let _ = write!(
            h,
            "<p class=\"notice\" role=\"status\">{}</p>",
            t(Ui::MoreQuestions)
        );
    }
    if notices.options_changed {
        let _ = write!(
            h,
            "<p class=\"notice\" role=\"status\">{}</p>",
            t(Ui::OptionsChanged)
        );
    }
    if form.shows_errors(vis) {
        h.push_str(&error_summary(form, &questions, lang));
    }
    for q in &questions {
        h.push_str(&question(form, q, vis, lang));
    }
    if let Some(message) = notices.refused {
        let _ = write!(
            h,
            "<div class=\"send-status\" role=\"status\"><p class=\"notice problem\">{}</p></div>",
            esc(message)
        );
    }
    h.push_str(&hidden_fields(
        form,
        lang,
        current.map(|p| (p, vis)),
        &questions,
    ));
    let last = form.on_last_page(vis);
    let _ = write!(
        h,
        "<div class=\"actions\"><button id=\"next\" type=\"submit\" class=\"primary\" name=\"_go\" value=\"next\">{}</button>",
        if last { t(Ui::Review) } else { t(Ui::Next) }
    );
    if page > 1 {
        let _ = write!(
            h,
            "<button id=\"back\" type=\"submit\" class=\"secondary\" name=\"_go\" value=\"back\">{}</button>",
            t(Ui::Back)
        );
    } else {
        let _ = write!(
            h,
            "<a id=\"leave\" class=\"button secondary\" href=\"/?lang={}\">{}</a>",
            esc(lang),
            t(Ui::AnotherSurvey)
        );
    }
    h.push_str("</div>");
    h.push_str(&form_langs(lang));
    h.push_str("</form>");
    h
}

/// The summary at the top of a page with errors: the message, then a link
/// to each field with an error, and errors about no question.
fn error_summary(form: &Form, questions: &[&Question], lang: &str) -> String {
    let mut h = format!(
        "<div id=\"{ERROR_SUMMARY_ID}\" class=\"error-summary\" role=\"alert\" tabindex=\"-1\"><p>{}</p><ul>",
        esc(ui(lang, Ui::FixErrors))
    );
    for q in questions {
        for e in form.errors_for(q) {
            let _ = write!(
                h,
                "<li><a href=\"#{}\">{}: {}</a></li>",
                esc(&form.error_target(q, e)),
                esc(&form.error_label(q, e, lang)),
                esc(&e.message(lang))
            );
        }
    }
    h.push_str("</ul>");
    for e in form.stray_errors() {
        let _ = write!(h, "<p>{}</p>", esc(&e.message(lang)));
    }
    h.push_str("</div>");
    h
}

/// Ids and attributes shared by every kind of question.
struct Parts<'a> {
    form: &'a Form,
    q: &'a Question,
    /// Its key: its id, or inside a repeat's instance `incidents[2].when`
    /// (fields' names, element ids and drafts use it).
    key: &'a str,
    /// What is asked now: the options a cascading select offers.
    vis: &'a Visibility,
    lang: &'a str,
    required: bool,
    errors: Vec<&'a FieldError>,
    tl: String,
    hint_id: Option<String>,
    error_id: Option<String>,
}

impl Parts<'_> {
    fn tr<'s>(&'s self, text: &'s Text) -> &'s str {
        self.form.survey.tr(text, self.lang)
    }

    /// ` aria-describedby="…"`: the hint and the error.
    fn described_by(&self) -> String {
        let ids: Vec<&str> = [self.hint_id.as_deref(), self.error_id.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if ids.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"{}\"", esc(&ids.join(" ")))
        }
    }

    fn field_attrs(&self) -> String {
        let mut a = String::new();
        if self.required {
            a.push_str(" aria-required=\"true\"");
        }
        a.push_str(&self.described_by());
        if self.error_id.is_some() {
            a.push_str(" aria-invalid=\"true\"");
        }
        a
    }

    fn class(&self, kind: &str) -> String {
        if self.error_id.is_some() {
            format!("question {kind} has-error")
        } else {
            format!("question {kind}")
        }
    }

    fn label(&self) -> String {
        let mut h = format!(
            "<span class=\"label-text\"{}>{}</span>",
            self.tl,
            esc(self.tr(&self.q.label))
        );
        if self.required {
            let _ = write!(
                h,
                " <span class=\"req\">{}</span>",
                esc(ui(self.lang, Ui::Required))
            );
        }
        h
    }

    fn hint(&self) -> String {
        match (&self.q.hint, &self.hint_id) {
            (Some(hint), Some(id)) => format!(
                "<p class=\"hint\" id=\"{}\"{}>{}</p>",
                esc(id),
                self.tl,
                esc(self.tr(hint))
            ),
            _ => String::new(),
        }
    }

    fn errors(&self) -> String {
        match &self.error_id {
            Some(id) => {
                let mut h = format!("<div class=\"error\" id=\"{}\">", esc(id));
                for e in &self.errors {
                    let _ = write!(h, "<p>{}</p>", esc(&e.message(self.lang)));
                }
                h.push_str("</div>");
                h
            }
            None => String::new(),
        }
    }

    fn fieldset(&self, kind: &str, body: &str) -> String {
        let invalid = if self.error_id.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        };
        format!(
            "<fieldset class=\"{}\" data-question=\"{}\"{}{invalid}><legend>{}</legend>{}{}{body}</fieldset>",
            self.class(kind),
            esc(self.key),
            self.described_by(),
            self.label(),
            self.hint(),
            self.errors()
        )
    }

    fn single_field(&self, kind: &str, field: &str) -> String {
        format!(
            "<div class=\"{}\" data-question=\"{}\"><label class=\"q-label\" for=\"{}\">{}</label>{}{}{field}</div>",
            self.class(kind),
            esc(self.key),
            esc(&field_dom_id(self.key)),
            self.label(),
            self.hint(),
            self.errors()
        )
    }

    fn draft(&self) -> Option<&Draft> {
        self.form.drafts.get(self.key)
    }

    fn text(&self) -> &str {
        match self.draft() {
            Some(Draft::Text(t)) => t,
            _ => "",
        }
    }
}

/// One question with its label, hint, fields and errors.
pub fn question(form: &Form, q: &Question, vis: &Visibility, lang: &str) -> String {
    if q.kind.is_repeat() {
        repeat(form, q, vis, lang)
    } else {
        question_at(form, q, &q.id, vis, lang)
    }
}

/// A repeat: each instance's asked questions in a group of its own, with
/// "Remove" on each and "Add another" after them when the member chooses
/// how many (buttons that post the page, so they work without scripts).
fn repeat(form: &Form, q: &Question, vis: &Visibility, lang: &str) -> String {
    let tl = lang_attr(form.survey.language(lang), lang);
    let label = form.survey.tr(&q.label, lang);
    let errors: Vec<&FieldError> = form.errors_at(&q.id).collect();
    let chosen = q.kind.repeat_count().is_none();
    let n = form.instances(q, vis);
    let mut h = format!(
        "<fieldset class=\"question repeat{}\" data-question=\"{}\" id=\"{}\" tabindex=\"-1\"{}><legend><span class=\"label-text\"{tl}>{}</span></legend>",
        if errors.is_empty() { "" } else { " has-error" },
        esc(&q.id),
        esc(&field_dom_id(&q.id)),
        if errors.is_empty() {
            String::new()
        } else {
            format!(" aria-describedby=\"err-{}\"", esc(&q.id))
        },
        esc(label)
    );
    if let Some(hint) = &q.hint {
        let _ = write!(
            h,
            "<p class=\"hint\"{tl}>{}</p>",
            esc(form.survey.tr(hint, lang))
        );
    }
    if !errors.is_empty() {
        let _ = write!(h, "<div class=\"error\" id=\"err-{}\">", esc(&q.id));
        for e in &errors {
            let _ = write!(h, "<p>{}</p>", esc(&e.message(lang)));
        }
        h.push_str("</div>");
    }
    for k in 1..=n {
        let _ = write!(
            h,
            "<fieldset class=\"instance\" id=\"instance-{}-{k}\" tabindex=\"-1\" data-instance=\"{k}\"><legend{tl}>{} {k}</legend>",
            esc(&q.id),
            esc(label)
        );
        for iq in q.kind.inner() {
            let key = runner::answers::instance_key(&q.id, k, &iq.id);
            if vis.asks_at(iq, &key) {
                h.push_str(&question_at(form, iq, &key, vis, lang));
            }
        }
        if chosen {
            let _ = write!(
                h,
                "<button type=\"submit\" class=\"secondary remove\" name=\"_go\" value=\"remove.{}.{k}\">{}<span class=\"visually-hidden\"{tl}> — {} {k}</span></button>",
                esc(&q.id),
                esc(ui(lang, Ui::RemoveInstance)),
                esc(label)
            );
        }
        h.push_str("</fieldset>");
    }
    if form.can_add_instance(q, vis) {
        let _ = write!(
            h,
            "<button type=\"submit\" class=\"secondary add\" id=\"add-{}\" name=\"_go\" value=\"add.{}\">{}<span class=\"visually-hidden\"{tl}> — {}</span></button>",
            esc(&q.id),
            esc(&q.id),
            esc(ui(
                lang,
                if n == 0 {
                    Ui::AddInstance
                } else {
                    Ui::AddAnother
                }
            )),
            esc(label)
        );
    }
    h.push_str("</fieldset>");
    h
}

/// Question `q` keyed `key`: its id, or in a repeat's instance
/// `incidents[2].when`.
fn question_at(form: &Form, q: &Question, key: &str, vis: &Visibility, lang: &str) -> String {
    let errors: Vec<&FieldError> = form.errors_at(key).collect();
    let parts = Parts {
        form,
        q,
        key,
        vis,
        lang,
        required: vis.requires_at(key),
        tl: lang_attr(form.survey.language(lang), lang),
        hint_id: q.hint.as_ref().map(|_| format!("hint-{key}")),
        error_id: (!errors.is_empty()).then(|| format!("err-{key}")),
        errors,
    };
    let id = esc(&field_dom_id(key));
    let name = esc(key);
    let attrs = parts.field_attrs();
    match &q.kind {
        QuestionKind::SingleChoice { other, .. } => choices(&parts, false, *other),
        QuestionKind::MultipleChoice { other, .. } => choices(&parts, true, *other),
        QuestionKind::Integer { min, max } => {
            let bound = |k: &str, b: &Option<i64>| b.map(|b| format!(" {k}=\"{b}\"")).unwrap_or_default();
            parts.single_field(
                "integer",
                &format!(
                    "<input type=\"number\" inputmode=\"numeric\" class=\"number\" id=\"{id}\" name=\"{name}\" step=\"1\"{}{} value=\"{}\" autocomplete=\"off\"{attrs}>",
                    bound("min", min),
                    bound("max", max),
                    esc(parts.text())
                ),
            )
        }
        QuestionKind::Decimal { .. } => parts.single_field(
            "decimal",
            &format!(
                "<input type=\"text\" inputmode=\"decimal\" class=\"number\" id=\"{id}\" name=\"{name}\" value=\"{}\" autocomplete=\"off\"{attrs}>",
                esc(parts.text())
            ),
        ),
        QuestionKind::Date { min, max } => {
            let day = runner::today();
            let bound = |k: &str, b: &Option<String>| {
                b.as_deref()
                    .map(|b| format!(" {k}=\"{}\"", esc(&date_bound(b, day))))
                    .unwrap_or_default()
            };
            parts.single_field(
                "date",
                &format!(
                    "<input type=\"date\" class=\"date\" id=\"{id}\" name=\"{name}\"{}{} value=\"{}\" autocomplete=\"off\"{attrs}>",
                    bound("min", min),
                    bound("max", max),
                    esc(parts.text())
                ),
            )
        }
        QuestionKind::ShortText { max_length } => {
            parts.single_field("short-text", &text_area(&parts, *max_length, 3))
        }
        QuestionKind::LongText { max_length } => {
            parts.single_field("long-text", &text_area(&parts, *max_length, 8))
        }
        QuestionKind::Rating {
            scale,
            low_label,
            high_label,
        } => rating(&parts, *scale, low_label.as_ref(), high_label.as_ref()),
        QuestionKind::Grid { statements, .. } => grid(&parts, statements),
        QuestionKind::Ranking { .. } => ranking(&parts),
        QuestionKind::Note => format!(
            "<div class=\"question note\" data-question=\"{name}\"><p class=\"note-text\"{}>{}</p>{}</div>",
            parts.tl,
            esc(parts.tr(&q.label)),
            parts.hint()
        ),
        QuestionKind::Consent => consent(&parts),
        QuestionKind::Calculate { .. } | QuestionKind::Repeat { .. } => String::new(),
    }
}

fn text_area(parts: &Parts, max_length: u32, rows: u32) -> String {
    format!(
        "<textarea id=\"{}\" name=\"{}\" rows=\"{rows}\" maxlength=\"{max_length}\" autocomplete=\"off\" spellcheck=\"false\"{}{}>{}</textarea>",
        esc(&field_dom_id(parts.key)),
        esc(parts.key),
        parts.tl,
        parts.field_attrs(),
        esc(parts.text())
    )
}

fn choices(parts: &Parts, multiple: bool, other: bool) -> String {
    let q = parts.q;
    let picked = |id: &str| match parts.draft() {
        Some(Draft::Choices(l)) => l.iter().any(|c| c == id),
        Some(Draft::Choice(c)) => c == id,
        _ => false,
    };
    let kind = if multiple { "checkbox" } else { "radio" };
    let option = |id: &str, label: &str, label_id: Option<&str>| {
        let dom_id = esc(&choice_dom_id(parts.key, id));
        format!(
            "<div class=\"choice\"><input type=\"{kind}\" id=\"{dom_id}\" name=\"{}\" value=\"{}\"{}><label for=\"{dom_id}\"{}>{label}</label></div>",
            esc(parts.key),
            esc(id),
            if picked(id) { " checked" } else { "" },
            label_id
                .map(|l| format!(" id=\"{}\"", esc(l)))
                .unwrap_or_default()
        )
    };
    let mut body = format!(
        "<div class=\"{}\">",
        if multiple {
            "choices checkboxes"
        } else {
            "choices radios"
        }
    );
    for c in parts.form.choices_offered_at(q, parts.key, parts.vis) {
        body.push_str(&option(
            &c.id,
            &format!("<span{}>{}</span>", parts.tl, esc(parts.tr(&c.label))),
            None,
        ));
    }
    let other_label_id = format!("label-{}-{OTHER}", parts.key);
    if other {
        body.push_str(&option(
            OTHER,
            &esc(ui(parts.lang, Ui::OtherSpecify)),
            Some(&other_label_id),
        ));
    }
    body.push_str("</div>");
    if other {
        // Without scripts the text is always there: it counts only when
        // "other" is chosen (as in the WASM runner, which shows it then).
        let key = other_key(parts.key);
        let text = match parts.form.drafts.get(&key) {
            Some(Draft::Text(t)) => t.as_str(),
            _ => "",
        };
        let _ = write!(
            body,
            "<input type=\"text\" class=\"other-text\" id=\"{}\" name=\"{}\" maxlength=\"{}\" autocomplete=\"off\" spellcheck=\"false\" aria-labelledby=\"{}\" value=\"{}\">",
            esc(&field_dom_id(&key)),
            esc(&key),
            surveys::model::SHORT_TEXT_DEFAULT_MAX,
            esc(&other_label_id),
            esc(text)
        );
    }
    parts.fieldset(
        if multiple {
            "multiple-choice"
        } else {
            "single-choice"
        },
        &body,
    )
}

fn rating(parts: &Parts, scale: u8, low: Option<&Text>, high: Option<&Text>) -> String {
    let mut body = String::from("<div class=\"scale\">");
    for n in 1..=scale {
        let value = n.to_string();
        let id = esc(&choice_dom_id(parts.key, &value));
        let checked = matches!(parts.draft(), Some(Draft::Choice(c)) if *c == value);
        let end = match n {
            1 => low,
            n if n == scale => high,
            _ => None,
        };
        let _ = write!(
            body,
            "<div class=\"point\"><input type=\"radio\" id=\"{id}\" name=\"{}\" value=\"{value}\"{}><label for=\"{id}\">{value}{}</label></div>",
            esc(parts.key),
            if checked { " checked" } else { "" },
            end.map(|e| format!(
                "<span class=\"visually-hidden\"{}> — {}</span>",
                parts.tl,
                esc(parts.tr(e))
            ))
            .unwrap_or_default()
        );
    }
    body.push_str("</div>");
    if low.is_some() || high.is_some() {
        let _ = write!(
            body,
            "<div class=\"scale-ends\" aria-hidden=\"true\"{}><span>{}</span><span>{}</span></div>",
            parts.tl,
            esc(low.map(|t| parts.tr(t)).unwrap_or_default()),
            esc(high.map(|t| parts.tr(t)).unwrap_or_default())
        );
    }
    parts.fieldset("rating", &body)
}

fn grid(parts: &Parts, statements: &[surveys::Choice]) -> String {
    let q = parts.q;
    let mut body = String::new();
    for s in statements {
        let name = esc(&format!("{}.{}", parts.key, s.id));
        let _ = write!(
            body,
            "<fieldset class=\"statement\"><legend{}>{}</legend><div class=\"choices radios compact\">",
            parts.tl,
            esc(parts.tr(&s.label))
        );
        for c in parts.form.choices_in_order(q) {
            let id = esc(&grid_dom_id(parts.key, &s.id, &c.id));
            let checked =
                matches!(parts.draft(), Some(Draft::Grid(m)) if m.get(&s.id) == Some(&c.id));
            let _ = write!(
                body,
                "<div class=\"choice\"><input type=\"radio\" id=\"{id}\" name=\"{name}\" value=\"{}\"{}><label for=\"{id}\"{}>{}</label></div>",
                esc(&c.id),
                if checked { " checked" } else { "" },
                parts.tl,
                esc(parts.tr(&c.label))
            );
        }
        body.push_str("</div></fieldset>");
    }
    parts.fieldset("grid", &body)
}

fn ranking(parts: &Parts) -> String {
    let q = parts.q;
    let ranks = ranks_asked(&q.kind);
    let rank_of = |id: &str| match parts.draft() {
        Some(Draft::Ranks(slots)) => slots
            .iter()
            .position(|s| s.as_deref() == Some(id))
            .map(|i| i + 1),
        _ => None,
    };
    let mut body = String::from("<div class=\"ranks\">");
    for c in parts.form.choices_in_order(q) {
        let id = esc(&rank_dom_id(parts.key, &c.id));
        let value = rank_of(&c.id);
        let _ = write!(
            body,
            "<div class=\"rank-row\"><select id=\"{id}\" name=\"{}\" class=\"rank\"><option value=\"\"{}>—</option>",
            esc(&format!("{}.rank.{}", parts.key, c.id)),
            if value.is_none() { " selected" } else { "" }
        );
        for r in 1..=ranks {
            let _ = write!(
                body,
                "<option value=\"{r}\"{}>{r}</option>",
                if value == Some(r) { " selected" } else { "" }
            );
        }
        let _ = write!(
            body,
            "</select><label for=\"{id}\"{}>{}</label></div>",
            parts.tl,
            esc(parts.tr(&c.label))
        );
    }
    body.push_str("</div>");
    parts.fieldset("ranking", &body)
}

fn consent(parts: &Parts) -> String {
    let id = esc(&field_dom_id(parts.key));
    let checked = matches!(parts.draft(), Some(Draft::Checked(true)));
    let consent_hint = format!("consent-hint-{}", parts.key);
    let ids: Vec<&str> = [
        Some(consent_hint.as_str()),
        parts.hint_id.as_deref(),
        parts.error_id.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!(
        "<div class=\"{}\" data-question=\"{}\">{}{}<div class=\"choice\"><input type=\"checkbox\" id=\"{id}\" name=\"{}\" value=\"true\"{}{} aria-describedby=\"{}\"{}><label for=\"{id}\">{}</label></div><p class=\"hint consent-hint\" id=\"{}\">{}</p></div>",
        parts.class("consent"),
        esc(parts.key),
        parts.hint(),
        parts.errors(),
        esc(parts.key),
        if checked { " checked" } else { "" },
        if parts.required {
            " aria-required=\"true\""
        } else {
            ""
        },
        esc(&ids.join(" ")),
        if parts.error_id.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
        parts.label(),
        esc(&consent_hint),
        esc(ui(parts.lang, Ui::ConsentHint))
    )
}

/// The review of every answer, with "Change" per page, Submit and Back.
pub fn review(c: &Chrome, form: &Form, notices: &Notices) -> String {
    let lang = c.lang;
    let t = |k| esc(ui(lang, k));
    let survey = &form.survey;
    let tl = lang_attr(survey.language(lang), lang);
    let mut h = form_open(form, lang, false, true);
    let _ = write!(
        h,
        "<h2 id=\"{SECTION_TITLE_ID}\" tabindex=\"-1\">{}</h2><p class=\"notice\">{}</p>",
        t(Ui::ReviewHeading),
        t(Ui::ReviewNote)
    );
    if form.stray_errors().next().is_some() {
        let _ = write!(
            h,
            "<div id=\"{ERROR_SUMMARY_ID}\" class=\"error-summary\" role=\"alert\" tabindex=\"-1\"><p>{}</p>",
            t(Ui::FixErrors)
        );
        for e in form.stray_errors() {
            let _ = write!(h, "<p>{}</p>", esc(&e.message(lang)));
        }
        h.push_str("</div>");
    }
    for page in runner::review::review(form, lang) {
        h.push_str("<section class=\"review-page\">");
        if let Some(title) = page.title {
            let _ = write!(h, "<h3{tl}>{}</h3>", esc(title));
        }
        h.push_str("<dl class=\"review-answers\">");
        for (label, answer) in &page.answers {
            let _ = write!(h, "<dt{tl}>{}</dt><dd>{}</dd>", esc(label), esc(answer));
        }
        let _ = write!(
            h,
            "</dl><button type=\"submit\" class=\"secondary change\" name=\"_go\" value=\"change.{}\">{}</button></section>",
            page.page,
            t(Ui::Change)
        );
    }
    if let Some(message) = notices.refused {
        let _ = write!(
            h,
            "<div class=\"send-status\" role=\"status\"><p class=\"notice problem\">{}</p></div>",
            esc(message)
        );
    }
    h.push_str(&hidden_fields(form, lang, None, &[]));
    let _ = write!(
        h,
        "<div class=\"actions\"><button id=\"submit\" type=\"submit\" class=\"primary\" name=\"_go\" value=\"send\">{}</button>\
         <button id=\"back\" type=\"submit\" class=\"secondary\" name=\"_go\" value=\"back\">{}</button></div>",
        t(Ui::Submit),
        t(Ui::Back)
    );
    h.push_str(&form_langs(lang));
    h.push_str("</form>");
    h
}

/// Shown once the collector has stored the answers.
pub fn confirmation(c: &Chrome, survey: &Survey) -> String {
    let lang = c.lang;
    format!(
        "<section id=\"confirmation\" class=\"confirmation\"><p class=\"survey-name\"{}>{}</p>\
         <h1 id=\"{MAIN_HEADING_ID}\" tabindex=\"-1\">{}</h1><p>{}</p>\
         <div class=\"actions\"><a class=\"button primary\" href=\"/?lang={}\">{}</a></div></section>",
        lang_attr(survey.language(lang), lang),
        esc(survey.tr(&survey.title, lang)),
        esc(ui(lang, Ui::ThankYou)),
        esc(ui(lang, Ui::Stored)),
        esc(lang),
        esc(ui(lang, Ui::AnotherSurvey))
    )
}

/// A page that says why a request could not be served, and the way back.
pub fn problem(c: &Chrome, message: &str, detail: Option<&str>) -> String {
    let lang = c.lang;
    let mut h = format!(
        "<section class=\"problem-page\"><h1 id=\"{MAIN_HEADING_ID}\" tabindex=\"-1\">{}</h1>",
        esc(message)
    );
    if let Some(d) = detail {
        let _ = write!(h, "<p class=\"notice problem\" lang=\"en\">{}</p>", esc(d));
    }
    let _ = write!(
        h,
        "<div class=\"actions\"><a class=\"button primary\" href=\"/?lang={}\">{}</a></div></section>",
        esc(lang),
        esc(ui(lang, Ui::AnotherSurvey))
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">Tom's & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;"
        );
    }
}
