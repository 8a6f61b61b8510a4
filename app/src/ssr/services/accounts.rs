//! Signing up and signing in.

use crate::api::auth::Viewer;
use crate::domain::{Email, NewPassword, OrganizationName, PersonName, Role};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::auth::{Caller, SessionAuth};
use crate::ssr::entities::{membership, organization, user};
use crate::ssr::errors::internal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr,
    TransactionTrait,
};
use time::OffsetDateTime;
use uuid::Uuid;

const EMAIL_TAKEN: &str =
    "This email cannot be used for a new account. If it is yours, sign in instead.";

pub struct SignUp {
    pub name: PersonName,
    pub email: Email,
    pub password: NewPassword,
    pub organization: OrganizationName,
}

/// Creates the user, their organization and the owner membership in one
/// transaction, and returns what the new session should hold.
pub async fn sign_up(
    state: &AppState,
    input: SignUp,
    now: OffsetDateTime,
) -> Result<SessionAuth, AppError> {
    let lookup = input.email.lookup_key();
    // A cheap early answer for the common case; the unique index below is
    // what actually guarantees one account per email under concurrency.
    if find_by_email(state, &lookup).await?.is_some() {
        return Err(AppError::Conflict(EMAIL_TAKEN.into()));
    }
    let password_hash = state
        .passwords
        .hash(&input.password)
        .await
        .map_err(internal)?;

    let user_id = Uuid::new_v4();
    let organization_id = Uuid::new_v4();
    let txn = state.db.begin().await.map_err(internal)?;
    organization::ActiveModel {
        id: Set(organization_id),
        name: Set(input.organization.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    let inserted = user::ActiveModel {
        id: Set(user_id),
        email: Set(input.email.as_str().to_owned()),
        email_lookup: Set(lookup),
        name: Set(input.name.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(now),
    }
    .insert(&txn)
    .await;
    if let Err(error) = inserted {
        return Err(match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(EMAIL_TAKEN.into()),
            _ => internal(error),
        });
    }
    membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        role: Set(Role::Owner.as_str().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;

    tracing::info!(%user_id, %organization_id, "account created");
    Ok(SessionAuth {
        user_id,
        organization_id,
        signed_in_at: now.unix_timestamp(),
    })
}

/// Checks the credentials. A wrong email and a wrong password give the same
/// error after the same work (one argon2 verification).
pub async fn sign_in(
    state: &AppState,
    email: &Email,
    password: &str,
    now: OffsetDateTime,
) -> Result<SessionAuth, AppError> {
    let account = find_by_email(state, &email.lookup_key()).await?;
    let verified = state
        .passwords
        .verify(password, account.as_ref().map(|user| &user.password_hash))
        .await
        .map_err(internal)?;
    let Some(account) = account.filter(|_| verified) else {
        tracing::info!("sign-in refused");
        return Err(AppError::InvalidCredentials);
    };
    let Some(membership) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(account.id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        // An account that belongs to no organization has nothing to show.
        tracing::info!(user_id = %account.id, "sign-in refused: no membership");
        return Err(AppError::InvalidCredentials);
    };
    tracing::info!(user_id = %account.id, "signed in");
    Ok(SessionAuth {
        user_id: account.id,
        organization_id: membership.organization_id,
        signed_in_at: now.unix_timestamp(),
    })
}

async fn find_by_email(state: &AppState, lookup: &str) -> Result<Option<user::Model>, AppError> {
    user::Entity::find()
        .filter(user::Column::EmailLookup.eq(lookup))
        .one(&state.db)
        .await
        .map_err(internal)
}

/// The signed-in user as the header shows them, or `None` when the account
/// or its membership is gone (the session is then worthless).
pub async fn viewer(state: &AppState, caller: &Caller) -> Result<Option<Viewer>, AppError> {
    let Some((membership, Some(organization))) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .filter(membership::Column::OrganizationId.eq(caller.organization_id))
        .find_also_related(organization::Entity)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let Some(account) = user::Entity::find_by_id(membership.user_id)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        name: account.name,
        email: account.email,
        organization_name: organization.name,
        role: Role::parse(&membership.role)
            .map_or("Member", Role::label)
            .to_owned(),
    }))
}
