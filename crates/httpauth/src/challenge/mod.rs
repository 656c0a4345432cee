//! `WWW-Authenticate` and `Proxy-Authenticate` (RFC 9110 §11.6.1, §11.7.1):
//! a comma-separated list of challenges, each an auth-scheme followed by a
//! token68 or a list of auth-params.
//!
//! ```text
//! challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! The parser is lenient the way a diagnostic tool must be: it accepts
//! empty list elements and whitespace around `=` (the grammar allows both),
//! and on a defect it records a [`Problem`] with the byte position and
//! resumes at the next comma, so one broken parameter does not hide the rest.

use crate::syntax::{is_ows, is_qdtext, is_quotable, is_tchar, is_token, is_token68_char, quote};
use serde::Serialize;
use std::fmt;

/// One challenge: a scheme and either a token68 or auth-params.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// The auth-scheme as sent (compare it case-insensitively).
    pub scheme: String,
    /// The token68 form, as in `Negotiate YIIB…`.
    pub token68: Option<String>,
    /// Parameters in order: names lower-cased, values unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A challenge with no parameters.
    pub fn new(scheme: impl Into<String>) -> Self {
        Challenge {
            scheme: scheme.into(),
            token68: None,
            params: Vec::new(),
        }
    }

    /// Adds a parameter (builder style).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The first value of a parameter, by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the scheme is `scheme`, ignoring case (RFC 9110 §11.1).
    pub fn is(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// Whether it asks for a user's password or the system's sign-on
    /// ([`PASSWORD_SCHEMES`]), which a client (a browser's dialog, curl's
    /// -u) answers itself, rather than for a token.
    pub fn asks_password(&self) -> bool {
        is_password_scheme(&self.scheme)
    }
}

/// The schemes whose credentials are a user's password or the system's
/// sign-on, not a token an issuer hands out: Basic (RFC 7617), Digest
/// (RFC 7616), Negotiate (RFC 4559), NTLM.
pub const PASSWORD_SCHEMES: &[&str] = &["Basic", "Digest", "Negotiate", "NTLM"];

/// Whether `scheme` is one of [`PASSWORD_SCHEMES`], ignoring case.
pub fn is_password_scheme(scheme: &str) -> bool {
    PASSWORD_SCHEMES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(scheme))
}

/// Parameters that RFC 7616 §3.3 says must be sent as tokens, not quoted.
const TOKEN_FORM: &[&str] = &["algorithm", "stale", "userhash"];

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            return write!(f, " {t}");
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            if TOKEN_FORM.contains(&name.as_str()) && is_token(value) {
                write!(f, "{name}={value}")?;
            } else {
                write!(f, "{name}={}", quote(value))?;
            }
        }
        Ok(())
    }
}

/// Renders challenges as one field value.
pub fn render(challenges: &[Challenge]) -> String {
    challenges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What is wrong at one place of a field value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "id", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The field value is empty.
    Empty,
    /// A parameter stands where no challenge has begun.
    MissingScheme,
    /// A character the grammar does not allow here.
    UnexpectedCharacter {
        /// The character.
        found: char,
    },
    /// A quoted-string has no closing quote.
    UnterminatedQuote,
    /// Two elements follow each other without a comma between them.
    MissingComma,
    /// An `=` with no parameter name before it.
    MissingName,
    /// A parameter with `=` and no value.
    MissingValue {
        /// The parameter's name.
        name: String,
    },
    /// A parameter named twice in one challenge (RFC 9110 §11.2 forbids it).
    DuplicateParam {
        /// The parameter's name.
        name: String,
    },
    /// A backslash at the very end of a quoted-string.
    DanglingEscape,
}

/// A defect and the byte position where it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong.
    #[serde(flatten)]
    pub kind: ProblemKind,
    /// Byte offset into the (joined) field value.
    pub at: usize,
    /// The problem in a sentence.
    pub message: String,
}

