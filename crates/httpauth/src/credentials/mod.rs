//! `Authorization` and `Proxy-Authorization` (RFC 9110 §11.6.2): parse the
//! credentials and lint them, naming every defect a server would trip on.
//!
//! ```text
//! credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="   ; RFC 6750 §2.1
//! ```
//!
//! The lint is stricter than the grammar where real servers are: the
//! grammar allows several spaces after the scheme, but servers that split
//! on one space then read an empty token, so it is reported.

use crate::challenge;
use crate::syntax::{is_tchar, is_token68_char};
use authdoctor_causes::Cause;
use base64::Engine;
use serde::Serialize;

/// How sure the lint is that a server rejects the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Servers reject it.
    Error,
    /// Allowed by the RFCs, but some servers reject it.
    Warning,
}

/// A defect of an `Authorization` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// The value is empty.
    Empty,
    /// A bare token with no scheme before it.
    NoScheme,
    /// A scheme with nothing after it (`Bearer`, `Bearer `).
    EmptyCredentials,
    /// A colon after the scheme (`Bearer: x`).
    SchemeColon,
    /// More than one space between the scheme and the credentials.
    RepeatedSpaces,
    /// A tab between the scheme and the credentials.
    TabSeparator,
    /// The token is wrapped in quotes.
    QuotedToken,
    /// The scheme is repeated (`Bearer Bearer x`).
    RepeatedScheme,
    /// A character outside b64token / token68.
    InvalidCharacter,
    /// Whitespace inside the token: two tokens, or a token broken in two.
    InteriorWhitespace,
    /// The token is percent-encoded (`%2B` for `+`).
    PercentEncoded,
    /// `=` padding in the middle of the token.
    MisplacedPadding,
    /// A trailing comma.
    TrailingComma,
    /// A CR or LF inside the value.
    LineBreak,
    /// A control character other than a line break.
    ControlCharacter,
    /// A scheme that is not the standard one (`JWT x`, `Token x`).
    NonstandardScheme,
    /// The scheme's letter case is unusual (`bearer`).
    SchemeCase,
    /// The Basic credentials are not base64.
    BasicNotBase64,
    /// The Basic credentials use the URL-safe base64 alphabet.
    BasicUrlSafeAlphabet,
    /// The Basic credentials lack their `=` padding.
    BasicMissingPadding,
    /// The Basic credentials are `user:password` in clear, not encoded.
    BasicNotEncoded,
    /// The decoded Basic credentials have no `:`.
    BasicNoColon,
    /// The decoded Basic credentials are not UTF-8.
    BasicNotUtf8,
    /// The Basic user name is empty (`-u ":$PASS"`, an unset variable).
    BasicEmptyUser,
    /// The Basic password is empty.
    BasicEmptyPassword,
    /// The auth-params of a parameter scheme (Digest) do not parse.
    ParamSyntax,
    /// The token is a language's word for no value (`undefined`, `null`,
    /// `None`, `nil`) or a documentation placeholder (`<token>`,
    /// `YOUR_TOKEN`): the header was built from a variable not set.
    PlaceholderToken,
}

