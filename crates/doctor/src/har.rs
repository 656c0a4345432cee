//! HAR files (the "Save all as HAR" of browsers' developer tools), read
//! leniently: real exports omit fields the HAR 1.2 spec calls required, and
//! browsers' "sanitized" exports drop Authorization and Cookie values.

use crate::spec::{JarCookie, RecordedDocument, Redirected, RequestSpec, Session, TokenRequest};
use authdoctor_diagnosis::cookies::{self, NotSent, SetCookie, Withheld};
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
    #[serde(default)]
    creator: Option<Creator>,
}

#[derive(Deserialize)]
struct Creator {
    #[serde(default)]
    name: String,
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
    #[serde(default, rename = "httpVersion")]
    http_version: Option<String>,
    #[serde(default, rename = "headersSize")]
    headers_size: Option<i64>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    status: Option<i64>,
    #[serde(default)]
    headers: Vec<NameValue>,
    /// The browser's error (Chrome's DevTools).
    #[serde(default, rename = "_error")]
    error: Option<String>,
    /// The same, as Playwright writes it.
    #[serde(default, rename = "_failureText")]
    failure: Option<String>,
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
    /// Chrome's kind of request: `fetch`, `xhr`, `document`, …
    #[serde(default, rename = "_resourceType")]
    resource_type: Option<String>,
    /// Playwright's mark of a request aborted (by the page, or by the
    /// recording's own routing), whatever error it then gives.
    #[serde(default, rename = "_wasAborted")]
    was_aborted: bool,
}

impl Entry {
    /// Whether this entry is a sign-in the identity provider refused
    /// ([`authdoctor_diagnosis::sign_in::refusal`]).
    fn sign_in_refused(&self) -> bool {
        self.sign_in_refusal().is_some()
    }

    /// The sign-in refusal this entry shows, if it shows one.
    fn sign_in_refusal(&self) -> Option<authdoctor_diagnosis::sign_in::SignInRefusal> {
        let url = self.request.as_ref()?.url.as_deref()?;
        let status = u16::try_from(self.status()).ok()?;
        let body = self.body().unwrap_or_default();
        let body = String::from_utf8_lossy(&body[..body.len().min(64 << 10)]);
        authdoctor_diagnosis::sign_in::refusal(url, status, self.location().as_deref(), &body)
    }

    /// When the browser sent the request, seconds since the epoch.
    fn started(&self) -> Option<i64> {
        self.started
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second())
    }

    /// The response's body as recorded, where the export kept it.
    fn body(&self) -> Option<Vec<u8>> {
        self.response.as_ref()?.content.as_ref()?.bytes()
    }

    /// The status the browser saw (0 where none was recorded).
    fn status(&self) -> i64 {
        self.response.as_ref().and_then(|r| r.status).unwrap_or(0)
    }

    /// Where a redirect pointed: its `redirectURL` (or `Location`),
    /// resolved against the URL that answered with it.
    fn location(&self) -> Option<String> {
        let (req, resp) = (self.request.as_ref()?, self.response.as_ref()?);
        if !(300..400).contains(&self.status()) {
            return None;
        }
        let to = resp
            .redirect_url
            .as_deref()
            .filter(|l| !l.is_empty())
            .or_else(|| {
                resp.headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("location"))
                    .map(|h| h.value.as_str())
            })?;
        authdoctor_diagnosis::facts::resolved(req.url.as_deref()?, to)
    }

    /// Whether the browser saw this entry refused: a 401 or 403, blocked
    /// or failed in the browser, a success whose GraphQL errors refuse it
    /// ([`authdoctor_diagnosis::facts::refusal_in`]), or a script's call
    /// (fetch, XHR) sent to sign in (a page's navigation to a login page is
    /// a sign-in flow).
    fn refused(&self) -> bool {
        if matches!(self.status(), 0 | -1) {
            // Failed for a reason of the network or the browser's own
            // (an ad blocker, a name that does not resolve, a request the
            // page cancelled or the recording aborted): nothing about
            // credentials. A CORS refusal is `net::ERR_FAILED`, and stays.
            return !self.was_aborted
                && !self
                    .response
                    .as_ref()
                    .and_then(Response::browser_error)
                    .is_some_and(|e| NOT_AUTH_FAILURES.iter().any(|n| e.contains(n)));
        }
        if matches!(self.status(), 401 | 403) {
            return true;
        }
        let refused_in_body = self
            .body()
            .zip(u16::try_from(self.status()).ok())
            .is_some_and(|(body, status)| {
                authdoctor_diagnosis::facts::refusal_in(status, &body).is_some()
            });
        if refused_in_body {
            return true;
        }
        let script = self
            .resource_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("fetch") || t.eq_ignore_ascii_case("xhr"));
        script
            && self
                .location()
                .is_some_and(|to| authdoctor_diagnosis::facts::is_sign_in_url(&to))
    }
}

/// Browser errors that say a request failed for a reason of the network
/// or of the browser itself, never of credentials.
const NOT_AUTH_FAILURES: &[&str] = &[
    "ERR_BLOCKED_BY_CLIENT",
    "ERR_NAME_NOT_RESOLVED",
    "ERR_INTERNET_DISCONNECTED",
    "ERR_NETWORK_CHANGED",
    "ERR_ABORTED",
    "NS_BINDING_ABORTED",
];

impl Response {
    /// The browser's error, however the export names it.
    fn browser_error(&self) -> Option<&str> {
        self.error
            .as_deref()
            .or(self.failure.as_deref())
            .filter(|e| !e.is_empty())
    }
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
    /// Whether it is one the doctor diagnoses (401, 403, blocked, failed,
    /// a script's call sent to sign in).
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
            let (rejected, status) = (e.refused() || e.sign_in_refused(), e.status());
            let req = e.request?;
            let url = req.url.filter(|u| is_requested(u))?;
            Some(Moment {
                index,
                method: req
                    .method
                    .unwrap_or_else(|| "GET".into())
                    .to_ascii_uppercase(),
                url: authdoctor_secret::scrub(&authdoctor_net::display_url(&url)).into_owned(),
                status,
                rejected,
            })
        })
        .collect())
}

