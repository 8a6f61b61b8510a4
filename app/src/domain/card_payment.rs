//! Card payments through Stripe (issue 15): which amount a customer may pay,
//! how it is written in Stripe's units, the shape of the organization's
//! keys, and the `Stripe-Signature` header of a webhook delivery.
//!
//! The HMAC itself is computed on the server (`ssr::stripe`); this module
//! parses and checks everything around it, so the rules are testable alone.

use super::FieldError;
use super::money::{Currency, parse_decimal};
use rust_decimal::Decimal;

/// How old a webhook's signed timestamp may be, either way, in seconds
/// (Stripe's own libraries default to 300).
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// The amount a customer asks to pay now.
///
/// `typed` is what they entered (`None` or empty: the whole balance).
/// Where the organization allows partial payments, any amount from
/// `minimum` (or the balance, if smaller) up to the balance is accepted;
/// otherwise only the balance. The result is rounded to the currency's
/// minor unit (ISO 4217).
///
/// # Errors
/// `amount`: not a number, more decimals than the currency has, above the
/// balance, below the minimum, or partial payment not allowed; `balance`
/// when nothing is due.
pub fn amount_to_pay(
    currency: Currency,
    balance: Decimal,
    typed: Option<&str>,
    partial_allowed: bool,
    minimum: Decimal,
) -> Result<Decimal, FieldError> {
    if balance <= Decimal::ZERO {
        return Err(FieldError::new(
            "balance",
            "Nothing is due on this invoice.",
        ));
    }
    let typed = typed.map(str::trim).filter(|text| !text.is_empty());
    let Some(typed) = typed else {
        return Ok(balance);
    };
    let amount = parse_decimal(typed, "amount", currency.minor_units())?;
    if amount == balance {
        return Ok(balance);
    }
    let shown = |value: Decimal| currency.format(value);
    if !partial_allowed {
        return Err(FieldError::new(
            "amount",
            format!(
                "Pay the balance of {}: part payments are not accepted online.",
                shown(balance)
            ),
        ));
    }
    if amount > balance {
        return Err(FieldError::new(
            "amount",
            format!("At most the balance of {}.", shown(balance)),
        ));
    }
    let floor = minimum.min(balance).max(currency.from_minor(1));
    if amount < floor {
        return Err(FieldError::new(
            "amount",
            format!("At least {}.", shown(floor)),
        ));
    }
    Ok(amount)
}

/// `amount` in the unit Stripe's API counts (its "smallest currency unit"):
/// the ISO 4217 minor unit, except ISK, which Stripe counts in hundredths;
/// three-decimal currencies must end in 0.
///
/// # Errors
/// `amount` when the amount cannot be expressed (too large, or a
/// three-decimal amount Stripe refuses).
pub fn stripe_units(currency: Currency, amount: Decimal) -> Result<i64, FieldError> {
    let too_large = || FieldError::new("amount", "That amount is too large to pay by card.");
    let minor = currency.to_minor(amount).map_err(|_| too_large())?;
    match currency.code() {
        "ISK" => minor.checked_mul(100).ok_or_else(too_large),
        _ if currency.minor_units() == 3 && minor % 10 != 0 => Err(FieldError::new(
            "amount",
            "Card payments in this currency must be a multiple of 0.010.",
        )),
        _ => Ok(minor),
    }
}

/// The inverse of [`stripe_units`]: what Stripe reports, as an amount.
pub fn from_stripe_units(currency: Currency, units: i64) -> Decimal {
    match currency.code() {
        "ISK" => currency.from_minor(units / 100),
        _ => currency.from_minor(units),
    }
}

/// Which of the organization's three Stripe values a text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripeKey {
    /// `pk_test_…` or `pk_live_…`: goes to the browser.
    Publishable,
    /// `sk_…` or a restricted `rk_…` key: stays on the server, encrypted.
    Secret,
    /// `whsec_…`: the webhook endpoint's signing secret, encrypted.
    WebhookSecret,
}

