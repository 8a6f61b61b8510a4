//! The security log, as its readers see it.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEventView {
    /// Unix seconds.
    pub occurred_at: i64,
    pub what: String,
    pub succeeded: bool,
    pub ip: String,
    pub device: String,
    /// Whose event it is, by name (in the organization-wide view).
    pub who: Option<String>,
}

/// The caller's own security events, or with `organization` (team managers)
/// everyone's in the organization. The newest 200.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "security/activity")]
pub async fn security_activity(
    #[server(default)] organization: bool,
) -> Result<Vec<SecurityEventView>, AppError> {
    use crate::ssr::request::RequestContext;
    use crate::ssr::services::security_log::{Scope, recent};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let scope = if organization {
            let member = request
                .require_member(crate::domain::Permission::TeamManage)
                .await?;
            Scope::Organization(member.caller.organization_id)
        } else {
            Scope::User(caller.user_id)
        };
        recent(&request.state.db, scope, 200).await
    }
    .await;
    request.respond(result)
}
