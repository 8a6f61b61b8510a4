//! A tower-sessions store over sea-orm, so sessions live in the application
//! database on SQLite and PostgreSQL alike.

use super::entities::session;
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
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

    /// Deletes sessions past their expiry; returns how many went.
    pub async fn purge_expired(&self, now: OffsetDateTime) -> Result<u64, sea_orm::DbErr> {
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now.unix_timestamp()))
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

/// The signed-in user and their organization, kept in columns so that a
/// user's sessions can be listed and ended without reading every row.
fn signed_in(record: &Record) -> (Option<Uuid>, Option<Uuid>) {
    record
        .data
        .get(AUTH_KEY)
        .and_then(|auth| serde_json::from_value::<SessionAuth>(auth.clone()).ok())
        .map_or((None, None), |auth| {
            (Some(auth.user_id), Some(auth.organization_id))
        })
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
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let (user_id, organization_id) = signed_in(record);
        let row = session::ActiveModel {
            id: Set(storage_key(&record.id)),
            user_id: Set(user_id),
            organization_id: Set(organization_id),
            data: Set(data),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(record.expiry_date.unix_timestamp()),
        };
        session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([
                        session::Column::UserId,
                        session::Column::OrganizationId,
                        session::Column::Data,
                        session::Column::LastSeenAt,
                        session::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(row) = session::Entity::find_by_id(storage_key(id))
            .filter(session::Column::ExpiresAt.gt(now))
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
        session::Entity::delete_by_id(storage_key(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
