//! One module per route.

pub mod account;
pub mod audit_log;
pub mod customers;
pub mod dashboard;
pub mod forgot_password;
pub mod invoice_editor;
pub mod invoice_view;
pub mod invoices;
pub mod landing;
pub mod not_found;
pub mod organization;
pub mod products;
pub mod reset_password;
pub mod security_activity;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod verify_sign_in;