/// What a HAR file holds to say, read in one pass: the entries to diagnose
/// and the sign-ins the identity provider refused.
pub struct Reading {
    /// Every rejected or failed entry (or the one asked for), ready to
    /// diagnose.
    pub entries: Vec<HarEntry>,
    /// The sign-ins the identity provider refused, by entry
    /// ([`authdoctor_diagnosis::sign_in::refusal`]): an authorization
    /// request redirected back with `error=` (silent renewal's
    /// `login_required`), or the provider's own error page for it. Read
    /// from what the browser recorded: nothing is sent.
    pub sign_in_refusals: Vec<(usize, authdoctor_diagnosis::sign_in::SignInRefusal)>,
}

/// Reads the entries to diagnose: every rejected or failed one, or entry `only`.
pub fn entries(text: &str, only: Option<usize>) -> Result<Vec<HarEntry>, HarError> {
    read(text, only).map(|r| r.entries)
}

/// Reads the file once for all it says ([`Reading`]); `only`: entry
/// `only` alone.
pub fn read(text: &str, only: Option<usize>) -> Result<Reading, HarError> {
    let har: Har = serde_json::from_str(text).map_err(|e| HarError::NotJson(e.to_string()))?;
    let log = har.log.ok_or(HarError::NoEntries)?;
    let devtools = log
        .creator
        .as_ref()
        .is_some_and(|c| c.name == "WebInspector");
    let all = log.entries;
    if all.is_empty() {
        return Err(HarError::NoEntries);
    }
    // Chrome's DevTools export HARs sanitized by default (since version
    // 130): every Authorization and Cookie request header, and every
    // Set-Cookie, removed, names and all. A DevTools HAR with none of them
    // anywhere may be one.
    let credentialless = devtools && !all.iter().any(carries_credentials);
    let evidence: Vec<Option<String>> = match credentialless {
        true => (0..all.len())
            .map(|i| removed_evidence(&all[i], &all[..i]))
            .collect(),
        false => Vec::new(),
    };
    if let Some(n) = only
        && n >= all.len()
    {
        return Err(HarError::NoSuchEntry {
            count: all.len(),
            asked: n,
        });
    }
    let session = read_session(&all);
    let documents = read_documents(&all);
    let cookies_set = read_cookies_set(&all);
    let redirects = read_redirects(&all);
    // Only for the entries diagnosed, each request's credentials read once.
    let creds: Vec<Vec<(String, &str)>> = all.iter().map(credentials_of).collect();
    let later: Vec<Option<(usize, i64, Option<i64>)>> = (0..all.len())
        .map(|i| {
            let wanted = only.map_or_else(|| all[i].refused(), |n| n == i);
            wanted.then(|| later_success(&all, &creds, i)).flatten()
        })
        .collect();
    let handshakes: Vec<bool> = (0..all.len())
        .map(|i| answered_challenge(&all[i], &all[i + 1..]))
        .collect();
    let mut out = Vec::new();
    let mut sign_in_refusals = Vec::new();
    for (index, e) in all.into_iter().enumerate() {
        if only.is_some_and(|n| n != index) {
            continue;
        }
        if let Some(r) = e.sign_in_refusal() {
            sign_in_refusals.push((index, r));
        }
        let (rejected, status) = (e.refused(), e.status());
        let at = e.started();
        let (Some(req), resp) = (e.request, e.response) else {
            continue;
        };
        let Some(url) = req.url.filter(|u| is_requested(u)) else {
            continue;
        };
        if only.is_none() && (!rejected || handshakes[index]) {
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
        } else if credentialless && matches!(status, 401 | 403) {
            match evidence.get(index).cloned().flatten() {
                Some(why) => {
                    sanitized = true;
                    spec.notes.push(format!("the HAR is a sanitized export (Chrome's DevTools remove every Authorization and Cookie header unless asked to export with sensitive data): {why}; export it again with sensitive data to diagnose the credentials themselves"));
                }
                None => spec.notes.push("no request of this HAR carries an Authorization or Cookie header: if the page sent credentials, this is a sanitized export (Chrome's DevTools default), and the request is diagnosed as sent without them; export it again with sensitive data".into()),
            }
        }
        spec.credentials_removed = sanitized;
        let (browser_error, recorded, body) = match resp {
            Some(r) => (
                r.browser_error().map(str::to_owned),
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
            cookies_not_sent: match sanitized {
                true => Vec::new(),
                false => cookies_not_sent(&cookies_set, index, &spec, at),
            },
            // An export without its credentials cannot say they were the
            // same.
            later_success: match sanitized || credentialless {
                true => None,
                false => later.get(index).copied().flatten(),
            },
        });
        let mut here = session.clone();
        here.documents = documents_at(&documents, index);
        // Only what the page had been handed before it sent the request.
        here.issued.retain(|(_, _, entry)| *entry < index);
        here.token_request = session
            .token_requests
            .iter()
            .rev()
            .find(|t| t.entry < index)
            .cloned();
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
        if !here.issued.is_empty()
            || here.token_request.is_some()
            || here.redirected_from.is_some()
            || !here.documents.is_empty()
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
    Ok(Reading {
        entries: out,
        sign_in_refusals,
    })
}

/// The credentials a request carried, by header (names lower-cased), as
/// compared between two requests.
fn credentials_of(e: &Entry) -> Vec<(String, &str)> {
    let mut c: Vec<(String, &str)> = e
        .request
        .iter()
        .flat_map(|r| &r.headers)
        .filter(|h| authdoctor_secret::is_secret_header(&h.name))
        .map(|h| (h.name.to_ascii_lowercase(), h.value.as_str()))
        .collect();
    c.sort();
    c
}

/// The first later entry that sent entry `i`'s request again (its method
/// and URL) with the same credentials (`creds`: each entry's), answered
/// without a refusal (a status below 400, not a redirect to sign in): its
/// entry, status and time.
fn later_success(
    all: &[Entry],
    creds: &[Vec<(String, &str)>],
    i: usize,
) -> Option<(usize, i64, Option<i64>)> {
    let req = all[i].request.as_ref()?;
    all.iter().enumerate().skip(i + 1).find_map(|(j, later)| {
        let r = later.request.as_ref()?;
        let same = r.method == req.method && r.url == req.url && creds[j] == creds[i];
        let status = later.status();
        (same && (100..400).contains(&status) && !later.refused())
            .then(|| (j, status, later.started()))
    })
}

/// Whether `e` is the first half of the browser's own challenge and
/// answer (RFC 9110 §11.6.1): a 401 asking for a password scheme (Basic,
/// Digest, Negotiate, NTLM) to a request without Authorization, whose next
/// request to the same URL, with Authorization, was let through. No
/// failure: the password dialog, or the Digest round, did its work.
fn answered_challenge(e: &Entry, after: &[Entry]) -> bool {
    let (Some(req), Some(resp)) = (&e.request, &e.response) else {
        return false;
    };
    let named = |hs: &[NameValue], n: &str| hs.iter().any(|h| h.name.eq_ignore_ascii_case(n));
    let asks_password = resp.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("www-authenticate")
            && authdoctor_httpauth::challenge::parse(&h.value)
                .challenges
                .iter()
                .any(authdoctor_httpauth::Challenge::asks_password)
    });
    if e.status() != 401 || !asks_password || named(&req.headers, "authorization") {
        return false;
    }
    after
        .iter()
        .find(|n| {
            n.request
                .as_ref()
                .is_some_and(|r| r.url == req.url && r.method == req.method)
        })
        .is_some_and(|n| {
            n.request
                .as_ref()
                .is_some_and(|r| named(&r.headers, "authorization"))
                && (200..400).contains(&n.status())
        })
}

