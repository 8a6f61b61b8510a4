use crate::api::security::security_activity;
use crate::components::app_shell::can;
use crate::components::time::format_utc;
use crate::domain::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SecurityActivityPage() -> impl IntoView {
    let sees_everyone = can(Permission::TeamManage);
    let (whole_organization, set_whole_organization) = signal(false);
    let events = Resource::new(move || whole_organization.get(), security_activity);
    view! {
        <Title text="Security activity" />
        <h1>"Security activity"</h1>
        <p class="lead">"Sign-ins, failed attempts, password changes and sessions ended, newest first."</p>
        {sees_everyone.then(|| view! {
            <label class="toggle">
                <input
                    type="checkbox"
                    prop:checked=whole_organization
                    on:change=move |event| set_whole_organization.set(event_target_checked(&event))
                />
                " Everyone in the organization"
            </label>
        })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(events) if events.is_empty() => view! { <p>"Nothing recorded yet."</p> }.into_any(),
                    Ok(events) => view! {
                        <table class="list" data-testid="security-events">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"Device"</th>
                                    <th scope="col">"Address"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {events
                                    .into_iter()
                                    .map(|event| view! {
                                        <tr class:failed=!event.succeeded>
                                            <td>{format_utc(event.occurred_at)}</td>
                                            <td>{event.what}{(!event.succeeded).then(|| view! { <span class="badge warn">"refused"</span> })}</td>
                                            <td>{event.who.unwrap_or_else(|| "Unknown account".to_owned())}</td>
                                            <td>{event.device}</td>
                                            <td>{event.ip}</td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
