//! Signing up, in and out; the password (change, forgotten, reset).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user, as the app shell shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
    pub organization_name: String,
    pub role: String,
    /// Permission names the member holds: the interface hides what they may
    /// not do (the server refuses it anyway).
    pub permissions: Vec<String>,
    pub limited_to_customers: bool,
    /// More than one lets the header offer a switch.
    pub organization_count: u64,
    /// The organization requires a second factor and this user has none yet:
    /// the app shell leads them to set one up.
    pub must_set_up_second_factor: bool,
    /// The address has been confirmed (the emailed link); until then every
    /// page says so and inviting is refused.
    pub email_confirmed: bool,
    /// `false` for a user who belongs to no organization (removed from their
    /// last one): the shell offers to create one, or to accept an invitation.
    pub has_organization: bool,
    /// The session's account tag (`crate::account_binding`): the tab that
    /// shows this viewer acts as this account only.
    #[serde(default)]
    pub account: String,
}

impl Viewer {
    pub fn can(&self, permission: crate::domain::Permission) -> bool {
        self.permissions
            .iter()
            .any(|name| name == permission.as_str())
    }
}

/// Creates a user, their organization and owner membership, then signs in.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    organization: String,
    // The browser's IANA zone, filled in by the page; without it, UTC.
    #[server(default)] time_zone: String,
) -> Result<(), AppError> {
    use crate::domain::{Email, OrganizationName, PersonName};
    use crate::ssr::calendar::OrgTimeZone;
    use crate::ssr::passwords::{self, OwnedPasswordContext};
    use crate::ssr::{auth, request::RequestContext, services::accounts};

    let request = RequestContext::capture()?;
    let result = async {
        let name = PersonName::parse(&name)?;
        let email = Email::parse(&email)?;
        let organization = OrganizationName::parse(&organization)?;
        let context = OwnedPasswordContext {
            email: email.as_str().to_owned(),
            organization: organization.as_str().to_owned(),
            name: name.as_str().to_owned(),
        };
        let password = passwords::parse_new(&password, context).await?;
        let input = accounts::SignUp {
            name,
            email,
            password,
            organization,
            time_zone: OrgTimeZone::from_browser(&time_zone),
        };
        let now = time::OffsetDateTime::now_utc();
        let signed_in = accounts::sign_up(&request.state, input, &request.client, now).await?;
        auth::begin(&request.session, signed_in).await?;
        request.redirect(crate::domain::next_path::DEFAULT_AFTER_SIGN_IN);
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Signs in with email and password, then goes to `next` (a local path) or
/// the dashboard.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Email, FieldError, NextPath};
    use crate::ssr::{auth, request::RequestContext, services::accounts};

    let request = RequestContext::capture()?;
    let result = async {
        let email = Email::parse(&email)?;
        if password.is_empty() {
            return Err(FieldError::new("password", "Enter your password.").into());
        }
        let now = time::OffsetDateTime::now_utc();
        let signed_in =
            accounts::sign_in(&request.state, &email, &password, &request.client, now).await?;
        let next = NextPath::parse_or_default(next.as_deref());
        if signed_in.needs_second_factor {
            auth::begin_pending(&request.session, signed_in.auth).await?;
            let verify = format!(
                "/sign-in/verify?next={}",
                crate::domain::next_path::encode(next.as_str())
            );
            request.redirect(&verify);
        } else {
            auth::begin(&request.session, signed_in.auth).await?;
            request.redirect(next.as_str());
        }
        Ok(())
    }
    .await;
    request.respond(result)
}

/// The second step of a sign-in: a code from the authenticator app, or a
/// recovery code. Five failures in a row lock the account (counted in the
/// database, see `services::guesses`) and the sign-in must start again.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/verify_second_factor")]
pub async fn verify_second_factor(
    code: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::NextPath;
    use crate::ssr::{auth, request::RequestContext, services::guesses, services::second_factor};

    let request = RequestContext::capture()?;
    let result = async {
        let now = time::OffsetDateTime::now_utc();
        let pending = auth::fresh_pending(&request.state, &request.session, now).await?;
        auth::refuse_if_locked(&request.state, &pending, &request.client, now).await?;
        let proof = second_factor::verify(
            &request.state,
            pending.auth.user_id,
            &code,
            &request.client,
            now,
        )
        .await?;
        if proof.is_none() {
            let logged = guesses::Logged {
                event: Some(crate::domain::SecurityEventKind::SecondFactorFailed),
                reason: None,
                client: &request.client,
            };
            auth::count_second_step_failure(&request.state, pending, logged, now).await?;
            return Err(AppError::Invalid {
                field: "code".into(),
                message:
                    "That code is not valid. Try the newest code from your app, or a recovery code."
                        .into(),
            });
        }
        auth::complete_second_step(
            &request.state,
            &request.session,
            pending,
            &request.client,
            now,
        )
        .await?;
        request.redirect(NextPath::parse_or_default(next.as_deref()).as_str());
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Ends the session on the server.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{auth, request::RequestContext, services::accounts};

    let request = RequestContext::capture()?;
    let result = async {
        if let Some(caller) = request.caller().await? {
            let now = time::OffsetDateTime::now_utc();
            accounts::sign_out(&request.state, &caller, &request.client, now).await?;
        }
        auth::end(&request.session).await?;
        request.redirect("/sign-in");
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Who is signed in, if anyone.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/me")]
pub async fn me() -> Result<Option<Viewer>, AppError> {
    use crate::ssr::{request::RequestContext, services::accounts};

    let request = RequestContext::capture()?;
    let result = async {
        let Some(caller) = request.caller().await? else {
            return Ok(None);
        };
        accounts::viewer(&request.state, &caller).await
    }
    .await;
    request.respond(result)
}

/// The password rule's verdict on a candidate, for the live meter: the same
/// `check_password` that sign-up, invitations, resets and changes apply, so
/// the browser never ships zxcvbn's dictionaries.
///
/// `email`, `name` and `organization` are what the form holds so far (the
/// rule refuses a password containing them); each is cut to its first 320
/// characters (an email is at most 254). The password and the details are
/// normalised to NFC as sign-up normalises them. Nothing is stored or
/// logged.
/// Limited per client address (`LEDGERLOCK_AUTH_RATE_PER_MINUTE` × 12 a
/// minute): a 429 leaves the meter waiting for the form's own answer.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/password_strength")]
pub async fn password_strength(
    password: String,
    #[server(default)] email: String,
    #[server(default)] name: String,
    #[server(default)] organization: String,
) -> Result<crate::domain::Strength, AppError> {
    use crate::ssr::passwords::{OwnedPasswordContext, strength};

    // No longer than sign-up accepts them (the policy normalises them).
    fn first_chars(value: &str) -> String {
        value.chars().take(320).collect()
    }
    let context = OwnedPasswordContext {
        email: first_chars(&email),
        name: first_chars(&name),
        organization: first_chars(&organization),
    };
    strength(password, context).await
}

/// Changes the password; every other session of the user ends.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::ssr::{auth, request::RequestContext, services::accounts};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        let generation = accounts::change_password(
            &request.state,
            &caller,
            &current_password,
            &new_password,
            &request.client,
            now,
        )
        .await?;
        // This session carries on under the new generation and a new id;
        // proving the current password is a fresh confirmation.
        auth::adopt_generation(&request.state.db, &caller.session, generation, Some(now)).await
    }
    .await;
    request.respond(result)
}

/// Emails a reset link if the address has an account. The answer is the
/// same either way.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::domain::Email;
    use crate::ssr::{request::RequestContext, services::password_reset};

    let request = RequestContext::capture()?;
    let result = async {
        let email = Email::parse(&email)?;
        let now = time::OffsetDateTime::now_utc();
        password_reset::request_later(&request.state, email, request.client.clone(), now);
        request.redirect("/forgot-password?sent=1");
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Confirms the account's email address with the token from the emailed
/// link. Needs no session: the token is the proof.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::email_confirmation};

    let request = RequestContext::capture()?;
    let result = async {
        let now = time::OffsetDateTime::now_utc();
        email_confirmation::confirm(&request.state, &token, &request.client, now).await
    }
    .await;
    request.respond(result)
}

/// Emails the confirmation link again to the signed-in user.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/resend_confirmation")]
pub async fn resend_confirmation() -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::email_confirmation};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        email_confirmation::resend(&request.state, caller.user_id, now).await
    }
    .await;
    request.respond(result)
}

/// Sets a new password with the token from a reset link.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::password_reset};

    let request = RequestContext::capture()?;
    let result = async {
        let now = time::OffsetDateTime::now_utc();
        password_reset::complete(&request.state, &token, &password, &request.client, now).await?;
        request.redirect("/sign-in?reset=1");
        Ok(())
    }
    .await;
    request.respond(result)
}
