//! Invoices and credit notes. Every write takes the organization's billing
//! lock (see `audit::lock`), applies the domain rules, writes the rows and
//! the audit event in one transaction.
//!
//! Issuing (number and seal) is `invoice_issuing`; from then on nothing but
//! payments, credit notes and voiding touches the document. Payments are
//! `invoice_payments`; reading (lists, one document, print) is
//! `invoice_views`.

use crate::api::invoices::{DocumentDefaults, InvoiceForm};
use crate::domain::FieldError;
use crate::domain::invoice::{
    self, Draft, Line, LineInput, LineTax, PriceMode, TaxRounding, parse_date,
};
use crate::domain::money::{Currency, Overflow};
use crate::error::AppError;
use crate::ssr::access::{Member, Tenant};
use crate::ssr::entities::{customer, invoice as invoice_entity, invoice_line};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::{self, Change, Scope};
use crate::ssr::services::customers;
use crate::ssr::services::invoice_credit::credit_paid_out;
use crate::ssr::services::invoice_payments::payable;
use crate::ssr::services::products::tax_rate_of;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::str::FromStr;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

pub const PAGE_SIZE: u64 = 50;
pub(crate) const KIND_INVOICE: &str = "invoice";
pub(crate) const KIND_CREDIT_NOTE: &str = "credit_note";
const MAX_TEXT_CHARS: usize = 5000;

pub(crate) fn sealed_error() -> AppError {
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
    /// False when the issue date was left to the day of issue.
    issue_date_chosen: bool,
    due_date: Date,
    /// False when the due date was left to the customer's payment terms.
    due_date_chosen: bool,
    price_mode: PriceMode,
    tax_rounding: TaxRounding,
    discount_percent: Decimal,
    notes: String,
    terms: String,
    lines: Vec<(Line, Option<Uuid>)>,
    totals: invoice::Totals,
}

/// The stored method of tax rounding (an organization's or a document's).
pub(crate) fn tax_rounding_of(stored: &str) -> Result<TaxRounding, AppError> {
    TaxRounding::parse(stored)
        .ok_or_else(|| internal(anyhow::anyhow!("stored tax rounding {stored}")))
}

pub async fn editor_defaults(
    db: &DatabaseConnection,
    member: &Member,
    now: OffsetDateTime,
) -> Result<DocumentDefaults, AppError> {
    let settings = audit::settings(db, member.caller.organization_id).await?;
    Ok(DocumentDefaults {
        today: member.today(now),
        time_zone: member.time_zone.name().to_owned(),
        tax_rounding: tax_rounding_of(&settings.tax_rounding)?,
    })
}

/// The due date by the customer's payment terms: `issue_date` plus their
/// days (net 14 from 2026-10-20 is 2026-11-03).
pub(crate) fn due_by_terms(issue_date: Date, customer: &customer::Model) -> Result<Date, AppError> {
    issue_date
        .checked_add(time::Duration::days(i64::from(customer.payment_terms_days)))
        .ok_or_else(|| FieldError::new("due_date", "Enter a date as YYYY-MM-DD.").into())
}

/// What a draft is held to besides its own content.
struct DraftRules {
    tax_rounding: TaxRounding,
    /// A credit note's: its invoice's currency.
    credited_currency: Option<String>,
    /// The organization's day: the issue date until the document is issued,
    /// when none was chosen.
    today: Date,
}

