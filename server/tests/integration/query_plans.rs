//! Issue 16: the invoice list filtered to open documents (overdue, unpaid,
//! partly paid) reads the partial index of open invoices on both engines,
//! in the list's order, with no sort. SQLite silently ignored migration 16's
//! index, whose last term it rewrote while planning (see migration 17);
//! nothing but a plan shows that, and a million invoices make it 39 ms.

use crate::helpers::{TestApp, demo_data, unique_email};
use ledgerlock_app::api::invoices::InvoiceFilter;
use ledgerlock_app::domain::invoice_status::InvoiceStatus;
use ledgerlock_app::ssr::access::{CustomerReach, Tenant};
use ledgerlock_app::ssr::entities::{invoice, organization};
use ledgerlock_app::ssr::services::invoice_views::page_query;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, EntityTrait, QueryOrder, QueryTrait, Statement,
    TransactionTrait,
};

/// The engine's plan of `statement`, one line per step.
async fn plan(db: &impl ConnectionTrait, statement: Statement) -> Vec<String> {
    let backend = db.get_database_backend();
    let explain = match backend {
        DatabaseBackend::Sqlite => "EXPLAIN QUERY PLAN",
        _ => "EXPLAIN",
    };
    let column = match backend {
        DatabaseBackend::Sqlite => "detail",
        _ => "QUERY PLAN",
    };
    let explained = Statement::from_sql_and_values(
        backend,
        format!("{explain} {}", statement.sql),
        statement.values.map(|values| values.0).unwrap_or_default(),
    );
    db.query_all_raw(explained)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", column).unwrap())
        .collect()
}

#[tokio::test]
async fn open_invoices_are_listed_from_their_partial_index() {
    let app = TestApp::spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    demo_data(&app, &email, 20, 400);
    let db = app.db().await;
    let organization_id = organization::Entity::find()
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let tenant = Tenant {
        organization_id,
        customers: CustomerReach::All,
    };
    let newest = invoice::Entity::find()
        .order_by_desc(invoice::Column::IssueDate)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let backend = db.get_database_backend();
    // On 400 rows PostgreSQL would rightly read the table, or the index in
    // any order and sort the few rows; the question is whether it can read
    // the index in order, as it will on a million. Without statistics it
    // guesses one row per index and takes either; with them (autovacuum
    // keeps them in production) it knows the partial index is the smaller.
    let txn = db.begin().await.unwrap();
    if backend == DatabaseBackend::Postgres {
        txn.execute_unprepared("ANALYZE invoices").await.unwrap();
        for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
            txn.execute_unprepared(&format!("SET LOCAL {setting} = off"))
                .await
                .unwrap();
        }
    }
    for status in [
        InvoiceStatus::Overdue,
        InvoiceStatus::Unpaid,
        InvoiceStatus::PartiallyPaid,
    ] {
        for after in [None, Some((newest.issue_date, newest.id))] {
            for oldest_first in [false, true] {
                let filter = InvoiceFilter {
                    status: Some(status),
                    oldest_first,
                    ..InvoiceFilter::default()
                };
                let query = page_query(tenant, &filter, today, after).unwrap();
                let steps = plan(&txn, query.build(backend)).await;
                let case = format!("{status:?}, after {after:?}, oldest first {oldest_first}");
                assert!(
                    steps.iter().any(|step| step.contains("invoices_open")),
                    "{case}: {steps:#?}"
                );
                assert!(
                    !steps
                        .iter()
                        .any(|step| step.contains("TEMP B-TREE") || step.contains("Sort")),
                    "{case}: sorted instead of read in order: {steps:#?}"
                );
            }
        }
    }
    txn.rollback().await.unwrap();
}
