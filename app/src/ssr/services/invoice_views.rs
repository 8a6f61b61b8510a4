//! Reading invoices: the list (its totals per status are `status_totals`), one document with
//! its payments, credit notes and history, and what a printed copy shows.
//! (Writing them is `invoices`.)

use crate::api::invoices::{
    AuditEntry, CreditTarget, InvoiceDetail, InvoiceFilter, InvoicePage, InvoiceRow, LineDetail,
    LinkedDocument, PaymentView,
};
use crate::domain::invoice::{self, PriceMode, parse_date};
use crate::domain::invoice_status::{InvoiceStatus, StatusFacts};
use crate::error::AppError;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{
    audit_event, customer, invoice as invoice_entity, invoice_line, organization, payment,
};
use crate::ssr::errors::internal;
use crate::ssr::services::audit;
use crate::ssr::services::customers::{self, lookup_key, starts_with};
use crate::ssr::services::invoice_credit::credit_minor;
use crate::ssr::services::invoice_issuing::{document_content, seal_hash};
use crate::ssr::services::invoices::{
    KIND_CREDIT_NOTE, KIND_INVOICE, PAGE_SIZE, balance_minor, currency_of, decimal, due_by_terms,
    find, lines_of, tax_rounding_of,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Condition, Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use time::Date;
use uuid::Uuid;

fn facts(row: &invoice_entity::Model) -> StatusFacts {
    StatusFacts {
        issued: row.issued_at.is_some(),
        voided: row.voided_at.is_some(),
        amount_due: Decimal::from(row.total_minor - row.credited_minor),
        paid: Decimal::from(row.paid_minor),
        due_date: row.due_date,
    }
}

/// Issued, not void, and not yet settled: the condition of the partial
/// index `invoices_open` (migration 17), term for term and in the
/// same order of operands, so both engines read that index for overdue,
/// unpaid and partly paid documents. `total > paid + credited`, not
/// `paid + credited < total`: SQLite turns the latter around while planning
/// and then no longer matches it to the index's term.
pub(crate) fn open_condition() -> Condition {
    use invoice_entity::Column as C;
    use sea_orm::sea_query::ExprTrait;
    Condition::all()
        .add(C::IssuedAt.is_not_null())
        .add(C::VoidedAt.is_null())
        .add(Expr::col(C::TotalMinor).gt(Expr::col(C::PaidMinor).add(Expr::col(C::CreditedMinor))))
}

/// The SQL condition of a derived status, mirroring `InvoiceStatus::derive`.
pub(crate) fn status_condition(status: InvoiceStatus, today: Date) -> Condition {
    use invoice_entity::Column as C;
    use sea_orm::sea_query::ExprTrait;
    let issued = Condition::all()
        .add(C::IssuedAt.is_not_null())
        .add(C::VoidedAt.is_null());
    let settled: SimpleExpr = Expr::col(C::PaidMinor)
        .add(Expr::col(C::CreditedMinor))
        .gte(Expr::col(C::TotalMinor));
    match status {
        InvoiceStatus::Draft => Condition::all()
            .add(C::IssuedAt.is_null())
            .add(C::VoidedAt.is_null()),
        InvoiceStatus::Void => Condition::all().add(C::VoidedAt.is_not_null()),
        InvoiceStatus::Paid => issued.add(settled),
        InvoiceStatus::Overdue => open_condition().add(C::DueDate.lt(today)),
        InvoiceStatus::PartiallyPaid => open_condition()
            .add(C::DueDate.gte(today))
            .add(C::PaidMinor.gt(0)),
        // As `InvoiceStatus::derive`: nothing (net) paid is unpaid, refunds
        // beyond payments included.
        InvoiceStatus::Unpaid => open_condition()
            .add(C::DueDate.gte(today))
            .add(C::PaidMinor.lte(0)),
    }
}

/// The condition for the filter's customer, dates and search (status and
/// page apart): invoices only, never credit notes.
pub(crate) fn filter_scope(tenant: Tenant, filter: &InvoiceFilter) -> Result<Condition, AppError> {
    use invoice_entity::Column as C;
    let mut scope = Condition::all()
        .add(C::OrganizationId.eq(tenant.organization_id))
        .add(tenant.customers.covers(C::CustomerId))
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
        // Every matching customer the member may reach, however many: a
        // subquery on the (organization, name) index, not a capped list.
        let prefix = lookup_key(query);
        let matching_customers = Query::select()
            .column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(customer::Column::OrganizationId.eq(tenant.organization_id))
            .and_where(starts_with(customer::Column::NameLookup, &prefix))
            .cond_where(tenant.customers.covers(customer::Column::Id))
            .to_owned();
        let number = query.to_uppercase();
        scope = scope.add(
            Condition::any()
                .add(starts_with(C::Number, &number))
                .add(C::CustomerId.in_subquery(matching_customers)),
        );
    }

    Ok(scope)
}

