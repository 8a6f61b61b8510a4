//! Invoices and credit notes. Every write takes the organization's billing
//! lock (see `audit::lock`), applies the domain rules, writes the rows and
//! the audit event in one transaction.
//!
//! Issuing draws the next number of the document's series and seals the
//! content: its canonical JSON and SHA-256 are stored, and from then on
//! nothing but payments, credit notes and voiding touches the document.
//! Payments are `invoice_payments`; reading (lists, one document, print) is
//! `invoice_views`.

use crate::api::invoices::InvoiceForm;
use crate::domain::FieldError;
use crate::domain::invoice::{self, Draft, Line, LineInput, LineTax, PriceMode, parse_date};
use crate::domain::money::{Currency, Overflow};
use crate::domain::numbering::NumberFormat;
use crate::error::AppError;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{
    customer, invoice as invoice_entity, invoice_line, number_series, organization,
};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope, hex};
use crate::ssr::services::customers;
use crate::ssr::services::invoice_payments::payable;
use crate::ssr::services::products::tax_rate_of;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::str::FromStr;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub const PAGE_SIZE: u64 = 50;
pub(crate) const KIND_INVOICE: &str = "invoice";
pub(crate) const KIND_CREDIT_NOTE: &str = "credit_note";
const MAX_TEXT_CHARS: usize = 5000;

fn sealed_error() -> AppError {
    AppError::Conflict(
        "This document was issued and is sealed: correct it with a credit note.".into(),
    )
}

fn too_large() -> AppError {
    FieldError::new("lines", "These amounts are too large to compute.").into()
}

pub(crate) fn decimal(text: &str) -> Result<Decimal, AppError> {
    Decimal::from_str(text).map_err(internal)
}

pub(crate) fn currency_of(row: &invoice_entity::Model) -> Result<Currency, AppError> {
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

/// The invoice or credit note `id`, if the tenant may reach its customer;
/// otherwise `NotFound`.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
) -> Result<invoice_entity::Model, AppError> {
    invoice_entity::Entity::find_by_id(id)
        .filter(invoice_entity::Column::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers(invoice_entity::Column::CustomerId))
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
    tenant: Tenant,
    form: &InvoiceForm,
) -> Result<Prepared, AppError> {
    let customer_id = form
        .customer_id
        .ok_or_else(|| FieldError::new("customer_id", "Choose a customer."))?;
    let customer = customers::find(db, tenant, customer_id)
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
                    tenant.organization_id,
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
    let prepared = prepare(&txn, scope.tenant(), form).await?;
    let (id, action) = match id {
        Some(id) => {
            let existing = find(&txn, scope.tenant(), id).await?;
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
        customer_id: Some(prepared.customer.id),
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
    let existing = find(&txn, scope.tenant(), id).await?;
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
            customer_id: Some(existing.customer_id),
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
pub(crate) fn document_content(
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

pub(crate) fn seal_hash(content: &str) -> String {
    hex(&Sha256::digest(content.as_bytes()))
}

pub(crate) async fn lines_of(
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
pub(crate) fn balance_minor(row: &invoice_entity::Model) -> i64 {
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
    let draft = find(&txn, scope.tenant(), id).await?;
    if draft.issued_at.is_some() || draft.voided_at.is_some() {
        return Err(AppError::Conflict(
            "This document was already issued.".into(),
        ));
    }
    let is_credit_note = draft.kind == KIND_CREDIT_NOTE;
    let credited = match draft.credited_invoice_id {
        Some(invoice_id) => {
            let credited = find(&txn, scope.tenant(), invoice_id).await?;
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
    let customer = customers::find(&txn, scope.tenant(), draft.customer_id).await?;
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
            customer_id: Some(issued.customer_id),
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
        customer_id: Some(issued.customer_id),
    };
    audit::record(&txn, scope, change, now).await?;
    txn.commit().await.map_err(internal)?;
    Ok(number)
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
    let row = find(&txn, scope.tenant(), id).await?;
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
        let credited = find(&txn, scope.tenant(), credited_id).await?;
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
    let customer_id = row.customer_id;
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
        customer_id: Some(customer_id),
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
    let invoice = payable(&txn, scope.tenant(), invoice_id).await?;
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
    let customer_id = invoice.customer_id;
    let summary = format!("draft against {}", invoice.number.unwrap_or_default());
    audit::record(
        &txn,
        scope,
        Change {
            action: "credit_note.created",
            object_type: "credit_note",
            object_id: id,
            summary,
            customer_id: Some(customer_id),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(internal)?;
    Ok(id)
}
