//! Invoice arithmetic and rules. The browser runs this very code for its
//! live totals, so the screen shows exactly what the server will store.
//!
//! Each line is rounded to the currency's minor unit on its own; the
//! invoice's figures are sums of rounded lines, so the total is always
//! exactly the sum of its lines and the tax summary adds up too.

use super::FieldError;
use super::money::{Currency, Overflow, checked_sum, parse_decimal};
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

/// Whether unit prices include tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PriceMode {
    #[default]
    Exclusive,
    Inclusive,
}

impl PriceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclusive => "exclusive",
            Self::Inclusive => "inclusive",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "exclusive" => Some(Self::Exclusive),
            "inclusive" => Some(Self::Inclusive),
            _ => None,
        }
    }
}

/// A tax applied to a line: its name and percentage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTax {
    pub name: String,
    pub percent: Decimal,
}

/// An invoice line after parsing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// 0 to 100.
    pub discount_percent: Decimal,
    pub tax: Option<LineTax>,
}

/// What the totals depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub currency: Currency,
    pub price_mode: PriceMode,
    /// Applied to every line, after the line's own discount.
    pub discount_percent: Decimal,
    pub lines: Vec<Line>,
}

/// One line's amounts, each rounded to the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineAmounts {
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

/// The taxes of one rate across the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxSummary {
    pub name: String,
    pub percent: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub lines: Vec<LineAmounts>,
    pub net: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
    pub taxes: Vec<TaxSummary>,
}

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

fn line_amounts(draft: &Draft, line: &Line) -> Result<LineAmounts, Overflow> {
    let keep = |percent: Decimal| {
        HUNDRED
            .checked_sub(percent)
            .and_then(|rest| rest.checked_div(HUNDRED))
            .ok_or(Overflow)
    };
    let base = line
        .quantity
        .checked_mul(line.unit_price)
        .and_then(|amount| amount.checked_mul(keep(line.discount_percent).ok()?))
        .and_then(|amount| amount.checked_mul(keep(draft.discount_percent).ok()?))
        .ok_or(Overflow)?;
    let rate = line.tax.as_ref().map_or(Decimal::ZERO, |tax| tax.percent);
    let currency = draft.currency;
    match draft.price_mode {
        PriceMode::Exclusive => {
            let net = currency.round(base);
            let tax = currency.round(
                net.checked_mul(rate)
                    .and_then(|amount| amount.checked_div(HUNDRED))
                    .ok_or(Overflow)?,
            );
            let gross = net.checked_add(tax).ok_or(Overflow)?;
            Ok(LineAmounts { net, tax, gross })
        }
        PriceMode::Inclusive => {
            let gross = currency.round(base);
            let divisor = HUNDRED
                .checked_add(rate)
                .and_then(|sum| sum.checked_div(HUNDRED))
                .ok_or(Overflow)?;
            let net = currency.round(gross.checked_div(divisor).ok_or(Overflow)?);
            let tax = gross.checked_sub(net).ok_or(Overflow)?;
            Ok(LineAmounts { net, tax, gross })
        }
    }
}

/// The invoice's amounts. Fails only when a figure is too large to hold.
pub fn totals(draft: &Draft) -> Result<Totals, Overflow> {
    let lines = draft
        .lines
        .iter()
        .map(|line| line_amounts(draft, line))
        .collect::<Result<Vec<_>, _>>()?;
    let mut taxes: Vec<TaxSummary> = Vec::new();
    for (line, amounts) in draft.lines.iter().zip(&lines) {
        let Some(tax) = &line.tax else { continue };
        match taxes
            .iter_mut()
            .find(|row| row.name == tax.name && row.percent == tax.percent)
        {
            Some(row) => {
                row.net = row.net.checked_add(amounts.net).ok_or(Overflow)?;
                row.tax = row.tax.checked_add(amounts.tax).ok_or(Overflow)?;
            }
            None => taxes.push(TaxSummary {
                name: tax.name.clone(),
                percent: tax.percent,
                net: amounts.net,
                tax: amounts.tax,
            }),
        }
    }
    Ok(Totals {
        net: checked_sum(lines.iter().map(|line| line.net))?,
        tax: checked_sum(lines.iter().map(|line| line.tax))?,
        total: checked_sum(lines.iter().map(|line| line.gross))?,
        lines,
        taxes,
    })
}

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

