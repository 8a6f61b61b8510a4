/// Where to send a user after signing in: only a path on this site.
///
/// Anything else (absolute URLs, scheme-relative `//host` links, backslash
/// tricks, control characters) falls back to the dashboard, so the sign-in
/// page cannot be turned into an open redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPath(String);

pub const DEFAULT_AFTER_SIGN_IN: &str = "/app";

impl NextPath {
    pub fn parse_or_default(input: Option<&str>) -> Self {
        match input {
            Some(path) if Self::is_local(path) => Self(path.to_owned()),
            _ => Self(DEFAULT_AFTER_SIGN_IN.to_owned()),
        }
    }

    fn is_local(path: &str) -> bool {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && path.len() <= 2048
            && !path.chars().any(char::is_control)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The sign-in page, asked to come back to `here` (a path and query) afterwards.
pub fn sign_in_url(here: &str) -> String {
    format!("/sign-in?next={}", encode(here))
}

/// Percent-encodes a path for use as a query value (slashes kept readable).
pub fn encode(path: &str) -> String {
    path.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_url_encodes_the_way_back() {
        assert_eq!(sign_in_url("/app"), "/sign-in?next=/app");
        assert_eq!(
            sign_in_url("/app?a=1&b=é"),
            "/sign-in?next=/app%3Fa%3D1%26b%3D%C3%A9"
        );
    }

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(
            NextPath::parse_or_default(Some("/app?tab=1")).as_str(),
            "/app?tab=1"
        );
    }

    #[test]
    fn anything_off_site_falls_back_to_the_dashboard() {
        for bad in [
            None,
            Some(""),
            Some("https://evil.example/"),
            Some("//evil.example/"),
            Some("/\\evil.example"),
            Some("javascript:alert(1)"),
            Some("/app\r\nSet-Cookie: x"),
        ] {
            assert_eq!(NextPath::parse_or_default(bad).as_str(), "/app", "{bad:?}");
        }
    }
}
