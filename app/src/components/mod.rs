//! Reusable pieces of UI.

pub mod app_shell;
pub mod form;
