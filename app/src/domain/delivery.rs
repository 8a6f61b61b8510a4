//! Sending documents to customers: who receives them, what the mail says,
//! how long its links live, and what a recipient may report (issue 14).

use super::{Email, FieldError};
use time::{Date, Duration, OffsetDateTime, Time};

/// At most this many recipients per send.
pub const MAX_RECIPIENTS: usize = 10;

/// The recipients of one send: `text` separated by commas, semicolons or
/// line breaks; duplicates (ignoring case) dropped.
///
/// # Errors
/// `recipients`: none given, one not an address, or more than
/// [`MAX_RECIPIENTS`].
pub fn parse_recipients(text: &str) -> Result<Vec<Email>, FieldError> {
    let mut emails: Vec<Email> = Vec::new();
    for part in text.split([',', ';', '\n']).map(str::trim) {
        if part.is_empty() {
            continue;
        }
        let email = Email::parse(part).map_err(|_| {
            FieldError::new("recipients", format!("“{part}” is not an email address."))
        })?;
        if !emails
            .iter()
            .any(|known| known.lookup_key() == email.lookup_key())
        {
            emails.push(email);
        }
    }
    if emails.is_empty() {
        return Err(FieldError::new(
            "recipients",
            "Enter at least one email address.",
        ));
    }
    if emails.len() > MAX_RECIPIENTS {
        return Err(FieldError::new(
            "recipients",
            format!("Send to at most {MAX_RECIPIENTS} addresses at once."),
        ));
    }
    Ok(emails)
}

/// The built-in subject: used while the organization has not written one.
pub const DEFAULT_SUBJECT: &str = "{document} {number} from {organization}";

/// The built-in message (the part above the link and fingerprint).
pub const DEFAULT_MESSAGE: &str = "Hello,\n\n{organization} sends you {document} {number} \
for {amount}, due {due_date}. The PDF is attached.\n\nKind regards,\n{organization}";

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 5] = [
    "{document}",
    "{number}",
    "{amount}",
    "{due_date}",
    "{organization}",
];

/// What a template's placeholders stand for in one mail.
pub struct MailFacts<'a> {
    /// "invoice" or "credit note".
    pub document: &'a str,
    pub number: &'a str,
    /// Formatted with its currency, e.g. "EUR 1,190.00".
    pub amount: &'a str,
    pub due_date: Date,
    pub organization: &'a str,
}

/// `template` with its placeholders filled in, in one pass (a value that
/// looks like a placeholder is not expanded again).
pub fn fill(template: &str, facts: &MailFacts<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let value = match PLACEHOLDERS.iter().find(|name| tail.starts_with(*name)) {
            Some(&"{document}") => facts.document.to_owned(),
            Some(&"{number}") => facts.number.to_owned(),
            Some(&"{amount}") => facts.amount.to_owned(),
            Some(&"{due_date}") => facts.due_date.to_string(),
            Some(&"{organization}") => facts.organization.to_owned(),
            _ => {
                out.push('{');
                rest = &tail[1..];
                continue;
            }
        };
        let name_len = tail.find('}').map_or(tail.len(), |end| end + 1);
        out.push_str(&value);
        rest = &tail[name_len..];
    }
    out.push_str(rest);
    out
}

