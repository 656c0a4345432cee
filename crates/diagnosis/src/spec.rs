//! What the user asked to diagnose: the request to reproduce, as data.

use authdoctor_secret::CookieValue;

/// A cookie from a curl cookie jar (Netscape format), with its scope.
#[derive(Clone, Debug)]
pub struct JarCookie {
    /// Domain.
    pub domain: String,
    /// Whether subdomains match.
    pub include_subdomains: bool,
    /// Path.
    pub path: String,
    /// Secure-only.
    pub secure: bool,
    /// Expiry, seconds since the epoch (0: a session cookie).
    pub expires: i64,
    /// Name.
    pub name: String,
    /// Value (a secret).
    pub value: CookieValue,
}

/// The request to reproduce. Its `Debug` masks credential headers and
/// leaves the body out, so a stray `{:?}` cannot leak them.
#[derive(Clone, Default)]
pub struct RequestSpec {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The headers, in order, values in clear.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// Whether redirects are followed (curl -L).
    pub follow: bool,
    /// Whether credential headers may follow a redirect to another origin
    /// (curl --location-trusted); by default they are dropped, as curl does.
    pub location_trusted: bool,
    /// Skip TLS verification (curl -k).
    pub insecure: bool,
    /// A PEM bundle of extra CA certificates to trust (curl --cacert).
    pub cacert: Option<std::path::PathBuf>,
    /// A client certificate to present (mutual TLS), PEM (curl --cert); its
    /// key in it, or in [`Self::client_key`].
    pub client_cert: Option<std::path::PathBuf>,
    /// The client certificate's private key, PEM (curl --key).
    pub client_key: Option<std::path::PathBuf>,
    /// Cookies read from a jar (curl -b FILE), all of them, matching or not.
    pub jar: Vec<JarCookie>,
    /// curl options that were read but have no effect on the diagnosis, and
    /// unknown ones, for the report.
    pub notes: Vec<String>,
    /// What a browser saw, when the request comes from a HAR file.
    pub browser: Option<BrowserSaw>,
    /// What the rest of the browser's session says (a HAR file): the token
    /// endpoint call that stands earlier, a redirect that led here.
    pub session: Option<Session>,
    /// Whether the request's credentials were removed before it reached
    /// the doctor (a sanitized HAR export): its lack of them then says
    /// nothing of what the browser sent.
    pub credentials_removed: bool,
    /// How the user and password (curl -u, carried as a Basic header
    /// until then) are to be sent: in answer to the server's challenge
    /// (curl --digest, --anyauth), not up front; `None` sends Basic.
    pub password_scheme: Option<PasswordScheme>,
    /// Whether curl's cookie engine is on (-b, even `-b ''`, or -c): the
    /// cookies a server sets are sent back on the requests that follow.
    pub cookie_engine: bool,
}

/// How curl sends a user and password when told to answer the server's
/// challenge: it sends the request without them first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordScheme {
    /// curl --digest: HTTP Digest (RFC 7616) only.
    Digest,
    /// curl --anyauth: the strongest scheme the server offers (Digest
    /// before Basic).
    Any,
}

impl PasswordScheme {
    /// The curl option that asks for it.
    pub fn curl_option(self) -> &'static str {
        match self {
            PasswordScheme::Digest => "--digest",
            PasswordScheme::Any => "--anyauth",
        }
    }
}

/// What a browser session (a HAR file) says around one request: the
/// context a user would otherwise type, read from the session itself.
#[derive(Clone, Default)]
pub struct Session {
    /// The last token request the page made before the request, and what
    /// it asked for (none where the page made its first after it: a
    /// refusal later in the session says nothing of what came before).
    pub token_request: Option<TokenRequest>,
    /// Every token request of the session, in order.
    pub token_requests: Vec<TokenRequest>,
    /// Tokens the token endpoint handed out earlier in the session, by
    /// kind (`access_token`, `refresh_token`, `id_token`), with the entry.
    pub issued: Vec<(String, authdoctor_secret::Token, usize)>,
    /// The redirect that led to this request: the entry, its status, its
    /// URL, and whether it carried `Authorization`.
    pub redirected_from: Option<Redirected>,
    /// The documents the page fetched that say what a verifier of its
    /// tokens knew then ([`RecordedDocument`]): each URL's last before the
    /// request, else its first after.
    pub documents: Vec<RecordedDocument>,
}

