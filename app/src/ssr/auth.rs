//! Who is calling: the signed-in user kept in the server-side session.

use super::AppState;
use super::client::ClientInfo;
use super::errors::internal;
use super::services::{accounts, guesses, second_factor};
use super::session_store;
use crate::domain::SessionPolicy;
use crate::error::AppError;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

/// The session key under which [`SessionAuth`] is stored.
pub const AUTH_KEY: &str = "auth";

/// What a signed-in session remembers. Only ids, times and the device: names,
/// roles and permissions are read fresh from the database on every request,
/// so a change takes effect at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Unix seconds of the last authenticated request.
    pub last_seen_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Unix seconds when the user last proved who they are (sign-in, or a
    /// step-up confirmation).
    #[serde(default)]
    pub confirmed_at: i64,
    /// The user's session generation at sign-in: once the user's moves on
    /// (password change or reset, "sign out all others") this session is
    /// dead, whatever request still carries it (see `session_store`).
    #[serde(default)]
    pub generation: i64,
    /// Names this session for its user across id changes (the sessions
    /// page); random, set at sign-in. Sessions from before it existed get one
    /// on their next request.
    #[serde(default = "Uuid::new_v4")]
    pub handle: Uuid,
}

/// The organization of a session whose user belongs to none (removed from
/// their last one): such a session reaches only the user's own account
/// pages, invitations, and creating an organization.
pub const NO_ORGANIZATION: Uuid = Uuid::nil();

/// The session key of a sign-in whose password was right but whose second
/// factor is still to come. It grants nothing: no server function treats it
/// as signed in.
pub const PENDING_KEY: &str = "pending_sign_in";
/// How long the second step may take.
pub const PENDING_LIFETIME: time::Duration = time::Duration::minutes(5);

/// Session keys of every multi-step flow: a pending sign-in and the passkey
/// and authenticator-app ceremonies. Each is bound to the user that started
/// it, and all of them are dropped whenever a sign-in begins, completes or
/// ends, the organization changes or the password changes
/// ([`reset_flows`]), so no step of one account's flow can finish another's.
pub const FLOW_KEYS: [&str; 4] = [
    PENDING_KEY,
    super::services::passkeys::REGISTRATION_KEY,
    super::services::passkeys::AUTHENTICATION_KEY,
    super::services::second_factor::TOTP_ENROLMENT_KEY,
];