/// The query of one page of [`list`]: the filter's invoices (with its
/// status as of `today`) after `after`, the `(issue date, id)` key of the
/// previous page's last row, in the list's order; `PAGE_SIZE + 1` rows, the
/// last only saying that another page follows. Public so that a test can
/// ask each engine for its plan.
///
/// # Errors
/// [`AppError::Invalid`] naming `from` or `to` for a date that does not
/// parse.
pub fn page_query(
    tenant: Tenant,
    filter: &InvoiceFilter,
    today: Date,
    after: Option<(Date, Uuid)>,
) -> Result<Select<invoice_entity::Entity>, AppError> {
    use invoice_entity::Column as C;
    let mut page = filter_scope(tenant, filter)?;
    if let Some(status) = filter.status {
        page = page.add(status_condition(status, today));
    }
    if let Some((issue_date, id)) = after {
        // A row-value comparison, `(issue_date, id) < (d, x)`: one range on
        // the (organization, kind, issue date) index on both engines, where
        // the equivalent OR of two conditions made PostgreSQL filter rows.
        use sea_orm::sea_query::ExprTrait as _;
        let key = Expr::tuple([Expr::col(C::IssueDate), Expr::col(C::Id)]);
        let last_key = Expr::tuple([Expr::value(issue_date), Expr::value(id)]);
        page = page.add(if filter.oldest_first {
            key.gt(last_key)
        } else {
            key.lt(last_key)
        });
    }
    let select = invoice_entity::Entity::find().filter(page);
    let select = if filter.oldest_first {
        select.order_by_asc(C::IssueDate).order_by_asc(C::Id)
    } else {
        select.order_by_desc(C::IssueDate).order_by_desc(C::Id)
    };
    Ok(select.limit(PAGE_SIZE + 1))
}

