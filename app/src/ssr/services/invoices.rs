//! Invoices and credit notes. Every write takes the organization's billing
//! lock (see `audit::lock`), applies the domain rules, writes the rows and
//! the audit event in one transaction.
//!
//! Issuing draws the next number of the document's series and seals the
//! content: its canonical JSON and SHA-256 are stored, and from then on
//! nothing but payments, credit notes and voiding touches the document.

use crate::api::invoices::{
    AuditEntry, InvoiceDetail, InvoiceFilter, InvoiceForm, InvoicePage, InvoiceRow, LineDetail,
    LinkedDocument, PaymentView, StatusTotal,
};
use crate::domain::FieldError;
use crate::domain::invoice::{self, Draft, Line, LineInput, LineTax, PriceMode, parse_date};
use crate::domain::invoice_status::{ALL_STATUSES, InvoiceStatus, StatusFacts};
use crate::domain::money::{Currency, Overflow, parse_decimal};
use crate::domain::numbering::NumberFormat;
use crate::error::AppError;
use crate::ssr::entities::{
    audit_event, customer, invoice as invoice_entity, invoice_line, number_series, organization,
    payment,
};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope, hex};
use crate::ssr::services::customers::{self, lookup_key, starts_with};
use crate::ssr::services::products::tax_rate_of;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Condition, Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::str::FromStr;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub const PAGE_SIZE: u64 = 50;
const KIND_INVOICE: &str = "invoice";
const KIND_CREDIT_NOTE: &str = "credit_note";
const MAX_TEXT_CHARS: usize = 5000;

fn sealed_error() -> AppError {
    AppError::Conflict(
        "This document was issued and is sealed: correct it with a credit note.".into(),
    )
}

fn too_large() -> AppError {
    FieldError::new("lines", "These amounts are too large to compute.").into()
}

fn decimal(text: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(text).map_err(internal)
}

fn currency_of(row: &invoice_entity::Model) -> Result<Currency, AppError> {
    Currency::parse(&row.currency)
        .map_err(|_| internal(anyhow::anyhow!("stored currency {}", row.currency)))
}

fn bounded_text(value: &str, field: &'static str) -> Result<String, FieldError> {
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::new(
            field,
            format!("Use at most {MAX_TEXT_CHARS} characters."),
        ));
    }
    Ok(value.trim().to_owned())
}

