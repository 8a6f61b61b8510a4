//! Everything that only exists on the server: database, sessions, services.

pub mod access;
pub mod auth;
pub mod calendar;
pub mod card_payment_pages;
pub mod client;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod entities;
pub mod errors;
pub mod export;
pub mod headers;
pub mod mail;
pub mod migrations;
pub mod passwords;
pub mod pdf;
pub mod portal_pages;
pub mod portal_session_pages;
pub mod request;
pub mod services;
pub mod session_store;
pub mod site_assets;
pub mod state;
pub mod stripe;
pub mod sums;
pub mod tokens;

pub use state::AppState;
