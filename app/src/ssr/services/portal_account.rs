//! What a portal session shows (issue 14): "all my invoices with
//! <organization>" for one customer contact — the open items, a statement
//! with a running balance per currency, the payment history, and each
//! document with its PDF. Every read is bounded by the session's
//! organization and customer; drafts never show.

use crate::domain::invoice_status::{InvoiceStatus, StatusFacts};
use crate::error::AppError;
use crate::ssr::access::{CustomerReach, Tenant};
use crate::ssr::entities::{customer, invoice as invoice_entity, payment, portal_session};
use crate::ssr::errors::internal;
use crate::ssr::services::audit::Change;
use crate::ssr::services::invoice_views::{self, Printable};
use crate::ssr::services::invoices::{KIND_CREDIT_NOTE, balance_minor, currency_of};
use crate::ssr::services::portal::{self, Visit};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// At most this many documents are listed (the newest).
const MAX_DOCUMENTS: usize = 500;

/// One document in the portal's lists.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub id: Uuid,
    pub number: String,
    pub is_credit_note: bool,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: String,
    pub total: Decimal,
    /// What is still due (invoices; zero for credit notes).
    pub balance: Decimal,
    pub status: InvoiceStatus,
    /// The operator froze its links while a report is examined.
    pub under_review: bool,
}

/// One line of a statement: a document or a payment, and the balance after it.
#[derive(Debug, Clone)]
pub struct StatementLine {
    pub date: Date,
    pub description: String,
    /// What the customer was charged (an invoice).
    pub charge: Option<Decimal>,
    /// What reduced the balance (a credit note, a payment); a refund or a
    /// reversed payment is a negative credit.
    pub credit: Option<Decimal>,
    pub balance: Decimal,
}

/// The statement in one currency, oldest line first.
#[derive(Debug, Clone)]
pub struct Statement {
    pub currency: String,
    pub lines: Vec<StatementLine>,
    pub closing_balance: Decimal,
}

/// One payment as the customer sees it.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub paid_on: Date,
    pub document: String,
    pub currency: String,
    pub amount: Decimal,
    pub kind: String,
}

/// Everything "all my invoices" shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub organization: String,
    pub customer: String,
    pub email: String,
    /// Invoices with a balance due, oldest due first.
    pub open_items: Vec<DocumentRow>,
    /// Every issued document, newest first.
    pub documents: Vec<DocumentRow>,
    pub statements: Vec<Statement>,
    /// Newest first.
    pub payments: Vec<PaymentRow>,
}

fn row_of(row: &invoice_entity::Model, today: Date) -> Result<DocumentRow, AppError> {
    let currency = currency_of(row)?;
    let facts = StatusFacts {
        issued: row.issued_at.is_some(),
        voided: row.voided_at.is_some(),
        amount_due: Decimal::from(row.total_minor - row.credited_minor),
        paid: Decimal::from(row.paid_minor),
        due_date: row.due_date,
    };
    let is_credit_note = row.kind == KIND_CREDIT_NOTE;
    Ok(DocumentRow {
        id: row.id,
        number: row.number.clone().unwrap_or_default(),
        is_credit_note,
        issue_date: row.issue_date,
        due_date: row.due_date,
        currency: row.currency.clone(),
        total: currency.from_minor(row.total_minor),
        balance: if is_credit_note || row.voided_at.is_some() {
            Decimal::ZERO
        } else {
            currency.from_minor(balance_minor(row).max(0))
        },
        status: InvoiceStatus::derive(&facts, today),
        under_review: row.links_frozen_at.is_some(),
    })
}

/// The session's issued documents (drafts never), oldest first.
async fn issued_documents(
    db: &impl ConnectionTrait,
    session: &portal_session::Model,
) -> Result<Vec<invoice_entity::Model>, AppError> {
    invoice_entity::Entity::find()
        .filter(invoice_entity::Column::OrganizationId.eq(session.organization_id))
        .filter(invoice_entity::Column::CustomerId.eq(session.customer_id))
        .filter(invoice_entity::Column::IssuedAt.is_not_null())
        .order_by_asc(invoice_entity::Column::IssueDate)
        .order_by_asc(invoice_entity::Column::IssuedAt)
        .all(db)
        .await
        .map_err(internal)
}

