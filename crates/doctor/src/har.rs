//! HAR files (the "Save all as HAR" of browsers' developer tools), read
//! leniently: real exports omit fields the HAR 1.2 spec calls required, and
//! browsers' "sanitized" exports drop Authorization and Cookie values.

use crate::spec::{Redirected, RequestSpec, Session, TokenRequest};
use authdoctor_secret::Token;
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
    #[serde(default, rename = "redirectURL")]
    redirect_url: Option<String>,
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct Entry {
    request: Option<Request>,
    response: Option<Response>,
    #[serde(default, rename = "startedDateTime")]
    started: Option<String>,
}

impl Content {
    /// The body as recorded: its text, decoded where the HAR holds it in
    /// base64.
    fn bytes(&self) -> Option<Vec<u8>> {
        let t = self.text.as_deref()?;
        if self.encoding.as_deref() == Some("base64") {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(t).ok()
        } else {
            Some(t.as_bytes().to_vec())
        }
    }
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

/// One request of the session, for a timeline: nothing of it is sent.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Moment {
    /// Its index in the file (what `--entry` takes).
    pub index: usize,
    /// The method.
    pub method: String,
    /// The URL, its credentials masked.
    pub url: String,
    /// The status the browser saw (0 or -1: blocked or failed).
    pub status: i64,
    /// Whether it is one the doctor diagnoses (401, 403, blocked, failed).
    pub rejected: bool,
}

/// Whether a HAR entry's URL is a request the doctor can send again: an
/// HTTP one, or a WebSocket's opening handshake (Chrome records one as an
/// entry of its `ws://` or `wss://` URL, its status 101 or the refusal).
fn is_requested(url: &str) -> bool {
    ["http://", "https://", "ws://", "wss://"].iter().any(|s| {
        url.get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s))
    })
}

/// Every request of the session, in order, as the browser saw it.
pub fn timeline(text: &str) -> Result<Vec<Moment>, HarError> {
    let har: Har = serde_json::from_str(text).map_err(|e| HarError::NotJson(e.to_string()))?;
    let all = har.log.ok_or(HarError::NoEntries)?.entries;
    Ok(all
        .into_iter()
        .enumerate()
        .filter_map(|(index, e)| {
            let req = e.request?;
            let url = req.url.filter(|u| is_requested(u))?;
            let status = e.response.as_ref().and_then(|r| r.status).unwrap_or(0);
            Some(Moment {
                index,
                method: req
                    .method
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                url: authdoctor_secret::scrub(&authdoctor_net::display_url(&url)).into_owned(),
                status,
                rejected: matches!(status, 401 | 403 | 0 | -1),
            })
        })
        .collect())
}

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
    let session = read_session(&all);
    let redirects = read_redirects(&all);
    let mut out = Vec::new();
    for (index, e) in all.into_iter().enumerate() {
        if only.is_some_and(|n| n != index) {
            continue;
        }
        let at = e
            .started
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second());
        let (Some(req), resp) = (e.request, e.response) else {
            continue;
        };
        let Some(url) = req.url.filter(|u| is_requested(u)) else {
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
        let (browser_error, recorded, body) = match resp {
            Some(r) => (
                r.error.filter(|e| !e.is_empty()),
                r.headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect::<Vec<_>>(),
                r.content.as_ref().and_then(Content::bytes),
            ),
            None => (None, Vec::new(), None),
        };
        let response_headers = recorded
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        spec.browser = Some(crate::spec::BrowserSaw {
            status,
            error: browser_error.clone(),
            headers: recorded,
            body,
            at,
        });
        let mut here = session.clone();
        here.redirected_from = redirects
            .iter()
            .rev()
            .find(|r| r.entry < index && r.location.as_deref() == Some(spec.url.as_str()))
            .map(|r| Redirected {
                entry: r.entry,
                status: r.status,
                url: r.url.clone(),
                carried_authorization: r.carried_authorization,
            });
        if !here.issued.is_empty() || here.token_request.is_some() || here.redirected_from.is_some()
        {
            spec.session = Some(here);
        }
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

/// A redirect in the session: where it pointed, and what it carried.
struct Redirect {
    entry: usize,
    status: i64,
    url: String,
    location: Option<String>,
    carried_authorization: bool,
}

fn read_redirects(all: &[Entry]) -> Vec<Redirect> {
    let mut out = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let (Some(req), Some(resp)) = (&e.request, &e.response) else {
            continue;
        };
        let status = resp.status.unwrap_or(0);
        if !(300..400).contains(&status) {
            continue;
        }
        let Some(url) = req.url.clone() else { continue };
        let loc = resp
            .redirect_url
            .clone()
            .filter(|l| !l.is_empty())
            .or_else(|| {
                resp.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("location"))
                    .map(|h| h.value.clone())
            });
        // A relative Location, resolved against the URL that sent it.
        let location = loc.and_then(|l| {
            url::Url::parse(&url)
                .ok()?
                .join(&l)
                .ok()
                .map(|u| u.to_string())
        });
        out.push(Redirect {
            entry: i,
            status,
            carried_authorization: req
                .headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case("authorization") && !h.value.is_empty()),
            url,
            location,
        });
    }
    out
}

