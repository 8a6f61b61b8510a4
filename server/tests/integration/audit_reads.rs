//! Issue 16: reads cannot grow the audit chain without bound, and the
//! audit page checks the chain from where its last check ended.

use crate::helpers::{TestApp, add_member, unique_email};
use crate::invoicing::{add_customer, books_for, draft, form, issue, json_of, save, two_lines};
use ledgerlock_app::ssr::entities::{audit_event, billing_settings};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

async fn count(app: &TestApp, organization_id: Uuid, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.db().await)
        .await
        .unwrap()
}

async fn organization_of(app: &TestApp, document: &str) -> Uuid {
    audit_event::Entity::find()
        .filter(audit_event::Column::ObjectId.eq(document.parse::<Uuid>().unwrap()))
        .one(&app.db().await)
        .await
        .unwrap()
        .unwrap()
        .organization_id
}

#[tokio::test]
async fn a_download_or_export_is_recorded_once_per_user_document_and_hour() {
    let start = time::OffsetDateTime::now_utc();
    let app = TestApp::spawn_at(start).await;
    let owner_email = unique_email();
    let cookie = app.sign_up(&owner_email).await;
    let books = books_for(&app, cookie).await;
    let first = draft(&app, &books).await;
    issue(&app, &books.cookie, &first).await;
    let second = draft(&app, &books).await;
    issue(&app, &books.cookie, &second).await;
    let organization_id = organization_of(&app, &first).await;

    // The same download twenty times at once: one event.
    let first_pdf = format!("/app/invoices/{first}/pdf");
    let downloads = (0..20).map(|_| app.get(&first_pdf, Some(&books.cookie)));
    for response in futures::future::join_all(downloads).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 1);

    // Another document, and another person: one event each.
    let pdf = app
        .get(&format!("/app/invoices/{second}/pdf"), Some(&books.cookie))
        .await;
    assert_eq!(pdf.status(), 200);
    let (_, member) = add_member(&app, &owner_email).await;
    for _ in 0..3 {
        let pdf = app
            .get(&format!("/app/invoices/{first}/pdf"), Some(&member))
            .await;
        assert_eq!(pdf.status(), 200);
    }
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 3);

    // Exports: one event per kind of file and hour.
    for file in ["invoices", "invoices", "payments", "invoices"] {
        let csv = app
            .get(&format!("/app/export/{file}.csv"), Some(&books.cookie))
            .await;
        assert_eq!(csv.status(), 200, "{file}");
    }
    assert_eq!(count(&app, organization_id, "export.downloaded").await, 2);

    // An hour later the same reads are recorded again, once.
    app.clock.set(start + time::Duration::minutes(61));
    for _ in 0..3 {
        app.get(&format!("/app/invoices/{first}/pdf"), Some(&books.cookie))
            .await;
        app.get("/app/export/invoices.csv", Some(&books.cookie))
            .await;
    }
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 4);
    assert_eq!(count(&app, organization_id, "export.downloaded").await, 3);

    let check = json_of(
        app.call(
            "/api/audit/verify",
            &[("full", "true")],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    assert_eq!(check["intact"], true, "{check}");
}

async fn verify(app: &TestApp, cookie: &str, full: bool) -> serde_json::Value {
    let full = if full { "true" } else { "false" };
    json_of(
        app.call("/api/audit/verify", &[("full", full)], Some(cookie))
            .await,
    )
    .await
}

#[tokio::test]
async fn the_audit_page_checks_from_its_last_check_and_the_full_check_walks_everything() {
    let app = TestApp::spawn().await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let id = draft(&app, &books).await;
    issue(&app, &books.cookie, &id).await;
    let organization_id = organization_of(&app, &id).await;
    let db = app.db().await;

    // Customer, tax rate, draft, issue: the first check reads all four.
    let first = verify(&app, &books.cookie, false).await;
    assert_eq!(first["intact"], true, "{first}");
    assert_eq!(first["events"], 4);
    assert_eq!(first["checked_from"], 1);
    let settings = billing_settings::Entity::find_by_id(organization_id)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    // Sealed: neither the number nor the hash is readable or writable
    // without the key file.
    assert!(settings.audit_checkpoint.starts_with("v1:"));
    assert!(!settings.audit_checkpoint.contains(&settings.audit_head));

    // Nothing new: nothing read; one new event: only it is read.
    let again = verify(&app, &books.cookie, false).await;
    assert_eq!(
        (again["events"].as_u64(), again["checked_from"].as_i64()),
        (Some(4), Some(5))
    );
    app.call(
        "/api/invoices/mark_paid",
        &[("id", &id)],
        Some(&books.cookie),
    )
    .await;
    let next = verify(&app, &books.cookie, false).await;
    assert_eq!(next["intact"], true, "{next}");
    assert_eq!(
        (next["events"].as_u64(), next["checked_from"].as_i64()),
        (Some(5), Some(5))
    );

    // Checks and writes at once: no check sees a broken chain, and the
    // checkpoint only moves forward.
    let mut writes = Vec::new();
    for _ in 0..4 {
        writes.push(draft(&app, &books));
    }
    let checks = (0..8).map(|_| verify(&app, &books.cookie, false));
    let (_, checks) = futures::future::join(
        futures::future::join_all(writes),
        futures::future::join_all(checks),
    )
    .await;
    for check in checks {
        assert_eq!(check["intact"], true, "{check}");
    }
    let settled = verify(&app, &books.cookie, false).await;
    assert_eq!(settled["intact"], true);
    assert_eq!(settled["events"], 9);

    // An edit before the checkpoint: only the full check sees it (the page
    // offers it; `ledgerlock audit verify` always walks everything).
    let edit = |seq: i64, summary: &'static str| {
        audit_event::Entity::update_many()
            .col_expr(audit_event::Column::Summary, Expr::value(summary))
            .filter(audit_event::Column::OrganizationId.eq(organization_id))
            .filter(audit_event::Column::Seq.eq(seq))
            .exec(&db)
    };
    edit(2, "nothing happened").await.unwrap();
    assert_eq!(verify(&app, &books.cookie, false).await["intact"], true);
    let full = verify(&app, &books.cookie, true).await;
    assert_eq!(
        (full["intact"].as_bool(), full["broken_at"].as_i64()),
        (Some(false), Some(2))
    );
    assert_eq!(full["checked_from"], 1);

    // The checkpoint's own event changed: the next check says so.
    edit(9, "quietly edited").await.unwrap();
    let anchor = verify(&app, &books.cookie, false).await;
    assert_eq!(
        (anchor["intact"].as_bool(), anchor["broken_at"].as_i64()),
        (Some(false), Some(9)),
        "{anchor}"
    );

    // An event slipped in after the head is an insertion, not a new event.
    let other = books_for(&app, app.sign_up(&unique_email()).await).await;
    let other_id = draft(&app, &other).await;
    let other_org = organization_of(&app, &other_id).await;
    assert_eq!(verify(&app, &other.cookie, false).await["intact"], true);
    let mut forged = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(other_org))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    forged.id = Uuid::new_v4();
    forged.seq = 100;
    audit_event::Entity::insert(audit_event::ActiveModel::from(forged))
        .exec(&db)
        .await
        .unwrap();
    let inserted = verify(&app, &other.cookie, false).await;
    assert_eq!(inserted["intact"], false, "{inserted}");
    assert_eq!(
        inserted["reason"],
        "an event was added after the end of the chain"
    );
}

