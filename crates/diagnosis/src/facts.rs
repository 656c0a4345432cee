//! The facts of an HTTP exchange as the probe recorded them: each hop, an
//! OAuth exchange with its raw body and JSON, each credential the trust
//! policy let go or kept back, and how a URL may be shown. Plain data: the
//! network edge (`authdoctor-net`) fills them, the rules read them.

/// Whether a URL's host is this machine: `localhost` and its subdomains,
/// and the loopback addresses. (Browsers count it a secure context; the
/// doctor lets a credential go to it over plain http.)
pub fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Shows a URL with its credentials masked: the password of its userinfo,
/// secret-named query values, and anything shaped like a JWT (in the path
/// too).
pub fn display_url(u: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(u) else {
        return authdoctor_secret::scrub(u).into_owned();
    };
    if parsed.password().is_some() {
        let masked = authdoctor_secret::mask(
            parsed.password().unwrap_or(""),
            authdoctor_secret::Kind::Password,
        );
        let _ = parsed.set_password(Some(&masked));
    }
    if parsed.query().is_none() {
        return authdoctor_secret::scrub(parsed.as_str()).into_owned();
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let secret = authdoctor_secret::is_secret_param(&k);
            (
                k.into_owned(),
                if secret {
                    authdoctor_secret::mask_token(&v)
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    authdoctor_secret::scrub(parsed.as_str()).into_owned()
}

/// One request and its answer. Its `Debug` masks credential headers and
/// leaves the body out (a token endpoint's body holds tokens).
#[derive(Clone)]
pub struct Hop {
    /// The method sent.
    pub method: String,
    /// The URL requested.
    pub url: String,
    /// The headers sent (values in clear: mask them before they leave).
    pub request_headers: Vec<(String, String)>,
    /// The status.
    pub status: u16,
    /// The response headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The server's `Date`, seconds since the epoch.
    pub date: Option<i64>,
    /// The local clock when the answer arrived.
    pub received_at: i64,
    /// Milliseconds from sending to the answer's headers.
    pub elapsed_ms: u64,
    /// The start of the body, as text.
    pub body: String,
    /// Whether the body was longer than what was read.
    pub body_truncated: bool,
    /// The body as read (bounded by the probe): what a JSON document
    /// is parsed from. Never shown; `body` is the snippet for the report.
    pub raw_body: Vec<u8>,
    /// Credential headers the client dropped to send this hop (after a
    /// cross-origin redirect), by name.
    pub dropped: Vec<String>,
}

impl std::fmt::Debug for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mask = authdoctor_secret::mask_headers;
        f.debug_struct("Hop")
            .field("method", &self.method)
            .field("url", &display_url(&self.url))
            .field("request_headers", &mask(&self.request_headers))
            .field("status", &self.status)
            .field("headers", &mask(&self.headers))
            .field("date", &self.date)
            .field("elapsed_ms", &self.elapsed_ms)
            .field("body_bytes", &self.body.len())
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl Hop {
    /// A response header, by lower-case name (the first).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a response header.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One credential-bearing request the probe sent, or refused to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialUse {
    /// The endpoint, masked.
    pub endpoint: String,
    /// What it carried (`client secret (HTTP Basic)`, `refresh_token`, …).
    pub credentials: Vec<String>,
    /// Why it was not sent, when it was not.
    pub refused: Option<String>,
}

/// An OAuth/OIDC exchange: the raw hop and its JSON, when it parsed. Its
/// `Debug` shows the hop (masked) and the JSON's member names only.
#[derive(Clone)]
pub struct Exchange {
    /// The hop, raw.
    pub hop: Hop,
    /// The body as JSON, when it is.
    pub json: Option<serde_json::Value>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let members: Vec<&String> = self
            .json
            .as_ref()
            .and_then(|j| j.as_object())
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        f.debug_struct("Exchange")
            .field("hop", &self.hop)
            .field("json_members", &members)
            .finish()
    }
}

impl From<Hop> for Exchange {
    fn from(hop: Hop) -> Exchange {
        // The whole body as read, not the report's snippet: a key set or a
        // discovery document is often larger than the snippet.
        let json = serde_json::from_slice(&hop.raw_body).ok();
        Exchange { hop, json }
    }
}

impl Exchange {
    /// The whole body as read, as text.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.hop.raw_body)
    }

    /// A string member of the JSON body.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.json.as_ref()?.get(name)?.as_str()
    }
}

/// Why a document or an answer the probe fetched (resource metadata,
/// discovery, a key set, introspection) could not be used. Messages read as
/// sentences fragments after "the key set could not be had: …".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The request could not be made (connection, TLS, timeout, trust).
    Unreachable(String),
    /// It answered, with a status that is not 200.
    Status {
        /// Where, masked.
        url: String,
        /// The status.
        status: u16,
    },
    /// It answered 200 with something that is not what was asked for.
    Unusable {
        /// Where, masked.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A discovery document without the member needed.
    Missing {
        /// Where, masked.
        url: String,
        /// The member (`jwks_uri`, `introspection_endpoint`).
        member: &'static str,
    },
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Unreachable(why) => f.write_str(why),
            FetchError::Status { url, status } => write!(f, "{url} answered {status}"),
            FetchError::Unusable { url, why } => write!(f, "{url}: {why}"),
            FetchError::Missing { url, member } => {
                write!(f, "the discovery document at {url} names no {member}")
            }
        }
    }
}

