//! Per-account guess counters in the database (rule: `domain::lockout`).
//!
//! A failure is counted by an increment in the database and the lock decision
//! is taken from the incremented value, inside one transaction that holds the
//! account's row (PostgreSQL row lock; SQLite's single writer): twenty wrong
//! guesses sent at once are twenty failures, never one. Counters are cleared
//! only by a complete sign-in, and that clearing is conditional on the
//! account not being locked at that moment, so a lock taken while the right
//! password or code was in flight still holds.

use crate::domain::{Lockout, MAX_CONSECUTIVE_FAILURES, SecurityEventKind};
use crate::error::AppError;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::user;
use crate::ssr::errors::internal;
use crate::ssr::services::accounts::log_event;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, UpdateMany,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// What was guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// The password at sign-in.
    Password,
    /// A code, recovery code or passkey at the second step of a sign-in.
    SecondStep,
    /// A password or code confirming a sensitive action (step-up).
    StepUp,
}

impl Guess {
    fn column(self) -> user::Column {
        match self {
            Self::Password => user::Column::FailedSignIns,
            Self::SecondStep => user::Column::FailedSecondSteps,
            Self::StepUp => user::Column::FailedStepUps,
        }
    }

    fn count(self, account: &user::Model) -> i32 {
        match self {
            Self::Password => account.failed_sign_ins,
            Self::SecondStep => account.failed_second_steps,
            Self::StepUp => account.failed_step_ups,
        }
    }
}

/// At most one warning mail of each kind per account in this window, however
/// many requests fail at once.
pub const NOTICE_WINDOW: Duration = Duration::hours(1);

/// Which warning mail, for [`claim_notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Locked,
    SecondStepFailed,
}

/// One counted failure.
#[derive(Debug, Clone, Copy)]
pub struct Failure {
    /// Consecutive failures of this kind, this one included.
    pub failures: u32,
    /// The end of the lock this failure started, if it started one.
    pub lock_started: Option<OffsetDateTime>,
}

impl Failure {
    /// Whether this failure reached the limit: the guess that failed was the
    /// last one allowed before the lock.
    pub fn reached_limit(&self) -> bool {
        self.failures >= MAX_CONSECUTIVE_FAILURES
    }
}

/// The account's lock, from a row read now.
pub fn is_locked(account: &user::Model, now: OffsetDateTime) -> bool {
    account.locked_until.is_some_and(|until| until > now)
}

/// Reads the account and says whether it is locked now.
pub async fn locked_now(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await
        .map_err(internal)?
        .is_none_or(|account| is_locked(&account, now)))
}

/// How a counted failure goes to the security log: as `event` with the
/// detail `reason`, or not at all (`event` `None`: already logged).
pub struct Logged<'a> {
    pub event: Option<SecurityEventKind>,
    pub reason: Option<&'a str>,
    pub client: &'a ClientInfo,
}

