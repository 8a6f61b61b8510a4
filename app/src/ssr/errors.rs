//! Turning failures into answers: internal causes are logged with their chain
//! and hidden; every error gets its HTTP status.

use crate::error::AppError;
use http::StatusCode;
use http::header::ACCEPT;
use http::request::Parts;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Logs an unexpected failure with its cause chain and returns the generic
/// error the user sees, carrying this request's id.
pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
    let error = error.into();
    tracing::error!(error = %format!("{error:#}"), "internal error");
    AppError::Internal {
        request_id: request_id(),
    }
}

fn request_id() -> String {
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(REQUEST_ID_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unavailable".to_owned())
}

/// A `<form>` posted by a browser without JavaScript: leptos_axum answers it
/// with a redirect, which an error status would break.
fn is_plain_form_post() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Gives a server function's error its HTTP status. Every server function
/// ends with it.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        set_status(error);
    }
    result
}

/// Sets the status of the response being built, if there is one.
pub fn set_status(error: &AppError) {
    if !is_plain_form_post()
        && let Some(options) = use_context::<ResponseOptions>()
    {
        options.set_status(
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
}
