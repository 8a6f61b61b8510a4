//! Invoices and credit notes: drafts, issuing (number and seal), payments,
//! one-click status changes, voiding, and the list.

use crate::domain::invoice::{PriceMode, TaxRounding, TaxSummary};
use crate::domain::invoice_status::InvoiceStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// A line as the editor sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineForm {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
    pub discount_percent: String,
    #[serde(default)]
    pub tax_rate_id: Option<Uuid>,
}

/// A draft as the editor sends it; dates as `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceForm {
    pub customer_id: Option<Uuid>,
    pub currency: String,
    pub issue_date: String,
    pub due_date: String,
    #[serde(default)]
    pub price_mode: PriceMode,
    #[serde(default)]
    pub discount_percent: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub terms: String,
    pub lines: Vec<LineForm>,
}

/// A row of the invoices list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: Option<String>,
    pub customer_name: String,
    pub issue_date: Date,
    pub due_date: Date,
    pub currency: String,
    pub total: Decimal,
    pub balance: Decimal,
    pub status: InvoiceStatus,
    /// When it was last sent to the customer (issue 14).
    pub sent_at: Option<time::OffsetDateTime>,
}

/// What the list shows per status: how many, and how much per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusTotal {
    pub status: InvoiceStatus,
    pub count: u64,
    pub currency: String,
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub rows: Vec<InvoiceRow>,
    /// Pass as `after` for the next page.
    pub next_after: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDetail {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount_percent: Decimal,
    pub tax_rate_id: Option<Uuid>,
    pub tax_name: Option<String>,
    pub tax_percent: Option<Decimal>,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    pub id: Uuid,
    pub paid_on: Date,
    /// Negative for a reversal, a refund or a credit moved away.
    pub amount: Decimal,
    /// `payment`, `reversal`, `refund`, `credit_applied` or `credit_received`.
    pub kind: String,
    pub method: String,
    pub reference: String,
    pub reversed: bool,
}

/// An open invoice of the same customer and currency that this invoice's
/// credit can settle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTarget {
    pub id: Uuid,
    pub number: String,
    pub balance: Decimal,
}

/// A document linked to this one (its credit notes, or the invoice a credit
/// note corrects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedDocument {
    pub id: Uuid,
    pub number: Option<String>,
    pub total: Decimal,
    pub issued: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub id: Uuid,
    pub is_credit_note: bool,
    pub number: Option<String>,
    pub status: InvoiceStatus,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The customer's billing addresses, comma-separated: where "Send"
    /// goes unless changed.
    pub customer_emails: String,
    pub currency: String,
    pub issue_date: Date,
    /// False while a draft's issue date is "the day it is issued"; then
    /// `issue_date` is the day it would get if issued today.
    pub issue_date_chosen: bool,
    pub due_date: Date,
    /// False while a draft's due date is "the customer's payment terms";
    /// then `due_date` is the one it would get if issued today.
    pub due_date_chosen: bool,
    pub price_mode: PriceMode,
    /// How this document's tax is rounded.
    pub tax_rounding: TaxRounding,
    pub discount_percent: Decimal,
    pub notes: String,
    pub terms: String,
    pub lines: Vec<LineDetail>,
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub taxes: Vec<TaxSummary>,
    pub paid: Decimal,
    pub credited: Decimal,
    pub balance: Decimal,
    pub payments: Vec<PaymentView>,
    pub credit_notes: Vec<LinkedDocument>,
    pub credited_invoice: Option<LinkedDocument>,
    pub seal_hash: Option<String>,
    /// The stored rows still match the sealed content and its hash.
    pub seal_intact: Option<bool>,
    pub void_reason: Option<String>,
    pub history: Vec<AuditEntry>,
    /// The organization's day when this was read (payments default to it).
    pub today: Date,
    /// What the customer is owed after a credit note on a paid invoice.
    pub credit: Decimal,
    /// Where that credit can go (empty without a credit).
    pub credit_targets: Vec<CreditTarget>,
}

/// Filters and order of the invoices list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceFilter {
    #[serde(default)]
    pub status: Option<InvoiceStatus>,
    #[serde(default)]
    pub customer_id: Option<Uuid>,
    /// Issue dates from and to, inclusive (`YYYY-MM-DD`).
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// An invoice number, or the start of a customer's name.
    #[serde(default)]
    pub query: String,
    /// Oldest first instead of newest first.
    #[serde(default)]
    pub oldest_first: bool,
    #[serde(default)]
    pub after: Option<Uuid>,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/list", input = Json)]
pub async fn list_invoices(filter: InvoiceFilter) -> Result<InvoicePage, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_views};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesRead).await?;
        let today = member.today(request.now());
        invoice_views::list(&request.state.db, member.tenant(), &filter, today).await
    }
    .await;
    request.respond(result)
}

/// Counts and totals per status for the filter (its status and cursor apart).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/status_totals", input = Json)]
pub async fn invoice_status_totals(filter: InvoiceFilter) -> Result<Vec<StatusTotal>, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::status_totals};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesRead).await?;
        let today = member.today(request.now());
        status_totals::status_totals(&request.state.db, member.tenant(), &filter, today).await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/get")]
