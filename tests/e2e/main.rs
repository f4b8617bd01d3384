//! End-to-end tests: a real collector on port 0 with a fresh SQLite file,
//! real HTTP, the real `chorus` binary, and headless Chromium for the browser.

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
mod privacy;
mod remote;
mod sealed;
mod slow;
mod webdriver;