/// Whether an entry carries a credential a sanitized export removes: an
/// Authorization or Cookie request header, a Set-Cookie response header.
fn carries_credentials(e: &Entry) -> bool {
    let named = |hs: &[NameValue], names: &[&str]| {
        hs.iter()
            .any(|h| names.iter().any(|n| h.name.eq_ignore_ascii_case(n)))
    };
    e.request
        .as_ref()
        .is_some_and(|r| named(&r.headers, &["authorization", "cookie"]))
        || e.response
            .as_ref()
            .is_some_and(|r| named(&r.headers, &["set-cookie"]))
}

/// What shows that this request's credentials were removed from the
/// export, if anything does: its answer names an error of a token
/// (RFC 6750 §3.1 gives none to a request without credentials); the
/// size the browser recorded of its HTTP/1 header block exceeds the
/// headers listed; a preflight before it asked leave to send an
/// Authorization header.
fn removed_evidence(e: &Entry, before: &[Entry]) -> Option<String> {
    let req = e.request.as_ref()?;
    let url = req.url.as_deref()?;
    let recorded = e
        .response
        .as_ref()
        .map(|r| &r.headers[..])
        .unwrap_or_default();
    let error = recorded
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("www-authenticate"))
        .flat_map(|h| authdoctor_httpauth::challenge::parse(&h.value).challenges)
        .find(|c| c.is("bearer"))
        .and_then(|c| c.param("error").map(str::to_owned));
    if let Some(error) = error {
        return Some(format!(
            "the server answered error=\"{error}\", which it gives only to a request that carried a token"
        ));
    }
    let version = req.http_version.as_deref().unwrap_or("");
    let http1 = version.to_ascii_uppercase().starts_with("HTTP/1");
    if let (true, Some(size)) = (http1, req.headers_size.filter(|s| *s > 0)) {
        let path = url::Url::parse(url)
            .map(|u| u[url::Position::BeforePath..].len())
            .unwrap_or(0);
        let listed: usize = req.method.as_deref().map_or(3, str::len)
            + path
            + version.len()
            + 4
            + req
                .headers
                .iter()
                .map(|h| h.name.len() + 2 + h.value.len() + 2)
                .sum::<usize>()
            + 2;
        // `Authorization: Bearer x` alone is longer than this margin.
        if usize::try_from(size).is_ok_and(|s| s > listed + 24) {
            return Some(format!(
                "the browser recorded a header block of {size} bytes, and the headers listed make {listed}"
            ));
        }
    }
    let announced = before.iter().rev().any(|e| {
        let Some(r) = &e.request else { return false };
        r.method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("options"))
            && r.url.as_deref() == Some(url)
            && r.headers.iter().any(|h| {
                h.name
                    .eq_ignore_ascii_case("access-control-request-headers")
                    && h.value
                        .split(',')
                        .any(|n| n.trim().eq_ignore_ascii_case("authorization"))
            })
    });
    announced
        .then(|| "the preflight before it asked leave to send an Authorization header".to_owned())
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
        let status = e.status();
        if !(300..400).contains(&status) {
            continue;
        }
        let Some(req) = &e.request else { continue };
        let Some(url) = req.url.clone() else { continue };
        let location = e.location();
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

/// A cookie an answer of the session set.
struct CookieSet {
    /// The entry whose answer set it.
    entry: usize,
    /// When (0: the HAR gives no time).
    at: i64,
    /// The cookie as set.
    cookie: SetCookie,
    /// Its jar entry.
    jar: JarCookie,
    /// Why the browser would not have stored it, if it would not.
    refused: Option<Withheld>,
}

impl CookieSet {
    /// Whether the answer deleted the cookie (`Max-Age` of zero or less,
    /// or an `Expires` in the past), as a logout does.
    fn deletes(&self) -> bool {
        self.cookie.deletes(self.at)
    }
}