impl Defect {
    /// The stable id used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Defect::Empty => "empty",
            Defect::NoScheme => "no_scheme",
            Defect::EmptyCredentials => "empty_credentials",
            Defect::SchemeColon => "scheme_colon",
            Defect::RepeatedSpaces => "repeated_spaces",
            Defect::TabSeparator => "tab_separator",
            Defect::QuotedToken => "quoted_token",
            Defect::RepeatedScheme => "repeated_scheme",
            Defect::InvalidCharacter => "invalid_character",
            Defect::InteriorWhitespace => "interior_whitespace",
            Defect::PercentEncoded => "percent_encoded",
            Defect::MisplacedPadding => "misplaced_padding",
            Defect::TrailingComma => "trailing_comma",
            Defect::LineBreak => "line_break",
            Defect::ControlCharacter => "control_character",
            Defect::NonstandardScheme => "nonstandard_scheme",
            Defect::SchemeCase => "scheme_case",
            Defect::BasicNotBase64 => "basic_not_base64",
            Defect::BasicUrlSafeAlphabet => "basic_url_safe_alphabet",
            Defect::BasicMissingPadding => "basic_missing_padding",
            Defect::BasicNotEncoded => "basic_not_encoded",
            Defect::BasicNoColon => "basic_no_colon",
            Defect::BasicNotUtf8 => "basic_not_utf8",
            Defect::BasicEmptyUser => "basic_empty_user",
            Defect::BasicEmptyPassword => "basic_empty_password",
            Defect::ParamSyntax => "param_syntax",
            Defect::PlaceholderToken => "placeholder_token",
        }
    }

    /// The root cause this defect produces.
    pub fn cause(self) -> Cause {
        match self {
            Defect::Empty => Cause::CredentialsMissing,
            Defect::NonstandardScheme => Cause::SchemeMismatch,
            _ => Cause::HeaderMalformed,
        }
    }

    /// Whether the grammar allows it (RFC 9110 §11.4, RFC 6750 §2.1: one or
    /// more spaces after the scheme), so that only some servers refuse it
    /// and a correct one takes it.
    pub fn in_grammar(self) -> bool {
        matches!(self, Defect::RepeatedSpaces)
    }

    /// How sure it is that a server rejects it.
    pub fn severity(self) -> Severity {
        match self {
            Defect::SchemeCase
            | Defect::BasicMissingPadding
            | Defect::BasicNotUtf8
            | Defect::BasicEmptyPassword => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// One defect, where it is, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What is wrong.
    pub id: Defect,
    /// Byte offset into the value as given.
    pub at: usize,
    /// What is wrong and what to do, in sentences.
    pub message: String,
    /// How sure it is that a server rejects it.
    pub severity: Severity,
    /// The root cause it produces.
    pub cause: Cause,
}

/// The user name and password of Basic credentials. The password is only
/// reachable through the secret type of the caller's choice.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user name.
    pub user: String,
    /// The password, in clear: wrap it before it goes anywhere.
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user", &self.user)
            .field("password", &"(masked)")
            .finish()
    }
}

/// Parsed and linted credentials. Its `Debug` shows the token's size, not
/// the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The scheme as sent, when there is one.
    pub scheme: Option<String>,
    /// The token68 (Bearer, Basic, DPoP, Negotiate…), as sent after the
    /// scheme, cleaned of quotes and surrounding whitespace.
    pub token: Option<String>,
    /// The auth-params of a parameter scheme such as Digest.
    pub params: Vec<(String, String)>,
    /// The decoded Basic credentials.
    pub basic: Option<BasicCredentials>,
    /// Every defect found, in order of position.
    pub problems: Vec<Problem>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let params: Vec<&str> = self.params.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Credentials")
            .field("scheme", &self.scheme)
            .field("token_bytes", &self.token.as_ref().map(String::len))
            .field("param_names", &params)
            .field("basic", &self.basic)
            .field("problems", &self.problems)
            .finish()
    }
}

impl Credentials {
    /// Whether any defect is one servers reject.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Schemes registered with IANA (HTTP Authentication Scheme Registry), and
/// the proper spelling of each.
const KNOWN_SCHEMES: &[&str] = &[
    "Basic",
    "Bearer",
    "Concealed",
    "Digest",
    "DPoP",
    "GNAP",
    "HOBA",
    "Mutual",
    "Negotiate",
    "OAuth",
    "PrivateToken",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "vapid",
    "NTLM",
    "AWS4-HMAC-SHA256",
];

/// Schemes people invent for a bearer token.
const BEARER_LOOKALIKES: &[&str] = &[
    "jwt",
    "token",
    "access_token",
    "accesstoken",
    "bearertoken",
    "oauth2",
    "apikey",
    "api-key",
];

/// Parses and lints one `Authorization` value. A leading `Authorization:`
/// (pasted with the value) is skipped.
pub fn lint(input: &str) -> Credentials {
    let mut problems = Vec::new();
    let mut push = |id: Defect, at: usize, message: String| {
        problems.push(Problem {
            id,
            at,
            message,
            severity: id.severity(),
            cause: id.cause(),
        })
    };

    // Offsets below are into `input`; `base` is where the value starts.
    let mut base = 0;
    for name in ["authorization:", "proxy-authorization:"] {
        if input.len() >= name.len()
            && input.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            base = name.len();
        }
    }
    // One branch-free pass says whether any byte needs a closer look (the
    // common case, a clean value, costs no more).
    let controls = input.as_bytes()[base..]
        .iter()
        .fold(false, |any, &b| any | (b < 0x20) | (b == 0x7f));
    for (i, b) in input.bytes().enumerate().skip(base).filter(|_| controls) {
        match b {
            b'\r' | b'\n' => push(
                Defect::LineBreak,
                i,
                format!(
                    "A line break at byte {i}: the token was copied across lines, or read from a file with its newline. Remove it; a server reads the header as ending there."
                ),
            ),
            0..=8 | 0x0B..=0x1F | 0x7F => push(
                Defect::ControlCharacter,
                i,
                format!("A control character (0x{b:02x}) at byte {i}; remove it."),
            ),
            _ => {}
        }
    }
    let is_ws = |c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n';
    let trimmed_start = input[base..].len() - input[base..].trim_start_matches(is_ws).len();
    let start = base + trimmed_start;
    let end = input.trim_end_matches(is_ws).len().max(start);
    let value = &input[start..end];
    let mut out = Credentials {
        scheme: None,
        token: None,
        params: Vec::new(),
        basic: None,
        problems: Vec::new(),
    };
    if value.is_empty() {
        push(
            Defect::Empty,
            start,
            "The value is empty: the request carries no credentials. Send `Bearer <token>` (or the scheme the server's challenge asks for).".to_owned(),
        );
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }

