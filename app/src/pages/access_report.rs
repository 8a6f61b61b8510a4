//! For one customer: who can see it, and who did what with it.

use crate::api::customers::list_customers;
use crate::api::team::access_report;
use crate::components::time::format_utc;
use crate::pages::team::TeamTabs;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[component]
pub fn AccessReportPage() -> impl IntoView {
    let query = use_query_map();
    let customer = move || {
        query
            .read()
            .get("customer")
            .and_then(|id| id.parse::<Uuid>().ok())
    };
    let search = move || query.read().get("q").unwrap_or_default();
    let found = Resource::new(search, |search| list_customers(search, None, true));
    let report = Resource::new(customer, |customer| async move {
        match customer {
            Some(id) => access_report(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Title text="Access report" />
        <h1>"Access report"</h1>
        <TeamTabs />
        <form method="get" class="search" role="search">
            <label class="visually-hidden" for="access-search">"Find a customer"</label>
            <input id="access-search" type="search" name="q" placeholder="Customer name starts with…" value=search />
            <button type="submit" class="button">"Find"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                found.await.ok().map(|page| view! {
                    <ul class="choices">
                        {page.rows.into_iter().map(|row| view! {
                            <li><a href=format!("/app/team/access?customer={}", row.id)>{row.name}</a></li>
                        }).collect_view()}
                    </ul>
                })
            })}
        </Suspense>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(Some(report)) => view! {
                        <section class="panel" data-testid="access-report">
                            <h2>{format!("Who can see {}", report.customer.name)}</h2>
                            <table class="list">
                                <thead><tr>
                                    <th scope="col">"Member"</th>
                                    <th scope="col">"Role"</th>
                                    <th scope="col">"Through"</th>
                                </tr></thead>
                                <tbody>
                                    {report.can_see.into_iter().map(|row| view! {
                                        <tr>
                                            <td>{row.name}<br /><span class="muted">{row.email}</span></td>
                                            <td>{row.role_label}</td>
                                            <td>{row.reach}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <h2>"Who did what"</h2>
                            <table class="list">
                                <thead><tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"Details"</th>
                                </tr></thead>
                                <tbody>
                                    {report.activity.into_iter().map(|row| view! {
                                        <tr>
                                            <td>{format_utc(row.at)}</td>
                                            <td>{row.who}</td>
                                            <td><code>{row.action}</code></td>
                                            <td>{row.summary}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                    Ok(None) => view! { <p class="hint">"Choose a customer to see who can reach it."</p> }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
