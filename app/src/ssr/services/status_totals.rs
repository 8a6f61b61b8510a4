//! The invoice list's totals per status: how many invoices, and how much,
//! per status and currency (issue 16).
//!
//! For the whole organization (no customer, dates or search in the filter,
//! and a member who reaches every customer) they come from the summaries
//! the database keeps beside the invoices (`invoice_status_summaries`,
//! written by triggers in each invoice write's own transaction), so their
//! cost does not grow with the number of invoices. A filtered list counts
//! its matching invoices instead ([`recounted`]), on the indexes the filter
//! uses.

use crate::api::invoices::{InvoiceFilter, StatusTotal};
use crate::domain::invoice_status::{ALL_STATUSES, InvoiceStatus};
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::access::Tenant;
use crate::ssr::entities::{invoice as invoice_entity, invoice_status_summary as summary};
use crate::ssr::errors::internal;
use crate::ssr::services::invoice_views::{filter_scope, status_condition};
use crate::ssr::sums::{joined, split_sum, sum_as_bigint};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::BTreeMap;
use time::Date;

/// Totals for `filter` (its status and cursor apart) as of `today`, in the
/// order of [`ALL_STATUSES`], then by currency code.
///
/// # Errors
/// `Validation` for a malformed date in the filter; otherwise internal.
pub async fn status_totals(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    filter: &InvoiceFilter,
    today: Date,
) -> Result<Vec<StatusTotal>, AppError> {
    let whole_organization = filter.customer_id.is_none()
        && filter.from.as_deref().is_none_or(str::is_empty)
        && filter.to.as_deref().is_none_or(str::is_empty)
        && filter.query.trim().is_empty()
        && !tenant.customers.is_limited();
    if whole_organization {
        from_summaries(db, tenant, today).await
    } else {
        recounted(db, tenant, filter, today).await
    }
}

/// The same totals counted from the invoices themselves: for a filtered
/// list, and the reference the summaries are tested against.
///
/// # Errors
/// As [`status_totals`].
pub async fn recounted(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    filter: &InvoiceFilter,
    today: Date,
) -> Result<Vec<StatusTotal>, AppError> {
    use invoice_entity::Column as C;
    let scope = filter_scope(tenant, filter)?;
    let mut totals = Totals::default();
    for status in ALL_STATUSES {
        let (billions, rest) = split_sum(Expr::col(C::TotalMinor));
        let sums: Vec<(String, i64, Option<i64>, Option<i64>)> = invoice_entity::Entity::find()
            .select_only()
            .column(C::Currency)
            .column_as(C::Id.count(), "count")
            .column_as(billions, "billions")
            .column_as(rest, "rest")
            .filter(scope.clone().add(status_condition(status, today)))
            .group_by(C::Currency)
            .into_tuple()
            .all(db)
            .await
            .map_err(internal)?;
        for (currency, count, billions, rest) in sums {
            totals.add(status, currency, count, joined(billions, rest));
        }
    }
    totals.into_views()
}

/// Currency, state, and the sums of invoices, billions and rest.
type SummaryRow = (String, String, Option<i64>, Option<i64>, Option<i64>);

/// Reads the organization's summaries in two parts, due before `today` and
/// not, each grouped by currency and state: at most 2 rows per state and
/// currency, however many invoices.
async fn from_summaries(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    today: Date,
) -> Result<Vec<StatusTotal>, AppError> {
    use summary::Column as C;
    let mut totals = Totals::default();
    for late in [true, false] {
        let due = if late {
            C::DueDate.lt(today)
        } else {
            C::DueDate.gte(today)
        };
        let rows: Vec<SummaryRow> = summary::Entity::find()
            .select_only()
            .column(C::Currency)
            .column(C::State)
            .column_as(sum_as_bigint(Expr::col(C::Invoices)), "invoices")
            .column_as(sum_as_bigint(Expr::col(C::TotalBillions)), "billions")
            .column_as(sum_as_bigint(Expr::col(C::TotalRest)), "rest")
            .filter(C::OrganizationId.eq(tenant.organization_id))
            .filter(due)
            .group_by(C::Currency)
            .group_by(C::State)
            .into_tuple()
            .all(db)
            .await
            .map_err(internal)?;
        for (currency, state, count, billions, rest) in rows {
            let status = match (state.as_str(), late) {
                ("draft", _) => InvoiceStatus::Draft,
                ("void", _) => InvoiceStatus::Void,
                ("paid", _) => InvoiceStatus::Paid,
                ("part_paid" | "unpaid", true) => InvoiceStatus::Overdue,
                ("part_paid", false) => InvoiceStatus::PartiallyPaid,
                ("unpaid", false) => InvoiceStatus::Unpaid,
                (other, _) => {
                    return Err(internal(anyhow::anyhow!(
                        "invoice summary with state {other}"
                    )));
                }
            };
            totals.add(status, currency, count.unwrap_or(0), joined(billions, rest));
        }
    }
    totals.into_views()
}

/// Counts and minor-unit sums per (status, currency), in display order.
#[derive(Default)]
struct Totals(BTreeMap<(usize, String), (i64, i128)>);

impl Totals {
    fn add(&mut self, status: InvoiceStatus, currency: String, count: i64, minor: i128) {
        let order = ALL_STATUSES
            .iter()
            .position(|known| *known == status)
            .unwrap_or(ALL_STATUSES.len());
        let entry = self.0.entry((order, currency)).or_default();
        entry.0 += count;
        entry.1 += minor;
    }

    fn into_views(self) -> Result<Vec<StatusTotal>, AppError> {
        self.0
            .into_iter()
            .filter(|(_, (count, _))| *count > 0)
            .map(|((order, code), (count, minor))| {
                let currency = Currency::parse(&code)
                    .map_err(|_| internal(anyhow::anyhow!("stored currency {code}")))?;
                let total = currency
                    .from_minor_sum(minor)
                    .map_err(|_| internal(anyhow::anyhow!("a sum beyond any Decimal")))?;
                Ok(StatusTotal {
                    status: ALL_STATUSES
                        .get(order)
                        .copied()
                        .unwrap_or(InvoiceStatus::Draft),
                    count: u64::try_from(count).unwrap_or(0),
                    total,
                    currency: code,
                })
            })
            .collect()
    }
}
