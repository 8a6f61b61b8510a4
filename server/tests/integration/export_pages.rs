//! A CSV export longer than one page (1,000 rows) sends every row once, in
//! the export's order: credit notes, then invoices, each oldest first (the
//! order of the index `invoices_organization_date`), each with its
//! customer's name, which a page looks up in several queries.

use crate::helpers::{TestApp, demo_data, unique_email};
use crate::invoicing::{issue, json_of};
use serde_json::{Value, json};

/// The cells of one CSV line (RFC 4180: a quoted cell may hold commas, and
/// `""` inside it is one quote).
fn cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

#[tokio::test]
async fn an_export_of_several_pages_sends_every_row_once_in_order() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    // 2,345 invoices over two years: about three share each issue date, so
    // page boundaries fall inside runs of one date and the id breaks ties.
    // 900 customers: a page names more of them than one lookup asks for.
    demo_data(&app, &email, 900, 2_345);
    let page = json_of(
        app.call_json(
            "/api/invoices/list",
            &json!({ "filter": {} }),
            Some(&cookie),
        )
        .await,
    )
    .await;
    // A full credit needs an invoice nothing was paid on yet.
    let unpaid = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["balance"] == row["total"])
        .expect("an unpaid invoice among the newest 50");
    let credit = json_of(
        app.call(
            "/api/invoices/credit_note",
            &[("id", unpaid["id"].as_str().unwrap())],
            Some(&cookie),
        )
        .await,
    )
    .await;
    let issued = issue(&app, &cookie, credit.as_str().unwrap()).await;
    assert_eq!(issued.status(), 200);
    let credit_number = json_of(issued).await;

    let export = app.get("/app/export/invoices.csv", Some(&cookie)).await;
    assert_eq!(export.status(), 200);
    let text = export.text().await.unwrap();
    let mut lines = text.lines();
    let header = cells(lines.next().unwrap().trim_start_matches('\u{feff}'));
    let column = |name: &str| header.iter().position(|cell| cell == name).unwrap();
    let (number, kind, issue_date) = (column("number"), column("kind"), column("issue_date"));
    let customer = column("customer");
    let rows: Vec<Vec<String>> = lines.map(cells).collect();
    assert_eq!(rows.len(), 2_346, "every invoice and the credit note");
    assert!(
        rows.iter().all(|row| !row[customer].is_empty()),
        "every row names its customer"
    );
    let mut customers: Vec<&str> = rows.iter().map(|row| row[customer].as_str()).collect();
    customers.sort_unstable();
    customers.dedup();
    assert!(customers.len() > 400, "{} customers", customers.len());
    let mut numbers: Vec<&str> = rows.iter().map(|row| row[number].as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), rows.len(), "no row twice");
    let order: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row[kind].as_str(), row[issue_date].as_str()))
        .collect();
    assert!(
        order.is_sorted(),
        "credit notes, then invoices, each oldest first"
    );
    assert_eq!(Value::from(rows[0][number].as_str()), credit_number);
}
