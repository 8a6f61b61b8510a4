//! Paying a document by card (issue 15): the page behind a recipient's
//! link, the three calls its script makes, and Stripe's webhook.
//!
//! - `GET /portal/d/{token}/pay`: the card form (Stripe.js' card element).
//!   The only portal page with script: Stripe.js and `/pay.js`, allowed by
//!   this page's own Content-Security-Policy, with Stripe's origins for
//!   script, frames and calls, and nothing inline.
//! - `POST /portal/d/{token}/pay/start` → `{"attempt", "client_secret"}`
//! - `POST /portal/d/{token}/pay/confirm` `{"attempt", "amount"}` →
//!   `{"status", "message", "client_secret"?}`
//! - `GET /portal/d/{token}/pay/status?attempt=…` → `{"status", "message"}`
//! - `POST /webhooks/stripe`: Stripe's events (`services::stripe_webhooks`).
//!
//! Every portal call checks the link as the document page does (live, not
//! frozen, a code where the organization asks for one). Errors are JSON
//! `{"error", "field"?}` with the status the app uses elsewhere.

use crate::components::money::format_money;
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::client::ClientInfo;
use crate::ssr::portal_pages::{escape, invalid, page, trouble, under_review};
use crate::ssr::portal_session_pages::session_of;
use crate::ssr::services::card_payments::{self, Payer};
use crate::ssr::services::portal::{self, Opened};
use crate::ssr::services::stripe_webhooks::{self, Delivery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_SECURITY_POLICY};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use uuid::Uuid;

/// The payer behind `token` for this browser, or the page to answer.
async fn payer_of(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
) -> Result<(Payer, String), Response> {
    let now = state.clock.now();
    let session = session_of(state, headers, now)
        .await
        .map_err(|_| trouble(state))?;
    match portal::access(&state.db, token, session.as_ref(), now).await {
        Ok(Ok(live)) => Ok((
            Payer {
                organization_id: live.link.organization_id,
                invoice_id: live.link.invoice_id,
                payer_id: live.link.id,
                email: live.link.email.clone(),
            },
            live.organization,
        )),
        Ok(Err(Opened::UnderReview)) => Err(under_review(state)),
        // Expired links and those needing a code go back to the document
        // page, which explains and offers the way on.
        Ok(Err(Opened::Expired { .. } | Opened::NeedsCode { .. })) => Err((
            StatusCode::SEE_OTHER,
            [(http::header::LOCATION, format!("/portal/d/{token}"))],
        )
            .into_response()),
        Ok(Err(_)) => Err(invalid(state)),
        Err(_) => Err(trouble(state)),
    }
}

/// This page's policy: the app's, plus Stripe.js' origin for its script and
/// frames and the API's for its calls.
fn payment_policy(state: &AppState) -> String {
    let (js, api) = state.stripe.endpoints().origins();
    let hooks = if js == "https://js.stripe.com" {
        " https://hooks.stripe.com"
    } else {
        ""
    };
    format!(
        "default-src 'self'; script-src 'self' {js}; frame-src {js}{hooks}; \
         style-src 'self'; img-src 'self' data: {js}; font-src 'self'; \
         connect-src 'self' {api}; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// `GET /portal/d/{token}/pay`.
pub async fn pay_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (payer, organization) = match payer_of(&state, &token, &headers).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let back = format!("/portal/d/{}", escape(&token));
    let offer = match card_payments::offer(&state, payer.organization_id, payer.invoice_id).await {
        Ok(offer) => offer,
        Err(_) => return trouble(&state),
    };
    let Some(offer) = offer else {
        let body = format!(
            "<h1>Nothing to pay by card</h1><p>{} does not take card payments for this \
             document, or nothing is due on it.</p><p><a href=\"{back}\">Back to the document</a></p>",
            escape(&organization)
        );
        return page(&state, StatusCode::OK, "Nothing to pay by card", &body);
    };
    let balance = format_money(offer.currency.code(), offer.balance);
    let mut body = format!(
        "<p class=\"portal-from\">To <strong>{org}</strong></p><h1>Pay by card</h1>\
         <p>Balance due: <strong data-testid=\"pay-balance\">{balance}</strong></p>\
         <form id=\"pay-form\" class=\"portal-card\" data-key=\"{key}\" data-base=\"/portal/d/{token}/pay\">",
        org = escape(&organization),
        balance = escape(&balance),
        key = escape(&offer.publishable_key),
        token = escape(&token),
    );
    if let Some(minimum) = offer.partial_minimum {
        let floor = minimum.min(offer.balance);
        let _ = write!(
            body,
            "<div class=\"field\"><label for=\"amount\">Amount ({code})</label>\
             <input id=\"amount\" name=\"amount\" inputmode=\"decimal\" value=\"{value}\">\
             <p class=\"hint\">From {floor} up to the balance.</p>\
             <p class=\"field-error\" id=\"amount-error\" role=\"alert\"></p></div>",
            code = offer.currency.code(),
            value = offer.balance,
            floor = escape(&format_money(offer.currency.code(), floor)),
        );
    }
    let _ = write!(
        body,
        "<div class=\"field\"><label for=\"card\">Card</label><div id=\"card\" class=\"card-element\"></div></div>\
         <button type=\"submit\" id=\"pay-button\">Pay</button>\
         <p id=\"pay-status\" role=\"status\" aria-live=\"polite\" data-state=\"ready\"></p></form>\
         <noscript><p>Paying by card needs JavaScript for Stripe's card form. You can pay by \
         bank transfer instead: the details are on the document.</p></noscript>\
         <p class=\"hint\">Your card details go straight to Stripe, our payment provider; \
         {org} never sees them.</p>\
         <p><a href=\"{back}\">Back to the document</a></p>\
         <script src=\"{js}\"></script><script src=\"/pay.js\"></script>",
        org = escape(&organization),
        js = escape(&state.stripe.endpoints().js),
    );
    let mut response = page(&state, StatusCode::OK, "Pay by card", &body);
    if let Ok(policy) = HeaderValue::from_str(&payment_policy(&state)) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, policy);
    }
    response
}

