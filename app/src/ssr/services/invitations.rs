//! Invitations: a single-use emailed link (only its hash is stored, valid
//! for 7 days, revocable while pending) to join an organization with a given
//! role and customer limit.

use crate::api::invitations::InvitationDetails;
use crate::api::team::{CustomerLimit, InvitationView};
use crate::domain::role::{TeamRefusal, check_team_change};
use crate::domain::{Email, PersonName, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Member;
use crate::ssr::auth::{Caller, SessionAuth};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{invitation, membership, organization, user};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::passwords::{self, OwnedPasswordContext};
use crate::ssr::services::audit::{self, Actor, Scope};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::team::{
    self, TeamEvent, checked_customers, list_customers, manager, refused, role_choice,
};
use crate::ssr::services::{accounts, email_confirmation, security_log};
use crate::ssr::tokens::{new_token, sha256_hex};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub const LIFETIME: Duration = Duration::days(7);

/// An invitation as the team manager writes it.
pub struct NewInvitation<'a> {
    pub email: &'a Email,
    pub role: &'a str,
    pub limit: &'a CustomerLimit,
}

pub async fn invite(
    state: &AppState,
    member: &Member,
    scope: &Scope,
    client: &ClientInfo,
    new: &NewInvitation<'_>,
    now: OffsetDateTime,
) -> Result<InvitationView, AppError> {
    let organization_id = member.caller.organization_id;
    let db = &state.db;
    let choice = role_choice(db, organization_id, new.role).await?;
    check_team_change(manager(member), None, Some(choice.grant)).map_err(refused)?;
    if choice.grant.owner && new.limit.limited {
        return Err(refused(TeamRefusal::OwnerCannotBeLimited));
    }
    if choice.grant.needs_step_up() {
        member.caller.require_recent_confirmation(now)?;
    }
    let customer_ids = checked_customers(db, organization_id, new.limit).await?;
    let lookup = new.email.lookup_key();
    let already = membership::Entity::find()
        .inner_join(user::Entity)
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(user::Column::EmailLookup.eq(lookup.clone()))
        .count(db)
        .await
        .map_err(internal)?;
    if already > 0 {
        return Err(
            crate::domain::FieldError::new("email", "This person is already a member.").into(),
        );
    }
    email_confirmation::require_confirmed(db, member.caller.user_id).await?;
    spend_invitation_budgets(state, organization_id, &lookup, now).await?;
    let token = new_token();
    let id = Uuid::new_v4();
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    // Inviting the same address again replaces the pending invitation: only
    // the newest link works.
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::EmailLookup.eq(lookup.clone()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await
        .map_err(internal)?;
    let row = invitation::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        email: Set(new.email.as_str().to_owned()),
        email_lookup: Set(lookup),
        role: Set(choice.stored.to_owned()),
        custom_role_id: Set(choice.custom_role_id),
        limited_to_customers: Set(new.limit.limited),
        customer_ids: Set(customer_ids
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(" ")),
        token_hash: Set(sha256_hex(&token)),
        invited_by: Set(member.caller.user_id),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        accepted_at: Set(None),
        accepted_by: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::MemberInvited,
        action: "member.invited",
        object_type: "invitation",
        object_id: id,
        summary: format!("{} as {}", new.email.as_str(), choice.label),
        client,
    };
    team::log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)?;

    let (organization_name, inviter) = names_of(db, organization_id, member.caller.user_id).await?;
    let link = format!("{}/invitation?token={token}", state.settings.public_url);
    state.mailer.send_later(Mail {
        to: new.email.as_str().to_owned(),
        // Names chosen by whoever signed up (organization, role, inviter)
        // stay out of the subject, which mail clients show before any
        // warning: they could be made to read like a message from anyone.
        subject: "Ledgerlock: you are invited to join a team".into(),
        body: format!(
            "Hello,\n\n\
             {inviter} invited you to join {organization_name} on Ledgerlock as {role}.\n\n\
             Accept the invitation here (the link works once, for 7 days):\n{link}\n\n\
             If you did not expect this, ignore this message.\n",
            role = choice.label,
        ),
        kind: "invitation",
    });
    Ok(InvitationView {
        id,
        email: row.email,
        role_label: choice.label,
        limited_to_customers: row.limited_to_customers,
        customer_count: customer_ids.len(),
        invited_by: inviter,
        created_at: now.unix_timestamp(),
        expires_at: row.expires_at.unix_timestamp(),
    })
}

