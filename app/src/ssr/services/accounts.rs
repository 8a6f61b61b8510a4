//! Signing up, signing in and out, and changing the password.

use crate::api::auth::Viewer;
use crate::domain::{
    Email, Lockout, NewPassword, OrganizationName, PasswordContext, PersonName, Role,
    SecurityEventKind, normalize_password,
};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access;
use crate::ssr::auth::{Caller, SessionAuth};
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{billing_settings, membership, organization, user};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::passwords::PasswordHash;
use crate::ssr::services::security_log::{self, SecurityEvent};
use crate::ssr::services::{second_factor, sessions};
use crate::ssr::session_store::storage_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
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

pub(crate) fn session_auth(
    user_id: Uuid,
    organization_id: Uuid,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> SessionAuth {
    SessionAuth {
        user_id,
        organization_id,
        signed_in_at: now.unix_timestamp(),
        last_seen_at: now.unix_timestamp(),
        ip: client.ip_text(),
        user_agent: client.user_agent.clone(),
        confirmed_at: now.unix_timestamp(),
    }
}

/// Creates the user, their organization and the owner membership in one
/// transaction, and returns what the new session should hold.
pub async fn sign_up(
    state: &AppState,
    input: SignUp,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<SessionAuth, AppError> {
    let lookup = input.email.lookup_key();
    // A cheap early answer for the common case; the unique index below is
    // what actually guarantees one account per email under concurrency.
    if find_by_email(&state.db, &lookup).await?.is_some() {
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
        require_second_factor: Set(false),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    billing_settings::ActiveModel {
        organization_id: Set(organization_id),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    insert_user(&txn, user_id, &input.name, &input.email, password_hash, now).await?;
    membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        role: Set(Role::Owner.as_str().to_owned()),
        custom_role_id: Set(None),
        limited_to_customers: Set(false),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    security_log::record(
        &txn,
        SecurityEvent {
            kind: SecurityEventKind::SignUp,
            succeeded: true,
            user_id: Some(user_id),
            organization_id: Some(organization_id),
            client,
            detail: None,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;

    tracing::info!(%user_id, %organization_id, "account created");
    Ok(session_auth(user_id, organization_id, client, now))
}

/// Inserts a new user; an email already in use is a `Conflict` (the unique
/// index decides, so two sign-ups at once cannot both win).
pub(crate) async fn insert_user(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    name: &PersonName,
    email: &Email,
    password_hash: PasswordHash,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let inserted = user::ActiveModel {
        id: Set(user_id),
        email: Set(email.as_str().to_owned()),
        email_lookup: Set(email.lookup_key()),
        name: Set(name.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(now),
        failed_sign_ins: Set(0),
        lock_count: Set(0),
        locked_until: Set(None),
        password_changed_at: Set(Some(now)),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(error) => Err(match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(EMAIL_TAKEN.into()),
            _ => internal(error),
        }),
    }
}

fn lockout_of(account: &user::Model) -> Lockout {
    Lockout {
        failures: u32::try_from(account.failed_sign_ins).unwrap_or(0),
        locks: u32::try_from(account.lock_count).unwrap_or(0),
        locked_until: account.locked_until,
    }
}

fn with_lockout(account: user::Model, lockout: Lockout) -> user::ActiveModel {
    let mut active = account.into_active_model();
    active.failed_sign_ins = Set(i32::try_from(lockout.failures).unwrap_or(i32::MAX));
    active.lock_count = Set(i32::try_from(lockout.locks).unwrap_or(i32::MAX));
    active.locked_until = Set(lockout.locked_until);
    active
}

/// Checks the credentials. A wrong email, a wrong password and a locked
/// account all give the same error after the same work (one argon2
/// verification); only the security log knows which it was.
pub async fn sign_in(
    state: &AppState,
    email: &Email,
    password: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<PasswordSignIn, AppError> {
    let password = normalize_password(password);
    let account = find_by_email(&state.db, &email.lookup_key()).await?;
    let verified = state
        .passwords
        .verify(&password, account.as_ref().map(|user| &user.password_hash))
        .await
        .map_err(internal)?;

    let Some(account) = account else {
        record_failure(state, None, client, "unknown email", now).await?;
        return Err(AppError::InvalidCredentials);
    };
    let lockout = lockout_of(&account);
    if lockout.is_locked(now) {
        record_failure(state, Some(&account), client, "locked", now).await?;
        return Err(AppError::InvalidCredentials);
    }
    if !verified {
        let (lockout, lock_started) = lockout.after_failure(now);
        let txn = state.db.begin().await.map_err(internal)?;
        let account = with_lockout(account, lockout)
            .update(&txn)
            .await
            .map_err(internal)?;
        log_failure(&txn, &account, client, "wrong password", now).await?;
        if lock_started {
            log_event(
                &txn,
                &account,
                SecurityEventKind::AccountLocked,
                false,
                client,
                now,
            )
            .await?;
        }
        txn.commit().await.map_err(internal)?;
        if let (true, Some(until)) = (lock_started, lockout.locked_until) {
            tracing::warn!(user_id = %account.id, "password sign-in locked");
            state
                .mailer
                .send_later(lock_notice(&account, until, &state.settings.public_url));
        }
        return Err(AppError::InvalidCredentials);
    }

    let Some(membership) = membership::Entity::find()
        .filter(membership::Column::UserId.eq(account.id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        // An account that belongs to no organization has nothing to show.
        record_failure(state, Some(&account), client, "no membership", now).await?;
        return Err(AppError::InvalidCredentials);
    };

    let upgraded_hash = if state.passwords.needs_rehash(&account.password_hash) {
        Some(state.passwords.upgrade(&password).await.map_err(internal)?)
    } else {
        None
    };
    let txn = state.db.begin().await.map_err(internal)?;
    let mut active = with_lockout(account.clone(), Lockout::after_success());
    if let Some(hash) = upgraded_hash {
        active.password_hash = Set(hash);
    }
    active.update(&txn).await.map_err(internal)?;
    let auth = session_auth(account.id, membership.organization_id, client, now);
    let needs_second_factor = second_factor::is_required(&txn, account.id).await?;
    if !needs_second_factor {
        record_sign_in(&txn, &auth, client, now).await?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(PasswordSignIn {
        auth,
        needs_second_factor,
    })
}

/// The outcome of a right password.
pub struct PasswordSignIn {
    pub auth: SessionAuth,
    /// The session must not be signed in before a second factor is proved.
    pub needs_second_factor: bool,
}

/// A sign-in with a passkey alone, which proves both factors at once: what
/// the session should hold. A password lockout does not apply (it guards
/// against guessed passwords, and none was given).
pub async fn passkey_sign_in(
    state: &AppState,
    user_id: Uuid,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<SessionAuth, AppError> {
    let organization_id = primary_organization(&state.db, user_id)
        .await?
        .ok_or(AppError::InvalidCredentials)?;
    let auth = session_auth(user_id, organization_id, client, now);
    record_sign_in(&state.db, &auth, client, now).await?;
    Ok(auth)
}

/// Records a completed sign-in.
pub async fn record_sign_in(
    db: &impl ConnectionTrait,
    auth: &SessionAuth,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    tracing::info!(user_id = %auth.user_id, "signed in");
    security_log::record(
        db,
        SecurityEvent {
            kind: SecurityEventKind::SignIn,
            succeeded: true,
            user_id: Some(auth.user_id),
            organization_id: Some(auth.organization_id),
            client,
            detail: None,
        },
        now,
    )
    .await
}

async fn record_failure(
    state: &AppState,
    account: Option<&user::Model>,
    client: &ClientInfo,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    match account {
        Some(account) => log_failure(&state.db, account, client, reason, now).await,
        None => {
            security_log::record(
                &state.db,
                SecurityEvent {
                    kind: SecurityEventKind::SignInFailed,
                    succeeded: false,
                    user_id: None,
                    organization_id: None,
                    client,
                    detail: Some(reason),
                },
                now,
            )
            .await
        }
    }
}

async fn log_failure(
    db: &impl ConnectionTrait,
    account: &user::Model,
    client: &ClientInfo,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    tracing::info!(user_id = %account.id, reason, "sign-in refused");
    security_log::record(
        db,
        SecurityEvent {
            kind: SecurityEventKind::SignInFailed,
            succeeded: false,
            user_id: Some(account.id),
            organization_id: primary_organization(db, account.id).await?,
            client,
            detail: Some(reason),
        },
        now,
    )
    .await
}

/// Records an event about one account, in its first organization.
pub async fn log_event(
    db: &impl ConnectionTrait,
    account: &user::Model,
    kind: SecurityEventKind,
    succeeded: bool,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    log_event_about(db, account, kind, succeeded, None, client, now).await
}

/// [`log_event`] with a detail, such as the name of the passkey concerned.
pub async fn log_event_about(
    db: &impl ConnectionTrait,
    account: &user::Model,
    kind: SecurityEventKind,
    succeeded: bool,
    detail: Option<&str>,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    security_log::record(
        db,
        SecurityEvent {
            kind,
            succeeded,
            user_id: Some(account.id),
            organization_id: primary_organization(db, account.id).await?,
            client,
            detail,
        },
        now,
    )
    .await
}

async fn primary_organization(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .one(db)
        .await
        .map_err(internal)?
        .map(|membership| membership.organization_id))
}

fn lock_notice(account: &user::Model, until: OffsetDateTime, public_url: &str) -> Mail {
    Mail {
        to: account.email.clone(),
        subject: "Ledgerlock: password sign-in to your account is locked".into(),
        body: format!(
            "Hello {name},\n\n\
             Someone entered a wrong password for your Ledgerlock account several times in a row, \
             so password sign-in is locked until {until} UTC.\n\n\
             If this was you, wait and try again, or reset your password at {public_url}/forgot-password.\n\
             If it was not you, your password held: nobody got in. Consider choosing a longer one.\n",
            name = account.name,
            until = until.replace_nanosecond(0).unwrap_or(until),
        ),
        kind: "account_locked",
    }
}

pub async fn sign_out(
    state: &AppState,
    caller: &Caller,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    security_log::record(
        &state.db,
        SecurityEvent {
            kind: SecurityEventKind::SignOut,
            succeeded: true,
            user_id: Some(caller.user_id),
            organization_id: Some(caller.organization_id),
            client,
            detail: None,
        },
        now,
    )
    .await
}

/// Changes the password after checking the current one, ends every other
/// session of the user, and tells them by email.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new_password: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    let new_password =
        parse_new_password(&state.db, &account, new_password, "new_password").await?;
    if let Err(error) = check_current_password(state, &account, current).await {
        log_event(
            &state.db,
            &account,
            SecurityEventKind::PasswordChanged,
            false,
            client,
            now,
        )
        .await?;
        return Err(error);
    }
    let txn = state.db.begin().await.map_err(internal)?;
    let this_session = caller.session.id().map(|id| storage_key(&id));
    store_new_password(
        state,
        txn,
        account,
        &new_password,
        NewPasswordEvent {
            kind: SecurityEventKind::PasswordChanged,
            keep_session: this_session.as_deref(),
            client,
        },
        now,
    )
    .await
}

/// A signed-in user's own account row; gone means signed out.
pub async fn account_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::Unauthenticated)
}

/// Step-up: the signed-in caller proves who they are again, with their
/// password or a second-factor code. Failures are logged.
pub async fn confirm_identity(
    state: &AppState,
    caller: &Caller,
    password: &str,
    code: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    if !code.trim().is_empty() {
        return match second_factor::verify(state, account.id, code, client, now).await? {
            Some(_) => Ok(()),
            None => Err(AppError::Invalid {
                field: "code".into(),
                message: "That code is not valid.".into(),
            }),
        };
    }
    if let Err(error) = check_current_password(state, &account, password).await {
        log_failure(&state.db, &account, client, "step-up: wrong password", now).await?;
        return Err(error);
    }
    Ok(())
}

/// Asks for the password again before a sensitive change.
pub async fn check_current_password(
    state: &AppState,
    account: &user::Model,
    password: &str,
) -> Result<(), AppError> {
    let verified = state
        .passwords
        .verify(&normalize_password(password), Some(&account.password_hash))
        .await
        .map_err(internal)?;
    if verified {
        Ok(())
    } else {
        Err(AppError::Invalid {
            field: "current_password".into(),
            message: "This is not your current password.".into(),
        })
    }
}

/// Applies the password policy to a new password for `account`, in the
/// context of its name, email and first organization. Errors name `field`.
pub async fn parse_new_password(
    db: &impl ConnectionTrait,
    account: &user::Model,
    input: &str,
    field: &'static str,
) -> Result<NewPassword, AppError> {
    let organization = match primary_organization(db, account.id).await? {
        Some(id) => organization::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(internal)?
            .map(|organization| organization.name),
        None => None,
    }
    .unwrap_or_default();
    NewPassword::parse(
        input,
        PasswordContext {
            email: &account.email,
            organization: &organization,
            name: &account.name,
        },
    )
    .map_err(|error| AppError::Invalid {
        field: field.into(),
        message: error.message,
    })
}

/// How a new password came about, for the log and the sessions to keep.
pub struct NewPasswordEvent<'a> {
    pub kind: SecurityEventKind,
    /// The storage key of a session to keep signed in, if any.
    pub keep_session: Option<&'a str>,
    pub client: &'a ClientInfo,
}

/// Within `txn`: stores the new password's hash (clearing any lock), ends the
/// user's sessions but the one to keep, records the event; then commits and
/// emails the user.
pub async fn store_new_password(
    state: &AppState,
    txn: DatabaseTransaction,
    account: user::Model,
    password: &NewPassword,
    event: NewPasswordEvent<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let hash = state.passwords.hash(password).await.map_err(internal)?;
    let mut active = with_lockout(account.clone(), Lockout::after_success());
    active.password_hash = Set(hash);
    active.password_changed_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    sessions::end_all_for_user(&txn, account.id, event.keep_session).await?;
    log_event(&txn, &account, event.kind, true, event.client, now).await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(password_changed_notice(
        &account,
        &state.settings.public_url,
    ));
    Ok(())
}

fn password_changed_notice(account: &user::Model, public_url: &str) -> Mail {
    Mail {
        to: account.email.clone(),
        subject: "Ledgerlock: your password was changed".into(),
        body: format!(
            "Hello {name},\n\n\
             The password of your Ledgerlock account was just changed, and every other session was signed out.\n\n\
             If you did not do this, reset your password now at {public_url}/forgot-password \
             and check your security activity after signing in.\n",
            name = account.name,
        ),
        kind: "password_changed",
    }
}

/// The signed-in user as the header shows them, or `None` when the account
/// or its membership is gone (the session is then worthless).
pub async fn viewer(state: &AppState, caller: &Caller) -> Result<Option<Viewer>, AppError> {
    let Some((member, organization)) = access::load(&state.db, caller.clone()).await? else {
        return Ok(None);
    };
    let Some(account) = user::Entity::find_by_id(caller.user_id)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    // The organization row is at hand: read its rule rather than query it again.
    let must_set_up_second_factor = organization.require_second_factor
        && !second_factor::is_required(&state.db, caller.user_id).await?;
    let organization_count = membership::Entity::find()
        .filter(membership::Column::UserId.eq(caller.user_id))
        .count(&state.db)
        .await
        .map_err(internal)?;
    Ok(Some(Viewer {
        name: account.name,
        email: account.email,
        organization_name: organization.name,
        role: member.role.label(),
        permissions: member
            .permissions
            .iter()
            .map(|permission| permission.as_str().to_owned())
            .collect(),
        limited_to_customers: member.limited_to_customers,
        organization_count,
        must_set_up_second_factor,
    }))
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    lookup: &str,
) -> Result<Option<user::Model>, AppError> {
    user::Entity::find()
        .filter(user::Column::EmailLookup.eq(lookup))
        .one(db)
        .await
        .map_err(internal)
}
