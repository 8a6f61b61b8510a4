//! The organization page's delivery sections (issue 14): the mail
//! templates, link lifetimes and code rule; the payout details (owners,
//! after a step-up); and the reports of suspicious documents (owners).

use crate::api::delivery_settings::{
    SaveDeliverySettings, SavePayoutDetails, delivery_settings, suspicious_reports,
};
use crate::components::confirm_identity::{ConfirmIdentity, needs_confirmation, other_error};
use crate::components::form::FormAlert;
use crate::components::time::format_utc;
use crate::error::AppError;
use leptos::prelude::*;

/// A field's error under its input, when the last answer names it.
pub(crate) fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|error| error.field() == Some(field))
            .map(|error| view! { <p class="field-error" role="alert">{error.to_string()}</p> })
    }
}

/// Mail templates, link lifetimes and the code rule.
#[component]
pub fn DeliverySection() -> impl IntoView {
    let save = ServerAction::<SaveDeliverySettings>::new();
    let current = Resource::new(move || save.version().get(), |_| delivery_settings());
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    view! {
        <section class="panel" data-testid="delivery-settings">
            <h2>"Sending documents"</h2>
            <Show when=move || matches!(save.value().get(), Some(Ok(())))>
                <div class="notice" role="status">"Saved. Links already sent keep their expiry."</div>
            </Show>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(current) => view! {
                            <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                                <FormAlert error />
                                <div class="field">
                                    <label for="mail-subject">"Subject"</label>
                                    <input id="mail-subject" name="mail_subject" value=current.mail_subject placeholder=current.default_subject />
                                    <p class="hint">"Placeholders: {document}, {number}, {amount}, {due_date}, {organization}. Empty: the text shown."</p>
                                    {field_error(error, "mail_subject")}
                                </div>
                                <div class="field">
                                    <label for="mail-message">"Message"</label>
                                    <textarea id="mail-message" name="mail_message" rows="6" placeholder=current.default_message>{current.mail_message}</textarea>
                                    <p class="hint">"The link, its expiry, the fingerprint and the report link always follow it."</p>
                                    {field_error(error, "mail_message")}
                                </div>
                                <div class="field">
                                    <label for="link-days">"Links work until this many days after the due date"</label>
                                    <input id="link-days" name="link_days_after_due" inputmode="numeric" value=current.link_days_after_due.to_string() />
                                    {field_error(error, "link_days_after_due")}
                                </div>
                                <div class="field">
                                    <label for="link-max">"…and never longer than this many days after sending"</label>
                                    <input id="link-max" name="link_max_days" inputmode="numeric" value=current.link_max_days.to_string() />
                                    {field_error(error, "link_max_days")}
                                </div>
                                <label class="check">
                                    <input type="checkbox" name="require_code" value="true" checked=current.require_code />
                                    " Ask for an emailed code before any document opens (not only for all of a customer's documents)"
                                </label>
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

/// Where customers pay: changed by owners after a step-up.
#[component]
pub fn PayoutSection() -> impl IntoView {
    let save = ServerAction::<SavePayoutDetails>::new();
    let current = Resource::new(move || save.version().get(), |_| delivery_settings());
    let error = Signal::derive(move || other_error(save.value().get()));
    let must_confirm = Signal::derive(move || needs_confirmation(save.value().get()));
    view! {
        <section class="panel" data-testid="payout-settings">
            <h2>"Bank details for payments"</h2>
            <p class="hint">"Shown to customers on their documents. A change needs you to confirm it is you, is emailed to every owner, and for 14 days every document and mail says the details changed: the defence against someone redirecting your customers' payments."</p>
            <Show when=move || matches!(save.value().get(), Some(Ok(true)))>
                <div class="notice" role="status">"Saved. Every owner was emailed about the change."</div>
            </Show>
            <Show when=move || matches!(save.value().get(), Some(Ok(false)))>
                <div class="notice" role="status">"Nothing changed."</div>
            </Show>
            <ConfirmIdentity when=must_confirm />
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match current.await {
                        Ok(current) => {
                            let disabled = !current.may_change_bank;
                            view! {
                                {current.bank_changed_at.map(|at| view! {
                                    <p class="hint">"Last changed " {format_utc(at.unix_timestamp())} "."</p>
                                })}
                                <ActionForm action=save attr:class="stacked" attr:novalidate=true>
                                    <FormAlert error />
                                    <div class="field">
                                        <label for="bank-holder">"Account holder"</label>
                                        <input id="bank-holder" name="bank_holder" value=current.bank_holder disabled=disabled />
                                        {field_error(error, "bank_holder")}
                                    </div>
                                    <div class="field">
                                        <label for="bank-iban">"IBAN"</label>
                                        <input id="bank-iban" name="bank_iban" value=current.bank_iban disabled=disabled autocomplete="off" />
                                        {field_error(error, "bank_iban")}
                                    </div>
                                    <div class="field">
                                        <label for="bank-bic">"BIC"</label>
                                        <input id="bank-bic" name="bank_bic" value=current.bank_bic disabled=disabled autocomplete="off" />
                                        {field_error(error, "bank_bic")}
                                    </div>
                                    <div class="field">
                                        <label for="bank-text">"Other details (where IBAN is not used)"</label>
                                        <textarea id="bank-text" name="bank_text" rows="3" disabled=disabled>{current.bank_text}</textarea>
                                        {field_error(error, "bank_text")}
                                    </div>
                                    {disabled.then(|| view! { <p class="hint">"Only an owner changes them."</p> })}
                                    <button type="submit" class="button primary" disabled=disabled>"Save bank details"</button>
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

/// Reports of suspicious documents (owners; others see nothing).
#[component]
pub fn ReportsSection() -> impl IntoView {
    let reports = Resource::new(|| (), |()| suspicious_reports());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match reports.await {
                    Ok(rows) => view! {
                        <section class="panel" data-testid="suspicious-reports">
                            <h2>"Reports of suspicious documents"</h2>
                            {if rows.is_empty() {
                                view! { <p>"No customer has reported a document."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="table">
                                        <thead><tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Document"</th>
                                            <th scope="col">"Reason"</th>
                                            <th scope="col">"By"</th>
                                            <th scope="col">"What they wrote"</th>
                                        </tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|row| view! {
                                                <tr>
                                                    <td>{format_utc(row.created_at.unix_timestamp())}</td>
                                                    <td>{match row.invoice_id {
                                                        Some(id) => view! { <a href=format!("/app/invoices/{id}")>{row.reference.clone()}</a> }.into_any(),
                                                        None => view! { <span>{row.reference.clone()}</span> }.into_any(),
                                                    }}</td>
                                                    <td>{row.reason}</td>
                                                    <td>{row.reporter.unwrap_or_else(|| "anonymous".to_owned())}</td>
                                                    <td class="pre-wrap">{row.details}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    // Not an owner: the section is not theirs.
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}
