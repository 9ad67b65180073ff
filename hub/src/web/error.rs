//! Why a page could not be shown, and the HTTP status each reason gets.

use http::StatusCode;

use crate::error::Error;

/// A page failure.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// An id or name that names nothing (404).
    #[error("{0}")]
    NotFound(String),
    /// A malformed query parameter or form field (400).
    #[error("{0}")]
    BadRequest(String),
    /// Not logged in, a bad CSRF token, or a permission the user lacks (403).
    #[error("{0}")]
    Forbidden(String),
    /// A method the page does not accept (405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// What a hub handler refused or failed with.
    #[error(transparent)]
    Hub(#[from] Error),
}

impl WebError {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            WebError::Hub(error) => hub_status(error),
        }
    }

    /// True when the failure is the hub's, not the request's (logged as an error).
    pub fn is_internal(&self) -> bool {
        self.status().is_server_error()
    }
}

/// The status of a hub error: missing things 404, bad values 400, refusals 403, the rest 500.
fn hub_status(error: &Error) -> StatusCode {
    match error {
        Error::TaskNotFound { .. }
        | Error::NotFound { .. }
        | Error::NoSuchTag { .. }
        | Error::NoSuchTarget { .. }
        | Error::NoSuchEntry { .. }
        | Error::NoSuchBuild { .. }
        | Error::NoTaskOutput { .. } => StatusCode::NOT_FOUND,
        Error::Param(_)
        | Error::InvalidValue(_)
        | Error::InvalidNameOrId { .. }
        | Error::InvalidFileName { .. }
        | Error::InvalidName { .. } => StatusCode::BAD_REQUEST,
        Error::NotLoggedIn
        | Error::PermissionRequired { .. }
        | Error::NotAllowed(_)
        | Error::BadCredentials
        | Error::LoginDisabled { .. }
        | Error::NoClientCertificate { .. }
        | Error::UnknownLoginUser { .. }
        | Error::InvalidSession
        | Error::SessionExpired { .. }
        | Error::UserLocked => StatusCode::FORBIDDEN,
        Error::Generic(_) | Error::TaskFinished { .. } | Error::TaskNotFinished { .. } => {
            StatusCode::CONFLICT
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A page's result.
pub type WebResult<T> = std::result::Result<T, WebError>;
