//! The screens and their parts. Components render and dispatch; they decide
//! nothing (see `state.rs`).

mod confirm;
mod confirmation;
mod header;
mod keep;
mod outbox;
mod question;
mod review;
mod survey_form;
mod survey_list;

pub use confirmation::{Confirmation, Saved};
pub use header::Header;
pub use keep::{KeepPanel, UnfinishedPanel};
pub use outbox::OutboxPanel;
pub use review::Review;
pub use survey_form::SurveyForm;
pub use survey_list::SurveyList;

use yew::AttrValue;

/// A `lang` attribute for survey text shown in `shown` inside a page in
/// `page`: only where the two differ.
fn lang_attr(shown: &str, page: &str) -> Option<AttrValue> {
    (shown != page).then(|| AttrValue::from(shown.to_string()))
}
