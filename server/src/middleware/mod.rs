//! HTTP middleware, one concern per module.

pub mod client_address;
pub mod cross_site;
pub mod rate_limit;
pub mod security_headers;
pub mod sign_in_gate;
