//! Ledgerlock: the application shared by the server renderer and the browser.

pub mod account_binding;
pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use app::App;
#[cfg(feature = "ssr")]
pub use app::shell;
pub use error::AppError;
