//! The edge cases that broke totals or lists: amounts beyond any sum,
//! searches over many customers, "paid this month", currencies that
//! changed, and search text that did not survive "Next page".

use super::{detail, draft_dated, issued_number};
use crate::helpers::{TestApp, add_member_as, unique_email};
use crate::invoicing::{books_for, json_of, save};
use ledgerlock_app::ssr::entities::{customer, invoice, membership, membership_customer};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

async fn status_totals(app: &TestApp, cookie: &str, query: &str) -> Vec<Value> {
    let response = app
        .call_json(
            "/api/invoices/status_totals",
            &json!({ "filter": { "query": query } }),
            Some(cookie),
        )
        .await;
    assert_eq!(response.status(), 200);
    json_of(response).await.as_array().unwrap().clone()
}

fn count_of(totals: &[Value]) -> u64 {
    totals
        .iter()
        .map(|row| row["count"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn no_document_can_break_the_organizations_totals() {
    let app = TestApp::spawn().await;
    let books = crate::invoicing::open_books(&app).await;
    // Past the cap: refused on the lines, nothing written.
    let form = json!({
        "customer_id": books.customer, "currency": "EUR", "issue_date": "", "due_date": "",
        "price_mode": "Exclusive",
        "lines": [{ "description": "Everything", "quantity": "1000000000", "unit_price": "1000000000" }],
    });
    let refused = save(&app, &books, None, &form).await;
    assert_eq!(refused.status(), 422);
    let body = json_of(refused).await.to_string();
    assert!(body.contains("lines") && body.contains("at most"), "{body}");
    assert!(count_of(&status_totals(&app, &books.cookie, "").await) == 0);

    // Rows written before the cap existed (or by hand): two issued
    // documents of about 9·10^18 minor units each. Every total still
    // answers, exactly.
    let first = draft_dated(&app, &books, "", "").await;
    let second = draft_dated(&app, &books, "", "").await;
    let db = app.db().await;
    for id in [&first, &second] {
        invoice::Entity::update_many()
            .col_expr(
                invoice::Column::TotalMinor,
                Expr::value(9_000_000_000_000_000_000_i64),
            )
            .col_expr(
                invoice::Column::IssuedAt,
                Expr::value(time::OffsetDateTime::now_utc()),
            )
            .filter(invoice::Column::Id.eq(id.parse::<Uuid>().unwrap()))
            .exec(&db)
            .await
            .unwrap();
    }
    let totals = status_totals(&app, &books.cookie, "").await;
    let sum: Vec<&str> = totals
        .iter()
        .map(|row| row["total"].as_str().unwrap())
        .collect();
    assert_eq!(sum, vec!["180000000000000000.00"], "{totals:?}");
    let dashboard = app
        .call("/api/dashboard/summary", &[], Some(&books.cookie))
        .await;
    assert_eq!(dashboard.status(), 200);
    let dashboard = json_of(dashboard).await;
    assert_eq!(
        dashboard["money"][0]["outstanding"],
        "180000000000000000.00"
    );
    let list = app
        .call_json(
            "/api/invoices/list",
            &json!({ "filter": {} }),
            Some(&books.cookie),
        )
        .await;
    assert_eq!(list.status(), 200);
}

#[tokio::test]
async fn searching_by_customer_name_finds_every_matching_customers_invoices() {
    let app = TestApp::spawn().await;
    let owner_email = unique_email();
    let books = books_for(&app, app.sign_up(&owner_email).await).await;
    let db = app.db().await;
    let organization_id = customer::Entity::find_by_id(books.customer.parse::<Uuid>().unwrap())
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    // 520 customers named "Zeta …", each with a draft (more than the 500
    // the search used to take, unordered).
    let now = time::OffsetDateTime::now_utc();
    let mut customers = Vec::new();
    for n in 0..520 {
        let id = Uuid::new_v4();
        customer::ActiveModel {
            id: Set(id),
            organization_id: Set(organization_id),
            name: Set(format!("Zeta {n:03}")),
            name_lookup: Set(format!("zeta {n:03}")),
            emails: Set(String::new()),
            address: Set(String::new()),
            tax_id: Set(String::new()),
            currency: Set("EUR".into()),
            payment_terms_days: Set(14),
            notes: Set(String::new()),
            archived_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&db)
        .await
        .unwrap();
        customers.push(id);
    }
    let template = invoice::Entity::find_by_id(
        draft_dated(&app, &books, "", "")
            .await
            .parse::<Uuid>()
            .unwrap(),
    )
    .one(&db)
    .await
    .unwrap()
    .unwrap();
    let rows: Vec<invoice::ActiveModel> = customers
        .iter()
        .map(|customer_id| {
            let mut row = template.clone();
            row.id = Uuid::new_v4();
            row.customer_id = *customer_id;
            row.into()
        })
        .collect();
    for chunk in rows.chunks(100) {
        invoice::Entity::insert_many(chunk.to_vec())
            .exec(&db)
            .await
            .unwrap();
    }
    assert_eq!(
        count_of(&status_totals(&app, &books.cookie, "zeta").await),
        520
    );
    assert_eq!(
        count_of(&status_totals(&app, &books.cookie, "Zeta 51").await),
        10
    );

    // A member limited to three of them finds those three, whatever the
    // other 517 are.
    let (_, member) = add_member_as(&app, &owner_email, "accountant").await;
    let membership = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::Role.eq("accountant"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    membership::Entity::update_many()
        .col_expr(membership::Column::LimitedToCustomers, Expr::value(true))
        .filter(membership::Column::Id.eq(membership.id))
        .exec(&db)
        .await
        .unwrap();
    for customer_id in [customers[0], customers[259], customers[519]] {
        membership_customer::ActiveModel {
            membership_id: Set(membership.id),
            customer_id: Set(customer_id),
        }
        .insert(&db)
        .await
        .unwrap();
    }
    assert_eq!(count_of(&status_totals(&app, &member, "zeta").await), 3);
}

#[tokio::test]
async fn paid_this_month_counts_this_months_payments_and_reversals_where_they_belong() {
    let app = TestApp::spawn_at(datetime!(2026-11-15 12:00 UTC)).await;
    let books = crate::invoicing::open_books(&app).await;
    let id = draft_dated(&app, &books, "2026-10-20", "2026-11-30").await;
    issued_number(&app, &books, &id).await;
    let pay = |on: &'static str, amount: &'static str| {
        let (app, books, id) = (&app, &books, id.clone());
        async move {
            app.call(
                "/api/invoices/record_payment",
                &[("id", &id), ("paid_on", on), ("amount", amount)],
                Some(&books.cookie),
            )
            .await
        }
    };
    assert_eq!(pay("2026-10-28", "30").await.status(), 200);
    assert_eq!(pay("2026-11-10", "50").await.status(), 200);
    let future = pay("2026-11-16", "1").await;
    assert_eq!(future.status(), 422, "a payment cannot be dated tomorrow");
    assert!(json_of(future).await.to_string().contains("paid_on"));
    let paid_this_month = || async {
        let figures = json_of(
            app.call("/api/dashboard/summary", &[], Some(&books.cookie))
                .await,
        )
        .await;
        figures["money"][0]["paid_this_month"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        paid_this_month().await,
        "50.00",
        "October's 30 is not this month's"
    );
    let unpaid = app
        .call(
            "/api/invoices/mark_unpaid",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(unpaid.status(), 200);
    // Each reversal counts against its payment's month: November nets to 0
    // (not 50 − 80).
    assert_eq!(paid_this_month().await, "0.00");
    let payments = detail(&app, &books, &id).await["payments"].clone();
    let reversal_dates: Vec<&str> = payments
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "reversal")
        .map(|entry| entry["paid_on"].as_str().unwrap())
        .collect();
    assert_eq!(reversal_dates, vec!["2026-10-28", "2026-11-10"]);
}

#[tokio::test]
async fn a_customers_currency_is_fixed_once_documents_exist_and_credit_notes_follow_their_invoice()
{
    let app = TestApp::spawn().await;
    let books = crate::invoicing::open_books(&app).await;
    let rename = |currency: &'static str| {
        let (app, books) = (&app, &books);
        async move {
            app.call(
                "/api/customers/save",
                &[
                    ("id", &books.customer),
                    ("name", "Ωmega Trading GmbH"),
                    ("currency", currency),
                    ("payment_terms_days", "14"),
                ],
                Some(&books.cookie),
            )
            .await
        }
    };
    // Before any document, the currency may still change (and back).
    assert_eq!(rename("JPY").await.status(), 200);
    assert_eq!(rename("EUR").await.status(), 200);
    let id = draft_dated(&app, &books, "", "").await;
    issued_number(&app, &books, &id).await;
    let refused = rename("JPY").await;
    assert_eq!(refused.status(), 422);
    assert!(json_of(refused).await.to_string().contains("currency"));

    let note = json_of(
        app.call(
            "/api/invoices/credit_note",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await,
    )
    .await;
    let note = note.as_str().unwrap().to_owned();
    let in_yen = json!({
        "customer_id": books.customer, "currency": "JPY", "issue_date": "", "due_date": "",
        "price_mode": "Exclusive",
        "lines": [{ "description": "Work", "quantity": "1", "unit_price": "100", "tax_rate_id": books.vat }],
    });
    let refused = save(&app, &books, Some(&note), &in_yen).await;
    assert_eq!(refused.status(), 422);
    let body = json_of(refused).await.to_string();
    assert!(body.contains("currency") && body.contains("EUR"), "{body}");
}

#[tokio::test]
async fn search_text_with_url_characters_survives_next_page() {
    let app = TestApp::spawn().await;
    let books = crate::invoicing::open_books(&app).await;
    for n in 0..51 {
        let name = format!("R&D #+% {n:02}");
        let saved = app
            .call(
                "/api/customers/save",
                &[
                    ("name", &name),
                    ("currency", "EUR"),
                    ("payment_terms_days", "14"),
                ],
                Some(&books.cookie),
            )
            .await;
        assert_eq!(saved.status(), 200);
    }
    let page = app
        .get("/app/customers?q=R%26D%20%23%2B%25", Some(&books.cookie))
        .await
        .text()
        .await
        .unwrap();
    let start = page
        .find("Next page")
        .map(|end| page[..end].rfind("href=\"").unwrap() + 6);
    let href = &page[start.expect("a next page link")..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    assert!(href.starts_with("?q=R%26D%20%23%2B%25&after="), "{href}");
    let next = app
        .get(&format!("/app/customers{href}"), Some(&books.cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        next.contains("R&amp;D #+% 50"),
        "the second page holds the 51st customer"
    );
}
