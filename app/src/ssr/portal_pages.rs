//! The pages recipients see (issue 14): a document behind its link, the
//! link's PDF, "email me a new link", and the report form. Plain HTML from
//! the server, no WebAssembly and no script at all: they load at once on
//! any phone and work without JavaScript. Every value is HTML-escaped.
//!
//! Routes: `GET /portal/d/{token}`, `GET /portal/d/{token}/pdf`,
//! `POST /portal/d/{token}/renew`, `GET /report`, `POST /report`. The
//! router adds `Referrer-Policy: no-referrer` and `X-Robots-Tag: noindex`
//! to them and keeps the token out of request logs.

use crate::components::money::format_money;
use crate::domain::delivery::{ReportReason, fingerprint};
use crate::error::AppError;
use crate::ssr::AppState;
use crate::ssr::client::ClientInfo;
use crate::ssr::errors::REQUEST_ID_HEADER;
use crate::ssr::portal_session_pages;
use crate::ssr::services::delivery::document_word;
use crate::ssr::services::invoice_views::Printable;
use crate::ssr::services::payment_provider;
use crate::ssr::services::portal::{self, Opened, Visit};
use crate::ssr::services::reports::{self, NewReport};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::fmt::Write;
use std::sync::OnceLock;

/// `text` safe inside HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The app's stylesheet, by its hashed name when the build hashed it
/// (`hash.txt` beside the binary, as Leptos' `HashedStylesheet` reads it).
fn stylesheet(state: &AppState) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let options = &state.leptos_options;
        let hash = options
            .hash_files
            .then(|| {
                let path = std::env::current_exe()
                    .ok()?
                    .parent()?
                    .join(options.hash_file.as_ref());
                let text = std::fs::read_to_string(path).ok()?;
                text.lines().find_map(|line| {
                    let (kind, hash) = line.split_once(':')?;
                    (kind.trim() == "css").then(|| hash.trim().to_owned())
                })
            })
            .flatten();
        match hash {
            Some(hash) => format!(
                "/{}/{}.{hash}.css",
                options.site_pkg_dir, options.output_name
            ),
            None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
        }
    })
}

pub(crate) fn page(state: &AppState, status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body class=\"portal\"><main class=\"portal-page\">{body}</main></body></html>",
        title = escape(title),
        css = stylesheet(state),
    );
    (status, Html(html)).into_response()
}

pub(crate) fn visit_of<'a>(
    headers: &'a HeaderMap,
    client: Option<&ClientInfo>,
) -> (String, &'a str) {
    let request_id = headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    (
        client.and_then(ClientInfo::ip_text).unwrap_or_default(),
        request_id,
    )
}

pub(crate) fn invalid(state: &AppState) -> Response {
    page(
        state,
        StatusCode::NOT_FOUND,
        "Link not valid",
        "<h1>This link is not valid</h1><p>It may have been replaced by a newer one \
         or withdrawn by the sender. Use the most recent message you received, or \
         contact the sender by a way you already know.</p>",
    )
}

pub(crate) fn trouble(state: &AppState) -> Response {
    page(
        state,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<h1>Something went wrong on our side</h1><p>Please try again in a moment.</p>",
    )
}

pub(crate) fn under_review(state: &AppState) -> Response {
    page(
        state,
        StatusCode::OK,
        "Under review",
        "<h1>This document is under review</h1><p>It cannot be shown at the moment. \
         Please do not pay it until the sender contacts you.</p>",
    )
}

fn expired(state: &AppState, token: &str, organization: &str) -> Response {
    let body = format!(
        "<h1>This link has expired</h1><p>Links to documents from {org} work for a \
         limited time. We can email a new link to the address this one was sent to, \
         if it is still on file.</p>\
         <form method=\"post\" action=\"/portal/d/{token}/renew\">\
         <button type=\"submit\">Email me a new link</button></form>",
        org = escape(organization),
        token = escape(token),
    );
    page(state, StatusCode::GONE, "Link expired", &body)
}

/// Where a document page's links go: behind a link's token, or inside a
/// portal session.
pub enum Through<'a> {
    /// A recipient's link; `session` when this browser's portal session
    /// covers its recipient (then "all my invoices" is one click).
    Link { token: &'a str, session: bool },
    /// A portal session, document `id`.
    Session { id: uuid::Uuid },
}

