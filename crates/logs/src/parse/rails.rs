//! Rails' request log (ActionController's log subscriber): a request is
//! told in several lines, `Started GET "/orders" for 10.0.0.7 at …` first
//! and `Completed 401 Unauthorized in 2ms …` last, with the controller's
//! lines between (`Processing by …`, `Parameters: …`, `Filter chain halted
//! as :authenticate_user! rendered or redirected`). Each line may follow
//! the logger's prefix (`I, [2026-11-27T10:00:00.123456 #1234]  INFO -- :`)
//! and the tags `config.log_tags` adds (`[request id]`), which tell
//! concurrent requests apart. The scan pairs each `Completed` with the
//! `Started` of the same tags.

use super::*;

/// One line of Rails' request log.
#[derive(Debug, PartialEq, Eq)]
pub enum RailsLine<'a> {
    /// A request begins: its tags, method, path, client and time.
    Started {
        /// The line's tags (`[abc-123] [10.0.0.7]`), as written.
        tags: &'a str,
        /// The method.
        method: &'a str,
        /// The path, without its query.
        path: String,
        /// The client's address.
        client: &'a str,
        /// When, where the line says.
        ts: Option<i64>,
    },
    /// A request ends: its tags and status.
    Completed {
        /// The line's tags, as written.
        tags: &'a str,
        /// The status.
        status: u16,
    },
    /// A line of the controller's between them: known, telling nothing.
    Between,
}

/// The words Rails' controller lines begin with, between `Started` and
/// `Completed`.
const BETWEEN: [&str; 8] = [
    "Processing by ",
    "Parameters: ",
    "Filter chain halted as ",
    "Rendered ",
    "Redirected to ",
    "Rendering ",
    "Completed ",
    "Can't verify CSRF token authenticity",
];

/// Reads a line as Rails' request log, if it is one.
pub fn rails(t: &str) -> Option<RailsLine<'_>> {
    let body = match memchr::memmem::find(t.as_bytes(), b" -- : ") {
        // The logger's prefix: `I, [time #pid]  INFO -- : `.
        Some(at) if t.get(1..3) == Some(", ") => &t[at + 6..],
        _ => t,
    };
    // The tags, each `[…]`, before the message.
    let mut rest = body.trim_start();
    let start = rest;
    while let Some(r) = rest.strip_prefix('[') {
        let close = memchr::memchr(b']', r.as_bytes())?;
        rest = r[close + 1..].trim_start();
    }
    let tags = start[..start.len() - rest.len()].trim_end();
    if let Some(r) = rest.strip_prefix("Started ") {
        let (method, r) = r.split_once(' ')?;
        if !METHODS.contains(&method) {
            return None;
        }
        let r = r.strip_prefix('"')?;
        let (target, r) = r.split_once("\" for ")?;
        let (client, when) = r.split_once(" at ")?;
        return Some(RailsLine::Started {
            tags,
            method,
            path: url_path(target),
            client,
            ts: lead_time(when),
        });
    }
    if let Some(r) = rest.strip_prefix("Completed ") {
        if let Some(status) = r.get(..3).and_then(http_status) {
            if r.as_bytes().get(3) == Some(&b' ') {
                return Some(RailsLine::Completed { tags, status });
            }
        }
    }
    BETWEEN
        .iter()
        .any(|w| rest.starts_with(w))
        .then_some(RailsLine::Between)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_request_lines() {
        assert_eq!(
            rails(r#"Started GET "/api/orders?page=2" for 10.0.0.7 at 2026-11-27 10:00:00 +0000"#),
            Some(RailsLine::Started {
                tags: "",
                method: "GET",
                path: "/api/orders".into(),
                client: "10.0.0.7",
                ts: Some(1_795_773_600),
            })
        );
        assert_eq!(
            rails(
                "I, [2026-11-27T10:00:00.123456 #1234]  INFO -- : [ab12-cd] Completed 401 Unauthorized in 2ms (ActiveRecord: 0.0ms | Allocations: 120)"
            ),
            Some(RailsLine::Completed {
                tags: "[ab12-cd]",
                status: 401
            })
        );
        assert_eq!(
            rails(
                "[ab12-cd] [10.0.0.7] Filter chain halted as :authenticate_user! rendered or redirected"
            ),
            Some(RailsLine::Between)
        );
        assert_eq!(
            rails(r#"  Parameters: {"page"=>"2"}"#.trim()),
            Some(RailsLine::Between)
        );
        assert_eq!(rails("Started something else"), None);
        assert_eq!(rails("a line of another log"), None);
    }
}
