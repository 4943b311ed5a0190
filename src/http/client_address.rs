//! Who is really calling: behind a load balancer the TCP peer is the balancer, and the
//! resident's address and scheme come in `Forwarded` (RFC 7239) or `X-Forwarded-For` /
//! `X-Forwarded-Proto`. Those headers are believed only from configured proxy addresses:
//! anyone else could write them.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    /// `10.0.0.0/8`, `fd00::/8`, or a single address.
    pub fn parse(text: &str) -> Result<Network, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| format!("{text} is not an IP address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => {
                p.trim().parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("bad prefix in {text}"))?
            }
            None => max,
        };
        Ok(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are IPv4 addresses.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The address and scheme of the client, as far as they can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress {
    pub ip: IpAddr,
    pub https: bool,
}

/// The hops a request went through, nearest last: from `Forwarded`, else `X-Forwarded-For`.
fn forwarded_chain(headers: &HeaderMap) -> (Vec<IpAddr>, Option<String>) {
    let all = |name: &str| -> Vec<String> {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    };
    let forwarded = all("forwarded");
    if !forwarded.is_empty() {
        let mut hops = Vec::new();
        let mut proto = None;
        for element in forwarded.iter().flat_map(|h| h.split(',')) {
            for pair in element.split(';') {
                let Some((key, value)) = pair.trim().split_once('=') else { continue };
                let value = value.trim().trim_matches('"');
                match key.trim().to_ascii_lowercase().as_str() {
                    "for" => {
                        // `for="[2001:db8::1]:4711"` or `for=192.0.2.60:8080`.
                        let host = value.strip_prefix('[').and_then(|v| v.split(']').next()).unwrap_or_else(|| {
                            if value.matches(':').count() == 1 {
                                value.split(':').next().unwrap_or(value)
                            } else {
                                value
                            }
                        });
                        if let Ok(ip) = host.parse() {
                            hops.push(ip);
                        }
                    }
                    "proto" => proto = Some(value.to_ascii_lowercase()),
                    _ => {}
                }
            }
        }
        return (hops, proto);
    }
    let hops =
        all("x-forwarded-for").iter().flat_map(|h| h.split(',')).filter_map(|ip| ip.trim().parse().ok()).collect();
    let proto =
        all("x-forwarded-proto").last().and_then(|p| p.split(',').next_back()).map(|p| p.trim().to_ascii_lowercase());
    (hops, proto)
}

/// Resolves the client behind `peer`: the nearest address of the forwarded chain that is not
/// one of `trusted`, walking from the peer outwards.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[Network], connection_is_https: bool) -> ClientAddress {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return ClientAddress { ip: canonical(peer), https: connection_is_https };
    }
    let (hops, proto) = forwarded_chain(headers);
    let ip = hops.iter().rev().copied().find(|ip| !is_trusted(*ip)).or_else(|| hops.first().copied()).unwrap_or(peer);
    let https = proto.map(|p| p == "https").unwrap_or(connection_is_https);
    ClientAddress { ip: canonical(ip), https }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn networks() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(Network::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("lb.example").is_err());
    }

    #[test]
    fn headers_are_believed_only_from_trusted_proxies() {
        let trusted = [Network::parse("10.0.0.0/8").unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9"), ("x-forwarded-proto", "https")]);
        let direct = resolve("198.51.100.1".parse().unwrap(), &spoofed, &trusted, false);
        assert_eq!(direct, ClientAddress { ip: "198.51.100.1".parse().unwrap(), https: false });

        // Client → attacker-written XFF entry → real client → two trusted proxies.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2"), ("x-forwarded-proto", "https")]);
        let behind = resolve("10.0.0.1".parse().unwrap(), &chain, &trusted, false);
        assert_eq!(behind, ClientAddress { ip: "203.0.113.9".parse().unwrap(), https: true });

        let rfc7239 = headers(&[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.2")]);
        let behind = resolve("10.0.0.1".parse().unwrap(), &rfc7239, &trusted, false);
        assert_eq!(behind, ClientAddress { ip: "2001:db8::1".parse().unwrap(), https: true });

        let no_header = resolve("10.0.0.1".parse().unwrap(), &HeaderMap::new(), &trusted, false);
        assert_eq!(no_header.ip, "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
