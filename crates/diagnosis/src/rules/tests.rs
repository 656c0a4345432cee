//! Unit tests of the rules, from fixtures (filled below).
