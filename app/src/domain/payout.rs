//! The organization's payout details: where customers send money. Changing
//! them is how payment-redirection fraud works (someone alters the bank
//! details on an emailed invoice, or in the sender's account), so a change
//! needs a step-up, mails every owner, is an audit event, and for
//! [`CHANGE_NOTICE_DAYS`] days documents say "bank details changed on
//! <date>" (issue 14).
//!
//! Rules: the IBAN (ISO 13616) is checked by its country's length and BBAN
//! structure and its MOD 97-10 check digits (`iban_validate`); the BIC is
//! ISO 9362 (4 institution characters, 2 country letters, 2 location
//! characters, optionally 3 branch characters); the account holder is at
//! most 70 characters, the EPC069-12 limit for the beneficiary's name.
//! Countries without IBAN give their details as free text instead.

use super::FieldError;
use time::{Date, Duration, OffsetDateTime};

/// How long documents announce a change of the payout details.
pub const CHANGE_NOTICE_DAYS: i64 = 14;

/// The account holder's name, at most this many characters (EPC069-12).
pub const HOLDER_MAX_CHARS: usize = 70;

/// The free-text details, at most this many characters.
pub const TEXT_MAX_CHARS: usize = 1000;

/// Checked payout details. All empty means "none given".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayoutDetails {
    /// The account holder (beneficiary), trimmed.
    pub holder: String,
    /// The IBAN in electronic format (no spaces, upper case), or empty.
    pub iban: String,
    /// The BIC in upper case, 8 or 11 characters, or empty.
    pub bic: String,
    /// Free text for accounts without an IBAN, trimmed.
    pub text: String,
}

impl PayoutDetails {
    /// Checks what an owner typed.
    ///
    /// # Errors
    /// A [`FieldError`] naming `bank_holder`, `bank_iban`, `bank_bic` or
    /// `bank_text`.
    pub fn parse(holder: &str, iban: &str, bic: &str, text: &str) -> Result<Self, FieldError> {
        let holder = holder.trim();
        if holder.chars().count() > HOLDER_MAX_CHARS || holder.chars().any(char::is_control) {
            return Err(FieldError::new(
                "bank_holder",
                format!("Use at most {HOLDER_MAX_CHARS} characters, on one line."),
            ));
        }
        let iban = normalize_iban(iban)?;
        let bic = normalize_bic(bic)?;
        if !bic.is_empty() && iban.is_empty() {
            return Err(FieldError::new(
                "bank_iban",
                "Give the IBAN of the account this BIC belongs to.",
            ));
        }
        if !iban.is_empty() && holder.is_empty() {
            return Err(FieldError::new(
                "bank_holder",
                "Give the account holder's name, as the bank knows it.",
            ));
        }
        let text = text.trim();
        if text.chars().count() > TEXT_MAX_CHARS
            || text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(FieldError::new(
                "bank_text",
                format!("Use at most {TEXT_MAX_CHARS} characters."),
            ));
        }
        Ok(Self {
            holder: holder.to_owned(),
            iban,
            bic,
            text: text.replace("\r\n", "\n"),
        })
    }

    /// Whether nothing is given.
    pub fn is_empty(&self) -> bool {
        self.holder.is_empty()
            && self.iban.is_empty()
            && self.bic.is_empty()
            && self.text.is_empty()
    }

    /// The IBAN in paper format: groups of four separated by spaces.
    pub fn iban_paper(&self) -> String {
        paper(&self.iban)
    }

    /// One line per detail, as documents and mails print them.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.holder.is_empty() {
            lines.push(format!("Account holder: {}", self.holder));
        }
        if !self.iban.is_empty() {
            lines.push(format!("IBAN: {}", self.iban_paper()));
        }
        if !self.bic.is_empty() {
            lines.push(format!("BIC: {}", self.bic));
        }
        lines.extend(self.text.lines().map(str::to_owned));
        lines
    }
}

