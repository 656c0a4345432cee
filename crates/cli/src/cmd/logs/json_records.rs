//! Logs exported as one JSON document rather than as JSON lines: an array
//! of entries (`gcloud logging read --format=json`, Kibana's and most log
//! stores' exports, `jq -s`) or pretty-printed objects one after another
//! (`jq .`). [`JsonRecords`] streams such a document as JSON lines, one
//! entry each, so that it is read as any JSON log is, in bounded memory.

use std::io::Read;

/// Whether a stream that begins with `head` is a JSON document to read by
/// [`JsonRecords`]: an array of objects (`[` then `{` or `]`), or an
/// object pretty-printed (its first line `{` alone). A JSON-lines log,
/// whose first line is a whole object, is not.
pub fn is_json_document(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let Some(rest) = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| head.get(i..))
    else {
        return false;
    };
    match rest.split_first() {
        Some((b'[', r)) => matches!(
            r.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'{' | b']')
        ),
        Some((b'{', r)) => r
            .iter()
            .position(|b| *b == b'\n')
            .is_some_and(|end| r[..end].iter().all(u8::is_ascii_whitespace)),
        _ => false,
    }
}

/// A JSON document read as JSON lines: each object of a top-level array,
/// or each top-level object, on a line of its own; the whitespace between
/// a value's tokens (pretty-printing's newlines) made spaces. Text inside
/// strings is passed as it is (a string holds no raw newline in JSON).
pub struct JsonRecords<R> {
    inner: R,
    /// Bytes read, not yet turned: `raw[at..filled]`.
    raw: Vec<u8>,
    at: usize,
    filled: usize,
    /// Depth of brackets and braces, outside strings.
    depth: usize,
    /// The depth a record's own value begins at: 1 inside a top-level
    /// array, 0 for objects one after another; known from the first
    /// bracket.
    record: Option<usize>,
    string: bool,
    escaped: bool,
    /// A line's end that did not fit in the caller's buffer.
    pending: Option<u8>,
}

impl<R: Read> JsonRecords<R> {
    /// Reads `inner`, a JSON document.
    pub fn new(inner: R) -> JsonRecords<R> {
        JsonRecords {
            inner,
            raw: vec![0; 1 << 16],
            at: 0,
            filled: 0,
            depth: 0,
            record: None,
            string: false,
            escaped: false,
            pending: None,
        }
    }

    /// One byte of the document turned into what it becomes, written to
    /// `out` (none, one, or a closing brace and its line's end).
    fn turn(&mut self, c: u8, out: &mut [u8; 2]) -> usize {
        if self.string {
            if self.escaped {
                self.escaped = false;
            } else if c == b'\\' {
                self.escaped = true;
            } else if c == b'"' {
                self.string = false;
            }
            out[0] = c;
            return 1;
        }
        if c.is_ascii_whitespace() {
            // JSON needs none between its tokens.
            return 0;
        }
        let record = *self.record.get_or_insert(usize::from(c == b'['));
        out[0] = c;
        match c {
            b'"' => self.string = true,
            b'[' | b'{' => {
                self.depth += 1;
                // The array around the records is not theirs.
                if record == 1 && self.depth == 1 {
                    return 0;
                }
            }
            b']' | b'}' => {
                self.depth = self.depth.saturating_sub(1);
                if record == 1 && self.depth == 0 {
                    // The array around the records: its records' lines
                    // have ended.
                    return 0;
                } else if self.depth == record {
                    // A record ends: so does its line.
                    out[1] = b'\n';
                    return 2;
                }
            }
            b',' if record == 1 && self.depth == 1 => return 0,
            _ => {}
        }
        1
    }
}

impl<R: Read> Read for JsonRecords<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        let mut out = [0u8; 2];
        while n < buf.len() {
            if let Some(c) = self.pending.take() {
                buf[n] = c;
                n += 1;
                continue;
            }
            if self.at == self.filled {
                if n > 0 {
                    break;
                }
                self.filled = self.inner.read(&mut self.raw)?;
                self.at = 0;
                if self.filled == 0 {
                    break;
                }
            }
            let c = self.raw[self.at];
            self.at += 1;
            let k = self.turn(c, &mut out);
            if k > 0 {
                buf[n] = out[0];
                n += 1;
            }
            if k == 2 {
                self.pending = Some(out[1]);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(doc: &str) -> String {
        let mut s = String::new();
        JsonRecords::new(doc.as_bytes())
            .read_to_string(&mut s)
            .unwrap_or_default();
        s
    }

    #[test]
    fn an_array_and_pretty_printed_objects_are_read_as_json_lines() {
        let array = "[\n  {\n    \"a\": 1,\n    \"b\": [1, 2],\n    \"s\": \"x, } ] \\\" {\"\n  },\n  {\"a\": 2}\n]\n";
        assert_eq!(
            lines(array),
            "{\"a\":1,\"b\":[1,2],\"s\":\"x, } ] \\\" {\"}\n{\"a\":2}\n"
        );
        let pretty = "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n  \"a\": 2\n}\n";
        assert_eq!(lines(pretty), "{\"a\":{\"b\":1}}\n{\"a\":2}\n");
        // Read a byte at a time, as some callers do: the same.
        let mut one = JsonRecords::new(array.as_bytes());
        let (mut got, mut b) = (Vec::new(), [0u8; 1]);
        while one.read(&mut b).unwrap_or(0) == 1 {
            got.push(b[0]);
        }
        assert_eq!(String::from_utf8_lossy(&got), lines(array));
        assert_eq!(lines("[]"), "");
        // Each line parses as the record it was.
        for l in lines(array).lines().filter(|l| !l.is_empty()) {
            assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{l}");
        }
    }

    #[test]
    fn a_json_document_is_told_from_json_lines() {
        assert!(is_json_document(b"[\n  {\n"));
        assert!(is_json_document(b"\xef\xbb\xbf  [{\"a\":1}]"));
        assert!(is_json_document(b"{\n  \"a\": 1\n}\n"));
        assert!(is_json_document(b"[]"));
        assert!(!is_json_document(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!is_json_document(b"[26/Nov/2026:00:00:00 +0000] x"));
        assert!(!is_json_document(b"10.0.0.1 - - [26/Nov/2026"));
        assert!(!is_json_document(b""));
    }
}
