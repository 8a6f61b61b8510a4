//! Locking password sign-in after repeated failures, per account.
//!
//! Five wrong passwords in a row lock password sign-in for 15 minutes; each
//! further lock without a successful sign-in in between doubles the time, up
//! to a day. At most 5 guesses per 15 minutes, fewer afterwards: well under
//! 100 an hour can reach any account.

use time::{Duration, OffsetDateTime};

pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;
const FIRST_LOCK: Duration = Duration::minutes(15);
const LONGEST_LOCK: Duration = Duration::hours(24);

/// What is remembered about an account's recent failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    pub failures: u32,
    /// Locks since the last successful sign-in.
    pub locks: u32,
    pub locked_until: Option<OffsetDateTime>,
}

impl Lockout {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// After a wrong password: the new state, and whether a lock starts now.
    pub fn after_failure(self, now: OffsetDateTime) -> (Self, bool) {
        let failures = self.failures + 1;
        if failures < MAX_CONSECUTIVE_FAILURES {
            return (Self { failures, ..self }, false);
        }
        let locks = self.locks + 1;
        let doublings = (locks - 1).min(16);
        let length = (FIRST_LOCK * 2_i32.pow(doublings)).min(LONGEST_LOCK);
        (
            Self {
                failures: 0,
                locks,
                locked_until: Some(now + length),
            },
            true,
        )
    }

    /// After a correct password: everything is forgiven.
    pub fn after_success() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 10:00 UTC);

    fn fail(times: u32, mut state: Lockout, now: OffsetDateTime) -> (Lockout, bool) {
        let mut started = false;
        for _ in 0..times {
            (state, started) = state.after_failure(now);
        }
        (state, started)
    }

    #[test]
    fn the_fifth_consecutive_failure_locks_for_fifteen_minutes() {
        let (state, started) = fail(4, Lockout::default(), NOW);
        assert!(!started && !state.is_locked(NOW));
        let (state, started) = state.after_failure(NOW);
        assert!(started);
        assert!(state.is_locked(NOW));
        assert!(state.is_locked(NOW + Duration::minutes(14)));
        assert!(!state.is_locked(NOW + Duration::minutes(15)));
    }

    #[test]
    fn repeated_locks_grow_up_to_a_day() {
        let (first, _) = fail(5, Lockout::default(), NOW);
        let later = NOW + Duration::minutes(16);
        let (second, _) = fail(5, first, later);
        assert_eq!(second.locked_until, Some(later + Duration::minutes(30)));
        let mut state = second;
        for _ in 0..20 {
            (state, _) = fail(5, state, later);
        }
        assert_eq!(state.locked_until, Some(later + Duration::hours(24)));
    }

    #[test]
    fn guesses_per_hour_stay_well_under_one_hundred() {
        // An attacker guessing as fast as the lock allows, for one hour.
        let mut state = Lockout::default();
        let mut now = NOW;
        let mut guesses = 0;
        while now < NOW + Duration::hours(1) {
            if state.is_locked(now) {
                now = state.locked_until.unwrap_or(now);
                continue;
            }
            (state, _) = state.after_failure(now);
            guesses += 1;
        }
        assert!(guesses <= 20, "{guesses} guesses in an hour");
    }

    #[test]
    fn success_forgives() {
        let (state, _) = fail(3, Lockout::default(), NOW);
        assert_eq!(state.failures, 3);
        assert_eq!(Lockout::after_success(), Lockout::default());
    }
}
