//! The organization's settings (owners only).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationSecurity {
    pub name: String,
    pub require_second_factor: bool,
}

#[server(prefix = "/api", endpoint = "organization/settings")]
pub async fn organization_settings() -> Result<OrganizationSecurity, AppError> {
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_caller().await?;
        organization_settings::settings(&request.state, &caller).await
    }
    .await;
    request.respond(result)
}

/// Requires (`required=true`) or stops requiring two-step verification from
/// every member (owners; a recent confirmation is needed).
#[server(prefix = "/api", endpoint = "organization/second_factor_policy")]
pub async fn set_second_factor_policy(#[server(default)] required: bool) -> Result<(), AppError> {
    use crate::ssr::{request::RequestContext, services::organization_settings};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_caller().await?;
        let now = time::OffsetDateTime::now_utc();
        organization_settings::set_second_factor_policy(
            &request.state,
            &caller,
            required,
            &request.client,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}