/// "All my invoices" for `session` on `today` (the organization's day).
///
/// # Errors
/// Internal only.
pub async fn account(
    db: &DatabaseConnection,
    session: &portal_session::Model,
    today: Date,
) -> Result<AccountView, AppError> {
    let (_, organization) = portal::zone_and_name(db, session.organization_id).await?;
    let customer = customer::Entity::find_by_id(session.customer_id)
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let rows = issued_documents(db, session).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let entries = payment::Entity::find()
        .filter(payment::Column::OrganizationId.eq(session.organization_id))
        .filter(payment::Column::InvoiceId.is_in(ids))
        .order_by_asc(payment::Column::PaidOn)
        .order_by_asc(payment::Column::CreatedAt)
        .all(db)
        .await
        .map_err(internal)?;

    let statements = statements(&rows, &entries)?;
    let number_of = |id: Uuid| {
        rows.iter()
            .find(|row| row.id == id)
            .and_then(|row| row.number.clone())
            .unwrap_or_default()
    };
    let mut payments = Vec::new();
    for entry in entries.iter().rev() {
        let Some(document) = rows.iter().find(|row| row.id == entry.invoice_id) else {
            continue;
        };
        let currency = currency_of(document)?;
        payments.push(PaymentRow {
            paid_on: entry.paid_on,
            document: number_of(entry.invoice_id),
            currency: document.currency.clone(),
            amount: currency.from_minor(entry.amount_minor),
            kind: entry.kind.clone(),
        });
    }
    let documents = rows
        .iter()
        .rev()
        .take(MAX_DOCUMENTS)
        .map(|row| row_of(row, today))
        .collect::<Result<Vec<_>, _>>()?;
    let mut open_items: Vec<DocumentRow> = documents
        .iter()
        .filter(|row| !row.is_credit_note && row.balance > Decimal::ZERO)
        .cloned()
        .collect();
    open_items.sort_by_key(|row| (row.due_date, row.issue_date));
    Ok(AccountView {
        organization,
        customer: customer.name,
        email: session.email.clone(),
        open_items,
        documents,
        statements,
        payments,
    })
}

/// The running balance per currency: each invoice charges its total, each
/// credit note and payment entry credits its amount (a refund, a reversal
/// or credit moved away is a negative credit), in date order. Void
/// documents are left out (what they credited or charged was undone).
/// The closing balance equals the sum of the invoices' balances.
fn statements(
    rows: &[invoice_entity::Model],
    entries: &[payment::Model],
) -> Result<Vec<Statement>, AppError> {
    enum Item<'a> {
        Document(&'a invoice_entity::Model),
        Entry(&'a payment::Model, &'a invoice_entity::Model),
    }
    let mut items: Vec<(Date, u8, Item)> = Vec::new();
    for row in rows.iter().filter(|row| row.voided_at.is_none()) {
        items.push((row.issue_date, 0, Item::Document(row)));
    }
    for entry in entries {
        if let Some(row) = rows
            .iter()
            .find(|row| row.id == entry.invoice_id && row.voided_at.is_none())
        {
            items.push((entry.paid_on, 1, Item::Entry(entry, row)));
        }
    }
    // Stable: within a day, documents before payments, each in issue order.
    items.sort_by_key(|(date, order, _)| (*date, *order));
    let mut statements: Vec<(String, Vec<StatementLine>, i128)> = Vec::new();
    for (date, _, item) in items {
        // (document, description, change of the balance, whether a charge)
        let (row, description, signed_minor, charged) = match item {
            Item::Document(row) if row.kind == KIND_CREDIT_NOTE => (
                row,
                format!("Credit note {}", row.number.as_deref().unwrap_or_default()),
                -i128::from(row.total_minor),
                false,
            ),
            Item::Document(row) => (
                row,
                format!("Invoice {}", row.number.as_deref().unwrap_or_default()),
                i128::from(row.total_minor),
                true,
            ),
            Item::Entry(entry, row) => (
                row,
                format!(
                    "{} — {}",
                    entry_label(&entry.kind),
                    row.number.as_deref().unwrap_or_default()
                ),
                -i128::from(entry.amount_minor),
                false,
            ),
        };
        let currency = currency_of(row)?;
        let index = match statements
            .iter()
            .position(|(code, ..)| *code == row.currency)
        {
            Some(index) => index,
            None => {
                statements.push((row.currency.clone(), Vec::new(), 0));
                statements.len() - 1
            }
        };
        let (_, lines, running) = &mut statements[index];
        *running += signed_minor;
        let amount = |minor: i128| {
            currency
                .from_minor_sum(minor)
                .map_err(|_| internal(anyhow::anyhow!("statement overflow")))
        };
        lines.push(StatementLine {
            date,
            description,
            charge: charged.then(|| amount(signed_minor)).transpose()?,
            credit: (!charged).then(|| amount(-signed_minor)).transpose()?,
            balance: amount(*running)?,
        });
    }
    statements
        .into_iter()
        .map(|(currency_code, lines, running)| {
            let currency = crate::domain::money::Currency::parse(&currency_code)
                .map_err(|error| internal(anyhow::anyhow!(error.message)))?;
            Ok(Statement {
                currency: currency_code,
                lines,
                closing_balance: currency
                    .from_minor_sum(running)
                    .map_err(|_| internal(anyhow::anyhow!("statement overflow")))?,
            })
        })
        .collect()
}