impl Through<'_> {
    fn pdf(&self) -> String {
        match self {
            Self::Link { token, .. } => format!("/portal/d/{}/pdf", escape(token)),
            Self::Session { id } => format!("/portal/account/d/{id}/pdf"),
        }
    }

    fn report(&self, print: &str) -> String {
        match self {
            Self::Link { token, .. } => {
                format!(
                    "/report?fingerprint={}&amp;link={}",
                    escape(print),
                    escape(token)
                )
            }
            Self::Session { .. } => format!("/report?fingerprint={}", escape(print)),
        }
    }

    /// The way to "all my invoices".
    fn account(&self, organization: &str) -> String {
        match self {
            Self::Link { session: true, .. } | Self::Session { .. } => format!(
                "<p class=\"portal-actions\"><a href=\"/portal/account\">All my documents from {}</a></p>",
                escape(organization)
            ),
            Self::Link { token, .. } => format!(
                "<form method=\"post\" action=\"/portal/code\" class=\"portal-actions\">\
                 <input type=\"hidden\" name=\"link\" value=\"{}\">\
                 <input type=\"hidden\" name=\"then\" value=\"account\">\
                 <button type=\"submit\">All my documents from {}</button>\
                 <span class=\"hint\">We email you a code first.</span></form>",
                escape(token),
                escape(organization)
            ),
        }
    }
}

/// The EPC QR code ("GiroCode") for paying the balance of a euro invoice
/// into the payout account, as SVG; `None` for other currencies, without
/// an IBAN, or outside EPC069-12's limits.
fn epc_qr_svg(printable: &Printable) -> Option<String> {
    let code = crate::ssr::pdf::epc_qr(printable)?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(180, 180)
            .quiet_zone(true)
            .build(),
    )
}

/// The "Paying" section: the payout details, and for 14 days after they
/// changed a warning saying so (the defence against payment redirection).
fn paying(printable: &Printable, now: time::OffsetDateTime, pay_url: Option<&str>) -> String {
    let detail = &printable.detail;
    let seller = escape(&printable.seller.name);
    let mut html = String::from("<section class=\"portal-pay\" id=\"pay\"><h2>Paying</h2>");
    if let Some(changed) = crate::domain::payout::change_notice(printable.payout_changed_at, now) {
        let _ = write!(
            html,
            "<p class=\"portal-warning\" role=\"alert\"><strong>Bank details changed on \
             {changed}.</strong> Before paying into an account you have not paid before, \
             confirm it with {seller} by a way you already know (not the contact details \
             in the message).</p>"
        );
    }
    if detail.is_credit_note {
        let _ = write!(
            html,
            "<p>Nothing to pay: this is a credit note from {seller}.</p>"
        );
    } else if detail.balance <= rust_decimal::Decimal::ZERO {
        html.push_str("<p>Nothing is due on this invoice.</p>");
    } else if printable.payout.is_empty() {
        let _ = write!(html, "<p>Pay as agreed with {seller}.</p>");
    } else {
        html.push_str("<p>Pay by bank transfer to:</p><ul class=\"portal-bank\">");
        for line in printable.payout.lines() {
            let _ = write!(html, "<li>{}</li>", escape(&line));
        }
        let _ = write!(
            html,
            "</ul><p>Reference: <strong>{}</strong></p>",
            escape(detail.number.as_deref().unwrap_or_default())
        );
        if let Some(svg) = epc_qr_svg(printable) {
            let _ = write!(
                html,
                "<figure class=\"portal-qr\">{svg}<figcaption>Scan with your banking app to \
                 fill in the transfer (EPC QR code).</figcaption></figure>"
            );
        }
    }
    match pay_url {
        Some(url) if !detail.is_credit_note && detail.balance > rust_decimal::Decimal::ZERO => {
            let _ = write!(
                html,
                "<p class=\"portal-actions\"><a class=\"button\" href=\"{url}\">Pay by card</a></p>"
            );
        }
        _ => html.push_str("<p class=\"hint\">Card payment is not offered for this document.</p>"),
    }
    html.push_str("</section>");
    html
}

