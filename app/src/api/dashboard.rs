//! The signed-in landing page.

use crate::error::AppError;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Billing figures in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyFigures {
    pub currency: String,
    /// Still to be paid on issued invoices.
    pub outstanding: Decimal,
    /// The part of it past its due date.
    pub overdue: Decimal,
    /// Payments received since the first of this month.
    pub paid_this_month: Decimal,
    /// Invoiced less credited, per month (`YYYY-MM`), oldest first, the
    /// last twelve months.
    pub revenue_by_month: Vec<(String, Decimal)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFigures {
    pub organization_name: String,
    /// Unix seconds.
    pub organization_created_at: i64,
    pub member_count: u64,
    /// Unix seconds: when the current session signed in.
    pub session_started_at: i64,
    /// One entry per currency the organization bills in.
    pub money: Vec<MoneyFigures>,
}

#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "dashboard/summary")]
pub async fn dashboard_summary() -> Result<DashboardFigures, AppError> {
    use crate::ssr::{request::RequestContext, services::dashboard};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_membership().await?;
        let today = member.today(request.now());
        dashboard::summary(&request.state, &member, today).await
    }
    .await;
    request.respond(result)
}