/// A date typed as `YYYY-MM-DD` (what `<input type="date">` sends).
pub fn parse_date(text: &str, field: &'static str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format)
        .map_err(|_| FieldError::new(field, "Enter a date as YYYY-MM-DD."))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn vat(percent: &str) -> Option<LineTax> {
        Some(LineTax {
            name: "VAT".into(),
            percent: dec(percent),
        })
    }

    fn line(quantity: &str, price: &str, tax: Option<LineTax>) -> Line {
        Line {
            description: "Work".into(),
            quantity: dec(quantity),
            unit_price: dec(price),
            discount_percent: Decimal::ZERO,
            tax,
        }
    }

    fn draft(code: &str, mode: PriceMode, lines: Vec<Line>) -> Draft {
        Draft {
            currency: Currency::parse(code).unwrap(),
            price_mode: mode,
            discount_percent: Decimal::ZERO,
            lines,
        }
    }

    #[test]
    fn exclusive_prices_round_each_line_then_add() {
        // 3 × 0.335 = 1.005 → 1.01 (half away from zero); 19 % of it = 0.1919 → 0.19.
        let totals = totals(&draft(
            "EUR",
            PriceMode::Exclusive,
            vec![line("3", "0.335", vat("19")), line("1", "10", vat("7"))],
        ))
        .unwrap();
        assert_eq!(
            totals.lines[0],
            LineAmounts {
                net: dec("1.01"),
                tax: dec("0.19"),
                gross: dec("1.20")
            }
        );
        assert_eq!(totals.lines[1].tax, dec("0.70"));
        assert_eq!(totals.total, dec("11.90"));
        assert_eq!(totals.taxes.len(), 2, "one summary row per rate");
    }

    #[test]
    fn inclusive_prices_take_the_tax_out() {
        let totals = totals(&draft(
            "EUR",
            PriceMode::Inclusive,
            vec![line("1", "119", vat("19"))],
        ))
        .unwrap();
        assert_eq!(
            totals.lines[0],
            LineAmounts {
                net: dec("100"),
                tax: dec("19"),
                gross: dec("119")
            }
        );
        let yen = totals_of("JPY", PriceMode::Inclusive, "1", "1000", "10");
        assert_eq!((yen.net, yen.tax), (dec("909"), dec("91")));
    }

    fn totals_of(code: &str, mode: PriceMode, quantity: &str, price: &str, rate: &str) -> Totals {
        totals(&draft(code, mode, vec![line(quantity, price, vat(rate))])).unwrap()
    }

    #[test]
    fn discounts_apply_to_the_line_then_the_invoice() {
        let mut invoice = draft("EUR", PriceMode::Exclusive, vec![line("2", "50", None)]);
        invoice.lines[0].discount_percent = dec("10");
        invoice.discount_percent = dec("5");
        assert_eq!(totals(&invoice).unwrap().total, dec("85.50"));
    }

    #[test]
    fn three_decimal_currencies_keep_three_decimals() {
        let totals = totals_of("BHD", PriceMode::Exclusive, "1", "1.2345", "10");
        assert_eq!(totals.net, dec("1.235"));
        assert_eq!(totals.tax, dec("0.124"));
    }

    #[test]
    fn huge_amounts_are_an_error_not_a_panic() {
        let invoice = draft(
            "EUR",
            PriceMode::Exclusive,
            vec![line(
                "79228162514264337593543950335",
                "79228162514264337593543950335",
                None,
            )],
        );
        assert_eq!(totals(&invoice), Err(Overflow));
    }

    #[test]
    fn typed_lines_are_checked_field_by_field() {
        let input = |quantity: &str, price: &str| LineInput {
            description: "Consulting".into(),
            quantity: quantity.into(),
            unit_price: price.into(),
            discount_percent: String::new(),
        };
        assert_eq!(
            parse_line(2, &input("-1", "10"), None).unwrap_err().field,
            "lines[2].quantity"
        );
        assert_eq!(
            parse_line(0, &input("0", "10"), None).unwrap_err().field,
            "lines[0].quantity"
        );
        assert_eq!(
            parse_line(0, &input("1", "-10"), None).unwrap_err().field,
            "lines[0].unit_price"
        );
        assert_eq!(
            parse_line(0, &input("1", "ten"), None).unwrap_err().field,
            "lines[0].unit_price"
        );
        let mut blank = input("1", "1");
        blank.description = "  ".into();
        assert_eq!(
            parse_line(1, &blank, None).unwrap_err().field,
            "lines[1].description"
        );
        let mut discount = input("1", "1");
        discount.discount_percent = "101".into();
        assert_eq!(
            parse_line(0, &discount, None).unwrap_err().field,
            "lines[0].discount_percent"
        );
        assert!(parse_line(0, &input("1.5", "12,50"), None).is_ok());
    }

    #[test]
    fn dates_and_line_counts() {
        let issue = Date::from_calendar_date(2026, time::Month::March, 10).unwrap();
        let due = Date::from_calendar_date(2026, time::Month::March, 9).unwrap();
        assert_eq!(check_dates(issue, due).unwrap_err().field, "due_date");
        assert!(check_dates(issue, issue).is_ok());
        assert_eq!(check_line_count(0).unwrap_err().field, "lines");
        assert!(check_line_count(MAX_LINES + 1).is_err());
    }

    fn amount(max: i64, scale: u32) -> impl Strategy<Value = Decimal> {
        (0..=max).prop_map(move |units| Decimal::new(units, scale))
    }

    fn any_line() -> impl Strategy<Value = Line> {
        (
            amount(100_000_000, 4),
            amount(1_000_000_000_000, 4),
            amount(1_000_000, 4),
            prop::option::of(amount(500_000, 4)),
        )
            .prop_map(|(quantity, unit_price, discount, tax)| Line {
                description: "x".into(),
                quantity: quantity.max(Decimal::new(1, 4)),
                unit_price,
                discount_percent: discount,
                tax: tax.map(|percent| LineTax {
                    name: "T".into(),
                    percent: percent.min(HUNDRED),
                }),
            })
    }

    proptest! {
        #[test]
        fn line_totals_always_add_up_to_the_invoice_total(
            lines in prop::collection::vec(any_line(), 1..40),
            inclusive in any::<bool>(),
            code in prop::sample::select(vec!["EUR", "JPY", "BHD"]),
            discount in amount(1_000_000, 4),
        ) {
            let invoice = Draft {
                currency: Currency::parse(code).unwrap(),
                price_mode: if inclusive { PriceMode::Inclusive } else { PriceMode::Exclusive },
                discount_percent: discount,
                lines,
            };
            let totals = totals(&invoice).unwrap();
            let minor = invoice.currency.minor_units();
            let gross: Decimal = totals.lines.iter().map(|line| line.gross).sum();
            prop_assert_eq!(totals.total, gross);
            prop_assert_eq!(totals.total, totals.net + totals.tax);
            let summarized: Decimal = totals.taxes.iter().map(|row| row.tax).sum();
            prop_assert_eq!(summarized, totals.tax);
            for line in &totals.lines {
                prop_assert!(line.net.scale() <= minor && line.tax.scale() <= minor);
                prop_assert_eq!(line.net + line.tax, line.gross);
            }
        }

        #[test]
        fn any_input_computes_or_overflows_but_never_panics(
            quantity in any::<i64>(), price in any::<i64>(), scale in 0_u32..20, percent in 0_i64..=100,
        ) {
            let invoice = Draft {
                currency: Currency::parse("EUR").unwrap(),
                price_mode: PriceMode::Exclusive,
                discount_percent: Decimal::ZERO,
                lines: vec![Line {
                    description: "x".into(),
                    quantity: Decimal::new(quantity, scale),
                    unit_price: Decimal::new(price, scale),
                    discount_percent: Decimal::new(percent, 0),
                    tax: Some(LineTax { name: "T".into(), percent: Decimal::new(percent, 0) }),
                }],
            };
            let _ = totals(&invoice);
        }
    }
}
