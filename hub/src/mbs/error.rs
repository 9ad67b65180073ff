//! The REST API's errors: an HTTP status and MBS's message, sent as MBS's JSON error body
//! `{"status", "error", "message"}`.

use common::modulemd::mbs::{InitError, SubmitError, reason_phrase};
use tracing::error;

/// A refused or failed REST request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// MBS's `message`.
    pub message: String,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(401, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, message)
    }

    /// 422.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(422, message)
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let error = match self.status {
            405 => "Method Not Allowed",
            status => reason_phrase(status),
        };
        serde_json::json!({
            "status": self.status,
            "error": error,
            "message": self.message,
        })
    }
}

impl From<SubmitError> for ApiError {
    fn from(error: SubmitError) -> ApiError {
        ApiError::new(error.status(), error.to_string())
    }
}

impl From<InitError> for ApiError {
    /// Failures MBS's init step finds, refused at submission here: custom repositories and
    /// caches are MBS's `Forbidden`, unresolvable refs `UnprocessableEntity`, the rest
    /// `ValidationError`.
    fn from(error: InitError) -> ApiError {
        let status = match &error {
            InitError::CustomComponentRepository { .. } | InitError::CustomComponentCache { .. } => 403,
            InitError::RefsNotResolved { .. } => 422,
            InitError::BuildafterNotSupported { .. } | InitError::IncludedModuleConflicts { .. } => 400,
        };
        ApiError::new(status, error.to_string())
    }
}

impl From<crate::error::Error> for ApiError {
    /// Hub failures (the database, a bug) are logged once here and answered with a short 500.
    fn from(error: crate::error::Error) -> ApiError {
        error!(error = %error, "module build service request failed: {error}");
        ApiError::new(500, format!("Internal error: {error}"))
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(error: tokio_postgres::Error) -> ApiError {
        ApiError::from(crate::error::Error::from(error))
    }
}
