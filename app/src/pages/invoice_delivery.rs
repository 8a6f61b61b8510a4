//! "Send" on an issued document: to whom (the customer's addresses unless
//! changed), an optional message, and each recipient's mail and link
//! (queued, sent, failed with the reason; opened; expiry), with revocation.

use crate::api::delivery::{IssueAndSend, RevokeDocumentLinks, SendDocument, document_deliveries};
use crate::components::form::FormAlert;
use crate::components::time::format_utc;
use leptos::prelude::*;
use uuid::Uuid;

/// The actions and the list the panel shows, made by the page (outside
/// its Suspense, so they live as long as the page and refetch on change).
#[derive(Clone, Copy)]
pub struct DeliveryPanelState {
    pub send: ServerAction<SendDocument>,
    /// "Issue and send" on a draft (the page's buttons).
    pub issue_and_send: ServerAction<IssueAndSend>,
    pub revoke: ServerAction<RevokeDocumentLinks>,
    pub list: Resource<Result<Vec<crate::api::delivery::Delivery>, crate::error::AppError>>,
}

impl DeliveryPanelState {
    /// For document `id` (from the route): mail leaves in the background,
    /// so the list is read again every few seconds while the page is open,
    /// and "queued" turns into "sent" (or a failure).
    pub fn new(id: impl Fn() -> Option<Uuid> + Send + Sync + 'static) -> Self {
        let send = ServerAction::<SendDocument>::new();
        let issue_and_send = ServerAction::<IssueAndSend>::new();
        let revoke = ServerAction::<RevokeDocumentLinks>::new();
        // An effect runs in the browser only: timers do not exist on the server.
        let tick = RwSignal::new(0_u32);
        Effect::new(move || {
            if let Ok(handle) = set_interval_with_handle(
                move || tick.update(|tick| *tick = tick.wrapping_add(1)),
                std::time::Duration::from_secs(3),
            ) {
                on_cleanup(move || handle.clear());
            }
        });
        let list = Resource::new(
            move || {
                (
                    id(),
                    send.version().get(),
                    issue_and_send.version().get(),
                    revoke.version().get(),
                    tick.get(),
                )
            },
            |(id, ..)| async move {
                match id {
                    Some(id) => document_deliveries(id).await,
                    None => Ok(Vec::new()),
                }
            },
        );
        Self {
            send,
            issue_and_send,
            revoke,
            list,
        }
    }
}

#[component]
pub fn DeliveryPanel(
    id: Uuid,
    customer_emails: String,
    may_send: bool,
    state: DeliveryPanelState,
) -> impl IntoView {
    let DeliveryPanelState {
        send,
        revoke,
        list: deliveries,
        ..
    } = state;
    let send_error = Signal::derive(move || send.value().get().and_then(Result::err));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(Result::err));
    let sent = move || {
        send.value()
            .get()
            .and_then(Result::ok)
            .map(|count| format!("Queued for {count} recipient(s). Each gets a fresh link."))
    };
    view! {
        <section class="panel" data-testid="delivery">
            <h2>"Send to the customer"</h2>
            {may_send.then(|| view! {
                <ActionForm action=send attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=send_error />
                    <input type="hidden" name="id" value=id.to_string() />
                    <div class="field">
                        <label for="send-recipients">"Recipients"</label>
                        <input id="send-recipients" name="recipients" type="text" value=customer_emails.clone() aria-describedby="send-recipients-hint" />
                        <p class="hint" id="send-recipients-hint">"Comma-separated. Each gets their own link to this document alone."</p>
                    </div>
                    <div class="field">
                        <label for="send-message">"Message (optional)"</label>
                        <textarea id="send-message" name="message" rows="4" placeholder="The organization's message is used when this is empty."></textarea>
                    </div>
                    <button type="submit" class="button primary" data-testid="send">"Send"</button>
                    <p class="notice" role="status">{sent}</p>
                </ActionForm>
            })}
            <FormAlert error=revoke_error />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match deliveries.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"Not sent yet."</p> }.into_any(),
                        Ok(rows) => view! {
                            <table class="list" data-testid="deliveries">
                                <thead><tr>
                                    <th scope="col">"Recipient"</th>
                                    <th scope="col">"Mail"</th>
                                    <th scope="col">"Link"</th>
                                    <th scope="col">"Opened"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|row| {
                                        let link = if row.revoked {
                                            "revoked".to_owned()
                                        } else if row.expired {
                                            "expired".to_owned()
                                        } else {
                                            format!("until {}", row.expires_at.date())
                                        };
                                        let live = !row.revoked && !row.expired;
                                        let email = row.email.clone();
                                        view! {
                                            <tr data-testid="delivery-row">
                                                <td>{row.email.clone()}</td>
                                                <td>
                                                    <span class=format!("status delivery-{}", row.state.label())>{row.state.label()}</span>
                                                    {row.error.clone().map(|error| view! { <span class="hint">" " {error}</span> })}
                                                </td>
                                                <td>{link}</td>
                                                <td>{row.opened_at.map(|at| format_utc(at.unix_timestamp())).unwrap_or_default()}</td>
                                                <td class="actions">
                                                    <ActionForm action=revoke attr:class="inline" attr:hidden=!live || !may_send>
                                                        <input type="hidden" name="id" value=id.to_string() />
                                                        <input type="hidden" name="email" value=email />
                                                        <button type="submit" class="link">"Revoke link"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=revoke attr:class="inline" attr:hidden=!may_send>
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="link danger">"Revoke all links to this document"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
