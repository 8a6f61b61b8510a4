use crate::api::dashboard::dashboard_summary;
use crate::components::money::format_money;
use crate::components::revenue_chart::RevenueChart;
use crate::components::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| dashboard_summary());
    view! {
        <Title text="Dashboard" />
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(summary) => view! {
                        <section class="cards" aria-label="Your organization">
                            <article class="card">
                                <h2>"Organization"</h2>
                                <p class="figure" data-testid="organization-name">{summary.organization_name}</p>
                                <p class="detail">"Created " {format_utc(summary.organization_created_at)}</p>
                            </article>
                            <article class="card">
                                <h2>"Members"</h2>
                                <p class="figure" data-testid="member-count">{summary.member_count}</p>
                                <p class="detail">"People with access to this organization"</p>
                            </article>
                            <article class="card">
                                <h2>"This session"</h2>
                                <p class="figure" data-testid="session-started">{format_utc(summary.session_started_at)}</p>
                                <p class="detail">"When you signed in on this device"</p>
                            </article>
                        </section>
                        {summary.money.into_iter().map(|money| view! {
                            <section class="cards" aria-label=format!("Billing in {}", money.currency) data-testid="money">
                                <article class="card">
                                    <h2>"Outstanding"</h2>
                                    <p class="figure" data-testid="outstanding">{format_money(&money.currency, money.outstanding)}</p>
                                    <p class="detail">"Still to be paid on issued invoices"</p>
                                </article>
                                <article class="card">
                                    <h2>"Overdue"</h2>
                                    <p class="figure" data-testid="overdue">{format_money(&money.currency, money.overdue)}</p>
                                    <p class="detail"><a href="/app/invoices?status=overdue">"Past their due date"</a></p>
                                </article>
                                <article class="card">
                                    <h2>"Paid this month"</h2>
                                    <p class="figure" data-testid="paid-this-month">{format_money(&money.currency, money.paid_this_month)}</p>
                                    <p class="detail">"Payments received since the 1st"</p>
                                </article>
                                <article class="card wide">
                                    <h2>"Revenue, last 12 months"</h2>
                                    <RevenueChart currency=money.currency.clone() months=money.revenue_by_month />
                                </article>
                            </section>
                        }).collect_view()}
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
