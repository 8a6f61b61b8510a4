//! Server-side timings of the invoicing services on a database filled by
//! `ledgerlock demo-data`: the invoice list (first page, a deep page, by
//! status), totals per status, customer search, issuing, the audit page and
//! a 200-line PDF.
//! Usage: invoicing_bench <database url> <owner email>
#![allow(clippy::print_stdout)]

use ledgerlock_app::api::invoices::{InvoiceFilter, InvoiceForm, LineForm};
use ledgerlock_app::domain::invoice_status::InvoiceStatus;
use ledgerlock_app::ssr::access::{CustomerReach, Tenant};
use ledgerlock_app::ssr::crypto::SecretBox;
use ledgerlock_app::ssr::entities::{customer, invoice, membership, user};
use ledgerlock_app::ssr::pdf;
use ledgerlock_app::ssr::services::audit::{Actor, Scope};
use ledgerlock_app::ssr::services::{
    audit, audit_log, customers, invoice_issuing, invoice_views, invoices, status_totals,
};
use sea_orm::{
    ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::error::Error;
use std::future::Future;
use std::time::Instant;

/// Runs `task` `runs` times; prints p50 and p99 in milliseconds.
async fn measure<F, Fut, T, E>(name: &str, runs: usize, mut task: F) -> Result<(), Box<dyn Error>>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Debug,
{
    let mut millis = Vec::with_capacity(runs);
    for run in 0..runs {
        let start = Instant::now();
        task(run)
            .await
            .map_err(|error| format!("{name}: {error:?}"))?;
        millis.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let at = |quantile: f64| millis[((millis.len() - 1) as f64 * quantile).round() as usize];
    println!("{name}: p50 {:.2} ms, p99 {:.2} ms", at(0.5), at(0.99));
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(email)) = (args.next(), args.next()) else {
        return Err("usage: invoicing_bench <database url> <owner email>".into());
    };
    let db = Database::connect(&url).await?;
    let owner = user::Entity::find()
        .filter(user::Column::EmailLookup.eq(email.to_lowercase()))
        .one(&db)
        .await?
        .ok_or("no such account")?;
    let organization_id = membership::Entity::find()
        .filter(membership::Column::UserId.eq(owner.id))
        .one(&db)
        .await?
        .ok_or("no organization")?
        .organization_id;
    // The owner's view: every customer.
    let tenant = Tenant {
        organization_id,
        customers: CustomerReach::All,
    };
    let count = invoice::Entity::find()
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .count(&db)
        .await?;
    println!("organization with {count} invoices");
    let today = time::OffsetDateTime::now_utc().date();
    let first = InvoiceFilter::default();

    measure("invoice list, first page", 200, |_| {
        invoice_views::list(&db, tenant, &first, today)
    })
    .await?;
    // A cursor in the middle of the list, chosen once (not timed).
    let middle: uuid::Uuid = invoice::Entity::find()
        .select_only()
        .column(invoice::Column::Id)
        .filter(invoice::Column::OrganizationId.eq(organization_id))
        .order_by_desc(invoice::Column::IssueDate)
        .order_by_desc(invoice::Column::Id)
        .offset(count / 2)
        .into_tuple()
        .one(&db)
        .await?
        .ok_or("no invoices")?;
    let deep = InvoiceFilter {
        after: Some(middle),
        ..InvoiceFilter::default()
    };
    measure("invoice list, a page halfway down", 200, |_| {
        invoice_views::list(&db, tenant, &deep, today)
    })
    .await?;
    let overdue = InvoiceFilter {
        status: Some(InvoiceStatus::Overdue),
        ..InvoiceFilter::default()
    };
    measure("invoice list, overdue only", 200, |_| {
        invoice_views::list(&db, tenant, &overdue, today)
    })
    .await?;
    measure("totals per status (kept summaries)", 200, |_| {
        status_totals::status_totals(&db, tenant, &first, today)
    })
    .await?;
    measure(
        "totals per status (recounted, as a filtered list)",
        5,
        |_| status_totals::recounted(&db, tenant, &first, today),
    )
    .await?;
    let prefixes = [
        "alp", "bal", "cob", "del", "emb", "fjo", "gra", "har", "iri", "jun",
    ];
    measure("customer search", 200, |run| {
        customers::list(&db, tenant, prefixes[run % prefixes.len()], None, false)
    })
    .await?;

    let scope = Scope {
        organization_id,
        actor: Actor::User(owner.id),
        request_id: "bench".into(),
        client_ip: String::new(),
        customers: CustomerReach::All,
        time_zone: ledgerlock_app::ssr::calendar::OrgTimeZone::utc(),
    };
    let customer_id = customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(organization_id))
        .one(&db)
        .await?
        .ok_or("no customers")?
        .id;
    let form = |lines: usize| {
        InvoiceForm {
        customer_id: Some(customer_id),
        currency: "EUR".into(),
        issue_date: today.to_string(),
        due_date: today.to_string(),
        lines: (0..lines)
            .map(|n| LineForm {
                description: format!("Line {n}: consulting — Συμβουλευτική — Консалтинг, a description long enough to wrap onto a second line"),
                quantity: "1.5".into(),
                unit_price: "80".into(),
                ..LineForm::default()
            })
            .collect(),
        ..InvoiceForm::default()
    }
    };
    let mut drafts = Vec::new();
    for _ in 0..100 {
        drafts.push(
            invoices::save_draft(&db, &scope, None, &form(3), time::OffsetDateTime::now_utc())
                .await
                .map_err(|error| format!("{error:?}"))?,
        );
    }
    measure("issue an invoice", 100, |run| {
        invoice_issuing::issue(&db, &scope, drafts[run], time::OffsetDateTime::now_utc())
    })
    .await?;

    // The audit page: its newest events and the check since the last one
    // (the issuing above wrote events; the first check walks them all). The
    // checkpoint is sealed, here with a key of the bench's own.
    let secrets = SecretBox::load_or_create(&std::env::temp_dir().join("ledgerlock-bench.key"))
        .map_err(|error| format!("{error}"))?;
    let full = Instant::now();
    audit::verify(&db, organization_id)
        .await
        .map_err(|error| format!("{error:?}"))?;
    println!(
        "audit chain, full check: {:.2} ms",
        full.elapsed().as_secs_f64() * 1000.0
    );
    measure(
        "audit page (newest events and the check since the last)",
        200,
        |_| async {
            audit_log::list(&db, tenant, "", None).await?;
            audit::verify_since_checkpoint(&db, &secrets, organization_id).await
        },
    )
    .await?;

    let long = invoices::save_draft(
        &db,
        &scope,
        None,
        &form(200),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|error| format!("{error:?}"))?;
    invoice_issuing::issue(&db, &scope, long, time::OffsetDateTime::now_utc())
        .await
        .map_err(|error| format!("{error:?}"))?;
    let document = invoice_views::printable(&db, tenant, long, today)
        .await
        .map_err(|error| format!("{error:?}"))?;
    let fonts =
        pdf::fonts::FontBook::with_system_fonts(None).map_err(|error| format!("fonts: {error}"))?;
    let mut pages = 0;
    measure("PDF of a 200-line invoice", 10, |_| {
        let rendered = pdf::render(&fonts, &document);
        if let Ok(bytes) = &rendered {
            pages = bytes.len();
        }
        std::future::ready(rendered)
    })
    .await?;
    println!("PDF size: {} KB", pages / 1024);
    Ok(())
}
