//! Issue 5, what invoicing produces: the audit chain and its check, CSV
//! exports, the dashboard's figures, PDFs, number formats, demo data.

use crate::helpers::{PASSWORD, TestApp, demo_data, edit_sessions, session_cookie, unique_email};
use crate::invoicing::{Books, draft, form, get, issue, json_of, open_books, save, two_lines};
use ledgerlock_app::ssr::entities::audit_event;
use ledgerlock_app::ssr::services::audit;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

#[tokio::test]
async fn the_audit_chain_verifies_and_names_the_altered_event() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    issue(&app, &books.cookie, &id).await;
    app.call(
        "/api/invoices/mark_paid",
        &[("id", &id)],
        Some(&books.cookie),
    )
    .await;
    let db = app.db().await;
    let events = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Seq)
        .all(&db)
        .await
        .unwrap();
    let organization_id = events[0].organization_id;
    assert_eq!(events.len(), 5, "customer, tax rate, draft, issue, paid");
    let check = audit::verify(&db, organization_id).await.unwrap();
    assert_eq!(check.events, 5);
    assert_eq!(check.broken, None);
    let verified = json_of(
        app.call("/api/audit/verify", &[], Some(&books.cookie))
            .await,
    )
    .await;
    assert_eq!(verified["intact"], true);
    let cli = audit_verify_command(&app);
    assert!(cli.status.success(), "{cli:?}");
    assert!(String::from_utf8_lossy(&cli.stdout).contains("5 events, chain intact"));

    // Someone rewrites history directly in the database.
    audit_event::Entity::update_many()
        .col_expr(
            audit_event::Column::Summary,
            Expr::value("nothing happened"),
        )
        .filter(audit_event::Column::Seq.eq(3))
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .exec(&db)
        .await
        .unwrap();
    let check = audit::verify(&db, organization_id).await.unwrap();
    assert_eq!(check.broken.map(|(seq, _)| seq), Some(3));
    let cli = audit_verify_command(&app);
    assert_eq!(cli.status.code(), Some(1), "the command fails");
    let printed = String::from_utf8_lossy(&cli.stdout);
    assert!(
        printed.contains(&format!("BROKEN  {organization_id}"))
            && printed.contains("event 3: the event's content was changed"),
        "{printed}"
    );
    // The page's full check sees it; its usual check starts after event 5,
    // which the first check found intact (`audit_reads.rs`).
    let verified = json_of(
        app.call(
            "/api/audit/verify",
            &[("full", "true")],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    assert_eq!(verified["intact"], false);
    assert_eq!(verified["broken_at"], 3);

    // Deleting the newest event is caught by the chain's head.
    open_books(&app).await;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.ne(organization_id))
        .order_by_desc(audit_event::Column::Seq)
        .all(&db)
        .await
        .unwrap();
    let last = events.first().unwrap();
    audit_event::Entity::delete_by_id(last.id)
        .exec(&db)
        .await
        .unwrap();
    let check = audit::verify(&db, last.organization_id).await.unwrap();
    assert!(check.broken.is_some());
}

