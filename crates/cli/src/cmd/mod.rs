//! The subcommands. Each builds its report from the library crates, then
//! renders it in the chosen format; each returns whether the subject passed.

pub mod challenge;
pub mod demo;
pub mod diagnose;
pub mod guard;
pub mod header;
pub mod lab;
pub mod logs;
pub mod serve;
pub mod token;

/// What a command concluded, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Well formed / valid: exit 0.
    Pass,
    /// A defect or a failed check: exit 1.
    Fail,
    /// A status the command chose (diagnose: 0, 1 or 3).
    Code(u8),
}

/// A command's report: JSON through serde, and the two text renderings.
pub trait Rendered: serde::Serialize {
    /// Whether the subject passed (exit 0) or not (exit 1).
    fn passed(&self) -> bool;
    /// The exit verdict; by default pass or fail.
    fn verdict(&self) -> Verdict {
        if self.passed() {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }
    /// For a person: the verdict, the evidence, the fix.
    fn human(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
    /// For a ticket.
    fn markdown(&self, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// Writes a report in the chosen format and returns the verdict.
pub fn emit(
    rep: &impl Rendered,
    format: crate::args::Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Verdict> {
    use crate::args::Format;
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rep)?;
            writeln!(out)?;
        }
        Format::Human => rep.human(out)?,
        Format::Markdown => rep.markdown(out)?,
    }
    Ok(rep.verdict())
}
