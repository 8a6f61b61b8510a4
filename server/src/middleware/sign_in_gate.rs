//! Full page loads of app pages: signed-out visitors are sent to sign in (and
//! back afterwards); members whose organization requires a second factor they
//! lack are sent to set one up. The server functions behind the pages check
//! the same rules themselves; this gives a browser the right page at once,
//! with or without JavaScript.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use ledgerlock_app::domain::next_path::sign_in_url;
use ledgerlock_app::ssr::AppState;
use ledgerlock_app::ssr::auth::{Caller, signed_in};
use ledgerlock_app::ssr::services::second_factor;
use tower_sessions::Session;

pub const SECOND_FACTOR_SETUP_PAGE: &str = "/app/account";

pub fn is_app_page(path: &str) -> bool {
    path == "/app" || path.starts_with("/app/")
}

pub async fn require_sign_in(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !is_app_page(path) {
        return next.run(request).await;
    }
    let here = request
        .uri()
        .path_and_query()
        .map_or("/app", |path| path.as_str())
        .to_owned();
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return Redirect::to(&sign_in_url(&here)).into_response();
    };
    let now = time::OffsetDateTime::now_utc();
    let Ok(Some(auth)) = signed_in(&session, &state.settings.sessions, now).await else {
        return Redirect::to(&sign_in_url(&here)).into_response();
    };
    if path != SECOND_FACTOR_SETUP_PAGE {
        let caller = Caller::from_session(auth, session);
        if matches!(
            second_factor::missing_but_required(&state.db, &caller).await,
            Ok(true)
        ) {
            return Redirect::to(SECOND_FACTOR_SETUP_PAGE).into_response();
        }
    }
    next.run(request).await
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
