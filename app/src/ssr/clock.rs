//! Where the time of billing comes from: the system clock in production, a
//! clock the test sets in integration tests ("tests set the clock; they do
//! not sleep"). Document dates, overdue, "this month" and the audit times of
//! billing events read it; security decisions (sessions, lockouts, TOTP)
//! always read the system clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::{Duration, OffsetDateTime};

/// The system clock, or one set to another time that runs on from there
/// (as real time does, so entries written one after another stay in order).
/// Clones share the setting.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Milliseconds added to the system clock.
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: OffsetDateTime) -> Self {
        let clock = Self {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        };
        clock.set(at);
        clock
    }

    /// Sets a clock made by [`Clock::starting_at`] (and every clone of it)
    /// to read `at` now; the system clock cannot be set and ignores it.
    pub fn set(&self, at: OffsetDateTime) {
        if let Some(offset) = &self.offset_ms {
            let millis = (at - OffsetDateTime::now_utc()).whole_milliseconds();
            offset.store(i64::try_from(millis).unwrap_or(i64::MAX), Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        match &self.offset_ms {
            Some(offset) => now
                .checked_add(Duration::milliseconds(offset.load(Ordering::SeqCst)))
                .unwrap_or(now),
            None => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_set_clock_reads_the_time_it_was_set_to_and_clones_follow() {
        let clock = Clock::starting_at(datetime!(2026-04-03 20:00 UTC));
        let seen_by_the_app = clock.clone();
        let read = seen_by_the_app.now();
        assert!(read >= datetime!(2026-04-03 20:00 UTC));
        assert!(read < datetime!(2026-04-03 20:01 UTC));
        clock.set(datetime!(2026-04-04 05:01 UTC));
        let read = seen_by_the_app.now();
        assert!(read >= datetime!(2026-04-04 05:01 UTC) && read < datetime!(2026-04-04 05:02 UTC));
        assert!(seen_by_the_app.now() >= read, "it runs on");
        let system = Clock::system();
        system.set(datetime!(2000-01-01 0:00 UTC));
        assert!(system.now().year() >= 2026);
    }
}
