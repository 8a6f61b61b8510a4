//! Writing an invoice (a new draft, or changing a draft). The totals under
//! the lines are computed in the browser by the domain code the server runs
//! when it stores the draft, so what is shown is what will be stored.

use crate::api::customers::{CustomerView, list_customers};
use crate::api::invoices::{InvoiceForm, LineForm, editor_defaults, get_invoice, save_draft};
use crate::api::products::{ProductView, TaxRateView, list_products, list_tax_rates};
use crate::components::browser_data::browser_data;
use crate::components::money::format_money;
use crate::domain::invoice::{self, Draft, LineInput, LineTax, PriceMode, TaxRounding};
use crate::domain::money::Currency;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

/// One editable line; `key` keeps each row's inputs when lines are removed.
#[derive(Clone, Copy)]
struct LineState {
    key: usize,
    description: RwSignal<String>,
    quantity: RwSignal<String>,
    unit_price: RwSignal<String>,
    discount: RwSignal<String>,
    tax_rate_id: RwSignal<Option<Uuid>>,
}

impl LineState {
    fn new(key: usize) -> Self {
        Self {
            key,
            description: RwSignal::new(String::new()),
            quantity: RwSignal::new("1".into()),
            unit_price: RwSignal::new(String::new()),
            discount: RwSignal::new(String::new()),
            tax_rate_id: RwSignal::new(None),
        }
    }

    fn form(&self) -> LineForm {
        LineForm {
            description: self.description.get(),
            quantity: self.quantity.get(),
            unit_price: self.unit_price.get(),
            discount_percent: self.discount.get(),
            tax_rate_id: self.tax_rate_id.get(),
        }
    }
}

/// The domain's totals for what is typed, or the first thing to fix.
fn live_totals(
    form: &InvoiceForm,
    rates: &[TaxRateView],
    tax_rounding: TaxRounding,
) -> Result<invoice::Totals, String> {
    let currency = Currency::parse(&form.currency).map_err(|error| error.message)?;
    let mut lines = Vec::with_capacity(form.lines.len());
    for (index, line) in form.lines.iter().enumerate() {
        let tax = line
            .tax_rate_id
            .and_then(|id| rates.iter().find(|rate| rate.id == id))
            .map(|rate| LineTax {
                name: rate.name.clone(),
                percent: rate.percent,
            });
        let input = LineInput {
            description: line.description.clone(),
            quantity: line.quantity.clone(),
            unit_price: line.unit_price.clone(),
            discount_percent: line.discount_percent.clone(),
        };
        let parsed = invoice::parse_line(index, &input, tax)
            .map_err(|error| format!("Line {}: {}", index + 1, error.message))?;
        lines.push(parsed);
    }
    let discount_percent = invoice::parse_percent(&form.discount_percent, "discount_percent")
        .map_err(|error| error.message)?;
    let totals = invoice::totals(&Draft {
        currency,
        price_mode: form.price_mode,
        tax_rounding,
        discount_percent,
        lines,
    })
    .map_err(|_| "These amounts are too large.".to_owned())?;
    invoice::check_total(currency, totals.total).map_err(|error| error.message)?;
    Ok(totals)
}

