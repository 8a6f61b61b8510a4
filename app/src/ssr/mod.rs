//! Everything that only exists on the server: database, sessions, services.

pub mod auth;
pub mod db;
pub mod entities;
pub mod errors;
pub mod headers;
pub mod migrations;
pub mod passwords;
pub mod services;
pub mod session_store;
pub mod state;

pub use state::AppState;