impl Problem {
    fn new(kind: ProblemKind, at: usize) -> Self {
        let message = match &kind {
            ProblemKind::Empty => "The field value is empty: no challenge at all.".to_owned(),
            ProblemKind::MissingScheme => {
                "A parameter stands where no challenge can take it (before any auth-scheme, or after a token68); a challenge must start with its scheme, such as `Bearer`.".to_owned()
            }
            ProblemKind::UnexpectedCharacter { found } => {
                format!("Unexpected character {found:?} at byte {at}.")
            }
            ProblemKind::UnterminatedQuote => {
                format!("The quoted-string that opens at byte {at} is never closed.")
            }
            ProblemKind::MissingComma => {
                format!("A comma is missing before byte {at}: parameters and challenges are separated by commas.")
            }
            ProblemKind::MissingName => format!("An `=` at byte {at} has no parameter name before it."),
            ProblemKind::MissingValue { name } => {
                format!("The parameter `{name}` has `=` but no value; quote an empty value as \"\".")
            }
            ProblemKind::DuplicateParam { name } => format!(
                "The parameter `{name}` appears twice in one challenge; RFC 9110 §11.2 allows each name once."
            ),
            ProblemKind::DanglingEscape => {
                format!("A backslash at byte {at} escapes nothing: the quoted-string ends there.")
            }
        };
        Problem { kind, at, message }
    }
}

/// The result of parsing a field value: what could be read, and what was wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Parsed {
    /// The challenges, in order.
    pub challenges: Vec<Challenge>,
    /// The defects, in order of position.
    pub problems: Vec<Problem>,
}

/// Parses one `WWW-Authenticate` or `Proxy-Authenticate` field value.
pub fn parse(value: &str) -> Parsed {
    Parser {
        s: value,
        b: value.as_bytes(),
        i: 0,
        out: Parsed::default(),
    }
    .run()
}

/// Parses a field sent on several lines, which RFC 9110 §5.3 says means the
/// same as the lines joined by commas. Positions refer to the joined value
/// (the lines joined with `", "`).
pub fn parse_lines<S: AsRef<str>>(lines: &[S]) -> Parsed {
    let joined: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    parse(&joined.join(", "))
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    out: Parsed,
}