/// A document the page fetched in the session that a token's verifier
/// reads: an issuer's discovery document (OpenID Connect or RFC 8414), a
/// key set, a resource's RFC 9728 metadata. What it said then: a witness
/// where it cannot be read now (the identity provider out of reach from
/// here), and of the moment the browser's answer was recorded (the keys
/// may have rotated since).
#[derive(Clone)]
pub struct RecordedDocument {
    /// Its entry in the HAR.
    pub entry: usize,
    /// The URL the page fetched it from.
    pub url: String,
    /// The response's headers, names as written.
    pub headers: Vec<(String, String)>,
    /// The body (a JSON object: keys and endpoints, meant to be public).
    pub body: Vec<u8>,
    /// When the page fetched it, seconds since the epoch.
    pub at: Option<i64>,
}

impl std::fmt::Debug for RecordedDocument {
    /// Its entry, URL and size: a key set an identity provider published
    /// by mistake with its private members is not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedDocument")
            .field("entry", &self.entry)
            .field("url", &crate::facts::display_url(&self.url))
            .field("body_bytes", &self.body.len())
            .field("at", &self.at)
            .finish()
    }
}

impl RecordedDocument {
    /// The body as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A token request seen in the session.
#[derive(Clone, Debug, Default)]
pub struct TokenRequest {
    /// Its index in the HAR.
    pub entry: usize,
    /// The token endpoint.
    pub url: String,
    /// `grant_type`.
    pub grant: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `scope` asked for.
    pub scope: Option<String>,
    /// `resource` (RFC 8707) or `audience` asked for, in the token request
    /// or, for the code grant, in the authorization request.
    pub resource: Option<String>,
    /// Whether the session shows every request that could have asked for
    /// one: the token request, and for the code grant the authorization
    /// request too (a `None` above then means none was asked for).
    pub resource_known: bool,
    /// The status it got.
    pub status: i64,
}

/// A redirect that led to a request.
#[derive(Clone, Debug)]
pub struct Redirected {
    /// Its index in the HAR.
    pub entry: usize,
    /// The status (301, 302, 307…).
    pub status: i64,
    /// The URL that redirected.
    pub url: String,
    /// Whether the redirected request carried Authorization.
    pub carried_authorization: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token_request", &self.token_request)
            .field("token_requests", &self.token_requests)
            .field(
                "issued",
                &self
                    .issued
                    .iter()
                    .map(|(k, t, e)| (k, t.masked(), e))
                    .collect::<Vec<_>>(),
            )
            .field("redirected_from", &self.redirected_from)
            .field(
                "documents",
                &self.documents.iter().map(|d| d.entry).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What the browser saw of a request (from a HAR entry).
#[derive(Clone, Default)]
pub struct BrowserSaw {
    /// The status (0 or -1: blocked or failed in the browser).
    pub status: i64,
    /// The browser's error (`net::ERR_FAILED`, a CORS message).
    pub error: Option<String>,
    /// The response's headers as recorded, names as written.
    pub headers: Vec<(String, String)>,
    /// The response's body as recorded (decoded where the HAR holds it in
    /// base64), when the export kept it.
    pub body: Option<Vec<u8>>,
    /// When the browser sent the request (`startedDateTime`), seconds
    /// since the epoch.
    pub at: Option<i64>,
    /// The session cookies answers earlier in the session set that the
    /// browser did not send with this request, each with why (its scope,
    /// its age, SameSite, the script's credentials mode, or the browser's
    /// refusal to store it), where the request carried no other
    /// credential.
    pub cookies_not_sent: Vec<crate::cookies::NotSent>,
    /// The browser's later sending of the same request with the same
    /// credentials, answered without a refusal: its entry, its status, and
    /// when (seconds since the epoch).
    pub later_success: Option<(usize, i64, Option<i64>)>,
}

impl std::fmt::Debug for BrowserSaw {
    /// The status and error; the headers by name only (a Set-Cookie is a
    /// secret), the body by size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("BrowserSaw")
            .field("status", &self.status)
            .field("error", &self.error)
            .field("headers", &names)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("at", &self.at)
            .finish()
    }
}

impl std::fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers = authdoctor_secret::mask_headers(&self.headers);
        f.debug_struct("RequestSpec")
            .field("method", &self.method)
            .field("url", &crate::facts::display_url(&self.url))
            .field("headers", &headers)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .field("follow", &self.follow)
            .field("jar", &self.jar)
            .field("notes", &self.notes)
            .field("credentials_removed", &self.credentials_removed)
            .field("password_scheme", &self.password_scheme)
            .finish()
    }
}

impl RequestSpec {
    /// A request header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a CORS preflight: OPTIONS with
    /// Access-Control-Request-Method (the Fetch standard's definition).
    pub fn is_preflight(&self) -> bool {
        self.method == "OPTIONS" && self.header("access-control-request-method").is_some()
    }

    /// Whether the request is safe to repeat: its method is (RFC 9110
    /// §9.2.1), or it is a GraphQL query POSTed ([`Self::is_graphql_query`])
    /// or an MCP client's handshake or listing ([`Self::is_mcp_read`]).
    pub fn is_safe(&self) -> bool {
        matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
            || (self.method == "POST" && (self.is_graphql_query() || self.is_mcp_read()))
    }

