//! Exact money: `rust_decimal` amounts in an ISO 4217 currency, rounded to
//! the currency's minor unit half away from zero. No floats anywhere, and an
//! overflow is an error rather than a wrap or a panic.

use super::FieldError;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// An ISO 4217 currency Ledgerlock can invoice in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    minor_units: u32,
}

/// The currencies offered, with their minor units (ISO 4217).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PLN", 2),
    ("RON", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TND", 3),
    ("TRY", 2),
    ("UAH", 2),
    ("USD", 2),
    ("ZAR", 2),
];

impl Currency {
    /// A currency from its three-letter code (any case). Errors name `field`.
    pub fn parse_field(input: &str, field: &'static str) -> Result<Self, FieldError> {
        let code = input.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == code)
            .map(|&(code, minor_units)| Self { code, minor_units })
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    "Choose a currency from the list (e.g. EUR, USD, JPY).",
                )
            })
    }

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        Self::parse_field(input, "currency")
    }

    pub fn all() -> impl Iterator<Item = Self> {
        CURRENCIES
            .iter()
            .map(|&(code, minor_units)| Self { code, minor_units })
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point: JPY 0, EUR 2, BHD 3.
    pub fn minor_units(self) -> u32 {
        self.minor_units
    }

    /// `amount` rounded to this currency's minor unit, half away from zero.
    pub fn round(self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_units, RoundingStrategy::MidpointAwayFromZero)
    }

    /// A rounded amount as a whole number of minor units (cents, yen, fils),
    /// the form amounts are stored in.
    pub fn to_minor(self, amount: Decimal) -> Result<i64, Overflow> {
        let scaled = self
            .round(amount)
            .checked_mul(Decimal::from(10_i64.pow(self.minor_units)))
            .ok_or(Overflow)?;
        i64::try_from(scaled).map_err(|_| Overflow)
    }

    /// The amount of `minor` minor units.
    pub fn from_minor(self, minor: i64) -> Decimal {
        Decimal::new(minor, self.minor_units)
    }

    /// The amount of a sum of minor units too large for an `i64` (totals
    /// over many documents); beyond what a `Decimal` holds (about 7.9·10^28
    /// minor units, unreachable with capped documents) it is `Overflow`.
    pub fn from_minor_sum(self, minor: i128) -> Result<Decimal, Overflow> {
        Decimal::try_from_i128_with_scale(minor, self.minor_units).map_err(|_| Overflow)
    }

    /// `amount` as this currency writes it: always all its decimals.
    pub fn format(self, amount: Decimal) -> String {
        let mut rounded = self.round(amount);
        rounded.rescale(self.minor_units);
        format!("{} {}", self.code, group_thousands(&rounded.to_string()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

fn group_thousands(plain: &str) -> String {
    let (sign, digits) = plain
        .strip_prefix('-')
        .map_or(("", plain), |rest| ("-", rest));
    let (whole, fraction) = digits
        .split_once('.')
        .map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(fraction) => format!("{sign}{grouped}.{fraction}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An amount too large to compute with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// Sums amounts, failing instead of overflowing.
pub fn checked_sum(amounts: impl IntoIterator<Item = Decimal>) -> Result<Decimal, Overflow> {
    amounts.into_iter().try_fold(Decimal::ZERO, |sum, amount| {
        sum.checked_add(amount).ok_or(Overflow)
    })
}

/// Parses a decimal typed by a person: digits with an optional `.` (or a
/// `,`) and sign; no exponent, at most `max_decimals` decimals.
pub fn parse_decimal(input: &str, field: &str, max_decimals: u32) -> Result<Decimal, FieldError> {
    let text = input.trim().replace(',', ".");
    let invalid = || FieldError::new(field.to_owned(), "Enter a number, like 12.50.");
    if text.is_empty() {
        return Err(FieldError::new(field.to_owned(), "Enter a number."));
    }
    let unsigned = text.strip_prefix('-').unwrap_or(&text);
    let well_formed = !unsigned.is_empty()
        && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
        && unsigned.matches('.').count() <= 1
        && !unsigned.starts_with('.')
        && !unsigned.ends_with('.');
    if !well_formed {
        return Err(invalid());
    }
    let value = Decimal::from_str_exact(&text)
        .map_err(|_| FieldError::new(field.to_owned(), "This number is too large."))?;
    if value.scale() > max_decimals {
        return Err(FieldError::new(
            field.to_owned(),
            format!("Use at most {max_decimals} decimals."),
        ));
    }
    Ok(value.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn sums_beyond_i64_still_read_exactly() {
        let euro = Currency::parse("EUR").unwrap();
        let two_huge = i128::from(i64::MAX) * 2;
        assert_eq!(
            euro.from_minor_sum(two_huge).unwrap().to_string(),
            "184467440737095516.14"
        );
        assert_eq!(euro.from_minor_sum(i128::MAX), Err(Overflow));
    }

    #[test]
    fn currencies_round_to_their_minor_unit_half_away_from_zero() {
        let eur = Currency::parse("eur").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(eur.round(dec("2.345")), dec("2.35"));
        assert_eq!(eur.round(dec("-2.345")), dec("-2.35"));
        assert_eq!(jpy.round(dec("2.5")), dec("3"));
        assert_eq!(bhd.round(dec("1.23456")), dec("1.235"));
        assert_eq!(Currency::parse("XXX").unwrap_err().field, "currency");
    }

    #[test]
    fn amounts_print_with_all_their_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.format(dec("1234567.5")), "EUR 1,234,567.50");
        assert_eq!(eur.format(dec("-12")), "EUR -12.00");
        assert_eq!(
            Currency::parse("JPY").unwrap().format(dec("1000")),
            "JPY 1,000"
        );
        assert_eq!(
            Currency::parse("KWD").unwrap().format(dec("0.5")),
            "KWD 0.500"
        );
    }

    #[test]
    fn typed_numbers_are_parsed_exactly() {
        assert_eq!(parse_decimal(" 12,50 ", "price", 4).unwrap(), dec("12.5"));
        assert_eq!(parse_decimal("-3", "qty", 4).unwrap(), dec("-3"));
        for bad in ["", "1e5", "abc", "1.2.3", ".5", "5.", "--1", "NaN"] {
            assert_eq!(
                parse_decimal(bad, "price", 4).unwrap_err().field,
                "price",
                "{bad:?}"
            );
        }
        assert!(parse_decimal("1.23456", "price", 4).is_err());
        assert!(parse_decimal("99999999999999999999999999999999", "price", 4).is_err());
    }

    #[test]
    fn minor_units_round_trip() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(eur.to_minor(dec("12.345")), Ok(1235));
        assert_eq!(eur.from_minor(1235), dec("12.35"));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.to_minor(dec("1000")), Ok(1000));
        assert_eq!(
            Currency::parse("BHD").unwrap().from_minor(-1),
            dec("-0.001")
        );
        assert_eq!(eur.to_minor(Decimal::MAX), Err(Overflow));
    }

    #[test]
    fn sums_refuse_to_overflow() {
        assert_eq!(checked_sum([Decimal::MAX, Decimal::ONE]), Err(Overflow));
        assert_eq!(checked_sum([dec("0.1"), dec("0.2")]), Ok(dec("0.3")));
    }
}
