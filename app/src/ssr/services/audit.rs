//! The audit log of billing changes: written in the same transaction as the
//! change, and tamper-evident. Each organization's events form a chain:
//! every event stores the previous event's hash and the SHA-256 of its own
//! content including that link, and the organization's billing row keeps the
//! chain's head, so an edited, removed or inserted event breaks it.

use crate::error::AppError;
use crate::ssr::access::{CustomerReach, Tenant};
use crate::ssr::calendar::OrgTimeZone;
use crate::ssr::entities::{audit_event, billing_settings};
use crate::ssr::errors::internal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

/// Records `change` in a transaction of its own: for events that come with
/// no other write (a download).
pub async fn record_alone(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    change: Change,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.map_err(internal)?;
    lock(&txn, scope.organization_id).await?;
    record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)
}

/// The outcome of checking one organization's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub events: u64,
    /// The first broken link: its sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

const VERIFY_BATCH: u64 = 1000;

/// Walks the organization's chain from the start, in batches.
pub async fn verify(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<ChainCheck, AppError> {
    let mut expected_prev = GENESIS.to_owned();
    let mut expected_seq = 1_i64;
    let mut events = 0_u64;
    loop {
        let batch = audit_event::Entity::find()
            .filter(audit_event::Column::OrganizationId.eq(organization_id))
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(db)
            .await
            .map_err(internal)?;
        let last_batch = (batch.len() as u64) < VERIFY_BATCH;
        for event in batch {
            let broken = |reason: &str| ChainCheck {
                events,
                broken: Some((expected_seq, reason.to_owned())),
            };
            if event.seq != expected_seq {
                return Ok(broken("an event is missing"));
            }
            if event.prev_hash != expected_prev {
                return Ok(broken("the link to the previous event does not match"));
            }
            if event_hash(&event) != event.hash {
                return Ok(broken("the event's content was changed"));
            }
            expected_prev = event.hash;
            expected_seq += 1;
            events += 1;
        }
        if last_batch {
            break;
        }
    }
    let head = billing_settings::Entity::find_by_id(organization_id)
        .one(db)
        .await
        .map_err(internal)?;
    if let Some(head) = head
        && (head.audit_head != expected_prev || head.audit_seq != expected_seq - 1)
    {
        return Ok(ChainCheck {
            events,
            broken: Some((
                expected_seq,
                "events at the end of the chain are missing".into(),
            )),
        });
    }
    Ok(ChainCheck {
        events,
        broken: None,
    })
}
