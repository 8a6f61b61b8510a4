//! The EPC QR code ("GiroCode"), EPC069-12 version 002: the payload a
//! banking app scans to fill in a SEPA credit transfer (issue 15). Fields,
//! one per line (LF): service tag `BCD`, version `002`, character set `1`
//! (UTF-8), identification `SCT`, the BIC (optional in version 002), the
//! beneficiary's name (at most 70 characters), the IBAN, the amount as
//! `EUR` and at most two decimals (0.01 to 999999999.99), the purpose code
//! (empty), the structured creditor reference (empty), and the unstructured
//! remittance text (at most 140 characters): here the document's number.
//! The whole payload is at most 331 bytes; the code uses error correction
//! level M (EPC069-12, section 3).

use super::payout::PayoutDetails;
use rust_decimal::Decimal;

/// The largest payload EPC069-12 allows, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 331;

/// The payload for paying `amount` euros to `payout` with `remittance` as
/// the transfer's text; `None` when the details have no IBAN or the
/// amount or a field is outside the standard's limits (the page then
/// shows the details as text only).
pub fn payload(payout: &PayoutDetails, amount: Decimal, remittance: &str) -> Option<String> {
    let maximum = Decimal::new(99_999_999_999, 2);
    if payout.iban.is_empty()
        || amount < Decimal::new(1, 2)
        || amount > maximum
        || amount.round_dp(2) != amount
        || payout.holder.is_empty()
        || payout.holder.chars().count() > 70
        || remittance.chars().count() > 140
        || [&payout.holder, &payout.bic, &payout.iban]
            .iter()
            .any(|field| field.contains(['\n', '\r']))
        || remittance.contains(['\n', '\r'])
    {
        return None;
    }
    let text = format!(
        "BCD\n002\n1\nSCT\n{bic}\n{name}\n{iban}\nEUR{amount}\n\n\n{remittance}",
        bic = payout.bic,
        name = payout.holder,
        iban = payout.iban,
        amount = amount.round_dp(2).normalize(),
    );
    (text.len() <= MAX_PAYLOAD_BYTES).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn details() -> PayoutDetails {
        PayoutDetails::parse(
            "Alpha Books GmbH",
            "DE89370400440532013000",
            "COBADEFFXXX",
            "",
        )
        .unwrap()
    }

    #[test]
    fn the_payload_follows_epc069_12_field_by_field() {
        let text = payload(
            &details(),
            Decimal::from_str("1234.50").unwrap(),
            "INV-2026-0007",
        )
        .unwrap();
        let fields: Vec<&str> = text.split('\n').collect();
        assert_eq!(
            fields,
            [
                "BCD",
                "002",
                "1",
                "SCT",
                "COBADEFFXXX",
                "Alpha Books GmbH",
                "DE89370400440532013000",
                "EUR1234.5",
                "",
                "",
                "INV-2026-0007"
            ]
        );
    }

    #[test]
    fn amounts_and_fields_outside_the_limits_give_no_code() {
        let pay = |amount: &str| payload(&details(), Decimal::from_str(amount).unwrap(), "X");
        assert!(pay("0.01").is_some());
        assert!(pay("999999999.99").is_some());
        assert!(pay("0").is_none());
        assert!(pay("-5").is_none());
        assert!(pay("1000000000").is_none());
        assert!(pay("1.005").is_none(), "at most two decimals");
        let no_iban = PayoutDetails::parse("", "", "", "Routing 021000021").unwrap();
        assert!(payload(&no_iban, Decimal::ONE, "X").is_none());
        assert!(payload(&details(), Decimal::ONE, &"x".repeat(141)).is_none());
    }

    #[test]
    fn the_longest_fields_stay_within_331_bytes() {
        let long = PayoutDetails {
            holder: "ü".repeat(70),
            iban: "DE89370400440532013000".into(),
            bic: "COBADEFFXXX".into(),
            text: String::new(),
        };
        let text = payload(
            &long,
            Decimal::from_str("999999999.99").unwrap(),
            &"R".repeat(140),
        );
        assert!(text.is_none_or(|text| text.len() <= MAX_PAYLOAD_BYTES));
        let ascii = PayoutDetails {
            holder: "A".repeat(70),
            ..long
        };
        let text = payload(
            &ascii,
            Decimal::from_str("999999999.99").unwrap(),
            &"R".repeat(140),
        )
        .unwrap();
        assert!(text.len() <= MAX_PAYLOAD_BYTES, "{}", text.len());
    }
}