/// Every cookie the session's answers set, in order.
fn read_cookies_set(all: &[Entry]) -> Vec<CookieSet> {
    let mut out = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let (Some(req), Some(resp)) = (&e.request, &e.response) else {
            continue;
        };
        let Some(url) = req.url.as_deref().and_then(|u| url::Url::parse(u).ok()) else {
            continue;
        };
        let at = e.started().unwrap_or(0);
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let cross_site = cross_site(&url, &headers);
        // Chrome writes several Set-Cookie headers as one, a line each.
        let lines = resp
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
            .flat_map(|h| h.value.lines());
        for line in lines {
            let Some(cookie) = SetCookie::parse(line) else {
                continue;
            };
            let mut jar = cookie.in_jar(&url, at);
            // Set at a time the HAR does not give: its Max-Age counts from
            // nobody knows when.
            if e.started().is_none() && cookie.max_age.is_some_and(|n| n > 0) {
                jar.expires = 0;
            }
            out.push(CookieSet {
                entry: i,
                at,
                jar,
                refused: cookie.refused(&url, cross_site),
                cookie,
            });
        }
    }
    out
}

/// Whether a request went to another site than the page's that sent it:
/// as the browser said (`Sec-Fetch-Site`), else by its `Origin` (or
/// `Referer`). False where nothing says.
fn cross_site(url: &url::Url, headers: &[(String, String)]) -> bool {
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.trim_start_matches(':').eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    if let Some(s) = header("sec-fetch-site") {
        return s.eq_ignore_ascii_case("cross-site");
    }
    initiator(headers).is_some_and(|from| cookies::site(&from) != cookies::site(url))
}

/// The page that sent a request: its `Origin`, else its `Referer`.
fn initiator(headers: &[(String, String)]) -> Option<url::Url> {
    ["origin", "referer"].iter().find_map(|n| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| url::Url::parse(v).ok())
            .filter(|u| u.has_host())
    })
}

/// Whether a cookie's name or flags say it holds a session: HttpOnly (a
/// script's own cookies are not), or a name that says so.
fn session_like(c: &SetCookie) -> bool {
    let n = c.name.to_ascii_lowercase();
    c.http_only
        || [
            "sess", "sid", "auth", "token", "login", "jwt", "identity", "remember",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// The session cookies that answers before `spec`'s request (entry
/// `index`, at `at`) set and that the browser did not send with it, each with why
/// ([`crate::spec::BrowserSaw::cookies_not_sent`]): none where the request
/// carried another credential (a token, a key), whose refusal is its own.
/// Another host's cookies, and those the browser had and would have sent
/// for all anyone can tell, are left out.
fn cookies_not_sent(
    set: &[CookieSet],
    index: usize,
    spec: &RequestSpec,
    at: Option<i64>,
) -> Vec<NotSent> {
    let other_credential = spec.headers.iter().any(|(n, _)| {
        let n = n.to_ascii_lowercase();
        authdoctor_secret::is_secret_header(&n)
            && !matches!(n.as_str(), "cookie" | "cookie2")
            && !n.contains("csrf")
            && !n.contains("xsrf")
    });
    let Some(url) = url::Url::parse(&spec.url)
        .ok()
        .filter(|_| !other_credential)
    else {
        return Vec::new();
    };
    let sent: Vec<String> = spec
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.split_once('=').map(|(n, _)| n.trim().to_owned()))
        .collect();
    // The jar as it stood: the last cookie set for each name, domain and
    // path before the request.
    let mut jar: Vec<&CookieSet> = Vec::new();
    for c in set.iter().filter(|c| c.entry < index) {
        let key = |x: &CookieSet| (x.jar.name.clone(), x.jar.domain.clone(), x.jar.path.clone());
        jar.retain(|o| key(o) != key(c));
        // A cookie of the name set again since is the one to go: its
        // deletion elsewhere (another path) says nothing more.
        jar.retain(|o| !(o.deletes() && o.jar.name == c.jar.name));
        jar.push(c);
    }
    let cross_site = cross_site(&url, &spec.headers);
    // A top-level navigation by GET carries Lax cookies across sites.
    let navigation = spec.method == "GET"
        && spec.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("sec-fetch-mode") && v.eq_ignore_ascii_case("navigate")
        });
    let from = initiator(&spec.headers);
    let cross_origin = from.as_ref().is_some_and(|f| f.origin() != url.origin());
    let now = at.unwrap_or(i64::MIN);
    let mut out = Vec::new();
    for c in jar {
        if sent.contains(&c.jar.name) || !session_like(&c.cookie) {
            continue;
        }
        // Another host's cookie (one the browser refused included) says
        // nothing of this request.
        if !c.jar.covers_host(&url) {
            continue;
        }
        let page = from.as_ref().map(|f| f.origin().ascii_serialization());
        let why = if let Some(refused) = &c.refused {
            refused.clone()
        } else if c.deletes() {
            Withheld::Deleted
        } else if let Err(why) = c.jar.sent_to(&url, now) {
            why
        } else if cross_site
            && match c.cookie.same_site {
                Some(cookies::SameSite::None) => false,
                Some(cookies::SameSite::Strict) => true,
                _ => !navigation,
            }
        {
            Withheld::CrossSite {
                same_site: c.cookie.same_site,
                page,
            }
        } else if cross_site && c.cookie.same_site == Some(cookies::SameSite::None) {
            // SameSite=None, Secure, in scope, sent by another site's
            // page, and still not sent: what blocks it is the browser's
            // own policy on third-party cookies.
            Withheld::ThirdParty { page }
        } else if cross_origin {
            Withheld::NoCredentials { page }
        } else {
            continue;
        };
        out.push(NotSent {
            cookie: c.jar.clone(),
            why,
            set_in_entry: Some(c.entry),
        });
    }
    out
}

/// The largest document kept ([`read_documents`]): a key set or a
/// discovery document is a few kilobytes.
const MAX_DOCUMENT: usize = 1 << 20;