impl std::error::Error for FetchError {}

/// Where a request's answers sent it to sign in, if they did: a redirect
/// whose `Location` is a sign-in page or an identity provider's
/// authorization endpoint ([`is_sign_in_url`]); or, where the redirects were
/// followed, a final page that is a sign-in form (a password field) reached
/// by one. A web application answers a missing or refused session so.
pub fn sign_in_of(hops: &[Hop]) -> Option<String> {
    let last = hops.last()?;
    if last.status >= 400 {
        return None;
    }
    let redirect = hops.iter().find_map(|h| {
        let to = resolved(&h.url, h.headers_named("location").next()?)?;
        ((300..400).contains(&h.status) && is_sign_in_url(&to)).then_some(to)
    });
    if redirect.is_some() {
        return redirect;
    }
    // The whole body as read, not the snippet: a login page's form may
    // come after kilobytes of markup.
    let form = hops.len() > 1
        && last.status == 200
        && last
            .headers_named("content-type")
            .any(|c| c.to_ascii_lowercase().starts_with("text/html"))
        && {
            let body = String::from_utf8_lossy(&last.raw_body).to_ascii_lowercase();
            ["type=\"password\"", "type='password'", "type=password"]
                .iter()
                .any(|p| body.contains(p))
        };
    form.then(|| last.url.clone())
}

/// The status a request's answers stand for: the last one's, 401 where
/// they sent it to sign in ([`sign_in_of`]), or the status a refusal in a
/// success's body stands for ([`refusal_in_body`]): a resend or a retry
/// refused so again was refused again.
pub fn status_of(hops: &[Hop]) -> Option<u16> {
    let last = hops.last()?;
    Some(if sign_in_of(hops).is_some() {
        401
    } else {
        refusal_in_body(last).map_or(last.status, |r| r.status)
    })
}

/// Whether the answer says the server wanted a client certificate (mutual
/// TLS) it did not get, and how: nginx's 400 for `ssl_verify_client on`
/// ("No required SSL certificate was sent"; "The SSL certificate error"
/// for one it could not verify), or its own statuses 495 and 496 where a
/// configuration lets them through.
pub fn client_certificate_refused(hop: &Hop) -> Option<String> {
    let body = String::from_utf8_lossy(&hop.raw_body[..hop.raw_body.len().min(16 << 10)])
        .to_ascii_lowercase();
    let said = |words: &str| body.contains(words);
    match hop.status {
        400 | 496 if said("no required ssl certificate was sent") => Some(format!(
            "the server answered {} \"No required SSL certificate was sent\" (nginx's ssl_verify_client)",
            hop.status
        )),
        400 | 495 if said("the ssl certificate error") => Some(format!(
            "the server answered {} \"The SSL certificate error\": the client certificate sent did not verify (nginx's ssl_verify_client)",
            hop.status
        )),
        496 => Some("the server answered 496 (SSL Certificate Required)".to_owned()),
        495 => Some("the server answered 495 (SSL Certificate Error)".to_owned()),
        _ => None,
    }
}

/// An answer that came from an edge in front of the API, not from the API:
/// a web application firewall's or bot manager's block or challenge page
/// (Cloudflare, CloudFront with AWS WAF, Akamai, Imperva, Sucuri, F5,
/// Azure Front Door and Application Gateway, Vercel, HUMAN). The request
/// was stopped before any authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeBlock {
    /// Whose edge.
    pub who: &'static str,
    /// What in the answer says so (a header, the page's words).
    pub evidence: String,
    /// The reference the edge gives for the block (Cloudflare's Ray ID,
    /// Akamai's reference, Imperva's incident, F5's support ID), which its
    /// operator can look up.
    pub reference: Option<String>,
}

/// One edge's sign: a response header (name, a part of its value, or ""
/// for any), words of its page (lower-case, any of them; none: the header
/// alone says it), the statuses it blocks with (none: any error), and where
/// its reference is: a header, or the words its page puts before it.
struct EdgeSign {
    who: &'static str,
    header: Option<(&'static str, &'static str)>,
    words: &'static [&'static str],
    statuses: &'static [u16],
    reference: Reference,
}

