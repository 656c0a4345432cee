//! Logs exported as one JSON document rather than as JSON lines: an array
//! of entries (`gcloud logging read --format=json`, Kibana's and most log
//! stores' exports, `jq -s`), pretty-printed objects one after another
//! (`jq .`), an object whose first member holds the entries (`aws logs
//! filter-log-events`: `{"events": [...], ...}`), or a search response of
//! Elasticsearch or OpenSearch (its documents in `hits.hits`). [`JsonRecords`] streams
//! such a document as JSON lines, one entry each, so that it is read as any
//! JSON log is, in bounded memory.

use std::io::Read;

/// Where a stream that begins with `head` holds its entries, if it is a
/// JSON document to read by [`JsonRecords`]: the depth their objects open
/// at. 1 for an array of objects (`[` then `{` or `]`); 2 for an object
/// whose first member is an array of objects (`{"events": [{`), and for
/// CloudWatch Logs' subscription records (`"logEvents":[{` in the first
/// line: each line a batch); 3 for a search response of Elasticsearch or
/// OpenSearch ([`search_response`]); 0 for
/// objects pretty-printed one after another (the first line `{` alone).
/// `None` for anything else: a JSON-lines log, whose first line is a whole
/// object, is not a document.
pub fn json_document(head: &[u8]) -> Option<usize> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    fn next(r: &[u8]) -> Option<&[u8]> {
        r.iter()
            .position(|b| !b.is_ascii_whitespace())
            .and_then(|i| r.get(i..))
    }
    let rest = next(head)?;
    match rest.split_first()? {
        (b'[', r) => matches!(next(r)?.first(), Some(b'{' | b']')).then_some(1),
        (b'{', r) => {
            // `{"key": [{` opens a wrapper of entries.
            let wrapped = || -> Option<()> {
                let key = next(r)?.strip_prefix(b"\"")?;
                let end = key.iter().position(|b| matches!(b, b'"' | b'\\'))?;
                (key[end] == b'"').then_some(())?;
                let after = next(next(&key[end + 1..])?.strip_prefix(b":")?)?;
                matches!(next(after.strip_prefix(b"[")?)?.first(), Some(b'{')).then_some(())
            };
            // CloudWatch Logs' subscription records, one per line:
            // `{"messageType":"DATA_MESSAGE",…,"logEvents":[{…}]}`.
            let first_line = &r[..r.iter().position(|b| *b == b'\n').unwrap_or(r.len())];
            let batch = memchr::memmem::find(first_line, b"\"logEvents\"").is_some_and(|at| {
                let after = || -> Option<()> {
                    let v = next(next(&first_line[at + 11..])?.strip_prefix(b":")?)?;
                    matches!(next(v.strip_prefix(b"[")?)?.first(), Some(b'{')).then_some(())
                };
                after().is_some()
            });
            if wrapped().is_some() || batch {
                return Some(2);
            }
            if search_response(r) {
                return Some(3);
            }
            r.iter()
                .position(|b| *b == b'\n')
                .is_some_and(|end| r[..end].iter().all(u8::is_ascii_whitespace))
                .then_some(0)
        }
        _ => None,
    }
}