/// The documents of the session that say what a verifier of its tokens
/// knew then, in order: each a GET answered 200 with a JSON object that is
/// an issuer's discovery document (its `issuer` and an endpoint or key
/// set), a key set (`keys`, each with its `kty`), or a resource's RFC 9728
/// metadata (its `resource`, at a well-known URL). Read by their shape,
/// wherever the page fetched them (through its own gateway too). Only
/// read: nothing in them is trusted to receive anything.
fn read_documents(all: &[Entry]) -> Vec<RecordedDocument> {
    let mut out = Vec::new();
    for (i, e) in all.iter().enumerate() {
        let (Some(req), Some(resp)) = (&e.request, &e.response) else {
            continue;
        };
        let get = req
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("get"));
        let Some(url) = req.url.as_deref().filter(|u| get && is_requested(u)) else {
            continue;
        };
        if e.status() != 200 {
            continue;
        }
        let Some(body) = e.body().filter(|b| b.len() <= MAX_DOCUMENT) else {
            continue;
        };
        let Ok(serde_json::Value::Object(j)) = serde_json::from_slice(&body) else {
            continue;
        };
        let text = |k: &str| j.get(k).is_some_and(serde_json::Value::is_string);
        let discovery = text("issuer")
            && ["jwks_uri", "token_endpoint", "authorization_endpoint"]
                .iter()
                .any(|k| text(k));
        let key_set = j
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|ks| !ks.is_empty() && ks.iter().all(|k| k.get("kty").is_some()));
        let metadata = text("resource") && url.contains("/.well-known/oauth-protected-resource");
        if !(discovery || key_set || metadata) {
            continue;
        }
        out.push(RecordedDocument {
            entry: i,
            url: url.to_owned(),
            headers: resp
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect(),
            body,
            at: e.started(),
        });
    }
    out
}

/// The documents as the request of entry `index` would have found them:
/// each URL's last one before it, else (fetched after it) its first.
fn documents_at(all: &[RecordedDocument], index: usize) -> Vec<RecordedDocument> {
    let mut out: Vec<RecordedDocument> = Vec::new();
    for d in all {
        match out.iter_mut().find(|o| o.url == d.url) {
            Some(o) if o.entry > index => {}
            Some(o) if d.entry < index => *o = d.clone(),
            Some(_) => {}
            None => out.push(d.clone()),
        }
    }
    out
}