impl StripeKey {
    fn field(self) -> &'static str {
        match self {
            Self::Publishable => "publishable_key",
            Self::Secret => "secret_key",
            Self::WebhookSecret => "webhook_secret",
        }
    }

    fn prefixes(self) -> &'static [&'static str] {
        match self {
            Self::Publishable => &["pk_test_", "pk_live_"],
            Self::Secret => &["sk_test_", "sk_live_", "rk_test_", "rk_live_"],
            Self::WebhookSecret => &["whsec_"],
        }
    }

    /// The trimmed key, checked for its prefix and characters.
    ///
    /// # Errors
    /// The key's field (`publishable_key`, `secret_key`, `webhook_secret`)
    /// with what is expected.
    pub fn parse(self, input: &str) -> Result<String, FieldError> {
        let key = input.trim();
        let prefixed = self.prefixes().iter().any(|prefix| key.starts_with(prefix));
        let charset = key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if prefixed && charset && (10..=255).contains(&key.len()) {
            return Ok(key.to_owned());
        }
        let expected = self.prefixes().join("…, ");
        let hint = if self == Self::Secret && key.starts_with("pk_") {
            " That is the publishable key; the secret one is beside it."
        } else {
            ""
        };
        Err(FieldError::new(
            self.field(),
            format!("Paste the key from Stripe's dashboard: it starts with {expected}….{hint}"),
        ))
    }

    /// How a stored secret is shown back: its prefix and last four
    /// characters (`sk_test_…4242`), never more.
    pub fn masked(key: &str) -> String {
        let prefix_end = key
            .match_indices('_')
            .nth(1)
            .map_or_else(|| key.find('_').map_or(0, |at| at + 1), |(at, _)| at + 1);
        let prefix = &key[..prefix_end.min(key.len())];
        let tail: String = key
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{prefix}…{tail}")
    }
}

/// A parsed `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>,…`.
/// Several `v1` signatures appear while a signing secret is being rolled;
/// any one of them may match. Other schemes (`v0`) are ignored.
#[derive(Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub signatures: Vec<Vec<u8>>,
}

/// Why a webhook delivery is refused (all answer 400, none records anything).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header, or one without t= and v1=")]
    Malformed,
    #[error("the signed timestamp is more than 5 minutes from now")]
    Stale,
    #[error("no v1 signature matches the payload")]
    Mismatch,
}

