//! Showing instants the same way everywhere.

use time::OffsetDateTime;
use time::macros::format_description;

/// Unix seconds as "22 Nov 2026, 14:05 UTC".
pub fn format_utc(unix_seconds: i64) -> String {
    let format =
        format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|moment| moment.format(&format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn instants_read_in_utc() {
        assert_eq!(super::format_utc(1_795_320_000), "22 Nov 2026, 04:00 UTC");
        assert_eq!(super::format_utc(i64::MAX), "");
    }
}
