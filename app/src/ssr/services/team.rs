//! Members of an organization: their roles, customer limits and removal.
//! Every change takes the organization's lock (so "at least one owner" holds
//! under concurrency) and goes to the security log and the audit log in the
//! same transaction.

use crate::api::team::{CustomerLimit, CustomerRef, MemberView, RoleView, Team};
use crate::domain::role::{Grant, Managed, Manager, TeamRefusal, check_team_change};
use crate::domain::{FieldError, Permissions, Role, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::access::{Member, MemberRole, role_of};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{customer, membership, membership_customer, session, user};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::security_log::{self, SecurityEvent};
use crate::ssr::services::{invitations, roles};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The member making a change, as the domain rules see them.
pub(crate) fn manager(member: &Member) -> Manager {
    Manager {
        is_owner: member.is_owner(),
        permissions: member.permissions,
    }
}

pub(crate) fn refused(refusal: TeamRefusal) -> AppError {
    match refusal {
        TeamRefusal::OwnMembership | TeamRefusal::OwnerCannotBeLimited => {
            AppError::Conflict(refusal.message().into())
        }
        TeamRefusal::OwnersOnly | TeamRefusal::BeyondOwnPermissions => AppError::Forbidden,
    }
}

/// A role as chosen in a form: a built-in role's name or a custom role's id.
pub(crate) struct RoleChoice {
    /// What `memberships.role` stores.
    pub stored: &'static str,
    pub custom_role_id: Option<Uuid>,
    pub label: String,
    pub grant: Grant,
}

pub(crate) async fn role_choice(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
) -> Result<RoleChoice, AppError> {
    if let Some(role) = Role::parse(key) {
        return Ok(RoleChoice {
            stored: role.as_str(),
            custom_role_id: None,
            label: role.label().to_owned(),
            grant: Grant {
                owner: role == Role::Owner,
                permissions: role.permissions(),
            },
        });
    }
    let custom = match key.parse::<Uuid>() {
        Ok(id) => roles::find(db, organization_id, id).await.ok(),
        Err(_) => None,
    };
    let custom = custom.ok_or_else(|| FieldError::new("role", "Choose a role."))?;
    Ok(RoleChoice {
        stored: roles::CUSTOM,
        custom_role_id: Some(custom.id),
        label: custom.name,
        grant: Grant {
            owner: false,
            permissions: Permissions::from_stored(&custom.permissions),
        },
    })
}

/// The listed customers, checked to be the organization's.
pub(crate) async fn checked_customers(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    limit: &CustomerLimit,
) -> Result<Vec<Uuid>, AppError> {
    if !limit.limited {
        return Ok(Vec::new());
    }
    let mut ids = limit.customer_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 1000 {
        return Err(FieldError::new("customers", "List at most 1000 customers.").into());
    }
    let found = customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .filter(customer::Column::Id.is_in(ids.clone()))
        .count(db)
        .await
        .map_err(internal)?;
    if found != ids.len() as u64 {
        return Err(FieldError::new("customers", "Choose customers of this organization.").into());
    }
    Ok(ids)
}

/// The organization's memberships with their accounts, oldest first.
pub(crate) async fn members(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<(membership::Model, user::Model)>, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .filter_map(|(row, account)| Some((row, account?)))
        .collect())
}