#[component]
pub fn InvoiceEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<Uuid>().ok())
    };
    let customer_search = RwSignal::new(String::new());
    let customers = Resource::new(
        move || customer_search.get(),
        |search| list_customers(search, None, false),
    );
    // Loaded in the browser only, after hydration (see `browser_data`): the
    // line rows read them outside any Suspense of their own.
    let rates = browser_data(list_tax_rates);
    let products = browser_data(|| list_products(String::new()));
    let defaults = browser_data(editor_defaults);
    let existing = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_invoice(id).await.map(Some),
            None => Ok(None),
        }
    });

    let customer = RwSignal::new(None::<CustomerView>);
    // Empty: the day it is issued, and the customer's payment terms from then.
    let issue_date = RwSignal::new(String::new());
    let due_date = RwSignal::new(String::new());
    // An existing document keeps its method; a new one takes the organization's.
    let tax_rounding = RwSignal::new(None::<TaxRounding>);
    let price_mode = RwSignal::new(PriceMode::Exclusive);
    let discount = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let terms = RwSignal::new(String::new());
    let next_key = StoredValue::new(1_usize);
    let lines = RwSignal::new(vec![LineState::new(0)]);
    let add_line = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        lines.update(|lines| lines.push(LineState::new(key)));
    };

    // An existing draft fills the form once.
    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) {
            return true;
        }
        let Some(Ok(Some(detail))) = existing.get() else {
            return false;
        };
        customer.set(Some(CustomerView {
            id: detail.customer_id,
            name: detail.customer_name.clone(),
            currency: detail.currency.clone(),
            emails: String::new(),
            address: String::new(),
            tax_id: String::new(),
            payment_terms_days: 0,
            notes: String::new(),
            archived: false,
        }));
        if detail.issue_date_chosen {
            issue_date.set(detail.issue_date.to_string());
        }
        if detail.due_date_chosen {
            due_date.set(detail.due_date.to_string());
        }
        if detail.is_credit_note {
            tax_rounding.set(Some(detail.tax_rounding));
        }
        price_mode.set(detail.price_mode);
        discount.set(detail.discount_percent.to_string());
        notes.set(detail.notes.clone());
        terms.set(detail.terms.clone());
        let loaded_lines: Vec<LineState> = detail
            .lines
            .iter()
            .enumerate()
            .map(|(key, line)| {
                let state = LineState::new(key);
                state.description.set(line.description.clone());
                state.quantity.set(line.quantity.to_string());
                state.unit_price.set(line.unit_price.to_string());
                state.discount.set(line.discount_percent.to_string());
                state.tax_rate_id.set(line.tax_rate_id);
                state
            })
            .collect();
        next_key.set_value(loaded_lines.len() + 1);
        lines.set(loaded_lines);
        true
    });

    let form = move || InvoiceForm {
        customer_id: customer.get().map(|customer| customer.id),
        currency: customer
            .get()
            .map(|customer| customer.currency)
            .unwrap_or_default(),
        issue_date: issue_date.get(),
        due_date: due_date.get(),
        price_mode: price_mode.get(),
        discount_percent: discount.get(),
        notes: notes.get(),
        terms: terms.get(),
        lines: lines.get().iter().map(LineState::form).collect(),
    };
    let totals = Memo::new(move |_| {
        let rates = rates.get().and_then(Result::ok).unwrap_or_default();
        let method = tax_rounding.get().unwrap_or_else(|| {
            defaults
                .get()
                .and_then(Result::ok)
                .map(|defaults| defaults.tax_rounding)
                .unwrap_or_default()
        });
        live_totals(&form(), &rates, method)
    });
    let today_hint = move || {
        defaults
            .get()
            .and_then(Result::ok)
            .map(|defaults| {
                format!(
                    "Empty: the day it is issued (today is {} in {}).",
                    defaults.today, defaults.time_zone
                )
            })
            .unwrap_or_else(|| "Empty: the day it is issued.".to_owned())
    };
    let due_hint = "Empty: the customer's payment terms from the issue date.";

    let save =
        Action::new(move |(id, form): &(Option<Uuid>, InvoiceForm)| save_draft(*id, form.clone()));
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(saved)) = save.value().get() {
            navigate(&format!("/app/invoices/{saved}"), Default::default());
        }
    });
    let error = move || save.value().get().and_then(Result::err);
    let field_error = move |name: String| {
        move || {
            error()
                .filter(|error| error.field() == Some(name.as_str()))
                .map(|error| error.to_string())
        }
    };
    let general_error = move || {
        error()
            .filter(|error| !matches!(error, AppError::Invalid { field, .. } if field.starts_with("lines[")))
            .map(|error| error.to_string())
    };

    let pick_customer = move |chosen: CustomerView| customer.set(Some(chosen));
    let fill_from_product = move |line: LineState, product: ProductView| {
        line.description.set(if product.description.is_empty() {
            product.name
        } else {
            format!("{}: {}", product.name, product.description)
        });
        line.unit_price.set(product.unit_price.to_string());
        line.tax_rate_id.set(product.tax_rate_id);
    };

    let line_rows = move || lines.get().into_iter().enumerate().collect::<Vec<_>>();

    // Each section is type-erased: the whole editor as one view type is
    // deeper than the compiler lays out in a release build.
    let customer_section = view! {
            <section class="panel">
                <h2>"Customer"</h2>
                <div class="field">
                    <label for="customer-find">"Find a customer"</label>
                    <input id="customer-find" type="search" placeholder="Name starts with…"
                        prop:value=move || customer_search.get()
                        on:input=move |event| customer_search.set(event_target_value(&event)) />
                </div>
                <div class="field">
                    <label for="customer-pick">"Customer"</label>
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            let list = customers.await.map(|page| page.rows).unwrap_or_default();
                            let options = list.clone();
                            view! {
                                <select id="customer-pick" name="customer_id"
                                    on:change=move |event| {
                                        let chosen = event_target_value(&event);
                                        if let Some(found) = options.iter().find(|customer| customer.id.to_string() == chosen) {
                                            pick_customer(found.clone());
                                        }
                                    }>
                                    <option value="">"Choose…"</option>
                                    {list.into_iter().map(|option| {
                                        let value = option.id.to_string();
                                        let selected = move || customer.get().is_some_and(|customer| customer.id == option.id);
                                        view! { <option value=value selected=selected>{format!("{} ({})", option.name, option.currency)}</option> }
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                    <p class="field-error" role="alert">{field_error("customer_id".into())}</p>
                    <p class="field-error" role="alert">{field_error("currency".into())}</p>
                </div>
                <div class="row">
                    <div class="field">
                        <label for="issue-date">"Issue date"</label>
                        <input id="issue-date" type="date" prop:value=move || issue_date.get() on:input=move |event| issue_date.set(event_target_value(&event)) />
                        <p class="hint">{today_hint}</p>
                        <p class="field-error" role="alert">{field_error("issue_date".into())}</p>
                    </div>
                    <div class="field">
                        <label for="due-date">"Due date"</label>
                        <input id="due-date" type="date" prop:value=move || due_date.get() on:input=move |event| due_date.set(event_target_value(&event)) />
                        <p class="hint">{due_hint}</p>
                        <p class="field-error" role="alert">{field_error("due_date".into())}</p>
                    </div>
                    <div class="field">
                        <label for="price-mode">"Prices"</label>
                        <select id="price-mode" on:change=move |event| price_mode.set(PriceMode::parse(&event_target_value(&event)).unwrap_or_default())>
                            <option value="exclusive" selected=move || price_mode.get() == PriceMode::Exclusive>"exclude tax"</option>
                            <option value="inclusive" selected=move || price_mode.get() == PriceMode::Inclusive>"include tax"</option>
                        </select>
                    </div>
                </div>
            </section>
    }.into_any();
    let lines_section = view! {
            <section class="panel">
                <h2>"Lines"</h2>
                <table class="lines">
                    <thead><tr>
                        <th scope="col">"Product"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col" class="number">"Quantity"</th>
                        <th scope="col" class="number">"Unit price"</th>
                        <th scope="col" class="number">"Discount %"</th>
                        <th scope="col">"Tax"</th>
                        <th scope="col" class="number">"Amount"</th>
                        <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=line_rows key=|(index, line)| (*index, line.key) children=move |(index, line): (usize, LineState)| view! {
                            <tr data-testid="line">
                                <td>
                                    <select aria-label=format!("Product for line {}", index + 1) on:change=move |event| {
                                        let chosen = event_target_value(&event);
                                        if let Some(product) = products.get().and_then(Result::ok).unwrap_or_default().into_iter().find(|product| product.id.to_string() == chosen) {
                                            fill_from_product(line, product);
                                        }
                                    }>
                                        <option value="">"—"</option>
                                        {move || products.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|product| view! {
                                            <option value=product.id.to_string()>{product.name}</option>
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td>
                                    <input aria-label=format!("Description of line {}", index + 1) name=format!("lines[{index}].description")
                                        prop:value=move || line.description.get() on:input=move |event| line.description.set(event_target_value(&event)) />
                                    <p class="field-error" role="alert">{field_error(format!("lines[{index}].description"))}</p>
                                </td>
                                <td class="number">
                                    <input aria-label=format!("Quantity of line {}", index + 1) inputmode="decimal" class="amount"
                                        prop:value=move || line.quantity.get() on:input=move |event| line.quantity.set(event_target_value(&event)) />
                                    <p class="field-error" role="alert">{field_error(format!("lines[{index}].quantity"))}</p>
                                </td>
                                <td class="number">
                                    <input aria-label=format!("Unit price of line {}", index + 1) inputmode="decimal" class="amount"
                                        prop:value=move || line.unit_price.get() on:input=move |event| line.unit_price.set(event_target_value(&event))
                                        on:keydown=move |event| {
                                            // Enter on the last line's price starts a new line.
                                            if event.key() == "Enter" {
                                                event.prevent_default();
                                                if lines.get_untracked().last().is_some_and(|last| last.key == line.key) {
                                                    add_line();
                                                }
                                            }
                                        } />
                                    <p class="field-error" role="alert">{field_error(format!("lines[{index}].unit_price"))}</p>
                                </td>
                                <td class="number">
                                    <input aria-label=format!("Discount of line {}", index + 1) inputmode="decimal" class="amount short"
                                        prop:value=move || line.discount.get() on:input=move |event| line.discount.set(event_target_value(&event)) />
                                </td>
                                <td>
                                    <select aria-label=format!("Tax of line {}", index + 1) on:change=move |event| line.tax_rate_id.set(event_target_value(&event).parse().ok())>
                                        <option value="">"No tax"</option>
                                        {move || rates.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|rate| {
                                            let selected = move || line.tax_rate_id.get() == Some(rate.id);
                                            view! { <option value=rate.id.to_string() selected=selected>{format!("{} {}%", rate.name, rate.percent)}</option> }
                                        }).collect_view()}
                                    </select>
                                </td>
                                <td class="number" data-testid="line-amount">
                                    {move || {
                                        let code = customer.get().map(|customer| customer.currency).unwrap_or_default();
                                        totals.get().ok().and_then(|totals| totals.lines.get(index).map(|amounts| format_money(&code, amounts.gross))).unwrap_or_default()
                                    }}
                                </td>
                                <td>
                                    <button type="button" class="link" aria-label=format!("Remove line {}", index + 1)
                                        on:click=move |_| lines.update(|lines| lines.retain(|other| other.key != line.key))>"×"</button>
                                </td>
                            </tr>
                        }.into_any() />
                    </tbody>
                </table>
                <p class="field-error" role="alert">{field_error("lines".into())}</p>
                <button type="button" class="button" on:click=move |_| add_line()>"Add line"</button>
                <div class="totals" data-testid="totals" aria-live="polite">
                    <div class="field">
                        <label for="invoice-discount">"Invoice discount %"</label>
                        <input id="invoice-discount" inputmode="decimal" class="amount short" prop:value=move || discount.get() on:input=move |event| discount.set(event_target_value(&event)) />
                    </div>
                    {move || {
                        let code = customer.get().map(|customer| customer.currency).unwrap_or_default();
                        match totals.get() {
                            Ok(totals) => view! {
                                <dl>
                                    <dt>"Net"</dt><dd data-testid="total-net">{format_money(&code, totals.net)}</dd>
                                    {totals.taxes.into_iter().map(|row| view! {
                                        <dt>{format!("{} {}% on {}", row.name, row.percent, format_money(&code, row.net))}</dt>
                                        <dd>{format_money(&code, row.tax)}</dd>
                                    }).collect_view()}
                                    <dt>"Total"</dt><dd data-testid="total"><strong>{format_money(&code, totals.total)}</strong></dd>
                                </dl>
                            }.into_any(),
                            Err(message) => view! { <p class="muted" data-testid="totals-hint">{message}</p> }.into_any(),
                        }
                    }}
                </div>
            </section>
    }.into_any();
    let closing_section = view! {
            <section class="panel">
                <div class="field">
                    <label for="invoice-notes">"Notes"</label>
                    <textarea id="invoice-notes" rows="2" prop:value=move || notes.get() on:input=move |event| notes.set(event_target_value(&event))></textarea>
                </div>
                <div class="field">
                    <label for="invoice-terms">"Terms"</label>
                    <textarea id="invoice-terms" rows="2" prop:value=move || terms.get() on:input=move |event| terms.set(event_target_value(&event))></textarea>
                </div>
                {move || general_error().map(|message| view! { <div class="alert" role="alert">{message}</div> })}
                <button type="button" class="button primary" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch((id(), form())); }>
                    "Save draft"
                </button>
            </section>
    }.into_any();
    view! {
        <Title text="Invoice" />
        <h1>{move || if id().is_some() { "Edit draft" } else { "New invoice" }}</h1>
        <div class="editor" data-testid="invoice-editor">
            {customer_section}
            {lines_section}
            {closing_section}
        </div>
    }
}
