//! Invoice arithmetic and rules. The browser runs this very code for its
//! live totals, so the screen shows exactly what the server will store.
//!
//! Each line's net (or, with tax-inclusive prices, gross) amount is rounded
//! to the currency's minor unit on its own (EN 16931 BT-131). The tax is
//! rounded as the document's [`TaxRounding`] says; either way every line
//! carries its share, so the total is always exactly the sum of its lines
//! and the tax summary adds up too.

use super::FieldError;
use super::money::{Currency, Overflow, checked_sum};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use super::invoice_input::{
    LineInput, MAX_LINES, check_dates, check_line_count, parse_date, parse_line, parse_percent,
    parse_price,
};

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

/// How tax amounts are rounded: an organization setting, stored with each
/// document and sealed with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TaxRounding {
    /// EN 16931 rule BR-CO-17: each rate's tax is its taxable amount (the sum
    /// of its lines' net amounts) times the rate, rounded once. With
    /// tax-inclusive prices, the taxable amount is the rate's gross sum
    /// divided by (1 + rate), rounded once, and the tax is the rest. The
    /// rate's tax is then shared out over its lines (largest remainder), so
    /// each line still shows net + tax = gross. The default for new
    /// organizations.
    #[default]
    PerRate,
    /// Each line's tax is rounded on its own and the document's tax is the
    /// sum of the lines' (what Ledgerlock did before the setting existed).
    PerLine,
}

impl TaxRounding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerRate => "per_rate",
            Self::PerLine => "per_line",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "per_rate" => Some(Self::PerRate),
            "per_line" => Some(Self::PerLine),
            _ => None,
        }
    }

    /// How the setting is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::PerRate => "Per rate on the document (EN 16931)",
            Self::PerLine => "Per line",
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
    pub tax_rounding: TaxRounding,
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

pub(super) const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// One line's amounts, and its tax before rounding (what the per-rate
/// method shares out by).
fn line_amounts(draft: &Draft, line: &Line) -> Result<(LineAmounts, Decimal), Overflow> {
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
            let exact = net
                .checked_mul(rate)
                .and_then(|amount| amount.checked_div(HUNDRED))
                .ok_or(Overflow)?;
            let tax = currency.round(exact);
            let gross = net.checked_add(tax).ok_or(Overflow)?;
            Ok((LineAmounts { net, tax, gross }, exact))
        }
        PriceMode::Inclusive => {
            let gross = currency.round(base);
            let exact_net = gross.checked_div(divisor(rate)?).ok_or(Overflow)?;
            let net = currency.round(exact_net);
            let tax = gross.checked_sub(net).ok_or(Overflow)?;
            let exact = gross.checked_sub(exact_net).ok_or(Overflow)?;
            Ok((LineAmounts { net, tax, gross }, exact))
        }
    }
}

/// 1 + rate / 100: what a tax-inclusive amount is divided by.
fn divisor(rate: Decimal) -> Result<Decimal, Overflow> {
    HUNDRED
        .checked_add(rate)
        .and_then(|sum| sum.checked_div(HUNDRED))
        .ok_or(Overflow)
}

/// The tax of one rate rounded once (EN 16931 BR-CO-17), given its lines'
/// amounts.
fn rate_tax(draft: &Draft, rate: Decimal, lines: &[LineAmounts]) -> Result<Decimal, Overflow> {
    let currency = draft.currency;
    match draft.price_mode {
        PriceMode::Exclusive => {
            let base = checked_sum(lines.iter().map(|line| line.net))?;
            Ok(currency.round(
                base.checked_mul(rate)
                    .and_then(|amount| amount.checked_div(HUNDRED))
                    .ok_or(Overflow)?,
            ))
        }
        PriceMode::Inclusive => {
            let gross = checked_sum(lines.iter().map(|line| line.gross))?;
            let base = currency.round(gross.checked_div(divisor(rate)?).ok_or(Overflow)?);
            gross.checked_sub(base).ok_or(Overflow)
        }
    }
}

