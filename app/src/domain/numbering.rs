//! Document numbers: a format such as `INV-{YYYY}-{0000}` and the rule for
//! which counter ("series period") a number is drawn from.

use super::FieldError;

/// A validated number format. Placeholders: `{YYYY}`, `{YY}`, `{MM}`, and
/// exactly one counter `{0…0}` whose zeros give the minimum width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    pattern: String,
    /// Counters restart every year.
    yearly_reset: bool,
}

const MAX_PATTERN_CHARS: usize = 40;

impl NumberFormat {
    pub fn parse(pattern: &str, yearly_reset: bool) -> Result<Self, FieldError> {
        let pattern = pattern.trim();
        let invalid = |message: &str| FieldError::new("number_format", message.to_owned());
        if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN_CHARS {
            return Err(invalid("Use 1 to 40 characters, e.g. INV-{YYYY}-{0000}."));
        }
        let mut counters = 0;
        let mut rest = pattern;
        while let Some(start) = rest.find('{') {
            if rest[..start].contains('}') {
                return Err(invalid("Use braces only around placeholders."));
            }
            let Some(length) = rest[start..].find('}') else {
                return Err(invalid("A “{” is not closed."));
            };
            let token = &rest[start + 1..start + length];
            match token {
                "YYYY" | "YY" | "MM" => {}
                zeros
                    if !zeros.is_empty()
                        && zeros.len() <= 12
                        && zeros.chars().all(|c| c == '0') =>
                {
                    counters += 1
                }
                _ => {
                    return Err(invalid(
                        "Use only {YYYY}, {YY}, {MM} and one counter such as {0000}.",
                    ));
                }
            }
            rest = &rest[start + length + 1..];
        }
        if rest.contains('}') || pattern.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid(
                "Use no spaces, and braces only around placeholders.",
            ));
        }
        if counters != 1 {
            return Err(invalid("Include exactly one counter, such as {0000}."));
        }
        if yearly_reset && !pattern.contains("{YYYY}") && !pattern.contains("{YY}") {
            return Err(invalid(
                "A yearly restart needs the year in the number, or numbers would repeat.",
            ));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            yearly_reset,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    pub fn yearly_reset(&self) -> bool {
        self.yearly_reset
    }

    /// The counter a document issued in `year` draws from.
    pub fn period(&self, year: i32) -> i32 {
        if self.yearly_reset { year } else { 0 }
    }

    /// The number for `counter`, issued in `year`/`month`.
    pub fn format(&self, year: i32, month: u8, counter: u64) -> String {
        let mut out = String::with_capacity(self.pattern.len() + 8);
        let mut rest = self.pattern.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let length = rest[start..].find('}').unwrap_or(rest.len() - start);
            let token = &rest[start + 1..start + length];
            match token {
                "YYYY" => out.push_str(&format!("{year:04}")),
                "YY" => out.push_str(&format!("{:02}", year.rem_euclid(100))),
                "MM" => out.push_str(&format!("{month:02}")),
                zeros => out.push_str(&format!("{counter:0width$}", width = zeros.len())),
            }
            rest = rest.get(start + length + 1..).unwrap_or("");
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_format() {
        let format = NumberFormat::parse("INV-{YYYY}-{0000}", true).unwrap();
        assert_eq!(format.format(2026, 3, 7), "INV-2026-0007");
        assert_eq!(format.format(2026, 3, 12345), "INV-2026-12345");
        assert_eq!(format.period(2026), 2026);
        let plain = NumberFormat::parse("CN{YY}{MM}-{000}", false).unwrap();
        assert_eq!(plain.format(2027, 1, 5), "CN2701-005");
        assert_eq!(plain.period(2027), 0);
    }

    #[test]
    fn bad_formats_are_refused() {
        for bad in [
            "",
            "INV",
            "INV-{0000}-{00}",
            "INV-{XX}-{00}",
            "INV {0000}",
            "INV-{0000",
            "INV}-{0}",
        ] {
            assert_eq!(
                NumberFormat::parse(bad, false).unwrap_err().field,
                "number_format",
                "{bad:?}"
            );
        }
        assert!(
            NumberFormat::parse("INV-{0000}", true).is_err(),
            "yearly reset needs the year"
        );
    }
}
