//! The audit log of billing changes: written in the same transaction as the
//! change, and tamper-evident. Each organization's events form a chain:
//! every event stores the previous event's hash and the SHA-256 of its own
//! content including that link, and the organization's billing row keeps the
//! chain's head, so an edited, removed or inserted event breaks it.

use crate::error::AppError;
use crate::ssr::access::{CustomerReach, Tenant};
use crate::ssr::calendar::OrgTimeZone;
use crate::ssr::crypto::SecretBox;
use crate::ssr::entities::{audit_event, billing_settings};
use crate::ssr::errors::internal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// The head of an empty chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    Customer(Uuid),
    System,
    /// Stripe's webhook: card payments and their refunds (issue 15).
    Stripe,
}

impl Actor {
    fn kind(self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::Customer(_) => "customer",
            Self::System => "system",
            Self::Stripe => "system: Stripe",
        }
    }

    fn id(self) -> Option<Uuid> {
        match self {
            Self::User(id) | Self::Customer(id) => Some(id),
            Self::System | Self::Stripe => None,
        }
    }
}

/// Where changes come from: one request of one actor in one organization.
#[derive(Debug, Clone)]
pub struct Scope {
    pub organization_id: Uuid,
    pub actor: Actor,
    pub request_id: String,
    pub client_ip: String,
    /// Which customers the actor may reach.
    pub customers: CustomerReach,
    /// The organization's calendar: document and payment dates are its days.
    pub time_zone: OrgTimeZone,
}

impl Scope {
    /// The organization's day at `now`.
    pub fn today(&self, now: OffsetDateTime) -> Date {
        self.time_zone.today(now)
    }

    /// The organization and customers this actor may read and change.
    pub fn tenant(&self) -> Tenant {
        Tenant {
            organization_id: self.organization_id,
            customers: self.customers,
        }
    }
}

/// One change, as the log describes it.
pub struct Change {
    /// `area.verb`, e.g. `invoice.issued`.
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Uuid,
    pub summary: String,
    /// The customer the change concerns: members limited to a list of
    /// customers see only their customers' events.
    pub customer_id: Option<Uuid>,
}

/// Takes the organization's billing lock for this transaction and returns
/// its billing settings. Every billing write starts here: it serializes an
/// organization's writers (a row lock on PostgreSQL, the write lock on
/// SQLite), which keeps number series gapless and the chain linear.
pub async fn lock(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<billing_settings::Model, AppError> {
    let locked = billing_settings::Entity::update_many()
        .col_expr(
            billing_settings::Column::AuditSeq,
            Expr::col(billing_settings::Column::AuditSeq),
        )
        .filter(billing_settings::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await
        .map_err(internal)?;
    if locked.rows_affected != 1 {
        return Err(internal(anyhow::anyhow!(
            "organization {organization_id} has no billing settings"
        )));
    }
    billing_settings::Entity::find_by_id(organization_id)
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("billing settings vanished")))
}

/// The organization's billing settings, read without locking.
pub async fn settings(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<billing_settings::Model, AppError> {
    billing_settings::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("billing settings missing")))
}

