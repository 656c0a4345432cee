//! HAR files (the "Save all as HAR" of browsers' developer tools), read
//! leniently: real exports omit fields the HAR 1.2 spec calls required, and
//! browsers' "sanitized" exports drop Authorization and Cookie values.

use crate::spec::RequestSpec;
use serde::Deserialize;

/// Why a HAR file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HarError {
    /// Not JSON at all.
    #[error("The HAR file is not JSON ({0}); export it again with \"Save all as HAR\".")]
    NotJson(String),
    /// JSON, but no entries.
    #[error("The HAR file has no log.entries: it is not a HAR export.")]
    NoEntries,
    /// The entry asked for does not exist.
    #[error(
        "The HAR file has {count} entries; --entry {asked} is not one of them (they count from 0)."
    )]
    NoSuchEntry {
        /// How many.
        count: usize,
        /// Which was asked.
        asked: usize,
    },
}

#[derive(Deserialize)]
struct Har {
    log: Option<Log>,
}

#[derive(Deserialize)]
struct Log {
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct NameValue {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct PostData {
    #[serde(default, rename = "mimeType")]
    mime_type: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default, rename = "postData")]
    post_data: Option<PostData>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    headers: Vec<NameValue>,
    #[serde(default, rename = "_error")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    request: Option<Request>,
    response: Option<Response>,
}

/// One entry the browser saw rejected (or failed), ready to diagnose.
#[derive(Clone, Debug)]
pub struct HarEntry {
    /// Its index in the file.
    pub index: usize,
    /// The request, to send again.
    pub spec: RequestSpec,
    /// The status the browser saw (0 or -1: the browser blocked it or it failed).
    pub status: i64,
    /// The browser's own error, when there is one (`net::ERR_FAILED`).
    pub browser_error: Option<String>,
    /// Response headers the browser saw.
    pub response_headers: Vec<(String, String)>,
    /// Whether credential headers look stripped by a sanitized export.
    pub sanitized: bool,
}

/// Headers the browser sets itself, which must not be sent again.
const SKIP: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "te",
    "upgrade",
    "keep-alive",
    "transfer-encoding",
];

/// Reads the entries to diagnose: every rejected or failed one, or entry `only`.
pub fn entries(text: &str, only: Option<usize>) -> Result<Vec<HarEntry>, HarError> {
    let har: Har = serde_json::from_str(text).map_err(|e| HarError::NotJson(e.to_string()))?;
    let all = har.log.ok_or(HarError::NoEntries)?.entries;
    if all.is_empty() {
        return Err(HarError::NoEntries);
    }
    if let Some(n) = only
        && n >= all.len()
    {
        return Err(HarError::NoSuchEntry {
            count: all.len(),
            asked: n,
        });
    }
    let mut out = Vec::new();
    for (index, e) in all.into_iter().enumerate() {
        if only.is_some_and(|n| n != index) {
            continue;
        }
        let (Some(req), resp) = (e.request, e.response) else {
            continue;
        };
        let Some(url) = req.url.filter(|u| u.starts_with("http")) else {
            continue;
        };
        let status = resp.as_ref().and_then(|r| r.status).unwrap_or(0);
        let rejected = matches!(status, 401 | 403 | 0 | -1);
        if only.is_none() && !rejected {
            continue;
        }
        let mut sanitized = false;
        let mut spec = RequestSpec {
            method: req
                .method
                .unwrap_or_else(|| "GET".into())
                .to_ascii_uppercase(),
            url,
            ..RequestSpec::default()
        };
        for h in req.headers {
            let n = h.name.trim_start_matches(':').to_ascii_lowercase();
            if h.name.starts_with(':') || SKIP.contains(&n.as_str()) {
                continue;
            }
            if matches!(n.as_str(), "authorization" | "cookie")
                && (h.value.is_empty() || h.value == "REDACTED" || h.value.contains("[REDACTED]"))
            {
                sanitized = true;
                continue;
            }
            spec.headers.push((h.name, h.value));
        }
        if let Some(p) = req.post_data {
            if let Some(t) = p.text {
                spec.body = Some(t.into_bytes());
                if let Some(m) = p
                    .mime_type
                    .filter(|_| spec.header("content-type").is_none())
                {
                    spec.headers.push(("Content-Type".into(), m));
                }
            }
        }
        if sanitized {
            spec.notes.push("the HAR export was sanitized: the browser removed Authorization or Cookie values; export with sensitive data to diagnose credentials".into());
        }
        let (browser_error, response_headers) = match resp {
            Some(r) => (
                r.error.filter(|e| !e.is_empty()),
                r.headers
                    .into_iter()
                    .map(|h| (h.name.to_ascii_lowercase(), h.value))
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        spec.browser = Some(crate::spec::BrowserSaw {
            status,
            error: browser_error.clone(),
        });
        out.push(HarEntry {
            index,
            spec,
            status,
            browser_error,
            response_headers,
            sanitized,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAR: &str = r#"{"log":{"version":"1.2","entries":[
      {"request":{"method":"GET","url":"https://api.test/ok","headers":[]},"response":{"status":200,"headers":[]}},
      {"request":{"method":"GET","url":"https://api.test/orders","headers":[{"name":":authority","value":"api.test"},{"name":"authorization","value":"Bearer abc"},{"name":"accept-encoding","value":"gzip"}]},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Bearer error=\"invalid_token\""}]}},
      {"request":{"method":"OPTIONS","url":"https://api.test/orders","headers":[{"name":"Origin","value":"https://app.test"},{"name":"Access-Control-Request-Headers","value":"authorization"}]},"response":{"status":0,"headers":[],"_error":"net::ERR_FAILED"}},
      {"request":{"method":"POST","url":"https://api.test/orders","headers":[{"name":"Cookie","value":""}],"postData":{"mimeType":"application/json","text":"{}"}},"response":{"status":403}}
    ]}}"#;

    #[test]
    fn rejected_entries_only_and_browser_headers_dropped() {
        let e = entries(HAR, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(
            e[0].spec.headers,
            [("authorization".to_owned(), "Bearer abc".to_owned())]
        );
        assert_eq!(e[1].browser_error.as_deref(), Some("net::ERR_FAILED"));
        assert!(e[2].sanitized);
        assert_eq!(e[2].spec.header("content-type"), Some("application/json"));
        assert_eq!(entries(HAR, Some(0)).unwrap().len(), 1);
    }

    #[test]
    fn not_a_har() {
        assert!(matches!(entries("nope", None), Err(HarError::NotJson(_))));
        assert!(matches!(entries("{}", None), Err(HarError::NoEntries)));
        assert!(matches!(
            entries(HAR, Some(9)),
            Err(HarError::NoSuchEntry { count: 4, asked: 9 })
        ));
    }
}
