//! The organization's audit log of billing changes, and its chain check.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub seq: i64,
    /// Unix seconds.
    pub at: i64,
    /// The user's name, "customer" or "system".
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Uuid,
    pub summary: String,
    pub request_id: String,
    pub client_ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `before` for older events.
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub intact: bool,
    pub events: u64,
    /// The sequence number of the first broken link.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
    /// The first event this check read: 1 for a full check, otherwise the
    /// event after the last one an earlier check found intact.
    pub checked_from: i64,
}

/// Events newest first; `action` filters by prefix (e.g. `invoice.`).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "audit/list")]
pub async fn list_audit_events(
    #[server(default)] action: String,
    #[server(default)] before: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::audit_log};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::AuditRead).await?;
        audit_log::list(&request.state.db, member.tenant(), &action, before).await
    }
    .await;
    request.respond(result)
}

/// Checks the organization's chain: from the last event an earlier check
/// found intact, or with `full` from the first event (issue 16: a visit to
/// the audit page costs the events since the last visit, not the whole
/// history; `ledgerlock audit verify` and the page's "Check every event"
/// walk all of it).
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "audit/verify")]
pub async fn verify_audit_chain(#[server(default)] full: bool) -> Result<ChainStatus, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::audit};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::AuditRead).await?;
        // The chain spans every customer: a member limited to some of them
        // reads their own events, but does not walk the whole chain.
        if member.limited_to_customers {
            return Err(AppError::Forbidden);
        }
        let organization_id = member.caller.organization_id;
        let (check, checked_from) = if full {
            (audit::verify(&request.state.db, organization_id).await?, 1)
        } else {
            audit::verify_since_checkpoint(
                &request.state.db,
                &request.state.secrets,
                organization_id,
            )
            .await?
        };
        Ok(ChainStatus {
            intact: check.broken.is_none(),
            events: check.events,
            broken_at: check.broken.as_ref().map(|(seq, _)| *seq),
            reason: check.broken.map(|(_, reason)| reason),
            checked_from,
        })
    }
    .await;
    request.respond(result)
}
