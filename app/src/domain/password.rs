use super::FieldError;
use std::fmt;

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password a user is choosing (sign-up, change, reset) that meets the policy.
///
/// Length is counted in Unicode characters, never bytes, and the password is
/// kept exactly as typed: no trimming, truncation or case folding.
/// It is deliberately neither `Serialize` nor printable.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(FieldError::new(
                "password",
                format!("Use at least {PASSWORD_MIN_CHARS} characters."),
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(FieldError::new(
                "password",
                format!("Use at most {PASSWORD_MAX_CHARS} characters."),
            ));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_from_12_to_128() {
        assert!(NewPassword::parse(&"x".repeat(11)).is_err());
        assert!(NewPassword::parse(&"x".repeat(12)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(128)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        // Twelve two-byte characters are twelve characters, not twenty-four.
        assert!(NewPassword::parse(&"é".repeat(11)).is_err());
        assert!(NewPassword::parse(&"ж".repeat(12)).is_ok());
    }

    #[test]
    fn passwords_are_kept_exactly_as_typed() {
        let typed = "  Spaces Count Too  ";
        assert_eq!(NewPassword::parse(typed).unwrap().expose(), typed);
    }

    #[test]
    fn errors_name_the_field_and_debug_hides_the_secret() {
        assert_eq!(NewPassword::parse("short").unwrap_err().field, "password");
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }
}
