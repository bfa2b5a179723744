//! The one error vocabulary of every service: [`Error`], mapped once to a
//! gRPC status (with `google.rpc.ErrorInfo` carrying a stable machine-readable
//! reason, and `google.rpc.BadRequest` field violations for `INVALID_ARGUMENT`)
//! and once to the HTTP status the gateway answers with. A request's bad
//! fields are collected in [`FieldViolations`] ([`violations`]).

mod violations;

pub use violations::{
    FieldViolations, MAX_DESCRIPTION_BYTES, MAX_FIELD_BYTES, MAX_MESSAGE_BYTES, MAX_VIOLATIONS,
    clip, field_violations,
};

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every error the services answer with.
pub const ERROR_DOMAIN: &str = "relief-ledger";

/// Everything a service may answer other than success. Handlers, domain
/// rules and stores return it; the RPC pipeline turns it into a status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad fields of a request, every one named.
    #[error("invalid request: {}", .0.summary())]
    Invalid(FieldViolations),
    /// The named resource does not exist (or is not visible to the caller).
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness rule refuses it; `reason` says which, for programs.
    #[error("{message}")]
    AlreadyExists {
        reason: &'static str,
        message: String,
    },
    /// The resource changed since the caller read it.
    #[error("{0} was changed by someone else; read it again and retry with the new etag")]
    EtagMismatch(String),
    /// The request is valid but the resource's state or a rule forbids it.
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        message: String,
    },
    /// The caller's roles do not grant it on that subtree.
    #[error("{0}")]
    PermissionDenied(String),
    /// No caller, or a refused one.
    #[error("{0}")]
    Unauthenticated(String),
    /// The first request with this `request_id` is still running.
    #[error("the first request with this request_id is still running")]
    RequestInFlight,
    /// The `request_id` was used before for a different request.
    #[error("request_id {0} was already used for a different request; use a new request_id")]
    RequestIdReused(String),
    /// Text the database cannot store (a NUL character): the caller's mistake.
    #[error("text contains a character that cannot be stored (NUL or invalid UTF-8)")]
    UnstorableText,
    /// A statement ran past its time limit.
    #[error("the statement took too long")]
    StatementTimeout,
    /// The service has as many calls in flight as it takes: refused at once, not queued.
    #[error("the service is at its limit of calls in flight ({0}); try again shortly")]
    Overloaded(usize),
    /// The database could not be reached or dropped the connection: the same request may be
    /// sent again, with the same `request_id` for a write, which then acts at most once (mapped
    /// by [`Error::resolve`]; the cause is logged).
    #[error("the database is unavailable; try again shortly")]
    DatabaseUnavailable(String),
    /// A database error no rule explains (mapped by [`Error::resolve`]).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A fault of ours; `detail` is logged, never sent.
    #[error("{context}: {detail}")]
    Internal { context: String, detail: String },
    /// An answer from another service, passed on as it came.
    #[error("{}", .0.message())]
    Upstream(Box<Status>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A database constraint that, when broken, means a rule refused the request
/// (a concurrent request won the race). A service lists its own.
#[derive(Debug, Clone, Copy)]
pub struct ConstraintRefusal {
    pub constraint: &'static str,
    /// `AlreadyExists` or `FailedPrecondition`.
    pub code: Code,
    pub reason: &'static str,
    pub message: &'static str,
}

impl Error {
    /// A rule of the domain refuses it (`FAILED_PRECONDITION`).
    pub fn refused(reason: &'static str, message: impl Into<String>) -> Self {
        Error::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    /// A uniqueness rule refuses it (`ALREADY_EXISTS`).
    pub fn exists(reason: &'static str, message: impl Into<String>) -> Self {
        Error::AlreadyExists {
            reason,
            message: message.into(),
        }
    }

    /// One bad field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        let mut violations = FieldViolations::new();
        violations.add(field, description);
        Error::Invalid(violations)
    }

    pub fn internal(context: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Error::Internal {
            context: context.into(),
            detail: detail.to_string(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound(what.into())
    }

    /// The stable, machine-readable reason (`ErrorInfo.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "INVALID_FIELDS",
            Error::NotFound(_) => "NOT_FOUND",
            Error::AlreadyExists { reason, .. } | Error::FailedPrecondition { reason, .. } => {
                reason
            }
            Error::EtagMismatch(_) => "ETAG_MISMATCH",
            Error::PermissionDenied(_) => "PERMISSION_DENIED",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::RequestInFlight => "REQUEST_IN_FLIGHT",
            Error::RequestIdReused(_) => "REQUEST_ID_REUSED",
            Error::UnstorableText => "UNSTORABLE_TEXT",
            Error::StatementTimeout => "STATEMENT_TIMEOUT",
            Error::Overloaded(_) => "OVERLOADED",
            Error::DatabaseUnavailable(_) => "DATABASE_UNAVAILABLE",
            Error::Database(_) | Error::Internal { .. } => "INTERNAL",
            Error::Upstream(_) => "UPSTREAM",
        }
    }

    /// Resolves a database error into what it means for the caller: input
    /// the database cannot store (a NUL character) is the caller's mistake, a
    /// cancelled statement a deadline, a broken constraint in `refusals` the
    /// rule it guards, a lost connection a retry; anything else stays internal.
    pub fn resolve(self, refusals: &[ConstraintRefusal]) -> Self {
        let Error::Database(err) = self else {
            return self;
        };
        // A connection the server closed (a restart) or none to be had: worth a retry.
        if matches!(
            err,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
        ) {
            return Error::DatabaseUnavailable(err.to_string());
        }
        if let sqlx::Error::Database(db) = &err {
            match db.code().as_deref() {
                // character_not_in_repertoire, untranslatable_character
                Some("22021") | Some("22P05") => return Error::UnstorableText,
                // query_canceled
                Some("57014") => return Error::StatementTimeout,
                _ => {}
            }
            if let Some(refusal) = db
                .constraint()
                .and_then(|name| refusals.iter().find(|r| r.constraint == name))
            {
                return match refusal.code {
                    Code::AlreadyExists => Error::exists(refusal.reason, refusal.message),
                    _ => Error::refused(refusal.reason, refusal.message),
                };
            }
        }
        Error::Database(err)
    }

    /// The gRPC status, with `ErrorInfo` (reason, domain, `service` in its
    /// metadata when known) and, for bad fields, `BadRequest`.
    pub fn into_status(self, service: &str) -> Status {
        self.into_status_with(service, &[])
    }

    /// As [`Error::into_status`], with the service's constraint refusals.
    pub fn into_status_with(self, service: &str, refusals: &[ConstraintRefusal]) -> Status {
        let resolved = match self.resolve(refusals) {
            // A peer's answer passes on as it came.
            Error::Upstream(status) => return *status,
            resolved => resolved,
        };
        let reason = resolved.reason();
        let code = match &resolved {
            Error::Invalid(_) => Code::InvalidArgument,
            Error::NotFound(_) => Code::NotFound,
            Error::AlreadyExists { .. } | Error::RequestIdReused(_) => Code::AlreadyExists,
            Error::EtagMismatch(_) | Error::RequestInFlight => Code::Aborted,
            Error::UnstorableText => Code::InvalidArgument,
            Error::StatementTimeout => Code::DeadlineExceeded,
            Error::Overloaded(_) => Code::ResourceExhausted,
            Error::DatabaseUnavailable(_) => Code::Unavailable,
            Error::FailedPrecondition { .. } => Code::FailedPrecondition,
            Error::PermissionDenied(_) => Code::PermissionDenied,
            Error::Unauthenticated(_) => Code::Unauthenticated,
            Error::Database(_) | Error::Internal { .. } | Error::Upstream(_) => Code::Internal,
        };
        let message = match &resolved {
            Error::Database(err) => {
                tracing::error!(error = %err, service, "database error");
                "internal error".to_owned()
            }
            Error::DatabaseUnavailable(cause) => {
                tracing::warn!(error = %cause, service, "database unavailable");
                resolved.to_string()
            }
            Error::Internal { context, detail } => {
                tracing::error!(error = %detail, service, "{context}");
                format!("{context}: internal error")
            }
            other => clip(&other.to_string(), MAX_MESSAGE_BYTES),
        };
        let mut details = ErrorDetails::new();
        let mut metadata = std::collections::HashMap::new();
        if !service.is_empty() {
            metadata.insert("service".to_owned(), service.to_owned());
        }
        if let Error::Invalid(violations) = resolved {
            for (field, description) in violations.into_pairs() {
                details.add_bad_request_violation(field, description);
            }
        }
        details.set_error_info(reason, ERROR_DOMAIN, metadata);
        Status::with_error_details(code, message, details)
    }
}

/// A status that arrives where an [`Error`] is expected: a peer's answer, or
/// a runtime check that answers in statuses. An `INVALID_ARGUMENT` keeps its
/// field violations.
impl From<Status> for Error {
    fn from(status: Status) -> Self {
        match status.code() {
            Code::InvalidArgument => {
                let named = field_violations(&status);
                if named.is_empty() {
                    return Error::Upstream(Box::new(status));
                }
                let mut violations = FieldViolations::new();
                for (field, description) in named {
                    violations.add(field, description);
                }
                Error::Invalid(violations)
            }
            Code::PermissionDenied => Error::PermissionDenied(status.message().to_owned()),
            Code::Unauthenticated => Error::Unauthenticated(status.message().to_owned()),
            _ => Error::Upstream(Box::new(status)),
        }
    }
}

/// For code outside the pipeline (streams, start-up checks): the same
/// mapping, without naming the service.
impl From<Error> for Status {
    fn from(err: Error) -> Self {
        err.into_status("")
    }
}

/// The HTTP status the gateway answers for a gRPC code (google.rpc.Code's
/// documented HTTP mapping; 499 for a cancelled request).
pub fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists | Code::Aborted => 409,
        Code::ResourceExhausted => 429,
        Code::Cancelled => 499,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded => 504,
        Code::Unknown | Code::Internal | Code::DataLoss => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;

    #[test]
    fn every_violation_and_the_reason_reach_the_status() {
        let mut violations = FieldViolations::new();
        violations.add("request_id", "required");
        violations.add("member.name", "required");
        let status = Error::Invalid(violations).into_status("ledger");
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().expect("error info");
        assert_eq!(info.reason, "INVALID_FIELDS");
        assert_eq!(info.domain, ERROR_DOMAIN);
        assert_eq!(
            info.metadata.get("service").map(String::as_str),
            Some("ledger")
        );
        assert_eq!(
            field_violations(&status),
            vec![
                ("request_id".to_owned(), "required".to_owned()),
                ("member.name".to_owned(), "required".to_owned())
            ]
        );
    }

    #[test]
    fn a_lost_database_connection_is_worth_a_retry() {
        for lost in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        ] {
            let status = Error::Database(lost).into_status("ledger");
            assert_eq!(status.code(), Code::Unavailable);
            assert_eq!(
                status.get_details_error_info().map(|info| info.reason),
                Some("DATABASE_UNAVAILABLE".to_owned())
            );
        }
        let other = Error::Database(sqlx::Error::RowNotFound).into_status("ledger");
        assert_eq!(other.code(), Code::Internal);
    }

    #[test]
    fn a_rule_keeps_its_own_reason() {
        let status =
            Error::refused("ONCE_A_YEAR", "already relieved this year").into_status("funds");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.get_details_error_info().map(|info| info.reason),
            Some("ONCE_A_YEAR".to_owned())
        );
    }

    #[test]
    fn internal_detail_is_not_sent() {
        let status = Error::internal("sealing", "key material 0xdeadbeef").into_status("ledger");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("deadbeef"));
    }

    #[test]
    fn a_peer_status_passes_unchanged() {
        let status = Error::from(Status::not_found("member x")).into_status("workflow");
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "member x");
    }

    #[test]
    fn named_fields_of_a_runtime_status_gain_the_reason() {
        let status =
            Error::from(Error::invalid("page_size", "must not be negative").into_status(""))
                .into_status("funds");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status.get_details_error_info().map(|info| info.reason),
            Some("INVALID_FIELDS".to_owned())
        );
        assert_eq!(
            field_violations(&status),
            vec![("page_size".to_owned(), "must not be negative".to_owned())]
        );
    }

    #[test]
    fn http_mapping() {
        assert_eq!(http_status(Code::InvalidArgument), 400);
        assert_eq!(http_status(Code::Aborted), 409);
        assert_eq!(http_status(Code::DeadlineExceeded), 504);
    }
}
