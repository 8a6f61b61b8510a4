//! The organizations a user belongs to, and moving a session between them.

use crate::api::organization::OrganizationChoice;
use crate::domain::{OrganizationName, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::access::role_of;
use crate::ssr::auth::Caller;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{membership, organization};
use crate::ssr::errors::internal;
use crate::ssr::services::security_log::{self, SecurityEvent};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use time::OffsetDateTime;
use uuid::Uuid;

pub async fn of_user(
    db: &impl ConnectionTrait,
    caller: &Caller,
) -> Result<Vec<OrganizationChoice>, AppError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .find_also_related(organization::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await
        .map_err(internal)?;
    let mut choices = Vec::with_capacity(rows.len());
    for (row, organization) in rows {
        let Some(organization) = organization else {
            continue;
        };
        let (role, _) = role_of(db, &row).await?;
        choices.push(OrganizationChoice {
            id: organization.id,
            name: organization.name,
            role_label: role.label(),
            current: organization.id == caller.organization_id,
        });
    }
    Ok(choices)
}

/// Creates an organization owned by the caller (who may belong to none: a
/// user removed from their last one starts again here). Answers its id; the
/// caller's session then works in it.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    name: &OrganizationName,
    time_zone: &crate::ssr::calendar::OrgTimeZone,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let organization_id = crate::ssr::services::accounts::found_organization(
        &txn,
        caller.user_id,
        name,
        time_zone,
        now,
    )
    .await?;
    security_log::record(
        &txn,
        SecurityEvent {
            kind: SecurityEventKind::OrganizationCreated,
            succeeded: true,
            user_id: Some(caller.user_id),
            organization_id: Some(organization_id),
            client,
            detail: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(organization_id)
}

/// `NotFound` unless the user belongs to `organization_id`; logs the switch.
pub async fn check_switch(
    db: &impl ConnectionTrait,
    caller: &Caller,
    organization_id: Uuid,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    security_log::record(
        db,
        SecurityEvent {
            kind: SecurityEventKind::OrganizationSwitched,
            succeeded: true,
            user_id: Some(caller.user_id),
            organization_id: Some(organization_id),
            client,
            detail: None,
        },
        now,
    )
    .await
}