/// `iban` in groups of four.
fn paper(iban: &str) -> String {
    iban.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn normalize_iban(iban: &str) -> Result<String, FieldError> {
    let compact: String = iban
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if compact.is_empty() {
        return Ok(compact);
    }
    compact
        .parse::<iban::Iban>()
        .map(|parsed| iban::IbanLike::electronic_str(&parsed).to_owned())
        .map_err(|_| {
            FieldError::new(
                "bank_iban",
                "This is not a valid IBAN: check the country code, the length and every digit.",
            )
        })
}

fn normalize_bic(bic: &str) -> Result<String, FieldError> {
    let bic = bic.trim().to_uppercase();
    if bic.is_empty() {
        return Ok(bic);
    }
    let bytes = bic.as_bytes();
    let alnum = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    let valid = matches!(bytes.len(), 8 | 11)
        && alnum(0..4)
        && bytes[4..6].iter().all(u8::is_ascii_uppercase)
        && alnum(6..8)
        && alnum(8..bytes.len());
    if valid {
        Ok(bic)
    } else {
        Err(FieldError::new(
            "bank_bic",
            "A BIC has 8 or 11 letters and digits, such as DEUTDEFF or DEUTDEFF500.",
        ))
    }
}

/// Invisible format characters (zero-width spaces and joiners, soft
/// hyphen, word joiner, byte order mark, bidirectional controls): a reader
/// never sees them, so a check must not either.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// `c` as the Latin capital letter or ASCII digit it looks like: NFKC has
/// already folded full-width and mathematical forms; this adds the
/// Cyrillic and Greek capitals that are drawn like Latin ones and the
/// common non-Latin decimal digits.
fn as_latin(c: char) -> char {
    let digit = |zero: u32| char::from_digit(u32::from(c) - zero, 10).unwrap_or(c);
    match c {
        '\u{0660}'..='\u{0669}' => digit(0x0660),
        '\u{06F0}'..='\u{06F9}' => digit(0x06F0),
        '\u{0966}'..='\u{096F}' => digit(0x0966),
        '\u{09E6}'..='\u{09EF}' => digit(0x09E6),
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'У' | 'Υ' => 'Y',
        'Ζ' => 'Z',
        other => other,
    }
}

/// Every valid IBAN written in `text`, in electronic format, in order:
/// however it is written for a human to read it. The text is folded first
/// (NFKC, upper case, look-alike Cyrillic and Greek capitals and
/// non-Latin digits to ASCII, invisible characters dropped); then any run
/// of up to three other characters (spaces of any kind, line breaks,
/// punctuation) separates groups. Only readings that pass the country's
/// length, its account structure and the check digits count, so joining
/// across words rarely finds one that is not there.
pub fn ibans_in(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    // Letters and digits, each with whether a gap (a short separator run)
    // or a break (a long one) came before it.
    let mut symbols: Vec<(char, bool)> = Vec::new();
    let mut run = 0_usize;
    for c in text.nfkc().filter(|c| !is_invisible(*c)) {
        let c = as_latin(c.to_uppercase().next().unwrap_or(c));
        if c.is_ascii_alphanumeric() {
            symbols.push((c, run > 3));
            run = 0;
        } else {
            run += 1;
        }
    }
    let mut found = Vec::new();
    for start in 0..symbols.len() {
        let starts_like_iban = symbols.len() >= start + 4
            && symbols[start].0.is_ascii_uppercase()
            && symbols[start + 1].0.is_ascii_uppercase()
            && symbols[start + 2].0.is_ascii_digit()
            && symbols[start + 3].0.is_ascii_digit();
        if !starts_like_iban {
            continue;
        }
        let mut compact = String::new();
        let mut candidates = Vec::new();
        for (index, (c, broken)) in symbols[start..].iter().enumerate() {
            if index > 0 && *broken {
                break;
            }
            compact.push(*c);
            candidates.push(compact.clone());
            if compact.len() == 34 {
                break;
            }
        }
        // The longest valid reading (each country's IBANs have one length).
        if let Some(iban) = candidates
            .into_iter()
            .rev()
            .filter(|candidate| candidate.len() >= 15)
            .find(|candidate| candidate.parse::<iban::Iban>().is_ok())
        {
            found.push(iban);
        }
    }
    found
}

/// Checks text an organization writes to its customers (a mail template
/// or message, an invoice's notes or terms): it may name no bank account
/// but the payout details' own `payout_iban`. Other account details go
/// through the payout settings, which only an owner changes after a
/// step-up and which documents announce for 14 days; otherwise anyone who
/// may write an invoice or a message could redirect payments unnoticed.
///
/// # Errors
/// `field`: the text holds another IBAN.
pub fn check_free_text(
    field: &'static str,
    text: &str,
    payout_iban: &str,
) -> Result<(), FieldError> {
    if ibans_in(text).iter().any(|iban| iban != payout_iban) {
        return Err(FieldError::new(
            field,
            "Bank details belong in the payout settings (an owner changes them, and customers are told): remove the IBAN from this text.",
        ));
    }
    Ok(())
}

/// [`check_free_text`] on each `(field, text)`.
///
/// # Errors
/// The first field that names another IBAN.
pub fn check_all_free_text<'a>(
    texts: impl IntoIterator<Item = (&'static str, &'a str)>,
    payout_iban: &str,
) -> Result<(), FieldError> {
    texts
        .into_iter()
        .try_for_each(|(field, text)| check_free_text(field, text, payout_iban))
}

