//! Issue 14, the portal behind a code: a recipient proves the mailbox with
//! an emailed code and sees all of that customer's documents with that
//! organization (open items, statement, payments, PDFs) and nothing else;
//! the code's limits hold when guesses arrive at once; the session ends
//! when the address leaves the customer; an organization can require the
//! code even for single links; payout details need an owner's step-up and
//! are announced after a change.

use crate::delivery::{document_mail, issued, link_token, portal, send};
use crate::helpers::{PASSWORD, TestApp, edit_sessions, unique_email};
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
async fn sent_to(app: &TestApp, books: &Books, to: &str) -> (String, String, String) {
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
async fn payout_details_need_an_owner_a_step_up_and_a_valid_iban_and_are_announced() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let books = crate::invoicing::books_for(&app, owner).await;
    let save = |iban: &'static str| {
        let app = &app;
        let cookie = books.cookie.clone();
        async move {
            app.call(
                "/api/organization/save_payout",
                &[
                    ("bank_holder", "Alpha Books GmbH"),
                    ("bank_iban", iban),
                    ("bank_bic", "DEUTDEFF"),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let bad = save("DE45 5001 0517 5407 3249 31").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_of(bad).await["Invalid"]["field"], "bank_iban");
    let before = app.mail_to(&owner_email).len();

    edit_sessions(&app, |auth| auth.confirmed_at = 0).await;
    let stale = save("DE44 5001 0517 5407 3249 31").await;
    assert_eq!(stale.status(), 403);
    assert_eq!(json_of(stale).await, json!("ConfirmationRequired"));
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let cookie =
        crate::helpers::session_cookie(confirmed.headers()).unwrap_or(books.cookie.clone());
    let changed = app
        .call(
            "/api/organization/save_payout",
            &[
                ("bank_holder", "Alpha Books GmbH"),
                ("bank_iban", "DE44 5001 0517 5407 3249 31"),
                ("bank_bic", "DEUTDEFF"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());
    let mail = app
        .wait_for_mail_where(&owner_email, |mail| mail.contains("Bank details of"))
        .await;
    assert!(mail.contains("IBAN ending 4931"));
    assert!(!mail.contains("5407 3249"), "never the whole account");
    assert!(app.mail_to(&owner_email).len() > before);

    // Customers see the details and the change, on the page and in the mail.
    let to = "ap@omega.example";
    let books = Books { cookie, ..books };
    let (sent_id, number, token) = sent_to(&app, &books, to).await;
    let mail = document_mail(&app, to, &number).await;
    assert!(mail.contains("Bank details changed on"));
    let html = portal(&app, &token).await.text().await.unwrap();
    assert!(html.contains("DE44 5001 0517 5407 3249 31"));
    assert!(html.contains("Bank details changed on"));
    let audit = json_of(app.call("/api/audit/list", &[], Some(&books.cookie)).await).await;
    assert!(audit.to_string().contains("settings.payout_changed"));

    // The page and the PDF carry an EPC QR code ("GiroCode") for the
    // balance; read back from the rendered PDF, field by field.
    assert!(html.contains("portal-qr") && html.contains("<svg"));
    let pdf = app
        .get(&format!("/portal/d/{token}/pdf"), None)
        .await
        .bytes()
        .await
        .unwrap();
    let balance = get(&app, &books.cookie, &sent_id).await["balance"]
        .as_str()
        .unwrap()
        .parse::<rust_decimal::Decimal>()
        .unwrap()
        .normalize();
    let payloads = qr_codes_in(&pdf);
    assert_eq!(payloads.len(), 1, "{payloads:?}");
    let fields: Vec<&str> = payloads[0].split('\n').collect();
    assert_eq!(
        fields,
        [
            "BCD",
            "002",
            "1",
            "SCT",
            "DEUTDEFF",
            "Alpha Books GmbH",
            "DE44500105175407324931",
            &format!("EUR{balance}"),
            "",
            "",
            &number
        ]
    );
    assert!(payloads[0].len() <= 331);
}

/// Every QR code on the PDF's pages, decoded: the pages rendered at 200
/// dpi by `pdftoppm`, read by `zbarimg` (both from Debian).
fn qr_codes_in(pdf: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, pdf).unwrap();
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "200", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (poppler-utils) is installed by make tools-test");
    assert!(rendered.success());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    pages.sort();
    let output = std::process::Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .args(&pages)
        .output()
        .expect("zbarimg (zbar-tools) is installed by make tools-test");
    // One code per line of output; a payload's own line breaks are kept,
    // so codes are told apart by their service tag.
    String::from_utf8(output.stdout)
        .unwrap()
        .split("BCD\n")
        .filter(|part| !part.is_empty())
        .map(|part| format!("BCD\n{}", part.trim_end_matches('\n')))
        .collect()
}

#[tokio::test]
async fn no_message_template_or_note_can_name_another_bank_account() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let owner = app.sign_up(&owner_email).await;
    let books = crate::invoicing::books_for(&app, owner).await;
    let id = issued(&app, &books).await;
    let foreign = "Our bank changed: pay to GB33-BUKB-2020-1555-5555-55 (Evil Ltd).";

    let sent = app
        .call(
            "/api/invoices/send",
            &[
                ("id", &id),
                ("recipients", "ap@omega.example"),
                ("message", foreign),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(sent.status(), 422);
    assert_eq!(json_of(sent).await["Invalid"]["field"], "message");
    let delivery = |message: &'static str| {
        let app = &app;
        let cookie = books.cookie.clone();
        async move {
            app.call(
                "/api/organization/save_delivery",
                &[
                    ("mail_message", message),
                    ("link_days_after_due", "30"),
                    ("link_max_days", "120"),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let template = delivery(foreign).await;
    assert_eq!(template.status(), 422);
    assert_eq!(json_of(template).await["Invalid"]["field"], "mail_message");
    let forged = delivery(
        "Hello.\n\n---- Sent for Alpha by its invoicing service ----\nVerified account: see below",
    )
    .await;
    assert_eq!(
        forged.status(),
        422,
        "the service's separator is not the organization's"
    );

    // A draft's notes may not carry another account either.
    let mut form = crate::invoicing::form(&books, crate::invoicing::two_lines(&books));
    form["notes"] = json!(foreign);
    let note = crate::invoicing::save(&app, &books, None, &form).await;
    assert_eq!(note.status(), 422);
    assert_eq!(json_of(note).await["Invalid"]["field"], "notes");

    // Nor the lines, the customer's details or the seller's, however the
    // number is written (no-break spaces here).
    let hidden = "Pay DE44\u{00A0}5001\u{00A0}0517\u{00A0}5407\u{00A0}3249\u{00A0}31";
    let mut form = crate::invoicing::form(&books, crate::invoicing::two_lines(&books));
    form["lines"][0]["description"] = json!(hidden);
    let line = crate::invoicing::save(&app, &books, None, &form).await;
    assert_eq!(json_of(line).await["Invalid"]["field"], "lines");
    let customer = app
        .call(
            "/api/customers/save",
            &[
                ("id", &books.customer),
                ("name", "Ωmega Trading GmbH"),
                ("emails", "ap@omega.example"),
                ("address", hidden),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(json_of(customer).await["Invalid"]["field"], "address");
    let seller = app
        .call(
            "/api/organization/save_billing",
            &[
                ("address", hidden),
                ("invoice_number_format", "INV-{YYYY}-{0000}"),
                ("credit_note_number_format", "CN-{YYYY}-{0000}"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(json_of(seller).await["Invalid"]["field"], "address");

    // A new message reaches the owners at once.
    let before = app.mail_to(&owner_email).len();
    assert_eq!(delivery("Hello from Alpha.").await.status(), 200);
    let mail = app
        .wait_for_mail(&owner_email, "document mail was changed")
        .await;
    assert!(mail.contains("> Hello from Alpha."));
    assert!(app.mail_to(&owner_email).len() > before);
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
