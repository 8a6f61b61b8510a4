//! Per-client-address rate limits on the endpoints where a password or code
//! can be guessed, or mail sent: sign-in and its second step, sign-up,
//! password reset, step-up confirmation and password change, and the
//! customer portal's codes; and, twelve times as generously, the password
//! meter's verdicts (one per pause in typing). Keyed by the address that
//! `client_address::identify` determined, never by a raw header.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::{HeaderValue, StatusCode};
use ledgerlock_app::AppError;
use ledgerlock_app::ssr::client::ClientInfo;
use ledgerlock_app::ssr::client::limit_key;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

const LIMITED_PATHS: [&str; 11] = [
    "/api/auth/sign_in",
    "/api/auth/passkey/start",
    "/api/auth/passkey/finish",
    "/api/auth/verify_second_factor",
    "/api/auth/sign_up",
    "/api/auth/request_password_reset",
    "/api/auth/reset_password",
    "/api/auth/confirm_identity",
    "/api/auth/change_password",
    // The customer portal's codes: mailed, and guessed.
    "/portal/code",
    "/portal/code/verify",
];

/// The password meter asks here as the user types (after each pause).
const ESTIMATE_PATH: &str = "/api/auth/password_strength";
/// Verdicts a minute per attempt a minute.
const ESTIMATES_PER_ATTEMPT: NonZeroU32 = match NonZeroU32::new(12) {
    Some(factor) => factor,
    None => NonZeroU32::MIN,
};

pub struct AuthRateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    estimates: DefaultKeyedRateLimiter<IpAddr>,
}

impl AuthRateLimit {
    /// `per_minute` attempts a minute on average, in bursts of that many
    /// (and twelve times that many password verdicts).
    pub fn new(per_minute: NonZeroU32) -> Arc<Self> {
        Arc::new(Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            estimates: RateLimiter::keyed(Quota::per_minute(
                per_minute.saturating_mul(ESTIMATES_PER_ATTEMPT),
            )),
        })
    }

    /// Forgets addresses whose allowance is full again (keeps memory flat).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.estimates.retain_recent();
    }

    /// The limiter for `path`, if it is limited.
    fn for_path(&self, path: &str) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        if LIMITED_PATHS.contains(&path) {
            Some(&self.limiter)
        } else if path == ESTIMATE_PATH {
            Some(&self.estimates)
        } else {
            None
        }
    }
}

pub async fn limit(
    State(limits): State<Arc<AuthRateLimit>>,
    request: Request,
    next: Next,
) -> Response {
    let limiter = limits.for_path(request.uri().path());
    let ip = request
        .extensions()
        .get::<ClientInfo>()
        .and_then(|client| client.ip);
    if let (Some(limiter), Some(ip)) = (limiter, ip)
        && limiter.check_key(&limit_key(ip)).is_err()
    {
        tracing::warn!(path = %super::loggable_path(request.uri().path()), "rate limit reached");
        let error = AppError::RateLimited;
        let body = serde_json::to_string(&error).unwrap_or_default();
        let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("60"));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return response;
    }
    next.run(request).await
}
