//! The Chorus collector: serves surveys and the frontend, takes submissions,
//! stores them in SQLite or PostgreSQL, serves published results.
//!
//! This is the only crate that speaks SQL ([`store`], one interface over
//! both databases). Submissions are validated
//! by the `surveys` crate — the same code the browser runs — and written by
//! one writer thread with group commit ([`writer`]); an answer is
//! acknowledged only after its transaction is durable. Nothing that could
//! identify a respondent (address, user agent, precise time) is stored or
//! logged.

pub mod admin;
pub mod app;
pub mod assets;
pub mod error;
pub mod export;
pub mod headers;
pub mod install;
pub mod opening;
pub mod pages;
pub mod publish;
pub mod ratelimit;
pub mod results;
pub mod routes;
pub mod serve;
pub mod store;
pub mod submit;
pub mod worker;
pub mod writer;

pub use app::{Application, Config, StartError, check_survey_file, load_surveys};
