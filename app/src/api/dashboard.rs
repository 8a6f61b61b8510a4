//! The signed-in landing page.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardFigures {
    pub organization_name: String,
    /// Unix seconds.
    pub organization_created_at: i64,
    pub member_count: u64,
    /// Unix seconds: when the current session signed in.
    pub session_started_at: i64,
}

#[server(prefix = "/api", endpoint = "dashboard/summary")]
pub async fn dashboard_summary() -> Result<DashboardFigures, AppError> {
    use crate::ssr::{request::RequestContext, services::dashboard};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_caller().await?;
        dashboard::summary(&request.state, &caller).await
    }
    .await;
    request.respond(result)
}