/// Checks an organization's template: at most `max` characters, no
/// placeholder other than [`PLACEHOLDERS`], a subject on one line, and no
/// line drawing a rule nor the words "invoicing service" (the service's
/// separator). Line breaks of every kind become `\n` and invisible
/// characters are dropped (the answer is the text as stored).
///
/// # Errors
/// `field`: too long, an unknown `{placeholder}`, or a line break in a subject.
pub fn check_template(
    field: &'static str,
    template: &str,
    max: usize,
    single_line: bool,
) -> Result<String, FieldError> {
    // Every kind of line break read as one, and characters nobody sees
    // dropped: what is checked is what the customer will read.
    let normalized: String = template
        .replace("\r\n", "\n")
        .chars()
        .map(|c| {
            if matches!(
                c,
                '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
            ) {
                '\n'
            } else {
                c
            }
        })
        .filter(|c| !super::payout::is_invisible(*c))
        .collect();
    let template = normalized.trim();
    if template.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    if single_line && template.contains(['\n', '\r']) {
        return Err(FieldError::new(field, "Keep the subject on one line."));
    }
    // The service's own part of a mail starts after a line of dashes: the
    // organization's text may not draw a rule of any kind, nor use the
    // service's words, and pass for the service.
    let rule_like = |c: char| {
        matches!(c, '-' | '_' | '=' | '~' | '*' | '#' | '+' | '.' | '·' | '•')
            || ('\u{2010}'..='\u{2015}').contains(&c)
            || ('\u{2500}'..='\u{257F}').contains(&c)
            || matches!(
                c,
                '\u{2212}'
                    | '\u{2E3A}'
                    | '\u{2E3B}'
                    | '\u{FE58}'
                    | '\u{FE63}'
                    | '\u{FF0D}'
                    | '\u{FF3F}'
                    | '\u{FF1D}'
            )
    };
    let draws_a_rule = template.lines().any(|line| {
        let mut visible = line.chars().filter(|c| !c.is_whitespace());
        matches!((visible.next(), visible.next()), (Some(a), Some(b)) if rule_like(a) && rule_like(b))
    });
    if draws_a_rule || template.to_lowercase().contains("invoicing service") {
        return Err(FieldError::new(
            field,
            "Lines starting with dashes or other rules, and the words \"invoicing service\", are kept for the service's own text.",
        ));
    }
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        let end = tail.find('}').map_or(tail.len(), |end| end + 1);
        let name = &tail[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(FieldError::new(
                field,
                format!(
                    "{name} is not a placeholder; use {}.",
                    PLACEHOLDERS.join(", ")
                ),
            ));
        }
        rest = &tail[end..];
    }
    Ok(template.to_owned())
}

/// How long a document's links live: `days_after_due` days after the end
/// of its due date (UTC), but never more than `max_days` after sending. A
/// document sent when that day has passed (a reminder of an overdue
/// invoice) gets `days_after_due` days from sending.
pub fn link_expiry(
    sent_at: OffsetDateTime,
    due_date: Date,
    days_after_due: u16,
    max_days: u16,
) -> OffsetDateTime {
    let after_due = due_date
        .with_time(Time::MIDNIGHT)
        .assume_utc()
        .saturating_add(Duration::days(i64::from(days_after_due) + 1));
    let from_sending = sent_at.saturating_add(Duration::days(i64::from(days_after_due)));
    let latest = sent_at.saturating_add(Duration::days(i64::from(max_days)));
    after_due.max(from_sending).min(latest)
}

/// Checks the link lifetimes an organization chooses.
///
/// # Errors
/// `link_days_after_due` outside 1–365, `link_max_days` outside 1–730.
pub fn check_link_days(days_after_due: &str, max_days: &str) -> Result<(u16, u16), FieldError> {
    let parse = |field: &'static str, text: &str, max: u16| {
        text.trim()
            .parse::<u16>()
            .ok()
            .filter(|days| (1..=max).contains(days))
            .ok_or_else(|| FieldError::new(field, format!("Use a number of days from 1 to {max}.")))
    };
    Ok((
        parse("link_days_after_due", days_after_due, 365)?,
        parse("link_max_days", max_days, 730)?,
    ))
}

/// The document's fingerprint as mail and portal show it: the first 16 hex
/// digits of its seal (SHA-256 of the issued content).
pub fn fingerprint(seal_hash: &str) -> &str {
    seal_hash.get(..16).unwrap_or(seal_hash)
}

/// Why a recipient reports a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    UnknownSender,
    Unexpected,
    BankDetails,
    Other,
}