/// Drops every multi-step flow in progress in this session.
pub async fn reset_flows(session: &Session) -> Result<(), AppError> {
    for key in FLOW_KEYS {
        session.remove_value(key).await.map_err(internal)?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// What the session will hold once the second factor is proved.
    pub auth: SessionAuth,
}

impl PendingSignIn {
    pub fn is_fresh(&self, now: OffsetDateTime) -> bool {
        now - unix(self.auth.signed_in_at) < PENDING_LIFETIME
    }
}

/// Starts the second step of a sign-in, under a fresh session id. A sign-in
/// beginning ends whatever the session held before: the previous sign-in and
/// every flow in progress.
pub async fn begin_pending(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    reset_flows(session).await?;
    session.remove_value(AUTH_KEY).await.map_err(internal)?;
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(PENDING_KEY, PendingSignIn { auth })
        .await
        .map_err(internal)
}

/// The sign-in waiting for its second factor, if it is still fresh and was
/// begun under the user's current password (a change or reset since ends it).
pub async fn fresh_pending(
    state: &AppState,
    session: &Session,
    now: OffsetDateTime,
) -> Result<PendingSignIn, AppError> {
    let pending = session
        .get::<PendingSignIn>(PENDING_KEY)
        .await
        .ok()
        .flatten()
        .filter(|pending| pending.is_fresh(now))
        .ok_or_else(|| start_again("This sign-in has expired."))?;
    let current = accounts::account_of(&state.db, pending.auth.user_id)
        .await
        .ok()
        .is_some_and(|account| account.session_generation == pending.auth.generation);
    if !current {
        reset_flows(session).await?;
        return Err(start_again("This sign-in has expired."));
    }
    Ok(pending)
}

/// The second step failed: counted against the account in the database (see
/// `guesses`). The fifth failure in a row locks the account and the user must
/// sign in again once the lock has passed. At most one warning mail per
/// account and hour: whoever it was knew the password.
pub async fn count_second_step_failure(
    state: &AppState,
    pending: PendingSignIn,
    logged: guesses::Logged<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let user_id = pending.auth.user_id;
    let failure =
        guesses::count_failure(&state.db, user_id, guesses::Guess::SecondStep, logged, now).await?;
    let account = accounts::account_of(&state.db, user_id).await?;
    if guesses::claim_notice(&state.db, user_id, guesses::Notice::SecondStepFailed, now).await? {
        state.mailer.send_later(second_factor::notice(
            &account,
            "a sign-in failed at the second step",
            "Someone entered your password, then failed the second step (passkey or code). \
             If it was not you, change your password now: it is known to someone else.",
        ));
    }
    if let Some(until) = failure.lock_started {
        accounts::notify_lock(state, &account, until, now).await?;
    }
    // The pending sign-in stays until it expires or another begins: every
    // later attempt on it meets the lock and is counted too (dropping it
    // here would let parallel attempts that arrive later go uncounted).
    if failure.reached_limit() {
        return Err(start_again("Too many failed attempts."));
    }
    Ok(())
}

/// Refuses the second step while the account is locked: nothing is checked,
/// not even a right code, and the attempt is counted like a failed one.
pub async fn refuse_if_locked(
    state: &AppState,
    pending: &PendingSignIn,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    if guesses::locked_now(&state.db, pending.auth.user_id, now).await? {
        let logged = guesses::Logged {
            event: Some(crate::domain::SecurityEventKind::SecondFactorFailed),
            reason: Some("locked"),
            client,
        };
        guesses::count_failure(
            &state.db,
            pending.auth.user_id,
            guesses::Guess::SecondStep,
            logged,
            now,
        )
        .await?;
        return Err(start_again("Too many failed attempts."));
    }
    Ok(())
}

/// The second factor is proved: the session is signed in from now on,
/// unless the account was locked meanwhile (a lock taken while this answer
/// was in flight holds).
pub async fn complete_second_step(
    state: &AppState,
    session: &Session,
    pending: PendingSignIn,
    client: &ClientInfo,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let auth = SessionAuth {
        signed_in_at: now.unix_timestamp(),
        last_seen_at: now.unix_timestamp(),
        confirmed_at: now.unix_timestamp(),
        ..pending.auth
    };
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    if !guesses::clear_after_sign_in(&txn, auth.user_id, now).await? {
        txn.rollback().await.map_err(internal)?;
        reset_flows(session).await?;
        return Err(start_again("Too many failed attempts."));
    }
    accounts::record_sign_in(&txn, &auth, client, now).await?;
    txn.commit().await.map_err(internal)?;
    begin(session, auth).await
}

fn start_again(message: &str) -> AppError {
    AppError::Invalid {
        field: "code".into(),
        message: format!("{message} Sign in again with your email and password."),
    }
}

/// The signed-in caller of a server function.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    /// The session's handle (see [`SessionAuth::handle`]).
    pub handle: Uuid,
    pub signed_in_at: OffsetDateTime,
    pub confirmed_at: OffsetDateTime,
    pub session: Session,
}

impl Caller {
    pub fn from_session(auth: SessionAuth, session: Session) -> Self {
        Self {
            user_id: auth.user_id,
            organization_id: auth.organization_id,
            handle: auth.handle,
            signed_in_at: unix(auth.signed_in_at),
            confirmed_at: unix(auth.confirmed_at),
            session,
        }
    }

    /// Whether the session works in an organization (see [`NO_ORGANIZATION`]).
    pub fn has_organization(&self) -> bool {
        self.organization_id != NO_ORGANIZATION
    }

