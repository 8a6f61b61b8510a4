//! Server function calls from a tab showing another account than the
//! session's are refused (`ledgerlock_app::account_binding` has the why and
//! the client's half); every answer tells the tab the session's account.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ledgerlock_app::account_binding::{CHANGED_HEADER, CHANGED_MESSAGE, HEADER, tag};
use ledgerlock_app::error::AppError;
use ledgerlock_app::ssr::auth::{AUTH_KEY, SessionAuth};
use tower_sessions::Session;

/// Server functions live under `/api/` (`#[server(prefix = "/api")]`).
fn is_server_function(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The session's account tag as it stands; empty when signed out (or the
/// session cannot be read: the server function then answers for itself).
async fn current(session: &Session) -> String {
    match session.get::<SessionAuth>(AUTH_KEY).await {
        Ok(Some(auth)) => tag(auth.handle, auth.organization_id),
        _ => String::new(),
    }
}

pub async fn bind(request: Request, next: Next) -> Response {
    if !is_server_function(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    if let Some(shown) = request.headers().get(HEADER)
        && shown.as_bytes() != current(&session).await.as_bytes()
    {
        return refusal();
    }
    let mut response = next.run(request).await;
    // After the call: a sign-in, sign-out or switch it made moves the tab
    // along with it.
    if let Ok(now) = HeaderValue::from_str(&current(&session).await) {
        response.headers_mut().insert(HEADER, now);
    }
    response
}

fn refusal() -> Response {
    let error = AppError::Conflict(CHANGED_MESSAGE.to_owned());
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut response = (StatusCode::CONFLICT, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CHANGED_HEADER, HeaderValue::from_static("1"));
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::is_server_function;

    #[test]
    fn only_server_functions_are_bound() {
        assert!(is_server_function("/api/customers/save"));
        assert!(!is_server_function("/app/customers"));
        assert!(!is_server_function("/apiary"));
    }
}
