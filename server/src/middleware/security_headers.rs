//! Headers every response carries, pages, API answers and errors alike.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderName, HeaderValue};
use ledgerlock_app::ssr::headers::content_security_policy;
use std::sync::Arc;

pub struct SecurityHeaders {
    default_policy: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    pub fn new(https: bool) -> Arc<Self> {
        Arc::new(Self {
            default_policy: HeaderValue::from_str(&content_security_policy(None))
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
            hsts: https,
        })
    }
}

const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()";

pub async fn apply(
    State(settings): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    // Recipients' pages: their address holds a link token that must not
    // leave in a Referer, and search engines must not list them.
    let path = request.uri().path();
    let recipients_page = path.starts_with("/portal/") || path == "/report";
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Pages set their own policy, carrying the nonce of their inline scripts.
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(CONTENT_SECURITY_POLICY, settings.default_policy.clone());
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if recipients_page {
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        headers.insert(
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        );
    } else {
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if settings.hsts {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    // Everything but static assets may show account data: never cache it.
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
