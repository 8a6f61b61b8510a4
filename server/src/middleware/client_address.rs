//! Who the client is: the socket peer, or, when that peer is a trusted
//! reverse proxy, the address it reports in `X-Forwarded-For`. A header from
//! anyone else is ignored, so it cannot be used to dodge rate limits or to
//! put a false address into the security log.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::USER_AGENT;
use ledgerlock_app::ssr::client::ClientInfo;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct TrustedProxies(pub Vec<IpAddr>);

pub async fn identify(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    if let Some(peer) = peer
        && !forwarded.is_empty()
        && !trusted.0.contains(&peer)
    {
        warn_untrusted_forwarding_once(peer);
    }
    let ip = peer.map(|peer| client_ip(peer, &forwarded, &trusted.0));
    let user_agent = request
        .headers()
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.chars().take(255).collect());
    request
        .extensions_mut()
        .insert(ClientInfo { ip, user_agent });
    next.run(request).await
}

/// A reverse proxy in front of the app that is not configured as trusted
/// makes every client look like the proxy (one rate limit for everyone, the
/// proxy's address in the security log). Said once per process: a client
/// sending the header itself must not be able to fill the log.
fn warn_untrusted_forwarding_once(peer: IpAddr) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            %peer,
            "a request carried X-Forwarded-For from a peer that is not a trusted proxy; the header \
             is ignored. If this peer is your reverse proxy, list it in LEDGERLOCK_TRUSTED_PROXIES \
             (until then every client is limited and logged as the proxy)"
        );
    }
}

/// Walks the forwarding chain from the nearest hop while the hops are
/// trusted proxies; the first untrusted address is the client.
fn client_ip(peer: IpAddr, forwarded: &[IpAddr], trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        if !trusted.contains(&client) {
            break;
        }
        client = *hop;
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), &[ip("1.2.3.4")], &[]),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &[ip("1.2.3.4")], &[ip("10.0.0.1")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_is_looked_through() {
        let proxy = ip("10.0.0.1");
        assert_eq!(
            client_ip(proxy, &[ip("198.51.100.7")], &[proxy]),
            ip("198.51.100.7")
        );
        // A client-supplied entry to the left of the real one is not believed.
        assert_eq!(
            client_ip(proxy, &[ip("1.2.3.4"), ip("198.51.100.7")], &[proxy]),
            ip("198.51.100.7")
        );
        // No header: the proxy itself is all we know.
        assert_eq!(client_ip(proxy, &[], &[proxy]), proxy);
    }
}
