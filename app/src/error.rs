//! The one error type every server function returns.
//!
//! It crosses the wire as JSON, so the browser can show a message next to the
//! right field. Internal causes never cross: they are logged on the server with
//! their whole chain, and the user sees a generic sentence and a request id.

use crate::domain::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// One input field broke a rule; nothing was written.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Wrong email or password: deliberately one message for both.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// The organization requires a second factor and the caller has none yet.
    #[error(
        "Your organization requires two-step verification. Set it up on your Account page to continue."
    )]
    SecondFactorRequired,
    /// A sensitive action needs the user to prove who they are again.
    #[error("For your security, confirm it is you before doing this.")]
    ConfirmationRequired,
    /// Also what a caller sees for another organization's records.
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Please wait a moment and try again.")]
    RateLimited,
    /// A reset (or later, invitation) link that is unknown, used or expired.
    #[error("This link is invalid, has already been used, or has expired. Ask for a new one.")]
    LinkInvalid,
    /// The request could not be read (malformed form, missing argument) or the
    /// network failed on the way.
    #[error("{0}")]
    BadRequest(String),
    #[error(
        "Something went wrong on our side. If it keeps happening, quote reference {request_id}."
    )]
    Internal { request_id: String },
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid { .. } => 422,
            Self::InvalidCredentials | Self::Unauthenticated => 401,
            Self::Forbidden | Self::ConfirmationRequired | Self::SecondFactorRequired => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::RateLimited => 429,
            Self::LinkInvalid => 410,
            Self::BadRequest(_) => 400,
            Self::Internal { .. } => 500,
        }
    }

    /// The field to attach the message to, if the error is about one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        Self::Invalid {
            field: error.field.into_owned(),
            message: error.message,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Request(_) => Self::BadRequest(
                "Could not reach the server. Check your connection and try again.".into(),
            ),
            // Framework details (which argument failed to decode, and why) are
            // not for users: they get a plain sentence.
            _ => Self::BadRequest("The request could not be understood.".into()),
        };
        // On the server this runs when a request's arguments cannot be
        // decoded: answer 400 rather than the framework's 500.
        #[cfg(feature = "ssr")]
        crate::ssr::errors::set_framework_error_status(&error);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_keep_their_field_and_answer_422() {
        let error = AppError::from(FieldError::new("email", "Enter your email address."));
        assert_eq!(error.field(), Some("email"));
        assert_eq!(error.status(), 422);
        assert_eq!(error.to_string(), "Enter your email address.");
    }

    #[test]
    fn internal_errors_show_only_a_reference() {
        let error = AppError::Internal {
            request_id: "abc".into(),
        };
        assert_eq!(error.status(), 500);
        assert!(error.to_string().contains("abc"));
    }
}
