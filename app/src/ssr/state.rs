use super::crypto::SecretBox;
use super::mail::Mailer;
use super::passwords::Passwords;
use crate::domain::SessionPolicy;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What every request handler and server function can reach: one shared
/// allocation, so the clone each middleware layer and route takes per
/// request is a reference count (issue 16: `perf` found the landing page
/// spending 10 % of its time cloning and dropping the whole state, its
/// mailer's strings included, dozens of times a request).
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

impl AppState {
    pub fn new(parts: AppStateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateParts;

    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct AppStateParts {
    pub db: DatabaseConnection,
    pub leptos_options: LeptosOptions,
    pub passwords: Arc<Passwords>,
    pub mailer: Mailer,
    pub settings: Arc<Settings>,
    /// Encrypts secrets stored in the database (TOTP seeds).
    pub secrets: Arc<SecretBox>,
    /// The passkey relying party; `None` when the public URL's host is an IP
    /// address, where browsers refuse passkeys.
    pub webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// The time of billing (see [`super::clock`]).
    pub clock: super::clock::Clock,
    /// The PDF fonts' fallback chains (see [`super::pdf::fonts`]).
    pub fonts: Arc<super::pdf::fonts::FontBook>,
    /// Wakes the sender of queued mail (see [`super::services::mail_queue`]).
    pub mail_queue: super::services::mail_queue::QueueSignal,
    /// Stripe's API, for card payments (see [`super::stripe`]).
    pub stripe: super::stripe::StripeApi,
}

/// Settings the application layer needs (the server owns the rest).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The origin users reach, without a trailing slash; links in mail start with it.
    pub public_url: String,
    pub sessions: SessionPolicy,
    pub mail_budgets: super::services::mail_budgets::MailBudgets,
    /// The instance's security contact: mailed every report of a
    /// suspicious document.
    pub security_contact: Option<String>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
