//! Products and services, and the organization's tax rates.

use crate::api::products::{
    ArchiveProduct, CreateProduct, CreateTaxRate, list_products, list_tax_rates,
};
use crate::components::app_shell::can;
use crate::components::form::{Field, FormAlert};
use crate::domain::Permission;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let create_rate = ServerAction::<CreateTaxRate>::new();
    let create = ServerAction::<CreateProduct>::new();
    let archive = ServerAction::<ArchiveProduct>::new();
    let may_write = can(Permission::ProductsWrite);
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let rates = Resource::new(move || create_rate.version().get(), |_| list_tax_rates());
    let products = Resource::new(
        move || (search(), create.version().get(), archive.version().get()),
        |(search, _, _)| list_products(search),
    );
    let rate_error = Signal::derive(move || create_rate.value().get().and_then(Result::err));
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <Title text="Products" />
        <h1>"Products and services"</h1>
        <form method="get" class="search" role="search">
            <label class="visually-hidden" for="product-search">"Search products"</label>
            <input id="product-search" type="search" name="q" placeholder="Name starts with…" value=search />
            <button type="submit" class="button">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let rates = rates.await.unwrap_or_default();
                match products.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No products yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="list" data-testid="products">
                            <thead><tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Unit"</th>
                                <th scope="col" class="number">"Unit price"</th>
                                <th scope="col">"Tax"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|product| {
                                    let tax = product.tax_rate_id
                                        .and_then(|id| rates.iter().find(|rate| rate.id == id))
                                        .map(|rate| format!("{} {}%", rate.name, rate.percent))
                                        .unwrap_or_default();
                                    view! {
                                        <tr>
                                            <td><strong>{product.name}</strong><br /><span class="muted">{product.description}</span></td>
                                            <td>{product.unit}</td>
                                            <td class="number">{product.unit_price.to_string()}</td>
                                            <td>{tax}</td>
                                            <td class="actions">
                                                <ActionForm action=archive attr:class="inline" attr:hidden=!may_write>
                                                    <input type="hidden" name="id" value=product.id.to_string() />
                                                    <button type="submit" class="link">"Archive"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <div class="alert" role="alert">{error.to_string()}</div> }.into_any(),
                }
            })}
        </Suspense>
        <div class="columns">
            <section class="panel" hidden=!may_write>
                <h2>"New product"</h2>
                <ActionForm action=create attr:class="stacked" attr:novalidate=true>
                    <FormAlert error />
                    <Field label="Name" name="name" id="product-name" error />
                    <Field label="Description" name="description" id="product-description" error />
                    <Field label="Unit" name="unit" hint="hour, day, piece…" error />
                    <Field label="Unit price" name="unit_price" hint="Before tax, in the invoice's currency." error />
                    <div class="field">
                        <label for="product-tax">"Tax rate"</label>
                        <select id="product-tax" name="tax_rate_id">
                            <option value="">"No tax"</option>
                            <Suspense>
                                {move || Suspend::new(async move {
                                    rates.await.unwrap_or_default().into_iter().map(|rate| view! {
                                        <option value=rate.id.to_string()>{format!("{} ({}%)", rate.name, rate.percent)}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                    </div>
                    <button type="submit" class="button primary">"Add product"</button>
                </ActionForm>
            </section>
            <section class="panel" data-testid="tax-rates">
                <h2>"Tax rates"</h2>
                <Suspense>
                    {move || Suspend::new(async move {
                        view! {
                            <ul class="plain">
                                {rates.await.unwrap_or_default().into_iter().map(|rate| view! {
                                    <li>{format!("{} — {}%", rate.name, rate.percent)}</li>
                                }).collect_view()}
                            </ul>
                        }
                    })}
                </Suspense>
                <ActionForm action=create_rate attr:class="stacked" attr:hidden=!may_write attr:novalidate=true>
                    <FormAlert error=rate_error />
                    <Field label="Tax name" name="name" id="tax-name" error=rate_error />
                    <Field label="Percent" name="percent" id="tax-percent" error=rate_error />
                    <button type="submit" class="button">"Add tax rate"</button>
                </ActionForm>
            </section>
        </div>
    }
}