#[tokio::test]
async fn a_forged_checkpoint_or_an_event_numbered_before_the_start_is_caught() {
    let app = TestApp::spawn().await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let id = draft(&app, &books).await;
    let organization_id = organization_of(&app, &id).await;
    let other = books_for(&app, app.sign_up(&unique_email()).await).await;
    let other_id = draft(&app, &other).await;
    let other_org = organization_of(&app, &other_id).await;
    let db = app.db().await;
    let checkpoint = |organization: Uuid| {
        let db = db.clone();
        async move {
            billing_settings::Entity::find_by_id(organization)
                .one(&db)
                .await
                .unwrap()
                .unwrap()
                .audit_checkpoint
        }
    };
    let set_checkpoint = |organization: Uuid, value: String| {
        billing_settings::Entity::update_many()
            .col_expr(
                billing_settings::Column::AuditCheckpoint,
                Expr::value(value),
            )
            .filter(billing_settings::Column::OrganizationId.eq(organization))
            .exec(&db)
    };
    assert_eq!(verify(&app, &books.cookie, false).await["intact"], true);
    for _ in 0..3 {
        draft(&app, &books).await;
    }
    // 3 events since the honest checkpoint at 3; the newest is edited, and
    // the checkpoint moved past it: to another organization's (sealed for
    // that organization) and to text made up by hand. Each is ignored: the
    // whole chain is walked and the edit found.
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Summary, Expr::value("quietly edited"))
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::Seq.eq(6))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(verify(&app, &other.cookie, false).await["intact"], true);
    for forged in [
        checkpoint(other_org).await,
        "6:0000000000000000000000000000000000000000000000000000000000000000".to_owned(),
        "v1:k1:AAAA:BBBB".to_owned(),
    ] {
        set_checkpoint(organization_id, forged).await.unwrap();
        let check = verify(&app, &books.cookie, false).await;
        assert_eq!(
            (
                check["intact"].as_bool(),
                check["broken_at"].as_i64(),
                check["checked_from"].as_i64()
            ),
            (Some(false), Some(6), Some(1)),
            "{check}"
        );
    }

    // A row numbered 0 or below would never be walked, yet the log would
    // list it: both checks refuse the chain.
    let mut planted = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(other_org))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    planted.id = Uuid::new_v4();
    planted.seq = 0;
    planted.summary = "voided by the owner: fraud".into();
    audit_event::Entity::insert(audit_event::ActiveModel::from(planted))
        .exec(&db)
        .await
        .unwrap();
    for full in [false, true] {
        let check = verify(&app, &other.cookie, full).await;
        assert_eq!(check["intact"], false, "{check}");
        assert_eq!(
            check["reason"],
            "an event is numbered before the chain's start"
        );
    }
}

