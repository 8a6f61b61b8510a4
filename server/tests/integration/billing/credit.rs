//! A credit note against a paid invoice leaves the customer a credit: it is
//! refunded, or settles their next invoice, once and exactly, whatever
//! arrives at the same time.

use super::{at_once, detail, draft_dated, issued_number};
use crate::helpers::TestApp;
use crate::invoicing::{Books, json_of, open_books};
use time::macros::datetime;

/// An invoice of 119.00, paid in full, then credited in full: the customer
/// is owed 119.00.
async fn paid_and_credited(app: &TestApp, books: &Books) -> String {
    let id = draft_dated(app, books, "", "").await;
    issued_number(app, books, &id).await;
    let paid = app
        .call(
            "/api/invoices/mark_paid",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(paid.status(), 200);
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
    issued_number(app, books, &note).await;
    id
}

#[tokio::test]
async fn a_paid_invoice_can_be_credited_and_the_credit_refunded() {
    let app = TestApp::spawn_at(datetime!(2026-11-30 12:00 UTC)).await;
    let books = open_books(&app).await;
    let id = paid_and_credited(&app, &books).await;
    let shown = detail(&app, &books, &id).await;
    assert_eq!(shown["credit"], "119.00");
    assert_eq!(shown["balance"], "0.00");
    assert_eq!(shown["status"], "Paid");

    let refund = |amount: &'static str| {
        let (app, books, id) = (&app, &books, id.clone());
        async move {
            app.call(
                "/api/invoices/refund",
                &[
                    ("id", &id),
                    ("paid_on", "2026-11-30"),
                    ("amount", amount),
                    ("method", "Bank transfer"),
                ],
                Some(&books.cookie),
            )
            .await
        }
    };
    let too_much = refund("119.01").await;
    assert_eq!(too_much.status(), 422);
    assert!(json_of(too_much).await.to_string().contains("amount"));
    // Twenty refunds of the whole credit at once: one goes through.
    let form = [
        ("id", id.as_str()),
        ("paid_on", "2026-11-30"),
        ("amount", "119.00"),
    ];
    let statuses = at_once(&app, &books.cookie, "/api/invoices/refund", &form, 20).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    let shown = detail(&app, &books, &id).await;
    assert_eq!(shown["credit"], "0.00");
    assert_eq!(shown["paid"], "0.00", "119 paid, 119 refunded");
    let kinds: Vec<&str> = shown["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["payment", "refund"]);
    let refused = refund("1").await;
    assert_eq!(refused.status(), 409, "no credit is left");

    // Money paid out of the credit is settled: the payment it came from is
    // not reversed, nor the credit note that made it voided (either would
    // let the cycle pay out the same credit again).
    let unpaid = app
        .call(
            "/api/invoices/mark_unpaid",
            &[("id", &id)],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(unpaid.status(), 409);
    let note = shown["credit_notes"][0]["id"].as_str().unwrap().to_owned();
    let void = app
        .call(
            "/api/invoices/void",
            &[("id", &note), ("reason", "issued by mistake")],
            Some(&books.cookie),
        )
        .await;
    assert_eq!(void.status(), 409);
    assert_eq!(detail(&app, &books, &id).await["balance"], "0.00");
}

#[tokio::test]
async fn one_customers_credit_does_not_hide_what_another_invoice_owes() {
    let app = TestApp::spawn_at(datetime!(2026-11-30 12:00 UTC)).await;
    let books = open_books(&app).await;
    paid_and_credited(&app, &books).await;
    let owing = draft_dated(&app, &books, "2026-11-30", "2026-11-30").await;
    issued_number(&app, &books, &owing).await;
    app.clock.set(datetime!(2026-12-05 12:00 UTC));
    let figures = json_of(
        app.call("/api/dashboard/summary", &[], Some(&books.cookie))
            .await,
    )
    .await;
    assert_eq!(figures["money"][0]["outstanding"], "119.00");
    assert_eq!(figures["money"][0]["overdue"], "119.00");
}

#[tokio::test]
async fn a_credit_settles_the_customers_next_invoice_exactly_once() {
    let app = TestApp::spawn_at(datetime!(2026-11-30 12:00 UTC)).await;
    let books = open_books(&app).await;
    let credited = paid_and_credited(&app, &books).await;
    // The next invoice: two lines of 100.00 at 19 % → 238.00.
    let next = draft_dated(&app, &books, "", "").await;
    issued_number(&app, &books, &next).await;
    let extra = draft_dated(&app, &books, "", "").await;
    issued_number(&app, &books, &extra).await;
    let targets = detail(&app, &books, &credited).await["credit_targets"].clone();
    assert_eq!(targets.as_array().unwrap().len(), 2);

    let form = [("id", credited.as_str()), ("to", next.as_str())];
    let statuses = at_once(&app, &books.cookie, "/api/invoices/apply_credit", &form, 20).await;
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "the credit moves once: {statuses:?}"
    );
    let source = detail(&app, &books, &credited).await;
    let target = detail(&app, &books, &next).await;
    assert_eq!(source["credit"], "0.00");
    assert_eq!(target["balance"], "0.00", "119.00 of credit settles 119.00");
    assert_eq!(target["status"], "Paid");
    assert_eq!(
        detail(&app, &books, &extra).await["balance"],
        "119.00",
        "untouched"
    );

    // Another customer's invoice, or another organization's, is no target.
    let stranger = open_books(&app).await;
    let theirs = draft_dated(&app, &stranger, "", "").await;
    issued_number(&app, &stranger, &theirs).await;
    let refused = app
        .call(
            "/api/invoices/apply_credit",
            &[("id", &credited), ("to", &theirs)],
            Some(&books.cookie),
        )
        .await;
    assert!(
        refused.status() == 422 || refused.status() == 409,
        "{}",
        refused.status()
    );
}
