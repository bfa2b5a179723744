//! The gateway's errors, mapped to gRPC status codes in exactly one place.

use relief_runtime::error::FieldViolations;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    Invalid(FieldViolations),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0} was changed by someone else; read it again and retry with the new etag")]
    EtagMismatch(String),
    #[error("{0}")]
    FailedPrecondition(String),
    /// Login name or password wrong, account locked or disabled, token refused.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Status(#[from] Status),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::Invalid(violations)
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(violations) => violations.into_status(),
            Error::NotFound(what) => Status::not_found(format!("{what} not found")),
            Error::AlreadyExists(why) => Status::already_exists(why),
            Error::EtagMismatch(_) => Status::aborted(err.to_string()),
            Error::FailedPrecondition(why) => Status::failed_precondition(why),
            Error::Unauthenticated(why) => Status::unauthenticated(why),
            Error::Database(err) => relief_runtime::error::database("gateway database", &err),
            Error::Status(status) => status,
        }
    }
}
