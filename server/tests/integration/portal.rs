//! Issue 14, the portal behind a code: a recipient proves the mailbox with
//! an emailed code and sees all of that customer's documents with that
//! organization (open items, statement, payments, PDFs) and nothing else;
//! the code's limits hold when guesses arrive at once; the session ends
//! when the address leaves the customer; an organization can require the
//! code even for single links. (Payout details and the guard on bank
//! accounts in free text: `payout.rs`.)

use crate::delivery::{document_mail, issued, link_token, portal, send};
use crate::helpers::{TestApp, unique_email};
use crate::invoicing::{Books, get, json_of, open_books};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::json;

/// Makes `emails` the customer's addresses.
async fn set_emails(app: &TestApp, books: &Books, emails: &str) {
    let saved = app
        .call(
            "/api/customers/save",
            &[
                ("id", &books.customer),
                ("name", "Ωmega Trading GmbH"),
                ("emails", emails),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(saved.status(), 200);
}

/// Issues and sends an invoice to `to`; answers its id, number and link.
pub(crate) async fn sent_to(app: &TestApp, books: &Books, to: &str) -> (String, String, String) {
    let id = issued(app, books).await;
    let number = get(app, &books.cookie, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(send(app, books, &id, to).await.status(), 200);
    let token = link_token(&document_mail(app, to, &number).await);
    (id, number, token)
}

async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> reqwest::Response {
    app.call(path, form, cookie).await
}

/// Asks for a code from link `token`; answers the challenge id from the form.
async fn ask_code(app: &TestApp, token: &str, then: &str) -> String {
    let page = post_form(
        app,
        "/portal/code",
        &[("link", token), ("then", then)],
        None,
    )
    .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("•••@"), "says where the code went, masked");
    let start =
        html.find("name=\"challenge\" value=\"").unwrap() + "name=\"challenge\" value=\"".len();
    html[start..start + 36].to_owned()
}

/// The newest code mailed to `to`.
async fn code_for(app: &TestApp, to: &str, not: Option<&str>) -> String {
    let mail = app
        .wait_for_mail_where(to, |mail| {
            mail.contains("Subject: Your code") && not.is_none_or(|old| !mail.contains(old))
        })
        .await;
    mail.lines()
        .map(str::trim)
        .find(|line| line.len() == 8 && line.bytes().all(|b| b.is_ascii_digit()))
        .expect("a code line")
        .to_owned()
}

async fn verify(
    app: &TestApp,
    challenge: &str,
    code: &str,
    token: &str,
    then: &str,
) -> reqwest::Response {
    post_form(
        app,
        "/portal/code/verify",
        &[
            ("challenge", challenge),
            ("code", code),
            ("link", token),
            ("then", then),
        ],
        None,
    )
    .await
}

/// The same code entry sent `times` times at once; answers the statuses.
async fn verify_at_once(app: &TestApp, challenge: &str, code: &str, times: usize) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..times {
        let request = app
            .client
            .post(app.url("/portal/code/verify"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::helpers::encode_form(&[
                ("challenge", challenge),
                ("code", code),
                ("then", "account"),
            ]));
        set.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    set.join_all().await
}

/// `name=value` of the portal cookie a response sets.
fn portal_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("ledgerlock_portal="))
        .map(|line| {
            assert!(line.contains("HttpOnly"), "{line}");
            assert!(line.contains("SameSite=Lax"), "{line}");
            line.split(';').next().unwrap().to_owned()
        })
        .expect("a portal cookie")
}

/// Opens a portal session for the recipient of `token`; answers its cookie.
async fn sign_in(app: &TestApp, to: &str, token: &str) -> String {
    let challenge = ask_code(app, token, "account").await;
    let code = code_for(app, to, None).await;
    let opened = verify(app, &challenge, &code, token, "account").await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()[LOCATION], "/portal/account");
    portal_cookie(&opened)
}

