//! The security log: sign-ins, failures, locks, resets, password and session
//! changes. Written in the same transaction as the change it records.

use crate::api::security::SecurityEventView;
use crate::domain::SecurityEventKind;
use crate::error::AppError;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{security_event, user};
use crate::ssr::errors::internal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct SecurityEvent<'a> {
    pub kind: SecurityEventKind,
    pub succeeded: bool,
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub client: &'a ClientInfo,
    /// Internal reason, for the log's readers only.
    pub detail: Option<&'a str>,
}

fn clip(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

pub async fn record(
    db: &impl ConnectionTrait,
    event: SecurityEvent<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    security_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        occurred_at: Set(now),
        user_id: Set(event.user_id),
        organization_id: Set(event.organization_id),
        kind: Set(event.kind.as_str().to_owned()),
        succeeded: Set(event.succeeded),
        ip: Set(event.client.ip_text()),
        user_agent: Set(event.client.user_agent.as_deref().map(|ua| clip(ua, 255))),
        detail: Set(event.detail.map(|detail| clip(detail, 255))),
    }
    .insert(db)
    .await
    .map_err(internal)?;
    Ok(())
}

/// Who can see what: a user sees their own events; an owner may look at the
/// whole organization's.
pub enum Scope {
    User(Uuid),
    Organization(Uuid),
}

pub async fn recent(
    db: &impl ConnectionTrait,
    scope: Scope,
    limit: u64,
) -> Result<Vec<SecurityEventView>, AppError> {
    let query = match scope {
        Scope::User(user_id) => {
            security_event::Entity::find().filter(security_event::Column::UserId.eq(user_id))
        }
        Scope::Organization(organization_id) => security_event::Entity::find()
            .filter(security_event::Column::OrganizationId.eq(organization_id)),
    };
    let rows = query
        // The id breaks ties, so the order is the same on every evaluation.
        .order_by_desc(security_event::Column::OccurredAt)
        .order_by_asc(security_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(internal)?;
    let user_ids: Vec<Uuid> = rows.iter().filter_map(|row| row.user_id).collect();
    let names: HashMap<Uuid, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|account| (account.id, account.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| SecurityEventView {
            who: row.user_id.and_then(|id| names.get(&id).cloned()),
            occurred_at: row.occurred_at.unix_timestamp(),
            what: SecurityEventKind::parse(&row.kind)
                .map_or_else(|| row.kind.clone(), |kind| kind.label().to_owned()),
            succeeded: row.succeeded,
            ip: row.ip.unwrap_or_default(),
            device: crate::domain::user_agent::describe(
                row.user_agent.as_deref().unwrap_or_default(),
            ),
        })
        .collect())
}