    /// Whether the body is JSON-RPC 2.0 (a message, or a batch of them)
    /// whose every method is one an MCP client calls to connect, or to list
    /// and read what a server offers: `initialize`, `ping`, `tools/list`,
    /// `resources/read`… (the MCP specification's reads). `tools/call`, and
    /// any method not named here, may act.
    pub fn is_mcp_read(&self) -> bool {
        const READS: &[&str] = &[
            "initialize",
            "notifications/initialized",
            "ping",
            "tools/list",
            "resources/list",
            "resources/templates/list",
            "resources/read",
            "prompts/list",
            "prompts/get",
        ];
        self.every_json_message(|m| {
            m.get("jsonrpc").and_then(serde_json::Value::as_str) == Some("2.0")
                && m.get("method")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|method| READS.contains(&method))
        })
    }

    /// Whether the body is a GraphQL request (GraphQL over HTTP: a JSON
    /// object, or a batch of them, with a `query` document) whose document
    /// holds only queries, which the GraphQL specification makes read-only
    /// fetches: no `mutation` or `subscription` anywhere in it outside its
    /// strings and comments (a field of that name too makes it unsafe).
    pub fn is_graphql_query(&self) -> bool {
        self.every_json_message(|r| {
            r.get("query")
                .and_then(serde_json::Value::as_str)
                .is_some_and(only_queries)
        })
    }

    /// Whether the body is JSON, a message or a batch (an array) of them,
    /// at least one, and `each` holds of every message.
    fn every_json_message(&self, each: impl Fn(&serde_json::Value) -> bool) -> bool {
        let Some(v) = self
            .body
            .as_deref()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
        else {
            return false;
        };
        match &v {
            serde_json::Value::Array(a) => !a.is_empty() && a.iter().all(each),
            other => each(other),
        }
    }

    /// The body as a form, when it is one.
    pub fn form(&self) -> Vec<(String, String)> {
        let is_form = self
            .header("content-type")
            .is_none_or(|c| c.starts_with("application/x-www-form-urlencoded"));
        match (&self.body, is_form) {
            (Some(b), true) => url::form_urlencoded::parse(b).into_owned().collect(),
            _ => Vec::new(),
        }
    }

    /// The fields of the body (a form, or a JSON object and the objects in
    /// it) that carry a password: a sign-in form's credentials (`password`,
    /// `user[password]`, `passwd`, `pwd`, `passphrase`). Not a token
    /// request's (its grant is read as such), nor a form that changes a
    /// password (`current_password`, `new_password`: it needs a session
    /// besides).
    pub fn password_fields(&self) -> Vec<String> {
        fn changes_it(n: &str) -> bool {
            let n = n.to_ascii_lowercase();
            ["new", "old", "current", "confirm", "repeat"]
                .iter()
                .any(|w| n.contains(w))
        }
        let form = self.form();
        if form.iter().any(|(k, _)| k == "grant_type") {
            return Vec::new();
        }
        let mut out: Vec<String> = form
            .into_iter()
            .filter(|(k, v)| authdoctor_secret::is_password_param(k) && !v.is_empty())
            .map(|(k, _)| k)
            .collect();
        let json = self
            .body
            .as_deref()
            .filter(|_| {
                self.header("content-type")
                    .is_some_and(|c| c.contains("json"))
            })
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
        if let Some(serde_json::Value::Object(top)) = json {
            let nested = top.values().filter_map(serde_json::Value::as_object);
            for obj in std::iter::once(&top).chain(nested) {
                out.extend(
                    obj.iter()
                        .filter(|(k, v)| {
                            authdoctor_secret::is_password_param(k)
                                && v.as_str().is_some_and(|s| !s.is_empty())
                        })
                        .map(|(k, _)| k.clone()),
                );
            }
        }
        if out.iter().any(|n| changes_it(n)) {
            return Vec::new();
        }
        out
    }

    /// Every secret in the request, for redaction: the Authorization
    /// credentials, cookies, API keys, token-like query values, form secrets.
    pub fn secrets(&self) -> Vec<(String, authdoctor_secret::Kind)> {
        use authdoctor_secret::Kind;
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            let n = n.to_ascii_lowercase();
            if n == "authorization" || n == "proxy-authorization" {
                let c = authdoctor_httpauth::lint(v);
                // Only the credentials are secret: a bare scheme (`Bearer `
                // with nothing after it) is a word, and masking it garbles
                // every sentence that names the scheme.
                if let Some(t) = c
                    .token
                    .filter(|t| !t.trim().is_empty() && !is_shell_variable(t))
                {
                    out.push((t.clone(), Kind::Token));
                    if v.trim() != t {
                        out.push((v.clone(), Kind::Token));
                    }
                }
                if let Some(b) = c.basic {
                    out.push((b.password, Kind::Password));
                }
            } else if n == "cookie" {
                for c in v.split(';') {
                    if let Some((_, val)) = c.split_once('=') {
                        out.push((val.trim().to_owned(), Kind::Cookie));
                    }
                }
            } else if authdoctor_secret::is_secret_header(&n) {
                out.push((v.clone(), Kind::Token));
            }
        }
        for c in &self.jar {
            out.push((c.value.expose().to_owned(), Kind::Cookie));
        }
        if let Some(s) = &self.session {
            for (_, t, _) in &s.issued {
                out.push((t.expose().to_owned(), Kind::Token));
            }
        }
        for (k, v) in self.form() {
            if authdoctor_secret::is_secret_param(&k) {
                out.push((v, Kind::ClientSecret));
            }
        }
        if let Ok(u) = url::Url::parse(&self.url) {
            for (k, v) in u.query_pairs() {
                if authdoctor_secret::is_secret_param(&k) {
                    out.push((v.into_owned(), Kind::Token));
                }
            }
        }
        out.retain(|(s, _)| s.len() >= 4);
        out
    }
}

