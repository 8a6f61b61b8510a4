//! EN 16931 tax rounding (BR-CO-17) as the default for new organizations,
//! per-line rounding as a setting, and each document keeping its method.

use super::{detail, issued_number};
use crate::helpers::TestApp;
use crate::invoicing::{json_of, open_books, save};
use ledgerlock_app::ssr::entities::invoice;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// Three lines at 20 %: 299.33, 179.33 and 99.34 (the example of issue 13).
async fn three_lines_at_20(app: &TestApp, books: &crate::invoicing::Books) -> String {
    let twenty = json_of(
        app.call(
            "/api/tax_rates/create",
            &[("name", "VAT"), ("percent", "20")],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let line = |price: &str| json!({ "description": "Desk", "quantity": "1", "unit_price": price, "tax_rate_id": twenty });
    let form = json!({
        "customer_id": books.customer,
        "currency": "EUR",
        "issue_date": "",
        "due_date": "",
        "price_mode": "Exclusive",
        "lines": [line("299.33"), line("179.33"), line("99.34")],
    });
    let saved = save(app, books, None, &form).await;
    assert_eq!(saved.status(), 200);
    json_of(saved).await.as_str().unwrap().to_owned()
}

async fn set_rounding(app: &TestApp, cookie: &str, method: &str) {
    let current = json_of(
        app.call("/api/organization/billing", &[], Some(cookie))
            .await,
    )
    .await;
    // Everything else as it is (an unchecked box posts nothing).
    let mut form = vec![
        (
            "invoice_number_format",
            current["invoice_number_format"].as_str().unwrap(),
        ),
        (
            "credit_note_number_format",
            current["credit_note_number_format"].as_str().unwrap(),
        ),
        ("tax_rounding", method),
    ];
    for yearly in ["invoice_number_yearly", "credit_note_number_yearly"] {
        if current[yearly] == true {
            form.push((yearly, "true"));
        }
    }
    let saved = app
        .call("/api/organization/save_billing", &form, Some(cookie))
        .await;
    assert_eq!(saved.status(), 200);
}

#[tokio::test]
async fn new_organizations_round_each_rate_once_and_documents_keep_their_method() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let billing = json_of(
        app.call("/api/organization/billing", &[], Some(&books.cookie))
            .await,
    )
    .await;
    assert_eq!(billing["tax_rounding"], "PerRate", "EN 16931 by default");

    let per_rate = three_lines_at_20(&app, &books).await;
    let shown = detail(&app, &books, &per_rate).await;
    assert_eq!(
        (shown["tax"].as_str(), shown["total"].as_str()),
        (Some("115.60"), Some("693.60"))
    );
    assert_eq!(shown["taxes"][0]["tax"], "115.60");
    assert_eq!(shown["tax_rounding"], "PerRate");
    issued_number(&app, &books, &per_rate).await;

    set_rounding(&app, &books.cookie, "per_line").await;
    let per_line = three_lines_at_20(&app, &books).await;
    let shown = detail(&app, &books, &per_line).await;
    assert_eq!(
        (shown["tax"].as_str(), shown["total"].as_str()),
        (Some("115.61"), Some("693.61"))
    );
    issued_number(&app, &books, &per_line).await;

    // The first keeps the method it was issued with, and its seal covers it.
    let shown = detail(&app, &books, &per_rate).await;
    assert_eq!(shown["total"], "693.60");
    assert_eq!(shown["tax_rounding"], "PerRate");
    assert_eq!(shown["seal_intact"], true);
    assert_eq!(detail(&app, &books, &per_line).await["seal_intact"], true);
    let db = app.db().await;
    invoice::Entity::update_many()
        .col_expr(invoice::Column::TaxRounding, Expr::value("per_line"))
        .filter(invoice::Column::Id.eq(per_rate.parse::<uuid::Uuid>().unwrap()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        detail(&app, &books, &per_rate).await["seal_intact"],
        false,
        "changing a sealed document's method breaks its seal"
    );

    let refused = app
        .call(
            "/api/organization/save_billing",
            &[
                ("invoice_number_format", "INV-{YYYY}-{0000}"),
                ("credit_note_number_format", "CN-{YYYY}-{0000}"),
                ("tax_rounding", "per_invoice"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(json_of(refused).await.to_string().contains("tax_rounding"));
}

#[tokio::test]
async fn a_credit_note_rounds_as_its_invoice_did() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let invoice_id = three_lines_at_20(&app, &books).await;
    issued_number(&app, &books, &invoice_id).await;
    set_rounding(&app, &books.cookie, "per_line").await;
    let note = json_of(
        app.call(
            "/api/invoices/credit_note",
            &[("id", &invoice_id)],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let note = note.as_str().unwrap().to_owned();
    let shown = detail(&app, &books, &note).await;
    assert_eq!(shown["tax_rounding"], "PerRate");
    assert_eq!(shown["total"], "693.60");
    issued_number(&app, &books, &note).await;
    let invoice = detail(&app, &books, &invoice_id).await;
    assert_eq!(invoice["balance"], "0.00", "credited in full, to the cent");
}