/// The hash of an event's content and its link to the previous event.
fn event_hash(event: &audit_event::Model) -> String {
    let content = serde_json::json!([
        event.organization_id,
        event.seq,
        event.occurred_at.unix_timestamp(),
        event.actor_kind,
        event.actor_id,
        event.action,
        event.object_type,
        event.object_id,
        event.summary,
        event.request_id,
        event.client_ip,
        event.prev_hash,
    ]);
    // Events written before customers were recorded hash as they always did.
    let content = match (content, event.customer_id) {
        (serde_json::Value::Array(mut fields), Some(customer_id)) => {
            fields.push(serde_json::json!(customer_id));
            serde_json::Value::Array(fields)
        }
        (content, _) => content,
    };
    hex(&Sha256::digest(content.to_string().as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends `change` to the organization's chain. Call inside the
/// transaction that makes the change, after [`lock`].
pub async fn record(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    change: Change,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let head = billing_settings::Entity::find_by_id(scope.organization_id)
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("billing settings missing")))?;
    let mut event = audit_event::Model {
        id: Uuid::new_v4(),
        organization_id: scope.organization_id,
        seq: head.audit_seq + 1,
        // Whole seconds: what is hashed must survive every database's
        // timestamp precision unchanged.
        occurred_at: now.replace_nanosecond(0).unwrap_or(now),
        actor_kind: scope.actor.kind().to_owned(),
        actor_id: scope.actor.id(),
        action: change.action.to_owned(),
        object_type: change.object_type.to_owned(),
        object_id: change.object_id,
        summary: change.summary,
        customer_id: change.customer_id,
        request_id: scope.request_id.clone(),
        client_ip: scope.client_ip.clone(),
        prev_hash: head.audit_head.clone(),
        hash: String::new(),
    };
    event.hash = event_hash(&event);
    let mut settings: billing_settings::ActiveModel = head.into();
    settings.audit_seq = Set(event.seq);
    settings.audit_head = Set(event.hash.clone());
    audit_event::ActiveModel::from(event)
        .insert(txn)
        .await
        .map_err(internal)?;
    settings.update(txn).await.map_err(internal)?;
    Ok(())
}

/// How often one actor's reads of one document are recorded: a PDF
/// download, an export, a recipient opening a link (issue 16). Reloading
/// a page or downloading again within this time adds nothing to the chain,
/// so no reader can grow it without bound.
pub const READ_RECORD_INTERVAL: time::Duration = time::Duration::hours(1);

/// Whether `scope`'s actor recorded a change with `change`'s action,
/// object, customer and summary within [`READ_RECORD_INTERVAL`] before
/// `now`. Callers put in the summary whatever makes two reads different
/// documents (a draft's content, an export's reach).
async fn read_recorded_recently(
    db: &impl ConnectionTrait,
    scope: &Scope,
    change: &Change,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let mut recent = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(scope.organization_id))
        .filter(audit_event::Column::ObjectId.eq(change.object_id))
        .filter(audit_event::Column::ActorKind.eq(scope.actor.kind()))
        .filter(audit_event::Column::Action.eq(change.action))
        .filter(audit_event::Column::Summary.eq(change.summary.as_str()))
        .filter(audit_event::Column::OccurredAt.gt(now - READ_RECORD_INTERVAL));
    recent = match scope.actor.id() {
        Some(id) => recent.filter(audit_event::Column::ActorId.eq(id)),
        None => recent.filter(audit_event::Column::ActorId.is_null()),
    };
    // A draft can change customer between two downloads: each customer's
    // report shows its own.
    recent = match change.customer_id {
        Some(id) => recent.filter(audit_event::Column::CustomerId.eq(id)),
        None => recent.filter(audit_event::Column::CustomerId.is_null()),
    };
    Ok(recent.one(db).await.map_err(internal)?.is_some())
}

/// Records a read (`change`: a download, an export, a view) in a
/// transaction of its own unless the same actor made the same read of the
/// same object within [`READ_RECORD_INTERVAL`]. The check is made again
/// under the organization's lock, so reads sent at once record one event;
/// `also` runs in that transaction when the event is written (a link's
/// "opened" time). Returns whether an event was written.
///
/// # Errors
/// Internal only.
pub async fn record_read<F>(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    change: Change,
    now: OffsetDateTime,
    also: F,
) -> Result<bool, AppError>
where
    F: AsyncFnOnce(&sea_orm::DatabaseTransaction) -> Result<(), AppError>,
{
    if read_recorded_recently(db, scope, &change, now).await? {
        return Ok(false);
    }
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    lock(&txn, scope.organization_id).await?;
    if read_recorded_recently(&txn, scope, &change, now).await? {
        // Nothing written: end the transaction now, releasing the lock.
        txn.rollback().await.map_err(internal)?;
        return Ok(false);
    }
    also(&txn).await?;
    record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(true)
}

/// The outcome of checking one organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub events: u64,
    /// The first broken link: its sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

const VERIFY_BATCH: u64 = 1000;

