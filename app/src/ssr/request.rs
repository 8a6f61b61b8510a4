//! Everything a server function needs from its request, captured in one
//! synchronous step before its first `.await`.
//!
//! Why: during streaming server-side rendering a suspended view can be
//! rendered twice, and the reactive owner of the first rendering is disposed
//! while its server-function futures may still be running. Context looked up
//! after an `.await` could then be missing. Captured up front, it cannot.

use super::AppState;
use super::access::{self, Member};
use super::auth::{self, Caller};
use super::client::ClientInfo;
use super::errors::REQUEST_ID_HEADER;
use super::services::{audit, second_factor};
use crate::domain::Permission;
use crate::error::AppError;
use http::header::LOCATION;
use http::request::Parts;
use http::{HeaderName, HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use time::OffsetDateTime;
use tower_sessions::Session;

pub struct RequestContext {
    pub state: AppState,
    pub client: ClientInfo,
    pub session: Session,
    response: Option<ResponseOptions>,
    /// A `<form>` posted without JavaScript: answered with real redirects.
    plain_form_post: bool,
    request_id: String,
}

impl RequestContext {
    /// Reads the request's context. Call it first thing, before any `.await`.
    pub fn capture() -> Result<Self, AppError> {
        let missing = |what: &str| {
            super::errors::internal(anyhow::anyhow!("{what} missing from the request context"))
        };
        let state = use_context::<AppState>().ok_or_else(|| missing("AppState"))?;
        let parts = use_context::<Parts>().ok_or_else(|| missing("request parts"))?;
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| missing("session"))?;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        Ok(Self {
            client: parts
                .extensions
                .get::<ClientInfo>()
                .cloned()
                .unwrap_or_default(),
            plain_form_post: super::errors::is_plain_form_post(&parts),
            request_id: header(REQUEST_ID_HEADER)
                .unwrap_or("unavailable")
                .to_owned(),
            response: use_context::<ResponseOptions>(),
            state,
            session,
        })
    }

    /// The signed-in caller, if any.
    pub async fn caller(&self) -> Result<Option<Caller>, AppError> {
        let now = OffsetDateTime::now_utc();
        let Some(signed_in) =
            auth::signed_in(&self.session, &self.state.settings.sessions, now).await?
        else {
            return Ok(None);
        };
        Ok(Some(Caller::from_session(signed_in, self.session.clone())))
    }

    /// The signed-in member, if they hold `permission`: `Unauthenticated`
    /// when signed out or no longer a member, `Forbidden` without the
    /// permission. Every server function over the organization's data
    /// starts here, so there is no way in without naming a permission.
    pub async fn require_member(&self, permission: Permission) -> Result<Member, AppError> {
        let member = self.require_membership().await?;
        member.require(permission)?;
        Ok(member)
    }

    /// The signed-in member of the session's organization, whatever they
    /// may do: for the one call every member makes (the dashboard, which
    /// then shows money only to those who may read invoices).
    pub async fn require_membership(&self) -> Result<Member, AppError> {
        let caller = self.require_signed_in().await?;
        member_of(&self.state, caller).await
    }

    /// The signed-in caller, or `Unauthenticated`, without the organization's
    /// second-factor rule: for the user's own account and security pages,
    /// where a member who must set up a second factor does so.
    pub async fn require_signed_in(&self) -> Result<Caller, AppError> {
        self.caller().await?.ok_or(AppError::Unauthenticated)
    }

    /// The id this request's log lines carry.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Where the member's changes come from, for the audit log.
    /// The time of billing: the state's [`super::clock::Clock`]. Security
    /// decisions read `OffsetDateTime::now_utc()` instead.
    pub fn now(&self) -> OffsetDateTime {
        self.state.clock.now()
    }

    pub fn audit_scope(&self, member: &Member) -> audit::Scope {
        audit::Scope {
            organization_id: member.caller.organization_id,
            actor: audit::Actor::User(member.caller.user_id),
            request_id: self.request_id.clone(),
            client_ip: self.client.ip_text().unwrap_or_default(),
            customers: member.customers(),
            time_zone: member.time_zone.clone(),
        }
    }

    /// Sends the browser to `path` when the call succeeds: a real redirect for
    /// a plain form post, a redirect header for the hydrated page's client.
    pub fn redirect(&self, path: &str) {
        let (Some(response), Ok(location)) = (&self.response, HeaderValue::from_str(path)) else {
            return;
        };
        response.insert_header(LOCATION, location);
        if self.plain_form_post {
            response.set_status(StatusCode::FOUND);
        } else {
            response.insert_header(
                HeaderName::from_static(leptos::server_fn::redirect::REDIRECT_HEADER),
                HeaderValue::from_static(""),
            );
        }
    }

    /// Finishes a server function: an error gets its HTTP status, and an
    /// internal error the id of this request (which its log line carries).
    pub fn respond<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        let Err(error) = result else {
            return result;
        };
        let error = match error {
            AppError::Internal { .. } => AppError::Internal {
                request_id: self.request_id.clone(),
            },
            other => other,
        };
        // leptos_axum answers a plain form post with a redirect, which an
        // error status would break.
        if let (false, Some(response)) = (self.plain_form_post, &self.response) {
            response.set_status(
                StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        Err(error)
    }
}

/// The caller as a member of their session's organization. A session whose
/// membership is gone is ended: the member was removed, and their next
/// request lands on the sign-in page.
async fn member_of(state: &AppState, caller: Caller) -> Result<Member, AppError> {
    // A user of no organization has no member's rights anywhere, and their
    // session stands (the shell offers to create an organization).
    if !caller.has_organization() {
        return Err(AppError::Forbidden);
    }
    let session = caller.session.clone();
    let Some((member, organization)) = access::load(&state.db, caller).await? else {
        auth::end(&session).await?;
        return Err(AppError::Unauthenticated);
    };
    if organization.require_second_factor
        && !second_factor::is_required(&state.db, member.caller.user_id).await?
    {
        return Err(AppError::SecondFactorRequired);
    }
    Ok(member)
}

/// Where a download handler's audit events come from (what
/// [`RequestContext::audit_scope`] gives server functions).
pub fn download_scope(
    member: &Member,
    headers: &http::HeaderMap,
    client: Option<&ClientInfo>,
) -> audit::Scope {
    audit::Scope {
        organization_id: member.caller.organization_id,
        actor: audit::Actor::User(member.caller.user_id),
        request_id: headers
            .get(REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        client_ip: client.and_then(ClientInfo::ip_text).unwrap_or_default(),
        customers: member.customers(),
        time_zone: member.time_zone.clone(),
    }
}

/// For plain axum handlers (file downloads): the signed-in member holding
/// `permission`, as [`RequestContext::require_member`] decides it;
/// otherwise the status to answer with.
pub async fn download_member(
    state: &AppState,
    session: Session,
    permission: Permission,
) -> Result<Member, StatusCode> {
    let now = OffsetDateTime::now_utc();
    let caller = match auth::signed_in(&session, &state.settings.sessions, now).await {
        Ok(Some(signed_in)) => Caller::from_session(signed_in, session),
        Ok(None) => return Err(StatusCode::UNAUTHORIZED),
        Err(_) => return Err(StatusCode::INTERNAL_SERVER_ERROR),
    };
    let member = member_of(state, caller).await.map_err(|error| {
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    member
        .require(permission)
        .map_err(|_| StatusCode::FORBIDDEN)?;
    Ok(member)
}
