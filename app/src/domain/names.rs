use super::FieldError;

/// Trims, then refuses empty, over-long or control-character input.
fn parse_name(
    field: &'static str,
    label: &str,
    input: &str,
    max_chars: usize,
) -> Result<String, FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, format!("Enter {label}.")));
    }
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("Use at most {max_chars} characters."),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "Remove line breaks and other control characters.",
        ));
    }
    Ok(value.to_owned())
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_name("name", "your name", input, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a business using Ledgerlock; it appears on its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_name("organization", "your organization's name", input, 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user calls one of their passkeys ("Work laptop", "Phone").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_name("name", "a name for this passkey", input, 60).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed() {
        assert_eq!(
            PersonName::parse("  Ana López ").unwrap().as_str(),
            "Ana López"
        );
        assert_eq!(
            OrganizationName::parse(" Λογιστική ΑΕ ").unwrap().as_str(),
            "Λογιστική ΑΕ"
        );
    }

    #[test]
    fn empty_long_and_control_characters_are_refused() {
        assert_eq!(PersonName::parse("  ").unwrap_err().field, "name");
        assert_eq!(
            PersonName::parse(&"a".repeat(101)).unwrap_err().field,
            "name"
        );
        assert!(PersonName::parse(&"a".repeat(100)).is_ok());
        assert_eq!(
            OrganizationName::parse("Acme\nLtd").unwrap_err().field,
            "organization"
        );
    }
}