/// Parses and computes a draft. An empty issue date means "the day it is
/// issued" (`rules.today` until then); an empty due date is the issue date
/// plus the customer's payment terms.
async fn prepare(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    form: &InvoiceForm,
    rules: &DraftRules,
) -> Result<Prepared, AppError> {
    let (tax_rounding, today) = (rules.tax_rounding, rules.today);
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
    match &rules.credited_currency {
        Some(code) if currency.code() != code => {
            return Err(FieldError::new(
                "currency",
                format!("A credit note is in its invoice's currency, {code}."),
            )
            .into());
        }
        Some(_) => {}
        None if currency.code() != customer.currency => {
            return Err(FieldError::new(
                "currency",
                format!("{} is billed in {}.", customer.name, customer.currency),
            )
            .into());
        }
        None => {}
    }
    let issue_date_chosen = !form.issue_date.trim().is_empty();
    let issue_date = if issue_date_chosen {
        parse_date(&form.issue_date, "issue_date")?
    } else {
        today
    };
    let due_date_chosen = !form.due_date.trim().is_empty();
    let due_date = if due_date_chosen {
        parse_date(&form.due_date, "due_date")?
    } else {
        due_by_terms(issue_date, &customer)?
    };
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
        tax_rounding,
        discount_percent,
        lines: lines.iter().map(|(line, _)| line.clone()).collect(),
    };
    let totals = invoice::totals(&draft).map_err(|Overflow| too_large())?;
    // Every stored amount fits its column, and sums of them stay far inside.
    invoice::check_total(currency, totals.total)?;
    Ok(Prepared {
        customer,
        currency,
        issue_date,
        issue_date_chosen,
        due_date,
        due_date_chosen,
        price_mode: form.price_mode,
        tax_rounding,
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
    active.tax_rounding = Set(prepared.tax_rounding.as_str().to_owned());
    active.issue_date = Set(prepared.issue_date);
    active.issue_date_chosen = Set(prepared.issue_date_chosen);
    active.due_date_chosen = Set(prepared.due_date_chosen);
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
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    let settings = audit::lock(&txn, scope.organization_id).await?;
    let existing = match id {
        Some(id) => {
            let existing = find(&txn, scope.tenant(), id).await?;
            if existing.issued_at.is_some() || existing.voided_at.is_some() {
                return Err(sealed_error());
            }
            Some(existing)
        }
        None => None,
    };
    // A credit note mirrors its invoice: same currency (whatever the
    // customer's is now) and the same tax rounding.
    let credited = match existing.as_ref().and_then(|row| row.credited_invoice_id) {
        Some(invoice_id) => Some(find(&txn, scope.tenant(), invoice_id).await?),
        None => None,
    };
    let rules = DraftRules {
        tax_rounding: tax_rounding_of(
            credited
                .as_ref()
                .map_or(&settings.tax_rounding, |invoice| &invoice.tax_rounding),
        )?,
        credited_currency: credited.as_ref().map(|invoice| invoice.currency.clone()),
        today: scope.today(now),
    };
    let prepared = prepare(&txn, scope.tenant(), form, &rules).await?;
    crate::domain::payout::check_all_free_text(
        [
            ("notes", prepared.notes.as_str()),
            ("terms", prepared.terms.as_str()),
        ]
        .into_iter()
        .chain(
            prepared
                .lines
                .iter()
                .map(|(line, _)| ("lines", line.description.as_str())),
        ),
        &settings.bank_iban,
    )?;
    let (id, action) = match existing {
        Some(existing) => {
            let id = existing.id;
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
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
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
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
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
        // Voiding would put back a debt whose credit was already paid out.
        if credit_paid_out(&txn, credited_id).await? {
            return Err(AppError::Conflict(
                "The credit on its invoice was refunded or applied to another invoice; correct it with a new document instead."
                    .into(),
            ));
        }
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
    let txn = crate::ssr::db::begin_write(db).await.map_err(internal)?;
    audit::lock(&txn, scope.organization_id).await?;
    let invoice = payable(&txn, scope.tenant(), invoice_id).await?;
    let id = Uuid::new_v4();
    let today = scope.today(now);
    let copy = invoice_entity::ActiveModel {
        id: Set(id),
        organization_id: Set(scope.organization_id),
        kind: Set(KIND_CREDIT_NOTE.to_owned()),
        customer_id: Set(invoice.customer_id),
        credited_invoice_id: Set(Some(invoice.id)),
        number: Set(None),
        currency: Set(invoice.currency.clone()),
        price_mode: Set(invoice.price_mode.clone()),
        // The credit note's lines are the invoice's, so are its amounts.
        tax_rounding: Set(invoice.tax_rounding.clone()),
        issue_date: Set(today),
        issue_date_chosen: Set(false),
        due_date: Set(today),
        // A credit note is not paid by its customer: due when issued.
        due_date_chosen: Set(false),
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
        sent_at: Set(None),
        links_frozen_at: Set(None),
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
