use crate::api::sessions::{EndOtherSessions, EndSession, list_sessions};
use crate::components::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    // Reload the list after every sign-out from here.
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| list_sessions(),
    );
    let error = move || {
        end_one
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| end_others.value().get().and_then(Result::err))
            .map(|error| error.to_string())
    };
    view! {
        <Title text="Sessions" />
        <h1>"Sessions"</h1>
        <p class="lead">
            "Everywhere your account is signed in. Sign out any session you do not recognise, "
            "then change your password."
        </p>
        {move || error().map(|message| view! { <div class="alert" role="alert">{message}</div> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(list) => {
                        let others = list.iter().filter(|session| !session.is_current).count();
                        view! {
                            <table class="list" data-testid="sessions">
                                <thead>
                                    <tr>
                                        <th scope="col">"Device"</th>
                                        <th scope="col">"Address"</th>
                                        <th scope="col">"Signed in"</th>
                                        <th scope="col">"Last active"</th>
                                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|session| {
                                            // Every row has the same nodes; only text, classes and
                                            // attributes depend on which session is this one. If the
                                            // server's render and the hydration data ever disagree
                                            // (a session changing between them), hydration corrects
                                            // the row instead of failing on a missing node.
                                            let is_current = session.is_current;
                                            view! {
                                                <tr class:current=is_current>
                                                    <td>
                                                        <span>{session.device}</span>
                                                        <span class="badge" class:empty=!is_current>
                                                            {if is_current { "This device" } else { "" }}
                                                        </span>
                                                    </td>
                                                    <td>{session.ip}</td>
                                                    <td>{format_utc(session.signed_in_at)}</td>
                                                    <td>{format_utc(session.last_seen_at)}</td>
                                                    <td class="actions">
                                                        <ActionForm action=end_one attr:class="inline" attr:hidden=is_current>
                                                            <input type="hidden" name="id" value=session.id.clone() />
                                                            <button type="submit" class="link">"Sign out"</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=end_others attr:class="inline" attr:hidden=others == 0>
                                <button type="submit" class="button">
                                    {format!("Sign out the {others} other session{}", if others == 1 { "" } else { "s" })}
                                </button>
                            </ActionForm>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}
