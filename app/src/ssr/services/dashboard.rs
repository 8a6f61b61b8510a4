//! The figures on the dashboard.

use crate::api::dashboard::{DashboardFigures, MoneyFigures};
use crate::domain::Permission;
use crate::domain::money::Currency;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::access::{Member, Tenant};
use crate::ssr::entities::{invoice, membership, organization, payment};
use crate::ssr::errors::internal;
use crate::ssr::services::invoice_views::open_condition;
use crate::ssr::sums::{joined, split_sum};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use std::collections::BTreeMap;
use time::{Date, Month};

/// The organization's card for every member; the money figures only for
/// members who may read invoices, and then over the customers they reach.
pub async fn summary(
    state: &AppState,
    member: &Member,
    today: Date,
) -> Result<DashboardFigures, AppError> {
    let caller = &member.caller;
    // Scoped to the caller's organization: the only one these queries see.
    let organization = organization::Entity::find_by_id(caller.organization_id)
        .one(&state.db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let member_count = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(caller.organization_id))
        .count(&state.db)
        .await
        .map_err(internal)?;
    Ok(DashboardFigures {
        organization_name: organization.name,
        organization_created_at: organization.created_at.unix_timestamp(),
        member_count,
        session_started_at: caller.signed_in_at.unix_timestamp(),
        money: if member.permissions.contains(Permission::InvoicesRead) {
            money(&state.db, member.tenant(), today).await?
        } else {
            Vec::new()
        },
    })
}

fn first_of_month(date: Date, months_back: u32) -> Date {
    let mut year = date.year();
    let mut month = u8::from(date.month());
    for _ in 0..months_back {
        if month == 1 {
            month = 12;
            year -= 1;
        } else {
            month -= 1;
        }
    }
    Date::from_calendar_date(year, Month::try_from(month).unwrap_or(Month::January), 1)
        .unwrap_or(date)
}

/// `YYYY-MM`, the chart's label for `date`'s month.
fn month_label(date: Date) -> String {
    format!("{}-{:02}", date.year(), u8::from(date.month()))
}

/// The first day of the month after `date`'s.
fn first_of_next_month(date: Date) -> Date {
    let (year, month) = match date.month() {
        Month::December => (date.year() + 1, Month::January),
        month => (date.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).unwrap_or(Date::MAX)
}

/// Amounts per currency, as `(currency, minor units)`.
async fn sums(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    amount: Expr,
    filter: sea_orm::Condition,
) -> Result<Vec<(String, i128)>, AppError> {
    let (billions, rest) = split_sum(amount);
    let rows: Vec<(String, Option<i64>, Option<i64>)> = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Currency)
        .column_as(billions, "billions")
        .column_as(rest, "rest")
        .filter(invoice::Column::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers(invoice::Column::CustomerId))
        .filter(filter)
        .group_by(invoice::Column::Currency)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    Ok(rows
        .into_iter()
        .map(|(currency, billions, rest)| (currency, joined(billions, rest)))
        .collect())
}

async fn money(
    db: &impl ConnectionTrait,
    tenant: Tenant,
    today: Date,
) -> Result<Vec<MoneyFigures>, AppError> {
    use invoice::Column as C;
    // What each open invoice still asks for (a customer's credit on one
    // invoice, a credit note on a paid one, does not cancel what another
    // owes): over the partial index of open invoices.
    let owed = Expr::col(C::TotalMinor)
        .sub(Expr::col(C::CreditedMinor))
        .sub(Expr::col(C::PaidMinor));
    let open = open_condition().add(C::Kind.eq("invoice"));
    let mut figures: BTreeMap<String, [i128; 3]> = BTreeMap::new();
    for (currency, amount) in sums(db, tenant, owed.clone(), open.clone()).await? {
        figures.entry(currency).or_default()[0] = amount;
    }
    for (currency, amount) in sums(db, tenant, owed, open.add(C::DueDate.lt(today))).await? {
        figures.entry(currency).or_default()[1] = amount;
    }
    // Payments dated this month (a reversal is dated as the payment it
    // reverses, so it counts against that payment's month).
    let (billions, rest) = split_sum(Expr::col((payment::Entity, payment::Column::AmountMinor)));
    let paid: Vec<(String, Option<i64>, Option<i64>)> = payment::Entity::find()
        .select_only()
        .column_as(Expr::col((invoice::Entity, C::Currency)), "currency")
        .column_as(billions, "billions")
        .column_as(rest, "rest")
        .join(
            sea_orm::JoinType::InnerJoin,
            payment::Entity::belongs_to(invoice::Entity)
                .from(payment::Column::InvoiceId)
                .to(C::Id)
                .into(),
        )
        .filter(payment::Column::OrganizationId.eq(tenant.organization_id))
        .filter(tenant.customers.covers((invoice::Entity, C::CustomerId)))
        .filter(payment::Column::PaidOn.gte(first_of_month(today, 0)))
        .filter(payment::Column::PaidOn.lt(first_of_next_month(today)))
        .group_by(Expr::col((invoice::Entity, C::Currency)))
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    for (currency, billions, rest) in paid {
        figures.entry(currency).or_default()[2] = joined(billions, rest);
    }

    // Invoiced less credited, month by month: one range on the
    // (organization, kind, issue date) index, summed per day by the
    // database (at most 366 rows a currency) and per month here.
    let first = first_of_month(today, 11);
    let labels: Vec<String> = (0..12)
        .rev()
        .map(|back| month_label(first_of_month(today, back)))
        .collect();
    let signed = Expr::case(C::Kind.eq("credit_note"), Expr::col(C::TotalMinor).mul(-1))
        .finally(Expr::col(C::TotalMinor));
    let (billions, rest) = split_sum(Expr::Case(Box::new(signed)));
    let days: Vec<(String, Date, Option<i64>, Option<i64>)> = invoice::Entity::find()
        .select_only()
        .column(C::Currency)
        .column(C::IssueDate)
        .column_as(billions, "billions")
        .column_as(rest, "rest")
        .filter(C::OrganizationId.eq(tenant.organization_id))
        .filter(C::Kind.is_in(["invoice", "credit_note"]))
        .filter(tenant.customers.covers(C::CustomerId))
        .filter(C::IssuedAt.is_not_null())
        .filter(C::VoidedAt.is_null())
        .filter(C::IssueDate.gte(first))
        .filter(C::IssueDate.lt(first_of_next_month(today)))
        .group_by(C::Currency)
        .group_by(C::IssueDate)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    let mut revenue: BTreeMap<(String, String), i128> = BTreeMap::new();
    for (currency, day, billions, rest) in days {
        figures.entry(currency.clone()).or_default();
        *revenue.entry((currency, month_label(day))).or_default() += joined(billions, rest);
    }
    figures
        .into_iter()
        .map(|(code, [outstanding, overdue, paid])| {
            let currency = Currency::parse(&code)
                .map_err(|_| internal(anyhow::anyhow!("stored currency {code}")))?;
            let amount = |minor: i128| {
                currency
                    .from_minor_sum(minor)
                    .map_err(|_| internal(anyhow::anyhow!("a sum beyond any Decimal")))
            };
            let months = labels
                .iter()
                .map(|label| {
                    let minor = revenue
                        .get(&(code.clone(), label.clone()))
                        .copied()
                        .unwrap_or(0);
                    Ok((label.clone(), amount(minor)?))
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok(MoneyFigures {
                outstanding: amount(outstanding)?,
                overdue: amount(overdue)?,
                paid_this_month: amount(paid)?,
                revenue_by_month: months,
                currency: code,
            })
        })
        .collect()
}