#[tokio::test]
async fn a_code_opens_all_of_one_customers_documents_and_nothing_else() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let to = "ap@omega.example";
    let (first, first_number, token) = sent_to(&app, &books, to).await;
    let (_, second_number, _) = sent_to(&app, &books, to).await;
    // A payment on the first invoice: the statement and history show it.
    let paid = app
        .call(
            "/api/invoices/record_payment",
            &[
                ("id", &first),
                ("paid_on", "2026-11-30"),
                ("amount", "10.00"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    // Another customer of the same organization, and another organization.
    let other_customer = app
        .call(
            "/api/customers/save",
            &[
                ("name", "Other Customer"),
                ("emails", "other@example.net"),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&books.cookie),
        )
        .await;
    let other_customer = json_of(other_customer).await.as_str().unwrap().to_owned();
    let theirs = Books {
        cookie: books.cookie.clone(),
        customer: other_customer,
        vat: books.vat.clone(),
    };
    let (their_id, their_number, _) = sent_to(&app, &theirs, "other@example.net").await;
    let stranger = open_books(&app).await;
    let (foreign_id, _, _) = sent_to(&app, &stranger, to).await;

    // Wrong code first: counted, the tries left said.
    let challenge = ask_code(&app, &token, "account").await;
    let code = code_for(&app, to, None).await;
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let refused = verify(&app, &challenge, wrong, &token, "account").await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("4 tries left"));
    let opened = verify(&app, &challenge, &code, &token, "account").await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let cookie = portal_cookie(&opened);
    let again = verify(&app, &challenge, &code, &token, "account").await;
    assert_eq!(again.status(), 422, "a code opens one session");

    let page = app.get("/portal/account", Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(html.contains(&first_number) && html.contains(&second_number));
    assert!(!html.contains(&their_number), "another customer's document");
    assert!(html.contains("Statement") && html.contains("Payment"));
    assert!(html.contains("Open items"));
    assert!(!html.contains("<script"));
    // The closing balance is what the two invoices still owe (both have
    // the same lines; the first got 10.00).
    let first_detail = get(&app, &books.cookie, &first).await;
    let balance: rust_decimal::Decimal = first_detail["balance"].as_str().unwrap().parse().unwrap();
    let total: rust_decimal::Decimal = first_detail["total"].as_str().unwrap().parse().unwrap();
    let closing = ledgerlock_app::components::money::format_money("EUR", balance + total);
    assert!(html.contains(&closing), "closing balance {closing}");

    // Each of the customer's documents, and its PDF; nothing else.
    let own = app
        .get(&format!("/portal/account/d/{first}"), Some(&cookie))
        .await;
    assert_eq!(own.status(), 200);
    let pdf = app
        .get(&format!("/portal/account/d/{first}/pdf"), Some(&cookie))
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    for id in [&their_id, &foreign_id] {
        for path in [
            format!("/portal/account/d/{id}"),
            format!("/portal/account/d/{id}/pdf"),
        ] {
            assert_eq!(app.get(&path, Some(&cookie)).await.status(), 404, "{path}");
        }
    }
    assert_eq!(
        app.get("/portal/account/d/not-an-id", Some(&cookie))
            .await
            .status(),
        404
    );

    // The portal cookie is no key to the team's app.
    let listed = app
        .call_json(
            "/api/invoices/list",
            &json!({ "filter": {} }),
            Some(&cookie),
        )
        .await;
    assert_eq!(listed.status(), 401);
    for endpoint in [
        "/api/customers/list",
        "/api/dashboard/summary",
        "/api/audit/list",
    ] {
        let answer = app.call(endpoint, &[], Some(&cookie)).await;
        assert_eq!(answer.status(), 401, "{endpoint}");
    }
    let app_page = app.get("/app/invoices", Some(&cookie)).await;
    assert_eq!(app_page.status(), StatusCode::SEE_OTHER, "sent to sign in");

    // The organization's records name the customer contact.
    let audit = json_of(app.call("/api/audit/list", &[], Some(&books.cookie)).await).await;
    let text = audit.to_string();
    assert!(text.contains("portal.code_requested"));
    assert!(text.contains("portal.signed_in"));
    assert!(text.contains("by customer contact ap@omega.example (portal)"));

    // Signing out ends it.
    let out = post_form(&app, "/portal/account/sign-out", &[], Some(&cookie)).await;
    assert_eq!(out.status(), 200);
    assert_eq!(
        app.get("/portal/account", Some(&cookie)).await.status(),
        401
    );
}

#[tokio::test]
async fn five_tries_per_code_even_when_twenty_arrive_at_once() {
    let app = TestApp::spawn_with(&[("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "100000")]).await;
    let books = open_books(&app).await;
    let to = "ap@omega.example";
    let (_, _, token) = sent_to(&app, &books, to).await;

    let challenge = ask_code(&app, &token, "account").await;
    let code = code_for(&app, to, None).await;
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let answers = verify_at_once(&app, &challenge, wrong, 20).await;
    assert!(answers.iter().all(|status| *status == 422), "{answers:?}");
    let late = verify(&app, &challenge, &code, &token, "account").await;
    assert_eq!(late.status(), 422, "the right code after five wrong ones");
    assert!(late.text().await.unwrap().contains("no longer works"));

    // The right code sent twenty times at once opens one session.
    let challenge = ask_code(&app, &token, "account").await;
    let code = code_for(&app, to, Some(&code)).await;
    let answers = verify_at_once(&app, &challenge, &code, 20).await;
    let opened = answers.iter().filter(|status| **status == 303).count();
    assert_eq!(opened, 1, "{answers:?}");
    use ledgerlock_app::ssr::entities::portal_session;
    use sea_orm::EntityTrait;
    let sessions = portal_session::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);

    // An expired link asks for no code; an unknown one neither.
    let unknown = post_form(&app, "/portal/code", &[("link", &"x".repeat(43))], None).await;
    assert_eq!(unknown.status(), 404);
    // Three codes an hour to one address: the mail budget.
    let third = post_form(
        &app,
        "/portal/code",
        &[("link", &token), ("then", "account")],
        None,
    )
    .await;
    assert_eq!(third.status(), 200);
    let fourth = post_form(
        &app,
        "/portal/code",
        &[("link", &token), ("then", "account")],
        None,
    )
    .await;
    assert_eq!(fourth.status(), 429);
    let logs = crate::helpers::captured_logs();
    assert!(!logs.contains(&token), "link tokens never reach the logs");
    assert!(!logs.contains(&code), "codes never reach the logs");
}

#[tokio::test]
async fn removing_the_address_ends_its_portal_session_and_a_request_in_flight() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let to = unique_email();
    set_emails(&app, &books, &format!("ap@omega.example, {to}")).await;
    let (_, _, token) = sent_to(&app, &books, &to).await;
    let cookie = sign_in(&app, &to, &token).await;
    assert_eq!(
        app.get("/portal/account", Some(&cookie)).await.status(),
        200
    );

    // A code asked for before the address was removed opens nothing after.
    let challenge = ask_code(&app, &token, "account").await;
    let pending = code_for(&app, &to, None).await;
    set_emails(&app, &books, "ap@omega.example").await;
    assert_eq!(
        app.get("/portal/account", Some(&cookie)).await.status(),
        401
    );
    let late = verify(&app, &challenge, &pending, &token, "account").await;
    assert_eq!(late.status(), 422);
    assert!(late.headers().get(SET_COOKIE).is_none());
    // Putting the address back does not revive the ended session.
    set_emails(&app, &books, &format!("ap@omega.example, {to}")).await;
    assert_eq!(
        app.get("/portal/account", Some(&cookie)).await.status(),
        401
    );
}

#[tokio::test]
async fn an_organization_can_require_the_code_for_every_link() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let other = unique_email();
    set_emails(&app, &books, &format!("ap@omega.example, {other}")).await;
    let to = "ap@omega.example";
    let (_, number, token) = sent_to(&app, &books, to).await;
    assert_eq!(
        portal(&app, &token).await.status(),
        200,
        "no code by default"
    );

    let saved = app
        .call(
            "/api/organization/save_delivery",
            &[
                ("link_days_after_due", "30"),
                ("link_max_days", "120"),
                ("require_code", "true"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let gated = portal(&app, &token).await;
    assert_eq!(gated.status(), 401);
    assert!(
        !gated.text().await.unwrap().contains(&number),
        "nothing of the document"
    );
    let pdf = app.get(&format!("/portal/d/{token}/pdf"), None).await;
    assert_eq!(pdf.status(), 401);

    // Another contact's session does not open this recipient's link.
    let (_, _, other_token) = sent_to(&app, &books, &other).await;
    let challenge = ask_code(&app, &other_token, "account").await;
    let code = code_for(&app, &other, None).await;
    let theirs = verify(&app, &challenge, &code, &other_token, "account").await;
    let other_cookie = portal_cookie(&theirs);
    assert_eq!(
        app.get(&format!("/portal/d/{token}"), Some(&other_cookie))
            .await
            .status(),
        401
    );

    // The recipient's own code leads back to the document.
    let challenge = ask_code(&app, &token, "document").await;
    let code = code_for(&app, to, None).await;
    let opened = verify(&app, &challenge, &code, &token, "document").await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    assert_eq!(opened.headers()[LOCATION], format!("/portal/d/{token}"));
    let cookie = portal_cookie(&opened);
    let page = app.get(&format!("/portal/d/{token}"), Some(&cookie)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&number));
}

#[tokio::test]
async fn reloading_at_once_records_one_view_and_one_download() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let (id, _, token) = sent_to(&app, &books, "ap@omega.example").await;
    for path in [
        format!("/portal/d/{token}"),
        format!("/portal/d/{token}/pdf"),
    ] {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let request = app.client.get(app.url(&path));
            set.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
        assert!(set.join_all().await.iter().all(|status| *status == 200));
    }
    use ledgerlock_app::ssr::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::ObjectId.eq(uuid::Uuid::parse_str(&id).unwrap()))
        .filter(audit_event::Column::ActorKind.eq("customer"))
        .all(&app.db().await)
        .await
        .unwrap();
    let count = |action: &str| events.iter().filter(|event| event.action == action).count();
    assert_eq!(count("document.viewed"), 1);
    assert_eq!(count("document.downloaded"), 1);
}