pub async fn overview(db: &DatabaseConnection, member: &Member) -> Result<Team, AppError> {
    let organization_id = member.caller.organization_id;
    let rows = members(db, organization_id).await?;
    let listed: Vec<(Uuid, Uuid, String)> = membership_customer::Entity::find()
        .select_only()
        .column(membership_customer::Column::MembershipId)
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .inner_join(customer::Entity)
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .order_by_asc(customer::Column::NameLookup)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let mut customers_of: HashMap<Uuid, Vec<CustomerRef>> = HashMap::new();
    for (membership_id, id, name) in listed {
        customers_of
            .entry(membership_id)
            .or_default()
            .push(CustomerRef { id, name });
    }
    let mut members = Vec::with_capacity(rows.len());
    for (row, account) in rows {
        let (role, _) = role_of(db, &row).await?;
        members.push(MemberView {
            membership_id: row.id,
            name: account.name,
            email: account.email,
            role: match &role {
                MemberRole::BuiltIn(role) => role.as_str().to_owned(),
                MemberRole::Custom { id, .. } => id.to_string(),
            },
            role_label: role.label(),
            is_owner: role == MemberRole::BuiltIn(Role::Owner),
            is_you: row.id == member.membership_id,
            limited_to_customers: row.limited_to_customers,
            customers: customers_of.remove(&row.id).unwrap_or_default(),
            joined_at: row.created_at.unix_timestamp(),
        });
    }
    let counts = |key: &str| members.iter().filter(|member| member.role == key).count() as u64;
    let mut role_views: Vec<RoleView> = Role::ALL
        .into_iter()
        .map(|role| RoleView {
            key: role.as_str().to_owned(),
            name: role.label().to_owned(),
            description: role.describe().to_owned(),
            built_in: true,
            permissions: names(role.permissions()),
            member_count: counts(role.as_str()),
        })
        .collect();
    for custom in roles::all(db, organization_id).await? {
        role_views.push(RoleView {
            key: custom.id.to_string(),
            member_count: counts(&custom.id.to_string()),
            description: String::new(),
            built_in: false,
            permissions: names(Permissions::from_stored(&custom.permissions)),
            name: custom.name,
        });
    }
    Ok(Team {
        members,
        invitations: invitations::pending(db, organization_id, OffsetDateTime::now_utc()).await?,
        roles: role_views,
        you_are_owner: member.is_owner(),
    })
}

fn names(permissions: Permissions) -> Vec<String> {
    permissions.iter().map(|p| p.as_str().to_owned()).collect()
}

/// The organization's membership `id` (with its user), or `NotFound`.
async fn target(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<(membership::Model, user::Model), AppError> {
    match membership::Entity::find_by_id(id)
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .find_also_related(user::Entity)
        .one(db)
        .await
        .map_err(internal)?
    {
        Some((membership, Some(account))) => Ok((membership, account)),
        _ => Err(AppError::NotFound),
    }
}

fn managed(member: &Member, target: &membership::Model) -> Managed {
    Managed {
        is_self: target.id == member.membership_id,
        is_owner: target.role == Role::Owner.as_str(),
    }
}

async fn owner_count(db: &impl ConnectionTrait, organization_id: Uuid) -> Result<u64, AppError> {
    membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await
        .map_err(internal)
}

fn last_owner() -> AppError {
    AppError::Conflict(
        "An organization always keeps at least one owner. Make someone else an owner first.".into(),
    )
}

/// One team change, written to both logs.
pub(crate) struct TeamEvent<'a> {
    pub kind: SecurityEventKind,
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub summary: String,
    pub client: &'a ClientInfo,
}

pub(crate) async fn log(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    user_id: Uuid,
    event: TeamEvent<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    security_log::record(
        txn,
        SecurityEvent {
            kind: event.kind,
            succeeded: true,
            user_id: Some(user_id),
            organization_id: Some(scope.organization_id),
            client: event.client,
            detail: Some(&event.summary),
        },
        now,
    )
    .await?;
    audit::record(
        txn,
        scope,
        Change {
            action: event.action,
            object_type: event.object_type,
            object_id: event.object_id,
            summary: event.summary,
            customer_id: None,
        },
        now,
    )
    .await
}

pub async fn change_role(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    membership_id: Uuid,
    role_key: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let organization_id = member.caller.organization_id;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let (target_row, account) = target(&txn, organization_id, membership_id).await?;
    let choice = role_choice(&txn, organization_id, role_key).await?;
    check_team_change(
        manager(member),
        Some(managed(member, &target_row)),
        Some(choice.grant),
    )
    .map_err(refused)?;
    if choice.grant.owner && target_row.limited_to_customers {
        return Err(refused(TeamRefusal::OwnerCannotBeLimited));
    }
    // Any change to an owner's membership, and any grant of the sensitive
    // permissions, needs a recent confirmation.
    if choice.grant.needs_step_up() || target_row.role == Role::Owner.as_str() {
        member.caller.require_recent_confirmation(now)?;
    }
    if target_row.role == Role::Owner.as_str()
        && !choice.grant.owner
        && owner_count(&txn, organization_id).await? <= 1
    {
        return Err(last_owner());
    }
    let (before, _) = role_of(&txn, &target_row).await?;
    let mut active: membership::ActiveModel = target_row.into();
    active.role = Set(choice.stored.to_owned());
    active.custom_role_id = Set(choice.custom_role_id);
    active.update(&txn).await.map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::MemberRoleChanged,
        action: "member.role_changed",
        object_type: "member",
        object_id: membership_id,
        summary: format!("{}: {} → {}", account.email, before.label(), choice.label),
        client,
    };
    log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}