    /// Sensitive actions call this first: it refuses unless the user proved
    /// who they are within the step-up window.
    pub fn require_recent_confirmation(&self, now: OffsetDateTime) -> Result<(), AppError> {
        if crate::domain::recently_confirmed(self.confirmed_at, now) {
            Ok(())
        } else {
            Err(AppError::ConfirmationRequired)
        }
    }
}

/// Records a fresh confirmation in the session, under a new id.
pub async fn mark_confirmed(
    db: &DatabaseConnection,
    session: &Session,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    rewrite(db, session, |auth| auth.confirmed_at = now.unix_timestamp()).await
}

/// Changes what a signed-in session holds, under a new id (every such
/// change is a change of privilege).
async fn rewrite(
    db: &DatabaseConnection,
    session: &Session,
    change: impl FnOnce(&mut SessionAuth),
) -> Result<(), AppError> {
    let Some(mut auth) = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(internal)?
    else {
        return Err(AppError::Unauthenticated);
    };
    change(&mut auth);
    // A session ended meanwhile (by the user on another device) is not
    // brought back under a new id: its row must still be there to be cycled.
    if !session_store::take_row(db, session).await? {
        return Err(AppError::Unauthenticated);
    }
    session.cycle_id().await.map_err(internal)?;
    session.insert(AUTH_KEY, auth).await.map_err(internal)
}

fn unix(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The session's sign-in, if it is still within the idle and absolute
/// limits; a session past them is deleted. Marks the session as seen now.
pub async fn signed_in(
    session: &Session,
    policy: &SessionPolicy,
    now: OffsetDateTime,
) -> Result<Option<SessionAuth>, AppError> {
    let auth = match session.get::<SessionAuth>(AUTH_KEY).await {
        Ok(Some(auth)) => auth,
        Ok(None) => return Ok(None),
        // Unreadable (e.g. written by an older version): treat as signed out.
        Err(_) => {
            session.flush().await.map_err(internal)?;
            return Ok(None);
        }
    };
    if !policy.allows(unix(auth.signed_in_at), unix(auth.last_seen_at), now) {
        session.flush().await.map_err(internal)?;
        return Ok(None);
    }
    let seen = SessionAuth {
        last_seen_at: now.unix_timestamp(),
        ..auth
    };
    session
        .insert(AUTH_KEY, seen.clone())
        .await
        .map_err(internal)?;
    Ok(Some(seen))
}

/// Marks the session as signed in, under a fresh id so that an id planted
/// before sign-in (session fixation) is worthless afterwards. Every flow in
/// progress ends.
pub async fn begin(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    reset_flows(session).await?;
    session.cycle_id().await.map_err(internal)?;
    session.insert(AUTH_KEY, auth).await.map_err(internal)
}

/// Points the signed-in session at another of the user's organizations,
/// under a new id. The caller has checked the membership. Flows in progress
/// end.
pub async fn switch_organization(
    db: &DatabaseConnection,
    session: &Session,
    organization_id: Uuid,
) -> Result<(), AppError> {
    reset_flows(session).await?;
    rewrite(db, session, |auth| auth.organization_id = organization_id).await
}

/// After the user's session generation moved on (a password change, "sign
/// out all others"): this session, which made the change, carries on under
/// the new generation and a new id, with every flow in progress ended.
/// `confirmed_at` is given when the change itself proved who the user is
/// (the current password), and only then.
pub async fn adopt_generation(
    db: &DatabaseConnection,
    session: &Session,
    generation: i64,
    confirmed_at: Option<OffsetDateTime>,
) -> Result<(), AppError> {
    reset_flows(session).await?;
    rewrite(db, session, |auth| {
        auth.generation = generation;
        if let Some(at) = confirmed_at {
            auth.confirmed_at = at.unix_timestamp();
        }
    })
    .await
}

/// Deletes the session on the server and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}
