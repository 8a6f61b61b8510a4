//! Time-based one-time codes (RFC 6238): which time steps a code may match.
//!
//! A code is accepted for the current 30-second step or one step either side
//! (clocks drift), and only for a step later than the last one accepted, so a
//! code, once used, can never be used again: not even within its own window.

use super::FieldError;

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;

/// The steps a code entered at `now_unix` may match, oldest first.
pub fn candidate_steps(now_unix: u64, last_used_step: Option<u64>) -> Vec<u64> {
    let current = now_unix / STEP_SECONDS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| last_used_step.is_none_or(|last| *step > last))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A six-digit code as typed: spaces and dashes are ignored.
pub fn parse_code(input: &str) -> Result<String, FieldError> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() == DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(FieldError::new(
            "code",
            "Enter the 6-digit code from your authenticator app.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_may_match_the_current_step_or_one_either_side() {
        assert_eq!(candidate_steps(3_000, None), vec![99, 100, 101]);
    }

    #[test]
    fn steps_up_to_the_last_used_one_are_refused() {
        // The code for step 100 was just used: 99 and 100 are spent.
        assert_eq!(candidate_steps(3_000, Some(100)), vec![101]);
        assert!(candidate_steps(3_000, Some(101)).is_empty());
    }

    #[test]
    fn a_code_two_steps_old_is_out_of_the_window() {
        let now = 3_000;
        let two_steps_ago = now / STEP_SECONDS - 2;
        assert!(!candidate_steps(now, None).contains(&two_steps_ago));
    }

    #[test]
    fn codes_are_six_digits_with_spaces_allowed() {
        assert_eq!(parse_code(" 123 456 ").unwrap(), "123456");
        assert_eq!(parse_code("123-456").unwrap(), "123456");
        for bad in ["12345", "1234567", "12345a", ""] {
            assert_eq!(parse_code(bad).unwrap_err().field, "code", "{bad}");
        }
    }
}
