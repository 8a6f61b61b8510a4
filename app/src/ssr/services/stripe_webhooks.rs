//! Stripe's webhook deliveries (issue 15), `POST /webhooks/stripe`.
//!
//! An event names a PaymentIntent (`payment_intent.*`) or a charge of one
//! (`charge.refunded`); the intent leads to the attempt, the attempt to its
//! organization, and that organization's signing secret must verify the
//! `Stripe-Signature` (HMAC-SHA256 of `t.payload`, 5 minutes' tolerance).
//! Events of intents Ledgerlock did not create are acknowledged and
//! ignored: they change nothing.
//!
//! A verified event is handled once, under the organization's lock, in one
//! transaction with its effect: its id is stored, so a second delivery
//! (concurrent, repeated or late) finds it and changes nothing.
//!
//! - `payment_intent.succeeded`: the payment is recorded, by the actor
//!   "system: Stripe", with its audit event; the payer gets a receipt and
//!   the owners a notice. An amount or currency that differs from what the
//!   server asked for is flagged to the owners instead.
//! - `payment_intent.payment_failed`: the attempt shows Stripe's reason,
//!   unless it already succeeded (events arrive in any order).
//! - `charge.refunded`: the refunded part (cumulative in Stripe's event)
//!   not yet reversed is reversed. Before the payment is recorded the event
//!   is refused (409), so Stripe delivers it again later.

use crate::components::money::format_money;
use crate::domain::card_payment::{SignatureError, from_stripe_units, stripe_units};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::CustomerReach;
use crate::ssr::entities::{card_payment, invoice as invoice_entity, stripe_event};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Actor, Change, Scope};
use crate::ssr::services::card_payments::{FAILED, FLAGGED, PROCESSING, STARTED, SUCCEEDED};
use crate::ssr::services::invoice_payments::{
    Entry, KIND_PAYMENT, KIND_REVERSAL, add_payment, payment_row,
};
use crate::ssr::services::mail_queue::{self, Queued};
use crate::ssr::services::payment_provider;
use crate::ssr::services::portal::zone_and_name;
use crate::ssr::services::reports::{OwnerNotice, mail_owners};
use crate::ssr::stripe::verify_signature;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use time::OffsetDateTime;

/// The parts of an event Ledgerlock reads.
#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: EventObject,
}

/// A PaymentIntent or a Charge.
#[derive(Deserialize)]
struct EventObject {
    id: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    amount_received: Option<i64>,
    #[serde(default)]
    amount_refunded: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    /// On a charge: its PaymentIntent.
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    last_payment_error: Option<crate::ssr::stripe::StripeMessage>,
    /// On a PaymentIntent: `ledgerlock_attempt` names the attempt, so an
    /// event that arrives before the intent's id was stored still finds it.
    #[serde(default)]
    metadata: Option<serde_json::Value>,
}

impl EventObject {
    fn attempt_id(&self) -> Option<uuid::Uuid> {
        self.metadata
            .as_ref()?
            .get("ledgerlock_attempt")?
            .as_str()?
            .parse()
            .ok()
    }

    /// Whether `attempt` already names another PaymentIntent than this one.
    fn other_intent_than(&self, attempt: &card_payment::Model) -> bool {
        attempt
            .payment_intent_id
            .as_deref()
            .is_some_and(|stored| stored != self.id)
    }
}

/// How a delivery was answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Handled now: `recorded`, `failed`, `refunded`, `flagged`, `ignored`.
    Handled(&'static str),
    /// Handled before: nothing changed.
    Duplicate,
    /// Not about an intent Ledgerlock created: nothing changed.
    Ignored,
    /// The signature did not verify (answered 400).
    Refused(SignatureError),
    /// Not an event (answered 400).
    Malformed,
    /// Too early (a refund before its payment): answered 409, Stripe
    /// delivers it again.
    Later,
}

