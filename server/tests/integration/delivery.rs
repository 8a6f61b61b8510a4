//! Issue 14: customers receive their documents. Sending (the queue, the
//! mail, the PDF attached), links that open one document and nothing else,
//! expire, can be revoked and renewed, and reports of suspicious documents.

use crate::helpers::{TestApp, captured_logs, unique_email};
use crate::invoicing::{Books, draft, get, issue, json_of, open_books};
use serde_json::Value;
use time::OffsetDateTime;

/// An issued invoice of `books`; answers its id.
pub(crate) async fn issued(app: &TestApp, books: &Books) -> String {
    let id = draft(app, books).await;
    assert_eq!(issue(app, &books.cookie, &id).await.status(), 200);
    id
}

pub(crate) async fn send(
    app: &TestApp,
    books: &Books,
    id: &str,
    recipients: &str,
) -> reqwest::Response {
    app.call(
        "/api/invoices/send",
        &[("id", id), ("recipients", recipients)],
        Some(&books.cookie),
    )
    .await
}

/// The newest document mail to `to` (the sender works in the background).
pub(crate) async fn document_mail(app: &TestApp, to: &str, number: &str) -> String {
    app.wait_for_mail(to, number).await
}

/// The link's token in a mail.
pub(crate) fn link_token(mail: &str) -> String {
    let start = mail.find("/portal/d/").expect("a portal link") + "/portal/d/".len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub(crate) async fn portal(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(&format!("/portal/d/{token}"), None).await
}

async fn deliveries(app: &TestApp, books: &Books, id: &str) -> Value {
    json_of(
        app.call(
            "/api/invoices/deliveries",
            &[("id", id)],
            Some(&books.cookie),
        )
        .await,
    )
    .await
}

#[tokio::test]
async fn a_sent_invoice_reaches_its_recipient_with_pdf_link_and_fingerprint() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let detail = get(&app, &books.cookie, &id).await;
    let number = detail["number"].as_str().unwrap().to_owned();
    let seal = detail["seal_hash"].as_str().unwrap().to_owned();
    let fingerprint = &seal[..16];
    let to = unique_email();

    let sent = send(&app, &books, &id, &to).await;
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    let mail = document_mail(&app, &to, &number).await;
    assert!(
        mail.contains("Content-Type: application/pdf"),
        "the PDF is attached"
    );
    assert!(mail.contains(&format!("filename=\"{number}.pdf\"")));
    assert!(mail.contains(&format!("Fingerprint: {fingerprint}")));
    assert!(mail.contains("Report it"));
    assert!(mail.contains(&format!("/report?fingerprint={fingerprint}")));
    assert!(
        !mail.contains("/sign_in"),
        "never links to the team's sign-in"
    );
    let token = link_token(&mail);
    assert_eq!(token.len(), 43, "256 random bits");

    // The link shows exactly the stored document.
    let page = portal(&app, &token).await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert!(
        page.headers()["x-robots-tag"]
            .to_str()
            .unwrap()
            .contains("noindex")
    );
    assert!(page.headers().get("set-cookie").is_none(), "no session");
    let html = page.text().await.unwrap();
    assert!(html.contains(&number));
    assert!(html.contains(fingerprint));
    assert!(html.contains(&seal));
    assert!(!html.contains("<script"), "no script at all");
    let total = detail["total"].as_str().unwrap();
    assert!(html.contains(total), "total {total} shown");
    let pdf = app.get(&format!("/portal/d/{token}/pdf"), None).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");

    // The business sees the recipient's state, the sent date and the views.
    // The row is marked sent just after the message is written.
    let mut states = deliveries(&app, &books, &id).await;
    for _ in 0..100 {
        if states[0]["state"] == "Sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        states = deliveries(&app, &books, &id).await;
    }
    assert_eq!(states[0]["email"], to.to_lowercase());
    assert_eq!(states[0]["state"], "Sent");
    assert!(states[0]["opened_at"].is_string(), "viewed");
    let list = json_of(
        app.call_json(
            "/api/invoices/list",
            &serde_json::json!({ "filter": {} }),
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let row = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(row["sent_at"].is_string(), "sent date in the list");
    let audit = json_of(app.call("/api/audit/list", &[], Some(&books.cookie)).await).await;
    let text = audit.to_string();
    assert!(text.contains("document.sent"));
    assert!(text.contains(&format!("by customer contact {}", to.to_lowercase())));

    // The token is in no log line.
    assert!(!captured_logs().contains(&token), "a link token was logged");
}

#[tokio::test]
async fn drafts_bad_recipients_and_strangers_are_refused() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let draft_id = draft(&app, &books).await;
    assert_eq!(
        send(&app, &books, &draft_id, "a@example.com")
            .await
            .status(),
        409
    );
    let id = issued(&app, &books).await;
    let bad = send(&app, &books, &id, "a@example.com, not-an-address").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_of(bad).await["Invalid"]["field"], "recipients");
    let stranger = open_books(&app).await;
    assert_eq!(
        send(&app, &stranger, &id, "a@example.com").await.status(),
        404
    );
    assert!(
        deliveries(&app, &books, &id)
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn a_link_opens_its_document_alone_and_nothing_else() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let first = issued(&app, &books).await;
    let second = issued(&app, &books).await;
    let to = unique_email();
    send(&app, &books, &first, &to).await;
    let first_number = get(&app, &books.cookie, &first).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let second_number = get(&app, &books.cookie, &second).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = link_token(&document_mail(&app, &to, &first_number).await);
    let html = portal(&app, &token).await.text().await.unwrap();
    assert!(html.contains(&first_number));
    assert!(
        !html.contains(&second_number),
        "the customer's other invoice"
    );
    // The portal gives no session: team server functions stay closed.
    for endpoint in [
        "/api/customers/list",
        "/api/audit/list",
        "/api/team/overview",
    ] {
        let status = app.call(endpoint, &[], None).await.status();
        assert_eq!(status, 401, "{endpoint}");
    }
    let me = app.call("/api/auth/me", &[], None).await;
    assert_eq!(json_of(me).await, Value::Null, "nobody is signed in");
    // Unknown, malformed and altered tokens: one neutral answer.
    let mut altered = token.clone();
    altered.replace_range(0..1, if token.starts_with('A') { "B" } else { "A" });
    for bad in [altered.as_str(), "nope", &"A".repeat(43), "..%2F..%2Fapp"] {
        let page = portal(&app, bad).await;
        assert_eq!(page.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn links_are_revoked_per_recipient_per_document_and_by_removing_the_address() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let number = get(&app, &books.cookie, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ana, ben) = (unique_email(), unique_email());
    send(&app, &books, &id, &format!("{ana}, {ben}")).await;
    let ana_token = link_token(&document_mail(&app, &ana, &number).await);
    let ben_token = link_token(&document_mail(&app, &ben, &number).await);

    // Resending issues a fresh link and retires the old one.
    send(&app, &books, &id, &ana).await;
    let fresh = app
        .wait_for_mail_where(&ana, |mail| {
            mail.contains("/portal/d/") && link_token(mail) != ana_token
        })
        .await;
    let ana_fresh = link_token(&fresh);
    assert_eq!(portal(&app, &ana_token).await.status(), 404);
    assert_eq!(portal(&app, &ana_fresh).await.status(), 200);

    let revoked = app
        .call(
            "/api/invoices/revoke_links",
            &[("id", &id), ("email", &ben)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(revoked.status(), 200);
    assert_eq!(json_of(revoked).await, 1);
    assert_eq!(portal(&app, &ben_token).await.status(), 404);
    assert_eq!(portal(&app, &ana_fresh).await.status(), 200, "only Ben's");
    let stranger = open_books(&app).await;
    let foreign = app
        .call(
            "/api/invoices/revoke_links",
            &[("id", &id)],
            Some(&stranger.cookie),
        )
        .await;
    assert_eq!(foreign.status(), 404);

    // Taking Ana's address off the customer revokes her links.
    let saved = app
        .call(
            "/api/customers/save",
            &[
                ("id", &books.customer),
                ("name", "Ωmega Trading GmbH"),
                ("emails", &ana),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(
        portal(&app, &ana_fresh).await.status(),
        200,
        "still on file"
    );
    let removed = app
        .call(
            "/api/customers/save",
            &[
                ("id", &books.customer),
                ("name", "Ωmega Trading GmbH"),
                ("emails", "ap@omega.example"),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(portal(&app, &ana_fresh).await.status(), 404);
}

#[tokio::test]
async fn an_expired_link_offers_a_new_one_only_to_the_address_on_file() {
    let start = OffsetDateTime::now_utc();
    let app = TestApp::spawn_at(start).await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let number = get(&app, &books.cookie, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_file = "ap@omega.example";
    let typed = unique_email();
    send(&app, &books, &id, &format!("{on_file}, {typed}")).await;
    let token = link_token(&document_mail(&app, on_file, &number).await);
    let typed_token = link_token(&document_mail(&app, &typed, &number).await);

    // Due in 14 days: 30 days after that, the link is over.
    app.clock.set(start + time::Duration::days(46));
    let page = portal(&app, &token).await;
    assert_eq!(page.status(), 410);
    let html = page.text().await.unwrap();
    assert!(html.contains("expired"));
    assert!(html.contains(&format!("/portal/d/{token}/renew")));

    let renewed = app
        .client
        .post(app.url(&format!("/portal/d/{token}/renew")))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), 200);
    let fresh = app
        .wait_for_mail_where(on_file, |mail| mail.contains("A new link"))
        .await;
    let fresh_token = link_token(&fresh);
    assert_eq!(portal(&app, &fresh_token).await.status(), 200);

    // An address typed for one send is not on file: no new link goes there,
    // and the answer is the same.
    let asked = app
        .client
        .post(app.url(&format!("/portal/d/{typed_token}/renew")))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !app.mail_to(&typed)
            .iter()
            .any(|mail| mail.contains("A new link")),
        "never to an address that is not on the customer"
    );
}

#[tokio::test]
async fn the_queue_keeps_mail_through_an_smtp_outage_and_a_restart_and_sends_it_once() {
    let start = OffsetDateTime::now_utc();
    // Nothing listens on port 9: every attempt of this instance fails.
    let app = TestApp::spawn_at(start).await;
    let outage = app
        .another_instance(&[("LEDGERLOCK_SMTP_URL", "smtp://127.0.0.1:9")])
        .await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let to = unique_email();
    // Sent through the instance whose SMTP server is down.
    let sent = app
        .client
        .post(format!("{outage}/api/invoices/send"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", books.cookie.clone())
        .body(crate::helpers::encode_form(&[
            ("id", &id),
            ("recipients", &to),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    let mut state = Value::Null;
    for _ in 0..100 {
        state = deliveries(&app, &books, &id).await[0].clone();
        if state["attempts"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The first instance may have taken it first, and delivered it.
    if state["state"] != "Sent" {
        assert_eq!(state["state"], "Retrying", "{state}");
        assert!(state["error"].is_string(), "the reason is shown");
        // A restart (another instance with a working mail setup) finds the
        // message when it is due, and delivers it. The instance with the
        // outage may take it first when it is due again: then time moves on.
        app.clock.set(start + time::Duration::days(1));
        let _restarted = app.another_instance(&[]).await;
        for tick in 1..=60 {
            if !app.mail_to(&to).is_empty() {
                break;
            }
            if tick % 12 == 0 {
                app.clock.set(start + time::Duration::days(1 + tick / 12));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        assert!(!app.mail_to(&to).is_empty(), "delivered after the outage");
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mail_to(&to).len(), 1, "delivered once");
    let mut state = deliveries(&app, &books, &id).await[0]["state"].clone();
    for _ in 0..100 {
        if state == "Sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state = deliveries(&app, &books, &id).await[0]["state"].clone();
    }
    assert_eq!(state, "Sent");
}

#[tokio::test]
async fn reports_reach_the_owners_and_the_security_contact() {
    let contact = unique_email();
    let app = TestApp::spawn_with(&[("LEDGERLOCK_SECURITY_CONTACT", &contact)]).await;
    let owner = unique_email();
    let cookie = app.sign_up(&owner).await;
    let books = crate::invoicing::books_for(&app, cookie).await;
    let id = issued(&app, &books).await;
    let seal = get(&app, &books.cookie, &id).await["seal_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = app
        .get(&format!("/report?fingerprint={}", &seal[..16]), None)
        .await;
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains(&seal[..16]));

    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.client
                .post(app.url("/report"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(crate::helpers::encode_form(&fields))
                .send()
                .await
                .unwrap()
        }
    };
    let missing = post(vec![("reference", seal[..16].to_owned())]).await;
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("Choose a reason"));
    let reported = post(vec![
        ("reference", seal[..16].to_owned()),
        ("reason", "bank_details".into()),
        ("details", "The IBAN <b>changed</b>".into()),
    ])
    .await;
    assert_eq!(reported.status(), 200);
    let to_owner = app.wait_for_mail(&owner, "Suspicious document").await;
    assert!(to_owner.contains("The bank details look changed"));
    app.wait_for_mail(&contact, "Suspicious document").await;
    let audit = json_of(app.call("/api/audit/list", &[], Some(&books.cookie)).await).await;
    assert!(audit.to_string().contains("document.reported"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_sends_at_once_leave_one_live_link_per_recipient() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let to = unique_email();
    let statuses = crate::billing::at_once(
        &app,
        &books.cookie,
        "/api/invoices/send",
        &[("id", &id), ("recipients", &to)],
        20,
    )
    .await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let rows = deliveries(&app, &books, &id).await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 20, "every send made its link");
    let live = rows.iter().filter(|row| row["revoked"] == false).count();
    assert_eq!(live, 1, "each send retired the link before it");
}

#[tokio::test]
async fn an_unconfirmed_address_cannot_send_in_the_organizations_name() {
    let app = TestApp::spawn().await;
    let cookie = app.sign_up_unconfirmed(&unique_email()).await;
    let books = crate::invoicing::books_for(&app, cookie).await;
    let id = issued(&app, &books).await;
    let refused = send(&app, &books, &id, "victim@example.com").await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Confirm your email address")
    );
    assert!(app.mail_to("victim@example.com").is_empty());
}

#[tokio::test]
async fn a_frozen_documents_links_show_it_is_under_review() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = issued(&app, &books).await;
    let number = get(&app, &books.cookie, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let to = unique_email();
    send(&app, &books, &id, &to).await;
    let token = link_token(&document_mail(&app, &to, &number).await);
    let reported = app
        .client
        .post(app.url("/report"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::helpers::encode_form(&[
            ("reference", ""),
            ("reason", "unknown_sender"),
            ("link", &token),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 200);
    // What `ledgerlock reports freeze ID` does.
    let db = app.db().await;
    let report = ledgerlock_app::ssr::services::reports::all(&db, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(report.reporter.as_deref(), Some(to.to_lowercase().as_str()));
    let frozen =
        ledgerlock_app::ssr::services::reports::freeze(&db, report.id, OffsetDateTime::now_utc())
            .await
            .unwrap();
    assert_eq!(frozen.map(|id| id.to_string()), Some(id.clone()));
    let page = portal(&app, &token).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("under review"));
    assert!(!html.contains(&number), "nothing of the document is shown");
    let pdf = app.get(&format!("/portal/d/{token}/pdf"), None).await;
    assert!(
        !pdf.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("pdf")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_in_another_members_browser_and_twenty_renewals_at_once() {
    let start = OffsetDateTime::now_utc();
    let app = TestApp::spawn_at(start).await;
    let books = open_books(&app).await;
    let other = open_books(&app).await;
    let id = issued(&app, &books).await;
    let number = get(&app, &books.cookie, &id).await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let to = "ap@omega.example";
    send(&app, &books, &id, to).await;
    let token = link_token(&document_mail(&app, to, &number).await);

    // Opened in a browser signed in to another organization: the link shows
    // its own document, ignores that session, and leaves it as it was.
    let page = app
        .get(&format!("/portal/d/{token}"), Some(&other.cookie))
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("set-cookie").is_none());
    assert!(page.text().await.unwrap().contains(&number));
    let theirs = app
        .call("/api/invoices/get", &[("id", &id)], Some(&other.cookie))
        .await;
    assert_eq!(theirs.status(), 404, "the link lends the session nothing");
    assert_eq!(
        app.call("/api/customers/list", &[], Some(&other.cookie))
            .await
            .status(),
        200
    );

    // Expired, then "email me a new link" twenty times at once: one live
    // link, and mail within the address's hourly budget (3).
    app.clock.set(start + time::Duration::days(46));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app
            .client
            .post(app.url(&format!("/portal/d/{token}/renew")));
        set.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    assert!(set.join_all().await.iter().all(|status| *status == 200));
    app.wait_for_mail(to, "A new link").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let renewed = app
        .mail_to(to)
        .iter()
        .filter(|mail| mail.contains("A new link"))
        .count();
    assert!((1..=3).contains(&renewed), "{renewed} new links mailed");
    let live = deliveries(&app, &books, &id)
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["revoked"] == false && row["expired"] == false)
        .count();
    assert_eq!(live, 1);
}
