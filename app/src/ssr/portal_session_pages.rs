//! The portal behind a code (issue 14): asking for a code from a live
//! link, entering it, "all my documents from <organization>" (open items,
//! statement, payments, every document and PDF), and signing out. Plain
//! HTML like the link pages (`portal_pages`), no script.
//!
//! Routes: `POST /portal/code`, `POST /portal/code/verify`,
//! `GET /portal/account`, `GET /portal/account/d/{id}`,
//! `GET /portal/account/d/{id}/pdf`, `POST /portal/account/sign-out`.
//! The session is its own cookie, `ledgerlock_portal` (`__Host-` prefixed
//! over HTTPS): HttpOnly, SameSite=Lax so the link in a mail finds it,
//! never read by anything but these pages.

use crate::components::money::format_money;
use crate::domain::portal_access::PORTAL_IDLE;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::client::ClientInfo;
use crate::ssr::entities::portal_session;
use crate::ssr::portal_pages::{
    Through, document_page, escape, invalid, page, trouble, under_review, visit_of,
};
use crate::ssr::services::portal::Visit;
use crate::ssr::services::portal_access;
use crate::ssr::services::portal_account::{self, AccountView, DocumentRow, SessionDocument};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write;
use time::OffsetDateTime;
use tower_sessions::cookie::{Cookie, SameSite};
use uuid::Uuid;

fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.public_url.starts_with("https://") {
        "__Host-ledgerlock_portal"
    } else {
        "ledgerlock_portal"
    }
}

fn cookie_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

fn set_cookie(state: &AppState, value: &str, clear: bool) -> HeaderValue {
    let mut cookie = Cookie::build((cookie_name(state), value.to_owned()))
        .path("/")
        .http_only(true)
        .secure(state.settings.public_url.starts_with("https://"))
        .same_site(SameSite::Lax)
        .build();
    if clear {
        cookie.make_removal();
    }
    HeaderValue::from_str(&cookie.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// This browser's live portal session, if it has one.
///
/// # Errors
/// Internal only.
pub async fn session_of(
    state: &AppState,
    headers: &HeaderMap,
    now: OffsetDateTime,
) -> Result<Option<portal_session::Model>, AppError> {
    match cookie_token(state, headers) {
        Some(token) => portal_access::current(&state.db, &token, now).await,
        None => Ok(None),
    }
}

fn session_ended(state: &AppState) -> Response {
    page(
        state,
        StatusCode::UNAUTHORIZED,
        "Session ended",
        &format!(
            "<h1>Your session has ended</h1><p>For your safety it ends after {} minutes \
             without activity, when you sign out, or when the sender changes your \
             address. Open the link in the most recent message you received and ask \
             for a new code.</p>",
            PORTAL_IDLE.whole_minutes()
        ),
    )
}

/// What the code forms post.
#[derive(Deserialize)]
pub struct CodeRequest {
    #[serde(default)]
    link: String,
    /// `document` (back to the link) or `account` ("all my documents").
    #[serde(default)]
    then: String,
}

fn code_form(
    state: &AppState,
    status: StatusCode,
    challenge: Uuid,
    masked: &str,
    request: &CodeRequest,
    error: Option<&str>,
) -> Response {
    let mut body = format!(
        "<h1>Enter your code</h1><p>We emailed an 8-digit code to <strong>{}</strong>. \
         It works for 10 minutes.</p>",
        escape(masked)
    );
    if let Some(error) = error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/portal/code/verify\">\
         <input type=\"hidden\" name=\"challenge\" value=\"{challenge}\">\
         <input type=\"hidden\" name=\"masked\" value=\"{masked}\">\
         <input type=\"hidden\" name=\"link\" value=\"{link}\">\
         <input type=\"hidden\" name=\"then\" value=\"{then}\">\
         <label>Code<input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         maxlength=\"12\" required autofocus></label>\
         <button type=\"submit\">Continue</button></form>",
        masked = escape(masked),
        link = escape(&request.link),
        then = escape(&request.then),
    );
    page(state, status, "Enter your code", &body)
}

/// `POST /portal/code`: mails a code to the recipient of the live link.
pub async fn request_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
    Form(form): Form<CodeRequest>,
) -> Response {
    let (ip, request_id) = visit_of(&headers, client.as_ref().map(|info| &info.0));
    let visit = Visit {
        request_id,
        client_ip: &ip,
    };
    let now = state.clock.now();
    match portal_access::request_code(&state, &form.link, &visit, now).await {
        Ok(sent) => code_form(
            &state,
            StatusCode::OK,
            sent.challenge,
            &sent.masked_email,
            &form,
            None,
        ),
        Err(AppError::NotFound) => invalid(&state),
        Err(AppError::RateLimited) => page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many codes",
            "<h1>Too many codes</h1><p>We sent as many codes to this address as we may \
             in an hour. Use the last one you received, or try again in an hour.</p>",
        ),
        Err(_) => trouble(&state),
    }
}

