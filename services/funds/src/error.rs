//! The funds service's errors, mapped to gRPC status codes in exactly one place.

use relief_runtime::error::FieldViolations;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad fields of a request, named.
    #[error("invalid request")]
    Invalid(FieldViolations),
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule (one allocation per application, …) refuses it.
    #[error("{0}")]
    AlreadyExists(String),
    /// The resource changed since the caller read it.
    #[error("{0} was changed by someone else; read it again and retry with the new etag")]
    EtagMismatch(String),
    /// The request is valid, but the money or the state does not allow it.
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("export: {0}")]
    Export(#[from] rust_xlsxwriter::XlsxError),
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
            Error::Database(err) => match constraint_refusal(&err) {
                Some(status) => status,
                None => relief_runtime::error::database("funds database", &err),
            },
            Error::Export(err) => relief_runtime::error::internal("funds export", err),
            Error::Status(status) => status,
        }
    }
}

/// The database's own guarantees, in words: the code checks these first, so
/// reaching one means a concurrent request won the race.
fn constraint_refusal(err: &sqlx::Error) -> Option<Status> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    let constraint = db.constraint()?;
    let status = match constraint {
        "allocations_one_per_application" => {
            Status::already_exists("the application already has an allocation")
        }
        "disbursements_one_per_allocation" => {
            Status::failed_precondition("the allocation is already paid")
        }
        "receipts_disbursement_id_key" => {
            Status::failed_precondition("the payment already has its receipt")
        }
        "postings_reversal_of_key" => {
            Status::failed_precondition("the posting is already reversed")
        }
        "balance_not_negative" => {
            Status::failed_precondition("the account's balance does not cover the amount")
        }
        "allocations_paid_check" => {
            Status::failed_precondition("a payment never exceeds the allocation")
        }
        _ => return None,
    };
    Some(status)
}
