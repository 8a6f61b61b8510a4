//! Reusable pieces of UI.

pub mod app_shell;
pub mod browser_data;
pub mod confirm_identity;
pub mod customer_picker;
pub mod form;
pub mod money;
pub mod passkey_ceremony;
pub mod passkeys;
pub mod password_meter;
pub mod revenue_chart;
pub mod time;
pub mod two_step;
