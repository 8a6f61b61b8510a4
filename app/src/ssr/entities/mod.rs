//! sea-orm entities: one module per table. They never leave the server;
//! server functions return DTOs built from them.

pub mod membership;
pub mod organization;
pub mod passkey;
pub mod password_reset;
pub mod recovery_code;
pub mod security_event;
pub mod session;
pub mod totp_factor;
pub mod user;