/// The document's page: what was issued, its status and its proof.
/// `card` says whether the organization takes card payments (then a
/// link's page offers "Pay by card").
pub fn document_page(
    state: &AppState,
    through: &Through<'_>,
    printable: &Printable,
    card: bool,
) -> Response {
    let detail = &printable.detail;
    let money = |amount| escape(&format_money(&detail.currency, amount));
    let seal = detail.seal_hash.as_deref().unwrap_or_default();
    let mut body = String::new();
    let _ = write!(
        body,
        "<p class=\"portal-from\">From <strong>{seller}</strong></p>\
         <h1>{kind} {number}</h1>\
         <p class=\"portal-status\">Status: <strong>{status}</strong> · Issued {issued} · Due {due}</p>\
         <p class=\"portal-fingerprint\">Fingerprint <code>{print}</code>: the mail you \
         received shows the same. If they differ, do not pay and report it.</p>",
        seller = escape(&printable.seller.name),
        number = escape(detail.number.as_deref().unwrap_or_default()),
        kind = if detail.is_credit_note {
            "Credit note"
        } else {
            "Invoice"
        },
        status = escape(detail.status.label()),
        issued = detail.issue_date,
        due = detail.due_date,
        print = escape(fingerprint(seal)),
    );
    let _ = write!(
        body,
        "<section><h2>Billed to</h2><p>{}</p></section>",
        escape(&printable.customer.name)
    );
    body.push_str(
        "<table class=\"portal-lines\"><thead><tr><th>Description</th><th>Qty</th>\
         <th>Unit price</th><th>Tax</th><th>Amount</th></tr></thead><tbody>",
    );
    for line in &detail.lines {
        let tax = match (&line.tax_name, line.tax_percent) {
            (Some(name), Some(percent)) => format!("{} {percent}%", escape(name)),
            _ => String::new(),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{tax}</td><td>{}</td></tr>",
            escape(&line.description),
            line.quantity,
            line.unit_price,
            money(line.gross),
        );
    }
    body.push_str("</tbody></table><dl class=\"portal-totals\">");
    let _ = write!(body, "<dt>Net</dt><dd>{}</dd>", money(detail.net));
    for row in &detail.taxes {
        let _ = write!(
            body,
            "<dt>{} {}% on {}</dt><dd>{}</dd>",
            escape(&row.name),
            row.percent,
            money(row.net),
            money(row.tax)
        );
    }
    let _ = write!(
        body,
        "<dt>Total</dt><dd><strong>{}</strong></dd>",
        money(detail.total)
    );
    if !detail.credited.is_zero() {
        let _ = write!(body, "<dt>Credited</dt><dd>{}</dd>", money(detail.credited));
    }
    if !detail.paid.is_zero() {
        let _ = write!(body, "<dt>Paid</dt><dd>{}</dd>", money(detail.paid));
    }
    if !detail.is_credit_note {
        let _ = write!(
            body,
            "<dt>Balance due</dt><dd><strong>{}</strong></dd>",
            money(detail.balance)
        );
    }
    body.push_str("</dl>");
    if !detail.payments.is_empty() {
        body.push_str("<section><h2>Payments</h2><ul>");
        for payment in &detail.payments {
            let _ = write!(
                body,
                "<li>{} · {}</li>",
                payment.paid_on,
                money(payment.amount)
            );
        }
        body.push_str("</ul></section>");
    }
    if !detail.credit_notes.is_empty() {
        body.push_str("<section><h2>Credit notes</h2><ul>");
        for note in &detail.credit_notes {
            let _ = write!(
                body,
                "<li>{} · {}</li>",
                escape(note.number.as_deref().unwrap_or_default()),
                money(note.total)
            );
        }
        body.push_str("</ul></section>");
    }
    for text in [&detail.notes, &detail.terms] {
        if !text.is_empty() {
            let _ = write!(body, "<p class=\"portal-note\">{}</p>", escape(text));
        }
    }
    if !printable.seller.address.is_empty() {
        let _ = write!(
            body,
            "<section><h2>{}</h2><p class=\"portal-note\">{}</p></section>",
            escape(&printable.seller.name),
            escape(&printable.seller.address)
        );
    }
    let pay_url = match through {
        Through::Link { token, .. } if card => Some(format!("/portal/d/{}/pay", escape(token))),
        _ => None,
    };
    body.push_str(&paying(printable, state.clock.now(), pay_url.as_deref()));
    let _ = write!(
        body,
        "<p class=\"portal-actions\"><a class=\"button\" href=\"{pdf}\">Download the PDF</a></p>\
         {account}\
         <p class=\"portal-seal\">Seal (SHA-256 of the issued content): <code>{seal}</code>. \
         It was computed when the {word} was issued; the PDF's footer carries it too.</p>\
         <p class=\"portal-report\">Not expecting this {word}? \
         <a href=\"{report}\">Report it</a>.</p>",
        pdf = through.pdf(),
        account = through.account(&printable.seller.name),
        seal = escape(seal),
        word = document_word(printable),
        report = through.report(fingerprint(seal)),
    );
    let title = format!(
        "{} {} from {}",
        if detail.is_credit_note {
            "Credit note"
        } else {
            "Invoice"
        },
        detail.number.as_deref().unwrap_or_default(),
        printable.seller.name
    );
    page(state, StatusCode::OK, &title, &body)
}

