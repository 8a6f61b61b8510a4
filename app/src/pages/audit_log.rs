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
    // `?full=1` (the button below) walks every event; a visit checks the
    // events since the last check.
    let full = move || query.read().get("full").is_some_and(|value| value == "1");
    let chain = Resource::new(full, verify_audit_chain);
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Checking the chain…"</p> }>
            {move || Suspend::new(async move {
                match chain.await {
                    Ok(status) if status.intact => view! {
                        <div class="notice" role="status" data-testid="chain-status">
                            {chain_summary(status.events, status.checked_from)}
                            <form method="get" class="notice-action">
                                <input type="hidden" name="full" value="1" />
                                <button type="submit" class="button" data-testid="chain-full-check">"Check every event"</button>
                            </form>
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

/// What an intact check says: how many events the chain has and which of
/// them this check read (the rest were found intact by an earlier check).
fn chain_summary(events: u64, checked_from: i64) -> String {
    let first = u64::try_from(checked_from).unwrap_or(1).max(1);
    if first <= 1 {
        format!(
            "The chain of {events} events verifies: every event was checked, nothing was changed or removed."
        )
    } else if first > events {
        format!(
            "The chain of {events} events verifies: no event was added since the last check, which found events 1–{events} intact."
        )
    } else {
        format!(
            "The chain of {events} events verifies: events {first}–{events} were checked now, events 1–{} by an earlier check. Nothing was changed or removed since.",
            first - 1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::chain_summary;

    #[test]
    fn the_summary_says_which_events_this_check_read() {
        assert!(chain_summary(12, 1).contains("every event was checked"));
        assert!(
            chain_summary(12, 13).contains(
                "no event was added since the last check, which found events 1–12 intact"
            )
        );
        assert!(
            chain_summary(12, 10)
                .contains("events 10–12 were checked now, events 1–9 by an earlier check")
        );
    }
}
