//! Survey definitions and the rules on answers, written once for every place
//! that needs them: the browser (compiled to wasm32), the collector and
//! `chorus check`.
//!
//! * [`load`] reads a TOML survey file and reports every problem in it;
//! * [`model`] is the checked definition, also the JSON wire format;
//! * [`expr`] is the expression language of skip logic, constraints and
//!   calculations;
//! * [`engine`] runs a survey's logic over answers ([`Engine`]), for
//!   validation and for the live runner;
//! * [`answers`] validates a respondent's answers against a definition;
//! * [`sealing`] seals answers to a survey's public key and opens them;
//! * [`i18n`] holds the runner's own words in each supported language;
//! * [`Epsilon`] is an exact rational privacy parameter.
//!
//! This crate depends on no UI, web-server or database crate; the
//! cryptography of sealing is the `seal` crate's.

pub mod answers;
mod date;
pub mod engine;
mod epsilon;
pub mod expr;
pub mod i18n;
pub mod load;
pub mod model;
mod num;
pub mod sealing;
mod url;
mod wire;

pub use answers::{
    Answer, AnswerError, AnswerProblem, Answers, Submission, ValidResponse, validate,
};
pub use date::{Date, DateError};
pub use engine::{Engine, Evaluation, relevant_questions};
pub use epsilon::{Epsilon, EpsilonError};
pub use load::{LoadError, Problem, RDS_DEGREE_LIMIT, load_file, parse_survey, rds_degree_range};
pub use model::{
    Choice, Constraint, Mechanism, PlannedTable, Publication, Question, QuestionKind, Requirement,
    Section, Statistic, Survey, SurveySummary, Text,
};
pub use url::path_segment;
