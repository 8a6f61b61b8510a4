//! A tower-sessions store over sea-orm, so sessions live in the application
//! database on SQLite and PostgreSQL alike.

use super::entities::{ended_session, session, user};
use super::errors::internal;
use crate::error::AppError;
use async_trait::async_trait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use uuid::Uuid;

use super::auth::{AUTH_KEY, SessionAuth};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Deletes sessions past their expiry, and the record of ended handles
    /// that no session row carries any more (an hour on: long past any
    /// request that could still write one); returns how many sessions went.
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, sea_orm::DbErr> {
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now.unix_timestamp()))
            .exec(&self.db)
            .await?;
        ended_session::Entity::delete_many()
            .filter(ended_session::Column::EndedAt.lt(now.unix_timestamp() - 3600))
            .filter(
                ended_session::Column::Handle.not_in_subquery(
                    Query::select()
                        .column(session::Column::Handle)
                        .from(session::Entity)
                        .and_where(session::Column::Handle.is_not_null())
                        .to_owned(),
                ),
            )
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

/// The key under which a session is stored: a hash of its id, so the table
/// never holds a usable cookie value.
pub fn storage_key(id: &Id) -> String {
    super::tokens::sha256_hex(&id.to_string())
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

/// The signed-in user, their organization and session generation, kept in
/// columns so that a user's sessions can be listed, checked and ended
/// without reading every row.
struct SignedIn {
    user_id: Option<Uuid>,
    organization_id: Option<Uuid>,
    generation: Option<i64>,
    handle: Option<Uuid>,
}

fn signed_in(record: &Record) -> SignedIn {
    let auth = record
        .data
        .get(AUTH_KEY)
        .and_then(|auth| serde_json::from_value::<SessionAuth>(auth.clone()).ok());
    SignedIn {
        user_id: auth.as_ref().map(|auth| auth.user_id),
        organization_id: auth.as_ref().map(|auth| auth.organization_id),
        generation: auth.as_ref().map(|auth| auth.generation),
        handle: auth.map(|auth| auth.handle),
    }
}

/// Rows of live sessions: not expired, and signed-in ones only under their
/// user's current session generation and not ended by their handle.
pub fn live(now: OffsetDateTime) -> Condition {
    Condition::all()
        .add(session::Column::ExpiresAt.gt(now.unix_timestamp()))
        .add(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(ended_session::Entity)
                    .and_where(
                        Expr::col((ended_session::Entity, ended_session::Column::UserId))
                            .equals((session::Entity, session::Column::UserId)),
                    )
                    .and_where(
                        Expr::col((ended_session::Entity, ended_session::Column::Handle))
                            .equals((session::Entity, session::Column::Handle)),
                    )
                    .to_owned(),
            )
            .not(),
        )
        .add(
            Condition::any().add(session::Column::UserId.is_null()).add(
                Expr::col((session::Entity, session::Column::Generation)).in_subquery(
                    Query::select()
                        .column((user::Entity, user::Column::SessionGeneration))
                        .from(user::Entity)
                        .and_where(
                            Expr::col((user::Entity, user::Column::Id))
                                .equals((session::Entity, session::Column::UserId)),
                        )
                        .to_owned(),
                ),
            ),
        )
}

/// Retires the session's row ahead of a new id (`Session::cycle_id`) and
/// says whether it was still live. A session ended meanwhile (by the user
/// on another device, or by a sign-out elsewhere) answers `false`, so its
/// last request in flight cannot bring it back under a new id.
///
/// The row is not deleted but expired at once: it no longer loads, yet it
/// still carries the session's handle until [`DbSessionStore::create`]
/// writes the new row at the end of the request (and removes it). Ending
/// the session by its handle in between therefore finds it, where a
/// deleted row made the sessions page answer "not found" for a session
/// that was being rotated (the end itself held either way: it is recorded
/// by handle).
pub async fn take_row(
    db: &DatabaseConnection,
    session: &tower_sessions::Session,
) -> Result<bool, AppError> {
    let Some(id) = session.id() else {
        return Ok(false);
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let retired = session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(0_i64))
        .filter(session::Column::Id.eq(storage_key(&id)))
        .filter(session::Column::ExpiresAt.gt(now))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(retired.rows_affected == 1)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // 128 random bits make a collision practically impossible; still,
        // never hand out an id that is already in use.
        while session::Entity::find_by_id(storage_key(&record.id))
            .one(&self.db)
            .await
            .map_err(backend)?
            .is_some()
        {
            record.id = Id::default();
        }
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let who = signed_in(record);
        // A row written under a generation that has meanwhile moved on is
        // dead on arrival: `load` only finds rows of the current one.
        session::ActiveModel {
            id: Set(storage_key(&record.id)),
            user_id: Set(who.user_id),
            organization_id: Set(who.organization_id),
            generation: Set(who.generation),
            handle: Set(who.handle),
            data: Set(data),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(record.expiry_date.unix_timestamp()),
        }
        .insert(&self.db)
        .await
        .map_err(backend)?;
        // The row this one replaces (`take_row`), if any, has served.
        if let (Some(user_id), Some(handle)) = (who.user_id, who.handle) {
            session::Entity::delete_many()
                .filter(session::Column::UserId.eq(user_id))
                .filter(session::Column::Handle.eq(handle))
                .filter(session::Column::Id.ne(storage_key(&record.id)))
                .filter(session::Column::ExpiresAt.lte(now))
                .exec(&self.db)
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // An insert only in `create`: saving never brings back a row that was
        // deleted (signed out, ended from the sessions page, ended by a
        // password change) while this request was in flight.
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let who = signed_in(record);
        session::Entity::update_many()
            .col_expr(session::Column::UserId, Expr::value(who.user_id))
            .col_expr(
                session::Column::OrganizationId,
                Expr::value(who.organization_id),
            )
            .col_expr(session::Column::Generation, Expr::value(who.generation))
            .col_expr(session::Column::Handle, Expr::value(who.handle))
            .col_expr(session::Column::Data, Expr::value(data))
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .col_expr(
                session::Column::ExpiresAt,
                Expr::value(record.expiry_date.unix_timestamp()),
            )
            .filter(session::Column::Id.eq(storage_key(&record.id)))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let Some(row) = session::Entity::find_by_id(storage_key(id))
            .filter(live(now))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        // `Session::cycle_id` deletes the old id at once; a row `take_row`
        // retired stays until `create` writes its successor (see there).
        session::Entity::delete_many()
            .filter(session::Column::Id.eq(storage_key(id)))
            .filter(session::Column::ExpiresAt.ne(0_i64))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
