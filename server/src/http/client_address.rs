//! Which address a request comes from, for the per-address sign-in throttle.
//!
//! Behind a reverse proxy every request arrives from the proxy, so the throttle would lump all
//! clients together. `X-Forwarded-For` names the real client, but anyone can send that header,
//! so it is honoured only when the connecting peer is a configured trusted proxy
//! (`LATCH_TRUSTED_PROXIES`), and then read from the right: each trusted proxy appends the
//! address it saw, so the right-most address that is not a trusted proxy is the client. Anything
//! further left was written by the client and is ignored.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// One trusted address or network (`10.0.0.0/8`, `::1`, `192.0.2.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix_len: u8,
}

impl Network {
    /// Parses an address or a CIDR network.
    pub fn parse(text: &str) -> Result<Network, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            None => max,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|len| *len <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Network {
            address,
            prefix_len,
        })
    }

    pub fn contains(&self, candidate: IpAddr) -> bool {
        match (self.address, canonical(candidate)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 peers on a dual-stack socket arrive as `::ffff:a.b.c.d`; compare them as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The configured trusted proxies (none by default: `X-Forwarded-For` is then never read).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR networks; empty means none.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Network::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client's address: the peer itself unless the peer is a trusted proxy, else the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy. If every entry is trusted
    /// (or one cannot be read), the left-most trusted hop reached is the best that is known.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            let Some(ip) = parse_forwarded_entry(entry) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// An `X-Forwarded-For` entry: an address, possibly `[v6]:port` or `v4:port`.
fn parse_forwarded_entry(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    entry
        .parse::<std::net::SocketAddr>()
        .ok()
        .map(|addr| canonical(addr.ip()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_match_their_addresses_only() {
        let net = Network::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(
            net.contains(ip("::ffff:10.1.0.9")),
            "IPv4-mapped peers count as IPv4"
        );
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(
            Network::parse("192.0.2.7")
                .unwrap()
                .contains(ip("192.0.2.7"))
        );
        assert!(
            !Network::parse("192.0.2.7")
                .unwrap()
                .contains(ip("192.0.2.8"))
        );
        for bad in ["10.0.0.0/33", "nope", "::1/129", "10.0.0.0/x"] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
        assert!(TrustedProxies::parse("10.0.0.1, bogus").is_err());
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_address(ip("127.0.0.1"), &headers(&["203.0.113.9"])),
            ip("127.0.0.1")
        );
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            trusted.client_address(ip("192.0.2.1"), &headers(&["203.0.113.9"])),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn the_right_most_untrusted_forwarded_address_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8,127.0.0.1").unwrap();
        // The client forged the left-most entry; the proxies appended what they saw.
        let chain = headers(&["1.1.1.1, 203.0.113.9", "10.0.0.5"]);
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &chain),
            ip("203.0.113.9")
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers(&["198.51.100.2:5000"])),
            ip("198.51.100.2")
        );
        // Every hop trusted: the furthest one reached; garbage stops the walk.
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers(&["10.0.0.7"])),
            ip("10.0.0.7")
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &headers(&["garbage, 10.0.0.7"])),
            ip("10.0.0.7")
        );
        assert_eq!(
            trusted.client_address(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }
}
