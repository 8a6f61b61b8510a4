//! The signed-in user's sessions.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// An opaque handle (a hash of the session id, never the id itself).
    pub id: String,
    pub device: String,
    pub ip: String,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
    pub is_current: bool,
}

#[server(prefix = "/api", endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::ssr::{auth, errors::respond, services::sessions, state::app_state};

    respond(
        async {
            let caller = auth::require_caller().await?;
            sessions::list(&app_state()?, &caller, time::OffsetDateTime::now_utc()).await
        }
        .await,
    )
}

/// Signs out one of the caller's sessions, wherever it is.
#[server(prefix = "/api", endpoint = "sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::sessions, state::app_state,
    };

    respond(
        async {
            let caller = auth::require_caller().await?;
            let now = time::OffsetDateTime::now_utc();
            sessions::end_one(&app_state()?, &caller, &id, &current_client(), now).await
        }
        .await,
    )
}

/// Signs out every session of the caller except this one.
#[server(prefix = "/api", endpoint = "sessions/end_others")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::{
        auth, client::current_client, errors::respond, services::sessions, state::app_state,
    };

    respond(
        async {
            let caller = auth::require_caller().await?;
            let now = time::OffsetDateTime::now_utc();
            sessions::end_others(&app_state()?, &caller, &current_client(), now).await
        }
        .await,
    )
}
