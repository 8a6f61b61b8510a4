//! What a member may do and see, read fresh from the database on every
//! request: a role change, a new customer limit or a removal takes effect
//! on the member's very next request.

use super::auth::Caller;
use super::calendar::OrgTimeZone;
use super::entities::{membership, membership_customer, organization, role};
use super::errors::internal;
use crate::domain::{Permission, Permissions, Role};
use crate::error::AppError;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, IntoColumnRef, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Which of the organization's customers a member may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerReach {
    All,
    /// Only the customers listed for this membership.
    Listed {
        membership_id: Uuid,
    },
}

impl CustomerReach {
    /// A condition on a customer-id column: true for reachable customers
    /// (empty, so absent from the SQL, when every customer is).
    pub fn covers(self, column: impl IntoColumnRef) -> Condition {
        match self {
            Self::All => Condition::all(),
            Self::Listed { membership_id } => Condition::all().add(
                Expr::col(column).in_subquery(
                    Query::select()
                        .column(membership_customer::Column::CustomerId)
                        .from(membership_customer::Entity)
                        .and_where(membership_customer::Column::MembershipId.eq(membership_id))
                        .to_owned(),
                ),
            ),
        }
    }

    pub fn is_limited(self) -> bool {
        matches!(self, Self::Listed { .. })
    }
}

/// The data a request may read: one organization, and some or all of its
/// customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tenant {
    pub organization_id: Uuid,
    pub customers: CustomerReach,
}

/// A member's role: built in, or one of the organization's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberRole {
    BuiltIn(Role),
    Custom { id: Uuid, name: String },
}

impl MemberRole {
    pub fn label(&self) -> String {
        match self {
            Self::BuiltIn(role) => role.label().to_owned(),
            Self::Custom { name, .. } => name.clone(),
        }
    }
}

/// A signed-in caller as a member of the organization their session works in.
#[derive(Debug, Clone)]
pub struct Member {
    pub caller: Caller,
    pub membership_id: Uuid,
    pub role: MemberRole,
    /// What the member may do: their role's permissions, less the
    /// organization-wide ones when they are limited to some customers.
    pub permissions: Permissions,
    pub limited_to_customers: bool,
    /// The organization's calendar.
    pub time_zone: OrgTimeZone,
}

impl Member {
    /// `Forbidden` unless the member holds `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The day it is at `now` where the organization is.
    pub fn today(&self, now: time::OffsetDateTime) -> time::Date {
        self.time_zone.today(now)
    }

    pub fn is_owner(&self) -> bool {
        self.role == MemberRole::BuiltIn(Role::Owner)
    }

    pub fn customers(&self) -> CustomerReach {
        if self.limited_to_customers {
            CustomerReach::Listed {
                membership_id: self.membership_id,
            }
        } else {
            CustomerReach::All
        }
    }

    pub fn tenant(&self) -> Tenant {
        Tenant {
            organization_id: self.caller.organization_id,
            customers: self.customers(),
        }
    }
}

/// The permissions a membership's role grants (before any customer limit).
pub async fn role_of(
    db: &impl ConnectionTrait,
    membership: &membership::Model,
) -> Result<(MemberRole, Permissions), AppError> {
    if let Some(role) = Role::parse(&membership.role) {
        return Ok((MemberRole::BuiltIn(role), role.permissions()));
    }
    // A custom role; one that has gone (or an unknown name) grants nothing.
    let custom = match membership.custom_role_id {
        Some(id) => role::Entity::find_by_id(id)
            .filter(role::Column::OrganizationId.eq(membership.organization_id))
            .one(db)
            .await
            .map_err(internal)?,
        None => None,
    };
    Ok(custom.map_or(
        (
            MemberRole::Custom {
                id: Uuid::nil(),
                name: "No role".into(),
            },
            Permissions::NONE,
        ),
        |custom| {
            (
                MemberRole::Custom {
                    id: custom.id,
                    name: custom.name,
                },
                Permissions::from_stored(&custom.permissions),
            )
        },
    ))
}

/// The caller's membership in their session's organization, with the
/// organization; `None` once the membership is gone.
pub async fn load(
    db: &impl ConnectionTrait,
    caller: Caller,
) -> Result<Option<(Member, organization::Model)>, AppError> {
    let Some((membership, Some(organization))) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .filter(membership::Column::OrganizationId.eq(caller.organization_id))
        .find_also_related(organization::Entity)
        .one(db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let (role, granted) = role_of(db, &membership).await?;
    let permissions = if membership.limited_to_customers {
        granted.within_customer_limit()
    } else {
        granted
    };
    Ok(Some((
        Member {
            caller,
            membership_id: membership.id,
            role,
            permissions,
            limited_to_customers: membership.limited_to_customers,
            time_zone: OrgTimeZone::stored(&organization.time_zone),
        },
        organization,
    )))
}