impl ReportReason {
    pub const ALL: [Self; 4] = [
        Self::UnknownSender,
        Self::Unexpected,
        Self::BankDetails,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownSender => "unknown_sender",
            Self::Unexpected => "unexpected",
            Self::BankDetails => "bank_details",
            Self::Other => "other",
        }
    }

    /// The sentence the form offers.
    pub fn label(self) -> &'static str {
        match self {
            Self::UnknownSender => "I don't know this sender",
            Self::Unexpected => "I didn't expect this invoice",
            Self::BankDetails => "The bank details look changed",
            Self::Other => "Something else",
        }
    }

    /// # Errors
    /// `reason`: not one of [`Self::ALL`].
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|reason| reason.as_str() == text)
            .ok_or_else(|| FieldError::new("reason", "Choose a reason."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn no_template_can_forge_the_services_separator() {
        for forged in [
            "Hi\n---- Sent for Acme by its invoicing service ----",
            "Hi\n\u{200B}----",
            "Hi\r---- x",
            "Hi\u{2028}—— x",
            "Hi\n- - - x",
            "Hi\n════",
            "Hi\n____",
            "Hi\n====",
            "Sent by our Invoicing Service",
        ] {
            assert!(
                check_template("message", forged, 4000, false).is_err(),
                "{forged:?}"
            );
        }
        assert_eq!(
            check_template("message", "Hello\r\nthere\u{200B}", 4000, false).unwrap(),
            "Hello\nthere"
        );
        assert!(check_template("message", "- one item\nThanks", 4000, false).is_ok());
    }

    #[test]
    fn recipients_are_checked_deduplicated_and_bounded() {
        let emails = parse_recipients("a@example.com; B@Example.com,\na@EXAMPLE.com").unwrap();
        assert_eq!(emails.len(), 2);
        assert_eq!(parse_recipients(" ").unwrap_err().field, "recipients");
        let bad = parse_recipients("a@example.com, nope").unwrap_err();
        assert!(bad.message.contains("nope"));
        let many: Vec<String> = (0..11).map(|n| format!("p{n}@example.com")).collect();
        assert!(parse_recipients(&many.join(",")).is_err());
    }

    #[test]
    fn templates_fill_once_and_refuse_unknown_placeholders() {
        let facts = MailFacts {
            document: "invoice",
            number: "INV-{number}",
            amount: "EUR 10.00",
            due_date: date!(2026 - 12 - 14),
            organization: "Acme {x}",
        };
        assert_eq!(
            fill(
                "{document} {number} for {amount} by {due_date} from {organization} {",
                &facts
            ),
            "invoice INV-{number} for EUR 10.00 by 2026-12-14 from Acme {x} {"
        );
        assert!(check_template("mail_subject", "Hi {name}", 200, true).is_err());
        assert!(check_template("mail_subject", "a\nb", 200, true).is_err());
        assert!(check_template("mail_message", DEFAULT_MESSAGE, 4000, false).is_ok());
        assert!(check_template("mail_subject", DEFAULT_SUBJECT, 200, true).is_ok());
    }

    #[test]
    fn links_expire_after_the_due_date_but_within_the_maximum() {
        let sent = datetime!(2026-11-30 10:00 UTC);
        assert_eq!(
            link_expiry(sent, date!(2026 - 12 - 14), 30, 120),
            datetime!(2027-01-14 00:00 UTC),
            "30 days after the end of the due date"
        );
        assert_eq!(
            link_expiry(sent, date!(2027 - 12 - 31), 30, 120),
            datetime!(2027-03-30 10:00 UTC),
            "never more than 120 days after sending"
        );
        assert_eq!(
            link_expiry(sent, date!(2020 - 01 - 01), 30, 120),
            datetime!(2026-12-30 10:00 UTC),
            "a reminder of an overdue invoice: 30 days from sending"
        );
    }

    #[test]
    fn fingerprints_are_the_seals_first_16_hex_digits() {
        assert_eq!(fingerprint("0123456789abcdef0123"), "0123456789abcdef");
        assert_eq!(fingerprint("abc"), "abc");
    }
}
