//! Who is on the other end of the request: address and user agent, as the
//! server's client-address middleware determined them.

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
