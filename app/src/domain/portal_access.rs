//! Rules of the customer portal's code sign-in (issue 14): a customer
//! contact proves they read the mailbox a document went to by a one-time
//! code, which opens "all my invoices with <organization>" (and, where the
//! organization asks for it, every single-document link).
//!
//! Limits, as at the team's sign-in: a code has [`CODE_DIGITS`] digits,
//! works for [`CODE_LIFETIME`] and for [`TRIES_PER_CODE`] tries; codes to
//! one address are limited per hour by the mail budget for that address,
//! and guesses per client address by the sign-in's rate limit. At most
//! 3 codes × 5 tries an hour leave an attacker a 1.5 × 10⁻⁷ chance per
//! hour of guessing one.

use time::Duration;

/// Digits in a code.
pub const CODE_DIGITS: usize = 8;

/// How long a code works.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

/// Tries per code, the right one included.
pub const TRIES_PER_CODE: i32 = 5;

/// A portal session ends after this long without a request…
pub const PORTAL_IDLE: Duration = Duration::minutes(30);

/// …and after this long in any case.
pub const PORTAL_MAX: Duration = Duration::hours(12);

/// The digits of a typed code, with the spaces and hyphens people add
/// while copying it removed; `None` unless exactly [`CODE_DIGITS`] digits
/// remain.
pub fn parse_code(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// `email` with most of its local part hidden, for a page that says where
/// a code went without telling a stranger holding the link the address:
/// `j•••@example.com`.
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_whatever_the_spacing() {
        assert_eq!(parse_code("1234 5678").as_deref(), Some("12345678"));
        assert_eq!(parse_code(" 1234-5678 ").as_deref(), Some("12345678"));
        assert_eq!(parse_code("1234567"), None);
        assert_eq!(parse_code("123456789"), None);
        assert_eq!(parse_code("1234567a"), None);
        assert_eq!(parse_code("١٢٣٤٥٦٧٨"), None, "only ASCII digits");
        assert_eq!(parse_code(""), None);
    }

    #[test]
    fn masking_keeps_the_first_letter_and_the_domain() {
        assert_eq!(masked("jane@example.com"), "j•••@example.com");
        assert_eq!(masked("x"), "•••");
    }
}