pub async fn get_invoice(id: Uuid) -> Result<InvoiceDetail, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_views};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesRead).await?;
        let today = member.today(request.now());
        invoice_views::detail(&request.state.db, member.tenant(), id, today).await
    }
    .await;
    request.respond(result)
}

/// What the editor starts from: the organization's day and time zone, and
/// how its new documents round tax (the editor computes live totals the
/// same way the server will).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDefaults {
    pub today: Date,
    /// IANA name.
    pub time_zone: String,
    pub tax_rounding: TaxRounding,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/editor_defaults")]
pub async fn editor_defaults() -> Result<DocumentDefaults, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoices};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesWrite).await?;
        invoices::editor_defaults(&request.state.db, &member, request.now()).await
    }
    .await;
    request.respond(result)
}

/// Creates a draft (no `id`) or replaces a draft's content; answers its id.
/// Issued documents cannot change.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/save_draft", input = Json)]
pub async fn save_draft(id: Option<Uuid>, form: InvoiceForm) -> Result<Uuid, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoices};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesWrite).await?;
        let now = request.now();
        invoices::save_draft(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            &form,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/delete_draft")]
pub async fn delete_draft(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoices};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesWrite).await?;
        let now = request.now();
        invoices::delete_draft(&request.state.db, &request.audit_scope(&member), id, now).await
    }
    .await;
    request.respond(result)
}

/// "Mark as sent": gives the draft the next number of its series and seals
/// it; answers the number.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/issue")]
pub async fn issue_invoice(id: Uuid) -> Result<String, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_issuing};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesIssue).await?;
        let now = request.now();
        invoice_issuing::issue(&request.state.db, &request.audit_scope(&member), id, now).await
    }
    .await;
    request.respond(result)
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/record_payment")]
pub async fn record_payment(
    id: Uuid,
    paid_on: String,
    amount: String,
    #[server(default)] method: String,
    #[server(default)] reference: String,
) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_payments};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::PaymentsRecord).await?;
        let now = request.now();
        let payment = invoice_payments::NewPayment {
            paid_on: &paid_on,
            amount: &amount,
            method: &method,
            reference: &reference,
        };
        invoice_payments::record_payment(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            &payment,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Pays back (part of) the credit a credit note left on a paid invoice.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/refund")]
pub async fn refund_credit(
    id: Uuid,
    paid_on: String,
    amount: String,
    #[server(default)] method: String,
    #[server(default)] reference: String,
) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::request::RequestContext;
    use crate::ssr::services::{invoice_credit, invoice_payments::NewPayment};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::PaymentsRecord).await?;
        let refund = NewPayment {
            paid_on: &paid_on,
            amount: &amount,
            method: &method,
            reference: &reference,
        };
        let scope = request.audit_scope(&member);
        invoice_credit::refund(&request.state.db, &scope, id, &refund, request.now()).await
    }
    .await;
    request.respond(result)
}

/// Moves the credit on invoice `id` to the customer's open invoice `to`;
/// answers the amount moved.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/apply_credit")]
pub async fn apply_credit(id: Uuid, to: Uuid) -> Result<Decimal, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_credit};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::PaymentsRecord).await?;
        let scope = request.audit_scope(&member);
        invoice_credit::apply_credit(&request.state.db, &scope, id, to, request.now()).await
    }
    .await;
    request.respond(result)
}

/// Records the remaining balance as paid today.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/mark_paid")]
pub async fn mark_paid(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_payments};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::PaymentsRecord).await?;
        let now = request.now();
        invoice_payments::mark_paid(&request.state.db, &request.audit_scope(&member), id, now).await
    }
    .await;
    request.respond(result)
}

/// Reverses the invoice's payments with reversal entries (history stays).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/mark_unpaid")]
pub async fn mark_unpaid(id: Uuid) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoice_payments};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::PaymentsRecord).await?;
        let now = request.now();
        invoice_payments::mark_unpaid(&request.state.db, &request.audit_scope(&member), id, now)
            .await
    }
    .await;
    request.respond(result)
}

/// Voids an issued document; it keeps its number. A reason is required.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/void")]
pub async fn void_invoice(id: Uuid, reason: String) -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoices};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesVoid).await?;
        let now = request.now();
        invoices::void(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            &reason,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Starts a credit note against an issued invoice: a draft crediting all of
/// its lines, to adjust and issue. Answers the draft's id.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/credit_note")]
pub async fn start_credit_note(id: Uuid) -> Result<Uuid, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::invoices};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesVoid).await?;
        let now = request.now();
        invoices::start_credit_note(&request.state.db, &request.audit_scope(&member), id, now).await
    }
    .await;
    request.respond(result)
}

/// Whether the caller may download exports now: they need `export` and a
/// recent confirmation (an export is all the data at once).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "exports/check")]
pub async fn check_export() -> Result<(), AppError> {
    use crate::domain::Permission;
    use crate::ssr::request::RequestContext;

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::Export).await?;
        member
            .caller
            .require_recent_confirmation(time::OffsetDateTime::now_utc())
    }
    .await;
    request.respond(result)
}
