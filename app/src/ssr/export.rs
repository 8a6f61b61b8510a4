//! CSV exports of invoices, payments and customers, streamed: rows are read
//! a page at a time (keyset pagination) and written out as they come, so an
//! export of a million rows uses the memory of one page.
//!
//! Each page starts where the last ended along an index, so it reads only
//! its own rows: invoices in the order of `invoices_organization_date`
//! (credit notes, then invoices, each by issue date, which is also about the
//! order they were written), customers by name (`customers_organization_name`),
//! payments by id (the primary key). Invoices and customers went by id
//! before, which no index of theirs leads with: SQLite sorted every row of
//! the organization again for each page of 1,000, and a million invoices
//! took 123 s (`make bench`, 2026-12-01; 190 s before and 48 s after on the
//! unoptimised `release` build).
//!
//! A plain axum handler rather than a server function, because its answer is
//! a file download and a stream.

use crate::domain::Permission;
use crate::domain::invoice_status::{InvoiceStatus, StatusFacts};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::Tenant;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::{customer, invoice, payment};
use crate::ssr::errors::internal;
use crate::ssr::request::{download_member, download_scope};
use crate::ssr::services::audit::{self, Change};
use crate::ssr::services::customers;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DerivePartialModel, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

const PAGE: u64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invoices,
    Payments,
    Customers,
}

impl Kind {
    fn parse(file: &str) -> Option<Self> {
        match file {
            "invoices.csv" => Some(Self::Invoices),
            "payments.csv" => Some(Self::Payments),
            "customers.csv" => Some(Self::Customers),
            _ => None,
        }
    }

    /// What the member must be able to read, beside `export`.
    fn read_permission(self) -> Permission {
        match self {
            Self::Invoices | Self::Payments => Permission::InvoicesRead,
            Self::Customers => Permission::CustomersRead,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Invoices => "invoices",
            Self::Payments => "payments",
            Self::Customers => "customers",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Self::Invoices => {
                "number,kind,status,customer,issue_date,due_date,currency,net,tax,total,credited,paid,balance,voided,void_reason,seal_sha256\r\n"
            }
            Self::Payments => {
                "invoice,paid_on,currency,amount,method,reference,reverses_payment,id\r\n"
            }
            Self::Customers => {
                "name,emails,address,tax_id,currency,payment_terms_days,archived,id\r\n"
            }
        }
    }
}

/// One CSV cell (RFC 4180). Text that people typed is always quoted and
/// defused against formula injection (OWASP "CSV Injection"); values the
/// application writes itself (amounts, dates, counts, ids, flags) are left
/// bare, so a spreadsheet reads numbers as numbers (`-12.50` stays a number).
enum Cell {
    Text(String),
    Value(String),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn value(value: impl ToString) -> Cell {
    Cell::Value(value.to_string())
}

/// Where a spreadsheet may start a new cell inside one CSV field: its start,
/// and after `;`, a tab or a line break (import settings that split on them).
fn starts_cell(previous: Option<char>) -> bool {
    matches!(previous, None | Some(';' | '\t' | '\n' | '\r'))
}

/// Characters that make a spreadsheet read a cell as a formula, with their
/// full-width forms (some spreadsheets fold those).
fn starts_formula(c: char) -> bool {
    matches!(
        c,
        '=' | '+' | '-' | '@' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
    )
}

/// Puts a `'` before every formula character that begins a cell, wherever a
/// spreadsheet may begin one (spaces before it skipped), then quotes.
fn quoted_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut previous = None;
    let mut at_cell_start = true;
    for c in value.chars() {
        if starts_cell(previous) {
            at_cell_start = true;
        }
        if at_cell_start && starts_formula(c) {
            out.push('\'');
        }
        if c != ' ' {
            at_cell_start = false;
        }
        if c == '"' {
            out.push('"');
        }
        out.push(c);
        previous = Some(c);
    }
    out.push('"');
    out
}

