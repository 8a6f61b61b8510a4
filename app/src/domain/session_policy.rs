//! How long a signed-in session may live.

use time::{Duration, OffsetDateTime};

/// How recently a user must have proved who they are (password, second
/// factor) before a sensitive action: changing factors, exporting everything,
/// changing roles.
pub const STEP_UP_WINDOW: Duration = Duration::minutes(10);

/// Whether a confirmation at `confirmed_at` still covers a sensitive action.
pub fn recently_confirmed(confirmed_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    now - confirmed_at < STEP_UP_WINDOW && confirmed_at <= now
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Without a request for this long, the session ends.
    pub idle: Duration,
    /// Whatever the activity, the session ends this long after sign-in.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    /// Whether a session is still usable. Idle time is measured from the
    /// last request; the absolute limit from sign-in.
    pub fn allows(
        &self,
        signed_in_at: OffsetDateTime,
        last_seen_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> bool {
        now - signed_in_at < self.absolute && now - last_seen_at < self.idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const SIGN_IN: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

    #[test]
    fn an_active_session_lives_until_its_absolute_limit() {
        let policy = SessionPolicy::default();
        let almost = SIGN_IN + Duration::hours(12) - Duration::seconds(1);
        assert!(policy.allows(SIGN_IN, almost - Duration::minutes(1), almost));
        let over = SIGN_IN + Duration::hours(12);
        assert!(!policy.allows(SIGN_IN, over - Duration::minutes(1), over));
    }

    #[test]
    fn a_confirmation_covers_ten_minutes() {
        assert!(recently_confirmed(SIGN_IN, SIGN_IN + Duration::minutes(9)));
        assert!(!recently_confirmed(
            SIGN_IN,
            SIGN_IN + Duration::minutes(10)
        ));
        assert!(
            !recently_confirmed(SIGN_IN + Duration::minutes(1), SIGN_IN),
            "not from the future"
        );
    }

    #[test]
    fn an_idle_session_ends_after_thirty_minutes() {
        let policy = SessionPolicy::default();
        let last = SIGN_IN + Duration::hours(1);
        assert!(policy.allows(SIGN_IN, last, last + Duration::minutes(29)));
        assert!(!policy.allows(SIGN_IN, last, last + Duration::minutes(30)));
    }
}