/// Handles one delivery: `signature` is the `Stripe-Signature` header,
/// `payload` the raw body.
///
/// # Errors
/// Internal only; every refusal is a [`Delivery`].
pub async fn handle(
    state: &AppState,
    signature: &str,
    payload: &[u8],
    now: OffsetDateTime,
) -> Result<Delivery, AppError> {
    let Ok(event) = serde_json::from_slice::<Event>(payload) else {
        return Ok(Delivery::Malformed);
    };
    let intent_id = match event.kind.as_str() {
        "payment_intent.succeeded" | "payment_intent.payment_failed" => {
            Some(event.data.object.id.clone())
        }
        "charge.refunded" => event.data.object.payment_intent.clone(),
        _ => None,
    };
    let Some(intent_id) = intent_id else {
        return Ok(Delivery::Ignored);
    };
    let by_intent = card_payment::Entity::find()
        .filter(card_payment::Column::PaymentIntentId.eq(intent_id.as_str()))
        .one(&state.db)
        .await
        .map_err(internal)?;
    // Stripe may send the event before the call that created the intent has
    // returned (its id not stored yet): the intent's metadata names the
    // attempt. The signature is checked with that attempt's organization's
    // secret all the same.
    let attempt = match (by_intent, event.data.object.attempt_id()) {
        (Some(attempt), _) => Some(attempt),
        (None, Some(id)) if event.kind.starts_with("payment_intent.") => {
            card_payment::Entity::find_by_id(id)
                .one(&state.db)
                .await
                .map_err(internal)?
        }
        _ => None,
    };
    let Some(attempt) = attempt else {
        return Ok(Delivery::Ignored);
    };
    let organization_id = attempt.organization_id;
    let Some(account) =
        payment_provider::connected(&state.db, &state.secrets, organization_id).await?
    else {
        return Ok(Delivery::Refused(SignatureError::Mismatch));
    };
    if let Err(refused) = verify_signature(
        signature,
        payload,
        &account.webhook_secret,
        now.unix_timestamp(),
    ) {
        return Ok(Delivery::Refused(refused));
    }

    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    audit::lock(&txn, organization_id).await?;
    if stripe_event::Entity::find_by_id(event.id.clone())
        .one(&txn)
        .await
        .map_err(internal)?
        .is_some()
    {
        txn.rollback().await.map_err(internal)?;
        return Ok(Delivery::Duplicate);
    }
    // Read again under the lock: another event may have moved it.
    let attempt = card_payment::Entity::find_by_id(attempt.id)
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("attempt vanished")))?;
    let outcome = match event.kind.as_str() {
        "payment_intent.succeeded" => {
            succeeded(state, &txn, &attempt, &event.data.object, now).await?
        }
        "payment_intent.payment_failed" => failed(&txn, &attempt, &event.data.object, now).await?,
        _ => match refunded(&txn, &attempt, &event.data.object, now).await? {
            Some(outcome) => outcome,
            None => {
                txn.rollback().await.map_err(internal)?;
                return Ok(Delivery::Later);
            }
        },
    };
    stripe_event::ActiveModel {
        id: Set(event.id),
        organization_id: Set(organization_id),
        kind: Set(event.kind),
        outcome: Set(outcome.into()),
        received_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    state.mail_queue.wake();
    Ok(Delivery::Handled(outcome))
}

async fn stripe_scope(
    txn: &DatabaseTransaction,
    attempt: &card_payment::Model,
) -> Result<(Scope, String), AppError> {
    let (time_zone, organization) = zone_and_name(txn, attempt.organization_id).await?;
    Ok((
        Scope {
            organization_id: attempt.organization_id,
            actor: Actor::Stripe,
            request_id: String::new(),
            client_ip: String::new(),
            customers: CustomerReach::All,
            time_zone,
        },
        organization,
    ))
}

async fn set_attempt(
    txn: &DatabaseTransaction,
    attempt: &card_payment::Model,
    change: impl FnOnce(&mut card_payment::ActiveModel),
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let mut active: card_payment::ActiveModel = attempt.clone().into();
    change(&mut active);
    active.updated_at = Set(now);
    active.update(txn).await.map_err(internal)?;
    Ok(())
}

