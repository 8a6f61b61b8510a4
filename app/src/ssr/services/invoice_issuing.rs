//! Issuing: the next number of the document's series and the seal (its
//! canonical content and SHA-256), in the transaction that marks it sent.

use crate::domain::FieldError;
use crate::domain::invoice::{self, TaxRounding};
use crate::domain::numbering::NumberFormat;
use crate::error::AppError;
use crate::ssr::entities::{
    customer, invoice as invoice_entity, invoice_line, number_series, organization,
};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope, hex};
use crate::ssr::services::customers;
use crate::ssr::services::invoices::{KIND_CREDIT_NOTE, currency_of, due_by_terms, find, lines_of};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

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
///
/// `tax_rounding` is present unless it is `per_line`: documents sealed
/// before the setting existed were all per line and their seals must still
/// verify; a row whose method was changed afterwards no longer matches its
/// seal either way.
pub(crate) fn document_content(
    row: &invoice_entity::Model,
    lines: &[invoice_line::Model],
) -> serde_json::Value {
    let mut content = json!({
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
    });
    if row.tax_rounding != TaxRounding::PerLine.as_str() {
        content["tax_rounding"] = json!(row.tax_rounding);
    }
    content
}

/// The dates a document is issued with. VAT rules want numbers in date
/// order (e.g. Council Directive 2006/112/EC art. 226(2): "a sequential
/// number"; national rules read it as chronological), so the issue date is
/// never earlier than that of the last document issued in the series, nor
/// later than the organization's `today`. An issue date left to the day of
/// issue is `today`; a due date left to the customer's terms is the issue
/// date plus their payment days (a credit note's: its issue date).
async fn issue_dates(
    txn: &impl ConnectionTrait,
    organization_id: Uuid,
    draft: &invoice_entity::Model,
    customer: &customer::Model,
    today: Date,
) -> Result<(Date, Date), AppError> {
    let issue_date = if draft.issue_date_chosen {
        draft.issue_date
    } else {
        today
    };
    let due_date = if draft.due_date_chosen {
        draft.due_date
    } else if draft.kind == KIND_CREDIT_NOTE {
        issue_date
    } else {
        due_by_terms(issue_date, customer)?
    };
    invoice::check_dates(issue_date, due_date)?;
    if issue_date > today {
        return Err(FieldError::new(
            "issue_date",
            format!("The issue date cannot be later than today ({today})."),
        )
        .into());
    }
    let last = invoice_entity::Entity::find()
        .filter(invoice_entity::Column::OrganizationId.eq(organization_id))
        .filter(invoice_entity::Column::Kind.eq(draft.kind.clone()))
        .filter(invoice_entity::Column::IssuedAt.is_not_null())
        .order_by_desc(invoice_entity::Column::IssueDate)
        .one(txn)
        .await
        .map_err(internal)?;
    if let Some(last) = last
        && issue_date < last.issue_date
    {
        return Err(FieldError::new(
            "issue_date",
            // The date only: the document may be a customer's this member
            // cannot see.
            format!(
                "Numbers follow dates: the last document of this series was issued on {}. Use that date or a later one.",
                last.issue_date
            ),
        )
        .into());
    }
    Ok((issue_date, due_date))
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

pub async fn issue(
    db: &DatabaseConnection,
    scope: &Scope,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<String, AppError> {
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
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
            // What was paid can be credited too: the customer is then owed
            // a credit (refunded, or applied to another invoice).
            let creditable = credited.total_minor - credited.credited_minor;
            if draft.total_minor > creditable {
                let currency = currency_of(&credited)?;
                return Err(AppError::Conflict(format!(
                    "This credit note is more than what is left to credit on the invoice ({}).",
                    currency.format(currency.from_minor(creditable))
                )));
            }
            if draft.currency != credited.currency {
                return Err(AppError::Conflict(format!(
                    "A credit note is in its invoice's currency, {}.",
                    credited.currency
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
    let customer = customers::find(&txn, scope.tenant(), draft.customer_id).await?;
    let today = scope.today(now);
    let (issue_date, due_date) =
        issue_dates(&txn, scope.organization_id, &draft, &customer, today).await?;
    let year = issue_date.year();
    let counter = next_counter(
        &txn,
        scope.organization_id,
        &draft.kind,
        format.period(year),
    )
    .await?;
    let number = format.format(
        year,
        u8::from(issue_date.month()),
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
    let seller = organization::Entity::find_by_id(scope.organization_id)
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let lines = lines_of(&txn, id).await?;
    // What is sealed names no bank account but the current payout account:
    // not in the notes (saved, perhaps, before the account changed), the
    // lines, the customer's details nor the seller's.
    crate::domain::payout::check_all_free_text(
        [
            ("notes", draft.notes.as_str()),
            ("terms", draft.terms.as_str()),
            ("customer_name", customer.name.as_str()),
            ("customer_address", customer.address.as_str()),
            ("customer_tax_id", customer.tax_id.as_str()),
            ("address", settings.address.as_str()),
            ("tax_id", settings.tax_id.as_str()),
        ]
        .into_iter()
        .chain(
            lines
                .iter()
                .map(|line| ("lines", line.description.as_str())),
        ),
        &settings.bank_iban,
    )?;
    let mut issued = draft.clone();
    issued.number = Some(number.clone());
    issued.issue_date = issue_date;
    issued.due_date = due_date;
    issued.issue_date_chosen = true;
    issued.due_date_chosen = true;
    let (content, hash) = seal(&issued, &lines, &customer, &seller, &settings);
    let total = currency_of(&draft)?.format(currency_of(&draft)?.from_minor(draft.total_minor));
    let mut active: invoice_entity::ActiveModel = draft.into();
    active.number = Set(Some(number.clone()));
    active.issue_date = Set(issue_date);
    active.due_date = Set(due_date);
    active.issue_date_chosen = Set(true);
    active.due_date_chosen = Set(true);
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
