//! The form runner's page logic, written once for both runners: the WASM
//! runner (crate `frontend`, yew) and the collector's server-rendered runner
//! for members whose browsers run no scripts.
//!
//! * [`Form`] — pages, what is asked now ([`Visibility`], from the
//!   `surveys` engine), drafts, the checks on Next, the review and Submit;
//! * [`answers`] — what was entered ([`Draft`]) and the answers sent for it;
//! * [`fields`] — the form fields that carry drafts (a form post, the
//!   inputs of a page), and back;
//! * [`review`] — every answer in words, before sending;
//! * [`ids`] — the element ids both renderers give the same things;
//! * [`outbox`] — the offline outbox's logic: what the WASM runner sends,
//!   when it tries again, what it deletes, and its items as stored bytes;
//! * [`unfinished`] — an unfinished answer kept on the phone, locked with
//!   the member's passphrase, for a survey that allows drafts.
//!
//! The rules on answers are not here: they are `surveys::validate`'s. This
//! crate knows no UI library, no HTTP and no storage.

pub mod answers;
pub mod fields;
mod form;
pub mod ids;
mod order;
pub mod outbox;
pub mod review;
pub mod unfinished;

pub use answers::{
    Draft, OTHER, UNREADABLE_NUMBER, answers_json, date_bound, other_key, ranks_asked,
};
pub use form::{Edit, ErrorText, FieldError, Form, Page, Visibility, pages, today};