/// The organization's invoice or credit note `id`, or `NotFound`.
async fn find(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<invoice_entity::Model, AppError> {
    invoice_entity::Entity::find_by_id(id)
        .filter(invoice_entity::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)
}

/// A draft, parsed and computed.
struct Prepared {
    customer: customer::Model,
    currency: Currency,
    issue_date: Date,
    due_date: Date,
    price_mode: PriceMode,
    discount_percent: Decimal,
    notes: String,
    terms: String,
    lines: Vec<(Line, Option<Uuid>)>,
    totals: invoice::Totals,
}

async fn prepare(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    form: &InvoiceForm,
) -> Result<Prepared, AppError> {
    let customer_id = form
        .customer_id
        .ok_or_else(|| FieldError::new("customer_id", "Choose a customer."))?;
    let customer = customers::find(db, organization_id, customer_id)
        .await
        .map_err(|_| FieldError::new("customer_id", "Choose a customer."))?;
    if customer.archived_at.is_some() {
        return Err(FieldError::new("customer_id", "This customer is archived.").into());
    }
    let currency = Currency::parse(&form.currency)?;
    if currency.code() != customer.currency {
        return Err(FieldError::new(
            "currency",
            format!("{} is billed in {}.", customer.name, customer.currency),
        )
        .into());
    }
    let issue_date = parse_date(&form.issue_date, "issue_date")?;
    let due_date = parse_date(&form.due_date, "due_date")?;
    invoice::check_dates(issue_date, due_date)?;
    let discount_percent = invoice::parse_percent(&form.discount_percent, "discount_percent")?;
    invoice::check_line_count(form.lines.len())?;
    let mut lines = Vec::with_capacity(form.lines.len());
    for (index, line) in form.lines.iter().enumerate() {
        let tax = match line.tax_rate_id {
            Some(id) => {
                let rate = tax_rate_of(
                    db,
                    organization_id,
                    id,
                    format!("lines[{index}].tax_rate_id"),
                )
                .await?;
                Some(LineTax {
                    name: rate.name,
                    percent: rate.percent,
                })
            }
            None => None,
        };
        let input = LineInput {
            description: line.description.clone(),
            quantity: line.quantity.clone(),
            unit_price: line.unit_price.clone(),
            discount_percent: line.discount_percent.clone(),
        };
        lines.push((invoice::parse_line(index, &input, tax)?, line.tax_rate_id));
    }
    let draft = Draft {
        currency,
        price_mode: form.price_mode,
        discount_percent,
        lines: lines.iter().map(|(line, _)| line.clone()).collect(),
    };
    let totals = invoice::totals(&draft).map_err(|Overflow| too_large())?;
    // Every stored amount must fit its column.
    currency
        .to_minor(totals.total)
        .map_err(|Overflow| too_large())?;
    Ok(Prepared {
        customer,
        currency,
        issue_date,
        due_date,
        price_mode: form.price_mode,
        discount_percent,
        notes: bounded_text(&form.notes, "notes")?,
        terms: bounded_text(&form.terms, "terms")?,
        lines,
        totals,
    })
}

fn minor(currency: Currency, amount: Decimal) -> Result<i64, AppError> {
    currency.to_minor(amount).map_err(|Overflow| too_large())
}

async fn write_lines(
    txn: &impl ConnectionTrait,
    invoice_id: Uuid,
    prepared: &Prepared,
) -> Result<(), AppError> {
    invoice_line::Entity::delete_many()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .exec(txn)
        .await
        .map_err(internal)?;
    let rows = prepared
        .lines
        .iter()
        .zip(&prepared.totals.lines)
        .enumerate()
        .map(|(position, ((line, tax_rate_id), amounts))| {
            Ok(invoice_line::ActiveModel {
                id: Set(Uuid::new_v4()),
                invoice_id: Set(invoice_id),
                position: Set(i32::try_from(position).map_err(internal)?),
                description: Set(line.description.clone()),
                quantity: Set(line.quantity.normalize().to_string()),
                unit_price: Set(line.unit_price.normalize().to_string()),
                discount_percent: Set(line.discount_percent.normalize().to_string()),
                tax_rate_id: Set(*tax_rate_id),
                tax_name: Set(line.tax.as_ref().map(|tax| tax.name.clone())),
                tax_percent: Set(line
                    .tax
                    .as_ref()
                    .map(|tax| tax.percent.normalize().to_string())),
                net_minor: Set(minor(prepared.currency, amounts.net)?),
                tax_minor: Set(minor(prepared.currency, amounts.tax)?),
                gross_minor: Set(minor(prepared.currency, amounts.gross)?),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    // Inserted in chunks: one statement per line would be slow, one for a
    // thousand lines would pass some engines' parameter limits.
    for chunk in rows.chunks(100) {
        invoice_line::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await
            .map_err(internal)?;
    }
    Ok(())
}

fn apply(
    active: &mut invoice_entity::ActiveModel,
    prepared: &Prepared,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    active.customer_id = Set(prepared.customer.id);
    active.currency = Set(prepared.currency.code().to_owned());
    active.price_mode = Set(prepared.price_mode.as_str().to_owned());
    active.issue_date = Set(prepared.issue_date);
    active.due_date = Set(prepared.due_date);
    active.discount_percent = Set(prepared.discount_percent.normalize().to_string());
    active.notes = Set(prepared.notes.clone());
    active.terms = Set(prepared.terms.clone());
    active.net_minor = Set(minor(prepared.currency, prepared.totals.net)?);
    active.tax_minor = Set(minor(prepared.currency, prepared.totals.tax)?);
    active.total_minor = Set(minor(prepared.currency, prepared.totals.total)?);
    active.updated_at = Set(now);
    Ok(())
}

fn describe(prepared: &Prepared) -> String {
    format!(
        "for {}, {} line(s), total {}",
        prepared.customer.name,
        prepared.lines.len(),
        prepared.currency.format(prepared.totals.total)
    )
}

pub async fn save_draft(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Option<Uuid>,
    form: &InvoiceForm,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let prepared = prepare(&txn, scope.organization_id, form).await?;
    let (id, action) = match id {
        Some(id) => {
            let existing = find(&txn, scope.organization_id, id).await?;
            if existing.issued_at.is_some() || existing.voided_at.is_some() {
                return Err(sealed_error());
            }
            if existing.credited_invoice_id.is_some()
                && existing.customer_id != prepared.customer.id
            {
                return Err(FieldError::new(
                    "customer_id",
                    "A credit note stays with its invoice's customer.",
                )
                .into());
            }
            let mut active: invoice_entity::ActiveModel = existing.into();
            apply(&mut active, &prepared, now)?;
            active.update(&txn).await.map_err(internal)?;
            (id, "invoice.draft_saved")
        }
        None => {
            let id = Uuid::new_v4();
            let mut active = invoice_entity::ActiveModel {
                id: Set(id),
                organization_id: Set(scope.organization_id),
                kind: Set(KIND_INVOICE.to_owned()),
                credited_invoice_id: Set(None),
                number: Set(None),
                paid_minor: Set(0),
                credited_minor: Set(0),
                issued_at: Set(None),
                voided_at: Set(None),
                void_reason: Set(None),
                sealed_content: Set(None),
                seal_hash: Set(None),
                created_at: Set(now),
                ..Default::default()
            };
            apply(&mut active, &prepared, now)?;
            active.insert(&txn).await.map_err(internal)?;
            (id, "invoice.created")
        }
    };
    write_lines(&txn, id, &prepared).await?;
    let change = Change {
        action,
        object_type: "invoice",
        object_id: id,
        summary: describe(&prepared),
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

pub async fn delete_draft(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let existing = find(&txn, scope.organization_id, id).await?;
    if existing.issued_at.is_some() {
        return Err(sealed_error());
    }
    invoice_line::Entity::delete_many()
        .filter(invoice_line::Column::InvoiceId.eq(id))
        .exec(&txn)
        .await
        .map_err(internal)?;
    invoice_entity::Entity::delete_by_id(id)
        .exec(&txn)
        .await
        .map_err(internal)?;
    let summary = format!(
        "draft of {}",
        currency_of(&existing)?.format(currency_of(&existing)?.from_minor(existing.total_minor))
    );
    audit::record(
        &txn,
        scope,
        Change {
            action: "invoice.draft_deleted",
            object_type: "invoice",
            object_id: id,
            summary,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

/// The next counter of a series; the caller holds the organization's lock.
async fn next_counter(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    kind: &str,
    period: i32,
) -> Result<i64, AppError> {
    let key = (organization_id, kind.to_owned(), period);
    match number_series::Entity::find_by_id(key)
        .one(txn)
        .await
        .map_err(internal)?
    {
        Some(series) => {
            let next = series.last_counter + 1;
            let mut active: number_series::ActiveModel = series.into();
            active.last_counter = Set(next);
            active.update(txn).await.map_err(internal)?;
            Ok(next)
        }
        None => {
            number_series::ActiveModel {
                organization_id: Set(organization_id),
                kind: Set(kind.to_owned()),
                period: Set(period),
                last_counter: Set(1),
            }
            .insert(txn)
            .await
            .map_err(internal)?;
            Ok(1)
        }
    }
}

/// The document's own content in canonical form: what the seal covers
/// besides the customer and seller as they were.
fn document_content(
    row: &invoice_entity::Model,
    lines: &[invoice_line::Model],
) -> serde_json::Value {
    json!({
        "kind": row.kind,
        "number": row.number,
        "credited_invoice_id": row.credited_invoice_id,
        "currency": row.currency,
        "price_mode": row.price_mode,
        "issue_date": row.issue_date.to_string(),
        "due_date": row.due_date.to_string(),
        "discount_percent": row.discount_percent,
        "notes": row.notes,
        "terms": row.terms,
        "net_minor": row.net_minor,
        "tax_minor": row.tax_minor,
        "total_minor": row.total_minor,
        "lines": lines.iter().map(|line| json!({
            "position": line.position,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "tax_name": line.tax_name,
            "tax_percent": line.tax_percent,
            "net_minor": line.net_minor,
            "tax_minor": line.tax_minor,
            "gross_minor": line.gross_minor,
        })).collect::<Vec<_>>(),
    })
}

/// The sealed content of an issued document (its own content, and the
/// customer and seller as they are now) and its SHA-256.
pub fn seal(
    issued: &invoice_entity::Model,
    lines: &[invoice_line::Model],
    customer: &customer::Model,
    seller: &organization::Model,
    settings: &crate::ssr::entities::billing_settings::Model,
) -> (String, String) {
    let content = json!({
        "document": document_content(issued, lines),
        "customer": { "name": customer.name, "emails": customer.emails, "address": customer.address, "tax_id": customer.tax_id },
        "seller": { "name": seller.name, "address": settings.address, "tax_id": settings.tax_id },
    })
    .to_string();
    let hash = seal_hash(&content);
    (content, hash)
}

fn seal_hash(content: &str) -> String {
    hex(&Sha256::digest(content.as_bytes()))
}

async fn lines_of(
    db: &impl ConnectionTrait,
    invoice_id: Uuid,
) -> Result<Vec<invoice_line::Model>, AppError> {
    invoice_line::Entity::find()
        .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await
        .map_err(internal)
}

/// What is left to pay: total, less credit notes and payments.
fn balance_minor(row: &invoice_entity::Model) -> i64 {
    row.total_minor - row.credited_minor - row.paid_minor
}

pub async fn issue(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<String, AppError> {
    let txn = db.begin().await.map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
    let draft = find(&txn, scope.organization_id, id).await?;
    if draft.issued_at.is_some() || draft.voided_at.is_some() {
        return Err(AppError::Conflict(
            "This document was already issued.".into(),
        ));
    }
    let is_credit_note = draft.kind == KIND_CREDIT_NOTE;
    let credited = match draft.credited_invoice_id {
        Some(invoice_id) => {
            let credited = find(&txn, scope.organization_id, invoice_id).await?;
            if credited.voided_at.is_some() {
                return Err(AppError::Conflict(
                    "The invoice this credit note corrects was voided.".into(),
                ));
            }
            if draft.total_minor > balance_minor(&credited) {
                let currency = currency_of(&credited)?;
                return Err(AppError::Conflict(format!(
                    "This credit note is more than the invoice's balance due ({}).",
                    currency.format(currency.from_minor(balance_minor(&credited)))
                )));
            }
            Some(credited)
        }
        None => None,
    };
    let (pattern, yearly) = if is_credit_note {
        (
            &settings.credit_note_number_format,
            settings.credit_note_number_yearly,
        )
    } else {
        (
            &settings.invoice_number_format,
            settings.invoice_number_yearly,
        )
    };
    let format = NumberFormat::parse(pattern, yearly)
        .map_err(|error| internal(anyhow::anyhow!("stored number format: {error}")))?;
    let year = draft.issue_date.year();
    let counter = next_counter(
        &txn,
        scope.organization_id,
        &draft.kind,
        format.period(year),
    )
    .await?;
    let number = format.format(
        year,
        u8::from(draft.issue_date.month()),
        u64::try_from(counter).map_err(internal)?,
    );

    let taken = invoice_entity::Entity::find()
        .filter(invoice_entity::Column::OrganizationId.eq(scope.organization_id))
        .filter(invoice_entity::Column::Kind.eq(draft.kind.clone()))
        .filter(invoice_entity::Column::Number.eq(number.clone()))
        .one(&txn)
        .await
        .map_err(internal)?
        .is_some();
    if taken {
        // Only possible after the number format was changed to one that
        // repeats earlier numbers; nothing is issued, nothing is skipped.
        return Err(AppError::Conflict(format!(
            "The number {number} was already used. Change the number format on the Organization page."
        )));
    }
    let customer = customers::find(&txn, scope.organization_id, draft.customer_id).await?;
    let seller = organization::Entity::find_by_id(scope.organization_id)
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let lines = lines_of(&txn, id).await?;
    let mut issued = draft.clone();
    issued.number = Some(number.clone());
    let (content, hash) = seal(&issued, &lines, &customer, &seller, &settings);
    let total = currency_of(&draft)?.format(currency_of(&draft)?.from_minor(draft.total_minor));
    let mut active: invoice_entity::ActiveModel = draft.into();
    active.number = Set(Some(number.clone()));
    active.issued_at = Set(Some(now));
    active.sealed_content = Set(Some(content));
    active.seal_hash = Set(Some(hash.clone()));
    active.updated_at = Set(now);
    let issued = active.update(&txn).await.map_err(internal)?;
    if let Some(credited) = credited {
        let credited_id = credited.id;
        let credited_minor = credited.credited_minor + issued.total_minor;
        let mut active: invoice_entity::ActiveModel = credited.into();
        active.credited_minor = Set(credited_minor);
        active.updated_at = Set(now);
        active.update(&txn).await.map_err(internal)?;
        let change = Change {
            action: "invoice.credited",
            object_type: "invoice",
            object_id: credited_id,
            summary: format!("credit note {number} for {total}"),
        };
        audit::record(&txn, scope, change, now).await?;
    }
    let (action, object_type) = if is_credit_note {
        ("credit_note.issued", "credit_note")
    } else {
        ("invoice.issued", "invoice")
    };
    let change = Change {
        action,
        object_type,
        object_id: id,
        summary: format!("{number}, total {total}, seal {hash}"),
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(number)
}

/// An issued, not voided invoice (not a credit note) of the organization.
async fn payable(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<invoice_entity::Model, AppError> {
    let row = find(txn, organization_id, id).await?;
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

/// Stores a payment (or reversal) and the invoice's new paid amount.
async fn add_payment(
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

/// A payment, or a reversal (negative, naming the payment it reverses).
struct Entry<'a> {
    invoice_id: Uuid,
    paid_on: Date,
    amount_minor: i64,
    method: &'a str,
    reference: &'a str,
    reverses: Option<Uuid>,
}

fn payment_row(scope: &Scope, entry: Entry<'_>, now: OffsetDateTime) -> payment::ActiveModel {
    let Entry {
        invoice_id,
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
        created_at: Set(now),
    }
}

pub async fn record_payment(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    new: &NewPayment<'_>,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let paid_on = parse_date(new.paid_on, "paid_on")?;
    let method = new.method.trim();
    if method.chars().count() > 40 || method.chars().any(char::is_control) {
        return Err(
            FieldError::new("method", "Use at most 40 characters, e.g. bank transfer.").into(),
        );
    }
    let reference = new.reference.trim();
    if reference.chars().count() > 200 || reference.chars().any(char::is_control) {
        return Err(FieldError::new("reference", "Use at most 200 characters.").into());
    }
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.organization_id, id).await?;
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
            paid_on,
            amount_minor,
            method,
            reference,
            reverses: None,
        },
        now,
    );
    let summary = format!("{} on {paid_on} by {method}", currency.format(amount));
    add_payment(&txn, invoice, entry, amount_minor, now).await?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "payment.recorded",
            object_type: "invoice",
            object_id: id,
            summary,
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
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.organization_id, id).await?;
    let balance = balance_minor(&invoice);
    if balance <= 0 {
        return Err(AppError::Conflict("This invoice is already paid.".into()));
    }
    let currency = currency_of(&invoice)?;
    let entry = payment_row(
        scope,
        Entry {
            invoice_id: id,
            paid_on: now.date(),
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
    add_payment(&txn, invoice, entry, balance, now).await?;
    audit::record(
        &txn,
        scope,
        Change {
            action: "invoice.marked_paid",
            object_type: "invoice",
            object_id: id,
            summary,
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
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.organization_id, id).await?;
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
    let open: Vec<&payment::Model> = entries
        .iter()
        .filter(|entry| entry.reverses_payment_id.is_none() && !reversed.contains(&entry.id))
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
                paid_on: now.date(),
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
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)
}

pub async fn void(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(FieldError::new("reason", "Say why this document is void.").into());
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(FieldError::new("reason", "Use one line of at most 500 characters.").into());
    }
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let row = find(&txn, scope.organization_id, id).await?;
    if row.issued_at.is_none() {
        return Err(AppError::Conflict("A draft is deleted, not voided.".into()));
    }
    if row.voided_at.is_some() {
        return Err(AppError::Conflict("This document is already void.".into()));
    }
    if row.paid_minor != 0 {
        return Err(AppError::Conflict(
            "Reverse its payments first (mark it unpaid).".into(),
        ));
    }
    if row.credited_minor != 0 {
        return Err(AppError::Conflict("Void its credit notes first.".into()));
    }
    if let Some(credited_id) = row.credited_invoice_id {
        let credited = find(&txn, scope.organization_id, credited_id).await?;
        let remaining = credited.credited_minor - row.total_minor;
        let mut active: invoice_entity::ActiveModel = credited.into();
        active.credited_minor = Set(remaining);
        active.updated_at = Set(now);
        active.update(&txn).await.map_err(internal)?;
    }
    let number = row.number.clone().unwrap_or_default();
    let object_type = if row.kind == KIND_CREDIT_NOTE {
        "credit_note"
    } else {
        "invoice"
    };
    let mut active: invoice_entity::ActiveModel = row.into();
    active.voided_at = Set(Some(now));
    active.void_reason = Set(Some(reason.to_owned()));
    active.updated_at = Set(now);
    active.update(&txn).await.map_err(internal)?;
    let change = Change {
        action: "invoice.voided",
        object_type,
        object_id: id,
        summary: format!("{number}: {reason}"),
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)
}

pub async fn start_credit_note(
    db: &DatabaseConnection,
    scope: &Scope,
    invoice_id: Uuid,
    now: OffsetDateTime,
) -> Result<Uuid, AppError> {
    let txn = db.begin().await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.organization_id, invoice_id).await?;
    let id = Uuid::new_v4();
    let today = now.date();
    let copy = invoice_entity::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.organization_id),
        kind: Set(KIND_CREDIT_NOTE.to_owned()),
        customer_id: Set(invoice.customer_id),
        credited_invoice_id: Set(Some(invoice.id)),
        number: Set(None),
        currency: Set(invoice.currency.clone()),
        price_mode: Set(invoice.price_mode.clone()),
        issue_date: Set(today),
        due_date: Set(today),
        discount_percent: Set(invoice.discount_percent.clone()),
        notes: Set(format!(
            "Credit note for invoice {}",
            invoice.number.clone().unwrap_or_default()
        )),
        terms: Set(String::new()),
        net_minor: Set(invoice.net_minor),
        tax_minor: Set(invoice.tax_minor),
        total_minor: Set(invoice.total_minor),
        paid_minor: Set(0),
        credited_minor: Set(0),
        issued_at: Set(None),
        voided_at: Set(None),
        void_reason: Set(None),
        sealed_content: Set(None),
        seal_hash: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    copy.insert(&txn).await.map_err(internal)?;
    let lines = lines_of(&txn, invoice.id).await?;
    for line in lines {
        let mut copied: invoice_line::ActiveModel = line.into();
        copied.id = Set(Uuid::new_v4());
        copied.invoice_id = Set(id);
        invoice_line::Entity::insert(copied)
            .exec(&txn)
            .await
            .map_err(internal)?;
    }
    let summary = format!("draft against {}", invoice.number.unwrap_or_default());
    audit::record(
        &txn,
        scope,
        Change {
            action: "credit_note.created",
            object_type: "credit_note",
            object_id: id,
            summary,
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}

fn facts(row: &invoice_entity::Model) -> StatusFacts {
    StatusFacts {
        issued: row.issued_at.is_some(),
        voided: row.voided_at.is_some(),
        amount_due: Decimal::from(row.total_minor - row.credited_minor),
        paid: Decimal::from(row.paid_minor),
        due_date: row.due_date,
    }
}

/// The SQL condition of a derived status, mirroring `InvoiceStatus::derive`.
fn status_condition(status: InvoiceStatus, today: Date) -> Condition {
    use invoice_entity::Column as C;
    use sea_orm::sea_query::ExprTrait;
    let issued = Condition::all()
        .add(C::IssuedAt.is_not_null())
        .add(C::VoidedAt.is_null());
    let settled: SimpleExpr = Expr::col(C::PaidMinor)
        .add(Expr::col(C::CreditedMinor))
        .gte(Expr::col(C::TotalMinor));
    let open: SimpleExpr = Expr::col(C::PaidMinor)
        .add(Expr::col(C::CreditedMinor))
        .lt(Expr::col(C::TotalMinor));
    match status {
        InvoiceStatus::Draft => Condition::all()
            .add(C::IssuedAt.is_null())
            .add(C::VoidedAt.is_null()),
        InvoiceStatus::Void => Condition::all().add(C::VoidedAt.is_not_null()),
        InvoiceStatus::Paid => issued.add(settled),
        InvoiceStatus::Overdue => issued.add(open).add(C::DueDate.lt(today)),
        InvoiceStatus::PartiallyPaid => issued
            .add(open)
            .add(C::DueDate.gte(today))
            .add(C::PaidMinor.gt(0)),
        InvoiceStatus::Unpaid => issued
            .add(open)
            .add(C::DueDate.gte(today))
            .add(C::PaidMinor.eq(0)),
    }
}

/// The condition for the filter's customer, dates and search (status and
/// page apart): invoices only, never credit notes.
async fn filter_scope(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    filter: &InvoiceFilter,
) -> Result<Condition, AppError> {
    use invoice_entity::Column as C;
    let mut scope = Condition::all()
        .add(C::OrganizationId.eq(organization_id))
        .add(C::Kind.eq(KIND_INVOICE));
    if let Some(customer_id) = filter.customer_id {
        scope = scope.add(C::CustomerId.eq(customer_id));
    }
    if let Some(from) = filter.from.as_deref().filter(|text| !text.is_empty()) {
        scope = scope.add(C::IssueDate.gte(parse_date(from, "from")?));
    }
    if let Some(to) = filter.to.as_deref().filter(|text| !text.is_empty()) {
        scope = scope.add(C::IssueDate.lte(parse_date(to, "to")?));
    }
    let query = filter.query.trim();
    if !query.is_empty() {
        let prefix = lookup_key(query);
        let customer_ids: Vec<Uuid> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::OrganizationId.eq(organization_id))
            .filter(starts_with(customer::Column::NameLookup, &prefix))
            .limit(500)
            .into_tuple()
            .all(db)
            .await
            .map_err(internal)?;
        let number = query.to_uppercase();
        scope = scope.add(
            Condition::any()
                .add(starts_with(C::Number, &number))
                .add(C::CustomerId.is_in(customer_ids)),
        );
    }

    Ok(scope)
}

/// Invoices (not credit notes) matching the filter, newest first, in keyset
/// pages.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    filter: &InvoiceFilter,
    today: Date,
) -> Result<InvoicePage, AppError> {
    use invoice_entity::Column as C;
    let scope = filter_scope(db, organization_id, filter).await?;
    let mut page = scope.clone();
    if let Some(status) = filter.status {
        page = page.add(status_condition(status, today));
    }
    if let Some(after) = filter.after {
        let last = find(db, organization_id, after).await?;
        let (before_date, before_id) = if filter.oldest_first {
            (C::IssueDate.gt(last.issue_date), C::Id.gt(last.id))
        } else {
            (C::IssueDate.lt(last.issue_date), C::Id.lt(last.id))
        };
        page = page.add(
            Condition::any().add(before_date).add(
                Condition::all()
                    .add(C::IssueDate.eq(last.issue_date))
                    .add(before_id),
            ),
        );
    }
    let select = invoice_entity::Entity::find().filter(page);
    let select = if filter.oldest_first {
        select.order_by_asc(C::IssueDate).order_by_asc(C::Id)
    } else {
        select.order_by_desc(C::IssueDate).order_by_desc(C::Id)
    };
    let mut rows = select
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await
        .map_err(internal)?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_after = more.then(|| rows.last().map(|row| row.id)).flatten();

    let customer_ids: Vec<Uuid> = rows.iter().map(|row| row.customer_id).collect();
    let names: Vec<(Uuid, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .filter(customer::Column::Id.is_in(customer_ids))
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let currency = currency_of(&row)?;
            Ok(InvoiceRow {
                customer_name: names
                    .iter()
                    .find(|(id, _)| *id == row.customer_id)
                    .map(|(_, name)| name.clone())
                    .unwrap_or_default(),
                status: InvoiceStatus::derive(&facts(&row), today),
                total: currency.from_minor(row.total_minor),
                balance: currency.from_minor(balance_minor(&row).max(0)),
                id: row.id,
                number: row.number,
                issue_date: row.issue_date,
                due_date: row.due_date,
                currency: row.currency,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;

    Ok(InvoicePage { rows, next_after })
}

/// How many invoices, and how much, per status and currency, for the
/// filter's customer, dates and search. A separate call from the list: it
/// reads every matching invoice, where a list page reads fifty.
pub async fn status_totals(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    filter: &InvoiceFilter,
    today: Date,
) -> Result<Vec<StatusTotal>, AppError> {
    use invoice_entity::Column as C;
    let scope = filter_scope(db, organization_id, filter).await?;
    let mut status_totals = Vec::new();
    for status in ALL_STATUSES {
        let sums: Vec<(String, i64, Option<i64>)> = invoice_entity::Entity::find()
            .select_only()
            .column(C::Currency)
            .column_as(C::Id.count(), "count")
            // PostgreSQL sums BIGINT as NUMERIC; cast back to read an i64.
            .column_as(
                Expr::from(sea_orm::sea_query::Func::cast_as(
                    sea_orm::sea_query::Func::sum(Expr::col(C::TotalMinor)),
                    sea_orm::sea_query::Alias::new("BIGINT"),
                )),
                "total",
            )
            .filter(scope.clone().add(status_condition(status, today)))
            .group_by(C::Currency)
            .into_tuple()
            .all(db)
            .await
            .map_err(internal)?;
        for (code, count, total) in sums {
            let currency = Currency::parse(&code)
                .map_err(|_| internal(anyhow::anyhow!("stored currency {code}")))?;
            status_totals.push(StatusTotal {
                status,
                count: u64::try_from(count).unwrap_or(0),
                total: currency.from_minor(total.unwrap_or(0)),
                currency: code,
            });
        }
    }
    Ok(status_totals)
}

fn linked(row: &invoice_entity::Model) -> Result<LinkedDocument, AppError> {
    Ok(LinkedDocument {
        id: row.id,
        number: row.number.clone(),
        total: currency_of(row)?.from_minor(row.total_minor),
        issued: row.issued_at.is_some(),
    })
}

/// Whether the stored rows still say what was sealed, and the seal's hash
/// still matches its content.
fn seal_intact(row: &invoice_entity::Model, lines: &[invoice_line::Model]) -> Option<bool> {
    let (content, hash) = (row.sealed_content.as_ref()?, row.seal_hash.as_ref()?);
    let sealed: serde_json::Value = serde_json::from_str(content).ok()?;
    Some(seal_hash(content) == *hash && sealed["document"] == document_content(row, lines))
}

pub async fn detail(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    today: Date,
) -> Result<InvoiceDetail, AppError> {
    let row = find(db, organization_id, id).await?;
    let currency = currency_of(&row)?;
    let lines = lines_of(db, id).await?;
    let customer = customers::find(db, organization_id, row.customer_id).await?;
    let entries = payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(id))
        .order_by_asc(payment::Column::CreatedAt)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await
        .map_err(internal)?;
    let reversed: Vec<Uuid> = entries
        .iter()
        .filter_map(|entry| entry.reverses_payment_id)
        .collect();
    let credit_notes = invoice_entity::Entity::find()
        .filter(invoice_entity::Column::OrganizationId.eq(organization_id))
        .filter(invoice_entity::Column::CreditedInvoiceId.eq(id))
        .order_by_asc(invoice_entity::Column::CreatedAt)
        .all(db)
        .await
        .map_err(internal)?;
    let credited_invoice = match row.credited_invoice_id {
        Some(credited) => Some(linked(&find(db, organization_id, credited).await?)?),
        None => None,
    };
    let history = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::ObjectId.eq(id))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|event| AuditEntry {
            at: event.occurred_at.unix_timestamp(),
            actor: event.actor_kind,
            action: event.action,
            summary: event.summary,
        })
        .collect();

    let mut taxes: Vec<invoice::TaxSummary> = Vec::new();
    let mut line_details = Vec::with_capacity(lines.len());
    for line in &lines {
        let tax_percent = line.tax_percent.as_deref().map(decimal).transpose()?;
        let (net, tax) = (
            currency.from_minor(line.net_minor),
            currency.from_minor(line.tax_minor),
        );
        if let (Some(name), Some(percent)) = (&line.tax_name, tax_percent) {
            match taxes
                .iter_mut()
                .find(|row| row.name == *name && row.percent == percent)
            {
                Some(row) => {
                    row.net += net;
                    row.tax += tax;
                }
                None => taxes.push(invoice::TaxSummary {
                    name: name.clone(),
                    percent,
                    net,
                    tax,
                }),
            }
        }
        line_details.push(LineDetail {
            description: line.description.clone(),
            quantity: decimal(&line.quantity)?,
            unit_price: decimal(&line.unit_price)?,
            discount_percent: decimal(&line.discount_percent)?,
            tax_rate_id: line.tax_rate_id,
            tax_name: line.tax_name.clone(),
            tax_percent,
            net,
            tax,
            gross: currency.from_minor(line.gross_minor),
        });
    }
    Ok(InvoiceDetail {
        id: row.id,
        is_credit_note: row.kind == KIND_CREDIT_NOTE,
        number: row.number.clone(),
        status: InvoiceStatus::derive(&facts(&row), today),
        customer_id: customer.id,
        customer_name: customer.name,
        currency: row.currency.clone(),
        issue_date: row.issue_date,
        due_date: row.due_date,
        price_mode: PriceMode::parse(&row.price_mode).unwrap_or_default(),
        discount_percent: decimal(&row.discount_percent)?,
        notes: row.notes.clone(),
        terms: row.terms.clone(),
        net: currency.from_minor(row.net_minor),
        tax: currency.from_minor(row.tax_minor),
        total: currency.from_minor(row.total_minor),
        taxes,
        paid: currency.from_minor(row.paid_minor),
        credited: currency.from_minor(row.credited_minor),
        balance: currency.from_minor(balance_minor(&row).max(0)),
        payments: entries
            .iter()
            .map(|entry| PaymentView {
                id: entry.id,
                paid_on: entry.paid_on,
                amount: currency.from_minor(entry.amount_minor),
                method: entry.method.clone(),
                reference: entry.reference.clone(),
                reversed: reversed.contains(&entry.id),
            })
            .collect(),
        credit_notes: credit_notes.iter().map(linked).collect::<Result<_, _>>()?,
        credited_invoice,
        seal_intact: seal_intact(&row, &lines),
        seal_hash: row.seal_hash.clone(),
        void_reason: row.void_reason.clone(),
        lines: line_details,
        history,
    })
}

/// A party named on a document: the seller or the customer.
#[derive(Debug, Clone, Default)]
pub struct Party {
    pub name: String,
    pub address: String,
    pub tax_id: String,
    pub emails: String,
}

impl Party {
    fn from_sealed(value: &serde_json::Value) -> Self {
        let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
        Self {
            name: text("name"),
            address: text("address"),
            tax_id: text("tax_id"),
            emails: text("emails"),
        }
    }
}

/// Everything a printed document shows. An issued document names the seller
/// and customer as its seal recorded them; a draft, as they are now.
pub struct Printable {
    pub detail: InvoiceDetail,
    pub seller: Party,
    pub customer: Party,
}

pub async fn printable(
    db: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
    today: Date,
) -> Result<Printable, AppError> {
    let detail = detail(db, organization_id, id, today).await?;
    let row = find(db, organization_id, id).await?;
    let sealed = row
        .sealed_content
        .as_deref()
        .and_then(|content| serde_json::from_str::<serde_json::Value>(content).ok());
    let (seller, customer) = match sealed {
        Some(sealed) => (
            Party::from_sealed(&sealed["seller"]),
            Party::from_sealed(&sealed["customer"]),
        ),
        None => {
            let customer = customers::find(db, organization_id, row.customer_id).await?;
            let seller = organization::Entity::find_by_id(organization_id)
                .one(db)
                .await
                .map_err(internal)?
                .ok_or(AppError::NotFound)?;
            let settings = audit::settings(db, organization_id).await?;
            (
                Party {
                    name: seller.name,
                    address: settings.address,
                    tax_id: settings.tax_id,
                    emails: String::new(),
                },
                Party {
                    name: customer.name,
                    address: customer.address,
                    tax_id: customer.tax_id,
                    emails: customer.emails,
                },
            )
        }
    };
    Ok(Printable {
        detail,
        seller,
        customer,
    })
}
