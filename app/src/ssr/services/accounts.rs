//! Signing up, signing in and out, and changing the password.

use crate::api::auth::Viewer;
use crate::domain::invoice::TaxRounding;
use crate::domain::{
    Email, NewPassword, OrganizationName, PersonName, Role, SecurityEventKind, normalize_password,
};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access;
use crate::ssr::auth::{Caller, NO_ORGANIZATION, SessionAuth};
use crate::ssr::calendar::OrgTimeZone;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{billing_settings, membership, organization, user};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mail;
use crate::ssr::passwords::{self, OwnedPasswordContext, PasswordHash};
use crate::ssr::services::guesses::{self, Guess, Logged, Notice};
use crate::ssr::services::mail_budgets::{self, Budget};
use crate::ssr::services::security_log::{self, SecurityEvent};
use crate::ssr::services::{email_confirmation, identity, second_factor, sessions};
use crate::ssr::session_store::storage_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr,
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
    /// The new organization's calendar (the browser's zone at sign-up).
    pub time_zone: OrgTimeZone,
}

/// What a session signed in as `account` holds, under the account's current
/// session generation.
pub(crate) fn session_auth(
    account: &user::Model,
    organization_id: Uuid,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> SessionAuth {
    SessionAuth {
        user_id: account.id,
        organization_id,
        generation: account.session_generation,
        handle: Uuid::new_v4(),
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
    if let Some(ip) = client.ip {
        let client_key = crate::ssr::client::limit_key(ip).to_string();
        let budget = Budget::SignUpFrom {
            client: &client_key,
        };
        if !mail_budgets::spend(&state.db, &state.settings.mail_budgets, budget, now).await? {
            return Err(AppError::RateLimited);
        }
    }
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
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    let account = insert_user(&txn, user_id, &input.name, &input.email, password_hash, now).await?;
    let organization_id =
        found_organization(&txn, user_id, &input.organization, &input.time_zone, now).await?;
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
    email_confirmation::send(state, &account, now).await?;
    Ok(session_auth(&account, organization_id, client, now))
}

/// Within `txn`: a new organization (with its billing settings) owned by
/// `user_id`, in `time_zone`, rounding tax as EN 16931 does. Answers its id.
pub(crate) async fn found_organization(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    name: &OrganizationName,
    time_zone: &OrgTimeZone,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let organization_id = Uuid::new_v4();
    organization::ActiveModel {
        id: Set(organization_id),
        name: Set(name.as_str().to_owned()),
        created_at: Set(now),
        require_second_factor: Set(false),
        time_zone: Set(time_zone.name().to_owned()),
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    billing_settings::ActiveModel {
        organization_id: Set(organization_id),
        tax_rounding: Set(TaxRounding::PerRate.as_str().to_owned()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    membership::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        role: Set(Role::Owner.as_str().to_owned()),
        custom_role_id: Set(None),
        limited_to_customers: Set(false),
        created_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    Ok(organization_id)
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
) -> Result<user::Model, AppError> {
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
        session_generation: Set(0),
        failed_second_steps: Set(0),
        failed_step_ups: Set(0),
        lock_notice_at: Set(None),
        second_step_notice_at: Set(None),
        email_verified_at: Set(None),
    }
    .insert(txn)
    .await;
    match inserted {
        Ok(account) => Ok(account),
        Err(error) => Err(match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict(EMAIL_TAKEN.into()),
            _ => internal(error),
        }),
    }
}

/// Checks the credentials. A wrong email, a wrong password and a locked
/// account all give the same error after the same work (one argon2
/// verification); only the security log knows which it was. A right password
/// does not clear the failure count: only a complete sign-in does (here when
/// no second factor follows, else at the second step).
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
    let locked = guesses::is_locked(&account, now);
    if locked || !verified {
        // A guess while locked is refused unheard, and counted like any
        // other: twenty at once are twenty, wherever the lock fell among them.
        let failure = guesses::count_failure(
            &state.db,
            account.id,
            Guess::Password,
            Logged {
                event: Some(SecurityEventKind::SignInFailed),
                reason: Some(if locked { "locked" } else { "wrong password" }),
                client,
            },
            now,
        )
        .await?;
        if let Some(until) = failure.lock_started {
            notify_lock(state, &account, until, now).await?;
        }
        return Err(AppError::InvalidCredentials);
    }

    // An account removed from its last organization still signs in: to
    // accept a new invitation, or to create an organization of its own.
    let organization_id = primary_organization(&state.db, account.id)
        .await?
        .unwrap_or(NO_ORGANIZATION);

    let upgraded_hash = if state.passwords.needs_rehash(&account.password_hash) {
        Some(state.passwords.upgrade(&password).await.map_err(internal)?)
    } else {
        None
    };
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    if let Some(hash) = upgraded_hash {
        let mut active = account.clone().into_active_model();
        active.password_hash = Set(hash);
        active.update(&txn).await.map_err(internal)?;
    }
    let auth = session_auth(&account, organization_id, client, now);
    let needs_second_factor = second_factor::is_required(&txn, account.id).await?;
    if !needs_second_factor {
        // The lock is checked again as the counters are cleared: one taken
        // while this password was being verified still holds.
        if !guesses::clear_after_sign_in(&txn, account.id, now).await? {
            txn.rollback().await.map_err(internal)?;
            record_failure(state, Some(&account), client, "locked", now).await?;
            return Err(AppError::InvalidCredentials);
        }
        record_sign_in(&txn, &auth, client, now).await?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(PasswordSignIn {
        auth,
        needs_second_factor,
    })
}

/// Emails the "account locked" notice, once per account per window.
pub(crate) async fn notify_lock(
    state: &AppState,
    account: &user::Model,
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if guesses::claim_notice(&state.db, account.id, Notice::Locked, now).await? {
        state
            .mailer
            .send_later(lock_notice(account, until, &state.settings.public_url));
    }
    Ok(())
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
        .unwrap_or(NO_ORGANIZATION);
    let account = account_of(&state.db, user_id).await?;
    let auth = session_auth(&account, organization_id, client, now);
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
            organization_id: (auth.organization_id != NO_ORGANIZATION)
                .then_some(auth.organization_id),
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
            // The account's event, not any organization's (see log_event).
            organization_id: None,
            client,
            detail: Some(reason),
        },
        now,
    )
    .await
}

/// Records an event about one account: it belongs to the user, not to any
/// organization they are in (owners see their members' sign-ins into their
/// organization, never their accounts' other events or other organizations).
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
            organization_id: None,
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
        subject: "Ledgerlock: sign-in to your account is locked".into(),
        body: format!(
            "Hello {name},\n\n\
             Someone failed to sign in to your Ledgerlock account several times in a row (a wrong \
             password, or a wrong code after the right password), so sign-in is locked until \
             {until} UTC.\n\n\
             If this was you, wait and try again, or reset your password at {public_url}/forgot-password.\n\
             If it was not you, nobody got in; if a code was guessed after your password, your \
             password is known to someone: change it.\n",
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
/// session and pending sign-in of the user, and tells them by email.
/// Answers the new session generation, for the caller's own session.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new_password: &str,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<i64, AppError> {
    let account = account_of(&state.db, caller.user_id).await?;
    let new_password =
        parse_new_password(&state.db, &account, new_password, "new_password").await?;
    // The current password is a guess like any step-up: counted, and refused
    // unheard while the account is locked (so a stolen session can neither
    // guess it freely nor change it to lift a lock).
    if let Err(error) =
        identity::prove_current_password(state, &account, current, client, now).await
    {
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
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
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
    let context = OwnedPasswordContext {
        email: account.email.clone(),
        organization,
        name: account.name.clone(),
    };
    passwords::parse_new(input, context)
        .await
        .map_err(|error| match error {
            AppError::Invalid { message, .. } => AppError::Invalid {
                field: field.into(),
                message,
            },
            other => other,
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
/// user's sessions and pending sign-ins (a new session generation) but the
/// one to keep, which the caller moves to the new generation
/// ([`crate::ssr::auth::adopt_generation`]); records the event; then commits
/// and emails the user.
pub async fn store_new_password(
    state: &AppState,
    txn: DatabaseTransaction,
    account: user::Model,
    password: &NewPassword,
    event: NewPasswordEvent<'_>,
    now: OffsetDateTime,
) -> Result<i64, AppError> {
    let hash = state.passwords.hash(password).await.map_err(internal)?;
    let mut active = account.clone().into_active_model();
    active.password_hash = Set(hash);
    active.password_changed_at = Set(Some(now));
    active.update(&txn).await.map_err(internal)?;
    guesses::clear_after_new_password(&txn, account.id).await?;
    // Every session and pending sign-in of the old password is dead from the
    // commit on, including any request still in flight with one of them.
    let (_, generation) = sessions::end_generation(&txn, account.id, event.keep_session).await?;
    log_event(&txn, &account, event.kind, true, event.client, now).await?;
    txn.commit().await.map_err(internal)?;
    state.mailer.send_later(password_changed_notice(
        &account,
        &state.settings.public_url,
    ));
    Ok(generation)
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
    let Some(account) = user::Entity::find_by_id(caller.user_id)
        .one(&state.db)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    if !caller.has_organization() {
        return Ok(Some(Viewer {
            name: account.name,
            email: account.email,
            organization_name: String::new(),
            role: String::new(),
            permissions: Vec::new(),
            limited_to_customers: false,
            organization_count: 0,
            must_set_up_second_factor: false,
            email_confirmed: account.email_verified_at.is_some(),
            account: crate::account_binding::tag(caller.handle, caller.organization_id),
            has_organization: false,
        }));
    }
    let Some((member, organization)) = access::load(&state.db, caller.clone()).await? else {
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
        email_confirmed: account.email_verified_at.is_some(),
        account: crate::account_binding::tag(caller.handle, caller.organization_id),
        has_organization: true,
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