    let scheme_len = value.bytes().take_while(|&b| is_tchar(b)).count();
    let scheme = &value[..scheme_len];
    let rest = &value[scheme_len..];

    // A bare token: no space anywhere, and it looks like a token, not a scheme.
    let looks_like_token = scheme.contains('.') || scheme.len() >= 20 || scheme.starts_with("eyJ");
    if rest.is_empty() && looks_like_token {
        push(
            Defect::NoScheme,
            start,
            "The value is a bare token with no scheme. Send `Authorization: Bearer <token>`."
                .to_owned(),
        );
        out.token = Some(value.to_owned());
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }
    if scheme.is_empty() {
        if value.starts_with('"') {
            push(
                Defect::QuotedToken,
                start,
                "The whole value is in quotes. Send it without them: `Bearer <token>`.".to_owned(),
            );
        } else {
            let c = value.chars().next().unwrap_or('?');
            push(
                Defect::InvalidCharacter,
                start,
                format!(
                    "The value starts with {c:?}, where an auth-scheme such as `Bearer` must stand."
                ),
            );
        }
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }
    out.scheme = Some(scheme.to_owned());

    let canonical = KNOWN_SCHEMES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(scheme));
    match canonical {
        Some(k)
            if *k != scheme
                && (k.eq_ignore_ascii_case("bearer") || k.eq_ignore_ascii_case("basic")) =>
        {
            push(
                Defect::SchemeCase,
                start,
                format!(
                    "The scheme is spelled `{scheme}`. RFC 9110 §11.1 makes it case-insensitive, but some servers compare it exactly: write `{k}`."
                ),
            )
        }
        Some(_) => {}
        None if BEARER_LOOKALIKES.contains(&scheme.to_ascii_lowercase().as_str()) => push(
            Defect::NonstandardScheme,
            start,
            format!(
                "`{scheme}` is not a standard scheme; an OAuth 2.0 server expects `Bearer` (RFC 6750 §2.1), unless its documentation names `{scheme}`."
            ),
        ),
        None => {}
    }

    // The separator.
    let mut at = start + scheme_len;
    let rest_bytes = rest.as_bytes();
    let mut k = 0;
    if rest_bytes.first() == Some(&b':') {
        push(
            Defect::SchemeColon,
            at,
            format!(
                "A colon follows the scheme (`{scheme}:`). Write `{scheme} <credentials>` with one space and no colon."
            ),
        );
        k = 1;
    }
    let sep_start = k;
    let mut tabs = false;
    while let Some(&c) = rest_bytes.get(k) {
        match c {
            b' ' => {}
            b'\t' => tabs = true,
            _ => break,
        }
        k += 1;
    }
    let sep = k - sep_start;
    let creds = &rest[k..];
    let creds_at = at + k;
    if creds.is_empty() {
        push(
            Defect::EmptyCredentials,
            at,
            format!(
                "`{scheme}` has nothing after it: the token is missing. A variable that held the token was probably empty when the header was built."
            ),
        );
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }
    if sep == 0 && sep_start == 0 {
        let c = creds.chars().next().unwrap_or('?');
        push(
            Defect::InvalidCharacter,
            at,
            format!(
                "{c:?} follows the scheme directly at byte {at}; one space must separate the scheme from the credentials."
            ),
        );
    }
    if tabs {
        push(
            Defect::TabSeparator,
            at + sep_start,
            "A tab separates the scheme from the credentials; use one space.".to_owned(),
        );
    } else if sep > 1 {
        push(
            Defect::RepeatedSpaces,
            at + sep_start,
            format!(
                "{sep} spaces follow the scheme. The grammar allows it, but servers that split on one space read an empty token: use exactly one."
            ),
        );
    }
    at = creds_at;

    let is_basic = scheme.eq_ignore_ascii_case("basic");
    let is_param_scheme = [
        "digest",
        "mutual",
        "hoba",
        "scram-sha-1",
        "scram-sha-256",
        "aws4-hmac-sha256",
    ]
    .iter()
    .any(|p| p.eq_ignore_ascii_case(scheme));

    // AWS Signature Version 4 has a grammar of its own, which RFC 9110's
    // auth-param does not take (`Credential=AKIA…/20261128/us-east-1/s3/
    // aws4_request, SignedHeaders=host;x-amz-date, Signature=…`: slashes and
    // semicolons in bare values): read as AWS reads it.
    if scheme.eq_ignore_ascii_case("aws4-hmac-sha256")
        || scheme.eq_ignore_ascii_case("aws4-ecdsa-p256-sha256")
    {
        let mut offset = creds_at;
        for part in creds.split(',') {
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            match item.split_once('=') {
                Some((n, v)) if !n.is_empty() && !v.is_empty() => {
                    out.params.push((n.to_owned(), v.to_owned()));
                }
                _ => push(
                    Defect::ParamSyntax,
                    offset + lead,
                    format!(
                        "`{item}` is not a name=value pair of AWS Signature Version 4 (Credential=…, SignedHeaders=…, Signature=…)."
                    ),
                ),
            }
            offset += part.len() + 1;
        }
        for wanted in ["Credential", "SignedHeaders", "Signature"] {
            if !out.params.iter().any(|(n, _)| n == wanted) {
                push(
                    Defect::ParamSyntax,
                    at + creds.len(),
                    format!(
                        "AWS Signature Version 4 needs {wanted}=…, and the value has none: the request was signed by hand or cut short."
                    ),
                );
            }
        }
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }
    if is_param_scheme {
        let parsed = challenge::parse(&format!("{scheme} {creds}"));
        let shift = creds_at as isize - (scheme.len() as isize + 1);
        for p in parsed.problems {
            let pos = (p.at as isize + shift).max(0) as usize;
            push(Defect::ParamSyntax, pos, p.message);
        }
        if let Some(ch) = parsed.challenges.into_iter().next() {
            out.params = ch.params;
        }
        problems.sort_by_key(|p| p.at);
        out.problems = problems;
        return out;
    }

    // token68 schemes: Bearer, DPoP, Basic, Negotiate, and the unknown ones.
    let mut token = creds;
    let mut token_at = at;
    if let Some(inner) = token.strip_prefix('"') {
        push(
            Defect::QuotedToken,
            token_at,
            "The token is wrapped in quotes. Send it bare: quotes are not part of a token68, and the server reads them as part of the token.".to_owned(),
        );
        token = inner.strip_suffix('"').unwrap_or(inner);
        token_at += 1;
    }
    if let Some(stripped) = token.strip_suffix(',') {
        push(
            Defect::TrailingComma,
            token_at + token.len() - 1,
            "A trailing comma ends the value; remove it.".to_owned(),
        );
        token = stripped;
    }
    // `Bearer Bearer x`: the scheme twice.
    let first_word =
        &token[..memchr::memchr2(b' ', b'\t', token.as_bytes()).unwrap_or(token.len())];
    if first_word.eq_ignore_ascii_case(scheme) && token.len() > first_word.len() {
        push(
            Defect::RepeatedScheme,
            token_at,
            format!(
                "The scheme appears twice (`{scheme} {first_word} …`): the code adds `{scheme} ` to a value that already has it."
            ),
        );
        let skip = token[first_word.len()..].len() - token[first_word.len()..].trim_start().len();
        token_at += first_word.len() + skip;
        token = &token[first_word.len() + skip..];
    }
    out.token = Some(token.to_owned());

    if is_basic {
        lint_basic(token, token_at, &mut push, &mut out);
    } else {
        if let Some((what, quotable)) = placeholder(token) {
            // Quoted only where it is a word of no secret: a whole token
            // response holds the very tokens, and a message is not masked
            // everywhere it goes (the guard's log detail).
            let quoted = match quotable {
                true => format!("`{}`", token.trim()),
                false => "The token".to_owned(),
            };
            push(
                Defect::PlaceholderToken,
                token_at,
                format!(
                    "{quoted} is no token but {what}: the header was built from a variable that held no token when the request was made (not yet signed in, a storage key misspelt, a promise not awaited). Send the token itself."
                ),
            );
        }
        lint_token68(token, token_at, &mut push);
    }
    problems.sort_by_key(|p| p.at);
    problems.dedup_by(|a, b| a.id == b.id && a.at == b.at);
    out.problems = problems;
    out
}

