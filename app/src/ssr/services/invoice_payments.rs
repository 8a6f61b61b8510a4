//! Payments on issued invoices: record one, "mark paid" (the balance as a
//! payment), "mark unpaid" (reversal entries, so history stays), and what a
//! credit note can leave on a paid invoice: a credit the customer is
//! refunded, or that settles another of their invoices.

use crate::domain::FieldError;
use crate::domain::invoice::parse_date;
use crate::domain::money::{Overflow, parse_decimal};
use crate::error::AppError;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{invoice as invoice_entity, payment};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::invoice_credit::credit_paid_out;
use crate::ssr::services::invoices::{KIND_INVOICE, balance_minor, currency_of, find};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// An issued, not voided invoice (not a credit note) of the organization.
pub(crate) async fn payable(
    txn: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
) -> Result<invoice_entity::Model, AppError> {
    let row = find(txn, tenant, id).await?;
    if row.kind != KIND_INVOICE {
        return Err(AppError::Conflict("Credit notes take no payments.".into()));
    }
    if row.issued_at.is_none() {
        return Err(AppError::Conflict(
            "Issue the invoice before recording payments.".into(),
        ));
    }
    if row.voided_at.is_some() {
        return Err(AppError::Conflict("This invoice is void.".into()));
    }
    Ok(row)
}

/// Stores an entry and the invoice's new paid amount.
pub(crate) async fn add_payment(
    txn: &impl ConnectionTrait,
    invoice: invoice_entity::Model,
    entry: payment::ActiveModel,
    amount_minor: i64,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    entry.insert(txn).await.map_err(internal)?;
    let paid = invoice.paid_minor + amount_minor;
    let mut active: invoice_entity::ActiveModel = invoice.into();
    active.paid_minor = Set(paid);
    active.updated_at = Set(now);
    active.update(txn).await.map_err(internal)?;
    Ok(())
}

pub struct NewPayment<'a> {
    pub paid_on: &'a str,
    pub amount: &'a str,
    pub method: &'a str,
    pub reference: &'a str,
}

/// Money in from the customer.
pub(crate) const KIND_PAYMENT: &str = "payment";
/// A payment undone (negative, naming it, dated as it).
pub(crate) const KIND_REVERSAL: &str = "reversal";
/// Money back to the customer out of the invoice's credit (negative).
pub(crate) const KIND_REFUND: &str = "refund";
/// The invoice's credit moved to another invoice (negative).
pub(crate) const KIND_CREDIT_APPLIED: &str = "credit_applied";
/// Another invoice's credit settling this one.
pub(crate) const KIND_CREDIT_RECEIVED: &str = "credit_received";

/// One entry in an invoice's payments.
pub(crate) struct Entry<'a> {
    pub invoice_id: Uuid,
    pub kind: &'static str,
    pub paid_on: Date,
    pub amount_minor: i64,
    pub method: &'a str,
    pub reference: &'a str,
    pub reverses: Option<Uuid>,
}

pub(crate) fn payment_row(
    scope: &Scope,
    entry: Entry<'_>,
    now: OffsetDateTime,
) -> payment::ActiveModel {
    let Entry {
        invoice_id,
        kind,
        paid_on,
        amount_minor,
        method,
        reference,
        reverses,
    } = entry;
    payment::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(scope.organization_id),
        invoice_id: Set(invoice_id),
        paid_on: Set(paid_on),
        amount_minor: Set(amount_minor),
        method: Set(method.to_owned()),
        reference: Set(reference.to_owned()),
        reverses_payment_id: Set(reverses),
        kind: Set(kind.to_owned()),
        created_at: Set(now),
    }
}

/// The date, method and reference of a payment or refund as typed: the
/// date no later than `today`, the texts short and without control
/// characters. Errors name the field.
pub(crate) fn parse_details<'a>(
    new: &NewPayment<'a>,
    today: Date,
) -> Result<(Date, &'a str, &'a str), FieldError> {
    let paid_on = parse_date(new.paid_on, "paid_on")?;
    if paid_on > today {
        return Err(FieldError::new(
            "paid_on",
            "A payment cannot be dated in the future.",
        ));
    }
    let method = new.method.trim();
    if method.chars().count() > 40 || method.chars().any(char::is_control) {
        return Err(FieldError::new(
            "method",
            "Use at most 40 characters, e.g. bank transfer.",
        ));
    }
    let reference = new.reference.trim();
    if reference.chars().count() > 200 || reference.chars().any(char::is_control) {
        return Err(FieldError::new("reference", "Use at most 200 characters."));
    }
    Ok((paid_on, method, reference))
}

