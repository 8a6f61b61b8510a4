//! Showing instants the same way everywhere, and telling the server the
//! browser's time zone.

use leptos::prelude::*;
use time::OffsetDateTime;
use time::macros::format_description;

/// A hidden `time_zone` field carrying the browser's IANA zone
/// (`Europe/Berlin`), filled in once the page is interactive. Without
/// JavaScript it stays empty, which the server reads as UTC.
#[component]
pub fn BrowserTimeZoneField() -> impl IntoView {
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| zone.set(browser_time_zone()));
    view! { <input type="hidden" name="time_zone" prop:value=move || zone.get() /> }
}

/// `Intl.DateTimeFormat().resolvedOptions().timeZone`, or "" where the
/// browser does not say.
#[cfg(feature = "hydrate")]
fn browser_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn browser_time_zone() -> String {
    String::new()
}

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
