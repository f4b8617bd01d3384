//! Turns a survey definition and its responses into a publishable report.
//!
//! The invariant of this crate: **nothing leaves it except through noise.**
//! Exact counts live only inside the private `aggregate` module; every number
//! that reaches a [`report::Report`] has had discrete-Laplace noise added by
//! an exact integer sampler fed by a cryptographically secure RNG.
//!
//! * [`noise`] — exact samplers: uniform integers, rational Bernoulli,
//!   Bernoulli(exp(−γ)) and the discrete Laplace distribution (Canonne, Kamath
//!   and Steinke 2020); no floating point in any sampling path;
//! * [`budget`] — the rule for spending a survey's privacy budget, in exact
//!   rationals;
//! * [`report`] — builds the report (aggregate, split ε, add noise) and renders
//!   it as JSON or as one self-contained HTML page.
//!
//! This crate knows nothing of HTTP or SQL: the collector keeps the budget
//! ledger and feeds responses in as an iterator.

mod aggregate;
pub mod budget;
pub mod noise;
pub mod report;

pub use budget::{BudgetError, check_spend};
pub use noise::DiscreteLaplace;
pub use report::{
    AnalysisError, Cell, ReleaseMeta, Report, Table, build_report, render_html, render_json,
};