/// The page of a link whose organization asks for a code first.
fn needs_code(state: &AppState, token: &str, organization: &str) -> Response {
    let body = format!(
        "<h1>Confirm it is you</h1><p>{org} asks recipients to confirm their address \
         before a document opens. We email a code to the address this link was sent to.</p>\
         <form method=\"post\" action=\"/portal/code\">\
         <input type=\"hidden\" name=\"link\" value=\"{token}\">\
         <input type=\"hidden\" name=\"then\" value=\"document\">\
         <button type=\"submit\">Email me a code</button></form>",
        org = escape(organization),
        token = escape(token),
    );
    page(state, StatusCode::UNAUTHORIZED, "Confirm it is you", &body)
}

/// The document behind `token`, its opening recorded as `action`, and
/// whether this browser's portal session covers its recipient; or the page
/// to answer instead (expired, code needed, under review, not valid,
/// trouble).
async fn open_document(
    state: &AppState,
    token: &str,
    action: &'static str,
    headers: &HeaderMap,
    client: Option<&ClientInfo>,
) -> Result<(Box<Printable>, bool, uuid::Uuid), Response> {
    let (ip, request_id) = visit_of(headers, client);
    let visit = Visit {
        request_id,
        client_ip: &ip,
    };
    let now = state.clock.now();
    let session = portal_session_pages::session_of(state, headers, now)
        .await
        .map_err(|_| trouble(state))?;
    match portal::open(&state.db, token, action, session.as_ref(), &visit, now).await {
        Ok(Opened::Document { printable, link }) => {
            let covered = session.as_ref().is_some_and(|session| {
                crate::ssr::services::portal_access::covers(
                    session,
                    link.organization_id,
                    link.customer_id,
                    &link.email,
                )
            });
            Ok((printable, covered, link.organization_id))
        }
        Ok(Opened::Expired { organization }) => Err(expired(state, token, &organization)),
        Ok(Opened::NeedsCode { organization }) => Err(needs_code(state, token, &organization)),
        Ok(Opened::UnderReview) => Err(under_review(state)),
        Ok(Opened::Invalid) => Err(invalid(state)),
        Err(_) => Err(trouble(state)),
    }
}

/// `GET /portal/d/{token}`.
pub async fn document(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let client = client.as_ref().map(|info| &info.0);
    match open_document(&state, &token, "document.viewed", &headers, client).await {
        Ok((printable, session, organization_id)) => {
            let through = Through::Link {
                token: &token,
                session,
            };
            let card = payment_provider::takes_cards(&state.db, organization_id)
                .await
                .unwrap_or(false);
            document_page(&state, &through, &printable, card)
        }
        Err(page) => page,
    }
}

/// `GET /portal/d/{token}/pdf`.
pub async fn pdf(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let client = client.as_ref().map(|info| &info.0);
    match open_document(&state, &token, "document.downloaded", &headers, client).await {
        Ok((printable, _, _)) => crate::ssr::pdf::attachment(state.fonts.clone(), *printable)
            .await
            .unwrap_or_else(|| trouble(&state)),
        Err(page) => page,
    }
}