/// Spends from the organization's daily budget and the invited address's
/// (see `mail_budgets`); over either, the invitation is refused, naming the
/// field, and nothing is written or sent.
async fn spend_invitation_budgets(
    state: &AppState,
    organization_id: Uuid,
    email_lookup: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let budgets = &state.settings.mail_budgets;
    if !mail_budgets::spend(
        &state.db,
        budgets,
        Budget::InvitationFrom { organization_id },
        now,
    )
    .await?
    {
        return Err(crate::domain::FieldError::new(
            "email",
            format!(
                "Your organization has sent its {} invitations for today. Try again tomorrow.",
                budgets.invitations_per_organization_per_day
            ),
        )
        .into());
    }
    if !mail_budgets::spend(
        &state.db,
        budgets,
        Budget::InvitationTo { email_lookup },
        now,
    )
    .await?
    {
        return Err(crate::domain::FieldError::new(
            "email",
            format!(
                "This address has received {} invitations today. Try again tomorrow.",
                budgets.invitations_per_address_per_day
            ),
        )
        .into());
    }
    Ok(())
}

async fn names_of(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<(String, String), AppError> {
    let organization = organization::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .map(|row| row.name)
        .unwrap_or_default();
    let inviter = user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .map_err(internal)?
        .map_or_else(|| "A former member".to_owned(), |row| row.name);
    Ok((organization, inviter))
}

fn is_pending(row: &invitation::Model, now: OffsetDateTime) -> bool {
    row.accepted_at.is_none() && row.revoked_at.is_none() && row.expires_at > now
}

/// The organization's invitations still waiting for an answer.
pub async fn pending(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    now: OffsetDateTime,
) -> Result<Vec<InvitationView>, AppError> {
    let rows = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::CreatedAt)
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await
        .map_err(internal)?;
    let mut inviters: HashMap<Uuid, String> = HashMap::new();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        if let std::collections::hash_map::Entry::Vacant(entry) = inviters.entry(row.invited_by) {
            let (_, name) = names_of(db, organization_id, row.invited_by).await?;
            entry.insert(name);
        }
        views.push(InvitationView {
            id: row.id,
            role_label: role_label(db, &row).await?,
            limited_to_customers: row.limited_to_customers,
            customer_count: row.customer_ids.split_whitespace().count(),
            invited_by: inviters.get(&row.invited_by).cloned().unwrap_or_default(),
            created_at: row.created_at.unix_timestamp(),
            expires_at: row.expires_at.unix_timestamp(),
            email: row.email,
        });
    }
    Ok(views)
}

async fn role_label(
    db: &impl ConnectionTrait,
    row: &invitation::Model,
) -> Result<String, AppError> {
    let key = row
        .custom_role_id
        .map_or_else(|| row.role.clone(), |id| id.to_string());
    Ok(role_choice(db, row.organization_id, &key)
        .await
        .map_or_else(|_| "No role".to_owned(), |choice| choice.label))
}

pub async fn revoke(
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
    let row = invitation::Entity::find_by_id(id)
        .filter(invitation::Column::OrganizationId.eq(organization_id))
        .one(&txn)
        .await
        .map_err(internal)?
        .filter(|row| is_pending(row, now))
        .ok_or(AppError::NotFound)?;
    let email = row.email.clone();
    let mut active: invitation::ActiveModel = row.into();
    active.revoked_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    let event = TeamEvent {
        kind: SecurityEventKind::InvitationRevoked,
        action: "member.invitation_revoked",
        object_type: "invitation",
        object_id: id,
        summary: email,
        client,
    };
    team::log(&txn, scope, member.caller.user_id, event, now).await?;
    txn.commit().await.map_err(internal)
}

/// The pending invitation a token belongs to, or `LinkInvalid`.
async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
    now: OffsetDateTime,
) -> Result<invitation::Model, AppError> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(sha256_hex(token.trim())))
        .one(db)
        .await
        .map_err(internal)?
        .filter(|row| is_pending(row, now))
        .ok_or(AppError::LinkInvalid)
}

pub async fn preview(
    db: &DatabaseConnection,
    token: &str,
    caller: Option<&Caller>,
    now: OffsetDateTime,
) -> Result<InvitationDetails, AppError> {
    let row = by_token(db, token, now).await?;
    let (organization_name, invited_by) = names_of(db, row.organization_id, row.invited_by).await?;
    let account_exists = accounts::find_by_email(db, &row.email_lookup)
        .await?
        .is_some();
    let signed_in_as = match caller {
        Some(caller) => accounts::account_of(db, caller.user_id)
            .await
            .ok()
            .map(|account| account.email),
        None => None,
    };
    Ok(InvitationDetails {
        organization_name,
        invited_by,
        role_label: role_label(db, &row).await?,
        email: row.email,
        account_exists,
        signed_in_as,
    })
}

