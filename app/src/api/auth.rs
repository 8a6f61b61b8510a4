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
    pub is_owner: bool,
}

/// Creates a user, their organization and owner membership, then signs in.
#[server(prefix = "/api", endpoint = "auth/sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    organization: String,
) -> Result<(), AppError> {
    use crate::domain::{Email, NewPassword, OrganizationName, PasswordContext, PersonName};
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::accounts, state::app_state,
    };

    respond(
        async {
            let name = PersonName::parse(&name)?;
            let email = Email::parse(&email)?;
            let organization = OrganizationName::parse(&organization)?;
            let password = NewPassword::parse(
                &password,
                PasswordContext {
                    email: email.as_str(),
                    organization: organization.as_str(),
                    name: name.as_str(),
                },
            )?;
            let input = accounts::SignUp {
                name,
                email,
                password,
                organization,
            };
            let state = app_state()?;
            let now = time::OffsetDateTime::now_utc();
            let signed_in = accounts::sign_up(&state, input, &current_client(), now).await?;
            auth::begin(&auth::session().await?, signed_in).await?;
            leptos_axum::redirect(crate::domain::next_path::DEFAULT_AFTER_SIGN_IN);
            Ok(())
        }
        .await,
    )
}

/// Signs in with email and password, then goes to `next` (a local path) or
/// the dashboard.
#[server(prefix = "/api", endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::{Email, FieldError, NextPath};
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::accounts, state::app_state,
    };

    respond(
        async {
            let email = Email::parse(&email)?;
            if password.is_empty() {
                return Err(FieldError::new("password", "Enter your password.").into());
            }
            let state = app_state()?;
            let now = time::OffsetDateTime::now_utc();
            let signed_in =
                accounts::sign_in(&state, &email, &password, &current_client(), now).await?;
            auth::begin(&auth::session().await?, signed_in).await?;
            leptos_axum::redirect(NextPath::parse_or_default(next.as_deref()).as_str());
            Ok(())
        }
        .await,
    )
}

/// Ends the session on the server.
#[server(prefix = "/api", endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::accounts, state::app_state,
    };

    respond(
        async {
            if let Some(caller) = auth::caller().await? {
                let now = time::OffsetDateTime::now_utc();
                accounts::sign_out(&app_state()?, &caller, &current_client(), now).await?;
            }
            auth::end(&auth::session().await?).await?;
            leptos_axum::redirect("/sign-in");
            Ok(())
        }
        .await,
    )
}

/// Who is signed in, if anyone.
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn me() -> Result<Option<Viewer>, AppError> {
    use crate::ssr::{auth, errors::respond, services::accounts, state::app_state};

    respond(
        async {
            let Some(caller) = auth::caller().await? else {
                return Ok(None);
            };
            accounts::viewer(&app_state()?, &caller).await
        }
        .await,
    )
}

/// Changes the password; every other session of the user ends.
#[server(prefix = "/api", endpoint = "auth/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::accounts, state::app_state,
    };

    respond(
        async {
            let caller = auth::require_caller().await?;
            let now = time::OffsetDateTime::now_utc();
            accounts::change_password(
                &app_state()?,
                &caller,
                &current_password,
                &new_password,
                &current_client(),
                now,
            )
            .await?;
            // A privilege-relevant change: the session gets a new id too.
            caller
                .session
                .cycle_id()
                .await
                .map_err(crate::ssr::errors::internal)?;
            Ok(())
        }
        .await,
    )
}

/// Emails a reset link if the address has an account. The answer is the
/// same either way.
#[server(prefix = "/api", endpoint = "auth/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::domain::Email;
    use crate::ssr::{
        client::current_client, errors::respond, services::password_reset, state::app_state,
    };

    respond(
        async {
            let email = Email::parse(&email)?;
            let now = time::OffsetDateTime::now_utc();
            password_reset::request(&app_state()?, &email, &current_client(), now).await?;
            leptos_axum::redirect("/forgot-password?sent=1");
            Ok(())
        }
        .await,
    )
}

/// Sets a new password with the token from a reset link.
#[server(prefix = "/api", endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::ssr::{
        client::current_client, errors::respond, services::password_reset, state::app_state,
    };

    respond(
        async {
            let now = time::OffsetDateTime::now_utc();
            password_reset::complete(&app_state()?, &token, &password, &current_client(), now)
                .await?;
            leptos_axum::redirect("/sign-in?reset=1");
            Ok(())
        }
        .await,
    )
}
