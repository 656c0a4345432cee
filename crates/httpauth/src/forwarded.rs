//! `X-Forwarded-For` as proxies write it (a comma-separated list of hops,
//! the nearest proxy's last), read one way by the guard and by `authdoctor
//! logs --trusted-proxies`: the client is the last hop that is not one of
//! one's own proxies, walking back from the end those proxies appended
//! (nginx's `real_ip_recursive`), so an address a client wrote into the
//! header itself is never reached.

use std::net::IpAddr;

/// A hop's address, as written and read: `203.0.113.9`, `2001:db8::1`,
/// and with a port `203.0.113.9:5123` or `[2001:db8::1]:443` (the address
/// without it). `None` for anything else: `unknown` (Squid's), a name,
/// junk.
pub fn hop_address(hop: &str) -> Option<(&str, IpAddr)> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse() {
        return Some((hop, ip));
    }
    let host = match hop.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => {
            let (host, port) = hop.rsplit_once(':')?;
            (!host.contains(':') && port.bytes().all(|b| b.is_ascii_digit())).then_some(host)?
        }
    };
    Some((host, host.parse().ok()?))
}

/// The client the hops name (in the order written, the nearest proxy's
/// last), where `trusted` says which addresses are one's own proxies: the
/// last hop that is not trusted, walking back; a hop that is no address
/// stops the walk at the last good one (every hop trusted: the first).
/// `None` when the last hop is no address.
pub fn last_untrusted<'a>(
    hops: impl DoubleEndedIterator<Item = &'a str>,
    trusted: impl Fn(&IpAddr) -> bool,
) -> Option<(&'a str, IpAddr)> {
    let mut client = None;
    for hop in hops.rev() {
        let Some((text, ip)) = hop_address(hop) else {
            break;
        };
        client = Some((text, ip));
        if !trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hop_is_an_address_with_or_without_its_port() {
        fn addr(h: &str) -> Option<&str> {
            hop_address(h).map(|(t, _)| t)
        }
        assert_eq!(addr(" 203.0.113.9 "), Some("203.0.113.9"));
        assert_eq!(addr("203.0.113.9:5123"), Some("203.0.113.9"));
        assert_eq!(addr("2001:db8::1"), Some("2001:db8::1"));
        assert_eq!(addr("[2001:db8::1]:443"), Some("2001:db8::1"));
        assert_eq!(addr("[2001:db8::1]"), Some("2001:db8::1"));
        for junk in ["unknown", "proxy.example", "", "1.2.3.4:http", "[junk]"] {
            assert_eq!(addr(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_client_is_the_last_hop_that_is_no_trusted_proxy() {
        fn client(list: &str) -> Option<&str> {
            let ours = |ip: &IpAddr| ip.to_string().starts_with("10.");
            last_untrusted(list.split(','), ours).map(|(t, _)| t)
        }
        // What a client wrote before the hop the proxies saw is never
        // reached.
        assert_eq!(
            client("198.51.100.1, 203.0.113.9, 10.0.0.4"),
            Some("203.0.113.9")
        );
        assert_eq!(client("10.0.0.4, 10.0.0.5"), Some("10.0.0.4"));
        assert_eq!(client("203.0.113.9, unknown, 10.0.0.4"), Some("10.0.0.4"));
        assert_eq!(client("203.0.113.9:5123"), Some("203.0.113.9"));
        assert_eq!(client("203.0.113.9, garbage"), None);
    }
}
