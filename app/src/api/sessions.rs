//! The signed-in user's sessions.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// An opaque handle: random, set at sign-in, unchanged when the session's
    /// id changes (never the id or anything derived from it).
    pub id: String,
    pub device: String,
    pub ip: String,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
    pub is_current: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "sessions/list")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::ssr::{request::RequestContext, services::sessions};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        sessions::list(&request.state, &caller, time::OffsetDateTime::now_utc()).await
    }
    .await;
    request.respond(result)
}

/// Signs out one of the caller's sessions, wherever it is.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "sessions/end")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::sessions};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        sessions::end_one(&request.state, &caller, &id, &request.client, now).await
    }
    .await;
    request.respond(result)
}

/// Signs out every session of the caller except this one (which carries on
/// under a new id).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "sessions/end_others")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::{auth, request::RequestContext, services::sessions};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        let (ended, generation) =
            sessions::end_others(&request.state, &caller, &request.client, now).await?;
        auth::adopt_generation(&request.state.db, &request.session, generation, None).await?;
        Ok(ended)
    }
    .await;
    request.respond(result)
}
