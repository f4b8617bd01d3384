//! PostgreSQL-only tests (filled in below).
