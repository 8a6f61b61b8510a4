//! Twelve months of revenue as an SVG bar chart, drawn on the server (no
//! script, no chart library).

use crate::components::money::format_money;
use leptos::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

const WIDTH: i64 = 600;
const HEIGHT: i64 = 180;
const PLOT: i64 = 140;

#[component]
pub fn RevenueChart(currency: String, months: Vec<(String, Decimal)>) -> impl IntoView {
    let highest = months
        .iter()
        .map(|(_, amount)| *amount)
        .max()
        .unwrap_or_default()
        .max(Decimal::ONE);
    let slot = WIDTH / i64::try_from(months.len().max(1)).unwrap_or(1);
    let label = format!("Revenue per month in {currency}, last 12 months");
    let title = label.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label data-testid="revenue-chart">
            <title>{title}</title>
            {months.into_iter().enumerate().map(|(index, (month, amount))| {
                // Pixel heights only: the amounts themselves stay exact.
                let bar = (amount.max(Decimal::ZERO) * Decimal::from(PLOT) / highest).round().to_i64().unwrap_or(0);
                let x = i64::try_from(index).unwrap_or(0) * slot + slot / 6;
                let tip = format!("{month}: {}", format_money(&currency, amount));
                view! {
                    <g>
                        <rect x=x y=PLOT - bar + 10 width=slot * 2 / 3 height=bar.max(1) rx="2"><title>{tip}</title></rect>
                        <text x=x + slot / 3 y=HEIGHT - 8 text-anchor="middle">{month.get(5..).unwrap_or_default().to_owned()}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}
