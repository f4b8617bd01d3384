//! The storage interface on both backends (filled in below).
