//! The ledger's errors, mapped to gRPC status codes in exactly one place.

use relief_runtime::error::FieldViolations;
use tonic::Status;

use crate::pii::PiiError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad fields of a request, named.
    #[error("invalid request")]
    Invalid(FieldViolations),
    #[error("{0} not found")]
    NotFound(String),
    /// A rule of the register forbids it (e.g. a second registration of one person).
    #[error("{0}")]
    AlreadyExists(String),
    /// The resource changed since the caller read it.
    #[error("{0} was changed by someone else; read it again and retry with the new etag")]
    EtagMismatch(String),
    /// The request is valid, but the resource's state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("sealed data: {0}")]
    Pii(#[from] PiiError),
    /// Already a status (authorisation, idempotency): passed through.
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
            Error::Database(err) => relief_runtime::error::database("ledger database", &err),
            Error::Pii(err) => relief_runtime::error::internal("ledger sealed data", err),
            Error::Status(status) => status,
        }
    }
}

/// The name of the unique constraint a database error broke, if that is what it was.
pub fn unique_violation(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => db.constraint(),
        _ => None,
    }
}
