//! Choosing a list of customers (for a member's customer limit): search by
//! name, tick the ones to include.

use crate::api::customers::list_customers;
use crate::api::team::CustomerRef;
use crate::components::browser_data::browser_data;
use leptos::prelude::*;

#[component]
pub fn CustomerPicker(
    /// The customers chosen so far.
    selected: RwSignal<Vec<CustomerRef>>,
    /// Distinguishes the inputs of several pickers on one page.
    id: String,
) -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let found = browser_data(move || {
        let query = query.get();
        async move { list_customers(query, None, false).await }
    });
    let toggle = move |customer: CustomerRef| {
        selected.update(|chosen| {
            if let Some(at) = chosen.iter().position(|c| c.id == customer.id) {
                chosen.remove(at);
            } else {
                chosen.push(customer);
            }
        });
    };
    let search_id = format!("{id}-search");
    view! {
        <div class="customer-picker" data-testid=id.clone()>
            <p class="chosen">
                {move || {
                    let chosen = selected.get();
                    if chosen.is_empty() {
                        "No customer chosen yet.".to_owned()
                    } else {
                        format!(
                            "Chosen: {}",
                            chosen.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
                        )
                    }
                }}
            </p>
            <label for=search_id.clone()>"Find customers"</label>
            <input
                id=search_id
                type="search"
                placeholder="Name starts with…"
                on:input=move |event| set_query.set(event_target_value(&event))
            />
            <ul class="choices">
                {move || found.get().and_then(Result::ok).map(|page| {
                    page.rows.into_iter().map(|customer| {
                        let choice = CustomerRef { id: customer.id, name: customer.name.clone() };
                        let id = customer.id;
                        view! {
                            <li>
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        prop:checked=move || selected.read().iter().any(|c| c.id == id)
                                        on:change=move |_| toggle(choice.clone())
                                    />
                                    {customer.name}
                                </label>
                            </li>
                        }
                    }).collect_view()
                })}
            </ul>
        </div>
    }
    .into_any()
}
