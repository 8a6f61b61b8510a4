//! Business rules as plain Rust: no Leptos, sea-orm or axum in here.
//!
//! Everything in this module also compiles to WebAssembly, so the browser can
//! apply exactly the rules the server will enforce (and show the same messages).

mod email;
mod field_error;
mod names;
pub mod next_path;
mod password;
mod role;

pub use email::Email;
pub use field_error::FieldError;
pub use names::{OrganizationName, PersonName};
pub use next_path::NextPath;
pub use password::{NewPassword, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
pub use role::Role;
