//! Issue 16: reads cannot grow the audit chain without bound, and the
//! audit page checks the chain from where its last check ended.

use crate::helpers::{TestApp, add_member, unique_email};
use crate::invoicing::{books_for, draft, issue, json_of};
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
    assert_eq!(settings.audit_verified_seq, 4);
    assert_eq!(settings.audit_verified_hash, settings.audit_head);

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