/// How a payment entry's kind reads on a statement.
pub fn entry_label(kind: &str) -> &'static str {
    match kind {
        "payment" => "Payment",
        "reversal" => "Payment reversed",
        "refund" => "Refund",
        "credit_applied" => "Credit moved to another invoice",
        "credit_received" => "Credit from another invoice",
        _ => "Entry",
    }
}

/// What opening a document through a session gives.
pub enum SessionDocument {
    Shown(Box<Printable>),
    UnderReview,
}

/// Document `id` for `session`, its opening recorded as `action`
/// (`document.viewed` or `document.downloaded`), at most hourly per
/// session, document and action.
///
/// # Errors
/// `NotFound` unless it is an issued document of the session's customer
/// in the session's organization.
pub async fn open_document(
    db: &DatabaseConnection,
    session: &portal_session::Model,
    id: Uuid,
    action: &'static str,
    visit: &Visit<'_>,
    now: OffsetDateTime,
) -> Result<SessionDocument, AppError> {
    let row = invoice_entity::Entity::find_by_id(id)
        .filter(invoice_entity::Column::OrganizationId.eq(session.organization_id))
        .filter(invoice_entity::Column::CustomerId.eq(session.customer_id))
        .filter(invoice_entity::Column::IssuedAt.is_not_null())
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    if row.links_frozen_at.is_some() {
        return Ok(SessionDocument::UnderReview);
    }
    let (time_zone, _) = portal::zone_and_name(db, session.organization_id).await?;
    let tenant = Tenant {
        organization_id: session.organization_id,
        customers: CustomerReach::All,
    };
    let printable = invoice_views::printable(db, tenant, id, time_zone.today(now)).await?;
    let number = row.number.clone().unwrap_or_default();
    let scope = portal::contact_scope(session.organization_id, session.id, time_zone, visit);
    let change = Change {
        action,
        object_type: if row.kind == KIND_CREDIT_NOTE {
            "credit_note"
        } else {
            "invoice"
        },
        object_id: id,
        summary: format!(
            "{number} {} by customer contact {} (portal)",
            if action == "document.viewed" {
                "opened"
            } else {
                "downloaded as PDF"
            },
            session.email
        ),
        customer_id: Some(session.customer_id),
    };
    portal::record_at_most_hourly(db, &scope, change, None, now).await?;
    Ok(SessionDocument::Shown(Box::new(printable)))
}
