//! The element ids both renderers give the same things, so that focus,
//! error links and the WASM runner's takeover find them.

/// The id of the error summary at the top of the form.
pub const ERROR_SUMMARY_ID: &str = "form-errors";

/// The id of a question's own field (number, text, date, consent), or of
/// the "other" text (`q-<id>_other`).
pub fn field_dom_id(question: &str) -> String {
    format!("q-{question}")
}

/// The id of one option's radio button or checkbox; of a rating point.
pub fn choice_dom_id(question: &str, choice: &str) -> String {
    format!("q-{question}-{choice}")
}

/// The id of one radio button of a grid.
pub fn grid_dom_id(question: &str, statement: &str, choice: &str) -> String {
    format!("q-{question}-{statement}-{choice}")
}

/// The id of the rank select of one option of a ranking.
pub fn rank_dom_id(question: &str, choice: &str) -> String {
    format!("q-{question}-rank-{choice}")
}

/// The page's main heading (the survey title on a form).
pub const MAIN_HEADING_ID: &str = "main-heading";

/// The heading of the page's section.
pub const SECTION_TITLE_ID: &str = "section-title";