/// Whether a value is an unexpanded shell variable (`$TOKEN`, `${TOKEN}`):
/// a name, not a secret.
pub fn is_shell_variable(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('$') else {
        return false;
    };
    let name = rest
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(rest);
    !name.is_empty()
        && name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric())
        && !name.as_bytes()[0].is_ascii_digit()
}

/// Whether a GraphQL document's operations are all queries: its names,
/// outside strings and comments, include no `mutation` or `subscription`,
/// and it has a selection set.
fn only_queries(doc: &str) -> bool {
    let b = doc.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && !matches!(b[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b'"' if b[i..].starts_with(b"\"\"\"") => {
                // A block string: to a `"""` that `\` does not escape.
                i += 3;
                while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                    i += if b[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < b.len() && !matches!(b[i], b'"' | b'\n') {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let at = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                names.push(&doc[at..i]);
            }
            _ => i += 1,
        }
    }
    doc.contains('{')
        && !names
            .iter()
            .any(|n| *n == "mutation" || *n == "subscription")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(body: &str) -> RequestSpec {
        RequestSpec {
            method: "POST".into(),
            url: "https://api.test/graphql".into(),
            body: Some(body.as_bytes().to_vec()),
            ..RequestSpec::default()
        }
    }

    #[test]
    fn a_graphql_query_is_safe_to_repeat_and_a_mutation_is_not() {
        for body in [
            r#"{"query":"{ orders { id } }"}"#,
            r#"{"query":"query Orders($n: Int) { orders(first: $n) { id } }","variables":{"n":2}}"#,
            // The word in a string, a block string or a comment is no operation.
            r##"{"query":"# no mutation here\n{ search(text: \"mutation\") { id } }"}"##,
            r#"{"query":"{ search(text: \"\"\"a \\\"\"\" subscription\"\"\") { id } }"}"#,
            r#"[{"query":"{ a }"},{"query":"query B { b }"}]"#,
        ] {
            assert!(post(body).is_safe(), "{body}");
        }
        for body in [
            r#"{"query":"mutation { cancel(id: 1) { id } }"}"#,
            r#"{"query":"query A { a } mutation B { b }","operationName":"A"}"#,
            r#"{"query":"subscription { orders { id } }"}"#,
            r#"[{"query":"{ a }"},{"query":"mutation { b }"}]"#,
            r#"{"query":"{ mutation }"}"#,
            r#"{"operationName":"x"}"#,
            r#"{"query":""}"#,
            r#"[]"#,
            "query={ orders }",
        ] {
            assert!(!post(body).is_safe(), "{body}");
        }
        let mut put = post(r#"{"query":"{ orders }"}"#);
        put.method = "PUT".into();
        assert!(!put.is_safe());
    }

    #[test]
    fn an_mcp_handshake_or_listing_is_safe_to_repeat_and_a_tool_call_is_not() {
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
            r#"[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"file:///a"}}]"#,
        ] {
            assert!(post(body).is_safe(), "{body}");
        }
        for body in [
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"delete_order","arguments":{"id":1}}}"#,
            r#"[{"jsonrpc":"2.0","id":5,"method":"tools/list"},{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x"}}]"#,
            r#"{"jsonrpc":"1.0","id":7,"method":"tools/list"}"#,
            r#"{"id":8,"method":"initialize"}"#,
            r#"{"jsonrpc":"2.0","id":9,"method":"sampling/createMessage"}"#,
        ] {
            assert!(!post(body).is_safe(), "{body}");
        }
    }
}