enum Reference {
    Header(&'static str),
    After(&'static str),
}

/// The edges' signs, as their block and challenge pages show them.
const EDGE_SIGNS: &[EdgeSign] = &[
    // Cloudflare marks its own challenges and blocks.
    EdgeSign {
        who: "Cloudflare",
        header: Some(("cf-mitigated", "")),
        words: &[],
        statuses: &[],
        reference: Reference::Header("cf-ray"),
    },
    EdgeSign {
        who: "Cloudflare",
        header: Some(("server", "cloudflare")),
        words: &[
            "sorry, you have been blocked",
            "attention required! | cloudflare",
            "error code: 1020",
            "<title>just a moment...</title>",
            "cf-error-details",
        ],
        statuses: &[],
        reference: Reference::Header("cf-ray"),
    },
    EdgeSign {
        who: "Amazon CloudFront (AWS WAF)",
        header: None,
        words: &["generated by cloudfront (cloudfront)"],
        statuses: &[403],
        reference: Reference::Header("x-amz-cf-id"),
    },
    EdgeSign {
        who: "Akamai",
        header: Some(("server", "akamaighost")),
        words: &["access denied"],
        statuses: &[403],
        reference: Reference::After("reference #"),
    },
    EdgeSign {
        who: "Imperva (Incapsula)",
        header: None,
        words: &["incapsula incident id", "_incapsula_resource"],
        statuses: &[],
        reference: Reference::After("incident id: "),
    },
    EdgeSign {
        who: "Sucuri Website Firewall",
        header: None,
        words: &["sucuri website firewall"],
        statuses: &[],
        reference: Reference::Header("x-sucuri-id"),
    },
    EdgeSign {
        who: "F5 BIG-IP (ASM)",
        header: None,
        words: &["the requested url was rejected. please consult with your administrator"],
        statuses: &[],
        reference: Reference::After("your support id is: "),
    },
    EdgeSign {
        who: "Azure Front Door (WAF)",
        header: Some(("x-azure-ref", "")),
        words: &["the request is blocked"],
        statuses: &[403],
        reference: Reference::Header("x-azure-ref"),
    },
    EdgeSign {
        who: "Azure Application Gateway (WAF)",
        header: None,
        words: &["microsoft-azure-application-gateway"],
        statuses: &[403],
        reference: Reference::Header("x-request-id"),
    },
    EdgeSign {
        who: "Vercel Firewall",
        header: Some(("x-vercel-mitigated", "")),
        words: &[],
        statuses: &[],
        reference: Reference::Header("x-vercel-id"),
    },
    EdgeSign {
        who: "HUMAN (PerimeterX)",
        header: None,
        words: &["px-captcha", "perimeterx"],
        statuses: &[403],
        reference: Reference::After("reference id: "),
    },
];

/// The edge that answered instead of the API, if one did ([`EdgeBlock`]).
pub fn edge_block(hop: &Hop) -> Option<EdgeBlock> {
    if hop.status < 400 {
        return None;
    }
    // Akamai writes its reference with character references
    // (`Reference&#32;&#35;18&#46;2f1c…`).
    let body = String::from_utf8_lossy(&hop.raw_body[..hop.raw_body.len().min(64 << 10)])
        .to_ascii_lowercase()
        .replace("&#32;", " ")
        .replace("&#35;", "#")
        .replace("&#46;", ".");
    EDGE_SIGNS.iter().find_map(|s| {
        if !s.statuses.is_empty() && !s.statuses.contains(&hop.status) {
            return None;
        }
        let header = match s.header {
            Some((name, part)) => {
                let v = hop
                    .headers_named(name)
                    .find(|v| v.to_ascii_lowercase().contains(part))?;
                Some(format!("{name}: {v}"))
            }
            None => None,
        };
        let word = match s.words {
            [] => None,
            words => Some(*words.iter().find(|w| body.contains(*w))?),
        };
        let evidence = match (header, word) {
            (Some(h), Some(w)) => format!("{h}, and its page says \"{w}\""),
            (Some(h), None) => h,
            (None, Some(w)) => format!("its page says \"{w}\""),
            (None, None) => return None,
        };
        let reference = match s.reference {
            Reference::Header(name) => hop.header(name).map(str::to_owned),
            Reference::After(words) => body.find(words).map(|at| {
                body[at + words.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                    .take(80)
                    .collect::<String>()
            }),
        }
        .filter(|r| !r.is_empty());
        Some(EdgeBlock {
            who: s.who,
            evidence,
            reference,
        })
    })
}

/// A refusal by the application's protection against cross-site request
/// forgery: the request's session (a cookie) or credentials may be good,
/// but the token that proves the page sent it is missing or stale. Not an
/// authentication failure, and no token or password of the user's fixes
/// it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrfRefusal {
    /// Whose protection.
    pub who: &'static str,
    /// Its words, as found.
    pub words: String,
    /// What to send.
    pub fix: &'static str,
}

/// One framework's CSRF refusal: its words (lower-case, any of them) and
/// what to send.
struct CsrfSign {
    who: &'static str,
    words: &'static [&'static str],
    fix: &'static str,
}

/// The frameworks' CSRF refusals, as data.
static CSRF_SIGNS: &[CsrfSign] = &[
    CsrfSign {
        who: "Django",
        words: &[
            "csrf verification failed",
            "csrf failed: csrf token missing",
            "csrf failed: csrf cookie not set",
            "csrf failed: referer checking failed",
            "csrf failed: origin checking failed",
        ],
        fix: "Send the csrftoken cookie's value in X-CSRFToken with the session cookie (and a Referer or Origin of the site over HTTPS); or call the API with a token, which Django REST framework's token authentication does not check for CSRF.",
    },
    CsrfSign {
        who: "Jenkins",
        words: &["no valid crumb was included in the request"],
        fix: "Authenticate with an API token (curl -u USER:APITOKEN), which needs no crumb; or fetch one from /crumbIssuer/api/json and send it as Jenkins-Crumb in the same session (the cookie it sets).",
    },
    CsrfSign {
        who: "Spring Security",
        words: &[
            "invalid csrf token '",
            "was found on the request parameter '_csrf'",
            "could not verify the provided csrf token",
        ],
        fix: "Send the CSRF token in X-CSRF-TOKEN (or the XSRF-TOKEN cookie's value in X-XSRF-TOKEN) with the session cookie; a stateless API that takes bearer tokens can disable CSRF protection for its routes.",
    },
    CsrfSign {
        who: "Laravel",
        words: &["csrf token mismatch"],
        fix: "Send the XSRF-TOKEN cookie's value in X-XSRF-TOKEN with the session cookie (Sanctum: GET /sanctum/csrf-cookie first); a session that expired has no token to match: sign in again.",
    },
    CsrfSign {
        who: "Rails",
        words: &[
            "invalidauthenticitytoken",
            "can't verify csrf token authenticity",
        ],
        fix: "Send the page's csrf-token (its meta tag) in X-CSRF-Token with the session cookie; an API controller that takes tokens skips forgery protection (protect_from_forgery with: :null_session).",
    },
    CsrfSign {
        who: "Express (csurf, csrf-csrf)",
        words: &["invalid csrf token", "ebadcsrftoken"],
        fix: "Send the token the page was given (req.csrfToken()) in CSRF-Token or X-CSRF-Token, with the cookie that holds its secret.",
    },
    CsrfSign {
        who: "Flask-WTF",
        words: &[
            "the csrf token is missing",
            "the csrf token is invalid",
            "the csrf session token is missing",
            "the csrf token has expired",
        ],
        fix: "Send the form's csrf_token (or X-CSRFToken) with the session cookie; one past WTF_CSRF_TIME_LIMIT has expired: reload the page.",
    },
    CsrfSign {
        who: "gorilla/csrf",
        words: &[
            "forbidden - csrf token invalid",
            "forbidden - referer invalid",
        ],
        fix: "Send the token from csrf.Token(r) in X-CSRF-Token with the cookie that holds its secret.",
    },
];

/// The CSRF protection that refused the request, if one did: a 400, 403,
/// 419 or 422 whose body says so in a framework's words.
pub fn csrf_refusal(hop: &Hop) -> Option<CsrfRefusal> {
    if !matches!(hop.status, 400 | 403 | 419 | 422) {
        return None;
    }
    let body = String::from_utf8_lossy(&hop.raw_body[..hop.raw_body.len().min(64 << 10)])
        .to_ascii_lowercase();
    CSRF_SIGNS.iter().find_map(|s| {
        let w = s.words.iter().find(|w| body.contains(*w))?;
        Some(CsrfRefusal {
            who: s.who,
            words: (*w).to_owned(),
            fix: s.fix,
        })
    })
}

/// curl --digest and --anyauth send the request without the password
/// first, and answer the server's challenge with it: what that round saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordRound {
    /// The curl option (`--digest`, `--anyauth`).
    pub option: &'static str,
    /// The user name sent.
    pub user: String,
    /// The schemes the server's first answer asked for.
    pub offered: Vec<String>,
    /// How the password was sent (`Digest, algorithm MD5`); `None` where
    /// nothing offered was one this option answers, and no password went.
    pub answered: Option<String>,
    /// The cookies the server set with its challenge (their names): a
    /// Digest server may keep its nonce in a session (Flask-HTTPAuth does).
    pub cookies_set: Vec<String>,
    /// Whether they went back with the answer: curl sends them only with
    /// its cookie engine on (-b, -c).
    pub cookies_returned: bool,
    /// The experiment, where the answer without them was refused: the
    /// status of a new round that sent them back.
    pub with_cookies: Option<u16>,
}