/// What `token` is, where it is a language's word for no value or a
/// documentation placeholder rather than a token; and whether it may be
/// quoted (a word of the lists, no secret).
fn placeholder(token: &str) -> Option<(&'static str, bool)> {
    const NO_VALUE: &[&str] = &["undefined", "null", "none", "nil", "nan", "false", "true"];
    const DOCUMENTED: &[&str] = &[
        "<token>",
        "<access_token>",
        "<access-token>",
        "{token}",
        "{{token}}",
        "your_token",
        "your-token",
        "yourtoken",
        "your_token_here",
        "your_access_token",
        "your-access-token",
        "token",
        "access_token",
        "xxx",
        "xxxx",
        "xxxxx",
    ];
    // Compared in place, without a copy: the guard lints every request's
    // header, and a real token (hundreds of bytes) is none of these.
    let t = token.trim();
    let is = |list: &[&str]| list.iter().any(|w| t.eq_ignore_ascii_case(w));
    if t.eq_ignore_ascii_case("[object Object]") {
        Some((
            "JavaScript's text for an object: an object (the token response, a promise) was put where its access_token string belongs",
            true,
        ))
    } else if t.starts_with('{') && t.contains("access_token") {
        Some((
            "a whole token response (JSON): its access_token field is the token to send",
            false,
        ))
    } else if is(NO_VALUE) {
        Some(("a programming language's word for no value", true))
    } else if is(DOCUMENTED) {
        Some(("the placeholder of an example", true))
    } else {
        None
    }
}