async fn succeeded(
    state: &AppState,
    txn: &DatabaseTransaction,
    attempt: &card_payment::Model,
    object: &EventObject,
    now: OffsetDateTime,
) -> Result<&'static str, AppError> {
    if ![STARTED, PROCESSING, FAILED].contains(&attempt.status.as_str()) {
        // Already recorded (or flagged): a second success changes nothing.
        return Ok("ignored");
    }
    let (scope, organization) = stripe_scope(txn, attempt).await?;
    let currency =
        Currency::parse(&attempt.currency).map_err(|_| internal(anyhow::anyhow!("currency")))?;
    let expected = stripe_units(currency, currency.from_minor(attempt.amount_minor)).ok();
    let received = object.amount_received.or(object.amount);
    let same_currency = object
        .currency
        .as_deref()
        .is_some_and(|code| code.eq_ignore_ascii_case(currency.code()));
    let invoice = invoice_entity::Entity::find_by_id(attempt.invoice_id)
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("invoice vanished")))?;
    let number = invoice.number.clone().unwrap_or_default();
    let problem = if object.other_intent_than(attempt) {
        Some("a second charge for one payment attempt")
    } else if invoice.voided_at.is_some() {
        Some("the invoice was voided before the card payment came in")
    } else if expected.is_none() || received != expected || !same_currency {
        Some("the amount differs from the one the customer was asked to pay")
    } else {
        None
    };
    if let Some(problem) = problem {
        set_attempt(
            txn,
            attempt,
            |active| {
                active.status = Set(FLAGGED.into());
                active.failure = Set(format!("Not recorded: {problem}."));
                if attempt.payment_intent_id.is_none() {
                    active.payment_intent_id = Set(Some(object.id.clone()));
                }
            },
            now,
        )
        .await?;
        audit::record(
            txn,
            &scope,
            Change {
                action: "payment.flagged",
                object_type: "invoice",
                object_id: attempt.invoice_id,
                summary: format!(
                    "card payment {} reported as {} {}, asked {}: not recorded ({problem})",
                    object.id,
                    received.unwrap_or_default(),
                    object.currency.as_deref().unwrap_or("?"),
                    format_money(currency.code(), currency.from_minor(attempt.amount_minor)),
                ),
                customer_id: Some(invoice.customer_id),
            },
            now,
        )
        .await?;
        let body = format!(
            "Hello,\n\nStripe reported a card payment for invoice {number} of {organization}\n\
             that was NOT recorded: {problem}\n\
             (reported: {} {}; asked: {}).\n\n\
             Check the payment {} in Stripe's dashboard, then record it by hand\n\
             or refund it.\n",
            received.unwrap_or_default(),
            object.currency.as_deref().unwrap_or("?"),
            format_money(currency.code(), currency.from_minor(attempt.amount_minor)),
            object.id,
        );
        let subject = format!("Card payment for {number} needs a look");
        mail_owners(
            txn,
            state,
            attempt.organization_id,
            OwnerNotice {
                subject: &subject,
                body,
                kind: "payment_flagged",
            },
            now,
        )
        .await?;
        return Ok("flagged");
    }
    let amount_minor = attempt.amount_minor;
    let entry = payment_row(
        &scope,
        Entry {
            invoice_id: attempt.invoice_id,
            kind: KIND_PAYMENT,
            paid_on: scope.today(now),
            amount_minor,
            method: "Card (Stripe)",
            reference: &object.id,
            reverses: None,
        },
        now,
    );
    let payment_id = *entry.id.as_ref();
    let customer_id = invoice.customer_id;
    let paid = format_money(currency.code(), currency.from_minor(amount_minor));
    add_payment(txn, invoice, entry, amount_minor, now).await?;
    set_attempt(
        txn,
        attempt,
        |active| {
            active.status = Set(SUCCEEDED.into());
            active.failure = Set(String::new());
            active.payment_id = Set(Some(payment_id));
            active.payment_intent_id = Set(Some(object.id.clone()));
        },
        now,
    )
    .await?;
    audit::record(
        txn,
        &scope,
        Change {
            action: "payment.recorded",
            object_type: "invoice",
            object_id: attempt.invoice_id,
            summary: format!(
                "{paid} by card (Stripe {}) from {}",
                object.id, attempt.payer_email
            ),
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    let receipt = format!(
        "Hello,\n\nthank you: {organization} received your card payment of {paid}\n\
         for invoice {number} on {date}.\n\nStripe reference: {reference}\n",
        date = scope.today(now),
        reference = object.id,
    );
    if let Ok(message) = state.mailer.compose(
        &attempt.payer_email,
        &format!("Receipt: {paid} paid on invoice {number}"),
        receipt,
        None,
    ) {
        mail_queue::enqueue(
            txn,
            &state.secrets,
            Queued {
                organization_id: Some(attempt.organization_id),
                invoice_id: Some(attempt.invoice_id),
                portal_link_id: None,
                recipient: attempt.payer_email.clone(),
                kind: "receipt",
                message,
            },
            now,
        )
        .await?;
    }
    let body = format!(
        "Hello,\n\n{} paid {paid} by card on invoice {number} of {organization}.\n\
         It is recorded; Stripe's reference is {}.\n\n{}/app/invoices/{}\n",
        attempt.payer_email, object.id, state.settings.public_url, attempt.invoice_id,
    );
    let subject = format!("{paid} paid by card on {number}");
    mail_owners(
        txn,
        state,
        attempt.organization_id,
        OwnerNotice {
            subject: &subject,
            body,
            kind: "payment_received",
        },
        now,
    )
    .await?;
    Ok("recorded")
}

async fn failed(
    txn: &DatabaseTransaction,
    attempt: &card_payment::Model,
    object: &EventObject,
    now: OffsetDateTime,
) -> Result<&'static str, AppError> {
    if ![STARTED, PROCESSING].contains(&attempt.status.as_str()) {
        return Ok("ignored");
    }
    let message = object
        .last_payment_error
        .as_ref()
        .and_then(|error| error.message.clone())
        .unwrap_or_else(|| "The card was declined.".into());
    if object.other_intent_than(attempt) {
        return Ok("ignored");
    }
    set_attempt(
        txn,
        attempt,
        |active| {
            active.status = Set(FAILED.into());
            active.failure = Set(message);
            active.payment_intent_id = Set(Some(object.id.clone()));
        },
        now,
    )
    .await?;
    Ok("failed")
}

