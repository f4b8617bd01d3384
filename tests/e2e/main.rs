//! End-to-end tests: a real collector on port 0 with a fresh SQLite file
//! (or, with `CHORUS_TEST_BACKEND=postgres`, a fresh database on a real
//! PostgreSQL server the tests start), real HTTP, the real `chorus` binary,
//! and headless Chromium for the browser.

mod admin;
mod api;
mod browser;
mod cli;
mod drafts;
mod durability;
mod helpers;
mod keys;
mod nojs;
mod offline;
mod openapi;
mod pages;
mod pg;
mod postgres;
mod privacy;
mod remote;
mod sealed;
mod slow;
mod store;
mod webdriver;
