//! The forward proxy the environment names for a URL, read as this
//! crate's HTTP client (reqwest) and curl read it: `http_proxy` or
//! `HTTP_PROXY` for an `http://` URL, `https_proxy` or `HTTPS_PROXY` for an
//! `https://` one, else `all_proxy` or `ALL_PROXY`; none for a host that
//! `no_proxy` or `NO_PROXY` lists (`*`, a host, a domain and its
//! subdomains, an address or a network). The doctor tells the user which
//! proxy answered, where one did.

use authdoctor_diagnosis::facts::ForwardProxy;

/// The proxy the process's environment names for `url`.
pub fn env_proxy(url: &str) -> Option<ForwardProxy> {
    env_proxy_with(url, |name| std::env::var(name).ok())
}

/// [`env_proxy`] with the environment given (`get`: a variable's value).
pub fn env_proxy_with(url: &str, get: impl Fn(&str) -> Option<String>) -> Option<ForwardProxy> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']');
    let named = |names: &[&str]| {
        names.iter().find_map(|n| {
            get(n)
                .filter(|v| !v.trim().is_empty())
                .map(|v| ((*n).to_owned(), v.trim().to_owned()))
        })
    };
    let (variable, value) = match u.scheme() {
        "http" => named(&["http_proxy", "HTTP_PROXY"]),
        "https" => named(&["https_proxy", "HTTPS_PROXY"]),
        _ => None,
    }
    .or_else(|| named(&["all_proxy", "ALL_PROXY"]))?;
    if let Some((_, list)) = named(&["no_proxy", "NO_PROXY"]) {
        if list
            .split(',')
            .map(str::trim)
            .any(|entry| bypasses(entry, host))
        {
            return None;
        }
    }
    // A proxy given without a scheme is an http:// one (curl's reading).
    let full = if value.contains("://") {
        value
    } else {
        format!("http://{value}")
    };
    let credentials = url::Url::parse(&full).is_ok_and(|p| !p.username().is_empty());
    Some(ForwardProxy {
        shown: authdoctor_diagnosis::facts::display_url(&full),
        credentials,
        variable,
    })
}

/// Whether a `no_proxy` entry covers `host`.
fn bypasses(entry: &str, host: &str) -> bool {
    if entry.is_empty() {
        return false;
    }
    if entry == "*" {
        return true;
    }
    if let (Ok(net), Ok(ip)) = (
        entry.parse::<ipnet::IpNet>(),
        host.parse::<std::net::IpAddr>(),
    ) {
        return net.contains(&ip);
    }
    if let (Ok(a), Ok(b)) = (
        entry.parse::<std::net::IpAddr>(),
        host.parse::<std::net::IpAddr>(),
    ) {
        return a == b;
    }
    let domain = entry.trim_start_matches('.').to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_proxy_of_a_url_is_read_as_curl_reads_it() {
        let e = env(&[
            ("HTTPS_PROXY", "http://alice:s3cret-proxy@proxy.corp:3128"),
            ("http_proxy", "proxy.corp:8080"),
            ("NO_PROXY", "internal.example, .svc.local,10.0.0.0/8, ::1"),
        ]);
        let p = env_proxy_with("https://api.example.com/orders", &e).expect("a proxy");
        assert_eq!(p.variable, "HTTPS_PROXY");
        assert!(p.credentials);
        assert!(!p.shown.contains("s3cret-proxy"), "{}", p.shown);
        let p = env_proxy_with("http://api.example.com/", &e).expect("a proxy");
        assert_eq!((p.variable.as_str(), p.credentials), ("http_proxy", false));
        assert_eq!(p.shown, "http://proxy.corp:8080/");
        for bypassed in [
            "https://internal.example/x",
            "https://a.b.svc.local/x",
            "https://10.1.2.3/x",
            "https://[::1]:8443/x",
        ] {
            assert_eq!(env_proxy_with(bypassed, &e), None, "{bypassed}");
        }
        assert_eq!(
            env_proxy_with("https://notinternal.example/x", &e).map(|p| p.variable),
            Some("HTTPS_PROXY".into())
        );
        assert_eq!(env_proxy_with("https://api.example.com/", env(&[])), None);
        assert_eq!(
            env_proxy_with(
                "https://x.test/",
                env(&[("ALL_PROXY", "socks5://p:1080"), ("no_proxy", "*")])
            ),
            None
        );
    }
}
