//! An invoice's payment status, always derived from its facts (issued,
//! voided, total, paid, due date, today), never stored, so it cannot drift.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InvoiceStatus {
    Draft,
    Unpaid,
    PartiallyPaid,
    /// A balance is still due after the due date.
    Overdue,
    Paid,
    Void,
}

pub const ALL_STATUSES: [InvoiceStatus; 6] = [
    InvoiceStatus::Draft,
    InvoiceStatus::Unpaid,
    InvoiceStatus::PartiallyPaid,
    InvoiceStatus::Overdue,
    InvoiceStatus::Paid,
    InvoiceStatus::Void,
];

/// What the status is derived from.
pub struct StatusFacts {
    pub issued: bool,
    pub voided: bool,
    /// What the invoice asks for, after credit notes.
    pub amount_due: Decimal,
    pub paid: Decimal,
    pub due_date: Date,
}

impl InvoiceStatus {
    pub fn derive(facts: &StatusFacts, today: Date) -> Self {
        if facts.voided {
            Self::Void
        } else if !facts.issued {
            Self::Draft
        } else if facts.paid >= facts.amount_due {
            Self::Paid
        } else if today > facts.due_date {
            Self::Overdue
        } else if facts.paid > Decimal::ZERO {
            Self::PartiallyPaid
        } else {
            Self::Unpaid
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Unpaid => "unpaid",
            Self::PartiallyPaid => "partially_paid",
            Self::Overdue => "overdue",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        ALL_STATUSES
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Unpaid => "Unpaid",
            Self::PartiallyPaid => "Partially paid",
            Self::Overdue => "Overdue",
            Self::Paid => "Paid",
            Self::Void => "Void",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn facts(issued: bool, voided: bool, due: &str, paid: &str) -> StatusFacts {
        StatusFacts {
            issued,
            voided,
            amount_due: due.parse().unwrap(),
            paid: paid.parse().unwrap(),
            due_date: date!(2026 - 03 - 31),
        }
    }

    #[test]
    fn status_follows_the_facts() {
        let before = date!(2026 - 03 - 31);
        let after = date!(2026 - 04 - 01);
        assert_eq!(
            InvoiceStatus::derive(&facts(false, false, "10", "0"), after),
            InvoiceStatus::Draft
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, false, "10", "0"), before),
            InvoiceStatus::Unpaid
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, false, "10", "4"), before),
            InvoiceStatus::PartiallyPaid
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, false, "10", "4"), after),
            InvoiceStatus::Overdue
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, false, "10", "10"), after),
            InvoiceStatus::Paid
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, false, "0", "0"), after),
            InvoiceStatus::Paid,
            "fully credited"
        );
        assert_eq!(
            InvoiceStatus::derive(&facts(true, true, "10", "0"), after),
            InvoiceStatus::Void
        );
        for status in ALL_STATUSES {
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
        }
    }
}
