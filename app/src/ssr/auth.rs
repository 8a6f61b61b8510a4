//! Who is calling: the signed-in user kept in the server-side session.

use super::errors::internal;
use crate::error::AppError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

/// The session key under which [`SessionAuth`] is stored.
pub const AUTH_KEY: &str = "auth";

/// What a signed-in session remembers. Only ids and times: names, roles and
/// permissions are read fresh from the database on every request, so a
/// change takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    /// Unix seconds.
    pub signed_in_at: i64,
}

/// The signed-in caller of a server function.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub signed_in_at: OffsetDateTime,
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal(anyhow::anyhow!("session layer missing: {e:?}")))
}

pub async fn signed_in(session: &Session) -> Result<Option<SessionAuth>, AppError> {
    session.get::<SessionAuth>(AUTH_KEY).await.map_err(internal)
}

/// The caller, if signed in.
pub async fn caller() -> Result<Option<Caller>, AppError> {
    let session = session().await?;
    let Some(auth) = signed_in(&session).await? else {
        return Ok(None);
    };
    let signed_in_at = OffsetDateTime::from_unix_timestamp(auth.signed_in_at).map_err(internal)?;
    Ok(Some(Caller {
        user_id: auth.user_id,
        organization_id: auth.organization_id,
        signed_in_at,
    }))
}

/// The caller, or `Unauthenticated`.
pub async fn require_caller() -> Result<Caller, AppError> {
    caller().await?.ok_or(AppError::Unauthenticated)
}

/// Marks the session as signed in, under a fresh id so that an id planted
/// before sign-in (session fixation) is worthless afterwards.
pub async fn begin(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session.insert(AUTH_KEY, auth).await.map_err(internal)
}

/// Deletes the session on the server and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}
