//! What a credit note leaves on an invoice the customer already paid: a
//! credit (the invoice's balance below zero). The business refunds it
//! (money back, recorded as a refund entry), or applies it to another open
//! invoice of the same customer in the same currency (two entries, one on
//! each invoice, in one transaction). Either way the balance never goes
//! below what was credited and nothing is counted twice.

use crate::domain::FieldError;
use crate::domain::money::{Overflow, parse_decimal};
use crate::error::AppError;
use crate::ssr::entities::{invoice as invoice_entity, payment};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::invoice_payments::{
    Entry, KIND_CREDIT_APPLIED, KIND_CREDIT_RECEIVED, KIND_REFUND, NewPayment, add_payment,
    parse_details, payable, payment_row,
};
use crate::ssr::services::invoices::{balance_minor, currency_of};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Whether some of the credit on invoice `id` left it: refunded, or moved to
/// another invoice. Such money is settled: the payments it came from cannot
/// be reversed, nor the credit notes that made it voided.
pub(crate) async fn credit_paid_out(
    txn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<bool, AppError> {
    let entries = payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(id))
        .filter(payment::Column::Kind.is_in([KIND_REFUND, KIND_CREDIT_APPLIED]))
        .count(txn)
        .await
        .map_err(internal)?;
    Ok(entries > 0)
}

/// The customer's credit on `invoice`, in minor units (zero when it owes).
pub(crate) fn credit_minor(invoice: &invoice_entity::Model) -> i64 {
    balance_minor(invoice).min(0).saturating_neg()
}

fn no_credit() -> AppError {
    AppError::Conflict("This invoice leaves the customer no credit.".into())
}

/// Pays back (part of) the customer's credit on invoice `id`: a refund entry
/// of `new.amount`, at most the credit.
pub async fn refund(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    new: &NewPayment<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let (paid_on, method, reference) = parse_details(new, scope.today(now))?;
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.tenant(), id).await?;
    let credit = credit_minor(&invoice);
    if credit == 0 {
        return Err(no_credit());
    }
    let currency = currency_of(&invoice)?;
    let amount = parse_decimal(new.amount, "amount", currency.minor_units())?;
    if amount <= Decimal::ZERO {
        return Err(FieldError::new("amount", "Enter an amount above zero.").into());
    }
    let amount_minor = currency
        .to_minor(amount)
        .map_err(|Overflow| FieldError::new("amount", "This amount is too large."))?;
    if amount_minor > credit {
        return Err(FieldError::new(
            "amount",
            format!(
                "This is more than the customer's credit ({}).",
                currency.format(currency.from_minor(credit))
            ),
        )
        .into());
    }
    let method = if method.is_empty() { "Refund" } else { method };
    let entry = payment_row(
        scope,
        Entry {
            invoice_id: id,
            kind: KIND_REFUND,
            paid_on,
            amount_minor: -amount_minor,
            method,
            reference,
            reverses: None,
        },
        now,
    );
    let summary = format!(
        "{} refunded on {paid_on} by {method}",
        currency.format(amount)
    );
    let customer_id = invoice.customer_id;
    add_payment(&txn, invoice, entry, -amount_minor, now).await?;
    let change = Change {
        action: "payment.refunded",
        object_type: "invoice",
        object_id: id,
        summary,
        customer_id: Some(customer_id),
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)
}

/// Moves the customer's credit on invoice `from` to their open invoice
/// `to` (same customer, same currency): as much as `to` still owes, at
/// most the credit. Answers the amount moved, in the currency's units.
pub async fn apply_credit(
    db: &DatabaseConnection,
    scope: &Scope,
    from: Uuid,
    to: Uuid,
    now: OffsetDateTime,
) -> Result<Decimal, AppError> {
    if from == to {
        return Err(FieldError::new("to", "Choose another invoice.").into());
    }
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let source = payable(&txn, scope.tenant(), from).await?;
    let target = payable(&txn, scope.tenant(), to)
        .await
        .map_err(|_| FieldError::new("to", "Choose an open invoice of the same customer."))?;
    if target.customer_id != source.customer_id || target.currency != source.currency {
        return Err(FieldError::new(
            "to",
            "A credit settles invoices of the same customer, in the same currency.",
        )
        .into());
    }
    let credit = credit_minor(&source);
    if credit == 0 {
        return Err(no_credit());
    }
    let owed = balance_minor(&target);
    if owed <= 0 {
        return Err(FieldError::new("to", "That invoice owes nothing.").into());
    }
    let moved = credit.min(owed);
    let currency = currency_of(&source)?;
    let today = scope.today(now);
    let (source_number, target_number) = (
        source.number.clone().unwrap_or_default(),
        target.number.clone().unwrap_or_default(),
    );
    let outgoing = payment_row(
        scope,
        Entry {
            invoice_id: from,
            kind: KIND_CREDIT_APPLIED,
            paid_on: today,
            amount_minor: -moved,
            method: "Credit applied",
            reference: &target_number,
            reverses: None,
        },
        now,
    );
    let incoming = payment_row(
        scope,
        Entry {
            invoice_id: to,
            kind: KIND_CREDIT_RECEIVED,
            paid_on: today,
            amount_minor: moved,
            method: "Credit",
            reference: &source_number,
            reverses: None,
        },
        now,
    );
    let customer_id = source.customer_id;
    add_payment(&txn, source, outgoing, -moved, now).await?;
    add_payment(&txn, target, incoming, moved, now).await?;
    let amount = currency.format(currency.from_minor(moved));
    for (object_id, action, summary) in [
        (
            from,
            "credit.applied",
            format!("{amount} of credit applied to {target_number}"),
        ),
        (
            to,
            "credit.received",
            format!("{amount} of credit from {source_number}"),
        ),
    ] {
        let change = Change {
            action,
            object_type: "invoice",
            object_id,
            summary,
            customer_id: Some(customer_id),
        };
        audit::record(&txn, scope, change, now).await?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(currency.from_minor(moved))
}
