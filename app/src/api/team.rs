//! The team: members, their roles and customer limits, invitations, custom
//! roles, and who can see a customer. Everything here needs `team.manage`.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub membership_id: Uuid,
    pub name: String,
    pub email: String,
    /// A built-in role's name (`sales`) or a custom role's id.
    pub role: String,
    pub role_label: String,
    pub is_owner: bool,
    pub is_you: bool,
    pub limited_to_customers: bool,
    pub customers: Vec<CustomerRef>,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    pub role_label: String,
    pub limited_to_customers: bool,
    pub customer_count: usize,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    /// What a member's `role` holds for this role.
    pub key: String,
    pub name: String,
    pub description: String,
    pub built_in: bool,
    /// Permission names (`invoices.read`…).
    pub permissions: Vec<String>,
    pub member_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
    pub roles: Vec<RoleView>,
    /// The caller may make and change owners.
    pub you_are_owner: bool,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/overview")]
pub async fn team_overview() -> Result<Team, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::team};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        team::overview(&request.state.db, &member).await
    }
    .await;
    request.respond(result)
}

/// Which customers a member (or invitee) sees: all, or only those listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLimit {
    pub limited: bool,
    pub customer_ids: Vec<Uuid>,
}

/// Invites `email` with `role`; the link is emailed and valid for 7 days.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/invite", input = Json)]
pub async fn invite_member(
    email: String,
    role: String,
    limit: CustomerLimit,
) -> Result<InvitationView, AppError> {
    use crate::domain::{Email, Permission};
    use crate::ssr::{request::RequestContext, services::invitations};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let email = Email::parse(&email)?;
        let now = time::OffsetDateTime::now_utc();
        invitations::invite(
            &request.state,
            &member,
            &request.audit_scope(&member),
            &request.client,
            &invitations::NewInvitation {
                email: &email,
                role: &role,
                limit: &limit,
            },
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/revoke_invitation")]
pub async fn revoke_invitation(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invitations};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        invitations::revoke(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            id,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Gives a member another role; effective on their next request. Making
/// someone an owner, granting export, team or settings rights, and any
/// change to an owner need a recent confirmation.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/change_role")]
pub async fn change_member_role(membership_id: Uuid, role: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::team};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        team::change_role(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            membership_id,
            &role,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Limits a member to a list of customers, or lifts the limit.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/set_customers", input = Json)]
pub async fn set_member_customers(
    membership_id: Uuid,
    limit: CustomerLimit,
) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::team};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        team::set_customers(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            membership_id,
            &limit,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Removes a member: their sessions in this organization end at once.
/// Removing an owner needs a recent confirmation; the last owner stays.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/remove")]
pub async fn remove_member(membership_id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::team};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        team::remove(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            membership_id,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Makes another member an owner and the caller an admin (owners only, with
/// a recent confirmation).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/transfer_ownership")]
pub async fn transfer_ownership(membership_id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::team};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        team::transfer_ownership(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            membership_id,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Creates a custom role (no `id`) or changes one; answers its id.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "roles/save", input = Json)]
pub async fn save_role(
    id: Option<Uuid>,
    name: String,
    permissions: Vec<String>,
) -> Result<Uuid, AppError> {
    use crate::domain::{Permission, Permissions};
    use crate::ssr::{request::RequestContext, services::roles};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let permissions = Permissions::parse_names(permissions.iter().map(String::as_str))?;
        let now = time::OffsetDateTime::now_utc();
        roles::save(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            id,
            &roles::NewRole {
                name: &name,
                permissions,
            },
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Deletes a custom role nobody holds.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "roles/delete")]
pub async fn delete_role(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::roles};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        let now = time::OffsetDateTime::now_utc();
        roles::delete(
            &request.state.db,
            &member,
            &request.audit_scope(&member),
            &request.client,
            id,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanSee {
    pub name: String,
    pub email: String,
    pub role_label: String,
    /// "every customer" or "listed".
    pub reach: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DidSee {
    pub who: String,
    pub at: i64,
    pub action: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAccess {
    pub customer: CustomerRef,
    /// Members who can see the customer (holding `customers.read` or
    /// `invoices.read`, over every customer or with it listed).
    pub can_see: Vec<CanSee>,
    /// The newest 100 audit events about the customer.
    pub activity: Vec<DidSee>,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "team/access_report")]
pub async fn access_report(customer_id: Uuid) -> Result<CustomerAccess, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::access_report};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::TeamManage).await?;
        access_report::report(&request.state.db, member.tenant(), customer_id).await
    }
    .await;
    request.respond(result)
}
