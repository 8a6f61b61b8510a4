use crate::api::dashboard::dashboard_summary;
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
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
