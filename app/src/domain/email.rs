use super::FieldError;

/// An email address as a sign-in identifier: trimmed, with a lower-cased domain,
/// at most 254 characters (RFC 5321), one `@`, a dotted domain and no spaces.
///
/// The local part keeps its case: mailbox names are case-sensitive by the RFC,
/// but look-ups are done on the lower-cased form (see [`Email::lookup_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

const FIELD: &str = "email";

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(FieldError::new(FIELD, "Enter your email address."));
        }
        if input.chars().count() > 254 {
            return Err(FieldError::new(
                FIELD,
                "An email address has at most 254 characters.",
            ));
        }
        let invalid = || FieldError::new(FIELD, "Enter an email address like name@example.com.");
        let (local, domain) = input.rsplit_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && !input.chars().any(|c| c.is_whitespace() || c.is_control())
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if !well_formed {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to find an account: email addresses are matched without
    /// regard to case, so `Ana@Example.com` and `ana@example.com` are one account.
    pub fn lookup_key(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part before the `@`, used by the password policy.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(local, _)| local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_the_domain() {
        let email = Email::parse("  Ana.Lopez+billing@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ana.Lopez+billing@example.com");
        assert_eq!(email.lookup_key(), "ana.lopez+billing@example.com");
        assert_eq!(email.local_part(), "Ana.Lopez+billing");
    }

    #[test]
    fn accepts_internationalised_domains() {
        assert!(Email::parse("info@bücher.de").is_ok());
    }

    #[test]
    fn refuses_malformed_addresses_naming_the_field() {
        for bad in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "ana@",
            "ana@localhost",
            "ana@@example.com",
            "ana lopez@example.com",
            "ana@exa mple.com",
            "ana@.example.com",
            "ana@example..com",
            "ana@example.com.",
            "ana@-example.com",
            "ana@exam_ple.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn refuses_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long_local).is_err());
    }
}