impl PasswordRound {
    /// What the round did, as a note on the request.
    pub fn describe(&self) -> String {
        let asked = if self.offered.is_empty() {
            "the server asked for no scheme".to_owned()
        } else {
            format!("the server asked for {}", self.offered.join(", "))
        };
        match &self.answered {
            Some(how) => format!(
                "{}: the request went first without the password; {asked}; the password went as {how}",
                self.option
            ),
            None => format!(
                "{}: the request went first without the password; {asked}, nothing {} answers, so no password was sent (as curl does)",
                self.option, self.option
            ),
        }
    }

    /// Whether the password never went: the server asked for schemes this
    /// option does not answer.
    pub fn unanswered(&self) -> bool {
        self.answered.is_none() && !self.offered.is_empty()
    }
}

/// The forward proxy the request went through, as the environment named
/// it for the URL (`HTTPS_PROXY` and the rest, as curl and this tool's
/// HTTP client read them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardProxy {
    /// Its URL, a password in it masked.
    pub shown: String,
    /// Whether the URL carries a user and password for the proxy (sent as
    /// Proxy-Authorization).
    pub credentials: bool,
    /// The variable that named it.
    pub variable: String,
}

/// The forward proxies whose own answers name them in `Server` (and carry
/// no `Via`, which they add only to what they relay): Squid, tinyproxy,
/// Privoxy. A 401 or 403 of theirs is the proxy's refusal, not the API's.
const FORWARD_PROXIES: &[&str] = &["squid", "tinyproxy", "privoxy"];

