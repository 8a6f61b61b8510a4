//! Organization-wide security settings, for owners.

use crate::api::organization::OrganizationSecurity;
use crate::domain::{Role, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::Caller;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{membership, organization};
use crate::ssr::errors::internal;
use crate::ssr::services::second_factor;
use crate::ssr::services::security_log::{self, SecurityEvent};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use time::OffsetDateTime;

/// The caller's organization, if the caller owns it; otherwise `Forbidden`.
async fn owned(state: &AppState, caller: &Caller) -> Result<organization::Model, AppError> {
    let membership = membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .filter(membership::Column::OrganizationId.eq(caller.organization_id))
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::Forbidden)?;
    if Role::parse(&membership.role) != Some(Role::Owner) {
        return Err(AppError::Forbidden);
    }
    organization::Entity::find_by_id(caller.organization_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

pub async fn settings(state: &AppState, caller: &Caller) -> Result<OrganizationSecurity, AppError> {
    let organization = owned(state, caller).await?;
    Ok(OrganizationSecurity {
        name: organization.name,
        require_second_factor: organization.require_second_factor,
    })
}

/// Requires (or stops requiring) a second factor from every member. An owner
/// must use one before requiring it of others.
pub async fn set_second_factor_policy(
    state: &AppState,
    caller: &Caller,
    required: bool,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    caller.require_recent_confirmation(now)?;
    let organization = owned(state, caller).await?;
    if required && !second_factor::is_required(&state.db, caller.user_id).await? {
        return Err(AppError::Conflict(
            "Set up two-step verification for yourself first, on your Account page.".into(),
        ));
    }
    let txn = state.db.begin().await.map_err(internal)?;
    let mut active: organization::ActiveModel = organization.into();
    active.require_second_factor = Set(required);
    active.update(&txn).await.map_err(internal)?;
    security_log::record(
        &txn,
        SecurityEvent {
            kind: SecurityEventKind::SecondFactorPolicyChanged,
            succeeded: true,
            user_id: Some(caller.user_id),
            organization_id: Some(caller.organization_id),
            client,
            detail: Some(if required { "required" } else { "optional" }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}