pub async fn set_customers(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    membership_id: Uuid,
    limit: &CustomerLimit,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let organization_id = member.caller.organization_id;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let (target_row, account) = target(&txn, organization_id, membership_id).await?;
    check_team_change(manager(member), Some(managed(member, &target_row)), None)
        .map_err(refused)?;
    if target_row.role == Role::Owner.as_str() {
        if limit.limited {
            return Err(refused(TeamRefusal::OwnerCannotBeLimited));
        }
        member.caller.require_recent_confirmation(now)?;
    }
    let ids = checked_customers(&txn, organization_id, limit).await?;
    membership_customer::Entity::delete_many()
        .filter(membership_customer::Column::MembershipId.eq(membership_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    list_customers(&txn, membership_id, &ids).await?;
    let mut active: membership::ActiveModel = target_row.into();
    active.limited_to_customers = Set(limit.limited);
    active.update(&txn).await.map_err(internal)?;
    let summary = if limit.limited {
        format!("{}: limited to {} customer(s)", account.email, ids.len())
    } else {
        format!("{}: every customer", account.email)
    };
    let event = TeamEvent {
        kind: SecurityEventKind::MemberCustomersChanged,
        action: "member.customers_changed",
        object_type: "member",
        object_id: membership_id,
        summary,
        client,
    };
    log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}

pub(crate) async fn list_customers(
    txn: &impl ConnectionTrait,
    membership_id: Uuid,
    ids: &[Uuid],
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    membership_customer::Entity::insert_many(ids.iter().map(|id| {
        membership_customer::ActiveModel {
            membership_id: Set(membership_id),
            customer_id: Set(*id),
        }
    }))
    .exec_without_returning(txn)
    .await
    .map_err(internal)?;
    Ok(())
}

pub async fn remove(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    membership_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let organization_id = member.caller.organization_id;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let (target_row, account) = target(&txn, organization_id, membership_id).await?;
    check_team_change(manager(member), Some(managed(member, &target_row)), None)
        .map_err(refused)?;
    if target_row.role == Role::Owner.as_str() {
        member.caller.require_recent_confirmation(now)?;
        if owner_count(&txn, organization_id).await? <= 1 {
            return Err(last_owner());
        }
    }
    membership_customer::Entity::delete_many()
        .filter(membership_customer::Column::MembershipId.eq(membership_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    membership::Entity::delete_by_id(membership_id)
        .exec(&txn)
        .await
        .map_err(internal)?;
    // Their sessions in this organization end now, not at expiry. (Each
    // request also re-reads the membership, so one racing this delete
    // fails too.)
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(account.id))
        .filter(session::Column::OrganizationId.eq(organization_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::MemberRemoved,
        action: "member.removed",
        object_type: "member",
        object_id: membership_id,
        summary: account.email.clone(),
        client,
    };
    log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}

pub async fn transfer_ownership(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    membership_id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if !member.is_owner() {
        return Err(AppError::Forbidden);
    }
    member.caller.require_recent_confirmation(now)?;
    let organization_id = member.caller.organization_id;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let (target_row, account) = target(&txn, organization_id, membership_id).await?;
    if target_row.id == member.membership_id {
        return Err(refused(TeamRefusal::OwnMembership));
    }
    let mut promoted: membership::ActiveModel = target_row.into();
    promoted.role = Set(Role::Owner.as_str().to_owned());
    promoted.custom_role_id = Set(None);
    // Owners see every customer.
    promoted.limited_to_customers = Set(false);
    promoted.update(&txn).await.map_err(internal)?;
    membership_customer::Entity::delete_many()
        .filter(membership_customer::Column::MembershipId.eq(membership_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Role,
            sea_orm::sea_query::Expr::value(Role::Admin.as_str()),
        )
        .filter(membership::Column::Id.eq(member.membership_id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::OwnershipTransferred,
        action: "member.ownership_transferred",
        object_type: "member",
        object_id: membership_id,
        summary: format!("to {}; the previous owner is now an admin", account.email),
        client,
    };
    log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}

/// How many members hold the custom role `id`.
pub(crate) async fn holders(db: &impl ConnectionTrait, role_id: Uuid) -> Result<u64, AppError> {
    membership::Entity::find()
        .filter(membership::Column::CustomRoleId.eq(role_id))
        .filter(membership::Column::Role.eq(roles::CUSTOM))
        .count(db)
        .await
        .map_err(internal)
}
