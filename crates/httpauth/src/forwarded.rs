//! `X-Forwarded-For` as proxies write it (a comma-separated list of hops,
//! the nearest proxy's last), read one way by the guard and by `authdoctor
//! logs --trusted-proxies`: the client is the last hop that is not one of
//! one's own proxies, walking back from the end those proxies appended
//! (nginx's `real_ip_recursive`), so an address a client wrote into the
//! header itself is never reached. And the client an address counts as
//! ([`client_network`]), the guard's limits and the logs' tallies alike.

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

/// The client an address counts as where clients are told apart (a
/// limiter's windows, a log's tallies): an IPv4 address as it is (one
/// mapped into IPv6 as that IPv4 address), an IPv6 address as its network
/// of `v6_prefix` bits (64: a home's or a host's, every address of which
/// its holder can take; 128: the address itself).
pub fn client_network(ip: IpAddr, v6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) if v6_prefix < 128 => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(v6_prefix))
                .unwrap_or(0);
            IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & mask))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_its_ipv4_address_or_its_ipv6_network() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_network(ip("203.0.113.9"), 64), ip("203.0.113.9"));
        assert_eq!(
            client_network(ip("::ffff:203.0.113.9"), 64),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_network(ip("2001:db8:7:1:aa::1"), 64),
            ip("2001:db8:7:1::")
        );
        assert_eq!(
            client_network(ip("2001:db8:7:1:aa::1"), 48),
            ip("2001:db8:7::")
        );
        assert_eq!(client_network(ip("2001:db8::1"), 128), ip("2001:db8::1"));
        assert_eq!(client_network(ip("2001:db8::1"), 0), ip("::"));
    }

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
