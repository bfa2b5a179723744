//! The gRPC error vocabulary shared by every service: field violations for
//! `INVALID_ARGUMENT` (so a form can point at the field) and the few other
//! codes a handler needs, built in one place.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Collects every bad field of a request before answering, so the caller
/// learns all of them at once rather than one per round trip.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldViolations {
    violations: Vec<(String, String)>,
}

impl FieldViolations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (a proto field path, e.g. `member.id_number`) is bad.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.violations.push((field.into(), description.into()));
    }

    /// Records a violation when `bad` holds.
    pub fn check(&mut self, bad: bool, field: &str, description: &str) {
        if bad {
            self.add(field, description);
        }
    }

    /// Records a problem with the request's idempotency key, if it has one.
    pub fn check_request_id(&mut self, request_id: &str) {
        if let Err(status) = crate::idempotency::check_request_id(request_id) {
            self.add("request_id", status.message());
        }
    }

    /// Adds every violation of `other` with its field prefixed, e.g. `rows[3].`.
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldViolations) {
        for (field, description) in other.violations {
            self.violations
                .push((format!("{prefix}{field}"), description));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.violations
            .iter()
            .map(|(field, description)| (field.as_str(), description.as_str()))
    }

    /// `Ok(())` when nothing was recorded, else the `INVALID_ARGUMENT` status.
    pub fn into_result(self) -> Result<(), Status> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_status())
        }
    }

    pub fn into_status(self) -> Status {
        let message = self
            .violations
            .iter()
            .map(|(field, description)| format!("{field}: {description}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut details = ErrorDetails::new();
        for (field, description) in self.violations {
            details.add_bad_request_violation(field, description);
        }
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

/// One bad field, answered at once.
pub fn invalid_field(field: &str, description: &str) -> Status {
    let mut violations = FieldViolations::new();
    violations.add(field, description);
    violations.into_status()
}

/// The field violations carried by a status, as `(field, description)` pairs.
/// What clients (and tests) use to point at the bad fields.
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .into_iter()
                .map(|violation| (violation.field, violation.description))
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a database error that no domain rule explains. The detail is logged,
/// not sent: it may hold data the caller must not see.
pub fn internal(context: &str, err: impl std::fmt::Display) -> Status {
    tracing::error!(error = %err, "{context}");
    Status::internal(format!("{context}: internal error"))
}

/// Maps a database error no domain rule explains. Input the database cannot
/// store (a NUL character in text) is the caller's mistake, not ours; a
/// statement cancelled by its timeout is a deadline; the rest is internal.
pub fn database(context: &str, err: &sqlx::Error) -> Status {
    if let sqlx::Error::Database(db) = err {
        match db.code().as_deref() {
            // character_not_in_repertoire, untranslatable_character
            Some("22021") | Some("22P05") => {
                return Status::invalid_argument(
                    "text contains a character that cannot be stored (NUL or invalid UTF-8)",
                );
            }
            // query_canceled
            Some("57014") => {
                return Status::deadline_exceeded(format!(
                    "{context}: the statement took too long"
                ));
            }
            _ => {}
        }
    }
    internal(context, err)
}
