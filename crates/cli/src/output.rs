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

/// The escape sequences of the styles above: the only ones a report keeps.
pub fn own_styles() -> &'static [String] {
    static OWN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        [BAD, GOOD, WARN, DIM, BOLD]
            .iter()
            .flat_map(|s| [format!("{s}"), format!("{s:#}")])
            .filter(|s| !s.is_empty())
            .collect()
    })
}

/// "1 line", "2 findings": a count and its noun.
pub fn count(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Text made safe for a terminal, the program's own colours kept
/// ([`authdoctor_secret::printable`]).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    authdoctor_secret::printable(text, own_styles())
}

/// A writer for a terminal report: every write is made printable, so what
/// a server or a log line says cannot move the cursor, retitle the window
/// or hide the text after it (a report is written in whole strings, and the
/// program's colours are each inside one).
pub struct Printable<W: std::io::Write>(pub W);

impl<W: std::io::Write> std::io::Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(printable(text).as_bytes())?,
            Err(_) => self
                .0
                .write_all(printable(&String::from_utf8_lossy(buf)).as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Text in a style.
pub fn styled(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Escapes text for a Markdown table cell or paragraph.
pub fn md(text: &str) -> String {
    // Links and images too: a server's words or a log line's user name
    // must not become a link in a ticket. (Code spans stay: the reports'
    // own sentences use them, and nothing inside one is a link.)
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('[', "\\[")
        .replace(']', "\\]")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_hold_no_link_table_or_tag() {
        assert_eq!(
            md("[click](https://phish.example/) | <img src=x> ![i](y)"),
            "\\[click\\](https://phish.example/) \\| &lt;img src=x> !\\[i\\](y)"
        );
    }
}
