//! The queue of outgoing documents, kept in the database: a message is
//! queued in the same transaction as what it announces, so a crash or an
//! SMTP outage loses nothing; a sender takes due messages one at a time
//! under a lease (several instances never send one message at once),
//! retries failures with growing delays, and gives up after
//! [`MAX_ATTEMPTS`].
//!
//! A queued message holds a link token, so it is sealed with the secrets
//! key (AES-256-GCM, the row id as associated data) and wiped once sent or
//! given up. Delivery is at least once: a crash between the SMTP server's
//! "OK" and the row's update sends that message again after the lease.

use crate::error::AppError;
use crate::ssr::crypto::SecretBox;
use crate::ssr::entities::outgoing_mail::{self, Column};
use crate::ssr::errors::internal;
use crate::ssr::mail::Mailer;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::sync::Arc;
use std::time::Duration as StdDuration;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;
use uuid::Uuid;

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// Attempts before a message is given up (about a day and a half).
pub const MAX_ATTEMPTS: i32 = 10;

/// How long a sender holds a message it took.
const LEASE: Duration = Duration::minutes(2);

/// The wait before attempt `n + 1` after `n` failures: 1, 2, 5, 10, 30
/// minutes, then hours.
fn backoff(failures: i32) -> Duration {
    match failures {
        ..=1 => Duration::minutes(1),
        2 => Duration::minutes(2),
        3 => Duration::minutes(5),
        4 => Duration::minutes(10),
        5 => Duration::minutes(30),
        6 => Duration::hours(1),
        7 => Duration::hours(2),
        _ => Duration::hours(6),
    }
}

/// What a queued message is about.
pub struct Queued {
    pub organization_id: Option<Uuid>,
    pub invoice_id: Option<Uuid>,
    pub portal_link_id: Option<Uuid>,
    pub recipient: String,
    pub kind: &'static str,
    /// From [`Mailer::compose`].
    pub message: Vec<u8>,
}

/// Queues a message (inside the caller's transaction); answers its id.
///
/// # Errors
/// Internal: sealing or the insert failed.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    secrets: &SecretBox,
    queued: Queued,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let id = Uuid::new_v4();
    let sealed = secrets
        .seal(&queued.message, &id.to_string())
        .map_err(internal)?;
    outgoing_mail::ActiveModel {
        id: Set(id),
        organization_id: Set(queued.organization_id),
        invoice_id: Set(queued.invoice_id),
        portal_link_id: Set(queued.portal_link_id),
        recipient: Set(queued.recipient),
        kind: Set(queued.kind.to_owned()),
        message: Set(Some(sealed)),
        state: Set(QUEUED.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(txn)
    .await
    .map_err(internal)?;
    Ok(id)
}

/// Takes message `id` if it is due and nobody holds it; answers whether
/// this caller now holds it.
async fn take(db: &DatabaseConnection, id: Uuid, now: OffsetDateTime) -> Result<bool, AppError> {
    let taken = outgoing_mail::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(now + LEASE))
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(QUEUED))
        .filter(
            Condition::any()
                .add(Column::LockedUntil.is_null())
                .add(Column::LockedUntil.lt(now)),
        )
        .exec(db)
        .await
        .map_err(internal)?;
    Ok(taken.rows_affected == 1)
}

/// Sends every message due at `now` (at most `limit`); answers how many
/// were sent.
///
/// # Errors
/// Internal: the database failed (a failing SMTP server is not an error
/// here: the message is scheduled again).
pub async fn deliver_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    secrets: &SecretBox,
    now: OffsetDateTime,
    limit: u64,
) -> Result<usize, AppError> {
    let due = outgoing_mail::Entity::find()
        .filter(Column::State.eq(QUEUED))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(Column::LockedUntil.is_null())
                .add(Column::LockedUntil.lt(now)),
        )
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await
        .map_err(internal)?;
    let mut sent = 0;
    for row in due {
        if !take(db, row.id, now).await? {
            continue;
        }
        let outcome = match &row.message {
            Some(sealed) => match secrets.open(sealed, &row.id.to_string()) {
                Ok(message) => mailer.send_raw(&row.recipient, &message).await,
                Err(_) => Err("the queued message cannot be decrypted".to_owned()),
            },
            None => Err("the queued message is missing".to_owned()),
        };
        let mut update: outgoing_mail::ActiveModel = row.clone().into();
        update.locked_until = Set(None);
        match outcome {
            Ok(()) => {
                update.state = Set(SENT.to_owned());
                update.message = Set(None);
                update.sent_at = Set(Some(now));
                update.attempts = Set(row.attempts + 1);
                update.last_error = Set(None);
                sent += 1;
                tracing::info!(kind = %row.kind, "queued mail sent");
            }
            Err(error) => {
                let attempts = row.attempts + 1;
                let reason: String = error.chars().take(300).collect();
                tracing::warn!(kind = %row.kind, attempts, error = %reason, "queued mail not sent");
                update.attempts = Set(attempts);
                update.last_error = Set(Some(reason));
                if attempts >= MAX_ATTEMPTS {
                    update.state = Set(FAILED.to_owned());
                    update.message = Set(None);
                } else {
                    update.next_attempt_at = Set(now + backoff(attempts));
                }
            }
        }
        update.update(db).await.map_err(internal)?;
    }
    Ok(sent)
}

/// Wakes the sender when something was queued.
#[derive(Clone, Default)]
pub struct QueueSignal(Arc<Notify>);

impl QueueSignal {
    /// Tells the sender to look now (it also looks every few seconds).
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Runs the sender until the process ends: due messages are sent when
/// [`QueueSignal::wake`] is called and every `interval` (retries, and
/// messages another instance queued). `clock` says when "now" is (the
/// billing clock: tests move it to make retries due).
pub fn spawn_sender(
    db: DatabaseConnection,
    mailer: Mailer,
    secrets: Arc<SecretBox>,
    signal: QueueSignal,
    clock: crate::ssr::clock::Clock,
    interval: StdDuration,
) {
    tokio::spawn(async move {
        loop {
            // Until nothing is left, a batch at a time.
            loop {
                match deliver_due(&db, &mailer, &secrets, clock.now(), 20).await {
                    Ok(20) => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::error!(?error, "the mail queue cannot be read");
                        break;
                    }
                }
            }
            let _ = tokio::time::timeout(interval, signal.0.notified()).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time() {
        let waits: Vec<Duration> = (1..MAX_ATTEMPTS).map(backoff).collect();
        assert!(waits.windows(2).all(|pair| pair[0] <= pair[1]));
        let total: Duration = waits.iter().copied().sum();
        assert!(
            total > Duration::hours(12),
            "an outage of half a day loses nothing"
        );
    }
}
