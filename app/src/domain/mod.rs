//! Business rules as plain Rust: no Leptos, sea-orm or axum in here.
//!
//! Everything in this module also compiles to WebAssembly, so the browser can
//! apply exactly the rules the server will enforce (and show the same messages).

pub mod card_payment;
pub mod customer;
pub mod delivery;
mod email;
pub mod epc;
mod field_error;
pub mod invoice;
pub mod invoice_input;
pub mod invoice_status;
pub mod lockout;
pub mod money;
mod names;
pub mod next_path;
pub mod numbering;
mod password;
pub mod payout;
pub mod permission;
pub mod portal_access;
pub mod recovery_code;
pub mod role;
mod security_event;
mod session_policy;
pub mod totp;
pub mod user_agent;

pub use email::Email;
pub use field_error::FieldError;
pub use lockout::{Lockout, MAX_CONSECUTIVE_FAILURES};
pub use names::{OrganizationName, PasskeyName, PersonName};
pub use next_path::NextPath;
#[cfg(feature = "ssr")]
pub use password::{NewPassword, check as check_password};
pub use password::{
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, PasswordContext, Strength, normalize_password,
};
pub use permission::{Permission, Permissions};
pub use role::Role;
pub use security_event::SecurityEventKind;
pub use session_policy::{STEP_UP_WINDOW, SessionPolicy, recently_confirmed};
