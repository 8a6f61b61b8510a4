//! Customers: search by name, add one, archive or restore.

use crate::api::customers::{ArchiveCustomer, SaveCustomer, list_customers};
use crate::components::app_shell::can;
use crate::components::form::{Field, FormAlert};
use crate::domain::Permission;
use crate::domain::money::Currency;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CustomersPage() -> impl IntoView {
    let save = ServerAction::<SaveCustomer>::new();
    let archive = ServerAction::<ArchiveCustomer>::new();
    let may_write = can(Permission::CustomersWrite);
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let show_archived = move || query.read().get("archived").is_some();
    let after = move || query.read().get("after").and_then(|id| id.parse().ok());
    let customers = Resource::new(
        move || {
            (
                search(),
                after(),
                show_archived(),
                save.version().get(),
                archive.version().get(),
            )
        },
        |(search, after, archived, _, _)| list_customers(search, after, archived),
    );
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let archive_error = Signal::derive(move || archive.value().get().and_then(Result::err));
    view! {
        <Title text="Customers" />
        <h1>"Customers"</h1>
        <form method="get" class="search" role="search">
            <label class="visually-hidden" for="customer-search">"Search customers"</label>
            <input id="customer-search" type="search" name="q" placeholder="Name starts with…" value=search />
            <label class="check"><input type="checkbox" name="archived" value="1" checked=show_archived /> "Show archived"</label>
            <button type="submit" class="button">"Search"</button>
        </form>
        <FormAlert error=archive_error />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match customers.await {
                    Ok(page) if page.rows.is_empty() => view! { <p class="empty">"No customers found."</p> }.into_any(),
                    Ok(page) => view! {
                        <table class="list" data-testid="customers">
                            <thead><tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Email"</th>
                                <th scope="col">"Currency"</th>
                                <th scope="col">"Terms"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|customer| view! {
                                    <tr class:archived=customer.archived>
                                        <td>
                                            <a href=format!("/app/invoices?customer={}", customer.id)>{customer.name}</a>
                                        </td>
                                        <td>{customer.emails}</td>
                                        <td>{customer.currency}</td>
                                        <td>{format!("{} days", customer.payment_terms_days)}</td>
                                        <td class="actions">
                                            <ActionForm action=archive attr:class="inline" attr:hidden=!may_write>
                                                <input type="hidden" name="id" value=customer.id.to_string() />
                                                <input type="hidden" name="archived" value=(!customer.archived).to_string() />
                                                <button type="submit" class="link">{if customer.archived { "Restore" } else { "Archive" }}</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {page.next_after.map(|after| view! {
                            <a class="button" href=format!("?q={}&after={after}", crate::domain::next_path::encode(&search()))>"Next page"</a>
                        })}
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
        <section class="panel" hidden=!may_write>
            <h2>"New customer"</h2>
            <Show when=move || matches!(save.value().get(), Some(Ok(_)))>
                <div class="notice" role="status">"Customer saved."</div>
            </Show>
            <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                <FormAlert error />
                <Field label="Name" name="name" id="customer-name" error />
                <Field label="Billing emails" name="emails" kind="email" hint="Separate several with commas." error />
                <div class="field">
                    <label for="customer-currency">"Currency"</label>
                    <select id="customer-currency" name="currency">
                        {Currency::all().map(|currency| view! {
                            <option value=currency.code() selected=currency.code() == "EUR">{currency.code()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <Field label="Payment terms (days)" name="payment_terms_days" kind="number" error />
                <Field label="Tax id" name="tax_id" error />
                <div class="field">
                    <label for="customer-address">"Billing address"</label>
                    <textarea id="customer-address" name="address" rows="3"></textarea>
                </div>
                <div class="field">
                    <label for="customer-notes">"Notes"</label>
                    <textarea id="customer-notes" name="notes" rows="2"></textarea>
                </div>
                <button type="submit" class="button primary" disabled=move || save.pending().get()>"Add customer"</button>
            </ActionForm>
        </section>
    }
}
