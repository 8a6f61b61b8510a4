//! Server functions: the only door to the database. Each one first captures
//! its request context (state, session, client) before any `.await`, parses
//! its input into domain types, checks the caller, calls one service, and ends
//! with `respond`, which gives an error its HTTP status.
//!
//! A server function `foo_bar` also defines a struct `FooBar` (its
//! arguments), so a DTO must not be named after its server function.
//!
//! Endpoints are explicit and stable (`/api/<area>/<name>`): they are part of
//! the public surface, listed in the README.

pub mod audit;
pub mod auth;
pub mod customers;
pub mod dashboard;
pub mod delivery;
pub mod delivery_settings;
pub mod invitations;
pub mod invoices;
pub mod organization;
pub mod passkeys;
pub mod payment_settings;
pub mod products;
pub mod second_factor;
pub mod security;
pub mod sessions;
pub mod team;
