//! Who is calling: the signed-in user kept in the server-side session.

use super::AppState;
use super::client::ClientInfo;
use super::errors::internal;
use super::services::{accounts, second_factor};
use crate::domain::SessionPolicy;
use crate::error::AppError;
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
}

/// The session key of a sign-in whose password was right but whose second
/// factor is still to come. It grants nothing: no server function treats it
/// as signed in.
pub const PENDING_KEY: &str = "pending_sign_in";
/// How long the second step may take.
pub const PENDING_LIFETIME: time::Duration = time::Duration::minutes(5);
/// Wrong codes allowed before the whole sign-in must start again.
pub const MAX_SECOND_FACTOR_FAILURES: u32 = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// What the session will hold once the second factor is proved.
    pub auth: SessionAuth,
    pub failures: u32,
}

impl PendingSignIn {
    pub fn is_fresh(&self, now: OffsetDateTime) -> bool {
        now - unix(self.auth.signed_in_at) < PENDING_LIFETIME
    }
}

/// Starts the second step of a sign-in, under a fresh session id.
pub async fn begin_pending(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(PENDING_KEY, PendingSignIn { auth, failures: 0 })
        .await
        .map_err(internal)
}

/// The sign-in waiting for its second factor, if it is still fresh.
pub async fn fresh_pending(
    session: &Session,
    now: OffsetDateTime,
) -> Result<PendingSignIn, AppError> {
    session
        .get::<PendingSignIn>(PENDING_KEY)
        .await
        .ok()
        .flatten()
        .filter(|pending| pending.is_fresh(now))
        .ok_or_else(|| start_again("This sign-in has expired."))
}

/// The second step failed; after [`MAX_SECOND_FACTOR_FAILURES`] the sign-in
/// is forgotten and this answers the error that says to start again. The
/// first failure of a sign-in is emailed: whoever it was knew the password.
pub async fn count_second_step_failure(
    state: &AppState,
    session: &Session,
    pending: PendingSignIn,
) -> Result<(), AppError> {
    if pending.failures == 0 {
        let account = accounts::account_of(&state.db, pending.auth.user_id).await?;
        state.mailer.send_later(second_factor::notice(
            &account,
            "a sign-in failed at the second step",
            "Someone entered your password, then failed the second step (passkey or code). \
             If it was not you, change your password now: it is known to someone else.",
        ));
    }
    let failures = pending.failures + 1;
    if failures >= MAX_SECOND_FACTOR_FAILURES {
        session
            .remove::<PendingSignIn>(PENDING_KEY)
            .await
            .map_err(internal)?;
        return Err(start_again("Too many failed attempts."));
    }
    session
        .insert(
            PENDING_KEY,
            PendingSignIn {
                failures,
                ..pending
            },
        )
        .await
        .map_err(internal)
}

/// The second factor is proved: the session is signed in from now on.
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
    accounts::record_sign_in(&state.db, &auth, client, now).await?;
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
    pub signed_in_at: OffsetDateTime,
    pub confirmed_at: OffsetDateTime,
    pub session: Session,
}

impl Caller {
    pub fn from_session(auth: SessionAuth, session: Session) -> Self {
        Self {
            user_id: auth.user_id,
            organization_id: auth.organization_id,
            signed_in_at: unix(auth.signed_in_at),
            confirmed_at: unix(auth.confirmed_at),
            session,
        }
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
pub async fn mark_confirmed(session: &Session, now: OffsetDateTime) -> Result<(), AppError> {
    rewrite(session, |auth| auth.confirmed_at = now.unix_timestamp()).await
}

/// Changes what a signed-in session holds, under a new id (every such
/// change is a change of privilege).
async fn rewrite(session: &Session, change: impl FnOnce(&mut SessionAuth)) -> Result<(), AppError> {
    let Some(mut auth) = session
        .get::<SessionAuth>(AUTH_KEY)
        .await
        .map_err(internal)?
    else {
        return Err(AppError::Unauthenticated);
    };
    change(&mut auth);
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
/// before sign-in (session fixation) is worthless afterwards.
pub async fn begin(session: &Session, auth: SessionAuth) -> Result<(), AppError> {
    session.cycle_id().await.map_err(internal)?;
    session
        .remove::<PendingSignIn>(PENDING_KEY)
        .await
        .map_err(internal)?;
    session.insert(AUTH_KEY, auth).await.map_err(internal)
}

/// Points the signed-in session at another of the user's organizations,
/// under a new id. The caller has checked the membership.
pub async fn switch_organization(session: &Session, organization_id: Uuid) -> Result<(), AppError> {
    rewrite(session, |auth| auth.organization_id = organization_id).await
}

/// Deletes the session on the server and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(internal)
}
