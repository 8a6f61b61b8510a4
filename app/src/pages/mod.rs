//! One module per route.

pub mod access_report;
pub mod account;
pub mod audit_log;
pub mod confirm_email;
pub mod customers;
pub mod dashboard;
pub mod forgot_password;
pub mod invitation;
pub mod invoice_delivery;
pub mod invoice_editor;
pub mod invoice_view;
pub mod invoices;
pub mod landing;
pub mod not_found;
pub mod organization;
pub mod organization_delivery;
pub mod organization_payments;
pub mod products;
pub mod reset_password;
pub mod roles;
pub mod security_activity;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod team;
pub mod verify_sign_in;
