//! The Ledgerlock server: configuration, middleware, routes and startup.

pub mod config;
mod middleware;
mod router;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::{Application, StartupError};
