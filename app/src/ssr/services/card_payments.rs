//! A customer pays a document by card through Stripe (issue 15), without
//! card data ever reaching Ledgerlock:
//!
//! 1. [`start`]: a SetupIntent for the card form (Stripe.js confirms it in
//!    the browser, the card going straight to Stripe) and an attempt row.
//! 2. [`confirm`]: the server reads the card the SetupIntent set up (the
//!    browser's word is not taken), computes the amount itself (the balance,
//!    or a part within the organization's limits) and creates a confirmed
//!    PaymentIntent, with an idempotency key per document and attempt.
//! 3. The webhook (`webhooks::handle`) records the payment when Stripe says
//!    it succeeded; the page polls [`status`] until then.
//!
//! Only the webhook records money, once per intent, so a lost answer, a
//! retry or a double click never records twice.

use crate::domain::card_payment::{amount_to_pay, stripe_units};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::CustomerReach;
use crate::ssr::access::Tenant;
use crate::ssr::entities::card_payment;
use crate::ssr::errors::internal;
use crate::ssr::services::invoice_payments::payable;
use crate::ssr::services::invoices::{balance_minor, currency_of};
use crate::ssr::services::payment_provider::{self, Connected};
use crate::ssr::stripe::{NewPaymentIntent, StripeError};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub(crate) const STARTED: &str = "started";
pub(crate) const PROCESSING: &str = "processing";
pub(crate) const SUCCEEDED: &str = "succeeded";
pub(crate) const FAILED: &str = "failed";
pub(crate) const FLAGGED: &str = "flagged";

/// Card forms one document may open per hour: each costs a call to Stripe.
const STARTS_PER_DOCUMENT_PER_HOUR: u64 = 20;

/// Confirmations one attempt may try (each reads its SetupIntent from Stripe).
const CONFIRM_TRIES_PER_ATTEMPT: i32 = 10;

/// How long a payment in progress keeps others off its document: a second
/// card form would charge the balance twice. After this, Stripe's answer is
/// overdue and the document can be paid again.
const PROCESSING_BLOCKS_FOR: Duration = Duration::hours(1);