/// Moves one minor unit of tax at a time between the lines of one rate until
/// their tax adds up to `target`: first to the lines whose rounding moved
/// them furthest from their exact share (ties: the earlier line).
fn share_out(
    draft: &Draft,
    lines: &mut [(&mut LineAmounts, Decimal)],
    target: Decimal,
) -> Result<(), Overflow> {
    let unit = Decimal::new(1, draft.currency.minor_units());
    let current = checked_sum(lines.iter().map(|(line, _)| line.tax))?;
    let missing = target.checked_sub(current).ok_or(Overflow)?;
    if missing.is_zero() || lines.is_empty() {
        return Ok(());
    }
    let step = if missing.is_sign_positive() {
        unit
    } else {
        -unit
    };
    let mut steps = (missing / unit).abs().trunc();
    // Rounded down the most first when tax is missing, rounded up the most
    // first when there is too much.
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| {
        let residual = |index: usize| {
            let (line, exact) = &lines[index];
            exact.checked_sub(line.tax).unwrap_or_default()
        };
        let (first, second) = (residual(a), residual(b));
        if step.is_sign_positive() {
            second.cmp(&first)
        } else {
            first.cmp(&second)
        }
        .then(a.cmp(&b))
    });
    while steps > Decimal::ZERO {
        for &index in &order {
            if steps.is_zero() {
                break;
            }
            let (line, _) = &mut lines[index];
            line.tax = line.tax.checked_add(step).ok_or(Overflow)?;
            match draft.price_mode {
                PriceMode::Exclusive => {
                    line.gross = line.net.checked_add(line.tax).ok_or(Overflow)?;
                }
                PriceMode::Inclusive => {
                    line.net = line.gross.checked_sub(line.tax).ok_or(Overflow)?;
                }
            }
            steps -= Decimal::ONE;
        }
    }
    Ok(())
}

/// The invoice's amounts. Fails only when a figure is too large to hold.
pub fn totals(draft: &Draft) -> Result<Totals, Overflow> {
    let (mut lines, exact): (Vec<LineAmounts>, Vec<Decimal>) = draft
        .lines
        .iter()
        .map(|line| line_amounts(draft, line))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    // The rates in order of first use, each with its lines' positions.
    let mut rates: Vec<(&LineTax, Vec<usize>)> = Vec::new();
    let mut rate_of: Vec<Option<usize>> = vec![None; draft.lines.len()];
    for (index, line) in draft.lines.iter().enumerate() {
        let Some(tax) = &line.tax else { continue };
        let found = rates
            .iter()
            .position(|(rate, _)| rate.name == tax.name && rate.percent == tax.percent);
        let at = found.unwrap_or_else(|| {
            rates.push((tax, Vec::new()));
            rates.len() - 1
        });
        rates[at].1.push(index);
        rate_of[index] = Some(at);
    }
    if draft.tax_rounding == TaxRounding::PerRate {
        for (at, (tax, positions)) in rates.iter().enumerate() {
            let of_rate: Vec<LineAmounts> = positions.iter().map(|&line| lines[line]).collect();
            let target = rate_tax(draft, tax.percent, &of_rate)?;
            let mut shares: Vec<(&mut LineAmounts, Decimal)> = lines
                .iter_mut()
                .zip(&exact)
                .zip(&rate_of)
                .filter(|(_, rate)| **rate == Some(at))
                .map(|((line, exact), _)| (line, *exact))
                .collect();
            share_out(draft, &mut shares, target)?;
        }
    }
    let taxes = rates
        .iter()
        .map(|(tax, positions)| {
            Ok(TaxSummary {
                name: tax.name.clone(),
                percent: tax.percent,
                net: checked_sum(positions.iter().map(|&at| lines[at].net))?,
                tax: checked_sum(positions.iter().map(|&at| lines[at].tax))?,
            })
        })
        .collect::<Result<Vec<_>, Overflow>>()?;
    Ok(Totals {
        net: checked_sum(lines.iter().map(|line| line.net))?,
        tax: checked_sum(lines.iter().map(|line| line.tax))?,
        total: checked_sum(lines.iter().map(|line| line.gross))?,
        lines,
        taxes,
    })
}

/// The largest total one document may have, in minor units: 10^15 (ten
/// trillion euros, a quadrillion yen). Storage holds about 9.2·10^18; the
/// margin keeps every sum over documents far from any limit, so no member
/// can break an organization's totals with absurd drafts.
pub const MAX_TOTAL_MINOR: i64 = 1_000_000_000_000_000;

