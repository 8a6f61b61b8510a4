use crate::api::organization::{
    SaveBillingIdentity, SetSecondFactorPolicy, SetTimeZone, billing_identity,
    organization_settings,
};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::FormAlert;
use crate::domain::invoice::TaxRounding;
use crate::pages::organization_delivery::{DeliverySection, PayoutSection, ReportsSection};
use crate::pages::organization_payments::PaymentsSection;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let policy = ServerAction::<SetSecondFactorPolicy>::new();
    let settings = Resource::new(move || policy.version().get(), |_| organization_settings());
    let error = Signal::derive(move || other_error(policy.value().get()));
    let must_confirm = Signal::derive(move || needs_confirmation(policy.value().get()));
    view! {
        <Title text="Organization" />
        <h1>"Organization"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! {
                        <section class="panel" data-testid="second-factor-policy">
                            <h2>"Two-step verification for everyone"</h2>
                            <p>
                                {if settings.require_second_factor {
                                    "Required: members without an authenticator app are asked to set one up and cannot reach the organization's data until they do."
                                } else {
                                    "Optional: each member decides for themselves."
                                }}
                            </p>
                            <ConfirmIdentity when=must_confirm />
                            <FormAlert error />
                            <ActionForm action=policy attr:class="inline">
                                <input type="hidden" name="required" value=(!settings.require_second_factor).to_string() />
                                <button type="submit" class="button">
                                    {if settings.require_second_factor { "Make it optional" } else { "Require it for every member" }}
                                </button>
                            </ActionForm>
                        </section>
                    }
                        .into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
        <ReportsSection />
        <BillingSection />
        <PayoutSection />
        <PaymentsSection />
        <DeliverySection />
        <TimeZoneSection />
    }
}

/// The organization's calendar: its IANA time zone (owners change it).
#[component]
fn TimeZoneSection() -> impl IntoView {
    let save = ServerAction::<SetTimeZone>::new();
    let billing = Resource::new(move || save.version().get(), |_| billing_identity());
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <section class="panel" data-testid="time-zone-settings">
            <h2>"Time zone"</h2>
            <p class="hint">"Today, issue and due dates, overdue and this month's figures follow this zone."</p>
            <Show when=move || matches!(save.value().get(), Some(Ok(())))>
                <div class="notice" role="status">"Saved."</div>
            </Show>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match billing.await {
                        Ok(current) => view! {
                            <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                                <FormAlert error />
                                <div class="field">
                                    <label for="time-zone">"Time zone"</label>
                                    <select id="time-zone" name="time_zone" disabled=!current.may_change_time_zone>
                                        {current.time_zones.iter().map(|zone| view! {
                                            <option value=zone.clone() selected=*zone == current.time_zone>{zone.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    {(!current.may_change_time_zone).then(|| view! { <p class="hint">"Only an owner changes it."</p> })}
                                </div>
                                <button type="submit" class="button primary" disabled=!current.may_change_time_zone>"Save time zone"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The seller's details on documents, and the number formats.
#[component]
fn BillingSection() -> impl IntoView {
    let save = ServerAction::<SaveBillingIdentity>::new();
    let billing = Resource::new(move || save.version().get(), |_| billing_identity());
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <section class="panel" data-testid="billing-settings">
            <h2>"On your invoices"</h2>
            <Show when=move || matches!(save.value().get(), Some(Ok(())))>
                <div class="notice" role="status">"Saved. New documents use these details; issued ones keep theirs."</div>
            </Show>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match billing.await {
                        Ok(current) => view! {
                            <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                                <FormAlert error />
                                <div class="field">
                                    <label for="billing-address">"Your address"</label>
                                    <textarea id="billing-address" name="address" rows="3">{current.address}</textarea>
                                </div>
                                <div class="field">
                                    <label for="billing-tax-id">"Your tax id"</label>
                                    <input id="billing-tax-id" name="tax_id" value=current.tax_id />
                                </div>
                                <div class="field">
                                    <label for="invoice-format">"Invoice numbers"</label>
                                    <input id="invoice-format" name="invoice_number_format" value=current.invoice_number_format />
                                    <p class="hint">"{YYYY}, {YY}, {MM} and one counter such as {0000}."</p>
                                    <p class="field-error" role="alert">{move || error.get().filter(|error| error.field() == Some("invoice_number_format")).map(|error| error.to_string())}</p>
                                    <label class="check"><input type="checkbox" name="invoice_number_yearly" value="true" checked=current.invoice_number_yearly /> "Start again at 1 every year"</label>
                                </div>
                                <div class="field">
                                    <label for="credit-format">"Credit note numbers"</label>
                                    <input id="credit-format" name="credit_note_number_format" value=current.credit_note_number_format />
                                    <p class="field-error" role="alert">{move || error.get().filter(|error| error.field() == Some("credit_note_number_format")).map(|error| error.to_string())}</p>
                                    <label class="check"><input type="checkbox" name="credit_note_number_yearly" value="true" checked=current.credit_note_number_yearly /> "Start again at 1 every year"</label>
                                </div>
                                <div class="field">
                                    <label for="tax-rounding">"Tax rounding"</label>
                                    <select id="tax-rounding" name="tax_rounding">
                                        {[TaxRounding::PerRate, TaxRounding::PerLine].into_iter().map(|method| view! {
                                            <option value=method.as_str() selected=method == current.tax_rounding>{method.label()}</option>
                                        }).collect_view()}
                                    </select>
                                    <p class="hint">"EN 16931 rounds each rate's tax once, on the sum of its lines; some accounting systems expect each line rounded. Issued documents keep the method they were issued with."</p>
                                    <p class="field-error" role="alert">{move || error.get().filter(|error| error.field() == Some("tax_rounding")).map(|error| error.to_string())}</p>
                                </div>
                                <button type="submit" class="button primary">"Save"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
