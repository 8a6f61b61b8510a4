//! The organization page's card payments section (issue 15): the Stripe
//! keys (secrets shown masked, replaced by owners after a step-up) and
//! whether customers may pay part of an invoice online.

use crate::api::payment_settings::{SavePaymentSettings, payment_settings};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::FormAlert;
use crate::pages::organization_delivery::field_error;
use leptos::prelude::*;

#[component]
pub fn PaymentsSection() -> impl IntoView {
    let save = ServerAction::<SavePaymentSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| payment_settings());
    let error = Signal::derive(move || other_error(save.value().get()));
    let must_confirm = Signal::derive(move || needs_confirmation(save.value().get()));
    view! {
        <section class="panel" data-testid="payment-settings">
            <h2>"Card payments (Stripe)"</h2>
            <p class="hint">"Customers pay by card from their document's page; Stripe takes the card, Ledgerlock never sees it. The secret key and the webhook signing secret are stored encrypted and never shown again. A change needs you to confirm it is you and is emailed to every owner."</p>
            <Show when=move || matches!(save.value().get(), Some(Ok(true)))>
                <div class="notice" role="status">"Saved."</div>
            </Show>
            <Show when=move || matches!(save.value().get(), Some(Ok(false)))>
                <div class="notice" role="status">"Nothing changed."</div>
            </Show>
            <ConfirmIdentity when=must_confirm />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(current) => {
                            let disabled = !current.may_change;
                            let placeholder = |shown: &str| if shown.is_empty() {
                                "Not set".to_owned()
                            } else {
                                format!("{shown} (leave empty to keep)")
                            };
                            view! {
                                <p data-testid="payments-state">{if current.connected {
                                    "Connected: customers can pay by card."
                                } else {
                                    "Not connected: customers pay by bank transfer only."
                                }}</p>
                                <p class="hint">"In Stripe's dashboard, add a webhook endpoint at "
                                    <code>{current.webhook_url.clone()}</code>
                                    " for the events payment_intent.succeeded, payment_intent.payment_failed and charge.refunded, and paste its signing secret here."</p>
                                <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                                    <FormAlert error />
                                    <div class="field">
                                        <label for="stripe-publishable">"Publishable key"</label>
                                        <input id="stripe-publishable" name="publishable_key" value=current.publishable_key.clone() placeholder="pk_live_…" disabled=disabled autocomplete="off" />
                                        {field_error(error, "publishable_key")}
                                    </div>
                                    <div class="field">
                                        <label for="stripe-secret">"Secret key"</label>
                                        <input id="stripe-secret" name="secret_key" type="password" placeholder=placeholder(&current.secret_key) disabled=disabled autocomplete="off" />
                                        {field_error(error, "secret_key")}
                                    </div>
                                    <div class="field">
                                        <label for="stripe-webhook">"Webhook signing secret"</label>
                                        <input id="stripe-webhook" name="webhook_secret" type="password" placeholder=placeholder(&current.webhook_secret) disabled=disabled autocomplete="off" />
                                        {field_error(error, "webhook_secret")}
                                    </div>
                                    <label class="check">
                                        <input type="checkbox" name="partial_payments" value="true" checked=current.partial_payments disabled=disabled />
                                        " Customers may pay part of an invoice"
                                    </label>
                                    <div class="field">
                                        <label for="partial-minimum">"Smallest part payment"</label>
                                        <input id="partial-minimum" name="partial_minimum" inputmode="decimal" value=current.partial_minimum.clone() disabled=disabled />
                                        {field_error(error, "partial_minimum")}
                                    </div>
                                    {disabled.then(|| view! { <p class="hint">"Only an owner changes them."</p> })}
                                    <div class="actions">
                                        <button type="submit" class="button primary" disabled=disabled>"Save card payments"</button>
                                        {(current.connected && !disabled).then(|| view! {
                                            <button type="submit" class="button" name="disconnect" value="true">"Disconnect Stripe"</button>
                                        })}
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
