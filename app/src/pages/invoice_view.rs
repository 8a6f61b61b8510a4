//! One invoice or credit note: its lines and totals, payments, credit
//! notes, seal, history, and what can be done with it now.

use crate::api::invoices::{
    ApplyCredit, DeleteDraft, InvoiceDetail, IssueInvoice, MarkPaid, MarkUnpaid, RecordPayment,
    RefundCredit, VoidInvoice, get_invoice, start_credit_note,
};
use crate::components::app_shell::can;
use crate::components::form::{Field, FormAlert};
use crate::components::money::format_money;
use crate::components::time::format_utc;
use crate::domain::Permission;
use crate::domain::invoice_status::InvoiceStatus;
use crate::pages::invoice_delivery::{DeliveryPanel, DeliveryPanelState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

#[component]
pub fn InvoiceViewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<Uuid>().ok())
    };
    let issue = ServerAction::<IssueInvoice>::new();
    let pay = ServerAction::<RecordPayment>::new();
    let mark_paid = ServerAction::<MarkPaid>::new();
    let mark_unpaid = ServerAction::<MarkUnpaid>::new();
    let void = ServerAction::<VoidInvoice>::new();
    let delete = ServerAction::<DeleteDraft>::new();
    let credit = Action::new(move |id: &Uuid| start_credit_note(*id));
    let credits = CreditActions {
        refund: ServerAction::new(),
        apply: ServerAction::new(),
    };
    let delivery = DeliveryPanelState::new(id);
    let invoice = Resource::new(
        move || {
            (
                id(),
                issue.version().get(),
                pay.version().get(),
                mark_paid.version().get(),
                mark_unpaid.version().get(),
                void.version().get(),
                credits.refund.version().get(),
                credits.apply.version().get(),
                delivery.issue_and_send.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_invoice(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(note)) = credit.value().get() {
            navigate(&format!("/app/invoices/{note}/edit"), Default::default());
        }
    });
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/app/invoices", Default::default());
        }
    });
    let pay_error = Signal::derive(move || pay.value().get().and_then(Result::err));
    let void_error = Signal::derive(move || void.value().get().and_then(Result::err));
    let action_error = Signal::derive(move || {
        issue
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| mark_paid.value().get().and_then(Result::err))
            .or_else(|| mark_unpaid.value().get().and_then(Result::err))
            .or_else(|| delete.value().get().and_then(Result::err))
            .or_else(|| credit.value().get().and_then(Result::err))
            .or_else(|| delivery.issue_and_send.value().get().and_then(Result::err))
    });
    view! {
        <Title text="Invoice" />
        <FormAlert error=action_error />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match invoice.await {
                    Ok(detail) => view! { <Document detail issue mark_paid mark_unpaid delete credit pay pay_error void void_error credits delivery /> }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn Document(
    detail: InvoiceDetail,
    issue: ServerAction<IssueInvoice>,
    mark_paid: ServerAction<MarkPaid>,
    mark_unpaid: ServerAction<MarkUnpaid>,
    delete: ServerAction<DeleteDraft>,
    credit: Action<Uuid, Result<Uuid, crate::error::AppError>>,
    pay: ServerAction<RecordPayment>,
    pay_error: Signal<Option<crate::error::AppError>>,
    void: ServerAction<VoidInvoice>,
    void_error: Signal<Option<crate::error::AppError>>,
    credits: CreditActions,
    delivery: DeliveryPanelState,
) -> impl IntoView {
    let code = detail.currency.clone();
    let money = move |amount| format_money(&code, amount);
    let status = detail.status;
    let kind = if detail.is_credit_note {
        "Credit note"
    } else {
        "Invoice"
    };
    let title = format!(
        "{kind} {}",
        detail.number.clone().unwrap_or_else(|| "(draft)".into())
    );
    let payable = !detail.is_credit_note
        && matches!(
            status,
            InvoiceStatus::Unpaid | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue
        );
    let invoice_id = detail.id;
    let is_credit_note = detail.is_credit_note;
    // What this member may do (the server checks it again).
    let may_write = can(Permission::InvoicesWrite);
    let may_issue = can(Permission::InvoicesIssue);
    let may_pay = can(Permission::PaymentsRecord);
    let today = detail.today;
    let may_void = can(Permission::InvoicesVoid);
    let customer_emails = detail.customer_emails.clone();
    let voidable = may_void
        && !matches!(status, InvoiceStatus::Draft | InvoiceStatus::Void)
        && detail.paid.is_zero()
        && detail.credited.is_zero();
    view! {
        <div class="page-head">
            <h1 data-testid="invoice-title">{title}</h1>
            <span class=format!("status status-{}", status.as_str()) data-testid="invoice-status">{status.label()}</span>
        </div>
        <div class="actions">
            <a class="button" href=format!("/app/invoices/{invoice_id}/pdf") rel="external" download>"Download PDF"</a>
            <Show when=move || status == InvoiceStatus::Draft && may_write>
                <a class="button" href=format!("/app/invoices/{invoice_id}/edit")>"Edit"</a>
            </Show>
            <Show when=move || status == InvoiceStatus::Draft && may_issue>
                <ActionForm action=issue attr:class="inline">
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <button type="submit" class="button primary">"Mark as sent"</button>
                </ActionForm>
                {
                    let emails = customer_emails.clone();
                    (!emails.is_empty()).then(move || {
                        let title = format!("Issue, then email it to {emails}");
                        view! {
                            <ActionForm action=delivery.issue_and_send attr:class="inline">
                                <input type="hidden" name="id" value=invoice_id.to_string() />
                                <input type="hidden" name="recipients" value=emails />
                                <button type="submit" class="button primary" data-testid="issue-and-send" title=title>"Issue and send"</button>
                            </ActionForm>
                        }
                    })
                }
            </Show>
            <Show when=move || status == InvoiceStatus::Draft && may_write>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <button type="submit" class="button danger">"Delete draft"</button>
                </ActionForm>
            </Show>
            <Show when=move || payable && may_pay>
                <ActionForm action=mark_paid attr:class="inline">
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <button type="submit" class="button primary">"Mark paid"</button>
                </ActionForm>
            </Show>
            <Show when=move || status == InvoiceStatus::Paid && !is_credit_note && may_pay>
                <ActionForm action=mark_unpaid attr:class="inline">
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <button type="submit" class="button">"Mark unpaid"</button>
                </ActionForm>
            </Show>
            <Show when=move || payable && may_void>
                <button type="button" class="button" on:click=move |_| { credit.dispatch(invoice_id); }>"Credit note"</button>
            </Show>
        </div>
        <section class="panel document">
            <p>"To " <strong>{detail.customer_name.clone()}</strong></p>
            <p>{format!("Issued {} · due {} · prices {} tax", detail.issue_date, detail.due_date, if detail.price_mode == crate::domain::invoice::PriceMode::Inclusive { "include" } else { "exclude" })}</p>
            {detail.credited_invoice.clone().map(|original| view! {
                <p>"Corrects invoice " <a href=format!("/app/invoices/{}", original.id)>{original.number.unwrap_or_default()}</a></p>
            })}
            <table class="list lines-view">
                <thead><tr>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="number">"Quantity"</th>
                    <th scope="col" class="number">"Unit price"</th>
                    <th scope="col" class="number">"Discount"</th>
                    <th scope="col">"Tax"</th>
                    <th scope="col" class="number">"Amount"</th>
                </tr></thead>
                <tbody>
                    {detail.lines.iter().map(|line| view! {
                        <tr>
                            <td class="description">{line.description.clone()}</td>
                            <td class="number">{line.quantity.to_string()}</td>
                            <td class="number">{line.unit_price.to_string()}</td>
                            <td class="number">{format!("{}%", line.discount_percent)}</td>
                            <td>{line.tax_name.clone().map(|name| format!("{name} {}%", line.tax_percent.unwrap_or_default())).unwrap_or_default()}</td>
                            <td class="number">{money(line.gross)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="totals">
                <dt>"Net"</dt><dd>{money(detail.net)}</dd>
                <dt>"Tax rounded"</dt><dd data-testid="tax-rounding">{detail.tax_rounding.label()}</dd>
                {detail.taxes.iter().map(|row| view! {
                    <dt>{format!("{} {}% on {}", row.name, row.percent, money(row.net))}</dt><dd>{money(row.tax)}</dd>
                }).collect_view()}
                <dt>"Total"</dt><dd data-testid="invoice-total"><strong>{money(detail.total)}</strong></dd>
                <dt>"Credited"</dt><dd>{money(detail.credited)}</dd>
                <dt>"Paid"</dt><dd>{money(detail.paid)}</dd>
                <dt>"Balance due"</dt><dd data-testid="invoice-balance"><strong>{money(detail.balance)}</strong></dd>
            </dl>
            {(!detail.notes.is_empty()).then(|| view! { <p class="notes">{detail.notes.clone()}</p> })}
            {(!detail.terms.is_empty()).then(|| view! { <p class="notes">{detail.terms.clone()}</p> })}
            {detail.seal_hash.clone().map(|hash| view! {
                <p class="seal" data-testid="seal">
                    {if detail.seal_intact == Some(true) { "Sealed, and unchanged since: " } else { "Sealed, but the stored document no longer matches its seal: " }}
                    <code>{hash}</code>
                </p>
            })}
            {detail.void_reason.clone().map(|reason| view! { <p class="alert">"Void: " {reason}</p> })}
        </section>
        <Show when=move || payable && may_pay>
            <section class="panel">
                <h2>"Record a payment"</h2>
                <ActionForm action=pay attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=pay_error />
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <div class="field">
                        <label for="paid-on">"Date"</label>
                        <input id="paid-on" type="date" name="paid_on" value=today.to_string() />
                    </div>
                    <Field label="Amount" name="amount" id="payment-amount" error=pay_error />
                    <Field label="Method" name="method" id="payment-method" hint="Bank transfer, card, cash…" error=pay_error />
                    <Field label="Reference" name="reference" id="payment-reference" error=pay_error />
                    <button type="submit" class="button primary">"Record payment"</button>
                </ActionForm>
            </section>
        </Show>
        {(!detail.payments.is_empty()).then(|| view! {
            <section class="panel" data-testid="payments">
                <h2>"Payments"</h2>
                <table class="list">
                    <tbody>
                        {detail.payments.iter().map(|payment| view! {
                            <tr class:reversed=payment.reversed>
                                <td>{payment.paid_on.to_string()}</td>
                                <td>{payment.method.clone()}</td>
                                <td>{payment.reference.clone()}</td>
                                <td class="number">{format_money(&detail.currency, payment.amount)}</td>
                                <td>{if payment.reversed { "reversed" } else { "" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
        {(may_pay && detail.credit > rust_decimal::Decimal::ZERO).then(|| view! { <CustomerCredit detail=detail.clone() credits /> })}
        {(!matches!(status, InvoiceStatus::Draft | InvoiceStatus::Void)).then(|| view! {
            <DeliveryPanel id=invoice_id customer_emails=detail.customer_emails.clone() may_send=may_issue state=delivery />
        })}
        {(!detail.credit_notes.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"Credit notes"</h2>
                <ul class="plain">
                    {detail.credit_notes.iter().map(|note| view! {
                        <li><a href=format!("/app/invoices/{}", note.id)>{note.number.clone().unwrap_or_else(|| "Draft".into())}</a> " " {format_money(&detail.currency, note.total)}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <Show when=move || voidable>
            <section class="panel">
                <h2>"Void"</h2>
                <ActionForm action=void attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=void_error />
                    <input type="hidden" name="id" value=invoice_id.to_string() />
                    <Field label="Reason" name="reason" id="void-reason" error=void_error />
                    <button type="submit" class="button danger">"Void this document"</button>
                </ActionForm>
            </section>
        </Show>
        <section class="panel" data-testid="history">
            <h2>"History"</h2>
            <ol class="history">
                {detail.history.iter().map(|entry| view! {
                    <li><span class="muted">{format_utc(entry.at)}</span> " " <code>{entry.action.clone()}</code> " " {entry.summary.clone()}</li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// What a credit note left the customer on a paid invoice.
#[derive(Clone, Copy)]
struct CreditActions {
    refund: ServerAction<RefundCredit>,
    apply: ServerAction<ApplyCredit>,
}

/// The customer's credit on this invoice: refund it, or let it settle
/// another of their open invoices.
#[component]
fn CustomerCredit(detail: InvoiceDetail, credits: CreditActions) -> impl IntoView {
    let refund_error = Signal::derive(move || credits.refund.value().get().and_then(Result::err));
    let apply_error = Signal::derive(move || credits.apply.value().get().and_then(Result::err));
    let credit = format_money(&detail.currency, detail.credit);
    let id = detail.id.to_string();
    let apply_id = id.clone();
    let targets = detail.credit_targets.clone();
    view! {
        <section class="panel" data-testid="customer-credit">
            <h2>"Customer credit: " {credit}</h2>
            <p class="hint">"A credit note left more than this invoice still owed. Pay it back, or let it settle another invoice of this customer."</p>
            <ActionForm action=credits.refund attr:class="stacked" attr:novalidate=true>
                <FormAlert error=refund_error />
                <input type="hidden" name="id" value=id.clone() />
                <div class="field">
                    <label for="refund-on">"Refunded on"</label>
                    <input id="refund-on" type="date" name="paid_on" value=detail.today.to_string() />
                </div>
                <Field label="Amount" name="amount" id="refund-amount" error=refund_error />
                <Field label="Method" name="method" id="refund-method" hint="Bank transfer, card…" error=refund_error />
                <Field label="Reference" name="reference" id="refund-reference" error=refund_error />
                <button type="submit" class="button">"Record refund"</button>
            </ActionForm>
            {(!targets.is_empty()).then(|| view! {
                <ActionForm action=credits.apply attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=apply_error />
                    <input type="hidden" name="id" value=apply_id />
                    <div class="field">
                        <label for="credit-to">"Apply to invoice"</label>
                        <select id="credit-to" name="to">
                            {targets.iter().map(|target| view! {
                                <option value=target.id.to_string()>{format!("{} (owes {})", target.number, format_money(&detail.currency, target.balance))}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="button">"Apply credit"</button>
                </ActionForm>
            })}
        </section>
    }
}
