//! Turning unexpected failures into answers: the cause is logged with its
//! chain (the log line carries the request id through its span) and hidden.

use crate::error::AppError;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Logs an unexpected failure with its cause chain and returns the generic
/// error the user sees; `RequestContext::respond` fills in the request id.
pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "internal error");
    AppError::Internal {
        request_id: String::new(),
    }
}

/// A `<form>` posted by a browser without JavaScript: leptos_axum answers it
/// with a redirect back to the form, which an error status would break.
pub fn is_plain_form_post(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// Gives a framework error (undecodable arguments) its status: 400, not 500.
/// Runs synchronously inside the server function handler, so its context is there.
pub fn set_framework_error_status(error: &AppError) {
    use leptos::prelude::use_context;
    let plain_form_post =
        use_context::<http::request::Parts>().is_some_and(|parts| is_plain_form_post(&parts));
    if let (false, Some(response)) = (
        plain_form_post,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(
            http::StatusCode::from_u16(error.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
}