/// Another attempt on `invoice_id` that Stripe may still be charging.
async fn payment_in_progress(
    db: &impl sea_orm::ConnectionTrait,
    invoice_id: Uuid,
    except: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<bool, AppError> {
    let mut query = card_payment::Entity::find()
        .filter(card_payment::Column::InvoiceId.eq(invoice_id))
        .filter(card_payment::Column::Status.eq(PROCESSING))
        .filter(card_payment::Column::UpdatedAt.gt(now - PROCESSING_BLOCKS_FOR));
    if let Some(id) = except {
        query = query.filter(card_payment::Column::Id.ne(id));
    }
    Ok(query.count(db).await.map_err(internal)? > 0)
}

fn in_progress() -> AppError {
    AppError::Conflict(
        "A card payment for this document is being processed: wait for its result before paying again."
            .into(),
    )
}

/// Who pays: a customer contact, through a link or a portal session.
#[derive(Debug, Clone)]
pub struct Payer {
    pub organization_id: Uuid,
    pub invoice_id: Uuid,
    /// The link's or the portal session's id.
    pub payer_id: Uuid,
    pub email: String,
}

/// What the card form needs.
#[derive(Debug, Clone)]
pub struct Offer {
    pub publishable_key: String,
    pub currency: Currency,
    /// The balance due now, in the currency.
    pub balance: rust_decimal::Decimal,
    /// `Some(minimum)` where part payments are allowed.
    pub partial_minimum: Option<rust_decimal::Decimal>,
}

/// The offer for `invoice_id`, when the organization has connected Stripe
/// and something is due on an issued, not void invoice.
///
/// # Errors
/// Internal only.
pub async fn offer(
    state: &AppState,
    organization_id: Uuid,
    invoice_id: Uuid,
) -> Result<Option<Offer>, AppError> {
    let Some(account) =
        payment_provider::connected(&state.db, &state.secrets, organization_id).await?
    else {
        return Ok(None);
    };
    let tenant = Tenant {
        organization_id,
        customers: CustomerReach::All,
    };
    let Ok(invoice) = payable(&state.db, tenant, invoice_id).await else {
        return Ok(None);
    };
    let balance = balance_minor(&invoice);
    if balance <= 0 {
        return Ok(None);
    }
    let currency = currency_of(&invoice)?;
    Ok(Some(offer_of(&account, currency, balance)))
}

fn offer_of(account: &Connected, currency: Currency, balance_minor: i64) -> Offer {
    Offer {
        publishable_key: account.publishable_key.clone(),
        currency,
        balance: currency.from_minor(balance_minor),
        partial_minimum: account.partial_payments.then_some(account.partial_minimum),
    }
}

/// A started attempt: its id and the SetupIntent's client secret, which
/// Stripe.js confirms with the card.
pub struct Started {
    pub attempt_id: Uuid,
    pub client_secret: String,
}

fn unavailable(error: &StripeError) -> AppError {
    tracing::warn!(%error, "Stripe call failed");
    AppError::Conflict("Card payment is not available right now. Please try again later.".into())
}

/// Opens a card form for `payer`'s document.
///
/// # Errors
/// `Conflict` when card payment is not offered (not connected, nothing
/// due), too many forms were opened this hour, or Stripe is unreachable.
pub async fn start(
    state: &AppState,
    payer: &Payer,
    now: OffsetDateTime,
) -> Result<Started, AppError> {
    let not_offered =
        || AppError::Conflict("Card payment is not offered for this document.".into());
    let account = payment_provider::connected(&state.db, &state.secrets, payer.organization_id)
        .await?
        .ok_or_else(not_offered)?;
    offer(state, payer.organization_id, payer.invoice_id)
        .await?
        .ok_or_else(not_offered)?;
    let recent = card_payment::Entity::find()
        .filter(card_payment::Column::InvoiceId.eq(payer.invoice_id))
        .filter(card_payment::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&state.db)
        .await
        .map_err(internal)?;
    if payment_in_progress(&state.db, payer.invoice_id, None, now).await? {
        return Err(in_progress());
    }
    if recent >= STARTS_PER_DOCUMENT_PER_HOUR {
        return Err(AppError::Conflict(
            "Too many payment attempts for this document: please try again in an hour.".into(),
        ));
    }
    let attempt_id = Uuid::new_v4();
    let intent = state
        .stripe
        .create_setup_intent(
            &account.secret_key,
            &format!("ledgerlock-setup-{attempt_id}"),
        )
        .await
        .map_err(|error| unavailable(&error))?;
    let client_secret = intent
        .client_secret
        .ok_or_else(|| unavailable(&StripeError::Unavailable("no client secret".into())))?;
    card_payment::ActiveModel {
        id: Set(attempt_id),
        organization_id: Set(payer.organization_id),
        invoice_id: Set(payer.invoice_id),
        payer_id: Set(payer.payer_id),
        payer_email: Set(payer.email.clone()),
        currency: Set(String::new()),
        amount_minor: Set(0),
        setup_intent_id: Set(intent.id),
        payment_intent_id: Set(None),
        status: Set(STARTED.into()),
        failure: Set(String::new()),
        payment_id: Set(None),
        refunded_minor: Set(0),
        confirm_tries: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .map_err(internal)?;
    Ok(Started {
        attempt_id,
        client_secret,
    })
}

/// Where an attempt stands, for the paying page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptStatus {
    /// `started`, `processing`, `succeeded`, `failed` or `flagged`.
    pub status: String,
    /// Why it failed, in Stripe's words.
    pub message: String,
    /// Set when the card asks for authentication (3-D Secure): Stripe.js
    /// handles it with this PaymentIntent client secret.
    pub client_secret: Option<String>,
}

async fn attempt_of(
    db: &DatabaseConnection,
    payer: &Payer,
    attempt_id: Uuid,
) -> Result<card_payment::Model, AppError> {
    card_payment::Entity::find_by_id(attempt_id)
        .filter(card_payment::Column::InvoiceId.eq(payer.invoice_id))
        .filter(card_payment::Column::PayerId.eq(payer.payer_id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

fn status_of(row: &card_payment::Model) -> AttemptStatus {
    AttemptStatus {
        status: row.status.clone(),
        message: row.failure.clone(),
        client_secret: None,
    }
}

/// Pays: `typed_amount` is what the payer entered (empty: the balance).
/// The card is the one the attempt's SetupIntent set up, read from Stripe.
/// A second confirmation of the same attempt changes nothing and answers
/// where it stands.
///
/// # Errors
/// `Invalid` naming `amount`; `NotFound` for another payer's attempt;
/// `Conflict` when nothing is due or Stripe is unreachable.
pub async fn confirm(
    state: &AppState,
    payer: &Payer,
    attempt_id: Uuid,
    typed_amount: &str,
    now: OffsetDateTime,
) -> Result<AttemptStatus, AppError> {
    let attempt = attempt_of(&state.db, payer, attempt_id).await?;
    if attempt.status != STARTED {
        return Ok(status_of(&attempt));
    }
    let account = payment_provider::connected(&state.db, &state.secrets, payer.organization_id)
        .await?
        .ok_or_else(|| AppError::Conflict("Card payment is no longer offered.".into()))?;
    let tenant = Tenant {
        organization_id: payer.organization_id,
        customers: CustomerReach::All,
    };
    let invoice = payable(&state.db, tenant, payer.invoice_id).await?;
    let currency = currency_of(&invoice)?;
    let balance = currency.from_minor(balance_minor(&invoice));
    let amount = amount_to_pay(
        currency,
        balance,
        Some(typed_amount),
        account.partial_payments,
        account.partial_minimum,
    )?;
    let units = stripe_units(currency, amount)?;
    let amount_minor = currency
        .to_minor(amount)
        .map_err(|_| AppError::Conflict("This amount is too large.".into()))?;
    // Each confirmation asks Stripe: a few per attempt, counted before asking.
    let counted = card_payment::Entity::update_many()
        .col_expr(
            card_payment::Column::ConfirmTries,
            Expr::col(card_payment::Column::ConfirmTries).add(1),
        )
        .filter(card_payment::Column::Id.eq(attempt_id))
        .filter(card_payment::Column::Status.eq(STARTED))
        .filter(card_payment::Column::ConfirmTries.lt(CONFIRM_TRIES_PER_ATTEMPT))
        .exec(&state.db)
        .await
        .map_err(internal)?;
    if counted.rows_affected != 1 {
        let now_row = attempt_of(&state.db, payer, attempt_id).await?;
        if now_row.status != STARTED {
            return Ok(status_of(&now_row));
        }
        return Err(AppError::Conflict(
            "Too many tries for this payment: reload the page and start again.".into(),
        ));
    }
    let setup = state
        .stripe
        .setup_intent(&account.secret_key, &attempt.setup_intent_id)
        .await
        .map_err(|error| unavailable(&error))?;
    let Some(card) = setup.payment_method.filter(|_| setup.status == "succeeded") else {
        return Err(AppError::Conflict(
            "The card was not accepted: check its details and try again.".into(),
        ));
    };
    // Claim the attempt, under the organization's lock: of two confirmations
    // sent at once one goes on, and no two attempts charge one document.
    let txn = crate::ssr::db::begin_write(&state.db)
        .await
        .map_err(internal)?;
    crate::ssr::services::audit::lock(&txn, payer.organization_id).await?;
    if payment_in_progress(&txn, payer.invoice_id, Some(attempt_id), now).await? {
        txn.rollback().await.map_err(internal)?;
        return Err(in_progress());
    }
    let claimed = card_payment::Entity::update_many()
        .col_expr(card_payment::Column::Status, Expr::value(PROCESSING))
        .col_expr(card_payment::Column::Currency, Expr::value(currency.code()))
        .col_expr(card_payment::Column::AmountMinor, Expr::value(amount_minor))
        .col_expr(card_payment::Column::UpdatedAt, Expr::value(now))
        .filter(card_payment::Column::Id.eq(attempt_id))
        .filter(card_payment::Column::Status.eq(STARTED))
        .exec(&txn)
        .await
        .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    if claimed.rows_affected != 1 {
        return Ok(status_of(&attempt_of(&state.db, payer, attempt_id).await?));
    }
    let number = invoice.number.clone().unwrap_or_default();
    let new = NewPaymentIntent {
        amount: units,
        currency: currency.code(),
        payment_method: &card,
        metadata: &[
            ("ledgerlock_invoice", payer.invoice_id.to_string()),
            ("ledgerlock_attempt", attempt_id.to_string()),
            ("invoice_number", number.clone()),
        ],
    };
    let created = state
        .stripe
        .create_payment_intent(
            &account.secret_key,
            &format!("ledgerlock-{}-{attempt_id}", payer.invoice_id),
            &new,
        )
        .await;
    let set = |status: &str, failure: String, intent: Option<String>| {
        let mut update = card_payment::Entity::update_many()
            .col_expr(card_payment::Column::Status, Expr::value(status))
            .col_expr(card_payment::Column::Failure, Expr::value(failure))
            .col_expr(card_payment::Column::UpdatedAt, Expr::value(now))
            .filter(card_payment::Column::Id.eq(attempt_id))
            // The webhook may already have settled it: never undo that.
            .filter(card_payment::Column::Status.eq(PROCESSING));
        if let Some(intent) = intent {
            update = update.col_expr(card_payment::Column::PaymentIntentId, Expr::value(intent));
        }
        update.exec(&state.db)
    };
    match created {
        Ok(intent) => {
            let failure = intent
                .last_payment_error
                .and_then(|error| error.message)
                .unwrap_or_default();
            let (status, client_secret) = match intent.status.as_str() {
                "requires_action" => (PROCESSING, intent.client_secret),
                "requires_payment_method" | "canceled" => (FAILED, None),
                _ => (PROCESSING, None),
            };
            set(status, failure.clone(), Some(intent.id))
                .await
                .map_err(internal)?;
            Ok(AttemptStatus {
                status: status.into(),
                message: failure,
                client_secret,
            })
        }
        Err(StripeError::Declined(message)) => {
            set(FAILED, message.clone(), None).await.map_err(internal)?;
            Ok(AttemptStatus {
                status: FAILED.into(),
                message,
                client_secret: None,
            })
        }
        Err(error) => {
            // Nothing was charged as far as we know: the same attempt may
            // try again, with the same idempotency key.
            card_payment::Entity::update_many()
                .col_expr(card_payment::Column::Status, Expr::value(STARTED))
                .filter(card_payment::Column::Id.eq(attempt_id))
                .filter(card_payment::Column::Status.eq(PROCESSING))
                .filter(card_payment::Column::PaymentIntentId.is_null())
                .exec(&state.db)
                .await
                .map_err(internal)?;
            Err(unavailable(&error))
        }
    }
}

/// Where `payer`'s attempt stands.
///
/// # Errors
/// `NotFound` for an attempt of another payer or document.
pub async fn status(
    db: &DatabaseConnection,
    payer: &Payer,
    attempt_id: Uuid,
) -> Result<AttemptStatus, AppError> {
    Ok(status_of(&attempt_of(db, payer, attempt_id).await?))
}