/// Walks the organization's whole chain from its first event, in batches of
/// 1,000 (`ledgerlock audit verify`).
pub async fn verify(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<ChainCheck, AppError> {
    Ok(walk(db, organization_id, 0, GENESIS.to_owned()).await?.0)
}

/// Checks the organization's chain from the last event a check found
/// intact (the audit page, issue 16): that event's stored hash must still
/// match its content and the checkpoint, then every later event is walked
/// as [`verify`] does, and an intact result moves the checkpoint to the
/// head. The checkpoint is sealed with `secrets` (its associated data names
/// the organization): one that does not open (forged, moved, another
/// organization's, or from a key no longer in the key file) is ignored and
/// the whole chain is walked. An edit to an event before an honest
/// checkpoint shows only in the full check.
///
/// Returns the check and the first event it read (1 for a full walk).
///
/// # Errors
/// Internal only.
pub async fn verify_since_checkpoint(
    db: &impl ConnectionTrait,
    secrets: &SecretBox,
    organization_id: Uuid,
) -> Result<(ChainCheck, i64), AppError> {
    let settings = settings(db, organization_id).await?;
    let associated_data = format!("audit-checkpoint:{organization_id}");
    let (from_seq, from_hash) = secrets
        .open(&settings.audit_checkpoint, &associated_data)
        .ok()
        .and_then(|plain| String::from_utf8(plain).ok())
        .and_then(|plain| {
            let (seq, hash) = plain.split_once(':')?;
            Some((seq.parse::<i64>().ok()?, hash.to_owned()))
        })
        .filter(|(seq, _)| *seq > 0)
        .unwrap_or_else(|| (0, GENESIS.to_owned()));
    if from_seq > 0 {
        let anchor = audit_event::Entity::find()
            .filter(audit_event::Column::OrganizationId.eq(organization_id))
            .filter(audit_event::Column::Seq.eq(from_seq))
            .one(db)
            .await
            .map_err(internal)?;
        let intact = anchor
            .as_ref()
            .is_some_and(|event| event.hash == from_hash && event_hash(event) == event.hash);
        if !intact {
            return Ok((
                ChainCheck {
                    events: u64::try_from(from_seq - 1).unwrap_or(0),
                    broken: Some((
                        from_seq,
                        "the last checked event was changed or removed".into(),
                    )),
                },
                from_seq,
            ));
        }
    }
    let (check, last_hash) = walk(db, organization_id, from_seq, from_hash).await?;
    let seq = i64::try_from(check.events).unwrap_or(i64::MAX);
    if check.broken.is_none() && seq > from_seq {
        let sealed = secrets
            .seal(format!("{seq}:{last_hash}").as_bytes(), &associated_data)
            .map_err(internal)?;
        // Only over the checkpoint this check started from: of two checks
        // at once, one moves it and the other leaves it.
        billing_settings::Entity::update_many()
            .col_expr(
                billing_settings::Column::AuditCheckpoint,
                Expr::value(sealed),
            )
            .filter(billing_settings::Column::OrganizationId.eq(organization_id))
            .filter(billing_settings::Column::AuditCheckpoint.eq(settings.audit_checkpoint))
            .exec(db)
            .await
            .map_err(internal)?;
    }
    Ok((check, from_seq + 1))
}

/// Walks the chain from the event after `after_seq`, whose hash must be
/// `after_hash`, to the head the billing settings name. `events` in the
/// result counts from the chain's start; the hash is the last event's
/// that was found intact.
///
/// The head is read before the events it covers (a writer commits an event
/// and the head together), so events appended while the walk runs never
/// look like a broken end; an event beyond the head is an insertion unless
/// a fresh read of the head covers it, and then the walk goes on to there.
async fn walk(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    after_seq: i64,
    after_hash: String,
) -> Result<(ChainCheck, String), AppError> {
    let mut expected_prev = after_hash;
    let mut expected_seq = after_seq + 1;
    let mut events = u64::try_from(after_seq).unwrap_or(0);
    let mut head = settings(db, organization_id).await?;
    // The chain starts at 1: a row numbered below would never be walked,
    // yet the log would show it.
    let impossible = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::Seq.lt(1))
        .count(db)
        .await
        .map_err(internal)?;
    if impossible > 0 {
        return Ok((
            ChainCheck {
                events: 0,
                broken: Some((0, "an event is numbered before the chain's start".into())),
            },
            expected_prev,
        ));
    }
    loop {
        while expected_seq <= head.audit_seq {
            let batch = audit_event::Entity::find()
                .filter(audit_event::Column::OrganizationId.eq(organization_id))
                .filter(audit_event::Column::Seq.gte(expected_seq))
                .filter(audit_event::Column::Seq.lte(head.audit_seq))
                .order_by_asc(audit_event::Column::Seq)
                .limit(VERIFY_BATCH)
                .all(db)
                .await
                .map_err(internal)?;
            if batch.is_empty() {
                break;
            }
            for event in batch {
                let broken = |reason: &str| ChainCheck {
                    events,
                    broken: Some((expected_seq, reason.to_owned())),
                };
                if event.seq != expected_seq {
                    return Ok((broken("an event is missing"), expected_prev));
                }
                if event.prev_hash != expected_prev {
                    return Ok((
                        broken("the link to the previous event does not match"),
                        expected_prev,
                    ));
                }
                if event_hash(&event) != event.hash {
                    return Ok((broken("the event's content was changed"), expected_prev));
                }
                expected_prev = event.hash;
                expected_seq += 1;
                events += 1;
            }
        }
        if head.audit_head != expected_prev || head.audit_seq != expected_seq - 1 {
            return Ok((
                ChainCheck {
                    events,
                    broken: Some((
                        expected_seq,
                        "events at the end of the chain are missing".into(),
                    )),
                },
                expected_prev,
            ));
        }
        let beyond = audit_event::Entity::find()
            .filter(audit_event::Column::OrganizationId.eq(organization_id))
            .filter(audit_event::Column::Seq.gt(head.audit_seq))
            .count(db)
            .await
            .map_err(internal)?;
        if beyond == 0 {
            return Ok((
                ChainCheck {
                    events,
                    broken: None,
                },
                expected_prev,
            ));
        }
        let fresh = settings(db, organization_id).await?;
        if fresh.audit_seq == head.audit_seq {
            return Ok((
                ChainCheck {
                    events,
                    broken: Some((
                        expected_seq,
                        "an event was added after the end of the chain".into(),
                    )),
                },
                expected_prev,
            ));
        }
        head = fresh;
    }
}
