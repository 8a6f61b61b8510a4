//! Passkeys (WebAuthn): register and manage them, and use one to sign in
//! (with or without a password first) or to confirm a sensitive action.
//!
//! Every ceremony is two calls: `…/start` answers the options for the
//! browser's `navigator.credentials` call and keeps the matching state in the
//! server-side session; `…/finish` takes that state out (so it serves once)
//! and verifies the browser's answer against it.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use webauthn_rs_proto::{
    CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse,
};

/// One of the user's passkeys, as the Account page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: Uuid,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Synced to the provider's cloud (iCloud Keychain, Google Password
    /// Manager…) rather than bound to one device.
    pub backed_up: bool,
}

/// What a passkey is being asked to prove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasskeyPurpose {
    /// Sign in without a password: the passkey names the account.
    SignIn,
    /// The second step of a sign-in whose password was right.
    SecondFactor,
    /// Step-up: the signed-in user confirms it is them.
    Confirm,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "passkeys/list")]
pub async fn list_passkeys() -> Result<Vec<PasskeySummary>, AppError> {
    use crate::ssr::{request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        passkeys::list(&request.state.db, caller.user_id).await
    }
    .await;
    request.respond(result)
}

/// Starts adding a passkey (a recent confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "passkeys/register/start", input = Json)]
pub async fn start_passkey_registration() -> Result<CreationChallengeResponse, AppError> {
    use crate::ssr::{errors::internal, request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        caller.require_recent_confirmation(now)?;
        let (options, ceremony) =
            passkeys::start_registration(&request.state, &caller, now).await?;
        request
            .session
            .insert(passkeys::REGISTRATION_KEY, ceremony)
            .await
            .map_err(internal)?;
        Ok(options)
    }
    .await;
    request.respond(result)
}

/// Finishes adding a passkey with the browser's answer; answers new
/// recovery codes (shown this once) if the user had none.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "passkeys/register/finish", input = Json)]
pub async fn finish_passkey_registration(
    name: String,
    credential: RegisterPublicKeyCredential,
) -> Result<Vec<String>, AppError> {
    use crate::domain::PasskeyName;
    use crate::ssr::{errors::internal, request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let name = PasskeyName::parse(&name)?;
        let ceremony = request
            .session
            .remove::<passkeys::Registration>(passkeys::REGISTRATION_KEY)
            .await
            .map_err(internal)?
            .filter(|ceremony| ceremony.user_id() == caller.user_id)
            .ok_or_else(passkeys::ceremony_expired)?;
        let now = time::OffsetDateTime::now_utc();
        passkeys::finish_registration(
            &request.state,
            &caller,
            &name,
            &credential,
            ceremony,
            &request.client,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "passkeys/rename")]
pub async fn rename_passkey(id: Uuid, name: String) -> Result<(), AppError> {
    use crate::domain::PasskeyName;
    use crate::ssr::{request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let name = PasskeyName::parse(&name)?;
        passkeys::rename(&request.state.db, &caller, id, &name).await
    }
    .await;
    request.respond(result)
}

/// Removes a passkey (a recent confirmation is needed).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "passkeys/remove")]
pub async fn remove_passkey(id: Uuid) -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        caller.require_recent_confirmation(now)?;
        passkeys::remove(&request.state, &caller, id, &request.client, now).await
    }
    .await;
    request.respond(result)
}

/// Starts a passkey check for `purpose`.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/passkey/start", input = Json)]
pub async fn start_passkey_check(
    purpose: PasskeyPurpose,
) -> Result<RequestChallengeResponse, AppError> {
    use crate::ssr::{auth, errors::internal, request::RequestContext, services::passkeys};

    let request = RequestContext::capture()?;
    let result = async {
        let now = time::OffsetDateTime::now_utc();
        // Whose passkey it must be; nobody's in particular for a sign-in.
        let user_id = match purpose {
            PasskeyPurpose::SignIn => None,
            PasskeyPurpose::SecondFactor => {
                let pending = auth::fresh_pending(&request.state, &request.session, now).await?;
                auth::refuse_if_locked(&request.state, &pending, &request.client, now).await?;
                Some(pending.auth.user_id)
            }
            PasskeyPurpose::Confirm => Some(request.require_signed_in().await?.user_id),
        };
        let (options, ceremony) =
            passkeys::start_authentication(&request.state, purpose, user_id, now).await?;
        request
            .session
            .insert(passkeys::AUTHENTICATION_KEY, ceremony)
            .await
            .map_err(internal)?;
        Ok(options)
    }
    .await;
    request.respond(result)
}

/// Finishes a passkey check with the browser's answer. A sign-in then goes
/// to `next` (a local path) or the dashboard.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/passkey/finish", input = Json)]
pub async fn finish_passkey_check(
    credential: PublicKeyCredential,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::NextPath;
    use crate::ssr::{
        auth, errors::internal, request::RequestContext, services::accounts, services::guesses,
        services::passkeys,
    };

    let request = RequestContext::capture()?;
    let result = async {
        let now = time::OffsetDateTime::now_utc();
        let ceremony = request
            .session
            .remove::<passkeys::Authentication>(passkeys::AUTHENTICATION_KEY)
            .await
            .map_err(internal)?
            .ok_or_else(passkeys::ceremony_expired)?;
        let purpose = ceremony.purpose();
        let expected = ceremony.expected_user();
        let checked = passkeys::finish_authentication(
            &request.state,
            &credential,
            ceremony,
            &request.client,
            now,
        )
        .await;
        let next = NextPath::parse_or_default(next.as_deref());
        match purpose {
            PasskeyPurpose::SignIn => {
                let auth =
                    accounts::passkey_sign_in(&request.state, checked?, &request.client, now)
                        .await?;
                auth::begin(&request.session, auth).await?;
                request.redirect(next.as_str());
            }
            PasskeyPurpose::SecondFactor => {
                let pending = auth::fresh_pending(&request.state, &request.session, now).await?;
                // The passkey must be the pending user's, and the challenge
                // one that was started for them.
                let answered = checked.and_then(|user_id| {
                    if user_id == pending.auth.user_id && expected == Some(user_id) {
                        Ok(user_id)
                    } else {
                        Err(passkeys::not_this_account())
                    }
                });
                if let Err(error) = answered {
                    let logged = guesses::Logged {
                        event: None,
                        reason: None,
                        client: &request.client,
                    };
                    auth::count_second_step_failure(&request.state, pending, logged, now).await?;
                    return Err(error);
                }
                auth::complete_second_step(
                    &request.state,
                    &request.session,
                    pending,
                    &request.client,
                    now,
                )
                .await?;
                request.redirect(next.as_str());
            }
            PasskeyPurpose::Confirm => {
                let caller = request.require_signed_in().await?;
                let user_id = checked?;
                if user_id != caller.user_id || expected != Some(user_id) {
                    return Err(passkeys::not_this_account());
                }
                auth::mark_confirmed(&request.state.db, &request.session, now).await?;
            }
        }
        Ok(())
    }
    .await;
    request.respond(result)
}