/// Whether the final answer came from the forward proxy, not the API: a
/// 407 (only a proxy sends it), or, through a proxy, a refusal that the
/// proxy itself signed (`Server: tinyproxy/1.11.1`, no `Via`), as
/// tinyproxy answers 401 to a wrong proxy password.
pub fn proxy_answered(hop: &Hop, proxy: Option<&ForwardProxy>) -> bool {
    if hop.status == 407 {
        return true;
    }
    proxy.is_some()
        && matches!(hop.status, 401 | 403)
        && hop.header("via").is_none()
        && hop.header("server").is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            FORWARD_PROXIES.iter().any(|p| s.starts_with(p))
        })
}

/// A refusal that an answer of success carries in its body: a GraphQL
/// server's (GraphQL over HTTP: the request answered 200, its `errors`
/// array saying why), as Apollo Server answers an error a resolver throws,
/// and as Hasura, AWS AppSync's resolvers, Spring for GraphQL, Netflix DGS
/// and Strawberry answer a request they did not authenticate or allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyRefusal {
    /// The status it stands for: 401 (not authenticated) or 403 (not
    /// allowed).
    pub status: u16,
    /// The error's code, as the server wrote it (`UNAUTHENTICATED`,
    /// `invalid-jwt`, `UnauthorizedException`), where it gave one.
    pub code: Option<String>,
    /// The error's message.
    pub message: String,
}

/// The codes GraphQL servers put in an error (`extensions.code`, Spring's
/// `extensions.classification`, DGS's `extensions.errorType`, AppSync's
/// `errorType`), upper-cased with `-` as `_`, and the status each stands
/// for.
const REFUSAL_CODES: &[(&str, u16)] = &[
    // Apollo Server, GraphQL Yoga, DGS, graphql-java.
    ("UNAUTHENTICATED", 401),
    // Spring for GraphQL's ErrorType.UNAUTHORIZED: no authentication.
    ("UNAUTHORIZED", 401),
    // AWS AppSync.
    ("UNAUTHORIZEDEXCEPTION", 401),
    // Hasura: a token it could not verify, claims it could not read, the
    // Authorization header it requires missing.
    ("INVALID_JWT", 401),
    ("JWT_INVALID", 401),
    ("JWT_INVALID_CLAIMS", 401),
    ("JWT_MISSING_ROLE_CLAIMS", 401),
    ("INVALID_HEADERS", 401),
    ("INVALID_TOKEN", 401),
    ("AUTHENTICATION_ERROR", 401),
    ("FORBIDDEN", 403),
    ("PERMISSION_DENIED", 403),
    ("ACCESS_DENIED", 403),
    ("NOT_AUTHORIZED", 403),
];

/// Messages that say a GraphQL request was not authenticated (401) or not
/// allowed (403), where an error gives no code: the words of Strawberry's
/// and graphql-shield's defaults and of the tutorials, lower-cased.
const REFUSAL_WORDS: &[(&str, u16)] = &[
    ("not authenticated", 401),
    ("unauthenticated", 401),
    ("must be logged in", 401),
    ("must be authenticated", 401),
    ("not logged in", 401),
    ("authentication required", 401),
    ("login required", 401),
    ("unauthorized", 401),
    ("not authorised", 403),
    ("not authorized", 403),
    ("forbidden", 403),
    ("access denied", 403),
    ("permission denied", 403),
];

/// The refusal an answer of success carries in a GraphQL body, if it
/// does ([`BodyRefusal`]): an error whose code or words are a refusal's;
/// the first of a 401's before a 403's. Any other error (a query the
/// schema does not have, a resolver that failed) is no refusal.
pub fn refusal_in_body(hop: &Hop) -> Option<BodyRefusal> {
    refusal_in(hop.status, &hop.raw_body)
}

/// Slack's error codes of a request it did not authenticate (401) or
/// allow (403), in its `"ok": false` answers.
const SLACK_REFUSALS: &[(&str, u16)] = &[
    ("not_authed", 401),
    ("invalid_auth", 401),
    ("token_expired", 401),
    ("token_revoked", 401),
    ("account_inactive", 401),
    ("not_allowed_token_type", 401),
    ("missing_scope", 403),
    ("no_permission", 403),
    ("ekm_access_denied", 403),
];

