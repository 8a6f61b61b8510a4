//! Integration tests: the real application on a random port against a fresh
//! database. The whole suite runs on SQLite, and again on PostgreSQL when
//! `LEDGERLOCK_TEST_DATABASE=postgres` (see the Makefile).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_binding;
mod account_security;
mod audit_reads;
mod auth;
mod billing;
mod card_payment_attacks;
mod card_payments;
mod config;
mod delivery;
mod export_pages;
mod hardening;
mod headers;
mod helpers;
mod invoicing;
mod invoicing_records;
mod passkeys;
mod password_strength;
mod payout;
mod permission_matrix;
mod portal;
mod probes;
mod query_plans;
mod second_factors;
mod status_summaries;
mod team;
mod team_limits;
