//! Two-step verification: the authenticator app and recovery codes, and the
//! step-up confirmation that sensitive actions ask for.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoStepStatus {
    /// Unix seconds since the authenticator app has been on, if it is.
    pub totp_since: Option<i64>,
    pub recovery_codes_left: u64,
    pub passkeys: u64,
}

/// What the user needs to add Ledgerlock to an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpEnrolment {
    /// Base32, for typing in by hand.
    pub secret: String,
    pub otpauth_url: String,
    /// The same URL as a QR code, drawn on the server.
    pub qr_svg: String,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "second_factor/status")]
pub async fn second_factor_status() -> Result<TwoStepStatus, AppError> {
    use crate::ssr::{request::RequestContext, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        second_factor::status(&request.state, &caller).await
    }
    .await;
    request.respond(result)
}

/// Starts setting up an authenticator app, replacing an unfinished attempt
/// (a recent confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "second_factor/totp/start")]
pub async fn start_totp() -> Result<TotpEnrolment, AppError> {
    use crate::ssr::{errors::internal, request::RequestContext, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        caller.require_recent_confirmation(now)?;
        let (shown, enrolment) = second_factor::start_totp(&request.state, &caller, now).await?;
        request
            .session
            .insert(second_factor::TOTP_ENROLMENT_KEY, enrolment)
            .await
            .map_err(internal)?;
        Ok(shown)
    }
    .await;
    request.respond(result)
}

/// Finishes the setup with a code from the app; answers the new recovery
/// codes, shown this once.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "second_factor/totp/confirm")]
pub async fn confirm_totp(code: String) -> Result<Vec<String>, AppError> {
    use crate::ssr::{errors::internal, request::RequestContext, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        let enrolment = request
            .session
            .get::<second_factor::Enrolment>(second_factor::TOTP_ENROLMENT_KEY)
            .await
            .map_err(internal)?;
        let codes = second_factor::confirm_totp(
            &request.state,
            &caller,
            enrolment,
            &code,
            &request.client,
            now,
        )
        .await?;
        request
            .session
            .remove_value(second_factor::TOTP_ENROLMENT_KEY)
            .await
            .map_err(internal)?;
        Ok(codes)
    }
    .await;
    request.respond(result)
}

/// Removes the authenticator app (a recent confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "second_factor/totp/remove")]
pub async fn remove_totp() -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        caller.require_recent_confirmation(now)?;
        second_factor::remove_totp(&request.state, &caller, &request.client, now).await
    }
    .await;
    request.respond(result)
}

/// A new set of recovery codes (the old one stops working; a recent
/// confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "second_factor/recovery_codes/regenerate")]
pub async fn regenerate_recovery_codes() -> Result<Vec<String>, AppError> {
    use crate::ssr::{request::RequestContext, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        caller.require_recent_confirmation(now)?;
        second_factor::regenerate_recovery_codes(&request.state, &caller, &request.client, now)
            .await
    }
    .await;
    request.respond(result)
}

/// Step-up: proves it is still the user (password, or a code from the
/// authenticator app or a recovery code), for the next 10 minutes.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/confirm_identity")]
pub async fn confirm_identity(
    #[server(default)] password: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use crate::ssr::{auth, request::RequestContext, services::identity};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        identity::confirm_identity(
            &request.state,
            &caller,
            &password,
            &code,
            &request.client,
            now,
        )
        .await?;
        auth::mark_confirmed(&request.state.db, &request.session, now).await
    }
    .await;
    request.respond(result)
}
