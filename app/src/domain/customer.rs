//! A customer's billing details, as an organization keeps them.

use super::money::Currency;
use super::{Email, FieldError};

const MAX_EMAILS: usize = 10;

/// The details typed into the customer form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerInput<'a> {
    pub name: &'a str,
    /// Separated by commas, semicolons or line breaks.
    pub emails: &'a str,
    pub address: &'a str,
    pub tax_id: &'a str,
    pub currency: &'a str,
    pub payment_terms_days: &'a str,
    pub notes: &'a str,
}

/// Valid customer details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDetails {
    pub name: String,
    pub emails: Vec<Email>,
    pub address: String,
    pub tax_id: String,
    pub currency: Currency,
    pub payment_terms_days: u16,
    pub notes: String,
}

fn bounded(
    field: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, FieldError> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(FieldError::new(field, "Remove control characters."));
    }
    Ok(value.to_owned())
}

impl CustomerDetails {
    pub fn parse(input: &CustomerInput<'_>) -> Result<Self, FieldError> {
        let name = bounded("name", input.name, 200, false)?;
        if name.is_empty() {
            return Err(FieldError::new("name", "Enter the customer's name."));
        }
        let emails = input
            .emails
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                Email::parse(part).map_err(|_| {
                    FieldError::new("emails", format!("“{part}” is not an email address."))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if emails.len() > MAX_EMAILS {
            return Err(FieldError::new(
                "emails",
                format!("Use at most {MAX_EMAILS} addresses."),
            ));
        }
        let terms = input.payment_terms_days.trim();
        let payment_terms_days = if terms.is_empty() {
            0
        } else {
            terms
                .parse::<u16>()
                .ok()
                .filter(|days| *days <= 365)
                .ok_or_else(|| {
                    FieldError::new("payment_terms_days", "Use a number of days from 0 to 365.")
                })?
        };
        Ok(Self {
            name,
            emails,
            address: bounded("address", input.address, 1000, true)?,
            tax_id: bounded("tax_id", input.tax_id, 64, false)?,
            currency: Currency::parse(input.currency)?,
            payment_terms_days,
            notes: bounded("notes", input.notes, 5000, true)?,
        })
    }

    /// The addresses as stored: comma-separated.
    pub fn emails_text(&self) -> String {
        self.emails
            .iter()
            .map(Email::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> CustomerInput<'a> {
        CustomerInput {
            name: " Ελληνική Εταιρεία ",
            emails: "billing@example.com; ap@example.com",
            address: "Odos 1\nAthens",
            tax_id: "EL123",
            currency: "eur",
            payment_terms_days: "30",
            notes: "",
        }
    }

    #[test]
    fn details_are_parsed_and_trimmed() {
        let details = CustomerDetails::parse(&input()).unwrap();
        assert_eq!(details.name, "Ελληνική Εταιρεία");
        assert_eq!(details.emails_text(), "billing@example.com, ap@example.com");
        assert_eq!(details.currency.code(), "EUR");
        assert_eq!(details.payment_terms_days, 30);
    }

    #[test]
    fn each_bad_field_is_named() {
        for (broken, field) in [
            (
                CustomerInput {
                    name: " ",
                    ..input()
                },
                "name",
            ),
            (
                CustomerInput {
                    emails: "a@b.com, nope",
                    ..input()
                },
                "emails",
            ),
            (
                CustomerInput {
                    currency: "EURO",
                    ..input()
                },
                "currency",
            ),
            (
                CustomerInput {
                    payment_terms_days: "400",
                    ..input()
                },
                "payment_terms_days",
            ),
            (
                CustomerInput {
                    payment_terms_days: "-1",
                    ..input()
                },
                "payment_terms_days",
            ),
            (
                CustomerInput {
                    tax_id: "A\u{7}",
                    ..input()
                },
                "tax_id",
            ),
        ] {
            assert_eq!(CustomerDetails::parse(&broken).unwrap_err().field, field);
        }
    }
}