fn lint_token68(token: &str, at: usize, push: &mut impl FnMut(Defect, usize, String)) {
    let bytes = token.as_bytes();
    let body_end = bytes.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1);
    // A clean token68 (the common case) in one branch-free pass.
    if bytes[..body_end]
        .iter()
        .fold(true, |ok, &b| ok & is_token68_char(b))
    {
        return;
    }
    let mut reported_ws = false;
    let mut reported_pct = false;
    for (i, ch) in token.char_indices() {
        let pos = at + i;
        match ch {
            c if c.is_ascii() && is_token68_char(c as u8) => {}
            '=' if i >= body_end => {}
            '=' => push(
                Defect::MisplacedPadding,
                pos,
                format!(
                    "An `=` at byte {pos} stands inside the token; `=` may only pad its end. Two values were joined, or the token is form-encoded."
                ),
            ),
            ' ' | '\t' => {
                if !reported_ws {
                    reported_ws = true;
                    push(
                        Defect::InteriorWhitespace,
                        pos,
                        format!(
                            "Whitespace at byte {pos} splits the credentials in two: a token has no spaces. It was broken when copied, or two values were joined."
                        ),
                    );
                }
            }
            '\r' | '\n' => {} // reported as LineBreak
            '%' if token[i..].len() >= 3
                && token.as_bytes()[i + 1].is_ascii_hexdigit()
                && token.as_bytes()[i + 2].is_ascii_hexdigit() =>
            {
                if !reported_pct {
                    reported_pct = true;
                    push(
                        Defect::PercentEncoded,
                        pos,
                        format!(
                            "`{}` at byte {pos} is percent-encoding: the token was URL-encoded. Send it decoded.",
                            &token[i..i + 3]
                        ),
                    );
                }
            }
            c if c.is_control() => {} // reported as ControlCharacter
            '$' if token[i + 1..]
                .chars()
                .next()
                .is_some_and(|n| n == '{' || n == '_' || n.is_ascii_alphabetic()) =>
            {
                let name: String = token[i + 1..]
                    .chars()
                    .take_while(|c| {
                        *c == '{' || *c == '}' || *c == '_' || c.is_ascii_alphanumeric()
                    })
                    .collect();
                push(
                    Defect::InvalidCharacter,
                    pos,
                    format!(
                        "`${name}` at byte {pos} is an unexpanded shell variable: the shell did not replace it (single quotes, or it is not set). Export it, or paste the token itself."
                    ),
                );
                return;
            }
            c => push(
                Defect::InvalidCharacter,
                pos,
                format!(
                    "{c:?} at byte {pos} is not allowed in a token (RFC 6750 §2.1 b64token: letters, digits, `-._~+/`, then `=`)."
                ),
            ),
        }
    }
}

