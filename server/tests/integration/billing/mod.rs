//! Issue 13: billing correctness. Every script on the PDF, the
//! organization's own calendar (time zones, issue dates in number order),
//! EN 16931 tax rounding, and the edge cases that broke totals and lists. Tests set the billing clock; they do
//! not sleep.

mod calendar;
mod credit;
mod limits;
mod rounding;
mod scripts;

use crate::helpers::{TestApp, unique_email};
use crate::invoicing::{Books, books_for, get, issue, json_of, save};
use serde_json::{Value, json};

/// An owner whose browser said `time_zone` at sign-up, with a customer
/// (EUR, net 14) and a 19 % rate.
pub(crate) async fn books_in_zone(app: &TestApp, time_zone: &str) -> Books {
    let cookie = app.sign_up_in_zone(&unique_email(), time_zone).await;
    books_for(app, cookie).await
}

/// A draft of one 100.00 line at 19 % with the given dates ("" leaves the
/// issue date to the day of issue and the due date to the customer's terms).
pub(crate) async fn draft_dated(
    app: &TestApp,
    books: &Books,
    issue_date: &str,
    due_date: &str,
) -> String {
    let form = json!({
        "customer_id": books.customer,
        "currency": "EUR",
        "issue_date": issue_date,
        "due_date": due_date,
        "price_mode": "Exclusive",
        "lines": [{ "description": "Work", "quantity": "1", "unit_price": "100", "tax_rate_id": books.vat }],
    });
    let saved = save(app, books, None, &form).await;
    assert_eq!(saved.status(), 200);
    json_of(saved).await.as_str().unwrap().to_owned()
}

/// Issues `id` and answers its number.
pub(crate) async fn issued_number(app: &TestApp, books: &Books, id: &str) -> String {
    let response = issue(app, &books.cookie, id).await;
    assert_eq!(response.status(), 200);
    json_of(response).await.as_str().unwrap().to_owned()
}

/// The document as the API shows it.
pub(crate) async fn detail(app: &TestApp, books: &Books, id: &str) -> Value {
    get(app, &books.cookie, id).await
}

/// The same form posted `times` times at once, each request on its own
/// task, as that many browsers would; answers the statuses.
pub(crate) async fn at_once(
    app: &TestApp,
    cookie: &str,
    endpoint: &str,
    form: &[(&str, &str)],
    times: usize,
) -> Vec<u16> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..times {
        let request = app
            .client
            .post(app.url(endpoint))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("cookie", cookie.to_owned())
            .body(crate::helpers::encode_form(form));
        set.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    set.join_all().await
}