/// `POST /portal/d/{token}/renew`: the same answer, at once, whatever
/// happens; the work is done after answering, so its time tells nothing.
pub async fn renew(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
) -> Response {
    let (ip, request_id) = visit_of(&headers, client.as_ref().map(|info| &info.0));
    let request_id = request_id.to_owned();
    let worker = state.clone();
    tokio::spawn(async move {
        let visit = Visit {
            request_id: &request_id,
            client_ip: &ip,
        };
        let now = worker.clock.now();
        if let Err(error) = portal::renew(&worker, &token, &visit, now).await {
            tracing::error!(?error, "a new link could not be sent");
        }
    });
    page(
        &state,
        StatusCode::OK,
        "New link",
        "<h1>Check your mail</h1><p>If the address this link was sent to is still on \
         file with the sender, a new link is on its way to it.</p>",
    )
}

/// What `/report` may be given in its address.
#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    fingerprint: String,
    #[serde(default)]
    link: String,
}

fn report_form(state: &AppState, query: &ReportQuery, error: Option<&str>) -> Response {
    let mut body = String::from(
        "<h1>Report a suspicious document</h1><p>Received an invoice you did not expect, \
         from a sender you do not know, or with bank details that look changed? Tell us: \
         the sender's owners and this service's security contact are told at once.</p>",
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
        "<form method=\"post\" action=\"/report\">\
         <input type=\"hidden\" name=\"link\" value=\"{link}\">\
         <label>Fingerprint or document number<input name=\"reference\" maxlength=\"100\" \
         value=\"{reference}\" required></label><fieldset><legend>What is wrong?</legend>",
        link = escape(&query.link),
        reference = escape(&query.fingerprint),
    );
    for reason in ReportReason::ALL {
        let _ = write!(
            body,
            "<label><input type=\"radio\" name=\"reason\" value=\"{}\" required> {}</label>",
            reason.as_str(),
            escape(reason.label())
        );
    }
    body.push_str(
        "</fieldset><label>Anything else we should know (optional)\
         <textarea name=\"details\" maxlength=\"2000\" rows=\"4\"></textarea></label>\
         <button type=\"submit\">Send the report</button></form>",
    );
    page(state, StatusCode::OK, "Report a suspicious document", &body)
}

/// `GET /report`.
pub async fn report_page(
    State(state): State<AppState>,
    Query(query): Query<ReportQuery>,
) -> Response {
    report_form(&state, &query, None)
}

/// The report form as posted.
#[derive(Deserialize)]
pub struct ReportPost {
    #[serde(default)]
    reference: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
    #[serde(default)]
    link: String,
}

/// `POST /report`.
pub async fn report_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: Option<axum::Extension<ClientInfo>>,
    Form(form): Form<ReportPost>,
) -> Response {
    let (ip, request_id) = visit_of(&headers, client.as_ref().map(|info| &info.0));
    let budget_key = client
        .as_ref()
        .and_then(|info| info.0.ip)
        .map(|ip| crate::ssr::client::limit_key(ip).to_string())
        .unwrap_or_default();
    let report = NewReport {
        reference: &form.reference,
        reason: &form.reason,
        details: &form.details,
        token: &form.link,
        client_ip: &ip,
        budget_key: &budget_key,
        request_id,
    };
    match reports::submit(&state, &report, state.clock.now()).await {
        Ok(_) => page(
            &state,
            StatusCode::OK,
            "Report received",
            "<h1>Thank you</h1><p>Your report was received and passed on. Do not pay \
             the document until you have confirmed it with the sender by a way you \
             already know (not the contact details in the message).</p>",
        ),
        Err(AppError::Invalid { message, .. }) => {
            let query = ReportQuery {
                fingerprint: form.reference.clone(),
                link: form.link.clone(),
            };
            let mut response = report_form(&state, &query, Some(&message));
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
        Err(AppError::RateLimited) => page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many reports",
            "<h1>Too many reports</h1><p>Please wait an hour and try again.</p>",
        ),
        Err(_) => trouble(&state),
    }
}