/// The document total in minor units, if it is within [`MAX_TOTAL_MINOR`];
/// otherwise an error on `lines` saying the limit.
pub fn check_total(currency: Currency, total: Decimal) -> Result<i64, FieldError> {
    let too_large = || {
        FieldError::new(
            "lines",
            format!(
                "A document's total can be at most {}.",
                currency.format(currency.from_minor(MAX_TOTAL_MINOR))
            ),
        )
    };
    let minor = currency.to_minor(total).map_err(|Overflow| too_large())?;
    if minor.abs() > MAX_TOTAL_MINOR {
        return Err(too_large());
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Date;

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
            tax_rounding: TaxRounding::PerLine,
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
    fn en16931_rounds_each_rates_tax_once_and_per_line_rounds_each_line() {
        // The example of issue 13: three lines at 20 %.
        let lines = vec![
            line("1", "299.33", vat("20")),
            line("1", "179.33", vat("20")),
            line("1", "99.34", vat("20")),
        ];
        let mut invoice = draft("EUR", PriceMode::Exclusive, lines);
        invoice.tax_rounding = TaxRounding::PerRate;
        let per_rate = totals(&invoice).unwrap();
        assert_eq!(
            (per_rate.tax, per_rate.total),
            (dec("115.60"), dec("693.60"))
        );
        assert_eq!(per_rate.taxes[0].net, dec("578.00"));
        assert_eq!(per_rate.taxes[0].tax, dec("115.60"));
        // The extra cent is taken back from a line rounded up the most
        // (59.866 and 35.866 went up 0.004, 19.868 only 0.002; ties go to
        // the earlier line), and every line still adds up.
        let taxes: Vec<Decimal> = per_rate.lines.iter().map(|line| line.tax).collect();
        assert_eq!(taxes, vec![dec("59.86"), dec("35.87"), dec("19.87")]);
        invoice.tax_rounding = TaxRounding::PerLine;
        let per_line = totals(&invoice).unwrap();
        assert_eq!(
            (per_line.tax, per_line.total),
            (dec("115.61"), dec("693.61"))
        );
    }

    #[test]
    fn en16931_with_inclusive_prices_keeps_the_gross_and_rounds_the_base_once() {
        // Fifteen 1.00 items at 19 % inclusive: per line each is 0.84 + 0.16
        // (net 12.60, tax 2.40); per rate the base is 15.00 / 1.19 =
        // 12.605… → 12.61 and the tax 2.39. The gross stays 15.00 either way.
        let mut invoice = draft(
            "EUR",
            PriceMode::Inclusive,
            vec![line("1", "1", vat("19")); 15],
        );
        invoice.tax_rounding = TaxRounding::PerRate;
        let per_rate = totals(&invoice).unwrap();
        assert_eq!(
            (per_rate.net, per_rate.tax, per_rate.total),
            (dec("12.61"), dec("2.39"), dec("15"))
        );
        invoice.tax_rounding = TaxRounding::PerLine;
        let per_line = totals(&invoice).unwrap();
        assert_eq!(
            (per_line.net, per_line.tax, per_line.total),
            (dec("12.60"), dec("2.40"), dec("15"))
        );
    }

    #[test]
    fn the_method_round_trips_through_its_stored_name() {
        for method in [TaxRounding::PerRate, TaxRounding::PerLine] {
            assert_eq!(TaxRounding::parse(method.as_str()), Some(method));
        }
        assert_eq!(TaxRounding::parse("per_invoice"), None);
        assert_eq!(TaxRounding::default(), TaxRounding::PerRate);
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
    fn totals_beyond_the_cap_are_refused_on_lines() {
        let euro = Currency::parse("EUR").unwrap();
        assert_eq!(
            check_total(euro, dec("10000000000000")),
            Ok(MAX_TOTAL_MINOR)
        );
        let error = check_total(euro, dec("10000000000000.01")).unwrap_err();
        assert_eq!(error.field, "lines");
        assert!(
            error.message.contains("EUR 10,000,000,000,000.00"),
            "{}",
            error.message
        );
        assert!(check_total(euro, dec("92233720368547758.07")).is_err());
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
    fn dates_outside_four_digit_years_are_refused() {
        for text in ["-0002-01-01", "0000-01-01", "1899-12-31", "+10000-01-01"] {
            assert_eq!(
                parse_date(text, "issue_date").unwrap_err().field,
                "issue_date",
                "{text}"
            );
        }
        assert!(parse_date("1900-01-01", "issue_date").is_ok());
        assert!(parse_date("9999-12-31", "issue_date").is_ok());
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
            per_rate in any::<bool>(),
            code in prop::sample::select(vec!["EUR", "JPY", "BHD"]),
            discount in amount(1_000_000, 4),
        ) {
            let invoice = Draft {
                currency: Currency::parse(code).unwrap(),
                price_mode: if inclusive { PriceMode::Inclusive } else { PriceMode::Exclusive },
                tax_rounding: if per_rate { TaxRounding::PerRate } else { TaxRounding::PerLine },
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
                prop_assert!(line.tax >= Decimal::ZERO && line.net >= Decimal::ZERO);
            }
            if per_rate {
                // BR-CO-17: each rate's tax is its taxable amount times the
                // rate, rounded once (inclusive: the base is rounded once).
                for row in &totals.taxes {
                    if inclusive {
                        let gross = row.net + row.tax;
                        let base = invoice.currency.round(gross / (Decimal::ONE + row.percent / HUNDRED));
                        prop_assert_eq!(row.net, base);
                    } else {
                        prop_assert_eq!(row.tax, invoice.currency.round(row.net * row.percent / HUNDRED));
                    }
                }
            }
        }

        #[test]
        fn any_input_computes_or_overflows_but_never_panics(
            quantity in any::<i64>(), price in any::<i64>(), scale in 0_u32..20, percent in 0_i64..=100,
        ) {
            let invoice = Draft {
                currency: Currency::parse("EUR").unwrap(),
                price_mode: PriceMode::Exclusive,
                tax_rounding: TaxRounding::PerRate,
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
