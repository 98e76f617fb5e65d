//! Unit tests of the server options.