fn lint_basic(
    token: &str,
    at: usize,
    push: &mut impl FnMut(Defect, usize, String),
    out: &mut Credentials,
) {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let decoded = if let Ok(d) = STANDARD.decode(token) {
        Some(d)
    } else if let Ok(d) = STANDARD_NO_PAD.decode(token) {
        push(
            Defect::BasicMissingPadding,
            at + token.len(),
            "The base64 lacks its `=` padding; RFC 7617 uses padded base64 and strict servers reject it.".to_owned(),
        );
        Some(d)
    } else if let Ok(d) = URL_SAFE
        .decode(token)
        .or_else(|_| URL_SAFE_NO_PAD.decode(token))
    {
        let pos = token.find(['-', '_']).unwrap_or(0);
        push(
            Defect::BasicUrlSafeAlphabet,
            at + pos,
            "The value is base64url (`-` and `_`); Basic uses the standard alphabet (`+` and `/`)."
                .to_owned(),
        );
        Some(d)
    } else if token.contains(':') {
        push(
            Defect::BasicNotEncoded,
            at,
            "The credentials are `user:password` in clear; Basic sends them base64-encoded (curl -u does it for you).".to_owned(),
        );
        let (u, p) = token.split_once(':').unwrap_or((token, ""));
        out.basic = Some(BasicCredentials {
            user: u.to_owned(),
            password: p.to_owned(),
        });
        None
    } else {
        let bad = token
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
            .map_or(0, |(i, _)| i);
        push(
            Defect::BasicNotBase64,
            at + bad,
            "The Basic credentials are not base64: encode `user:password` with standard base64."
                .to_owned(),
        );
        None
    };
    let Some(bytes) = decoded else { return };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            push(
                Defect::BasicNotUtf8,
                at,
                "The decoded credentials are not UTF-8; RFC 7617 §2.1 servers that declare charset=\"UTF-8\" will not match them.".to_owned(),
            );
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    match text.split_once(':') {
        Some((u, p)) => {
            if u.is_empty() {
                push(
                    Defect::BasicEmptyUser,
                    at,
                    "The decoded credentials have an empty user name (`:password`): the user was left out, often an unset shell variable in `-u \"$USER:$PASS\"`.".to_owned(),
                );
            }
            // An API key as the user name (Stripe's `sk_live_…:`) goes with
            // no password, as those APIs ask.
            if p.is_empty() && !authdoctor_secret::user_is_secret(u) {
                push(
                    Defect::BasicEmptyPassword,
                    at,
                    "The decoded credentials have an empty password (`user:`): the password was left out, often an unset shell variable.".to_owned(),
                );
            }
            out.basic = Some(BasicCredentials {
                user: u.to_owned(),
                password: p.to_owned(),
            })
        }
        None => push(
            Defect::BasicNoColon,
            at,
            "The decoded credentials have no `:`; Basic is base64 of `user:password`. A token was sent with the Basic scheme, or the password was left out.".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests;