#[derive(Serialize)]
struct Problem {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
}

fn problem(error: &AppError) -> Response {
    let status = match error {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
        "Something went wrong on our side. Please try again in a moment.".to_owned()
    } else {
        error.to_string()
    };
    (
        status,
        Json(Problem {
            error: message,
            field: error.field().map(str::to_owned),
        }),
    )
        .into_response()
}

/// A page answer (bad link, …) as the script's JSON.
fn refused(page: &Response) -> Response {
    let error = match page.status() {
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::SEE_OTHER => {
            AppError::Conflict("This link has expired or needs a code: reload the page.".into())
        }
        _ => AppError::Conflict("This document cannot be paid at the moment.".into()),
    };
    problem(&error)
}

#[derive(Serialize)]
struct StartAnswer {
    attempt: Uuid,
    client_secret: String,
}

/// `POST /portal/d/{token}/pay/start`.
pub async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let payer = match payer_of(&state, &token, &headers).await {
        Ok((payer, _)) => payer,
        Err(page) => return refused(&page),
    };
    match card_payments::start(&state, &payer, state.clock.now()).await {
        Ok(started) => Json(StartAnswer {
            attempt: started.attempt_id,
            client_secret: started.client_secret,
        })
        .into_response(),
        Err(error) => problem(&error),
    }
}

#[derive(Deserialize)]
pub struct ConfirmInput {
    attempt: Uuid,
    #[serde(default)]
    amount: String,
}

#[derive(Serialize)]
struct StatusAnswer {
    status: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl From<card_payments::AttemptStatus> for StatusAnswer {
    fn from(status: card_payments::AttemptStatus) -> Self {
        Self {
            status: status.status,
            message: status.message,
            client_secret: status.client_secret,
        }
    }
}

/// `POST /portal/d/{token}/pay/confirm`.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let payer = match payer_of(&state, &token, &headers).await {
        Ok((payer, _)) => payer,
        Err(page) => return refused(&page),
    };
    // Read here rather than by an extractor: a bad body gets the same JSON
    // answer as every other refusal the page's script shows.
    let Ok(input) = serde_json::from_slice::<ConfirmInput>(&body) else {
        return problem(&AppError::Conflict(
            "Send the attempt and the amount as JSON.".into(),
        ));
    };
    match card_payments::confirm(
        &state,
        &payer,
        input.attempt,
        &input.amount,
        state.clock.now(),
    )
    .await
    {
        Ok(status) => Json(StatusAnswer::from(status)).into_response(),
        Err(error) => problem(&error),
    }
}

/// `GET /portal/d/{token}/pay/status?attempt=…`.
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let payer = match payer_of(&state, &token, &headers).await {
        Ok((payer, _)) => payer,
        Err(page) => return refused(&page),
    };
    let attempt = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find_map(|(name, value)| (name == "attempt").then(|| value.parse::<Uuid>().ok()))
        .flatten();
    let Some(attempt) = attempt else {
        return problem(&AppError::NotFound);
    };
    match card_payments::status(&state.db, &payer, attempt).await {
        Ok(status) => Json(StatusAnswer::from(status)).into_response(),
        Err(error) => problem(&error),
    }
}

/// `POST /webhooks/stripe`: 200 when handled (or already handled, or not
/// Ledgerlock's), 400 for a bad signature or body, 409 for "too early".
pub async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
    body: Bytes,
) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    match stripe_webhooks::handle(&state, signature, &body, state.clock.now()).await {
        Ok(Delivery::Handled(outcome)) => (StatusCode::OK, outcome).into_response(),
        Ok(Delivery::Duplicate) => (StatusCode::OK, "duplicate").into_response(),
        Ok(Delivery::Ignored) => (StatusCode::OK, "ignored").into_response(),
        Ok(Delivery::Refused(reason)) => {
            let ip = client
                .as_ref()
                .and_then(|info| info.0.ip_text())
                .unwrap_or_default();
            tracing::warn!(%reason, client_ip = %ip, "Stripe webhook refused");
            (StatusCode::BAD_REQUEST, "signature refused").into_response()
        }
        Ok(Delivery::Malformed) => (StatusCode::BAD_REQUEST, "not an event").into_response(),
        Ok(Delivery::Later) => {
            (StatusCode::CONFLICT, "not yet: deliver again later").into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "error").into_response(),
    }
}
