//! The figures on the dashboard.

use crate::api::dashboard::DashboardFigures;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::Caller;
use crate::ssr::entities::{membership, organization};
use crate::ssr::errors::internal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

pub async fn summary(state: &AppState, caller: &Caller) -> Result<DashboardFigures, AppError> {
    // Scoped to the caller's organization: the only one this query can see.
    let organization = organization::Entity::find_by_id(caller.organization_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let member_count = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(caller.organization_id))
        .count(&state.db)
        .await
        .map_err(internal)?;
    Ok(DashboardFigures {
        organization_name: organization.name,
        organization_created_at: organization.created_at.unix_timestamp(),
        member_count,
        session_started_at: caller.signed_in_at.unix_timestamp(),
    })
}
