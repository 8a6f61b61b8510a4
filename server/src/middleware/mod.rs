//! HTTP middleware, one concern per module.

pub mod cross_site;
pub mod security_headers;
pub mod sign_in_gate;