/// The token endpoint calls of the session: what the page asked for, and
/// the tokens it was handed (each kind kept, masked, to recognise one sent
/// where it does not belong).
fn read_session(all: &[Entry]) -> Session {
    let mut s = Session::default();
    for (i, e) in all.iter().enumerate() {
        let (Some(req), Some(resp)) = (&e.request, &e.response) else {
            continue;
        };
        let form: Vec<(String, String)> = req
            .post_data
            .as_ref()
            .and_then(|p| p.text.as_deref())
            .filter(|_| {
                req.method
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case("post"))
            })
            .map(|t| {
                url::form_urlencoded::parse(t.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(grant) = get("grant_type") else {
            continue;
        };
        s.token_request = Some(TokenRequest {
            entry: i,
            url: req.url.clone().unwrap_or_default(),
            grant: Some(grant),
            client_id: get("client_id"),
            scope: get("scope"),
            resource: get("resource").or_else(|| get("audience")),
            status: resp.status.unwrap_or(0),
        });
        let text = resp
            .content
            .as_ref()
            .and_then(Content::bytes)
            .and_then(|b| String::from_utf8(b).ok());
        if let Some(v) = text.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
            for kind in ["access_token", "refresh_token", "id_token"] {
                if let Some(t) = v.get(kind).and_then(|x| x.as_str()) {
                    s.issued.push((kind.to_owned(), Token::new(t), i));
                }
            }
        }
    }
    s
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
    fn a_refused_websocket_handshake_is_an_entry() {
        // As Chrome records a WebSocket whose handshake was refused: an
        // entry of its wss:// URL with the browser's handshake headers.
        let har = r#"{"log":{"entries":[
          {"request":{"method":"GET","url":"wss://api.test/live","headers":[{"name":"Connection","value":"Upgrade"},{"name":"Upgrade","value":"websocket"},{"name":"Sec-WebSocket-Key","value":"dGhlIHNhbXBsZSBub25jZQ=="},{"name":"Sec-WebSocket-Version","value":"13"},{"name":"Authorization","value":"Bearer abc"}]},"response":{"status":401,"headers":[]}},
          {"request":{"method":"GET","url":"wss://api.test/live","headers":[]},"response":{"status":101,"headers":[]}},
          {"request":{"method":"GET","url":"ftp://api.test/x","headers":[]},"response":{"status":401,"headers":[]}}
        ]}}"#;
        let e = entries(har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [0]);
        assert_eq!(e[0].spec.url, "wss://api.test/live");
        // The browser's key and version are sent again (the upgrade itself
        // is the sender's to add, as for any hop-by-hop header).
        assert_eq!(
            e[0].spec.header("sec-websocket-key"),
            Some("dGhlIHNhbXBsZSBub25jZQ==")
        );
        assert_eq!(e[0].spec.header("upgrade"), None);
        assert_eq!(timeline(har).unwrap().len(), 2);
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
