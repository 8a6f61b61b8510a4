//! Signing up, in and out.

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
}

/// Creates a user, their organization and owner membership, then signs in.
#[server(prefix = "/api", endpoint = "auth/sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    organization: String,
) -> Result<(), AppError> {
    use crate::domain::{Email, NewPassword, OrganizationName, PersonName};
    use crate::ssr::{auth, errors::respond, services::accounts, state::app_state};

    respond(
        async {
            let input = accounts::SignUp {
                name: PersonName::parse(&name)?,
                email: Email::parse(&email)?,
                password: NewPassword::parse(&password)?,
                organization: OrganizationName::parse(&organization)?,
            };
            let state = app_state()?;
            let signed_in =
                accounts::sign_up(&state, input, time::OffsetDateTime::now_utc()).await?;
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
    use crate::ssr::{auth, errors::respond, services::accounts, state::app_state};

    respond(
        async {
            let email = Email::parse(&email)?;
            if password.is_empty() {
                return Err(FieldError::new("password", "Enter your password.").into());
            }
            let state = app_state()?;
            let signed_in =
                accounts::sign_in(&state, &email, &password, time::OffsetDateTime::now_utc())
                    .await?;
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
    use crate::ssr::{auth, errors::respond};

    respond(
        async {
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