/// `ledgerlock audit verify` against the test's database.
fn audit_verify_command(app: &TestApp) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_ledgerlock"))
        .args(["audit", "verify"])
        .env("LEDGERLOCK_DATA_DIR", data.path())
        .env("LEDGERLOCK_DATABASE_URL", &app.database_url)
        .env_remove("LEDGERLOCK_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test]
async fn exports_stream_the_organizations_rows_only_and_defuse_formulas() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    issue(&app, &books.cookie, &id).await;
    app.call(
        "/api/invoices/mark_paid",
        &[("id", &id)],
        Some(&books.cookie),
    )
    .await;
    // Marking unpaid writes a reversal: a negative amount in the export.
    app.call(
        "/api/invoices/mark_unpaid",
        &[("id", &id)],
        Some(&books.cookie),
    )
    .await;
    // Names a spreadsheet would run as formulas, at the start of the cell or
    // wherever an import may split one (issue 12).
    for name in [
        "=HYPERLINK(\"http://evil\")",
        "=1+2",
        "ACME;=1+2",
        "-1+2",
        "@SUM(A1)",
    ] {
        let sneaky = app
            .call(
                "/api/customers/save",
                &[("name", name), ("currency", "EUR")],
                Some(&books.cookie),
            )
            .await;
        assert_eq!(sneaky.status(), 200, "{name}");
    }
    // Names refuse tabs and line breaks; addresses keep them.
    let tabbed = app
        .call(
            "/api/customers/save",
            &[
                ("name", "Tabbed Ltd"),
                ("address", "a\t=1+2\n-3+4"),
                ("currency", "EUR"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(tabbed.status(), 200);
    let stranger = open_books(&app).await;

    let invoices = app
        .get("/app/export/invoices.csv", Some(&books.cookie))
        .await;
    assert_eq!(invoices.status(), 200);
    assert!(
        invoices.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"ledgerlock-invoices-")
    );
    let text = invoices.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("number,kind,status")
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].starts_with("\"INV-2026-0001\",invoice,")
            && lines[1].contains(",\"Ωmega Trading GmbH\","),
        "{text}"
    );

    let payments = app
        .get("/app/export/payments.csv", Some(&books.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(payments.contains("\"INV-2026-0001\","), "{payments}");
    let reversal = payments
        .lines()
        .find(|line| line.contains(",-"))
        .expect("the reversal entry");
    let amount = reversal.split(',').nth(3).unwrap();
    assert!(
        amount.starts_with('-') && amount.parse::<f64>().is_ok(),
        "a negative amount stays a bare number: {reversal}"
    );
    let customers = app
        .get("/app/export/customers.csv", Some(&books.cookie))
        .await
        .text()
        .await
        .unwrap();
    for defused in [
        "\"'=HYPERLINK(\"\"http://evil\"\")\"",
        "\"'=1+2\"",
        "\"ACME;'=1+2\"",
        "\"a\t'=1+2\n'-3+4\"",
        "\"'-1+2\"",
        "\"'@SUM(A1)\"",
    ] {
        assert!(customers.contains(defused), "{defused} in {customers}");
    }

    let theirs = app
        .get("/app/export/invoices.csv", Some(&stranger.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        theirs.lines().count(),
        1,
        "another organization's export is empty: {theirs}"
    );
    assert_eq!(
        app.get("/app/export/invoices.csv", None).await.status(),
        303
    );
    assert_eq!(
        app.get("/app/export/secrets.csv", Some(&books.cookie))
            .await
            .status(),
        404
    );
    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.action)
        .collect();
    assert!(actions.contains(&"export.downloaded".to_owned()));

    // All the data at once needs a recent confirmation (step-up).
    edit_sessions(&app, |auth| auth.confirmed_at = 0).await;
    let stale = app
        .get("/app/export/customers.csv", Some(&books.cookie))
        .await;
    assert_eq!(stale.status(), 403);
    let check = app
        .call("/api/exports/check", &[], Some(&books.cookie))
        .await;
    assert_eq!(check.status(), 403);
    assert_eq!(json_of(check).await, json!("ConfirmationRequired"));
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let cookie = session_cookie(confirmed.headers()).unwrap();
    assert_eq!(
        app.call("/api/exports/check", &[], Some(&cookie))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get("/app/export/customers.csv", Some(&cookie))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_dashboard_sums_outstanding_overdue_paid_and_revenue() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let today = time::OffsetDateTime::now_utc().date();
    // Long overdue, and issued before the chart's twelve months (issued
    // first: numbers follow issue dates).
    let mut old = form(&books, two_lines(&books));
    old["issue_date"] = json!("2025-01-02");
    old["due_date"] = json!("2025-01-16");
    let late = json_of(save(&app, &books, None, &old).await).await;
    assert_eq!(
        issue(&app, &books.cookie, late.as_str().unwrap())
            .await
            .status(),
        200
    );
    // Two on different days of the month three months back: the chart
    // adds a month's days up.
    let month_start = |back: u8| {
        let (mut year, mut month) = (today.year(), u8::from(today.month()));
        for _ in 0..back {
            (year, month) = if month == 1 {
                (year - 1, 12)
            } else {
                (year, month - 1)
            };
        }
        time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), 1).unwrap()
    };
    let earlier = month_start(3);
    for day in [earlier, earlier.replace_day(15).unwrap()] {
        let mut body = form(&books, two_lines(&books));
        body["issue_date"] = json!(day.to_string());
        body["due_date"] = json!((today + time::Duration::days(30)).to_string());
        let id = json_of(save(&app, &books, None, &body).await).await;
        assert_eq!(
            issue(&app, &books.cookie, id.as_str().unwrap())
                .await
                .status(),
            200
        );
    }
    let mut body = form(&books, two_lines(&books));
    body["issue_date"] = json!(today.to_string());
    body["due_date"] = json!(today.to_string());
    let current = json_of(save(&app, &books, None, &body).await).await;
    let current = current.as_str().unwrap();
    assert_eq!(issue(&app, &books.cookie, current).await.status(), 200);
    app.call(
        "/api/invoices/record_payment",
        &[
            ("id", current),
            ("paid_on", &today.to_string()),
            ("amount", "5.20"),
        ],
        Some(&books.cookie),
    )
    .await;

    let summary = json_of(
        app.call("/api/dashboard/summary", &[], Some(&books.cookie))
            .await,
    )
    .await;
    let money = &summary["money"][0];
    assert_eq!(money["currency"], "EUR");
    assert_eq!(money["outstanding"], "39.60", "6.00 + 11.20 + 2 x 11.20");
    assert_eq!(money["overdue"], "11.20");
    assert_eq!(money["paid_this_month"], "5.20");
    let months = money["revenue_by_month"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(
        months[11][0],
        format!("{}-{:02}", today.year(), u8::from(today.month()))
    );
    assert_eq!(months[11][1], "11.20", "this month's invoice");
    assert_eq!(
        months[8][0],
        format!("{}-{:02}", earlier.year(), u8::from(earlier.month()))
    );
    assert_eq!(months[8][1], "22.40", "two days of one month");
    assert!(
        months[..8]
            .iter()
            .chain(&months[9..11])
            .all(|month| month[1] == "0" || month[1] == "0.00"),
        "{months:?}"
    );
}

#[tokio::test]
async fn a_long_unicode_invoice_prints_as_a_multi_page_pdf_download() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let long = "Ανάλυση απαιτήσεων και σχεδιασμός — Анализ требований и проектирование — \
                Requirements analysis and design, with a very long description that wraps. "
        .repeat(3);
    let lines: Vec<Value> = (0..200)
        .map(|n| json!({ "description": format!("{n}: {long}"), "quantity": "1.5", "unit_price": "12.34", "tax_rate_id": books.vat }))
        .collect();
    let id = json_of(save(&app, &books, None, &form(&books, json!(lines))).await).await;
    let id = id.as_str().unwrap();
    issue(&app, &books.cookie, id).await;

    let pdf = app
        .get(&format!("/app/invoices/{id}/pdf"), Some(&books.cookie))
        .await;
    assert_eq!(
        pdf.status(),
        200,
        "{}",
        pdf.text()
            .await
            .unwrap()
            .chars()
            .take(300)
            .collect::<String>()
    );
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert_eq!(
        pdf.headers()["content-disposition"],
        "attachment; filename=\"INV-2026-0001.pdf\""
    );
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/FontFile2"), "the font is embedded");
    let count: usize = text
        .split("/Count ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .expect("a page count");
    assert!(count >= 40, "200 long lines wrap onto many pages: {count}");

    let stranger = open_books(&app).await;
    assert_eq!(
        app.get(&format!("/app/invoices/{id}/pdf"), Some(&stranger.cookie))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get(&format!("/app/invoices/{id}/pdf"), None)
            .await
            .status(),
        303
    );
    assert_eq!(
        app.get("/app/invoices/not-an-id/pdf", Some(&books.cookie))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn an_owner_sets_the_number_format_and_a_repeat_is_refused_cleanly() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let save_format = |format: &'static str, yearly: &'static str| {
        let cookie = books.cookie.clone();
        let app = &app;
        async move {
            app.call(
                "/api/organization/save_billing",
                &[
                    ("address", "1 Rue de la Paix\nParis"),
                    ("tax_id", "FR123"),
                    ("invoice_number_format", format),
                    ("invoice_number_yearly", yearly),
                    ("credit_note_number_format", "CN-{0000}"),
                ],
                Some(&cookie),
            )
            .await
        }
    };
    let bad = save_format("INV-{XX}", "true").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        json_of(bad).await["Invalid"]["field"],
        "invoice_number_format"
    );
    assert_eq!(save_format("F{YY}{MM}-{000}", "true").await.status(), 200);
    let first = draft(&app, &books).await;
    assert_eq!(
        json_of(issue(&app, &books.cookie, &first).await).await,
        "F2611-001"
    );
    let printed = app
        .get(&format!("/app/invoices/{first}/pdf"), Some(&books.cookie))
        .await;
    assert_eq!(
        printed.headers()["content-disposition"],
        "attachment; filename=\"F2611-001.pdf\""
    );

    // A format whose counter restarts can repeat a number: refused, not a crash.
    assert_eq!(save_format("F2611-{000}", "false").await.status(), 200);
    let second = draft(&app, &books).await;
    let repeated = issue(&app, &books.cookie, &second).await;
    assert_eq!(repeated.status(), 409);
    assert_eq!(get(&app, &books.cookie, &second).await["status"], "Draft");
    assert_eq!(save_format("G-{0000}", "false").await.status(), 200);
    assert_eq!(
        json_of(issue(&app, &books.cookie, &second).await).await,
        "G-0001",
        "the refused attempt drew no number: the series stays gapless"
    );
}

#[tokio::test]
async fn demo_data_fills_an_organization_with_sealed_numbered_invoices() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    demo_data(&app, &email, 20, 120);
    let page = json_of(
        app.call_json(
            "/api/invoices/list",
            &json!({ "filter": {} }),
            Some(&cookie),
        )
        .await,
    )
    .await;
    assert_eq!(page["rows"].as_array().unwrap().len(), 50);
    let totals = json_of(
        app.call_json(
            "/api/invoices/status_totals",
            &json!({ "filter": {} }),
            Some(&cookie),
        )
        .await,
    )
    .await;
    let total: u64 = totals
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 120);
    // Keyset pages visit every invoice once, in order, both ways (many share
    // an issue date: the id breaks the ties).
    for oldest_first in [false, true] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = json_of(
                app.call_json(
                    "/api/invoices/list",
                    &json!({ "filter": { "oldest_first": oldest_first, "after": after } }),
                    Some(&cookie),
                )
                .await,
            )
            .await;
            for row in page["rows"].as_array().unwrap() {
                seen.push((
                    row["issue_date"].as_str().unwrap().to_owned(),
                    row["id"].as_str().unwrap().to_owned(),
                ));
            }
            match page["next_after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        if !oldest_first {
            sorted.reverse();
        }
        sorted.dedup();
        assert_eq!(seen.len(), 120);
        assert_eq!(
            seen, sorted,
            "ordered, no repeats (oldest first: {oldest_first})"
        );
    }
    let newest = page["rows"][0]["id"].as_str().unwrap();
    assert_eq!(get(&app, &cookie, newest).await["seal_intact"], true);
    // New invoices continue the generated series.
    let customers = json_of(app.call("/api/customers/list", &[], Some(&cookie)).await).await;
    let books = Books {
        cookie: cookie.clone(),
        customer: customers["rows"][0]["id"].as_str().unwrap().to_owned(),
        vat: json_of(app.call("/api/tax_rates/list", &[], Some(&cookie)).await).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let mut body = form(&books, two_lines(&books));
    let today = time::OffsetDateTime::now_utc().date();
    body["issue_date"] = json!(today.to_string());
    body["due_date"] = json!(today.to_string());
    let id = json_of(save(&app, &books, None, &body).await).await;
    let number = json_of(issue(&app, &cookie, id.as_str().unwrap()).await).await;
    let newest_number = page["rows"][0]["number"].as_str().unwrap();
    let this_year = format!("INV-{}-", today.year());
    let next = match newest_number.strip_prefix(&this_year) {
        Some(counter) => counter.parse::<u64>().unwrap() + 1,
        None => 1, // the newest generated invoice is from last year
    };
    assert_eq!(
        number,
        format!("{this_year}{next:06}"),
        "after {newest_number}"
    );
}
