//! One service per area. A service opens its transaction, applies the domain
//! rules, writes (with the log event, in the same transaction), commits and
//! returns a DTO.

pub mod access_report;
pub mod accounts;
pub mod audit;
pub mod audit_log;
pub mod card_payments;
pub mod customers;
pub mod dashboard;
pub mod delivery;
pub mod delivery_settings;
pub mod email_confirmation;
pub mod guesses;
pub mod identity;
pub mod invitations;
pub mod invoice_credit;
pub mod invoice_issuing;
pub mod invoice_payments;
pub mod invoice_views;
pub mod invoices;
pub mod mail_budgets;
pub mod mail_queue;
pub mod organization_settings;
pub mod organizations;
pub mod passkeys;
pub mod password_reset;
pub mod payment_provider;
pub mod payout;
pub mod portal;
pub mod portal_access;
pub mod portal_account;
pub mod products;
pub mod reports;
pub mod roles;
pub mod second_factor;
pub mod secret_keys;
pub mod security_log;
pub mod sessions;
pub mod status_totals;
pub mod stripe_webhooks;
pub mod team;
