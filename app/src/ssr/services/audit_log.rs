//! Reading the audit log (writing and checking it is `audit`).

use crate::api::audit::{AuditEventView, AuditPage};
use crate::error::AppError;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{audit_event, user};
use crate::ssr::errors::internal;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use uuid::Uuid;

const PAGE_SIZE: u64 = 50;

pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    action: &str,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    let mut select = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(tenant.organization_id));
    // A member limited to some customers reads those customers' events only
    // (not the organization-wide ones: settings, team, catalogue).
    if tenant.customers.is_limited() {
        select = select.filter(tenant.customers.covers(audit_event::Column::CustomerId));
    }
    let action = action.trim();
    if !action.is_empty() {
        select = select.filter(audit_event::Column::Action.starts_with(action));
    }
    if let Some(before) = before {
        select = select.filter(audit_event::Column::Seq.lt(before));
    }
    let mut events = select
        .order_by_desc(audit_event::Column::Seq)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await
        .map_err(internal)?;
    let more = events.len() as u64 > PAGE_SIZE;
    events.truncate(PAGE_SIZE as usize);
    let names = actor_names(db, &events).await?;
    let next_before = more.then(|| events.last().map(|event| event.seq)).flatten();
    let events = events
        .into_iter()
        .map(|event| AuditEventView {
            actor: actor_label(&event, &names),
            seq: event.seq,
            at: event.occurred_at.unix_timestamp(),
            action: event.action,
            object_type: event.object_type,
            object_id: event.object_id,
            summary: event.summary,
            request_id: event.request_id,
            client_ip: event.client_ip,
        })
        .collect();
    Ok(AuditPage {
        events,
        next_before,
    })
}

/// The names of the users who acted in `events`.
pub async fn actor_names(
    db: &impl ConnectionTrait,
    events: &[audit_event::Model],
) -> Result<HashMap<Uuid, String>, AppError> {
    let user_ids: Vec<Uuid> = events.iter().filter_map(|event| event.actor_id).collect();
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Name)
        .filter(user::Column::Id.is_in(user_ids))
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .collect())
}

/// Who acted, as the log shows it: a user's name, or "customer"/"system".
pub fn actor_label(event: &audit_event::Model, names: &HashMap<Uuid, String>) -> String {
    match (event.actor_kind.as_str(), event.actor_id) {
        ("user", Some(id)) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "a former user".into()),
        (kind, _) => kind.to_owned(),
    }
}
