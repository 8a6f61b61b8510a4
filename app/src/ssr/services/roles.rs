//! Custom roles: an organization's own names for sets of permissions.

use crate::domain::role::{Grant, TeamRefusal, check_team_change};
use crate::domain::{FieldError, Permissions, Role, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::access::{Member, MemberRole};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{invitation, role};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Scope};
use crate::ssr::services::team::{self, TeamEvent, holders, manager, refused};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// What `memberships.role` holds for a member with a custom role.
pub const CUSTOM: &str = "custom";

const MAX_NAME_CHARS: usize = 60;

pub async fn all(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<role::Model>, AppError> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .order_by_asc(role::Column::NameLookup)
        .all(db)
        .await
        .map_err(internal)
}

pub async fn find(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<role::Model, AppError> {
    role::Entity::find_by_id(id)
        .filter(role::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

fn parse_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "Give the role a name."));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            "name",
            format!("Use at most {MAX_NAME_CHARS} characters."),
        ));
    }
    if Role::ALL
        .iter()
        .any(|role| role.label().eq_ignore_ascii_case(name))
    {
        return Err(FieldError::new(
            "name",
            "This is the name of a built-in role.",
        ));
    }
    Ok(name.to_owned())
}

/// A custom role as the role editor sends it.
pub struct NewRole<'a> {
    pub name: &'a str,
    pub permissions: Permissions,
}

pub async fn save(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    id: Option<Uuid>,
    input: &NewRole<'_>,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let name = parse_name(input.name)?;
    let permissions = input.permissions;
    if permissions.is_empty() {
        return Err(FieldError::new("permissions", "Choose at least one permission.").into());
    }
    // A role is a grant to everyone who holds it: nobody defines one beyond
    // their own permissions.
    let grant = Grant {
        owner: false,
        permissions,
    };
    check_team_change(manager(member), None, Some(grant)).map_err(refused)?;
    if grant.needs_step_up() {
        member.caller.require_recent_confirmation(now)?;
    }
    let organization_id = member.caller.organization_id;
    let lookup = name.to_lowercase();
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let clash = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::NameLookup.eq(lookup.clone()))
        .filter(role::Column::Id.ne(id.unwrap_or_default()))
        .count(&txn)
        .await
        .map_err(internal)?;
    if clash > 0 {
        return Err(FieldError::new("name", "Another role has this name.").into());
    }
    let (id, action, summary) = match id {
        Some(id) => {
            let existing = find(&txn, organization_id, id).await?;
            let before = Permissions::from_stored(&existing.permissions);
            // Changing a role you hold yourself would be changing your own access.
            if matches!(member.role, MemberRole::Custom { id: held, .. } if held == id) {
                return Err(refused(TeamRefusal::OwnMembership));
            }
            let summary = format!(
                "{} → {}: {} → {}",
                existing.name,
                name,
                before.to_stored(),
                permissions.to_stored()
            );
            let mut active: role::ActiveModel = existing.into();
            active.name = Set(name.clone());
            active.name_lookup = Set(lookup);
            active.permissions = Set(permissions.to_stored());
            active.update(&txn).await.map_err(internal)?;
            (id, "role.changed", summary)
        }
        None => {
            let id = Uuid::new_v4();
            role::ActiveModel {
                id: Set(id),
                organization_id: Set(organization_id),
                name: Set(name.clone()),
                name_lookup: Set(lookup),
                permissions: Set(permissions.to_stored()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(internal)?;
            (
                id,
                "role.created",
                format!("{name}: {}", permissions.to_stored()),
            )
        }
    };
    let kind = if action == "role.created" {
        SecurityEventKind::RoleCreated
    } else {
        SecurityEventKind::RoleChanged
    };
    let event = TeamEvent {
        kind,
        action,
        object_type: "role",
        object_id: id,
        summary,
        client,
    };
    team::log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

pub async fn delete(
    db: &DatabaseConnection,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let organization_id = member.caller.organization_id;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    let existing = find(&txn, organization_id, id).await?;
    let invited = invitation::Entity::find()
        .filter(invitation::Column::CustomRoleId.eq(id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .count(&txn)
        .await
        .map_err(internal)?;
    if holders(&txn, id).await? > 0 || invited > 0 {
        return Err(AppError::Conflict(
            "Members or pending invitations have this role. Give them another role first.".into(),
        ));
    }
    role::Entity::delete_by_id(id)
        .exec(&txn)
        .await
        .map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::RoleDeleted,
        action: "role.deleted",
        object_type: "role",
        object_id: id,
        summary: existing.name,
        client,
    };
    team::log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}
