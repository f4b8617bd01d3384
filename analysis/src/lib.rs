//! Turns a survey definition and its responses into a publishable report.
//!
//! The invariant of this crate: **nothing leaves it except through noise.**
//! Exact aggregates live only inside the private `aggregate` module; every
//! number that reaches a [`report::Report`] has had discrete-Laplace or
//! discrete-Gaussian noise added by an exact integer sampler fed by a
//! cryptographically secure RNG.
//!
//! * [`noise`] — exact samplers: uniform integers, rational Bernoulli,
//!   Bernoulli(exp(−γ)), the discrete Laplace and the discrete Gaussian
//!   distributions (Canonne, Kamath and Steinke 2020); no floating point in
//!   any sampling path;
//! * [`budget`] — the rule for spending a survey's privacy budget, in exact
//!   rationals;
//! * [`report`] — resolves the survey's publication plan ([`prepare`], which
//!   also says what the release costs), builds the report (aggregate, add
//!   noise, post-process) and renders it as JSON, CSV per table, or one
//!   self-contained HTML page per language.
//!
//! This crate knows nothing of HTTP or SQL: the collector keeps the budget
//! ledger and feeds responses in as an iterator.

mod aggregate;
pub mod budget;
pub mod noise;
pub mod rds;
pub mod report;

pub use budget::{BudgetError, check_spend};
pub use noise::{DiscreteGaussian, DiscreteLaplace, Noise};
pub use report::{
    AnalysisError, Cell, Charge, Plan, ReleaseMeta, Report, Table, build_report, prepare,
    render_csv, render_html, render_json,
};
