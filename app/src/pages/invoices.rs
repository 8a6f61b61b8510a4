//! The invoices list: filters, search, totals per status, one-click status
//! changes, keyset pages.

use crate::api::invoices::{
    InvoiceFilter, IssueInvoice, MarkPaid, MarkUnpaid, check_export, invoice_status_totals,
    list_invoices,
};
use crate::components::app_shell::can;
use crate::components::browser_data::browser_data;
use crate::components::confirm_identity::ConfirmIdentity;
use crate::components::form::FormAlert;
use crate::components::money::format_money;
use crate::domain::Permission;
use crate::domain::invoice_status::{ALL_STATUSES, InvoiceStatus};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let issue = ServerAction::<IssueInvoice>::new();
    let mark_paid = ServerAction::<MarkPaid>::new();
    let mark_unpaid = ServerAction::<MarkUnpaid>::new();
    let (may_issue, may_pay) = (
        can(Permission::InvoicesIssue),
        can(Permission::PaymentsRecord),
    );
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name).filter(|value| !value.is_empty());
    let filter = move || InvoiceFilter {
        status: param("status").and_then(|status| InvoiceStatus::parse(&status)),
        customer_id: param("customer").and_then(|id| id.parse().ok()),
        from: param("from"),
        to: param("to"),
        query: param("q").unwrap_or_default(),
        oldest_first: param("order").is_some_and(|order| order == "oldest"),
        after: param("after").and_then(|id| id.parse().ok()),
    };
    let page = Resource::new(
        move || {
            (
                filter(),
                issue.version().get(),
                mark_paid.version().get(),
                mark_unpaid.version().get(),
            )
        },
        |(filter, _, _, _)| list_invoices(filter),
    );
    // Counted apart from the page: they read every matching invoice.
    let totals = Resource::new(
        move || {
            let filter = InvoiceFilter {
                status: None,
                after: None,
                ..filter()
            };
            (
                filter,
                issue.version().get(),
                mark_paid.version().get(),
                mark_unpaid.version().get(),
            )
        },
        |(filter, _, _, _)| invoice_status_totals(filter),
    );
    let action_error = Signal::derive(move || {
        issue
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| mark_paid.value().get().and_then(Result::err))
            .or_else(|| mark_unpaid.value().get().and_then(Result::err))
    });
    // The same filters with another status (or none).
    let with_status = move |status: Option<InvoiceStatus>| {
        let mut parts = Vec::new();
        for name in ["customer", "from", "to", "q", "order"] {
            if let Some(value) = param(name) {
                parts.push(format!(
                    "{name}={}",
                    crate::domain::next_path::encode(&value)
                ));
            }
        }
        if let Some(status) = status {
            parts.push(format!("status={}", status.as_str()));
        }
        format!("/app/invoices?{}", parts.join("&"))
    };
    view! {
        <Title text="Invoices" />
        <div class="page-head">
            <h1>"Invoices"</h1>
            <div class="actions">
                {can(Permission::Export).then(|| view! { <ExportLinks /> })}
                {can(Permission::InvoicesWrite).then(|| view! {
                    <A href="/app/invoices/new" attr:class="button primary">"New invoice"</A>
                })}
            </div>
        </div>
        <nav class="chips" aria-label="Status">
            <a href=move || with_status(None) class:active=move || param("status").is_none()>"All"</a>
            {ALL_STATUSES.into_iter().map(|status| view! {
                <a href=move || with_status(Some(status)) class:active=move || param("status").as_deref() == Some(status.as_str())>
                    {status.label()}
                </a>
            }).collect_view()}
        </nav>
        <form method="get" class="search" role="search">
            <input type="hidden" name="status" value=move || param("status").unwrap_or_default() />
            <label class="visually-hidden" for="invoice-search">"Search invoices"</label>
            <input id="invoice-search" type="search" name="q" placeholder="Number or customer" value=move || param("q").unwrap_or_default() />
            <label>"From " <input type="date" name="from" value=move || param("from").unwrap_or_default() /></label>
            <label>"to " <input type="date" name="to" value=move || param("to").unwrap_or_default() /></label>
            <select name="order" aria-label="Order">
                <option value="newest">"Newest first"</option>
                <option value="oldest" selected=move || param("order").as_deref() == Some("oldest")>"Oldest first"</option>
            </select>
            <button type="submit" class="button">"Search"</button>
        </form>
        <FormAlert error=action_error />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                totals.await.map(|totals| view! {
                    <ul class="status-totals" data-testid="status-totals">
                        {totals.into_iter().map(|total| view! {
                            <li>
                                <span>{total.status.label()}</span>
                                <strong>{format_money(&total.currency, total.total)}</strong>
                                <span class="muted">{format!("{} invoice(s)", total.count)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let empty = page.rows.is_empty();
                        view! {
                        <Show when=move || empty>
                            <p class="empty">"No invoices match."</p>
                        </Show>
                        <table class="list" data-testid="invoices" hidden=empty>
                            <thead><tr>
                                <th scope="col">"Number"</th>
                                <th scope="col">"Customer"</th>
                                <th scope="col">"Issued"</th>
                                <th scope="col">"Due"</th>
                                <th scope="col">"Sent"</th>
                                <th scope="col" class="number">"Total"</th>
                                <th scope="col" class="number">"Balance"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|row| {
                                    let id = row.id;
                                    let status = row.status;
                                    view! {
                                        <tr data-testid="invoice-row">
                                            <td><a href=format!("/app/invoices/{id}")>{row.number.unwrap_or_else(|| "Draft".into())}</a></td>
                                            <td>{row.customer_name}</td>
                                            <td>{row.issue_date.to_string()}</td>
                                            <td>{row.due_date.to_string()}</td>
                                            <td>{row.sent_at.map(|at| at.date().to_string()).unwrap_or_default()}</td>
                                            <td class="number">{format_money(&row.currency, row.total)}</td>
                                            <td class="number">{format_money(&row.currency, row.balance)}</td>
                                            <td><span class=format!("status status-{}", status.as_str())>{status.label()}</span></td>
                                            <td class="actions">
                                                <ActionForm action=issue attr:class="inline" attr:hidden=status != InvoiceStatus::Draft || !may_issue>
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <button type="submit" class="link">"Mark sent"</button>
                                                </ActionForm>
                                                <ActionForm action=mark_paid attr:class="inline" attr:hidden=!may_pay || !matches!(status, InvoiceStatus::Unpaid | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue)>
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <button type="submit" class="link">"Mark paid"</button>
                                                </ActionForm>
                                                <ActionForm action=mark_unpaid attr:class="inline" attr:hidden=status != InvoiceStatus::Paid || !may_pay>
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <button type="submit" class="link">"Mark unpaid"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {page.next_after.map(|after| {
                            let next = format!("{}&after={after}", with_status(param("status").and_then(|status| InvoiceStatus::parse(&status))));
                            view! { <a class="button" href=next>"Next page"</a> }
                        })}
                    }.into_any()
                    }
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The CSV downloads, once the user has confirmed who they are recently.
#[component]
fn ExportLinks() -> impl IntoView {
    let confirmed = RwSignal::new(0_u32);
    let allowed = browser_data(move || {
        confirmed.track();
        check_export()
    });
    view! {
        {move || match allowed.get() {
            Some(Ok(())) => view! {
                <span class="muted">"Export CSV:"</span>
                <a href="/app/export/invoices.csv" rel="external" download>"invoices"</a>
                <a href="/app/export/payments.csv" rel="external" download>"payments"</a>
                <a href="/app/export/customers.csv" rel="external" download>"customers"</a>
            }.into_any(),
            Some(Err(AppError::ConfirmationRequired)) => view! {
                <details class="export-confirm">
                    <summary>"Export CSV…"</summary>
                    <ConfirmIdentity
                        when=Signal::derive(|| true)
                        on_confirmed=Callback::new(move |()| confirmed.update(|n| *n += 1))
                    />
                </details>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
    .into_any()
}
