//! What every renderer shares: styles, marks, and a Markdown escape.
//! Renderers write to any `io::Write`, so tests print into a `Vec<u8>`;
//! colour is stripped by anstream where the terminal or NO_COLOR says so.

use anstyle::{AnsiColor, Style};

/// Red bold: a failure.
pub const BAD: Style = AnsiColor::Red.on_default().bold();
/// Green: a pass.
pub const GOOD: Style = AnsiColor::Green.on_default();
/// Yellow: a warning.
pub const WARN: Style = AnsiColor::Yellow.on_default();
/// Dim: a skipped check or a side note.
pub const DIM: Style = Style::new().dimmed();
/// Bold: headings.
pub const BOLD: Style = Style::new().bold();

/// The mark for an outcome.
pub fn mark(status: authdoctor_jose::Status) -> (&'static str, Style) {
    use authdoctor_jose::Status;
    match status {
        Status::Pass => ("✓", GOOD),
        Status::Fail => ("✗", BAD),
        Status::Warn => ("!", WARN),
        Status::Skip => ("·", DIM),
    }
}

/// Text in a style.
pub fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Escapes text for a Markdown table cell or paragraph.
pub fn md(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// The closing "Fix" section of a human report: one line per cause.
pub fn write_fixes(
    out: &mut dyn std::io::Write,
    causes: &[authdoctor_causes::Cause],
) -> std::io::Result<()> {
    if causes.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", styled(BOLD, "Fix"))?;
    for c in causes {
        writeln!(out, "  → {} {}", styled(BOLD, c.id()), c.fix())?;
    }
    Ok(())
}
