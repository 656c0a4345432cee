//! Reading the user's local files (cookie jars, CA bundles, bodies given as
//! `@FILE`) within a bound: a path may name `/dev/zero`, a FIFO or a
//! multi-gigabyte log, and none of these may take the machine's memory.

use std::io::Read;
use std::path::Path;

/// The most read from any one local file: no cookie jar, CA bundle, token
/// or request body that authdoctor reads comes near it.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Why a local file could not be used. No message quotes its content.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// It could not be opened or read.
    #[error("{path} could not be read: {err}. Check the path.")]
    Unreadable {
        /// The path.
        path: String,
        /// Why.
        err: std::io::Error,
    },
    /// It is larger than the bound.
    #[error(
        "{path} is larger than {limit} bytes, more than authdoctor reads from a file; give a smaller one."
    )]
    TooLarge {
        /// The path.
        path: String,
        /// The bound, bytes.
        limit: u64,
    },
}

/// Reads at most `limit` bytes of a file; a longer one is refused, never
/// read whole.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let shown = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|err| FileError::Unreadable {
        path: shown.clone(),
        err,
    })?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|err| FileError::Unreadable {
            path: shown.clone(),
            err,
        })?;
    if buf.len() as u64 > limit {
        return Err(FileError::TooLarge { path: shown, limit });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_is_refused_after_the_bound() {
        let e = read(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { limit: 1024, .. }), "{e}");
        assert!(e.to_string().contains("larger than 1024 bytes"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = read(Path::new("/nonexistent/jar.txt"), 1024).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/jar.txt could not be read")
        );
    }
}