/// The date to announce on documents when the details changed at
/// `changed_at` and it is `now`: within [`CHANGE_NOTICE_DAYS`] days, the
/// change's date (UTC); later, or never changed, none.
pub fn change_notice(changed_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Option<Date> {
    changed_at
        .filter(|changed| now - *changed < Duration::days(CHANGE_NOTICE_DAYS))
        .map(OffsetDateTime::date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<PayoutDetails, FieldError>) -> String {
        result.unwrap_err().field.into_owned()
    }

    #[test]
    fn an_iban_is_kept_in_electronic_format_and_printed_in_groups() {
        let details =
            PayoutDetails::parse(" ACME GmbH ", "de44 5001 0517 5407 3249 31", "deutdeff", "")
                .unwrap();
        assert_eq!(details.iban, "DE44500105175407324931");
        assert_eq!(details.iban_paper(), "DE44 5001 0517 5407 3249 31");
        assert_eq!(details.bic, "DEUTDEFF");
        assert_eq!(details.holder, "ACME GmbH");
        assert_eq!(
            details.lines(),
            [
                "Account holder: ACME GmbH",
                "IBAN: DE44 5001 0517 5407 3249 31",
                "BIC: DEUTDEFF"
            ]
        );
    }

    #[test]
    fn a_wrong_check_digit_length_or_country_is_refused() {
        for iban in [
            "DE45500105175407324931", // check digits off by one
            "DE4450010517540732493",  // one digit short
            "XX44500105175407324931", // no such country
            "DE44 5001 0517 5407 3249 3!",
        ] {
            assert_eq!(
                field_of(PayoutDetails::parse("A", iban, "", "")),
                "bank_iban",
                "{iban}"
            );
        }
    }

    #[test]
    fn a_bic_follows_iso_9362() {
        for bic in ["DEUTDEFF500", "NEDSZAJJ", "1234DEFF"] {
            assert!(
                PayoutDetails::parse("A", "DE44500105175407324931", bic, "").is_ok(),
                "{bic}"
            );
        }
        for bic in ["DEUTDEF", "DEUTD1FF", "DEUTDEFF5", "DEUT-EFF"] {
            assert_eq!(
                field_of(PayoutDetails::parse("A", "DE44500105175407324931", bic, "")),
                "bank_bic",
                "{bic}"
            );
        }
    }

    #[test]
    fn holder_and_iban_go_together_and_free_text_stands_alone() {
        assert_eq!(
            field_of(PayoutDetails::parse("", "DE44500105175407324931", "", "")),
            "bank_holder"
        );
        assert_eq!(
            field_of(PayoutDetails::parse("A", "", "DEUTDEFF", "")),
            "bank_iban"
        );
        let text = PayoutDetails::parse("", "", "", "Routing 021000021\r\nAccount 1234").unwrap();
        assert_eq!(text.lines(), ["Routing 021000021", "Account 1234"]);
        assert!(PayoutDetails::parse("", "", "", "").unwrap().is_empty());
        assert_eq!(
            field_of(PayoutDetails::parse(&"x".repeat(71), "", "", "")),
            "bank_holder"
        );
        assert_eq!(
            field_of(PayoutDetails::parse("A\tB", "", "", "")),
            "bank_holder"
        );
    }

    #[test]
    fn an_iban_is_found_in_text_however_it_is_written() {
        assert_eq!(
            ibans_in("Please pay to de89 3704 0044 0532 0130 00 by Friday."),
            ["DE89370400440532013000"]
        );
        assert_eq!(
            ibans_in("IBANGB33BUKB20201555555555"),
            ["GB33BUKB20201555555555"],
            "glued to a word"
        );
        assert_eq!(
            ibans_in("gb33-bukb-2020-1555-5555-55"),
            ["GB33BUKB20201555555555"]
        );
        assert_eq!(
            ibans_in("IBAN: GB33BUKB20201555555555. Or DE89370400440532013000"),
            ["GB33BUKB20201555555555", "DE89370400440532013000"]
        );
        assert!(ibans_in("Order DE12 of 2026, invoice AB12-3456").is_empty());
        assert!(
            ibans_in("DE89 3704 0044 0532 0130 01").is_empty(),
            "bad check digits"
        );
    }

    #[test]
    fn look_alikes_invisible_characters_and_odd_separators_hide_nothing() {
        let foreign = "DE44500105175407324931";
        for written in [
            "DE44\u{00A0}5001\u{00A0}0517\u{00A0}5407\u{00A0}3249\u{00A0}31",
            "DE44\u{202F}5001\u{2009}0517 5407 3249 31",
            "DE44  5001\t0517\n5407 / 3249_31",
            "DE 44 50 01 05 17 54 07 32 49 31",
            "DE44\u{200B}5001\u{00AD}05175407324931",
            "ＤＥ４４５００１０５１７５４０７３２４９３１",
            "D\u{0415}44 5001 0517 5407 3249 31",
            "DE٤٤ 5001 0517 5407 3249 31",
            "DE44, 5001: 0517+5407. 3249 31",
        ] {
            assert_eq!(ibans_in(written), [foreign], "{written:?}");
        }
        assert!(
            ibans_in("DE44 5001 0517 ... the rest is 5407 3249 31").is_empty(),
            "a long gap breaks the number"
        );
        assert!(ibans_in("VAT DE123456789, order 2026-0042, PO 77/1").is_empty());
    }

    #[test]
    fn free_text_may_name_the_payout_account_only() {
        let own = "DE89370400440532013000";
        assert!(check_free_text("notes", "Pay to DE89 3704 0044 0532 0130 00.", own).is_ok());
        assert!(check_free_text("notes", "Thank you for your business.", own).is_ok());
        let refused = check_free_text(
            "message",
            "We moved banks: GB33 BUKB 2020 1555 5555 55",
            own,
        );
        assert_eq!(refused.unwrap_err().field, "message");
        let second = check_free_text(
            "terms",
            "Ours: DE89 3704 0044 0532 0130 00, or GB33BUKB20201555555555",
            own,
        );
        assert!(second.is_err(), "a second, other account after ours");
        assert!(check_free_text("notes", "GB33BUKB20201555555555", "").is_err());
    }

    #[test]
    fn a_change_is_announced_for_fourteen_days() {
        let changed = time::macros::datetime!(2026-11-01 10:00 UTC);
        assert_eq!(
            change_notice(Some(changed), changed + Duration::days(13)),
            Some(changed.date())
        );
        assert_eq!(
            change_notice(Some(changed), changed + Duration::days(14)),
            None
        );
        assert_eq!(change_notice(None, changed), None);
    }
}
