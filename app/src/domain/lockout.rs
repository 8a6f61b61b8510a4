//! Locking an account after repeated failed guesses.
//!
//! Each kind of guess (password, second-step code or passkey, step-up
//! confirmation) has its own count of consecutive failures since the last
//! complete sign-in. Every fifth failure of a kind starts a lock: 15 minutes
//! for the first lock, doubling with each further one up to a day. While
//! locked, every guess of every kind is refused unheard, the right password
//! and the right code included. At most 5 guesses per 15 minutes, fewer
//! afterwards: well under 100 an hour can reach any account (OWASP ASVS 5.0
//! V6.3.1).
//!
//! The rule is decided from the count *after* an atomic increment in the
//! database, so twenty failures sent at once are twenty failures, and the
//! fifth, tenth, fifteenth and twentieth each start (a longer) lock.

use time::{Duration, OffsetDateTime};

pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;
const FIRST_LOCK: Duration = Duration::minutes(15);
const LONGEST_LOCK: Duration = Duration::hours(24);

/// Whether the `failures`-th consecutive failure of one kind starts a lock.
pub fn starts_lock(failures: u32) -> bool {
    failures > 0 && failures.is_multiple_of(MAX_CONSECUTIVE_FAILURES)
}

/// How long the `locks`-th lock since the last complete sign-in lasts
/// (1-based): 15 minutes, doubling, at most 24 hours.
pub fn lock_length(locks: u32) -> Duration {
    let doublings = locks.saturating_sub(1).min(16);
    (FIRST_LOCK * 2_i32.pow(doublings)).min(LONGEST_LOCK)
}

/// What an account remembers about its recent failed guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockout {
    /// Consecutive failures of the kind concerned.
    pub failures: u32,
    /// Locks since the last complete sign-in.
    pub locks: u32,
    pub locked_until: Option<OffsetDateTime>,
}

impl Lockout {
    pub fn is_locked(&self, now: OffsetDateTime) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }

    /// The state once one more failure has been counted (`failures` is
    /// already the incremented count): a lock starts on every fifth, and a
    /// lock in force is never shortened. Answers whether a lock starts now.
    pub fn after_counted_failure(self, now: OffsetDateTime) -> (Self, bool) {
        if !starts_lock(self.failures) {
            return (self, false);
        }
        let locks = self.locks + 1;
        let until = now + lock_length(locks);
        (
            Self {
                locks,
                locked_until: Some(self.locked_until.map_or(until, |held| held.max(until))),
                ..self
            },
            true,
        )
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
            state.failures += 1;
            (state, started) = state.after_counted_failure(now);
        }
        (state, started)
    }

    #[test]
    fn the_fifth_consecutive_failure_locks_for_fifteen_minutes() {
        let (state, started) = fail(4, Lockout::default(), NOW);
        assert!(!started && !state.is_locked(NOW));
        let (state, started) = fail(1, state, NOW);
        assert!(started);
        assert!(state.is_locked(NOW));
        assert!(state.is_locked(NOW + Duration::minutes(14)));
        assert!(!state.is_locked(NOW + Duration::minutes(15)));
    }

    #[test]
    fn twenty_failures_at_once_are_counted_and_lock_longest_of_four() {
        let (state, _) = fail(20, Lockout::default(), NOW);
        assert_eq!(state.failures, 20);
        assert_eq!(state.locks, 4);
        assert_eq!(state.locked_until, Some(NOW + Duration::hours(2)));
    }

    #[test]
    fn a_lock_in_force_is_never_shortened() {
        let held = Lockout {
            failures: 4,
            locks: 0,
            locked_until: Some(NOW + Duration::hours(3)),
        };
        let (state, started) = fail(1, held, NOW);
        assert!(started);
        assert_eq!(state.locked_until, Some(NOW + Duration::hours(3)));
    }

    #[test]
    fn repeated_locks_grow_up_to_a_day() {
        let (first, _) = fail(5, Lockout::default(), NOW);
        let later = NOW + Duration::minutes(16);
        let (second, _) = fail(5, first, later);
        assert_eq!(second.locked_until, Some(later + Duration::minutes(30)));
        let (state, _) = fail(100, second, later);
        assert_eq!(state.locked_until, Some(later + Duration::hours(24)));
        assert_eq!(lock_length(u32::MAX), Duration::hours(24));
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
            (state, _) = fail(1, state, now);
            guesses += 1;
        }
        assert!(guesses <= 20, "{guesses} guesses in an hour");
    }
}
