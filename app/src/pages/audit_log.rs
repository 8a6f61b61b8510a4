//! The audit log: every billing change, newest first, and whether the
//! chain still verifies.

use crate::api::audit::{list_audit_events, verify_audit_chain};
use crate::components::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let action = move || query.read().get("action").unwrap_or_default();
    let before = move || query.read().get("before").and_then(|seq| seq.parse().ok());
    let events = Resource::new(
        move || (action(), before()),
        |(action, before)| list_audit_events(action, before),
    );
    let chain = Resource::new(|| (), |_| verify_audit_chain());
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Checking the chain…"</p> }>
            {move || Suspend::new(async move {
                match chain.await {
                    Ok(status) if status.intact => view! {
                        <div class="notice" role="status" data-testid="chain-status">
                            {format!("The chain of {} events verifies: nothing was changed or removed.", status.events)}
                        </div>
                    }.into_any(),
                    Ok(status) => view! {
                        <div class="alert" role="alert" data-testid="chain-status">
                            {format!("The chain is broken at event {}: {}.", status.broken_at.unwrap_or_default(), status.reason.unwrap_or_default())}
                        </div>
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
        <form method="get" class="search">
            <label for="audit-action">"Action starts with"</label>
            <input id="audit-action" name="action" placeholder="invoice." value=action />
            <button type="submit" class="button">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => view! {
                        <table class="list" data-testid="audit-events">
                            <thead><tr>
                                <th scope="col">"#"</th>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"From"</th>
                            </tr></thead>
                            <tbody>
                                {page.events.into_iter().map(|event| view! {
                                    <tr>
                                        <td>{event.seq}</td>
                                        <td>{format_utc(event.at)}</td>
                                        <td>{event.actor}</td>
                                        <td><code>{event.action}</code></td>
                                        <td>{event.summary}</td>
                                        <td class="muted" title=event.request_id>{event.client_ip}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        {page.next_before.map(|before| view! {
                            <a class="button" href=format!("?action={}&before={before}", crate::domain::next_path::encode(&action()))>"Older events"</a>
                        })}
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
