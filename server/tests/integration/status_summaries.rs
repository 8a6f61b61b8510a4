//! Issue 16: the invoice list's totals per status come from summaries the
//! database keeps beside the invoices; after any sequence of operations
//! they equal a full recount.

use crate::helpers::{TestApp, unique_email};
use crate::invoicing::{Books, add_customer, books_for, json_of, save};
use ledgerlock_app::ssr::entities::invoice_status_summary;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use time::macros::datetime;

/// The list's totals for the whole organization (kept summaries) and for a
/// filter that matches every invoice (counted from the invoices).
async fn both_totals(app: &TestApp, cookie: &str) -> (Value, Value) {
    let totals = |filter: Value| async move {
        json_of(
            app.call_json(
                "/api/invoices/status_totals",
                &json!({ "filter": filter }),
                Some(cookie),
            )
            .await,
        )
        .await
    };
    (
        totals(json!({})).await,
        totals(json!({ "from": "1900-01-01" })).await,
    )
}

/// A small deterministic generator (xorshift64), so a failure repeats.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

async fn call(app: &TestApp, path: &str, form: &[(&str, &str)], cookie: &str) -> bool {
    app.call(path, form, Some(cookie)).await.status() == 200
}

#[tokio::test]
async fn status_totals_from_summaries_equal_a_recount_after_random_operations() {
    let start = datetime!(2026-11-10 09:00 UTC);
    let app = TestApp::spawn_at(start).await;
    let books = books_for(&app, app.sign_up(&unique_email()).await).await;
    let dollars = add_customer(&app, &books.cookie, "Dollar Inc", "USD").await;
    let customers = [(books.customer.clone(), "EUR"), (dollars, "USD")];
    let due_dates = ["", "2026-11-12", "2026-11-20", "2026-12-01", "2026-12-31"];
    let prices = ["10", "0.335", "99.99", "1200", "0"];

    let mut dice = Dice(0x2545_F491_4F6C_DD1D);
    let mut drafts: Vec<String> = Vec::new();
    let mut issued: Vec<String> = Vec::new();
    let mut done: BTreeMap<&str, u32> = BTreeMap::new();
    let mut today = start;
    let mut seen: Vec<String> = Vec::new();
    for step in 0..200 {
        let operation = dice.below(11);
        let ok = match operation {
            0..=2 => {
                let (customer, currency) = &customers[dice.below(2)];
                let form = draft_form(
                    &books,
                    customer,
                    currency,
                    due_dates[dice.below(due_dates.len())],
                    prices[dice.below(prices.len())],
                    1 + dice.below(4),
                );
                let saved = save(&app, &books, None, &form).await;
                let ok = saved.status() == 200;
                if ok {
                    drafts.push(json_of(saved).await.as_str().unwrap().to_owned());
                }
                ("draft", ok)
            }
            3 | 10 if !drafts.is_empty() => {
                let id = drafts.swap_remove(dice.below(drafts.len()));
                let ok = call(&app, "/api/invoices/issue", &[("id", &id)], &books.cookie).await;
                if ok {
                    issued.push(id);
                }
                ("issue", ok)
            }
            4 if !drafts.is_empty() => {
                let id = drafts.swap_remove(dice.below(drafts.len()));
                let form = &[("id", id.as_str())];
                (
                    "delete draft",
                    call(&app, "/api/invoices/delete_draft", form, &books.cookie).await,
                )
            }
            5 if !issued.is_empty() => {
                let id = &issued[dice.below(issued.len())];
                let paid_on = today.date().to_string();
                let amount = ["1", "5.50", "100"][dice.below(3)];
                let form = &[
                    ("id", id.as_str()),
                    ("paid_on", &paid_on),
                    ("amount", amount),
                ];
                (
                    "part payment",
                    call(&app, "/api/invoices/record_payment", form, &books.cookie).await,
                )
            }
            6 if !issued.is_empty() => {
                let id = &issued[dice.below(issued.len())];
                (
                    "mark paid",
                    call(
                        &app,
                        "/api/invoices/mark_paid",
                        &[("id", id)],
                        &books.cookie,
                    )
                    .await,
                )
            }
            7 if !issued.is_empty() => {
                let id = &issued[dice.below(issued.len())];
                (
                    "mark unpaid",
                    call(
                        &app,
                        "/api/invoices/mark_unpaid",
                        &[("id", id)],
                        &books.cookie,
                    )
                    .await,
                )
            }
            8 if !issued.is_empty() => {
                let id = issued[dice.below(issued.len())].clone();
                if dice.below(2) == 0 {
                    let form = &[("id", id.as_str()), ("reason", "Issued in error")];
                    (
                        "void",
                        call(&app, "/api/invoices/void", form, &books.cookie).await,
                    )
                } else {
                    // A credit note for all of it, issued: the invoice's
                    // credited amount changes.
                    let note = app
                        .call(
                            "/api/invoices/credit_note",
                            &[("id", &id)],
                            Some(&books.cookie),
                        )
                        .await;
                    let ok = note.status() == 200;
                    let ok = ok && {
                        let note = json_of(note).await.as_str().unwrap().to_owned();
                        call(&app, "/api/invoices/issue", &[("id", &note)], &books.cookie).await
                    };
                    ("credit note", ok)
                }
            }
            9 => {
                // Time passes: invoices fall overdue without any write.
                today += time::Duration::days(1 + dice.below(3) as i64);
                app.clock.set(today);
                ("days pass", true)
            }
            _ => ("nothing to do", false),
        };
        if ok.1 {
            *done.entry(ok.0).or_default() += 1;
        }
        if step % 20 == 19 {
            let (kept, recounted) = both_totals(&app, &books.cookie).await;
            assert_eq!(kept, recounted, "after step {step} ({done:?})");
            for total in kept.as_array().unwrap() {
                seen.push(format!("{} {}", total["status"], total["currency"]));
            }
        }
    }
    let (kept, recounted) = both_totals(&app, &books.cookie).await;
    assert_eq!(kept, recounted, "{done:?}");
    for operation in [
        "draft",
        "issue",
        "delete draft",
        "part payment",
        "mark paid",
        "mark unpaid",
        "void",
        "credit note",
        "days pass",
    ] {
        assert!(
            done.get(operation).is_some_and(|n| *n > 0),
            "no {operation} succeeded: {done:?}"
        );
    }
    // Every status and both currencies were there to compare at some point.
    for status in [
        "Draft",
        "Unpaid",
        "PartiallyPaid",
        "Overdue",
        "Paid",
        "Void",
    ] {
        assert!(
            seen.iter()
                .any(|seen| seen.starts_with(&format!("\"{status}\""))),
            "{status} never compared: {seen:?}"
        );
    }
    for currency in ["EUR", "USD"] {
        assert!(
            seen.iter().any(|seen| seen.contains(currency)),
            "{currency}: {seen:?}"
        );
    }
    let rows = invoice_status_summary::Entity::find()
        .count(&app.db().await)
        .await
        .unwrap();
    assert!(rows > 0, "the totals were read from summaries");
}

fn draft_form(
    books: &Books,
    customer: &str,
    currency: &str,
    due_date: &str,
    price: &str,
    quantity: usize,
) -> Value {
    json!({
        "customer_id": customer,
        "currency": currency,
        "issue_date": "",
        "due_date": due_date,
        "price_mode": "Exclusive",
        "discount_percent": "",
        "notes": "",
        "terms": "",
        "lines": [{ "description": "Work", "quantity": quantity.to_string(), "unit_price": price, "tax_rate_id": books.vat }],
    })
}
