//! Cookies as a browser keeps them (RFC 6265, and the SameSite rules of
//! RFC 6265bis that browsers enforce): a `Set-Cookie` read into the jar
//! entry it makes, and whether that entry goes with a request, and if not,
//! why. Used for a curl cookie jar and for the cookies a HAR session's
//! responses set.

use crate::spec::JarCookie;
use authdoctor_secret::CookieValue;

/// `SameSite`, as set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only within the site.
    Strict,
    /// Sent within the site, and with top-level navigations to it.
    Lax,
    /// Sent everywhere (Secure required).
    None,
}

/// Why a browser did not send a cookie with a request: each reason has its
/// own fix, chosen by the reason's kind (never by its words), and reads as
/// a sentence's clause (`Display`) naming the cookie's attributes, never
/// its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Withheld {
    /// Not stored: its `Domain` does not cover the host that set it.
    RefusedDomain {
        /// Its `Domain`.
        domain: String,
        /// The host that set it.
        host: String,
    },
    /// Not stored: `Secure`, set over plain http.
    RefusedSecure,
    /// Not stored: `SameSite=None` without `Secure`.
    RefusedNoneInsecure,
    /// Not stored: its `SameSite` (as set) on the answer to another site's
    /// request.
    RefusedCrossSite(Option<SameSite>),
    /// The server deleted it (`Max-Age=0`, an `Expires` in the past).
    Deleted,
    /// Its `Domain` (or host) is not the request's host.
    OtherHost {
        /// Its `Domain` (its host, for a host-only cookie).
        domain: String,
        /// The request's host.
        host: String,
    },
    /// Its `Path` does not cover the request's path.
    Path {
        /// Its `Path`.
        path: String,
        /// The request's path.
        request: String,
    },
    /// `Secure`, and the request is plain http.
    Insecure,
    /// It expired this many seconds before the request.
    Expired(i64),
    /// Its `SameSite` keeps it from a request another site's page sent
    /// (`page`: that page's origin, where known).
    CrossSite {
        /// Its `SameSite`, as set.
        same_site: Option<SameSite>,
        /// The page's origin.
        page: Option<String>,
    },
    /// A third-party cookie to the page (`SameSite=None; Secure`, in
    /// scope): the browser's own policy blocks it.
    ThirdParty {
        /// The page's origin.
        page: Option<String>,
    },
    /// The page's script called another origin without asking to send
    /// cookies.
    NoCredentials {
        /// The page's origin.
        page: Option<String>,
    },
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Withheld::RefusedDomain { domain, host } => write!(
                f,
                "the browser refused it: its Domain={domain} does not cover {host}, which set it"
            ),
            Withheld::RefusedSecure => {
                f.write_str("the browser refused it: it is Secure, and was set over plain http")
            }
            Withheld::RefusedNoneInsecure => f.write_str(
                "the browser refused it: SameSite=None without Secure (browsers require both)",
            ),
            Withheld::RefusedCrossSite(s) => write!(
                f,
                "the browser refused it: {}, on the answer to another site's request",
                same_site_words(*s)
            ),
            Withheld::Deleted => f.write_str(
                "the server deleted it (Max-Age=0 or an Expires in the past: a logout, or a session it ended)",
            ),
            Withheld::OtherHost { domain, host } => {
                write!(f, "its Domain {domain} does not match {host}")
            }
            Withheld::Path { path, request } => {
                write!(f, "its Path={path} does not cover {request}")
            }
            Withheld::Insecure => f.write_str("it is Secure and the request is plain http"),
            Withheld::Expired(secs) => write!(f, "it expired {secs} s ago (Max-Age/Expires)"),
            Withheld::CrossSite { same_site, page } => write!(
                f,
                "{}: the browser keeps it from a request sent by another site's page{}",
                same_site_words(*same_site),
                page.as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
            Withheld::ThirdParty { page } => write!(
                f,
                "it is another site's cookie to the page{} (a third-party cookie), which browsers block or partition (Safari and Firefox by default, Chrome's tracking protection and its users' settings), SameSite=None notwithstanding",
                page.as_deref()
                    .map(|p| format!(" at {p}"))
                    .unwrap_or_default()
            ),
            Withheld::NoCredentials { page } => write!(
                f,
                "the page's script sent the request to another origin without asking to send cookies (fetch's credentials: 'include', XHR's withCredentials){}",
                page.as_deref()
                    .map(|p| format!("; the page is {p}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// A cookie not sent: why, and where it was set when a recording says
/// (the HAR entry whose answer set it).
#[derive(Clone, Debug)]
pub struct NotSent {
    /// The cookie, as the jar held it.
    pub cookie: JarCookie,
    /// Why it was not sent.
    pub why: Withheld,
    /// The HAR entry whose answer set it.
    pub set_in_entry: Option<usize>,
}

impl NotSent {
    /// The reason as a clause, with where the cookie was set.
    pub fn reason(&self) -> String {
        match self.set_in_entry {
            Some(n) => format!("{} (its Set-Cookie: HAR entry {n})", self.why),
            None => self.why.to_string(),
        }
    }
}

/// A `Set-Cookie` header, read (RFC 6265 §5.2).
#[derive(Clone, Debug)]
pub struct SetCookie {
    /// The name.
    pub name: String,
    /// The value (a secret).
    pub value: CookieValue,
    /// `Domain`, without its leading dot, lower-cased.
    pub domain: Option<String>,
    /// `Path`, where it is one (it begins with `/`).
    pub path: Option<String>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite`, where set to a value browsers know.
    pub same_site: Option<SameSite>,
    /// `Max-Age`, in seconds.
    pub max_age: Option<i64>,
    /// `Expires`, seconds since the epoch.
    pub expires: Option<i64>,
}

impl SetCookie {
    /// Reads a `Set-Cookie` value; `None` for one without a name.
    pub fn parse(line: &str) -> Option<SetCookie> {
        let mut parts = line.split(';');
        let (name, value) = parts.next()?.split_once('=')?;
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let mut c = SetCookie {
            name: name.to_owned(),
            value: CookieValue::new(value.trim().to_owned()),
            domain: None,
            path: None,
            secure: false,
            http_only: false,
            same_site: None,
            max_age: None,
            expires: None,
        };
        for a in parts {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "domain" if !v.is_empty() => {
                    c.domain = Some(v.trim_start_matches('.').to_ascii_lowercase());
                }
                "path" if v.starts_with('/') => c.path = Some(v.to_owned()),
                "secure" => c.secure = true,
                "httponly" => c.http_only = true,
                "samesite" => {
                    c.same_site = match v.to_ascii_lowercase().as_str() {
                        "strict" => Some(SameSite::Strict),
                        "lax" => Some(SameSite::Lax),
                        "none" => Some(SameSite::None),
                        _ => None,
                    }
                }
                "max-age" => c.max_age = v.parse().ok(),
                "expires" => c.expires = cookie_date(v),
                _ => {}
            }
        }
        Some(c)
    }

    /// Whether the cookie, set at `at` (seconds since the epoch), deletes
    /// the one of its name (`Max-Age` of zero or less, or, without
    /// `Max-Age`, an `Expires` not after `at`), as a logout does.
    pub fn deletes(&self, at: i64) -> bool {
        match self.max_age {
            Some(n) => n <= 0,
            None => self.expires.is_some_and(|t| t <= at),
        }
    }

    /// The jar entry the cookie makes, set by the answer to `url` at `at`
    /// (seconds since the epoch): host-only without `Domain`, the URL's
    /// default path without `Path` (§5.1.4), `Max-Age` before `Expires`
    /// (a `Max-Age` of zero or less: expired at once).
    pub fn in_jar(&self, url: &url::Url, at: i64) -> JarCookie {
        let expires = match (self.max_age, self.expires) {
            (Some(n), _) if n <= 0 => 1,
            (Some(n), _) => at.saturating_add(n),
            (None, Some(t)) => t.max(1),
            (None, None) => 0,
        };
        JarCookie {
            domain: self
                .domain
                .clone()
                .unwrap_or_else(|| url.host_str().unwrap_or("").to_ascii_lowercase()),
            include_subdomains: self.domain.is_some(),
            path: self
                .path
                .clone()
                .unwrap_or_else(|| default_path(url.path())),
            secure: self.secure,
            expires,
            name: self.name.clone(),
            value: self.value.clone(),
        }
    }

    /// Why a browser would not store the cookie the answer to `url` set
    /// (`cross_site`: that answer came to a request from another site), if
    /// it would not.
    pub fn refused(&self, url: &url::Url, cross_site: bool) -> Option<Withheld> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        if let Some(d) = &self.domain {
            if !domain_matches(&host, d) {
                return Some(Withheld::RefusedDomain {
                    domain: d.clone(),
                    host,
                });
            }
        }
        if self.secure && !secure_context(url) {
            return Some(Withheld::RefusedSecure);
        }
        match self.same_site {
            Some(SameSite::None) if !self.secure => Some(Withheld::RefusedNoneInsecure),
            Some(SameSite::None) => None,
            s if cross_site => Some(Withheld::RefusedCrossSite(s)),
            _ => None,
        }
    }
}

/// How a cookie's `SameSite` reads in a reason.
pub fn same_site_words(s: Option<SameSite>) -> &'static str {
    match s {
        Some(SameSite::Strict) => "SameSite=Strict",
        Some(SameSite::Lax) => "SameSite=Lax",
        Some(SameSite::None) => "SameSite=None",
        None => "no SameSite (browsers take it as Lax)",
    }
}

impl JarCookie {
    /// Whether the cookie belongs to `url`'s host: its own (host-only), or
    /// one under its Domain.
    pub fn covers_host(&self, url: &url::Url) -> bool {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        host == self.domain || (self.include_subdomains && domain_matches(&host, &self.domain))
    }

    /// Whether the cookie goes with a request to `url` at `now`, by its
    /// scope and age; if not, why.
    pub fn sent_to(&self, url: &url::Url, now: i64) -> Result<(), Withheld> {
        if !self.covers_host(url) {
            return Err(Withheld::OtherHost {
                domain: self.domain.clone(),
                host: url.host_str().unwrap_or("").to_owned(),
            });
        }
        let path = url.path();
        if !path_matches(path, &self.path) {
            return Err(Withheld::Path {
                path: self.path.clone(),
                request: path.to_owned(),
            });
        }
        if self.secure && !matches!(url.scheme(), "https" | "wss") {
            return Err(Withheld::Insecure);
        }
        if self.expires != 0 && self.expires < now {
            return Err(Withheld::Expired(now - self.expires));
        }
        Ok(())
    }
}

/// RFC 6265 §5.1.3: `host` is `domain` or a subdomain of it.
fn domain_matches(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// RFC 6265 §5.1.4: `path` is within the cookie's `scope`.
fn path_matches(path: &str, scope: &str) -> bool {
    path == scope
        || (path.starts_with(scope)
            && (scope.ends_with('/') || path[scope.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.4: the default path of a request's path.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
    }
}

/// Whether browsers count the origin as secure: https, or loopback.
pub fn secure_context(url: &url::Url) -> bool {
    matches!(url.scheme(), "https" | "wss") || crate::facts::is_loopback(url)
}

/// The site of a URL as browsers compare them for SameSite: its scheme
/// and its registrable domain, here its host's last two labels (an
/// address, or `localhost`, whole). A public suffix of two labels
/// (`co.uk`) makes two sites look one: the comparison errs toward
/// "same site", which only keeps a cause from being named.
pub fn site(url: &url::Url) -> Option<(String, String)> {
    let scheme = match url.scheme() {
        "wss" => "https",
        "ws" => "http",
        s => s,
    }
    .to_owned();
    let host = match url.host()? {
        url::Host::Domain(d) => {
            let labels: Vec<&str> = d.trim_end_matches('.').rsplitn(3, '.').collect();
            match labels.as_slice() {
                [tld, name, ..] => format!("{name}.{tld}"),
                _ => d.to_owned(),
            }
        }
        h => h.to_string(),
    };
    Some((scheme, host.to_ascii_lowercase()))
}

/// A cookie's `Expires` (RFC 6265 §5.1.1 is more lenient than HTTP's
/// dates; the Netscape form with dashes and a four-digit year is the one
/// still seen).
fn cookie_date(v: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(v)
        .or_else(|_| httpdate::parse_http_date(&v.replacen('-', " ", 2)))
        .ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> url::Url {
        url::Url::parse(u).unwrap()
    }

    #[test]
    fn a_set_cookie_makes_the_jar_entry_a_browser_keeps() {
        let c = SetCookie::parse("sid=abc; Path=/app; Max-Age=60; HttpOnly; SameSite=Lax").unwrap();
        assert!(c.http_only);
        assert_eq!(c.same_site, Some(SameSite::Lax));
        let j = c.in_jar(&url("http://127.0.0.1:8080/login"), 1000);
        assert_eq!((j.domain.as_str(), j.path.as_str()), ("127.0.0.1", "/app"));
        assert!(!j.include_subdomains);
        assert_eq!(j.expires, 1060);
        assert!(
            j.sent_to(&url("http://127.0.0.1:8080/app/me"), 1001)
                .is_ok()
        );
        let why = j
            .sent_to(&url("http://127.0.0.1:8080/me"), 1001)
            .unwrap_err();
        assert!(matches!(why, Withheld::Path { .. }), "{why:?}");
        assert!(
            why.to_string().contains("Path=/app does not cover /me"),
            "{why}"
        );
        let why = j
            .sent_to(&url("http://127.0.0.1:8080/app/me"), 1061)
            .unwrap_err();
        assert_eq!(why, Withheld::Expired(1));
        assert!(why.to_string().contains("expired 1 s ago"), "{why}");
        // `/application` is not under `/app`.
        assert!(
            j.sent_to(&url("http://127.0.0.1:8080/application"), 1001)
                .is_err()
        );

        // A Domain covers subdomains; the default path is the login's folder.
        let c = SetCookie::parse("s=1; Domain=.Example.com; Expires=Wed, 21-Oct-2099 07:28:00 GMT")
            .unwrap();
        let j = c.in_jar(&url("https://auth.example.com/a/login"), 0);
        assert!(j.include_subdomains && j.domain == "example.com" && j.path == "/a");
        assert!(j.expires > 4_000_000_000);
        assert!(j.sent_to(&url("https://api.example.com/a/x"), 0).is_ok());
        assert!(j.sent_to(&url("https://badexample.com/a/x"), 0).is_err());
        assert!(SetCookie::parse("=x; Path=/").is_none());
        assert!(SetCookie::parse("novalue").is_none());
    }

    #[test]
    fn what_a_browser_refuses_to_store() {
        let http = url("http://app.test/login");
        let refused =
            |line: &str, cross: bool| SetCookie::parse(line).unwrap().refused(&http, cross);
        let said = |line: &str, cross: bool| refused(line, cross).unwrap().to_string();
        assert!(matches!(
            refused("s=1; Domain=other.test", false),
            Some(Withheld::RefusedDomain { .. })
        ));
        assert!(
            said("s=1; Domain=other.test", false)
                .contains("Domain=other.test does not cover app.test")
        );
        assert_eq!(refused("s=1; Secure", false), Some(Withheld::RefusedSecure));
        assert!(said("s=1; Secure", false).contains("Secure, and was set over plain http"));
        assert_eq!(
            refused("s=1; SameSite=None", false),
            Some(Withheld::RefusedNoneInsecure)
        );
        assert!(said("s=1; SameSite=None", false).contains("SameSite=None without Secure"));
        assert_eq!(refused("s=1", true), Some(Withheld::RefusedCrossSite(None)));
        assert!(said("s=1", true).contains("no SameSite (browsers take it as Lax)"));
        assert!(refused("s=1", false).is_none());
        // Loopback counts as secure; SameSite=None; Secure goes anywhere.
        let local = url("http://localhost:3000/login");
        let c = SetCookie::parse("s=1; SameSite=None; Secure").unwrap();
        assert!(c.refused(&local, true).is_none());
    }

    #[test]
    fn sites_are_scheme_and_registrable_domain() {
        assert_eq!(
            site(&url("https://app.example.com/")),
            site(&url("https://api.example.com:8443/"))
        );
        assert_ne!(
            site(&url("http://example.com/")),
            site(&url("https://example.com/"))
        );
        assert_ne!(
            site(&url("http://127.0.0.1:1/")),
            site(&url("http://localhost:1/"))
        );
        assert_eq!(
            site(&url("http://127.0.0.1:1/")),
            site(&url("http://127.0.0.1:2/"))
        );
    }
}