/// Whether an object (`r`: what follows its `{`) is a search response of
/// Elasticsearch or OpenSearch (`GET _search`, Kibana's Dev Tools, a scroll
/// page): its first member `took`, `_scroll_id` or `pit_id`, and its
/// documents in `"hits": {…, "hits": [{` (opening at depth 3).
fn search_response(r: &[u8]) -> bool {
    fn next(r: &[u8]) -> Option<&[u8]> {
        r.iter()
            .position(|b| !b.is_ascii_whitespace())
            .and_then(|i| r.get(i..))
    }
    // `"name"`, a colon, then `open`: what follows `open`.
    fn member<'a>(r: &'a [u8], name: &[u8], open: u8) -> Option<&'a [u8]> {
        let mut from = 0;
        loop {
            let at = from + memchr::memmem::find(&r[from..], name)?;
            from = at + name.len();
            let value = next(
                r[from..]
                    .strip_prefix(b":")
                    .or_else(|| next(&r[from..])?.strip_prefix(b":"))?,
            );
            if let Some(rest) = value.and_then(|v| v.strip_prefix(&[open])) {
                return Some(rest);
            }
        }
    }
    let first = next(r).unwrap_or_default();
    let is_response = [&b"\"took\""[..], b"\"_scroll_id\"", b"\"pit_id\""]
        .iter()
        .any(|k| first.starts_with(k));
    is_response
        && member(r, b"\"hits\"", b'{')
            .and_then(|outer| member(outer, b"\"hits\"", b'['))
            .and_then(next)
            .is_some_and(|d| matches!(d.first(), Some(b'{' | b']')))
}

/// A JSON document read as JSON lines: each entry (an object opening at
/// the document's record depth, [`json_document`]) on a line of its own,
/// with no whitespace between its tokens; what lies outside the entries
/// (the array around them, a wrapper's other members) is left out. Text
/// inside strings is passed as it is (a string holds no raw newline in
/// JSON).
pub struct JsonRecords<R> {
    inner: R,
    /// Bytes read, not yet turned: `raw[at..filled]`.
    raw: Vec<u8>,
    at: usize,
    filled: usize,
    /// Depth of brackets and braces, outside strings.
    depth: usize,
    /// The depth an entry opens at.
    record: usize,
    string: bool,
    escaped: bool,
    /// Inside an array that opened where entries do: not an entry.
    skipping: bool,
    /// A line's end that did not fit in the caller's buffer.
    pending: Option<u8>,
}

impl<R: Read> JsonRecords<R> {
    /// Reads `inner`, a JSON document whose entries open at depth `record`
    /// ([`json_document`]).
    pub fn new(inner: R, record: usize) -> JsonRecords<R> {
        JsonRecords {
            inner,
            raw: vec![0; 1 << 16],
            at: 0,
            filled: 0,
            depth: 0,
            record,
            string: false,
            escaped: false,
            skipping: false,
            pending: None,
        }
    }

    /// One byte of the document turned into what it becomes, written to
    /// `out` (none, one, or a closing brace and its line's end).
    fn turn(&mut self, c: u8, out: &mut [u8; 2]) -> usize {
        out[0] = c;
        let inside = self.depth > self.record && !self.skipping;
        if self.string {
            if self.escaped {
                self.escaped = false;
            } else if c == b'\\' {
                self.escaped = true;
            } else if c == b'"' {
                self.string = false;
            }
            return usize::from(inside);
        }
        match c {
            // JSON needs none between its tokens.
            c if c.is_ascii_whitespace() => 0,
            b'"' => {
                self.string = true;
                usize::from(inside)
            }
            b'[' | b'{' => {
                // Only an object is an entry: an array where entries open
                // (an aggregation's buckets beside a search's hits) is
                // passed over whole.
                if self.depth == self.record && c == b'[' {
                    self.skipping = true;
                }
                self.depth += 1;
                usize::from(self.depth > self.record && !self.skipping)
            }
            b']' | b'}' => {
                let was = self.depth;
                self.depth = self.depth.saturating_sub(1);
                if was <= self.record {
                    0
                } else if self.skipping {
                    self.skipping = self.depth > self.record;
                    0
                } else if self.depth == self.record {
                    // An entry ends: so does its line.
                    out[1] = b'\n';
                    2
                } else {
                    1
                }
            }
            _ => usize::from(inside),
        }
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
        let record = json_document(doc.as_bytes()).unwrap_or(0);
        let mut s = String::new();
        JsonRecords::new(doc.as_bytes(), record)
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
        let mut one = JsonRecords::new(array.as_bytes(), 1);
        let (mut got, mut b) = (Vec::new(), [0u8; 1]);
        while one.read(&mut b).unwrap_or(0) == 1 {
            got.push(b[0]);
        }
        assert_eq!(String::from_utf8_lossy(&got), lines(array));
        assert_eq!(lines("[]"), "");
        // A wrapper's entries; its other members left out.
        let aws = "{\n  \"events\": [\n    {\"message\": \"a\", \"n\": {\"x\": [1]}},\n    {\"message\": \"b\"}\n  ],\n  \"searchedLogStreams\": [],\n  \"nextToken\": \"t{\"\n}\n";
        assert_eq!(
            lines(aws),
            "{\"message\":\"a\",\"n\":{\"x\":[1]}}\n{\"message\":\"b\"}\n"
        );
        // A search response's documents; its shards, totals and
        // aggregations left out.
        let search = "{\n  \"took\" : 3,\n  \"_shards\" : {\"total\" : 1, \"failures\" : [ ]},\n  \"hits\" : {\n    \"total\" : {\"value\" : 2},\n    \"hits\" : [\n      {\"_id\" : \"1\", \"_source\" : {\"m\" : \"a\"}},\n      {\"_id\" : \"2\", \"_source\" : {\"m\" : \"b\"}}\n    ]\n  },\n  \"aggregations\" : {\"x\" : {\"buckets\" : [ ]}}\n}\n";
        assert_eq!(
            lines(search),
            "{\"_id\":\"1\",\"_source\":{\"m\":\"a\"}}\n{\"_id\":\"2\",\"_source\":{\"m\":\"b\"}}\n"
        );
        // Each line parses as the record it was.
        for l in lines(array).lines().filter(|l| !l.is_empty()) {
            assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{l}");
        }
    }

