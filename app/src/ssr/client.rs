//! Who is on the other end of the request: address and user agent, as the
//! server's client-address middleware determined them.

use http::request::Parts;
use leptos::prelude::use_context;
use std::net::IpAddr;

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

/// The client of the request being handled by a server function.
pub fn current_client() -> ClientInfo {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<ClientInfo>().cloned())
        .unwrap_or_default()
}
