//! One service per area. A service opens its transaction, applies the domain
//! rules, writes, commits and returns a DTO.

pub mod accounts;
pub mod dashboard;