/// Invoices (not credit notes) matching the filter, newest first, in keyset
/// pages.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    filter: &InvoiceFilter,
    today: Date,
) -> Result<InvoicePage, AppError> {
    let after = match filter.after {
        Some(after) => {
            let last = find(db, tenant, after).await?;
            Some((last.issue_date, last.id))
        }
        None => None,
    };
    let mut rows = page_query(tenant, filter, today, after)?
        .all(db)
        .await
        .map_err(internal)?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_after = more.then(|| rows.last().map(|row| row.id)).flatten();

    let names = customers::names_by_id(
        db,
        tenant.organization_id,
        rows.iter().map(|row| row.customer_id).collect(),
    )
    .await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let currency = currency_of(&row)?;
            Ok(InvoiceRow {
                customer_name: names.get(&row.customer_id).cloned().unwrap_or_default(),
                status: InvoiceStatus::derive(&facts(&row), today),
                total: currency.from_minor(row.total_minor),
                balance: currency.from_minor(balance_minor(&row).max(0)),
                id: row.id,
                number: row.number,
                issue_date: row.issue_date,
                due_date: row.due_date,
                currency: row.currency,
                sent_at: row.sent_at,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;

    Ok(InvoicePage { rows, next_after })
}

/// The customer's other open invoices in `row`'s currency, oldest due first
/// (at most fifty): where `row`'s credit can go.
async fn credit_targets(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    row: &invoice_entity::Model,
) -> Result<Vec<CreditTarget>, AppError> {
    use invoice_entity::Column as C;
    use sea_orm::sea_query::ExprTrait;
    let currency = currency_of(row)?;
    let open = invoice_entity::Entity::find()
        .filter(C::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers(C::CustomerId))
        .filter(C::CustomerId.eq(row.customer_id))
        .filter(C::Currency.eq(row.currency.clone()))
        .filter(C::Kind.eq(KIND_INVOICE))
        .filter(C::IssuedAt.is_not_null())
        .filter(C::VoidedAt.is_null())
        .filter(C::Id.ne(row.id))
        .filter(
            Expr::col(C::TotalMinor)
                .sub(Expr::col(C::CreditedMinor))
                .sub(Expr::col(C::PaidMinor))
                .gt(0),
        )
        .order_by_asc(C::DueDate)
        .limit(50)
        .all(db)
        .await
        .map_err(internal)?;
    Ok(open
        .into_iter()
        .map(|invoice| CreditTarget {
            id: invoice.id,
            number: invoice.number.clone().unwrap_or_default(),
            balance: currency.from_minor(balance_minor(&invoice)),
        })
        .collect())
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
    tenant: Tenant,
    id: Uuid,
    today: Date,
) -> Result<InvoiceDetail, AppError> {
    let row = find(db, tenant, id).await?;
    let currency = currency_of(&row)?;
    let lines = lines_of(db, id).await?;
    let customer = customers::find(db, tenant, row.customer_id).await?;
    let entries = payment::Entity::find()
        .filter(payment::Column::InvoiceId.eq(id))
        // Entries written together (the reversals of "mark unpaid") follow
        // the dates of what they concern.
        .order_by_asc(payment::Column::CreatedAt)
        .order_by_asc(payment::Column::PaidOn)
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await
        .map_err(internal)?;
    let reversed: Vec<Uuid> = entries
        .iter()
        .filter_map(|entry| entry.reverses_payment_id)
        .collect();
    let credit_notes = invoice_entity::Entity::find()
        .filter(invoice_entity::Column::OrganizationId.eq(tenant.organization_id))
        .filter(invoice_entity::Column::CreditedInvoiceId.eq(id))
        .order_by_asc(invoice_entity::Column::CreatedAt)
        .all(db)
        .await
        .map_err(internal)?;
    let credited_invoice = match row.credited_invoice_id {
        Some(credited) => Some(linked(&find(db, tenant, credited).await?)?),
        None => None,
    };
    let history = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(tenant.organization_id))
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
    let credit_targets = if credit_minor(&row) > 0 {
        credit_targets(db, tenant, &row).await?
    } else {
        Vec::new()
    };
    // A draft's dates left to the day of issue show what issuing today
    // would give them.
    let issue_date = if row.issue_date_chosen {
        row.issue_date
    } else {
        today
    };
    let due_date = match (row.due_date_chosen, row.kind == KIND_CREDIT_NOTE) {
        (true, _) => row.due_date,
        (false, true) => issue_date,
        (false, false) => due_by_terms(issue_date, &customer)?,
    };
    Ok(InvoiceDetail {
        id: row.id,
        is_credit_note: row.kind == KIND_CREDIT_NOTE,
        number: row.number.clone(),
        status: InvoiceStatus::derive(&facts(&row), today),
        customer_id: customer.id,
        customer_name: customer.name,
        customer_emails: customer.emails,
        currency: row.currency.clone(),
        issue_date,
        issue_date_chosen: row.issue_date_chosen,
        due_date,
        due_date_chosen: row.due_date_chosen,
        price_mode: PriceMode::parse(&row.price_mode).unwrap_or_default(),
        tax_rounding: tax_rounding_of(&row.tax_rounding)?,
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
                kind: entry.kind.clone(),
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
        today,
        credit: currency.from_minor(credit_minor(&row)),
        credit_targets,
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
    /// Where to pay: the organization's payout details now (not sealed:
    /// an account can change after issue, which documents then announce).
    pub payout: crate::domain::payout::PayoutDetails,
    /// When the payout details last changed.
    pub payout_changed_at: Option<time::OffsetDateTime>,
}

pub async fn printable(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    id: Uuid,
    today: Date,
) -> Result<Printable, AppError> {
    let detail = detail(db, tenant, id, today).await?;
    let row = find(db, tenant, id).await?;
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
            let customer = customers::find(db, tenant, row.customer_id).await?;
            let seller = organization::Entity::find_by_id(tenant.organization_id)
                .one(db)
                .await
                .map_err(internal)?
                .ok_or(AppError::NotFound)?;
            let settings = audit::settings(db, tenant.organization_id).await?;
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
    let (payout, payout_changed_at) =
        crate::ssr::services::payout::current(db, tenant.organization_id).await?;
    Ok(Printable {
        detail,
        seller,
        customer,
        payout,
        payout_changed_at,
    })
}
