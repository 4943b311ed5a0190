//! Outbound HTTP to addresses clients registered (JWKS URIs, logout URIs): https only, to
//! public addresses only, short timeouts, no redirects, bounded bodies. A client cannot use
//! the provider to reach the Métropole's internal network (SSRF). On a loopback `http` issuer
//! (local runs and tests), loopback `http` targets are allowed too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::is_loopback_host;

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("address not allowed: {0}")]
    Forbidden(String),
    #[error("request failed: {0}")]
    Failed(String),
    #[error("response larger than {0} bytes")]
    TooLarge(usize),
}

/// Whether `ip` may be called: a public address, or loopback when `allow_loopback`.
pub fn ip_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    if ip.is_loopback() {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_unspecified() || v6.is_multicast() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Whether `url` may be called at all (scheme and literal address; names are checked when
/// resolved).
pub fn url_allowed(url: &str, allow_loopback: bool) -> bool {
    let Ok(url) = url::Url::parse(url) else { return false };
    let host = url.host_str().unwrap_or_default();
    let loopback_http = allow_loopback && url.scheme() == "http" && is_loopback_host(host);
    if url.scheme() != "https" && !loopback_http {
        return false;
    }
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip_allowed(IpAddr::V4(ip), allow_loopback),
        Some(url::Host::Ipv6(ip)) => ip_allowed(IpAddr::V6(ip), allow_loopback),
        Some(url::Host::Domain(name)) => name != "localhost" || allow_loopback,
        None => false,
    }
}

/// Resolves names, then keeps only the addresses that may be called.
struct GuardedResolver {
    allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                resolved.into_iter().filter(|a| ip_allowed(a.ip(), allow_loopback)).collect();
            if allowed.is_empty() {
                return Err(Box::new(OutboundError::Forbidden(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The outbound client: 2 s to connect, 4 s in all, no redirect followed, guarded resolution.
pub fn client(allow_loopback: bool) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(4))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow_loopback }))
        .build()
}

/// GETs `url` and returns its body, refusing one over `max_bytes`.
pub async fn get_bounded(
    client: &reqwest::Client,
    url: &str,
    allow_loopback: bool,
    max_bytes: usize,
) -> Result<Vec<u8>, OutboundError> {
    if !url_allowed(url, allow_loopback) {
        return Err(OutboundError::Forbidden(url.to_owned()));
    }
    let mut response = client.get(url).send().await.map_err(|e| OutboundError::Failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(OutboundError::Failed(format!("status {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| OutboundError::Failed(e.to_string()))? {
        if body.len() + chunk.len() > max_bytes {
            return Err(OutboundError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused() {
        for internal in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!ip_allowed(internal.parse().unwrap(), true), "{internal}");
        }
        assert!(!ip_allowed("127.0.0.1".parse().unwrap(), false));
        assert!(ip_allowed("127.0.0.1".parse().unwrap(), true));
        assert!(ip_allowed("8.8.8.8".parse().unwrap(), false));
        assert!(url_allowed("https://rp.lyon.fr/jwks", false));
        assert!(!url_allowed("http://rp.lyon.fr/jwks", false));
        assert!(!url_allowed("https://169.254.169.254/latest", false));
        assert!(!url_allowed("https://localhost/jwks", false));
        assert!(!url_allowed("http://127.0.0.1:9/jwks", false));
        assert!(url_allowed("http://127.0.0.1:9/jwks", true));
    }
}
