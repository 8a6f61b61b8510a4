//! Each organization's calendar: which day it is where the organization is.
//!
//! Time zones are IANA names (`Europe/Berlin`), resolved by jiff from the
//! system's zoneinfo, or from the copy of the database built into the binary
//! where the system has none. Instants stay `time::OffsetDateTime` in UTC
//! everywhere else; only "which day" questions come here.

use crate::domain::FieldError;
use jiff::tz::TimeZone;
use time::{Date, Month, OffsetDateTime};

/// An organization's time zone: a known IANA name and its rules.
#[derive(Clone, Debug)]
pub struct OrgTimeZone {
    name: String,
    zone: TimeZone,
}

impl OrgTimeZone {
    /// A time zone by its IANA name (any case). Errors name the field
    /// `time_zone`.
    pub fn parse(name: &str) -> Result<Self, FieldError> {
        let name = name.trim();
        let unknown = || FieldError::new("time_zone", "Choose a time zone from the list.");
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+');
        if name.is_empty() || name.len() > 64 || !name.chars().all(allowed) || name.contains("..") {
            return Err(unknown());
        }
        let zone = TimeZone::get(name).map_err(|_| unknown())?;
        let name = zone.iana_name().unwrap_or(name).to_owned();
        if !offered(&name) {
            return Err(unknown());
        }
        Ok(Self { name, zone })
    }

    /// Coordinated Universal Time: the calendar of organizations made before
    /// time zones existed, and of those whose browser did not say.
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            zone: TimeZone::UTC,
        }
    }

    /// The zone a browser reported (a hidden field the page fills in): UTC
    /// when it sent none or one the server does not know, since the person
    /// did not type it and can change it later on the Organization page.
    pub fn from_browser(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| Self::utc())
    }

    /// The zone stored for an organization. A name the database no longer
    /// knows (zones are rarely removed, but it happens) falls back to UTC and
    /// says so in the log rather than failing every request.
    pub fn stored(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| {
            tracing::warn!(time_zone = name, "unknown stored time zone; using UTC");
            Self::utc()
        })
    }

    /// The IANA name, as stored.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar day it is at `now` in this zone.
    pub fn today(&self, now: OffsetDateTime) -> Date {
        let local = jiff::Timestamp::new(now.unix_timestamp(), 0)
            .map(|instant| instant.to_zoned_datetime(self.zone.clone()).date());
        match local.ok().and_then(|date| {
            let month = Month::try_from(u8::try_from(date.month()).ok()?).ok()?;
            Date::from_calendar_date(
                i32::from(date.year()),
                month,
                u8::try_from(date.day()).ok()?,
            )
            .ok()
        }) {
            Some(date) => date,
            // Outside jiff's range (years beyond ±9999): the UTC day.
            None => now.date(),
        }
    }

    /// The instant `date` begins in this zone (its first instant, where a
    /// daylight-saving change skips midnight), in UTC.
    pub fn start_of(&self, date: Date) -> OffsetDateTime {
        let start = i8::try_from(u8::from(date.month()))
            .ok()
            .and_then(|month| {
                let year = i16::try_from(date.year()).ok()?;
                let day = i8::try_from(date.day()).ok()?;
                jiff::civil::Date::new(year, month, day).ok()
            })
            .and_then(|day| day.to_zoned_datetime(self.zone.clone()).ok())
            .and_then(|zoned| {
                let instant = zoned.timestamp();
                OffsetDateTime::from_unix_timestamp(instant.as_second()).ok()
            });
        start.unwrap_or_else(|| date.midnight().assume_utc())
    }
}

/// Whether people may choose `name`: `UTC`, or an `Area/Location` name.
/// Not the database's names for the host's own zone (`localtime`,
/// `posixrules`), nor `Factory`, `Etc/Unknown`, or the `posix/` and
/// `right/` copies of the database.
fn offered(name: &str) -> bool {
    name == "UTC"
        || (name.contains('/')
            && name != "Etc/Unknown"
            && !name.starts_with("posix/")
            && !name.starts_with("right/"))
}

/// Every IANA zone name the server knows and offers, sorted: what the time
/// zone choosers list.
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| offered(name))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_day_follows_the_organizations_zone_not_utc() {
        let auckland = OrgTimeZone::parse("Pacific/Auckland").unwrap();
        // 2027-01-01 09:00 in Auckland (NZDT, +13) is still 2026 in UTC.
        assert_eq!(
            auckland.today(datetime!(2026-12-31 20:00 UTC)),
            date!(2027 - 01 - 01)
        );
        let los_angeles = OrgTimeZone::parse("america/los_angeles").unwrap();
        assert_eq!(los_angeles.name(), "America/Los_Angeles");
        // 2026-12-31 17:00 in Los Angeles (PST, -8) is already 2027 in UTC.
        assert_eq!(
            los_angeles.today(datetime!(2027-01-01 01:00 UTC)),
            date!(2026 - 12 - 31)
        );
        assert_eq!(
            OrgTimeZone::utc().today(datetime!(2027-01-01 01:00 UTC)),
            date!(2027 - 01 - 01)
        );
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let chicago = OrgTimeZone::parse("America/Chicago").unwrap();
        // CDT is UTC-5 in April.
        assert_eq!(
            chicago.start_of(date!(2026 - 04 - 04)),
            datetime!(2026-04-04 05:00 UTC)
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_field() {
        for name in [
            "",
            "Mars/Olympus_Mons",
            "../../etc/passwd",
            &"A".repeat(65),
            "localtime",
            "posixrules",
            "Factory",
            "Etc/Unknown",
        ] {
            assert_eq!(OrgTimeZone::parse(name).unwrap_err().field, "time_zone");
        }
        assert_eq!(OrgTimeZone::stored("Nowhere/Land").name(), "UTC");
    }

    #[test]
    fn the_list_offers_real_zones() {
        let names = zone_names();
        assert!(names.iter().any(|name| name == "Europe/Berlin"));
        assert!(names.iter().any(|name| name == "Pacific/Auckland"));
        assert!(names.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(names.iter().any(|name| name == "UTC"));
        assert!(
            !names
                .iter()
                .any(|name| name == "localtime" || name == "Factory")
        );
    }
}