    #[test]
    fn a_json_document_is_told_from_json_lines() {
        assert_eq!(json_document(b"[\n  {\n"), Some(1));
        assert_eq!(json_document(b"\xef\xbb\xbf  [{\"a\":1}]"), Some(1));
        assert_eq!(json_document(b"{\n  \"a\": 1\n}\n"), Some(0));
        assert_eq!(json_document(b"[]"), Some(1));
        assert_eq!(json_document(b"{\n    \"events\": [\n        {"), Some(2));
        assert_eq!(
            json_document(b"{\"events\":[{\"message\":\"x\"}]}"),
            Some(2)
        );
        assert_eq!(
            json_document(b"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\"}]}\n"),
            Some(2)
        );
        assert_eq!(
            json_document(
                b"{\"messageType\": \"DATA_MESSAGE\", \"logEvents\": [ {\"id\": \"1\"}]}\n"
            ),
            Some(2)
        );
        // Elasticsearch's and OpenSearch's search responses, compact and as
        // Kibana's Dev Tools prints them.
        assert_eq!(
            json_document(b"{\"took\":3,\"timed_out\":false,\"_shards\":{\"total\":1},\"hits\":{\"total\":{\"value\":2},\"max_score\":1.0,\"hits\":[{\"_index\":\"logs\""),
            Some(3)
        );
        assert_eq!(
            json_document(b"{\n  \"took\" : 3,\n  \"hits\" : {\n    \"total\" : {\n      \"value\" : 0\n    },\n    \"hits\" : [ ]\n  }\n}\n"),
            Some(3)
        );
        // Another object that holds hits: not one.
        assert_eq!(
            json_document(b"{\"hits\":{\"hits\":[{\"a\":1}]}}\n{\"hits\":{}}\n"),
            None
        );
        assert_eq!(json_document(b"{\"a\":1}\n{\"a\":2}\n"), None);
        assert_eq!(json_document(b"{\"a\":[1]}\n"), None);
        assert_eq!(json_document(b"[26/Nov/2026:00:00:00 +0000] x"), None);
        assert_eq!(json_document(b"10.0.0.1 - - [26/Nov/2026"), None);
        assert_eq!(json_document(b""), None);
    }
}