/// What the code entry posts.
#[derive(Deserialize)]
pub struct CodeEntry {
    #[serde(default)]
    challenge: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    masked: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    then: String,
}

/// `POST /portal/code/verify`: the right code opens a portal session.
pub async fn verify_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
    Form(form): Form<CodeEntry>,
) -> Response {
    let (ip, request_id) = visit_of(&headers, client.as_ref().map(|info| &info.0));
    let visit = Visit {
        request_id,
        client_ip: &ip,
    };
    let Ok(challenge) = Uuid::parse_str(form.challenge.trim()) else {
        return invalid(&state);
    };
    let now = state.clock.now();
    let back = CodeRequest {
        link: form.link.clone(),
        then: form.then.clone(),
    };
    match portal_access::verify(&state, challenge, &form.code, &visit, now).await {
        Ok(token) => {
            // Back to the document when that is where the code was asked
            // for; "all my documents" otherwise.
            let to = if form.then == "document" && is_token(&form.link) {
                format!("/portal/d/{}", form.link)
            } else {
                "/portal/account".to_owned()
            };
            let mut response = Redirect::to(&to).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&state, &token, false));
            response
        }
        Err(AppError::Invalid { message, .. }) => code_form(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            challenge,
            &form.masked,
            &back,
            Some(&message),
        ),
        Err(_) => trouble(&state),
    }
}