fn csv_line(cells: &[Cell]) -> String {
    let mut line = cells
        .iter()
        .map(|cell| match cell {
            Cell::Text(value) => quoted_text(value),
            Cell::Value(value) => value.clone(),
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// `GET /app/export/{invoices|payments|customers}.csv`
pub async fn download(
    State(state): State<AppState>,
    session: Session,
    Path(file): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let Some(kind) = Kind::parse(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let member = match download_member(&state, session, Permission::Export).await {
        Ok(member) => member,
        Err(status) => return status.into_response(),
    };
    // All of it at once: only right after the user proved who they are.
    if member.require(kind.read_permission()).is_err()
        || member
            .caller
            .require_recent_confirmation(OffsetDateTime::now_utc())
            .is_err()
    {
        return StatusCode::FORBIDDEN.into_response();
    }
    let scope = download_scope(&member, &headers, client.as_ref().map(|info| &info.0));
    let Ok(reach) = reach_of(&state.db, member.tenant()).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let change = Change {
        action: "export.downloaded",
        object_type: "organization",
        object_id: scope.organization_id,
        summary: format!("{} as CSV ({reach})", kind.name()),
        customer_id: None,
    };
    let now = state.clock.now();
    let today = member.today(now);
    // One event per user, document and hour: downloading again adds
    // nothing to the chain (issue 16).
    if audit::record_read(&state.db, &scope, change, now, async |_| Ok(()))
        .await
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let pages = futures::stream::unfold(
        Cursor {
            db: state.db.clone(),
            tenant: member.tenant(),
            kind,
            after: None,
            done: false,
            first: true,
        },
        move |mut cursor| async move {
            if cursor.done {
                return None;
            }
            let chunk = cursor.next_chunk(today).await;
            Some((chunk, cursor))
        },
    )
    // The compression layer polls once more after the last chunk, and
    // `unfold` panics when polled past its end: every browser asks for
    // gzip, and their downloads were cut off.
    .fuse();
    let disposition = format!(
        "attachment; filename=\"ledgerlock-{}-{}.csv\"",
        kind.name(),
        today
    );
    let mut response = Body::from_stream(pages).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// An export between two pages: what it reads for whom, and where the next
/// page starts.
struct Cursor {
    db: DatabaseConnection,
    tenant: Tenant,
    kind: Kind,
    /// The last row sent: its values of the columns the pages go by.
    after: Option<Vec<Value>>,
    done: bool,
    first: bool,
}

/// One page of `select`: the `PAGE` rows after `after` (the last row sent,
/// its values of `order`'s columns) in the order of `order`. A row value
/// comparison (SQL:1999) lets both engines walk an index on those columns
/// from there, the organization being the index's first column; paging by
/// an offset or by a column the index does not lead with re-sorts every row
/// of the organization per page.
fn page_along<E: EntityTrait>(
    mut select: Select<E>,
    order: &[E::Column],
    after: Option<&[Value]>,
) -> Select<E> {
    // In scope here only: it gives every integer a `max` too.
    use sea_orm::sea_query::ExprTrait as _;
    if let Some(after) = after {
        select = select.filter(
            Expr::tuple(order.iter().map(|column| column.into_expr()))
                .gt(Expr::tuple(after.iter().cloned().map(Expr::val))),
        );
    }
    for &column in order {
        select = select.order_by_asc(column);
    }
    select.limit(PAGE)
}

impl Cursor {
    /// The next page as CSV text (the header first); an error ends the
    /// download, which the client sees as a broken transfer.
    async fn next_chunk(&mut self, today: time::Date) -> Result<Bytes, std::io::Error> {
        let mut text = String::new();
        if self.first {
            self.first = false;
            // A byte-order mark, so that spreadsheets read UTF-8 as UTF-8.
            text.push('\u{feff}');
            text.push_str(self.kind.header());
        }
        let (body, count) = match self.kind {
            Kind::Invoices => self.invoices(today).await,
            Kind::Payments => self.payments().await,
            Kind::Customers => self.customers().await,
        }
        .map_err(|error| {
            tracing::error!(error = %error, "export stopped");
            std::io::Error::other("export stopped")
        })?;
        text.push_str(&body);
        self.done = count < PAGE;
        Ok(Bytes::from(text))
    }

    /// The next page of invoices and how many rows it has; moves the cursor.
    async fn invoices(&mut self, today: time::Date) -> Result<(String, u64), AppError> {
        let select = invoice::Entity::find()
            .filter(invoice::Column::OrganizationId.eq(self.tenant.organization_id))
            .filter(self.tenant.customers.covers(invoice::Column::CustomerId));
        let order = [
            invoice::Column::Kind,
            invoice::Column::IssueDate,
            invoice::Column::Id,
        ];
        let rows = page_along(select, &order, self.after.as_deref())
            .into_partial_model::<ExportedInvoice>()
            .all(&self.db)
            .await
            .map_err(internal)?;
        let names = customers::names_by_id(
            &self.db,
            self.tenant.organization_id,
            rows.iter().map(|row| row.customer_id).collect(),
        )
        .await?;
        let mut out = String::new();
        for row in &rows {
            let currency = Currency::parse(&row.currency)
                .map_err(|_| internal(anyhow::anyhow!("stored currency")))?;
            let amount = |minor: i64| currency.from_minor(minor).to_string();
            let status = InvoiceStatus::derive(
                &StatusFacts {
                    issued: row.issued_at.is_some(),
                    voided: row.voided_at.is_some(),
                    amount_due: Decimal::from(row.total_minor - row.credited_minor),
                    paid: Decimal::from(row.paid_minor),
                    due_date: row.due_date,
                },
                today,
            );
            out.push_str(&row_of_invoice(
                row,
                status,
                names.get(&row.customer_id).cloned().unwrap_or_default(),
                &amount,
            ));
        }
        if let Some(last) = rows.last() {
            self.after = Some(vec![
                last.kind.clone().into(),
                last.issue_date.into(),
                last.id.into(),
            ]);
        }
        Ok((out, rows.len() as u64))
    }

    /// The next page of payments and how many rows it has; moves the cursor.
    async fn payments(&mut self) -> Result<(String, u64), AppError> {
        let mut select = payment::Entity::find()
            .filter(payment::Column::OrganizationId.eq(self.tenant.organization_id));
        if self.tenant.customers.is_limited() {
            select = select.filter(
                payment::Column::InvoiceId.in_subquery(
                    Query::select()
                        .column(invoice::Column::Id)
                        .from(invoice::Entity)
                        .cond_where(self.tenant.customers.covers(invoice::Column::CustomerId))
                        .to_owned(),
                ),
            );
        }
        let rows = page_along(select, &[payment::Column::Id], self.after.as_deref())
            .all(&self.db)
            .await
            .map_err(internal)?;
        let invoice_ids: Vec<Uuid> = rows.iter().map(|row| row.invoice_id).collect();
        let invoices: HashMap<Uuid, (Option<String>, String)> = invoice::Entity::find()
            .select_only()
            .column(invoice::Column::Id)
            .column(invoice::Column::Number)
            .column(invoice::Column::Currency)
            .filter(invoice::Column::Id.is_in(invoice_ids))
            .into_tuple::<(Uuid, Option<String>, String)>()
            .all(&self.db)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(id, number, currency)| (id, (number, currency)))
            .collect();
        let mut out = String::new();
        for row in &rows {
            let (number, code) = invoices.get(&row.invoice_id).cloned().unwrap_or_default();
            let amount = Currency::parse(&code)
                .map(|currency| currency.from_minor(row.amount_minor).to_string())
                .unwrap_or_default();
            out.push_str(&csv_line(&[
                text(number.unwrap_or_default()),
                value(row.paid_on),
                value(code),
                value(amount),
                text(row.method.clone()),
                text(row.reference.clone()),
                value(
                    row.reverses_payment_id
                        .map(|id| id.to_string())
                        .unwrap_or_default(),
                ),
                value(row.id),
            ]));
        }
        if let Some(last) = rows.last() {
            self.after = Some(vec![last.id.into()]);
        }
        Ok((out, rows.len() as u64))
    }

    /// The next page of customers and how many rows it has; moves the cursor.
    async fn customers(&mut self) -> Result<(String, u64), AppError> {
        let select = customer::Entity::find()
            .filter(customer::Column::OrganizationId.eq(self.tenant.organization_id))
            .filter(self.tenant.customers.covers(customer::Column::Id));
        let order = [customer::Column::NameLookup, customer::Column::Id];
        let rows = page_along(select, &order, self.after.as_deref())
            .all(&self.db)
            .await
            .map_err(internal)?;
        let mut out = String::new();
        for customer in &rows {
            out.push_str(&csv_line(&[
                text(customer.name.clone()),
                text(customer.emails.clone()),
                text(customer.address.clone()),
                text(customer.tax_id.clone()),
                value(&customer.currency),
                value(customer.payment_terms_days),
                value(customer.archived_at.is_some()),
                value(customer.id),
            ]));
        }
        if let Some(last) = rows.last() {
            self.after = Some(vec![last.name_lookup.clone().into(), last.id.into()]);
        }
        Ok((out, rows.len() as u64))
    }
}

/// The columns an invoice export reads: not the sealed content, which is
/// most of a row's bytes.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "invoice::Entity")]
struct ExportedInvoice {
    id: Uuid,
    customer_id: Uuid,
    number: Option<String>,
    kind: String,
    issue_date: time::Date,
    due_date: time::Date,
    currency: String,
    net_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    credited_minor: i64,
    paid_minor: i64,
    issued_at: Option<OffsetDateTime>,
    voided_at: Option<OffsetDateTime>,
    void_reason: Option<String>,
    seal_hash: Option<String>,
}

fn row_of_invoice(
    row: &ExportedInvoice,
    status: InvoiceStatus,
    customer: String,
    amount: &dyn Fn(i64) -> String,
) -> String {
    csv_line(&[
        text(row.number.clone().unwrap_or_default()),
        value(&row.kind),
        value(status.as_str()),
        text(customer),
        value(row.issue_date),
        value(row.due_date),
        value(&row.currency),
        value(amount(row.net_minor)),
        value(amount(row.tax_minor)),
        value(amount(row.total_minor)),
        value(amount(row.credited_minor)),
        value(amount(row.paid_minor)),
        value(amount(
            (row.total_minor - row.credited_minor - row.paid_minor).max(0),
        )),
        value(row.voided_at.is_some()),
        text(row.void_reason.clone().unwrap_or_default()),
        value(row.seal_hash.clone().unwrap_or_default()),
    ])
}

/// Which customers an export covers, as its audit event says: "every
/// customer", or for a member limited to a list, how many and a fingerprint
/// of which (the first 8 hex digits of the SHA-256 of their sorted ids), so
/// an export after the list changed is a read of its own.
async fn reach_of(db: &impl ConnectionTrait, tenant: Tenant) -> Result<String, AppError> {
    use crate::ssr::access::CustomerReach;
    use crate::ssr::entities::membership_customer;
    use sha2::{Digest, Sha256};
    let CustomerReach::Listed { membership_id } = tenant.customers else {
        return Ok("every customer".into());
    };
    let mut ids: Vec<Uuid> = membership_customer::Entity::find()
        .select_only()
        .column(membership_customer::Column::CustomerId)
        .filter(membership_customer::Column::MembershipId.eq(membership_id))
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    ids.sort_unstable();
    let mut digest = Sha256::new();
    for id in &ids {
        digest.update(id.as_bytes());
    }
    Ok(format!(
        "{} listed customers, list {}",
        ids.len(),
        audit::hex(&digest.finalize()[..4])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_always_quoted_and_formulas_defused_wherever_a_cell_can_start() {
        let line = |cells: &[Cell]| csv_line(cells).trim_end().to_owned();
        assert_eq!(line(&[text("plain")]), "\"plain\"");
        assert_eq!(line(&[text("a,b")]), "\"a,b\"");
        assert_eq!(line(&[text("say \"hi\"")]), "\"say \"\"hi\"\"\"");
        assert_eq!(line(&[text("=1+2")]), "\"'=1+2\"");
        assert_eq!(line(&[text("ACME;=1+2")]), "\"ACME;'=1+2\"");
        assert_eq!(line(&[text("a\t=1+2")]), "\"a\t'=1+2\"");
        assert_eq!(line(&[text("a\n  =1+2")]), "\"a\n  '=1+2\"");
        assert_eq!(line(&[text("-1+2")]), "\"'-1+2\"");
        assert_eq!(line(&[text("@SUM(A1)")]), "\"'@SUM(A1)\"");
        assert_eq!(line(&[text("\u{FF1D}1+2")]), "\"'\u{FF1D}1+2\"");
        assert_eq!(
            line(&[text("Smith - Jones; Partners")]),
            "\"Smith - Jones; Partners\""
        );
        assert_eq!(line(&[value("-12.50")]), "-12.50", "amounts stay numbers");
        assert_eq!(csv_line(&[text("a"), value(3)]), "\"a\",3\r\n");
    }
}
