//! Signed-out visitors to app pages are sent to sign in, and back afterwards.
//! (The server functions behind the pages check the session themselves; this
//! only gives a browser without a session the right page at once.)

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ledgerlock_app::domain::SessionPolicy;
use ledgerlock_app::domain::next_path::sign_in_url;
use ledgerlock_app::ssr::auth::signed_in;
use tower_sessions::Session;

pub fn is_app_page(path: &str) -> bool {
    path == "/app" || path.starts_with("/app/")
}

pub async fn require_sign_in(
    State(policy): State<SessionPolicy>,
    request: Request,
    next: Next,
) -> Response {
    if !is_app_page(request.uri().path()) {
        return next.run(request).await;
    }
    let session = request.extensions().get::<Session>().cloned();
    let is_signed_in = match session {
        Some(session) => matches!(
            signed_in(&session, &policy, time::OffsetDateTime::now_utc()).await,
            Ok(Some(_))
        ),
        None => false,
    };
    if is_signed_in {
        return next.run(request).await;
    }
    let here = request
        .uri()
        .path_and_query()
        .map_or("/app", |path| path.as_str());
    Redirect::to(&sign_in_url(here)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_under_app_are_gated() {
        assert!(is_app_page("/app"));
        assert!(is_app_page("/app/invoices"));
        assert!(!is_app_page("/application"));
        assert!(!is_app_page("/sign-in"));
    }
}
