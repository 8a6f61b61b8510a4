//! Sending documents to customers and their links (issue 14).

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Where one recipient's mail is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Queued,
    /// Failed at least once; tried again later.
    Retrying,
    Sent,
    /// Given up after repeated failures.
    Failed,
}

impl DeliveryState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// One recipient of one send: the mail's state and the link's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub link_id: Uuid,
    pub email: String,
    pub state: DeliveryState,
    /// The last failure's reason.
    pub error: Option<String>,
    pub attempts: i32,
    pub sent_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
    pub expired: bool,
    /// When the recipient last opened the link.
    pub opened_at: Option<OffsetDateTime>,
}

/// "Issue and send": issues draft `id` (its number and seal), then sends
/// it to `recipients` as [`send_document`] does. Recipients are checked
/// before anything is issued; a send refused after issuing (the daily
/// budget) leaves the document issued and says so. Answers the number and
/// how many were queued.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/issue_and_send")]
pub async fn issue_and_send(id: Uuid, recipients: String) -> Result<(String, usize), AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::delivery};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesIssue).await?;
        let now = request.now();
        delivery::issue_and_send(
            &request.state,
            &request.audit_scope(&member),
            id,
            &recipients,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// Sends issued document `id` to `recipients` (comma-separated): the PDF
/// attached and a fresh link for each, replacing the links each had for
/// it. `message`, when not blank, replaces the organization's template for
/// this send. Answers how many were queued.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/send")]
pub async fn send_document(
    id: Uuid,
    recipients: String,
    #[server(default)] message: String,
) -> Result<usize, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::delivery};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesIssue).await?;
        let now = request.now();
        delivery::send(
            &request.state,
            &request.audit_scope(&member),
            id,
            &recipients,
            &message,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}

/// The recipients of document `id`, newest first.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/deliveries")]
pub async fn document_deliveries(id: Uuid) -> Result<Vec<Delivery>, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::delivery};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesRead).await?;
        delivery::deliveries(&request.state.db, member.tenant(), id, request.now()).await
    }
    .await;
    request.respond(result)
}

/// Revokes document `id`'s links: `email`'s only, or all when blank.
/// Answers how many were revoked.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invoices/revoke_links")]
pub async fn revoke_document_links(
    id: Uuid,
    #[server(default)] email: String,
) -> Result<u64, AppError> {
    use crate::domain::Permission;
    use crate::ssr::{request::RequestContext, services::delivery};

    let request = RequestContext::capture()?;
    let result = async {
        let member = request.require_member(Permission::InvoicesIssue).await?;
        let now = request.now();
        delivery::revoke(
            &request.state.db,
            &request.audit_scope(&member),
            id,
            &email,
            now,
        )
        .await
    }
    .await;
    request.respond(result)
}
