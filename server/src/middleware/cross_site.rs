//! Refuses state-changing requests sent by another site's pages.
//!
//! Browsers label every request with `Sec-Fetch-Site`, and cross-origin
//! POSTs with `Origin`; neither can be forged by a page. Requests carrying
//! neither come from non-browser clients, which hold no victim's cookies.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Method, StatusCode};
use std::sync::Arc;
use url::Url;

pub struct AllowedOrigin(pub String);

impl AllowedOrigin {
    pub fn new(public_url: &Url) -> Arc<Self> {
        Arc::new(Self(public_url.origin().ascii_serialization()))
    }
}

pub async fn refuse_cross_site(
    State(allowed): State<Arc<AllowedOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let safe_method = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    // Stripe's webhook comes from Stripe, not a browser: its signature
    // (checked before anything is read) stands in for the Origin check.
    let signed_webhook = request.uri().path() == "/webhooks/stripe";
    if safe_method || signed_webhook || is_same_site(request.headers(), &allowed.0) {
        return next.run(request).await;
    }
    tracing::warn!(path = %super::loggable_path(request.uri().path()), "cross-site request refused");
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

fn is_same_site(headers: &HeaderMap, allowed_origin: &str) -> bool {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok());
    if let Some(site) = header(http::HeaderName::from_static("sec-fetch-site")) {
        return matches!(site, "same-origin" | "none");
    }
    match header(ORIGIN) {
        None => true,
        Some(origin) => {
            origin == allowed_origin
                || header(HOST).is_some_and(|host| {
                    Url::parse(origin).is_ok_and(|url| {
                        url.host_str().is_some_and(|origin_host| {
                            let origin_authority = match url.port() {
                                Some(port) => format!("{origin_host}:{port}"),
                                None => origin_host.to_owned(),
                            };
                            origin_authority.eq_ignore_ascii_case(host)
                        })
                    })
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const APP: &str = "https://billing.example.com";

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            APP
        ));
        assert!(!is_same_site(
            &headers(&[("sec-fetch-site", "cross-site")]),
            APP
        ));
        assert!(!is_same_site(
            &headers(&[("sec-fetch-site", "same-site")]),
            APP
        ));
    }

    #[test]
    fn otherwise_the_origin_must_be_ours() {
        assert!(is_same_site(&headers(&[("origin", APP)]), APP));
        assert!(!is_same_site(
            &headers(&[("origin", "https://evil.example")]),
            APP
        ));
        assert!(!is_same_site(&headers(&[("origin", "null")]), APP));
        assert!(is_same_site(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            APP
        ));
        assert!(!is_same_site(
            &headers(&[
                ("origin", "http://evil.example:3000"),
                ("host", "localhost:3000")
            ]),
            APP
        ));
    }

    #[test]
    fn non_browser_clients_pass() {
        assert!(is_same_site(&HeaderMap::new(), APP));
    }
}
