//! Issue 14's payout protection and issue 15's EPC QR code: payout details
//! need an owner's step-up, are mailed to the owners and announced on
//! page, mail and PDF; the QR code is read back from the PDF; and no
//! message, template, note, line or party detail may name another bank
//! account or forge the service's separator.

use crate::delivery::{document_mail, issued, portal};
use crate::helpers::{PASSWORD, TestApp, edit_sessions, unique_email};
use crate::invoicing::{Books, get, json_of};
use crate::portal::sent_to;
use serde_json::json;

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