/// `None` when the payment is not recorded yet (the event comes back later).
async fn refunded(
    txn: &DatabaseTransaction,
    attempt: &card_payment::Model,
    object: &EventObject,
    now: OffsetDateTime,
) -> Result<Option<&'static str>, AppError> {
    let (Some(payment_id), SUCCEEDED) = (attempt.payment_id, attempt.status.as_str()) else {
        return Ok(None);
    };
    let currency =
        Currency::parse(&attempt.currency).map_err(|_| internal(anyhow::anyhow!("currency")))?;
    let refunded_units = object.amount_refunded.unwrap_or_default();
    let refunded_minor = currency
        .to_minor(from_stripe_units(currency, refunded_units))
        .unwrap_or(i64::MAX)
        .min(attempt.amount_minor);
    // What is still unreversed of the payment: "mark unpaid" may have
    // reversed it by hand already; money is never reversed twice.
    let reversed: i64 = crate::ssr::entities::payment::Entity::find()
        .filter(crate::ssr::entities::payment::Column::ReversesPaymentId.eq(payment_id))
        .all(txn)
        .await
        .map_err(internal)?
        .iter()
        .map(|entry| -entry.amount_minor)
        .sum();
    let unreversed = (attempt.amount_minor - reversed).max(0);
    let new_minor = (refunded_minor - attempt.refunded_minor).min(unreversed);
    if new_minor <= 0 {
        if refunded_minor > attempt.refunded_minor {
            let refunded = |active: &mut card_payment::ActiveModel| {
                active.refunded_minor = Set(refunded_minor);
            };
            set_attempt(txn, attempt, refunded, now).await?;
        }
        return Ok(Some("ignored"));
    }
    let (scope, _) = stripe_scope(txn, attempt).await?;
    let invoice = invoice_entity::Entity::find_by_id(attempt.invoice_id)
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(anyhow::anyhow!("invoice vanished")))?;
    let paid_on = crate::ssr::entities::payment::Entity::find_by_id(payment_id)
        .one(txn)
        .await
        .map_err(internal)?
        .map_or_else(|| scope.today(now), |payment| payment.paid_on);
    let reference = attempt.payment_intent_id.clone().unwrap_or_default();
    let entry = payment_row(
        &scope,
        Entry {
            invoice_id: attempt.invoice_id,
            kind: KIND_REVERSAL,
            paid_on,
            amount_minor: -new_minor,
            method: "Card refund (Stripe)",
            reference: &reference,
            reverses: Some(payment_id),
        },
        now,
    );
    let customer_id = invoice.customer_id;
    add_payment(txn, invoice, entry, -new_minor, now).await?;
    set_attempt(
        txn,
        attempt,
        |active| active.refunded_minor = Set(refunded_minor),
        now,
    )
    .await?;
    audit::record(
        txn,
        &scope,
        Change {
            action: "payment.refunded",
            object_type: "invoice",
            object_id: attempt.invoice_id,
            summary: format!(
                "{} of card payment {reference} refunded in Stripe",
                format_money(currency.code(), currency.from_minor(new_minor))
            ),
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    Ok(Some("refunded"))
}