/// [`refusal_in_body`] of an answer's status and body as recorded (a HAR
/// file's entry).
pub fn refusal_in(status: u16, body: &[u8]) -> Option<BodyRefusal> {
    if !(200..300).contains(&status) {
        return None;
    }
    let body = body.trim_ascii_start();
    if !body.starts_with(b"{") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    // Slack's Web API (and the APIs shaped like it): a 200 whose
    // `"ok": false` carries the refusal's code.
    if v.get("ok") == Some(&serde_json::Value::Bool(false)) {
        let code = v.get("error")?.as_str()?;
        let status = SLACK_REFUSALS
            .iter()
            .find(|(k, _)| *k == code)
            .map(|(_, s)| *s)?;
        return Some(BodyRefusal {
            status,
            code: Some(code.to_owned()),
            message: code.to_owned(),
        });
    }
    let errors = v.get("errors")?.as_array()?;
    let str_at = |e: &serde_json::Value, path: &[&str]| -> Option<String> {
        let mut x = e;
        for p in path {
            x = x.get(*p)?;
        }
        x.as_str().map(str::to_owned)
    };
    let refusals = errors.iter().take(16).filter_map(|e| {
        let message = str_at(e, &["message"]).unwrap_or_default();
        let code = [
            &["extensions", "code"][..],
            &["extensions", "classification"],
            &["extensions", "errorType"],
            &["errorType"],
        ]
        .iter()
        .find_map(|p| str_at(e, p));
        let by_code = code.as_deref().and_then(|c| {
            let c = c.to_ascii_uppercase().replace('-', "_");
            REFUSAL_CODES.iter().find(|(k, _)| *k == c).map(|(_, s)| *s)
        });
        let status = match by_code {
            Some(s) => s,
            // A code of its own (BAD_USER_INPUT, GRAPHQL_VALIDATION_FAILED,
            // INTERNAL_SERVER_ERROR) says it is something else.
            None if code.is_some() => return None,
            None => words_refusal(&message)?,
        };
        Some(BodyRefusal {
            status,
            code,
            message: message.chars().take(300).collect(),
        })
    });
    refusals.min_by_key(|r| r.status)
}

/// The status a GraphQL error's message stands for, where its words are a
/// refusal's: the catalogue's words of a token refused (401, or 403 for a
/// scope or permission), else [`REFUSAL_WORDS`].
fn words_refusal(message: &str) -> Option<u16> {
    if let Some(cause) = crate::dialects::read(message, "body").and_then(|s| s.cause) {
        use authdoctor_causes::Cause;
        return Some(match cause {
            Cause::AuthzForbidden | Cause::TokenScopeInsufficient => 403,
            _ => 401,
        });
    }
    let lower = message.to_ascii_lowercase();
    REFUSAL_WORDS
        .iter()
        .find(|(w, _)| lower.contains(w))
        .map(|(_, s)| *s)
}

/// A redirect's `Location` resolved against the URL that answered with it
/// (a relative one is common).
pub fn resolved(base: &str, location: &str) -> Option<String> {
    url::Url::parse(base)
        .ok()?
        .join(location)
        .ok()
        .map(|u| u.to_string())
}