/// Whether `text` has a link token's shape (43 URL-safe characters): what
/// a redirect may carry back.
fn is_token(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn document_rows(rows: &[DocumentRow], with_balance: bool) -> String {
    let mut html = String::from(
        "<table class=\"portal-lines\"><thead><tr><th>Document</th><th>Issued</th>\
         <th>Due</th><th>Status</th><th>Total</th>",
    );
    if with_balance {
        html.push_str("<th>Balance due</th>");
    }
    html.push_str("<th>PDF</th></tr></thead><tbody>");
    for row in rows {
        let kind = if row.is_credit_note {
            "Credit note"
        } else {
            "Invoice"
        };
        let status = if row.under_review {
            "Under review"
        } else {
            row.status.label()
        };
        let _ = write!(
            html,
            "<tr><td><a href=\"/portal/account/d/{id}\">{kind} {number}</a></td><td>{issued}</td>\
             <td>{due}</td><td>{status}</td><td>{total}</td>",
            id = row.id,
            number = escape(&row.number),
            issued = row.issue_date,
            due = row.due_date,
            status = escape(status),
            total = escape(&format_money(&row.currency, row.total)),
        );
        if with_balance {
            let _ = write!(
                html,
                "<td><strong>{}</strong></td>",
                escape(&format_money(&row.currency, row.balance))
            );
        }
        let _ = write!(
            html,
            "<td><a href=\"/portal/account/d/{}/pdf\">PDF</a></td></tr>",
            row.id
        );
    }
    html.push_str("</tbody></table>");
    html
}

fn account_page(state: &AppState, view: &AccountView) -> Response {
    let mut body = format!(
        "<p class=\"portal-from\">From <strong>{org}</strong></p>\
         <h1>All your documents</h1>\
         <p>For <strong>{customer}</strong>, as <strong>{email}</strong>.</p>\
         <form method=\"post\" action=\"/portal/account/sign-out\" class=\"portal-actions\">\
         <button type=\"submit\">Sign out</button></form>",
        org = escape(&view.organization),
        customer = escape(&view.customer),
        email = escape(&view.email),
    );
    body.push_str("<section><h2>Open items</h2>");
    if view.open_items.is_empty() {
        body.push_str("<p>Nothing is due.</p>");
    } else {
        body.push_str(&document_rows(&view.open_items, true));
    }
    body.push_str("</section><section><h2>Statement</h2>");
    if view.statements.is_empty() {
        body.push_str("<p>No documents yet.</p>");
    }
    for statement in &view.statements {
        let money = |amount| escape(&format_money(&statement.currency, amount));
        let _ = write!(
            body,
            "<table class=\"portal-lines portal-statement\"><caption>In {}</caption>\
             <thead><tr><th>Date</th><th>Entry</th><th>Charged</th><th>Credited</th>\
             <th>Balance</th></tr></thead><tbody>",
            escape(&statement.currency)
        );
        for line in &statement.lines {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                line.date,
                escape(&line.description),
                line.charge.map(money).unwrap_or_default(),
                line.credit.map(money).unwrap_or_default(),
                money(line.balance),
            );
        }
        let _ = write!(
            body,
            "</tbody><tfoot><tr><th colspan=\"4\">Balance</th><th>{}</th></tr></tfoot></table>",
            money(statement.closing_balance)
        );
    }
    body.push_str("</section><section><h2>Payments</h2>");
    if view.payments.is_empty() {
        body.push_str("<p>No payments recorded yet.</p>");
    } else {
        body.push_str("<ul>");
        for payment in &view.payments {
            let _ = write!(
                body,
                "<li>{} · {} · {} · {}</li>",
                payment.paid_on,
                escape(portal_account::entry_label(&payment.kind)),
                escape(&payment.document),
                escape(&format_money(&payment.currency, payment.amount)),
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("</section><section><h2>Every document</h2>");
    if view.documents.is_empty() {
        body.push_str("<p>No documents yet.</p>");
    } else {
        body.push_str(&document_rows(&view.documents, false));
    }
    body.push_str(
        "</section><p class=\"portal-report\">Something here you did not expect? \
         <a href=\"/report\">Report it</a>.</p>",
    );
    let title = format!("Your documents from {}", view.organization);
    page(state, StatusCode::OK, &title, &body)
}

/// `GET /portal/account`.
pub async fn account(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let now = state.clock.now();
    let session = match session_of(&state, &headers, now).await {
        Ok(Some(session)) => session,
        Ok(None) => return session_ended(&state),
        Err(_) => return trouble(&state),
    };
    let today =
        match crate::ssr::services::portal::zone_and_name(&state.db, session.organization_id).await
        {
            Ok((zone, _)) => zone.today(now),
            Err(_) => return trouble(&state),
        };
    match portal_account::account(&state.db, &session, today).await {
        Ok(view) => account_page(&state, &view),
        Err(_) => trouble(&state),
    }
}

async fn session_document(
    state: &AppState,
    headers: &HeaderMap,
    client: Option<&ClientInfo>,
    id: &str,
    action: &'static str,
) -> Result<(Uuid, Box<crate::ssr::services::invoice_views::Printable>), Response> {
    let now = state.clock.now();
    let session = match session_of(state, headers, now).await {
        Ok(Some(session)) => session,
        Ok(None) => return Err(session_ended(state)),
        Err(_) => return Err(trouble(state)),
    };
    let id = Uuid::parse_str(id).map_err(|_| invalid(state))?;
    let (ip, request_id) = visit_of(headers, client);
    let visit = Visit {
        request_id,
        client_ip: &ip,
    };
    match portal_account::open_document(&state.db, &session, id, action, &visit, now).await {
        Ok(SessionDocument::Shown(printable)) => Ok((id, printable)),
        Ok(SessionDocument::UnderReview) => Err(under_review(state)),
        Err(AppError::NotFound) => Err(invalid(state)),
        Err(_) => Err(trouble(state)),
    }
}

/// `GET /portal/account/d/{id}`.
pub async fn document(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let client = client.as_ref().map(|info| &info.0);
    match session_document(&state, &headers, client, &id, "document.viewed").await {
        Ok((id, printable)) => document_page(&state, &Through::Session { id }, &printable, false),
        Err(page) => page,
    }
}

/// `GET /portal/account/d/{id}/pdf`.
pub async fn pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let client = client.as_ref().map(|info| &info.0);
    match session_document(&state, &headers, client, &id, "document.downloaded").await {
        Ok((_, printable)) => crate::ssr::pdf::attachment(state.fonts.clone(), *printable)
            .await
            .unwrap_or_else(|| trouble(&state)),
        Err(page) => page,
    }
}

/// `POST /portal/account/sign-out`.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie_token(&state, &headers)
        && portal_access::end(&state.db, &token, state.clock.now())
            .await
            .is_err()
    {
        return trouble(&state);
    }
    let mut response = page(
        &state,
        StatusCode::OK,
        "Signed out",
        "<h1>Signed out</h1><p>To see your documents again, open the link in a message \
         you received.</p>",
    );
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&state, "", true));
    response
}
