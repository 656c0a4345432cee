//! Reading what the user gives: arguments, standard input, files, times.

use std::io::Read;
use std::path::Path;

/// More than this from standard input or a file is refused: no token, key
/// set or header is anywhere near it.
pub const MAX_INPUT: u64 = 8 * 1024 * 1024;

/// Input that cannot be used. Messages read as sentences and say what to do;
/// none quotes a secret.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Standard input could not be read.
    #[error("Standard input could not be read: {0}.")]
    Stdin(std::io::Error),
    /// A file could not be read.
    #[error("{path} could not be read: {err}. Check the path.")]
    File {
        /// The path.
        path: String,
        /// Why.
        err: std::io::Error,
    },
    /// A compressed file that does not decompress.
    #[error(
        "{path} is compressed but does not decompress: {err}. Is it complete (cut short, or still being written)?"
    )]
    Corrupt {
        /// The path.
        path: String,
        /// Why.
        err: std::io::Error,
    },
    /// Too large.
    #[error("{what} is larger than {limit} bytes; that is not a token, key set or header value.", limit = MAX_INPUT)]
    TooLarge {
        /// What.
        what: String,
    },
    /// Not text.
    #[error("{0} is not UTF-8 text.")]
    NotText(String),
    /// A log compressed in a way that is not read.
    #[error(
        "{path} is compressed with {kind}, which authdoctor logs does not read (gzip and zstd it does): decompress it into the command, `{command}`."
    )]
    CompressedAs {
        /// The path, or "standard input".
        path: String,
        /// The compression.
        kind: &'static str,
        /// The command line that decompresses it into `authdoctor logs -`.
        command: String,
    },
    /// Nothing was given.
    #[error("{0} is empty: give the value itself, @FILE, or - for standard input.")]
    Empty(&'static str),
    /// A time that does not parse.
    #[error(
        "--at {0:?} is not a time: give RFC 3339 (2026-11-26T17:34:12Z) or seconds since the epoch."
    )]
    Time(String),
    /// The key set could not be fetched.
    #[error("The issuer's key set could not be had: {0}")]
    Keys(String),
    /// A key set that does not parse.
    #[error("{path}: {err}")]
    Jwks {
        /// The path.
        path: String,
        /// Why.
        err: authdoctor_jose::JwksError,
    },
    /// An algorithm name not known.
    #[error(
        "--alg {0:?} is not a JWS algorithm; use RS256, PS256, ES256, EdDSA, HS256 or their kin."
    )]
    Alg(String),
}

fn read_limited(r: impl Read, what: &str) -> Result<String, std::io::Result<InputError>> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT + 1).read_to_end(&mut buf).map_err(Err)?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Ok(InputError::TooLarge {
            what: what.to_owned(),
        }));
    }
    String::from_utf8(buf).map_err(|_| Ok(InputError::NotText(what.to_owned())))
}

/// The argument itself; standard input when it is `-`; a file's text when
/// it is `@FILE` (as curl spells it).
pub fn arg_or_stdin(arg: &str) -> Result<String, InputError> {
    if let Some(path) = arg.strip_prefix('@') {
        return file_text(Path::new(path));
    }
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    read_limited(std::io::stdin().lock(), "Standard input")
        .map_err(|e| e.unwrap_or_else(InputError::Stdin))
}

/// A file's bytes, bounded.
pub fn file_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let f = std::fs::File::open(path).map_err(|err| InputError::File {
        path: path.display().to_string(),
        err,
    })?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .map_err(|err| InputError::File {
            path: path.display().to_string(),
            err,
        })?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(InputError::TooLarge {
            what: path.display().to_string(),
        });
    }
    Ok(buf)
}

/// A file's text, bounded.
pub fn file_text(path: &Path) -> Result<String, InputError> {
    String::from_utf8(file_bytes(path)?)
        .map_err(|_| InputError::NotText(path.display().to_string()))
}

/// `--at`: RFC 3339 or seconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64, InputError> {
    if let Ok(n) = s.trim().parse::<i64>() {
        return Ok(n);
    }
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| InputError::Time(s.to_owned()))
}

/// The local clock, in seconds since the epoch.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
