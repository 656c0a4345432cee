//! The subcommands. Each builds its report from the library crates, then
//! renders it in the chosen format; each returns whether the subject passed.

pub mod challenge;
pub mod header;
pub mod token;

/// What a command concluded, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Well formed / valid: exit 0.
    Pass,
    /// A defect or a failed check: exit 1.
    Fail,
}
