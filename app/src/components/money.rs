//! Amounts as their currency writes them.

use crate::domain::money::Currency;
use rust_decimal::Decimal;

/// "EUR 1,234.50"; an unknown code prints the bare amount after it.
pub fn format_money(code: &str, amount: Decimal) -> String {
    Currency::parse(code).map_or_else(
        |_| format!("{code} {amount}"),
        |currency| currency.format(amount),
    )
}
