//! sea-orm entities: one module per table. They never leave the server;
//! server functions return DTOs built from them.

pub mod audit_event;
pub mod billing_settings;
pub mod customer;
pub mod email_verification;
pub mod ended_session;
pub mod invitation;
pub mod invoice;
pub mod invoice_line;
pub mod mail_budget;
pub mod membership;
pub mod membership_customer;
pub mod number_series;
pub mod organization;
pub mod passkey;
pub mod password_reset;
pub mod payment;
pub mod product;
pub mod recovery_code;
pub mod role;
pub mod security_event;
pub mod session;
pub mod tax_rate;
pub mod totp_factor;
pub mod user;