#[tokio::test]
async fn a_draft_downloaded_again_for_another_customer_or_changed_is_recorded_again() {
    let app = TestApp::spawn().await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let id = draft(&app, &books).await;
    let organization_id = organization_of(&app, &id).await;
    let pdf = format!("/app/invoices/{id}/pdf");
    assert_eq!(app.get(&pdf, Some(&books.cookie)).await.status(), 200);
    assert_eq!(app.get(&pdf, Some(&books.cookie)).await.status(), 200);
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 1);

    // The same draft, now for another customer with other lines.
    let beta = add_customer(&app, &books.cookie, "Beta Ltd", "EUR").await;
    let mut changed = form(&books, two_lines(&books));
    changed["customer_id"] = beta.clone().into();
    assert_eq!(save(&app, &books, Some(&id), &changed).await.status(), 200);
    assert_eq!(app.get(&pdf, Some(&books.cookie)).await.status(), 200);
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 2);
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::Action.eq("document.downloaded"))
        .all(&app.db().await)
        .await
        .unwrap();
    let beta: Uuid = beta.parse().unwrap();
    assert!(events.iter().any(|event| event.customer_id == Some(beta)));

    // Changed content for the same customer is another version too.
    changed["notes"] = "Second version".into();
    assert_eq!(save(&app, &books, Some(&id), &changed).await.status(), 200);
    assert_eq!(app.get(&pdf, Some(&books.cookie)).await.status(), 200);
    assert_eq!(count(&app, organization_id, "document.downloaded").await, 3);
}

/// Browsers ask for gzip: an export must then arrive whole (the stream was
/// polled past its end by the compression layer, panicked, and the
/// download was cut off).
#[tokio::test]
async fn an_export_arrives_whole_when_the_browser_asks_for_gzip() {
    let app = TestApp::spawn().await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let id = draft(&app, &books).await;
    issue(&app, &books.cookie, &id).await;
    for file in ["invoices", "payments", "customers"] {
        let response = app
            .client
            .get(app.url(&format!("/app/export/{file}.csv")))
            .header("cookie", &books.cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let body = response.bytes().await.expect("the whole body arrives");
        let mut gunzip = std::process::Command::new("gzip")
            .arg("-dc")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        gunzip.stdin.take().unwrap().write_all(&body).unwrap();
        let csv = gunzip.wait_with_output().unwrap();
        assert!(csv.status.success(), "{file}: not a whole gzip stream");
        let text = String::from_utf8(csv.stdout).unwrap();
        assert!(text.starts_with('\u{feff}'), "{file}: {text}");
        if file == "invoices" {
            assert!(text.contains("INV-2026-0001"), "{text}");
        }
    }
    assert!(
        !crate::helpers::captured_logs().contains("Unfold must not be polled"),
        "no request panicked"
    );
}
