//! A user's signed-in sessions: listing them and ending them remotely.

use crate::api::sessions::SessionView;
use crate::domain::SecurityEventKind;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::{AUTH_KEY, Caller, SessionAuth};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{ended_session, session, user};
use crate::ssr::errors::internal;
use crate::ssr::services::security_log::{self, SecurityEvent};
use crate::ssr::session_store::{self, storage_key};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

fn current_key(caller: &Caller) -> Option<String> {
    caller.session.id().map(|id| storage_key(&id))
}

/// What the sessions page calls a session: its handle, which stays the same
/// when its id changes (a row from before handles existed: its storage key).
fn handle_of(row: &session::Model) -> String {
    row.handle
        .map_or_else(|| row.id.clone(), |handle| handle.to_string())
}

/// The caller's live sessions, most recently used first.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    now: OffsetDateTime,
) -> Result<Vec<SessionView>, AppError> {
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(caller.user_id))
        .filter(session_store::live(now))
        // Ties are common (two sign-ins in one second): the id makes the
        // order total, so every evaluation, including the server render and
        // the data the page hydrates from, lists the rows alike.
        .order_by_desc(session::Column::LastSeenAt)
        .order_by_asc(session::Column::Id)
        .all(&state.db)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let data: HashMap<String, Value> = serde_json::from_str(&row.data).ok()?;
            let auth: SessionAuth = serde_json::from_value(data.get(AUTH_KEY)?.clone()).ok()?;
            // Sessions past their absolute lifetime are dead even if their
            // row has not been purged yet.
            state
                .settings
                .sessions
                .allows(
                    OffsetDateTime::from_unix_timestamp(auth.signed_in_at).ok()?,
                    OffsetDateTime::from_unix_timestamp(auth.last_seen_at).ok()?,
                    now,
                )
                .then(|| SessionView {
                    is_current: row.handle == Some(caller.handle),
                    id: handle_of(&row),
                    device: crate::domain::user_agent::describe(
                        auth.user_agent.as_deref().unwrap_or_default(),
                    ),
                    ip: auth.ip.unwrap_or_default(),
                    signed_in_at: auth.signed_in_at,
                    last_seen_at: auth.last_seen_at,
                })
        })
        .collect())
}

/// Ends one of the caller's own sessions by its handle (see
/// [`SessionView::id`]). The end is recorded before the rows go, so a
/// request of that session in flight that gives it a new id writes a row
/// that never loads: a stolen session cannot dodge the end by rotating its
/// id. Another user's session behaves exactly like one that does not exist.
pub async fn end_one(
    state: &AppState,
    caller: &Caller,
    id: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let deleted = match Uuid::parse_str(id) {
        Ok(handle) => {
            ended_session::Entity::insert(ended_session::ActiveModel {
                user_id: Set(caller.user_id),
                handle: Set(handle),
                ended_at: Set(now.unix_timestamp()),
            })
            .on_conflict_do_nothing_on([
                ended_session::Column::UserId,
                ended_session::Column::Handle,
            ])
            .exec_without_returning(&txn)
            .await
            .map_err(internal)?;
            session::Entity::delete_many()
                .filter(session::Column::Handle.eq(handle))
                .filter(session::Column::UserId.eq(caller.user_id))
                .exec(&txn)
                .await
                .map_err(internal)?
        }
        // A session from before handles existed: named by its storage key.
        Err(_) => session::Entity::delete_many()
            .filter(session::Column::Id.eq(id))
            .filter(session::Column::UserId.eq(caller.user_id))
            .exec(&txn)
            .await
            .map_err(internal)?,
    };
    txn.commit().await.map_err(internal)?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    record_revocation(state, caller, client, "one session", now).await
}

/// Ends every session of the caller but the one making the request, by a
/// new session generation: a request of another session still in flight
/// cannot bring it back. Answers how many ended and the new generation,
/// which the caller's own session then adopts (`auth::adopt_generation`).
pub async fn end_others(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(u64, i64), AppError> {
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let ended = end_generation(&txn, caller.user_id, current_key(caller).as_deref()).await?;
    txn.commit().await.map_err(internal)?;
    record_revocation(state, caller, client, "all other sessions", now).await?;
    Ok(ended)
}

/// Within `txn`: moves the user to a new session generation, which ends
/// every session and pending sign-in of the old one, and deletes the ended
/// rows except `keep` (a storage key). Answers how many rows went and the
/// new generation.
pub async fn end_generation(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    keep: Option<&str>,
) -> Result<(u64, i64), AppError> {
    user::Entity::update_many()
        .col_expr(
            user::Column::SessionGeneration,
            Expr::col(user::Column::SessionGeneration).add(1),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(txn)
        .await
        .map_err(internal)?;
    let generation = user::Entity::find_by_id(user_id)
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::Unauthenticated)?
        .session_generation;
    let ended = end_all_for_user(txn, user_id, keep).await?;
    Ok((ended, generation))
}

/// Deletes a user's sessions, except `keep` (a storage key) if given.
pub async fn end_all_for_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await.map_err(internal)?.rows_affected)
}

async fn record_revocation(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    detail: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    security_log::record(
        &state.db,
        SecurityEvent {
            kind: SecurityEventKind::SessionRevoked,
            succeeded: true,
            user_id: Some(caller.user_id),
            organization_id: Some(caller.organization_id),
            client,
            detail: Some(detail),
        },
        now,
    )
    .await
}