/// Counts one failed guess of `kind` and logs it (and the lock it may start)
/// in the same transaction.
pub async fn count_failure(
    db: &DatabaseConnection,
    user_id: Uuid,
    kind: Guess,
    logged: Logged<'_>,
    now: OffsetDateTime,
) -> Result<Failure, AppError> {
    let client = logged.client;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let failure = increment(&txn, user_id, kind, now).await?;
    let account = crate::ssr::services::accounts::account_of(&txn, user_id).await?;
    if let Some(event) = logged.event {
        crate::ssr::services::accounts::log_event_about(
            &txn,
            &account,
            event,
            false,
            logged.reason,
            client,
            now,
        )
        .await?;
    }
    if failure.lock_started.is_some() {
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
    if failure.lock_started.is_some() {
        tracing::warn!(%user_id, ?kind, "account locked after repeated failures");
    }
    Ok(failure)
}

/// The increment and the lock decision, within `txn`.
async fn increment(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    kind: Guess,
    now: OffsetDateTime,
) -> Result<Failure, AppError> {
    let column = kind.column();
    user::Entity::update_many()
        .col_expr(column, Expr::col(column).add(1))
        .filter(user::Column::Id.eq(user_id))
        .exec(txn)
        .await
        .map_err(internal)?;
    // Read back in the same transaction: our own increment, and nobody
    // else's after it until we commit.
    let account = crate::ssr::services::accounts::account_of(txn, user_id).await?;
    let counted = Lockout {
        failures: u32::try_from(kind.count(&account)).unwrap_or(0),
        locks: u32::try_from(account.lock_count).unwrap_or(0),
        locked_until: account.locked_until,
    };
    let (after, started) = counted.after_counted_failure(now);
    if started {
        user::Entity::update_many()
            .col_expr(
                user::Column::LockCount,
                Expr::value(i32::try_from(after.locks).unwrap_or(i32::MAX)),
            )
            .col_expr(user::Column::LockedUntil, Expr::value(after.locked_until))
            .filter(user::Column::Id.eq(user_id))
            .exec(txn)
            .await
            .map_err(internal)?;
    }
    Ok(Failure {
        failures: counted.failures,
        lock_started: if started { after.locked_until } else { None },
    })
}

/// An update of the account that sets `counts` to zero and, with `unlock`,
/// lifts the lock.
fn reset(user_id: Uuid, counts: &[user::Column], unlock: bool) -> UpdateMany<user::Entity> {
    let mut update = user::Entity::update_many().filter(user::Column::Id.eq(user_id));
    for column in counts
        .iter()
        .copied()
        .chain(unlock.then_some(user::Column::LockCount))
    {
        update = update.col_expr(column, Expr::value(0));
    }
    if unlock {
        update = update.col_expr(
            user::Column::LockedUntil,
            Expr::value(Option::<OffsetDateTime>::None),
        );
    }
    update
}

/// A complete sign-in: clears every counter and lock, unless the account is
/// locked at this moment (then answers `false` and changes nothing).
pub async fn clear_after_sign_in(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let counts = [
        user::Column::FailedSignIns,
        user::Column::FailedSecondSteps,
        user::Column::FailedStepUps,
    ];
    let cleared = reset(user_id, &counts, true)
        .filter(not_locked(now))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(cleared.rows_affected == 1)
}

/// A successful step-up: clears the step-up count (only), unless locked.
pub async fn clear_step_ups(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let cleared = reset(user_id, &[user::Column::FailedStepUps], false)
        .filter(not_locked(now))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(cleared.rows_affected == 1)
}

/// A new password clears the password count: whoever set it proved control
/// of the account by a reset link or the current password. It lifts the lock
/// too, unless second steps or step-ups were being guessed (a reset proves
/// the mailbox, not the second factor: it must not buy more code guesses).
pub async fn clear_after_new_password(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<(), AppError> {
    reset(user_id, &[user::Column::FailedSignIns], false)
        .exec(db)
        .await
        .map_err(internal)?;
    let limit = i32::try_from(MAX_CONSECUTIVE_FAILURES).unwrap_or(i32::MAX);
    reset(user_id, &[], true)
        .filter(user::Column::FailedSecondSteps.lt(limit))
        .filter(user::Column::FailedStepUps.lt(limit))
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(())
}

fn not_locked(now: OffsetDateTime) -> Condition {
    Condition::any()
        .add(user::Column::LockedUntil.is_null())
        .add(user::Column::LockedUntil.lte(now))
}

/// Whether this request may send the warning mail `notice` now: true for
/// exactly one request per account per [`NOTICE_WINDOW`] (a conditional
/// update decides, so parallel failures send one mail).
pub async fn claim_notice(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    notice: Notice,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let column = match notice {
        Notice::Locked => user::Column::LockNoticeAt,
        Notice::SecondStepFailed => user::Column::SecondStepNoticeAt,
    };
    let claimed = user::Entity::update_many()
        .col_expr(column, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .filter(
            Condition::any()
                .add(column.is_null())
                .add(column.lte(now - NOTICE_WINDOW)),
        )
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(claimed.rows_affected == 1)
}

/// The answer to a guess refused because the account is locked: the same
/// words whatever was guessed, naming `field`.
pub fn locked_error(field: &str) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: "Too many failed attempts. Wait a while, then sign in again.".into(),
    }
}