impl Parser<'_> {
    fn run(mut self) -> Parsed {
        if self.s.bytes().all(is_ows) {
            self.problem(ProblemKind::Empty, 0);
            return self.out;
        }
        loop {
            self.skip_list_separators();
            if self.i >= self.b.len() {
                break;
            }
            self.element();
        }
        self.check_duplicates();
        self.out
    }

    fn problem(&mut self, kind: ProblemKind, at: usize) {
        self.out.problems.push(Problem::new(kind, at));
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.i += 1;
        }
    }

    /// Skips whitespace and empty list elements (RFC 9110 §5.6.1).
    fn skip_list_separators(&mut self) {
        while self.peek().is_some_and(|c| is_ows(c) || c == b',') {
            self.i += 1;
        }
    }

    fn token(&mut self) -> &str {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        &self.s[start..self.i]
    }

    /// Skips to the next comma outside a quoted-string, to resume after a defect.
    fn recover(&mut self) {
        let mut in_quote = false;
        while let Some(c) = self.peek() {
            match c {
                b'\\' if in_quote => self.i += 1,
                b'"' => in_quote = !in_quote,
                b',' if !in_quote => return,
                _ => {}
            }
            self.i += 1;
        }
    }

    /// After an element: optional whitespace, then a comma or the end.
    fn end_of_element(&mut self) {
        self.skip_ows();
        match self.peek() {
            None | Some(b',') => {}
            Some(_) => self.problem(ProblemKind::MissingComma, self.i),
        }
    }

    /// One list element: a new challenge, or a parameter of the current one.
    fn element(&mut self) {
        let start = self.i;
        if self.peek() == Some(b'=') {
            self.problem(ProblemKind::MissingName, start);
            self.i += 1;
            self.recover();
            return;
        }
        let name = self.token().to_owned();
        if name.is_empty() {
            let found = self.s[start..].chars().next().unwrap_or('\0');
            self.problem(ProblemKind::UnexpectedCharacter { found }, start);
            self.i += found.len_utf8();
            self.recover();
            return;
        }
        let after_name = self.i;
        self.skip_ows();
        match self.peek() {
            Some(b'=') => {
                // A parameter needs a challenge to belong to, and one whose
                // credentials are not a token68 (the two exclude each other).
                let orphan = self
                    .out
                    .challenges
                    .last()
                    .is_none_or(|c| c.token68.is_some());
                if orphan {
                    self.problem(ProblemKind::MissingScheme, start);
                    self.recover();
                    return;
                }
                self.param_value(name);
            }
            None | Some(b',') => self.out.challenges.push(Challenge::new(name)),
            Some(_) if self.i > after_name => {
                self.out.challenges.push(Challenge::new(name));
                self.after_scheme();
            }
            Some(_) => {
                let found = self.s[self.i..].chars().next().unwrap_or('\0');
                self.problem(ProblemKind::UnexpectedCharacter { found }, self.i);
                self.out.challenges.push(Challenge::new(name));
                self.recover();
            }
        }
    }

    /// After `scheme 1*SP`: a token68, or the first auth-param.
    fn after_scheme(&mut self) {
        let start = self.i;
        let mut j = start;
        while self.b.get(j).copied().is_some_and(is_token68_char) {
            j += 1;
        }
        let body_end = j;
        while self.b.get(j) == Some(&b'=') {
            j += 1;
        }
        let mut k = j;
        while self.b.get(k).copied().is_some_and(is_ows) {
            k += 1;
        }
        if body_end > start && matches!(self.b.get(k), None | Some(b',')) {
            if let Some(ch) = self.out.challenges.last_mut() {
                ch.token68 = Some(self.s[start..j].to_owned());
            }
            self.i = k;
            return;
        }
        // Not a token68: the element is the challenge's first parameter.
        self.element();
    }

    /// `BWS "=" BWS ( token / quoted-string )`, the cursor on the `=`.
    fn param_value(&mut self, name: String) {
        self.i += 1; // '='
        self.skip_ows();
        let value_at = self.i;
        let value = match self.peek() {
            Some(b'"') => match self.quoted_string() {
                Some(v) => v,
                None => return,
            },
            _ => {
                let v = self.token().to_owned();
                if v.is_empty() {
                    match self.peek() {
                        None | Some(b',') => {
                            self.problem(ProblemKind::MissingValue { name: name.clone() }, value_at)
                        }
                        Some(_) => {
                            let found = self.s[self.i..].chars().next().unwrap_or('\0');
                            self.problem(ProblemKind::UnexpectedCharacter { found }, self.i);
                            self.recover();
                        }
                    }
                    return;
                }
                v
            }
        };
        if let Some(ch) = self.out.challenges.last_mut() {
            ch.params.push((name.to_ascii_lowercase(), value));
        }
        self.end_of_element();
    }

    /// A quoted-string, the cursor on its opening quote. `None` when it is
    /// never closed (the problem is recorded and the input consumed).
    fn quoted_string(&mut self) -> Option<String> {
        let open = self.i;
        self.i += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => {
                    self.problem(ProblemKind::UnterminatedQuote, open);
                    return None;
                }
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    let at = self.i;
                    self.i += 1;
                    match self.peek() {
                        None => {
                            self.problem(ProblemKind::DanglingEscape, at);
                            self.problem(ProblemKind::UnterminatedQuote, open);
                            return None;
                        }
                        Some(c) => {
                            if !is_quotable(c) {
                                self.problem(
                                    ProblemKind::UnexpectedCharacter { found: c as char },
                                    self.i,
                                );
                            }
                            value.push(c);
                            self.i += 1;
                        }
                    }
                }
                Some(c) => {
                    if !is_qdtext(c) {
                        self.problem(
                            ProblemKind::UnexpectedCharacter { found: c as char },
                            self.i,
                        );
                    }
                    value.push(c);
                    self.i += 1;
                }
            }
        }
        // The input is a &str and escapes only ever drop an ASCII backslash,
        // so the bytes are still UTF-8; be lenient all the same.
        Some(
            String::from_utf8(value)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        )
    }

    fn check_duplicates(&mut self) {
        let mut dups = Vec::new();
        for ch in &self.out.challenges {
            for (k, (name, _)) in ch.params.iter().enumerate() {
                if ch.params[..k].iter().any(|(n, _)| n == name) && !dups.contains(name) {
                    dups.push(name.clone());
                }
            }
        }
        for name in dups {
            let at = find_param_position(self.s, &name).unwrap_or(0);
            self.problem(ProblemKind::DuplicateParam { name }, at);
        }
        self.out.problems.sort_by_key(|p| p.at);
    }
}

/// The byte position of the second occurrence of `name=` (case-insensitive),
/// which is where a duplicate is reported.
fn find_param_position(s: &str, name: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut hits = lower.match_indices(name).filter(|(i, _)| {
        let before_ok = *i == 0 || !is_tchar(lower.as_bytes()[i - 1]);
        let rest = lower[i + name.len()..].trim_start_matches([' ', '\t']);
        before_ok && rest.starts_with('=')
    });
    hits.nth(1).map(|(i, _)| i)
}

#[cfg(test)]
mod tests;
