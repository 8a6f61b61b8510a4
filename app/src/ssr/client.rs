//! Who is on the other end of the request: address and user agent, as the
//! server's client-address middleware determined them.

use std::net::{IpAddr, Ipv6Addr};

/// Put in each request's extensions by the server's middleware. The address
/// is the socket peer unless that peer is a configured trusted proxy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn ip_text(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// The key a client's address is limited under (rate limits, mail
/// budgets). An IPv6 client controls at least a whole /64 (RFC 6177 gives
/// sites a /48 or /56; SLAAC lets every host pick addresses from a /64), so
/// the key is its /64 prefix, not the address; an IPv4-mapped IPv6 address
/// counts as its IPv4 address.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_share_a_limit_per_64_prefix() {
        let key = limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assert_eq!(key, ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), key);
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), key);
    }

    #[test]
    fn ipv4_and_ipv4_mapped_addresses_are_limited_alone() {
        assert_eq!(limit_key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_ne!(limit_key(ip("203.0.113.9")), limit_key(ip("203.0.113.10")));
    }
}
