//! Answering an invitation: with the account the invitation was sent to,
//! or by creating that account.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationDetails {
    pub organization_name: String,
    pub invited_by: String,
    pub email: String,
    pub role_label: String,
    /// An account with the invited email exists: sign in to accept.
    pub account_exists: bool,
    /// The email of whoever is signed in in this browser, if anyone.
    pub signed_in_as: Option<String>,
}

/// What the invitation link leads to; `LinkInvalid` when it is unknown,
/// revoked, used or expired.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invitations/preview")]
pub async fn invitation_preview(token: String) -> Result<InvitationDetails, AppError> {
    use crate::ssr::{request::RequestContext, services::invitations};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.caller().await?;
        let now = time::OffsetDateTime::now_utc();
        invitations::preview(&request.state.db, &token, caller.as_ref(), now).await
    }
    .await;
    request.respond(result)
}

/// Joins the organization with the signed-in account (which must be the one
/// invited) and switches this session to it.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invitations/accept")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    use crate::ssr::{auth, request::RequestContext, services::invitations};

    let request = RequestContext::capture()?;
    let result = async {
        let caller = request.require_signed_in().await?;
        let now = time::OffsetDateTime::now_utc();
        let organization_id = invitations::accept(
            &request.state.db,
            &caller,
            &request.client,
            request.request_id(),
            &token,
            now,
        )
        .await?;
        auth::switch_organization(&request.state.db, &request.session, organization_id).await?;
        request.redirect(crate::domain::next_path::DEFAULT_AFTER_SIGN_IN);
        Ok(())
    }
    .await;
    request.respond(result)
}

/// Creates the invited account (name and password; the email is the one the
/// link was sent to), joins the organization and signs in.
#[server(prefix = "/api", client = crate::account_binding::AccountBound, endpoint = "invitations/accept_new")]
pub async fn accept_invitation_with_account(
    token: String,
    name: String,
    password: String,
) -> Result<(), AppError> {
    use crate::domain::PersonName;
    use crate::ssr::{auth, request::RequestContext, services::invitations};

    let request = RequestContext::capture()?;
    let result = async {
        let name = PersonName::parse(&name)?;
        let now = time::OffsetDateTime::now_utc();
        let signed_in = invitations::accept_with_new_account(
            &request.state,
            &request.client,
            request.request_id(),
            &token,
            name,
            &password,
            now,
        )
        .await?;
        auth::begin(&request.session, signed_in).await?;
        request.redirect(crate::domain::next_path::DEFAULT_AFTER_SIGN_IN);
        Ok(())
    }
    .await;
    request.respond(result)
}
