//! One module per route.

pub mod account;
pub mod dashboard;
pub mod forgot_password;
pub mod landing;
pub mod not_found;
pub mod organization;
pub mod reset_password;
pub mod security_activity;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod verify_sign_in;