/// The token endpoint calls of the session: what the page asked for, and
/// the tokens it was handed (each kind kept, masked, to recognise one sent
/// where it does not belong).
fn read_session(all: &[Entry]) -> Session {
    let mut s = Session::default();
    // The last authorization request's `resource` or `audience`.
    let mut authorize: Option<Option<String>> = None;
    for (i, e) in all.iter().enumerate() {
        let (Some(req), Some(resp)) = (&e.request, &e.response) else {
            continue;
        };
        if let Some(u) = req.url.as_deref().and_then(|u| url::Url::parse(u).ok()) {
            let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
            let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("response_type").is_some() && get("client_id").is_some() {
                authorize = Some(get("resource").or_else(|| get("audience")));
            }
        }
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
        let asked = get("resource").or_else(|| get("audience"));
        let code = grant == "authorization_code";
        s.token_requests.push(TokenRequest {
            entry: i,
            url: req.url.clone().unwrap_or_default(),
            client_id: get("client_id"),
            scope: get("scope"),
            resource_known: asked.is_some() || !code || authorize.is_some(),
            resource: asked.or_else(|| authorize.clone().flatten().filter(|_| code)),
            grant: Some(grant),
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
    fn documents_a_verifier_reads_are_kept_by_shape_each_as_of_its_request() {
        // The page fetched the discovery document through its own gateway,
        // the key set twice (rotated in between), the resource's metadata;
        // a JSON answer of no such shape, a POST, a 404 and an HTML page
        // are not kept.
        let disc = r#"{\"issuer\":\"https://idp.test\",\"jwks_uri\":\"https://idp.test/keys\"}"#;
        let keys = |kid: &str| {
            format!(
                r#"{{\"keys\":[{{\"kty\":\"RSA\",\"kid\":\"{kid}\",\"n\":\"AQAB\",\"e\":\"AQAB\"}}]}}"#
            )
        };
        let meta = r#"{\"resource\":\"https://api.test/orders\",\"authorization_servers\":[\"https://idp.test\"]}"#;
        let entry = |method: &str, url: &str, status: u16, text: &str| {
            format!(
                r#"{{"request":{{"method":"{method}","url":"{url}","headers":[]}},"response":{{"status":{status},"headers":[],"content":{{"text":"{text}"}}}}}}"#
            )
        };
        let api = r#"{"request":{"method":"GET","url":"https://api.test/orders","headers":[{"name":"Authorization","value":"Bearer x.y.z"}]},"response":{"status":401,"headers":[]}}"#;
        let all = [
            entry(
                "GET",
                "https://app.test/idp/.well-known/openid-configuration",
                200,
                disc,
            ),
            entry("GET", "https://idp.test/keys", 200, &keys("k1")),
            api.to_owned(),
            entry(
                "GET",
                "https://api.test/.well-known/oauth-protected-resource/orders",
                200,
                meta,
            ),
            entry("GET", "https://idp.test/keys", 200, &keys("k2")),
            api.to_owned(),
            entry(
                "GET",
                "https://app.test/config",
                200,
                r#"{\"theme\":\"dark\"}"#,
            ),
            entry("POST", "https://idp.test/keys", 200, &keys("k3")),
            entry("GET", "https://idp.test/other-keys", 404, &keys("k4")),
            entry("GET", "https://idp.test/page", 200, "<html>"),
        ];
        let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, all.join(","));
        let e = entries(&har, None).unwrap();
        let docs = |i: usize| {
            e[i].spec
                .session
                .as_ref()
                .unwrap()
                .documents
                .iter()
                .map(|d| (d.entry, String::from_utf8_lossy(&d.body).into_owned()))
                .collect::<Vec<_>>()
        };
        // The first request: the key set before it; the metadata, first
        // fetched after it.
        let first = docs(0);
        assert_eq!(
            first.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 1, 3],
            "{first:?}"
        );
        assert!(first[1].1.contains("k1"));
        // The second: the key set fetched last before it.
        let second = docs(1);
        assert_eq!(
            second.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            [0, 4, 3],
            "{second:?}"
        );
        assert!(second[1].1.contains("k2"));
    }

    #[test]
    fn cookies_the_browser_did_not_send_are_named_with_why() {
        // Sign-ins set session cookies; each later call went without one.
        let entry = |method: &str, url: &str, req: &str, status: u16, set: &str, at: &str| {
            format!(
                r#"{{"startedDateTime":"2026-11-27T10:{at}Z","request":{{"method":"{method}","url":"{url}","headers":[{req}]}},"response":{{"status":{status},"headers":[{set}]}}}}"#
            )
        };
        let set = |v: &str| format!(r#"{{"name":"Set-Cookie","value":"{v}"}}"#);
        let h = |n: &str, v: &str| format!(r#"{{"name":"{n}","value":"{v}"}}"#);
        let cross = [
            h("Sec-Fetch-Site", "cross-site"),
            h("Origin", "https://blog.test"),
        ]
        .join(",");
        let nav = [
            h("Sec-Fetch-Site", "cross-site"),
            h("Sec-Fetch-Mode", "navigate"),
        ]
        .join(",");
        let all = [
            // 0: a session scoped to /app, for a minute; a theme cookie.
            entry(
                "POST",
                "https://shop.test/login",
                "",
                200,
                &[
                    set("sid=s1; Path=/app; Max-Age=60; HttpOnly"),
                    set("theme=dark"),
                ]
                .join(","),
                "00:00.000",
            ),
            // 1: outside its path.
            entry("GET", "https://shop.test/api/me", "", 401, "", "00:10.000"),
            // 2: under it, two minutes on: expired.
            entry("GET", "https://shop.test/app/me", "", 401, "", "02:00.000"),
            // 3: a sign-in again, then 4: a logout that deletes it.
            entry(
                "POST",
                "https://shop.test/login",
                "",
                200,
                &set("sid=s2; Path=/app; HttpOnly"),
                "03:00.000",
            ),
            entry(
                "POST",
                "https://shop.test/app/logout",
                &h("Cookie", "sid=s2"),
                200,
                &set("sid=; Path=/app; Max-Age=0"),
                "03:01.000",
            ),
            // 5: after the logout.
            entry("GET", "https://shop.test/app/me", "", 401, "", "03:02.000"),
            // 6: another host's cookie says nothing of this one.
            entry(
                "POST",
                "https://other.test/login",
                "",
                200,
                &set("osid=o1; HttpOnly"),
                "03:03.000",
            ),
            // 7: a token sent: its refusal is its own.
            entry(
                "GET",
                "https://shop.test/api/me",
                &h("Authorization", "Bearer abc"),
                401,
                "",
                "03:04.000",
            ),
            // 8: a session for the whole site, 9: a cross-site navigation
            // (Lax goes with it: no reason known), 10: a cross-site fetch.
            entry(
                "POST",
                "https://shop.test/login",
                "",
                200,
                &set("sid=s3; Path=/; HttpOnly"),
                "03:05.000",
            ),
            entry(
                "GET",
                "https://shop.test/app/me",
                &nav,
                401,
                "",
                "03:06.000",
            ),
            entry(
                "GET",
                "https://shop.test/app/me",
                &cross,
                401,
                "",
                "03:07.000",
            ),
        ];
        let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, all.join(","));
        let e = entries(&har, None).unwrap();
        let whys = |i: usize| -> Vec<String> {
            let x = e.iter().find(|x| x.index == i).unwrap();
            x.spec
                .browser
                .as_ref()
                .unwrap()
                .cookies_not_sent
                .iter()
                .map(|n| format!("{} {}", n.cookie.name, n.reason()))
                .collect()
        };
        let one = |i: usize, has: &str| {
            let w = whys(i);
            assert!(
                w.len() == 1 && w[0].starts_with("sid ") && w[0].contains(has),
                "entry {i}: {w:?}"
            );
        };
        one(
            1,
            "its Path=/app does not cover /api/me (its Set-Cookie: HAR entry 0)",
        );
        one(2, "it expired 60 s ago");
        one(5, "the server deleted it");
        assert!(whys(7).is_empty());
        assert!(whys(9).is_empty(), "{:?}", whys(9));
        one(
            10,
            "no SameSite (browsers take it as Lax): the browser keeps it from a request sent by another site's page (https://blog.test)",
        );
        // 11: a SameSite=None cookie, 12: a cross-site fetch that still
        // went without it: the browser's third-party cookie policy.
        let more = [
            entry(
                "POST",
                "https://shop.test/login",
                "",
                200,
                &set("tp=1; Path=/; SameSite=None; Secure; HttpOnly"),
                "03:08.000",
            ),
            entry(
                "GET",
                "https://shop.test/app/me",
                &cross,
                401,
                "",
                "03:09.000",
            ),
        ];
        let har = format!(
            r#"{{"log":{{"entries":[{},{}]}}}}"#,
            all.join(","),
            more.join(",")
        );
        let e = entries(&har, None).unwrap();
        let x = e.iter().find(|x| x.index == 12).unwrap();
        let w = &x.spec.browser.as_ref().unwrap().cookies_not_sent;
        let tp = w
            .iter()
            .find(|n| n.cookie.name == "tp")
            .map(NotSent::reason)
            .unwrap_or_default();
        assert!(
            w.iter()
                .any(|n| matches!(n.why, Withheld::ThirdParty { .. })),
            "{w:?}"
        );
        assert!(
            tp.contains(
                "another site's cookie to the page at https://blog.test (a third-party cookie)"
            ),
            "{w:?}"
        );
    }

    /// The token request a call is read with is the last one before it:
    /// a refresh refused after the call says nothing of it.
    #[test]
    fn a_calls_token_request_is_the_last_before_it_never_one_after() {
        let api = r#"{"startedDateTime":"2026-11-27T10:00:01.000Z","request":{"method":"GET","url":"https://api.test/orders","headers":[{"name":"Authorization","value":"Bearer a.b.c"}]},"response":{"status":401,"headers":[]}}"#;
        let token = |at: &str, grant: &str, status: u16| {
            format!(
                r#"{{"startedDateTime":"2026-11-27T10:00:{at}.000Z","request":{{"method":"POST","url":"https://idp.test/token","headers":[],"postData":{{"mimeType":"application/x-www-form-urlencoded","text":"grant_type={grant}&client_id=spa"}}}},"response":{{"status":{status},"headers":[]}}}}"#
            )
        };
        let grant_of = |har: &str, i: usize| {
            entries(har, Some(i))
                .unwrap()
                .pop()
                .and_then(|x| x.spec.session)
                .and_then(|s| s.token_request)
                .and_then(|t| t.grant)
        };
        // Refused after the call: none before it.
        let har = format!(
            r#"{{"log":{{"entries":[{api},{}]}}}}"#,
            token("05", "refresh_token", 400)
        );
        assert_eq!(grant_of(&har, 0), None);
        // Before and after: the one before.
        let har = format!(
            r#"{{"log":{{"entries":[{},{api},{}]}}}}"#,
            token("00", "authorization_code", 200),
            token("05", "refresh_token", 400)
        );
        assert_eq!(grant_of(&har, 1).as_deref(), Some("authorization_code"));
    }

    #[test]
    fn the_same_request_answered_later_with_the_same_credentials_is_found() {
        let entry = |auth: &str, status: u16, at: &str| {
            format!(
                r#"{{"startedDateTime":"2026-11-27T10:00:{at}.000Z","request":{{"method":"GET","url":"https://api.test/orders","headers":[{{"name":"Authorization","value":"{auth}"}}]}},"response":{{"status":{status},"headers":[]}}}}"#
            )
        };
        let all = [
            entry("Bearer a.b.c", 401, "00"),
            // Another token: not the same credentials.
            entry("Bearer x.y.z", 200, "01"),
            entry("Bearer a.b.c", 401, "02"),
            entry("Bearer a.b.c", 200, "05"),
        ];
        let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, all.join(","));
        let e = entries(&har, None).unwrap();
        let later = |i: usize| {
            e.iter()
                .find(|x| x.index == i)
                .unwrap()
                .spec
                .browser
                .as_ref()
                .unwrap()
                .later_success
        };
        assert_eq!(later(0), Some((3, 200, Some(1_795_773_605))));
        assert_eq!(later(2), Some((3, 200, Some(1_795_773_605))));
        // Never answered later: none.
        let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, all[..3].join(","));
        let e = entries(&har, None).unwrap();
        assert!(
            e.iter()
                .all(|x| x.spec.browser.as_ref().unwrap().later_success.is_none())
        );
    }

    #[test]
    fn requests_failed_for_the_network_or_an_ad_blocker_are_not_refusals() {
        let aborted = |url: &str, error: &str, was_aborted: bool| {
            format!(
                r#"{{"request":{{"method":"GET","url":"{url}","headers":[]}},"response":{{"status":0,"headers":[],{error}}},"_wasAborted":{was_aborted}}}"#
            )
        };
        let failed = |url: &str, error: &str| aborted(url, error, false);
        let all = [
            failed(
                "https://ads.test/pixel",
                r#""_error":"net::ERR_BLOCKED_BY_CLIENT""#,
            ),
            failed(
                "https://fonts.test/css",
                r#""_failureText":"net::ERR_NAME_NOT_RESOLVED""#,
            ),
            failed(
                "https://api.test/orders",
                r#""_failureText":"net::ERR_FAILED""#,
            ),
            failed("https://api.test/search", r#""_error":"net::ERR_ABORTED""#),
            // Aborted by the recording's routing: Playwright gives the
            // error of any failure, and says it was aborted.
            aborted(
                "https://fonts.test/aborted.css",
                r#""_failureText":"net::ERR_FAILED""#,
                true,
            ),
        ];
        let har = format!(r#"{{"log":{{"entries":[{}]}}}}"#, all.join(","));
        let e = entries(&har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [2]);
        // Playwright's name for the browser's error is read too.
        assert_eq!(e[0].browser_error.as_deref(), Some("net::ERR_FAILED"));
        // Asked for by number, any entry is diagnosed.
        assert_eq!(entries(&har, Some(0)).unwrap().len(), 1);
        // The timeline lists them all.
        assert_eq!(timeline(&har).unwrap().len(), 5);
    }

    #[test]
    fn a_password_challenge_the_browser_answered_is_no_failure() {
        // As Firefox records a page behind Digest (or Basic): the 401 that
        // asks, then the same request with the answer, let through. A
        // challenge not answered, or answered and refused, stays an entry.
        let har = r#"{"log":{"entries":[
          {"request":{"method":"GET","url":"https://cam.test/api","headers":[]},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Digest realm=\"cam\", nonce=\"n1\", qop=\"auth\""}]}},
          {"request":{"method":"GET","url":"https://cam.test/api","headers":[{"name":"Authorization","value":"Digest username=\"admin\", nonce=\"n1\", response=\"0123\""}]},"response":{"status":200,"headers":[]}},
          {"request":{"method":"GET","url":"https://cam.test/other","headers":[]},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Basic realm=\"cam\""}]}},
          {"request":{"method":"GET","url":"https://cam.test/other","headers":[{"name":"Authorization","value":"Basic YTpi"}]},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Basic realm=\"cam\""}]}},
          {"request":{"method":"GET","url":"https://cam.test/never","headers":[]},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Basic realm=\"cam\""}]}}
        ]}}"#;
        let e = entries(har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [2, 3, 4]);
        // Asked for by number, it is diagnosed all the same.
        assert_eq!(entries(har, Some(0)).unwrap().len(), 1);
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

    /// As Chrome's DevTools export by default since version 130: every
    /// Authorization and Cookie request header, and every Set-Cookie,
    /// removed, names and all. Each rejected entry is read as sent with
    /// credentials where something shows they were removed (a token's
    /// error in the answer, a header block the browser measured larger
    /// than the headers listed, a preflight that asked leave to send
    /// Authorization); the recorded answer is kept for the diagnosis.
    #[test]
    fn a_devtools_export_without_credentials_is_read_as_sanitized_where_it_shows() {
        let har = r#"{"log":{"creator":{"name":"WebInspector","version":"537.36"},"entries":[
          {"startedDateTime":"2026-11-27T10:00:00.000Z","request":{"method":"GET","url":"https://api.test/a","httpVersion":"h2","headers":[{"name":":authority","value":"api.test"}],"headersSize":-1},"response":{"status":401,"headers":[{"name":"www-authenticate","value":"Bearer error=\"invalid_token\", error_description=\"jwt expired\""}],"content":{"mimeType":"application/json","text":"eyJlcnJvciI6ImludmFsaWRfdG9rZW4ifQ==","encoding":"base64"}}},
          {"request":{"method":"GET","url":"http://api.test/b","httpVersion":"HTTP/1.1","headers":[{"name":"Host","value":"api.test"},{"name":"Accept","value":"*/*"}],"headersSize":160},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Bearer"}]}},
          {"request":{"method":"OPTIONS","url":"https://api.test/c","headers":[{"name":"Access-Control-Request-Headers","value":"content-type, authorization"}]},"response":{"status":204,"headers":[]}},
          {"request":{"method":"GET","url":"https://api.test/c","headers":[]},"response":{"status":403,"headers":[]}},
          {"request":{"method":"GET","url":"https://api.test/d","httpVersion":"HTTP/1.1","headers":[{"name":"Host","value":"api.test"}],"headersSize":40},"response":{"status":401,"headers":[{"name":"WWW-Authenticate","value":"Bearer"}]}}
        ]}}"#;
        let e = entries(har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [0, 1, 3, 4]);
        let removed: Vec<bool> = e.iter().map(|x| x.spec.credentials_removed).collect();
        assert_eq!(removed, [true, true, true, false]);
        assert!(e[0].spec.notes[0].contains("error=\"invalid_token\""));
        assert!(e[1].spec.notes[0].contains("header block of 160 bytes"));
        assert!(e[2].spec.notes[0].contains("preflight"));
        assert!(e[3].spec.notes[0].contains("if the page sent credentials"));
        let b = e[0].spec.browser.as_ref().unwrap();
        assert_eq!(
            b.body.as_deref(),
            Some(&br#"{"error":"invalid_token"}"#[..])
        );
        assert_eq!(b.at, Some(1_795_773_600));
        // The same requests from another tool, or with a credential
        // anywhere in the session, are taken as they are.
        let other = har.replace("WebInspector", "Firefox");
        assert!(
            entries(&other, None)
                .unwrap()
                .iter()
                .all(|x| !x.spec.credentials_removed)
        );
        let cookie = har.replace(
            r#""headers":[{"name":"Access-Control-Request-Headers""#,
            r#""headers":[{"name":"Cookie","value":"s=1"},{"name":"Access-Control-Request-Headers""#,
        );
        assert!(
            entries(&cookie, None)
                .unwrap()
                .iter()
                .all(|x| !x.spec.credentials_removed)
        );
    }

    /// A script's call (fetch, XHR) redirected to sign in is refused, as
    /// a 401 is; a page's navigation to the login page is a sign-in flow.
    #[test]
    fn a_scripts_call_sent_to_sign_in_is_an_entry() {
        let har = r#"{"log":{"entries":[
          {"_resourceType":"fetch","request":{"method":"GET","url":"https://app.test/api/me","headers":[]},"response":{"status":302,"redirectURL":"/login?next=%2Fapi%2Fme","headers":[]}},
          {"_resourceType":"document","request":{"method":"GET","url":"https://app.test/account","headers":[]},"response":{"status":302,"redirectURL":"https://app.test/login","headers":[]}},
          {"_resourceType":"xhr","request":{"method":"GET","url":"https://app.test/api/x","headers":[]},"response":{"status":302,"headers":[{"name":"Location","value":"https://id.test/authorize?client_id=a&response_type=code"}]}},
          {"_resourceType":"fetch","request":{"method":"GET","url":"https://app.test/api/y","headers":[]},"response":{"status":302,"redirectURL":"/api/y2","headers":[]}}
        ]}}"#;
        let e = entries(har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [0, 2]);
        let t = timeline(har).unwrap();
        assert_eq!(
            t.iter().map(|m| m.rejected).collect::<Vec<_>>(),
            [true, false, true, false]
        );
    }

    #[test]
    fn a_graphql_call_refused_in_a_200_is_an_entry() {
        // Apollo Server's refusal in a 200's errors, as recorded (text, and
        // base64); a 200 with data; a GraphQL error that is no refusal.
        let har = r#"{"log":{"entries":[
          {"_resourceType":"fetch","request":{"method":"POST","url":"https://app.test/graphql","headers":[],"postData":{"mimeType":"application/json","text":"{\"query\":\"{ me { id } }\"}"}},"response":{"status":200,"headers":[],"content":{"mimeType":"application/json","text":"{\"errors\":[{\"message\":\"You must be logged in\",\"extensions\":{\"code\":\"UNAUTHENTICATED\"}}],\"data\":{\"me\":null}}"}}},
          {"_resourceType":"fetch","request":{"method":"POST","url":"https://app.test/graphql","headers":[]},"response":{"status":200,"headers":[],"content":{"mimeType":"application/json","encoding":"base64","text":"eyJlcnJvcnMiOlt7Im1lc3NhZ2UiOiJDb3VsZCBub3QgdmVyaWZ5IEpXVDogSldURXhwaXJlZCIsImV4dGVuc2lvbnMiOnsiY29kZSI6ImludmFsaWQtand0In19XX0="}}},
          {"_resourceType":"fetch","request":{"method":"POST","url":"https://app.test/graphql","headers":[]},"response":{"status":200,"headers":[],"content":{"mimeType":"application/json","text":"{\"data\":{\"me\":{\"id\":\"1\"}}}"}}},
          {"_resourceType":"fetch","request":{"method":"POST","url":"https://app.test/graphql","headers":[]},"response":{"status":200,"headers":[],"content":{"mimeType":"application/json","text":"{\"errors\":[{\"message\":\"Cannot query field\",\"extensions\":{\"code\":\"GRAPHQL_VALIDATION_FAILED\"}}]}"}}}
        ]}}"#;
        let e = entries(har, None).unwrap();
        assert_eq!(e.iter().map(|x| x.index).collect::<Vec<_>>(), [0, 1]);
        assert!(e[0].spec.is_safe(), "a query is safe to send again");
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
