//! What the invoice editor sends, checked: lines, prices, percentages,
//! dates and the number of lines. Errors name the form field
//! (`lines[2].quantity`) so the page can show them beside it.

use super::FieldError;
use super::invoice::{HUNDRED, Line, LineTax};
use super::money::parse_decimal;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

/// The most lines one invoice may have.
pub const MAX_LINES: usize = 1000;
const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Quantities and unit prices take up to four decimals (0.0001 kWh, 0.0125 €).
const AMOUNT_DECIMALS: u32 = 4;
/// Beyond this, an amount is a typing mistake (and products of such amounts
/// would overflow).
const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A percentage from 0 to 100 with at most four decimals.
pub fn parse_percent(input: &str, field: impl Into<String>) -> Result<Decimal, FieldError> {
    let field = field.into();
    if input.trim().is_empty() {
        return Ok(Decimal::ZERO);
    }
    let value = parse_decimal(input, &field, 4)?;
    if value < Decimal::ZERO || value > HUNDRED {
        return Err(FieldError::new(field, "Use a percentage from 0 to 100."));
    }
    Ok(value)
}

/// A unit price: zero or more, at most four decimals. Errors name `field`.
pub fn parse_price(input: &str, field: impl Into<String>) -> Result<Decimal, FieldError> {
    let field = field.into();
    let value = parse_decimal(input, &field, AMOUNT_DECIMALS)?;
    if value < Decimal::ZERO {
        return Err(FieldError::new(field, "A price cannot be negative."));
    }
    if value > MAX_AMOUNT {
        return Err(FieldError::new(field, "This price is too large."));
    }
    Ok(value)
}

/// A line as typed in the editor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineInput {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
    pub discount_percent: String,
}

/// Parses line `index` (0-based; messages and field names count from 0 too,
/// as the form's field names do).
pub fn parse_line(
    index: usize,
    input: &LineInput,
    tax: Option<LineTax>,
) -> Result<Line, FieldError> {
    let field = |name: &str| format!("lines[{index}].{name}");
    let description = input.description.trim();
    if description.is_empty() {
        return Err(FieldError::new(
            field("description"),
            "Describe what this line is for.",
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(
            field("description"),
            format!("Use at most {MAX_DESCRIPTION_CHARS} characters."),
        ));
    }
    if description
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field("description"),
            "Remove control characters.",
        ));
    }
    let quantity = parse_decimal(&input.quantity, &field("quantity"), AMOUNT_DECIMALS)?;
    if quantity <= Decimal::ZERO {
        return Err(FieldError::new(
            field("quantity"),
            "The quantity must be more than zero. Corrections are made with a credit note.",
        ));
    }
    if quantity > MAX_AMOUNT {
        return Err(FieldError::new(
            field("quantity"),
            "This quantity is too large.",
        ));
    }
    Ok(Line {
        description: description.to_owned(),
        quantity,
        unit_price: parse_price(&input.unit_price, field("unit_price"))?,
        discount_percent: parse_percent(&input.discount_percent, field("discount_percent"))?,
        tax,
    })
}

/// A date typed as `YYYY-MM-DD` (what `<input type="date">` sends), in the
/// years 1900 to 9999: four-digit years sort as text on every engine, so
/// "the last issued document" is always the latest date.
pub fn parse_date(text: &str, field: &'static str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text.trim(), &format)
        .map_err(|_| FieldError::new(field, "Enter a date as YYYY-MM-DD."))?;
    if !(1900..=9999).contains(&date.year()) {
        return Err(FieldError::new(
            field,
            "Enter a date between 1900 and 9999.",
        ));
    }
    Ok(date)
}

/// The dates' rule: due on or after issue.
pub fn check_dates(issue_date: Date, due_date: Date) -> Result<(), FieldError> {
    if due_date < issue_date {
        return Err(FieldError::new(
            "due_date",
            "The due date cannot be before the issue date.",
        ));
    }
    Ok(())
}

/// At least one line, at most [`MAX_LINES`].
pub fn check_line_count(count: usize) -> Result<(), FieldError> {
    if count == 0 {
        return Err(FieldError::new("lines", "Add at least one line."));
    }
    if count > MAX_LINES {
        return Err(FieldError::new(
            "lines",
            format!("Use at most {MAX_LINES} lines."),
        ));
    }
    Ok(())
}