impl SignatureHeader {
    /// Parses the header.
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] without a timestamp or a valid `v1`.
    pub fn parse(header: &str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                continue;
            };
            match key {
                "t" => timestamp = value.parse::<i64>().ok(),
                "v1" => {
                    if let Some(bytes) = decode_hex(value) {
                        signatures.push(bytes);
                    }
                }
                _ => {}
            }
        }
        match timestamp {
            Some(timestamp) if !signatures.is_empty() => Ok(Self {
                timestamp,
                signatures,
            }),
            _ => Err(SignatureError::Malformed),
        }
    }

    /// Whether the timestamp is within [`SIGNATURE_TOLERANCE_SECONDS`] of
    /// `now_unix`, either way.
    ///
    /// # Errors
    /// [`SignatureError::Stale`].
    pub fn check_time(&self, now_unix: i64) -> Result<(), SignatureError> {
        if (now_unix - self.timestamp).abs() <= SIGNATURE_TOLERANCE_SECONDS {
            Ok(())
        } else {
            Err(SignatureError::Stale)
        }
    }

    /// The bytes each `v1` signature is an HMAC-SHA256 of:
    /// `<timestamp>.<payload>`.
    pub fn signed_payload(&self, payload: &[u8]) -> Vec<u8> {
        let mut signed = format!("{}.", self.timestamp).into_bytes();
        signed.extend_from_slice(payload);
        signed
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    #[test]
    fn the_balance_is_paid_unless_a_part_is_allowed_and_within_limits() {
        let balance = d("11.20");
        assert_eq!(
            amount_to_pay(eur(), balance, None, false, d("5")),
            Ok(balance)
        );
        assert_eq!(
            amount_to_pay(eur(), balance, Some(" "), true, d("5")),
            Ok(balance)
        );
        assert_eq!(
            amount_to_pay(eur(), balance, Some("11.20"), false, d("5")),
            Ok(balance)
        );
        assert_eq!(
            amount_to_pay(eur(), balance, Some("6.00"), true, d("5")),
            Ok(d("6.00"))
        );
        assert_eq!(
            amount_to_pay(eur(), balance, Some("5"), true, d("5")),
            Ok(d("5"))
        );
        for (typed, partial, expected) in [
            ("6.00", false, "part payments are not accepted"),
            ("11.21", true, "At most the balance of EUR 11.20"),
            ("4.99", true, "At least EUR 5.00"),
            ("0", true, "At least EUR 5.00"),
            ("-1", true, "At least EUR 5.00"),
            ("1.005", true, ""),
            ("ten", true, "number"),
        ] {
            let error = amount_to_pay(eur(), balance, Some(typed), partial, d("5")).unwrap_err();
            assert_eq!(error.field, "amount", "{typed}");
            assert!(
                error.message.contains(expected),
                "{typed}: {}",
                error.message
            );
        }
        // A balance below the minimum may still be paid in full.
        assert_eq!(
            amount_to_pay(eur(), d("3"), Some("3"), true, d("5")),
            Ok(d("3"))
        );
        assert_eq!(
            amount_to_pay(eur(), d("0"), None, true, d("5"))
                .unwrap_err()
                .field,
            "balance"
        );
    }

    #[test]
    fn stripe_counts_in_minor_units_with_its_exceptions() {
        assert_eq!(stripe_units(eur(), d("11.20")), Ok(1120));
        let yen = Currency::parse("JPY").unwrap();
        assert_eq!(stripe_units(yen, d("500")), Ok(500));
        let krona = Currency::parse("ISK").unwrap();
        assert_eq!(stripe_units(krona, d("500")), Ok(50_000));
        assert_eq!(from_stripe_units(krona, 50_000), d("500"));
        let dinar = Currency::parse("KWD").unwrap();
        assert_eq!(stripe_units(dinar, d("1.230")), Ok(1230));
        assert!(stripe_units(dinar, d("1.234")).is_err());
        assert_eq!(from_stripe_units(eur(), 1120), d("11.20"));
    }

    #[test]
    fn keys_are_checked_by_their_prefix_and_shown_masked() {
        assert!(StripeKey::Publishable.parse(" pk_test_abc123XYZ ").is_ok());
        assert!(StripeKey::Secret.parse("sk_live_abcdef123456").is_ok());
        assert!(StripeKey::Secret.parse("rk_test_abcdef123456").is_ok());
        assert!(StripeKey::WebhookSecret.parse("whsec_abcdef123456").is_ok());
        let wrong = StripeKey::Secret.parse("pk_test_abcdef123456").unwrap_err();
        assert_eq!(wrong.field, "secret_key");
        assert!(wrong.message.contains("publishable key"));
        assert!(
            StripeKey::WebhookSecret
                .parse("whsec_abc def123456")
                .is_err()
        );
        assert!(StripeKey::Publishable.parse("pk_test_<script>").is_err());
        assert_eq!(
            StripeKey::masked("sk_test_51Habcdefgh4242"),
            "sk_test_…4242"
        );
        assert_eq!(StripeKey::masked("whsec_abcdefgh9876"), "whsec_…9876");
    }

    #[test]
    fn signature_headers_parse_with_several_v1_and_a_tolerance() {
        let hex = "ab".repeat(32);
        let header = SignatureHeader::parse(&format!(
            "t=1700000000,v1={hex},v0=zz,v1={}",
            "cd".repeat(32)
        ))
        .unwrap();
        assert_eq!(header.timestamp, 1_700_000_000);
        assert_eq!(header.signatures.len(), 2);
        assert_eq!(header.signed_payload(b"{}"), b"1700000000.{}");
        assert!(header.check_time(1_700_000_300).is_ok());
        assert!(header.check_time(1_699_999_700).is_ok());
        assert_eq!(header.check_time(1_700_000_301), Err(SignatureError::Stale));
        assert_eq!(header.check_time(1_699_999_699), Err(SignatureError::Stale));
        for bad in [
            "",
            "t=1700000000",
            &format!("v1={hex}"),
            "t=x,v1=zz",
            &format!("t=1,v1={}", "ab".repeat(31)),
        ] {
            assert_eq!(
                SignatureHeader::parse(bad),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
