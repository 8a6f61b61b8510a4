//! Issue 5: the invoice lifecycle through HTTP against a real database,
//! sealed content, gapless numbers under concurrency, payments, credit
//! notes, and other organizations' ids.

use crate::helpers::{TestApp, unique_email};
use ledgerlock_app::ssr::entities::{invoice, invoice_line};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

pub(crate) async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
}

/// A signed-in owner with a customer (EUR) and a 19 % tax rate.
pub(crate) struct Books {
    pub(crate) cookie: String,
    pub(crate) customer: String,
    pub(crate) vat: String,
}

pub(crate) async fn open_books(app: &TestApp) -> Books {
    let cookie = app.sign_up(&unique_email()).await;
    books_for(app, cookie).await
}

/// A customer (EUR) and a 19 % tax rate, made by the signed-in `cookie`.
pub(crate) async fn books_for(app: &TestApp, cookie: String) -> Books {
    let customer = app
        .call(
            "/api/customers/save",
            &[
                ("name", "Ωmega Trading GmbH"),
                ("emails", "ap@omega.example"),
                ("currency", "EUR"),
                ("payment_terms_days", "14"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(customer.status(), 200);
    let customer = json_of(customer).await.as_str().unwrap().to_owned();
    let vat = app
        .call(
            "/api/tax_rates/create",
            &[("name", "VAT"), ("percent", "19")],
            Some(&cookie),
        )
        .await;
    assert_eq!(vat.status(), 200);
    let vat = json_of(vat).await.as_str().unwrap().to_owned();
    Books {
        cookie,
        customer,
        vat,
    }
}

/// Another customer of the signed-in `cookie`'s organization; answers its id.
pub(crate) async fn add_customer(
    app: &TestApp,
    cookie: &str,
    name: &str,
    currency: &str,
) -> String {
    let saved = app
        .call(
            "/api/customers/save",
            &[("name", name), ("currency", currency)],
            Some(cookie),
        )
        .await;
    json_of(saved).await.as_str().unwrap().to_owned()
}

pub(crate) fn form(books: &Books, lines: Value) -> Value {
    json!({
        "customer_id": books.customer,
        "currency": "EUR",
        "issue_date": "2026-11-02",
        "due_date": "2026-11-16",
        "price_mode": "Exclusive",
        "discount_percent": "",
        "notes": "Thank you",
        "terms": "14 days",
        "lines": lines,
    })
}

pub(crate) fn two_lines(books: &Books) -> Value {
    json!([
        { "description": "Consulting", "quantity": "3", "unit_price": "0.335", "tax_rate_id": books.vat },
        { "description": "Travel", "quantity": "1", "unit_price": "10", "discount_percent": "" },
    ])
}

pub(crate) async fn save(
    app: &TestApp,
    books: &Books,
    id: Option<&str>,
    form: &Value,
) -> reqwest::Response {
    app.call_json(
        "/api/invoices/save_draft",
        &json!({ "id": id, "form": form }),
        Some(&books.cookie),
    )
    .await
}

pub(crate) async fn draft(app: &TestApp, books: &Books) -> String {
    let saved = save(app, books, None, &form(books, two_lines(books))).await;
    assert_eq!(saved.status(), 200);
    json_of(saved).await.as_str().unwrap().to_owned()
}

pub(crate) async fn get(app: &TestApp, cookie: &str, id: &str) -> Value {
    json_of(
        app.call("/api/invoices/get", &[("id", id)], Some(cookie))
            .await,
    )
    .await
}

pub(crate) async fn issue(app: &TestApp, cookie: &str, id: &str) -> reqwest::Response {
    app.call("/api/invoices/issue", &[("id", id)], Some(cookie))
        .await
}

#[tokio::test]
async fn an_invoice_goes_from_draft_to_paid() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["status"], "Draft");
    assert_eq!(detail["number"], Value::Null, "a draft has no number");
    // 3 × 0.335 = 1.005 → 1.01 net, 0.19 tax; + 10.00 travel.
    assert_eq!(detail["net"], "11.01");
    assert_eq!(detail["tax"], "0.19");
    assert_eq!(detail["total"], "11.20");
    assert_eq!(detail["taxes"][0]["tax"], "0.19");

    let number = json_of(issue(&app, &books.cookie, &id).await).await;
    assert_eq!(number, "INV-2026-0001");
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["status"], "Overdue", "due 2026-11-16, before today");
    assert_eq!(detail["seal_intact"], true);
    assert_eq!(detail["seal_hash"].as_str().unwrap().len(), 64);

    let partial = app
        .call(
            "/api/invoices/record_payment",
            &[
                ("id", &id),
                ("paid_on", "2026-11-20"),
                ("amount", "5.20"),
                ("method", "Bank transfer"),
            ],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(partial.status(), 200);
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["balance"], "6.00");
    let over = app
        .call(
            "/api/invoices/record_payment",
            &[("id", &id), ("paid_on", "2026-11-20"), ("amount", "6.01")],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(over.status(), 422, "over-payment refused");
    assert!(json_of(over).await.to_string().contains("amount"));

    assert_eq!(
        app.call(
            "/api/invoices/mark_paid",
            &[("id", &id)],
            Some(&books.cookie)
        )
        .await
        .status(),
        200
    );
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["status"], "Paid");
    assert_eq!(detail["balance"], "0.00");

    assert_eq!(
        app.call(
            "/api/invoices/mark_unpaid",
            &[("id", &id)],
            Some(&books.cookie)
        )
        .await
        .status(),
        200
    );
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["paid"], "0.00");
    let payments = detail["payments"].as_array().unwrap();
    assert_eq!(
        payments.len(),
        4,
        "two payments and their reversals: history is kept"
    );
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "invoice.created",
            "invoice.issued",
            "payment.recorded",
            "invoice.marked_paid",
            "invoice.marked_unpaid"
        ]
    );

    // The list finds it by number and by customer, with its status.
    for query in ["INV-2026", "ωmega"] {
        let page = json_of(
            app.call_json(
                "/api/invoices/list",
                &json!({ "filter": { "query": query } }),
                Some(&books.cookie),
            )
            .await,
        )
        .await;
        assert_eq!(
            page["rows"][0]["number"], "INV-2026-0001",
            "{query}: {page}"
        );
    }
    let overdue = json_of(
        app.call_json(
            "/api/invoices/list",
            &json!({ "filter": { "status": "Overdue" } }),
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    assert_eq!(overdue["rows"].as_array().unwrap().len(), 1);
    let paid = json_of(
        app.call_json(
            "/api/invoices/list",
            &json!({ "filter": { "status": "Paid" } }),
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    assert_eq!(paid["rows"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_drafts_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let cases = [
        (json!({ "due_date": "2026-11-01" }), "due_date"),
        (json!({ "lines": [] }), "lines"),
        (json!({ "currency": "USD" }), "currency"),
        (json!({ "issue_date": "2 November" }), "issue_date"),
        (
            json!({ "lines": [{ "description": "Refund", "quantity": "-1", "unit_price": "5" }] }),
            "lines[0].quantity",
        ),
        (
            json!({ "lines": [{ "description": "", "quantity": "1", "unit_price": "5" }] }),
            "lines[0].description",
        ),
        (
            json!({ "lines": [{ "description": "X", "quantity": "1", "unit_price": "5", "tax_rate_id": uuid::Uuid::new_v4() }] }),
            "lines[0].tax_rate_id",
        ),
        (
            json!({ "customer_id": uuid::Uuid::new_v4() }),
            "customer_id",
        ),
    ];
    for (patch, field) in cases {
        let mut body = form(&books, two_lines(&books));
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        let refused = save(&app, &books, None, &body).await;
        assert_eq!(refused.status(), 422, "{field}");
        assert_eq!(json_of(refused).await["Invalid"]["field"], field);
    }
    let count = invoice::Entity::find()
        .all(&app.db().await)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 0, "nothing was written");
}

#[tokio::test]
async fn a_sealed_invoice_cannot_change_through_any_endpoint() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    assert_eq!(issue(&app, &books.cookie, &id).await.status(), 200);
    let edited = save(&app, &books, Some(&id), &form(&books, two_lines(&books))).await;
    assert_eq!(edited.status(), 409);
    assert_eq!(
        app.call(
            "/api/invoices/delete_draft",
            &[("id", &id)],
            Some(&books.cookie)
        )
        .await
        .status(),
        409
    );
    assert_eq!(
        issue(&app, &books.cookie, &id).await.status(),
        409,
        "issued once"
    );

    // A change made behind the application's back shows.
    let db = app.db().await;
    invoice_line::Entity::update_many()
        .col_expr(
            invoice_line::Column::Description,
            Expr::value("Something else"),
        )
        .filter(invoice_line::Column::InvoiceId.eq(uuid::Uuid::parse_str(&id).unwrap()))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(get(&app, &books.cookie, &id).await["seal_intact"], false);
}

#[tokio::test]
async fn voiding_keeps_the_number_and_needs_a_reason() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    assert_eq!(
        app.call(
            "/api/invoices/void",
            &[("id", &id), ("reason", "x")],
            Some(&books.cookie)
        )
        .await
        .status(),
        409,
        "drafts are deleted"
    );
    issue(&app, &books.cookie, &id).await;
    let no_reason = app
        .call(
            "/api/invoices/void",
            &[("id", &id), ("reason", "  ")],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(no_reason.status(), 422);
    assert_eq!(
        app.call(
            "/api/invoices/void",
            &[("id", &id), ("reason", "Sent to the wrong customer")],
            Some(&books.cookie)
        )
        .await
        .status(),
        200
    );
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["status"], "Void");
    assert_eq!(detail["number"], "INV-2026-0001");
    // The next invoice does not reuse the number.
    let next = draft(&app, &books).await;
    assert_eq!(
        json_of(issue(&app, &books.cookie, &next).await).await,
        "INV-2026-0002"
    );
}

#[tokio::test]
async fn a_credit_note_has_its_own_series_and_reduces_the_balance() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let id = draft(&app, &books).await;
    issue(&app, &books.cookie, &id).await;
    let credit = app
        .call(
            "/api/invoices/credit_note",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(credit.status(), 200);
    let credit_id = json_of(credit).await.as_str().unwrap().to_owned();
    // Credit only the travel line.
    let mut body = form(
        &books,
        json!([{ "description": "Travel (refunded)", "quantity": "1", "unit_price": "10" }]),
    );
    body["issue_date"] = json!("2026-11-20");
    body["due_date"] = json!("2026-11-20");
    assert_eq!(
        save(&app, &books, Some(&credit_id), &body).await.status(),
        200
    );
    assert_eq!(
        json_of(issue(&app, &books.cookie, &credit_id).await).await,
        "CN-2026-0001"
    );
    let detail = get(&app, &books.cookie, &id).await;
    assert_eq!(detail["credited"], "10.00");
    assert_eq!(detail["balance"], "1.20");
    assert_eq!(detail["credit_notes"][0]["number"], "CN-2026-0001");
    let note = get(&app, &books.cookie, &credit_id).await;
    assert_eq!(note["is_credit_note"], true);
    assert_eq!(note["seal_intact"], true);
    // A second full credit would exceed the balance.
    let again = json_of(
        app.call(
            "/api/invoices/credit_note",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let refused = issue(&app, &books.cookie, again.as_str().unwrap()).await;
    assert_eq!(refused.status(), 409);
}

#[tokio::test]
async fn fifty_concurrent_issues_get_fifty_consecutive_numbers() {
    let app = TestApp::spawn().await;
    let books = open_books(&app).await;
    let mut drafts = Vec::new();
    for _ in 0..50 {
        drafts.push(draft(&app, &books).await);
    }
    // All at once, each on its own connection, as 50 browsers would.
    let mut set = tokio::task::JoinSet::new();
    for id in drafts {
        let request = app
            .client
            .post(app.url("/api/invoices/issue"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("cookie", books.cookie.clone())
            .body(format!("id={id}"));
        set.spawn(async move { request.send().await.unwrap() });
    }
    let mut numbers = Vec::new();
    for response in set.join_all().await {
        assert_eq!(response.status(), 200);
        numbers.push(json_of(response).await.as_str().unwrap().to_owned());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=50).map(|n| format!("INV-2026-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn another_organizations_ids_do_not_exist() {
    let app = TestApp::spawn().await;
    let theirs = open_books(&app).await;
    let invoice_id = draft(&app, &theirs).await;
    issue(&app, &theirs.cookie, &invoice_id).await;
    let mine = open_books(&app).await;
    let id = invoice_id.as_str();
    for (endpoint, form) in [
        ("/api/invoices/get", vec![("id", id)]),
        ("/api/invoices/issue", vec![("id", id)]),
        ("/api/invoices/delete_draft", vec![("id", id)]),
        ("/api/invoices/mark_paid", vec![("id", id)]),
        ("/api/invoices/mark_unpaid", vec![("id", id)]),
        (
            "/api/invoices/void",
            vec![("id", id), ("reason", "mine now")],
        ),
        ("/api/invoices/credit_note", vec![("id", id)]),
        (
            "/api/invoices/record_payment",
            vec![("id", id), ("paid_on", "2026-11-20"), ("amount", "1")],
        ),
        ("/api/customers/get", vec![("id", theirs.customer.as_str())]),
        (
            "/api/customers/archive",
            vec![("id", theirs.customer.as_str()), ("archived", "true")],
        ),
    ] {
        let response = app.call(endpoint, &form, Some(&mine.cookie)).await;
        assert_eq!(response.status(), 404, "{endpoint}");
    }
    // Saving over their draft, or billing their customer, is refused too.
    let their_draft = draft(&app, &theirs).await;
    let over = save(
        &app,
        &mine,
        Some(&their_draft),
        &form(&mine, two_lines(&mine)),
    )
    .await;
    assert_eq!(over.status(), 404);
    let mut billing_theirs = form(&mine, two_lines(&mine));
    billing_theirs["customer_id"] = json!(theirs.customer);
    assert_eq!(save(&app, &mine, None, &billing_theirs).await.status(), 422);
    let mut their_rate = form(
        &mine,
        json!([{ "description": "X", "quantity": "1", "unit_price": "1", "tax_rate_id": theirs.vat }]),
    );
    their_rate["customer_id"] = json!(mine.customer);
    assert_eq!(save(&app, &mine, None, &their_rate).await.status(), 422);
    let listed = json_of(
        app.call_json(
            "/api/invoices/list",
            &json!({ "filter": {} }),
            Some(&mine.cookie),
        )
        .await,
    )
    .await;
    assert_eq!(listed["rows"].as_array().unwrap().len(), 0);
    let customers = json_of(
        app.call("/api/customers/list", &[], Some(&mine.cookie))
            .await,
    )
    .await;
    assert_eq!(customers["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.call_json("/api/invoices/list", &json!({ "filter": {} }), None)
            .await
            .status(),
        401,
        "signed out"
    );
}