pub async fn record_payment(
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
    let currency = currency_of(&invoice)?;
    let amount = parse_decimal(new.amount, "amount", currency.minor_units())?;
    if amount <= Decimal::ZERO {
        return Err(FieldError::new("amount", "Enter an amount above zero.").into());
    }
    let amount_minor = currency
        .to_minor(amount)
        .map_err(|Overflow| FieldError::new("amount", "This amount is too large."))?;
    let balance = balance_minor(&invoice);
    if amount_minor > balance {
        return Err(FieldError::new(
            "amount",
            format!(
                "This is more than the balance due ({}).",
                currency.format(currency.from_minor(balance))
            ),
        )
        .into());
    }
    let method = if method.is_empty() { "Payment" } else { method };
    let entry = payment_row(
        scope,
        Entry {
            invoice_id: id,
            kind: KIND_PAYMENT,
            paid_on,
            amount_minor,
            method,
            reference,
            reverses: None,
        },
        now,
    );
    let summary = format!("{} on {paid_on} by {method}", currency.format(amount));
    let customer_id = invoice.customer_id;
    add_payment(&txn, invoice, entry, amount_minor, now).await?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "payment.recorded",
            object_type: "invoice",
            object_id: id,
            summary,
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

pub async fn mark_paid(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.tenant(), id).await?;
    let balance = balance_minor(&invoice);
    if balance <= 0 {
        return Err(AppError::Conflict("This invoice is already paid.".into()));
    }
    let currency = currency_of(&invoice)?;
    let entry = payment_row(
        scope,
        Entry {
            invoice_id: id,
            kind: KIND_PAYMENT,
            paid_on: scope.today(now),
            amount_minor: balance,
            method: "Marked as paid",
            reference: "",
            reverses: None,
        },
        now,
    );
    let summary = format!(
        "remaining {} recorded as paid",
        currency.format(currency.from_minor(balance))
    );
    let customer_id = invoice.customer_id;
    add_payment(&txn, invoice, entry, balance, now).await?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "invoice.marked_paid",
            object_type: "invoice",
            object_id: id,
            summary,
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

pub async fn mark_unpaid(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.tenant(), id).await?;
    if credit_paid_out(&txn, id).await? {
        return Err(AppError::Conflict(
            "Part of this invoice's credit was refunded or applied to another invoice: its payments stay."
                .into(),
        ));
    }
    let entries = payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(id))
        .order_by_asc(payment::Column::CreatedAt)
        .all(&txn)
        .await
        .map_err(internal)?;
    let reversed: Vec<Uuid> = entries
        .iter()
        .filter_map(|entry| entry.reverses_payment_id)
        .collect();
    // Only the customer's own payments: refunds and credits moved between
    // invoices are settled money, undone (if ever) by a new entry.
    let open: Vec<&payment::Model> = entries
        .iter()
        .filter(|entry| entry.kind == KIND_PAYMENT && !reversed.contains(&entry.id))
        .collect();
    if open.is_empty() {
        return Err(AppError::Conflict(
            "This invoice has no payments to reverse.".into(),
        ));
    }
    let currency = currency_of(&invoice)?;
    let mut total = 0_i64;
    for entry in open {
        let reversal = payment_row(
            scope,
            Entry {
                invoice_id: id,
                kind: KIND_REVERSAL,
                // Counts against the month of the payment it undoes.
                paid_on: entry.paid_on,
                amount_minor: -entry.amount_minor,
                method: "Reversal",
                reference: &entry.reference,
                reverses: Some(entry.id),
            },
            now,
        );
        reversal.insert(&txn).await.map_err(internal)?;
        total += entry.amount_minor;
    }
    let paid = invoice.paid_minor - total;
    let customer_id = invoice.customer_id;
    let mut active: invoice_entity::ActiveModel = invoice.into();
    active.paid_minor = Set(paid);
    active.updated_at = Set(now);
    active.update(&txn).await.map_err(internal)?;
    let summary = format!(
        "{} of payments reversed",
        currency.format(currency.from_minor(total))
    );
    audit::record(
        &txn,
        scope,
        Change {
            action: "invoice.marked_unpaid",
            object_type: "invoice",
            object_id: id,
            summary,
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}