/// Marks the invitation used, if nobody did first (single use even when two
/// answers race), and adds the membership it describes.
async fn join(
    txn: &impl ConnectionTrait,
    row: &invitation::Model,
    user_id: Uuid,
    client: &ClientInfo,
    request_id: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let taken = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::AcceptedBy, Expr::value(user_id))
        .filter(invitation::Column::Id.eq(row.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(txn)
        .await
        .map_err(internal)?;
    if taken.rows_affected != 1 {
        return Err(AppError::LinkInvalid);
    }
    let membership_id = Uuid::new_v4();
    // The role may have been deleted since: then the member starts with
    // no permissions until someone gives them a role.
    let customer_ids: Vec<Uuid> = row
        .customer_ids
        .split_whitespace()
        .filter_map(|id| id.parse().ok())
        .collect();
    let still_there = checked_customers(
        txn,
        row.organization_id,
        &CustomerLimit {
            limited: row.limited_to_customers,
            customer_ids: customer_ids.clone(),
        },
    )
    .await
    .unwrap_or_default();
    membership::ActiveModel {
        id: Set(membership_id),
        organization_id: Set(row.organization_id),
        user_id: Set(user_id),
        role: Set(row.role.clone()),
        custom_role_id: Set(row.custom_role_id),
        limited_to_customers: Set(row.limited_to_customers),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    list_customers(txn, membership_id, &still_there).await?;
    let scope = Scope {
        organization_id: row.organization_id,
        actor: Actor::User(user_id),
        request_id: request_id.to_owned(),
        client_ip: client.ip_text().unwrap_or_default(),
        customers: crate::ssr::access::CustomerReach::All,
        // Joining a team writes no dated documents.
        time_zone: crate::ssr::calendar::OrgTimeZone::utc(),
    };
    let event = TeamEvent {
        kind: SecurityEventKind::InvitationAccepted,
        action: "member.joined",
        object_type: "member",
        object_id: membership_id,
        summary: format!("{} accepted the invitation", row.email),
        client,
    };
    team::log(txn, &scope, user_id, event, now).await
}

fn wrong_account(row: &invitation::Model) -> AppError {
    AppError::Conflict(format!(
        "This invitation was sent to {}. Sign in with that address to accept it.",
        row.email
    ))
}

/// Joins with the signed-in account; answers the organization's id.
pub async fn accept(
    db: &DatabaseConnection,
    caller: &Caller,
    client: &ClientInfo,
    request_id: &str,
    token: &str,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let row = by_token(db, token, now).await?;
    let account = accounts::account_of(db, caller.user_id).await?;
    // The link proves the invitee reads that mailbox; another account
    // holding the link proves nothing.
    if account.email_lookup != row.email_lookup {
        return Err(wrong_account(&row));
    }
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, row.organization_id).await?;
    let member_already = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(row.organization_id))
        .filter(membership::Column::UserId.eq(caller.user_id))
        .count(&txn)
        .await
        .map_err(internal)?;
    if member_already > 0 {
        return Err(AppError::Conflict(
            "You are already a member of this organization.".into(),
        ));
    }
    join(&txn, &row, caller.user_id, client, request_id, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(row.organization_id)
}

/// Creates the invited account and joins; answers what the new session
/// holds.
pub async fn accept_with_new_account(
    state: &AppState,
    client: &ClientInfo,
    request_id: &str,
    token: &str,
    name: PersonName,
    password: &str,
    now: OffsetDateTime,
) -> Result<SessionAuth, AppError> {
    let db = &state.db;
    let row = by_token(db, token, now).await?;
    if accounts::find_by_email(db, &row.email_lookup)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "An account with this email exists: sign in to accept the invitation.".into(),
        ));
    }
    let email = Email::parse(&row.email)?;
    let (organization_name, _) = names_of(db, row.organization_id, row.invited_by).await?;
    let context = OwnedPasswordContext {
        email: email.as_str().to_owned(),
        organization: organization_name.clone(),
        name: name.as_str().to_owned(),
    };
    let password = passwords::parse_new(password, context).await?;
    let password_hash = state.passwords.hash(&password).await.map_err(internal)?;
    let user_id = Uuid::new_v4();
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let account = accounts::insert_user(&txn, user_id, &name, &email, password_hash, now).await?;
    // The invitation reached this address: it is confirmed.
    email_confirmation::mark_verified(&txn, user_id, now).await?;
    security_log::record(
        &txn,
        security_log::SecurityEvent {
            kind: SecurityEventKind::SignUp,
            succeeded: true,
            user_id: Some(user_id),
            organization_id: Some(row.organization_id),
            client,
            detail: Some("from an invitation"),
        },
        now,
    )
    .await?;
    audit::lock(&txn, row.organization_id).await?;
    join(&txn, &row, user_id, client, request_id, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(accounts::session_auth(
        &account,
        row.organization_id,
        client,
        now,
    ))
}