/// Whether a URL is a sign-in page or an authorization endpoint, by the
/// words web frameworks and identity providers put in its path (`/login`,
/// `/users/sign_in`, `/accounts/login`, `/oauth2/start` of oauth2-proxy,
/// Keycloak's `/protocol/openid-connect/auth`, `/authorize`, `/saml`,
/// `/sso`, CAS's `/cas/login`) or an OAuth authorization request in its
/// query (`response_type` with `client_id`).
pub fn is_sign_in_url(u: &str) -> bool {
    let Ok(parsed) = url::Url::parse(u) else {
        return false;
    };
    let path = parsed.path().to_ascii_lowercase();
    const WORDS: [&str; 12] = [
        "login",
        "signin",
        "sign-in",
        "sign_in",
        "logon",
        "/authorize",
        "/oauth2/start",
        "/openid-connect/auth",
        "/saml",
        "/sso",
        "/cas/",
        "/auth/realms/",
    ];
    let query = parsed.query().unwrap_or("");
    WORDS.iter().any(|w| path.contains(w))
        || (query.contains("response_type=") && query.contains("client_id="))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(url: &str, status: u16, headers: &[(&str, &str)], body: &str) -> Hop {
        Hop {
            method: "GET".into(),
            url: url.into(),
            request_headers: Vec::new(),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            date: None,
            received_at: 0,
            elapsed_ms: 0,
            body: body.into(),
            body_truncated: false,
            raw_body: body.as_bytes().to_vec(),
            dropped: Vec::new(),
        }
    }

    #[test]
    fn sent_to_sign_in() {
        for to in [
            "/accounts/login/?next=%2Fdashboard",
            "/users/sign_in",
            "https://id.example/realms/x/protocol/openid-connect/auth?client_id=a&response_type=code",
            "https://app.example/oauth2/start?rd=%2F",
            "https://id.example/authorize?response_type=code&client_id=a",
        ] {
            let h = hop(
                "https://app.example/dashboard",
                302,
                &[("location", to)],
                "",
            );
            assert!(sign_in_of(&[h]).is_some(), "{to}");
        }
        // A redirect elsewhere, an error, a page asked for: none.
        let other = hop(
            "https://a.example/x",
            307,
            &[("location", "https://b.example/orders")],
            "",
        );
        assert_eq!(sign_in_of(&[other]), None);
        let refused = hop("https://a.example/x", 401, &[("location", "/login")], "");
        assert_eq!(sign_in_of(&[refused]), None);
        let form = r#"<form><input type="password" name="p"></form>"#;
        let page = hop(
            "https://a.example/account",
            200,
            &[("content-type", "text/html")],
            form,
        );
        assert_eq!(sign_in_of(std::slice::from_ref(&page)), None);
        // A sign-in form at the end of redirects followed.
        let first = hop("https://a.example/x", 303, &[("location", "/welcome")], "");
        assert_eq!(
            sign_in_of(&[first.clone(), page]).as_deref(),
            Some("https://a.example/account")
        );
        // Its form after more markup than the report's snippet (4 KiB)
        // holds: found in the body as read.
        let long = format!("<html>{}{form}", " ".repeat(6000));
        let mut page = hop(
            "https://a.example/account",
            200,
            &[("content-type", "text/html")],
            &long,
        );
        page.body.truncate(4096);
        assert!(sign_in_of(&[first, page]).is_some());
    }

    #[test]
    fn a_graphql_refusal_in_a_success_stands_for_its_status() {
        let refusal = |body: &str| {
            refusal_in_body(&hop("https://api.test/graphql", 200, &[], body))
                .map(|r| (r.status, r.code, r.message))
        };
        // Apollo Server: an error a resolver throws, with its stack.
        assert_eq!(
            refusal(
                r#"{"errors":[{"message":"You must be logged in","locations":[{"line":1,"column":3}],"path":["orders"],"extensions":{"code":"UNAUTHENTICATED","stacktrace":["GraphQLError: You must be logged in"]}}],"data":{"orders":null}}"#
            ),
            Some((
                401,
                Some("UNAUTHENTICATED".into()),
                "You must be logged in".into()
            ))
        );
        // Hasura: its codes in kebab case.
        assert_eq!(
            refusal(
                r#"{"errors":[{"extensions":{"path":"$","code":"invalid-jwt"},"message":"Could not verify JWT: JWTExpired"}]}"#
            )
            .map(|r| r.0),
            Some(401)
        );
        assert_eq!(
            refusal(
                r#"{"errors":[{"extensions":{"path":"$","code":"access-denied"},"message":"Your current role is not in allowed roles"}]}"#
            )
            .map(|r| r.0),
            Some(403)
        );
        // AWS AppSync's errorType; Spring for GraphQL's classification;
        // Netflix DGS's errorType.
        assert_eq!(
            refusal(
                r#"{"data":null,"errors":[{"errorType":"UnauthorizedException","message":"Valid authorization header not provided."}]}"#
            )
            .map(|r| r.0),
            Some(401)
        );
        assert_eq!(
            refusal(
                r#"{"errors":[{"message":"Forbidden","extensions":{"classification":"FORBIDDEN"}}],"data":{"orders":null}}"#
            )
            .map(|r| r.0),
            Some(403)
        );
        assert_eq!(
            refusal(
                r#"{"errors":[{"message":"org.springframework.security.access.AccessDeniedException: Access Denied","extensions":{"errorType":"PERMISSION_DENIED"}}]}"#
            )
            .map(|r| r.0),
            Some(403)
        );
        // No code: Strawberry's and graphql-shield's words, a token's.
        assert_eq!(
            refusal(r#"{"data":null,"errors":[{"message":"User is not authenticated","locations":[{"line":1,"column":3}],"path":["orders"]}]}"#)
                .map(|r| r.0),
            Some(401)
        );
        assert_eq!(
            refusal(r#"{"data":{"orders":null},"errors":[{"message":"Not Authorised!","path":["orders"]}]}"#)
                .map(|r| r.0),
            Some(403)
        );
        assert_eq!(
            refusal(r#"{"errors":[{"message":"jwt expired"}]}"#).map(|r| r.0),
            Some(401)
        );
        // Of a 401's and a 403's, the 401's: authentication comes first.
        assert_eq!(
            refusal(
                r#"{"errors":[{"message":"x","extensions":{"code":"FORBIDDEN"}},{"message":"y","extensions":{"code":"UNAUTHENTICATED"}}]}"#
            )
            .map(|r| r.0),
            Some(401)
        );
    }

    #[test]
    fn other_graphql_errors_and_other_successes_are_no_refusal() {
        let refusal = |status: u16, body: &str| {
            refusal_in_body(&hop("https://api.test/graphql", status, &[], body))
        };
        for body in [
            // A query the schema does not have; a resolver that failed; a
            // code of its own whose words mention authorization.
            r#"{"errors":[{"message":"Cannot query field \"orderz\" on type \"Query\".","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}"#,
            r#"{"errors":[{"message":"connect ECONNREFUSED 127.0.0.1:5432","extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}"#,
            r#"{"errors":[{"message":"unauthorized field","extensions":{"code":"BAD_USER_INPUT"}}]}"#,
            r#"{"errors":[{"message":"Variable \"$id\" of required type \"ID!\" was not provided."}]}"#,
            r#"{"data":{"orders":["a"]}}"#,
            r#"{"errors":[]}"#,
            r#"{"errors":"Unauthorized"}"#,
            "not json: Unauthorized",
        ] {
            assert_eq!(refusal(200, body), None, "{body}");
        }
        // Only a success stands for another status.
        let apollo = r#"{"errors":[{"message":"x","extensions":{"code":"UNAUTHENTICATED"}}]}"#;
        assert!(refusal(204, apollo).is_some());
        assert_eq!(refusal(401, apollo), None);
        assert_eq!(refusal(302, apollo), None);
        // A resend refused so again is refused again.
        assert_eq!(
            status_of(&[hop("https://api.test/graphql", 200, &[], apollo)]),
            Some(401)
        );
        assert_eq!(
            status_of(&[hop("https://api.test/graphql", 200, &[], r#"{"data":{}}"#)]),
            Some(200)
        );
    }

    #[test]
    fn a_firewalls_page_is_the_edge_answering_not_the_api() {
        let edge = |status: u16, headers: &[(&str, &str)], body: &str| {
            edge_block(&hop("https://api.test/orders", status, headers, body))
                .map(|e| (e.who, e.reference))
        };
        // Cloudflare's block page (WAF rule, error 1020) and a challenge.
        assert_eq!(
            edge(
                403,
                &[("server", "cloudflare"), ("cf-ray", "8f1c2d3e4a5b6c7d-AMS")],
                "<!DOCTYPE html><title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1><span>Cloudflare Ray ID: <strong>8f1c2d3e4a5b6c7d</strong></span>"
            ),
            Some(("Cloudflare", Some("8f1c2d3e4a5b6c7d-AMS".into())))
        );
        assert_eq!(
            edge(
                403,
                &[("cf-mitigated", "challenge"), ("cf-ray", "x1")],
                "<title>Just a moment...</title>"
            )
            .map(|e| e.0),
            Some("Cloudflare")
        );
        // CloudFront's page for a request AWS WAF blocked.
        assert_eq!(
            edge(
                403,
                &[
                    ("x-amz-cf-id", "Zx9v-abc=="),
                    ("x-cache", "Error from cloudfront")
                ],
                "<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1><H2>The request could not be satisfied.</H2><HR noshade size=\"1px\">Request blocked.\nGenerated by cloudfront (CloudFront)\nRequest ID: Zx9v-abc==</BODY></HTML>"
            ),
            Some(("Amazon CloudFront (AWS WAF)", Some("Zx9v-abc==".into())))
        );
        // Akamai, Imperva, F5: the reference in the page.
        assert_eq!(
            edge(
                403,
                &[("server", "AkamaiGHost")],
                "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>You don't have permission to access \"http&#58;&#47;&#47;api&#46;test&#47;orders\" on this server.<P>Reference&#32;&#35;18&#46;2f1c2d17&#46;1764321000&#46;5a3b1c2\n</BODY></HTML>"
            ),
            Some(("Akamai", Some("18.2f1c2d17.1764321000.5a3b1c2".into())))
        );
        assert_eq!(
            edge(
                403,
                &[],
                "<html><body>Request unsuccessful. Incapsula incident ID: 123000450123456789-98765432109876543</body></html>"
            ),
            Some((
                "Imperva (Incapsula)",
                Some("123000450123456789-98765432109876543".into())
            ))
        );
        assert_eq!(
            edge(
                200,
                &[],
                "The requested URL was rejected. Please consult with your administrator."
            ),
            None
        );
        assert_eq!(
            edge(
                403,
                &[],
                "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 4567890123456789012<br></body></html>"
            ),
            Some(("F5 BIG-IP (ASM)", Some("4567890123456789012".into())))
        );
        // The API's own refusals are not an edge's, even through one.
        for (status, headers, body) in [
            (
                401,
                &[("server", "cloudflare"), ("cf-ray", "x")][..],
                r#"{"message":"jwt expired"}"#,
            ),
            (
                403,
                &[("server", "cloudflare")][..],
                r#"{"error":"insufficient_scope"}"#,
            ),
            (
                403,
                &[][..],
                "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>",
            ),
            (
                502,
                &[][..],
                "<H1>502 ERROR</H1>Generated by cloudfront (CloudFront)",
            ),
        ] {
            assert_eq!(edge(status, headers, body), None, "{body}");
        }
    }
}
