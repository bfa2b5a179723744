//! The bad fields of one request, collected before answering so the caller
//! learns all of them at once — and bounded, whatever the request holds.

use tonic::Status;
use tonic_types::StatusExt;

use super::{Error, Result};

/// Collects every bad field of a request before answering, so the caller
/// learns all of them at once rather than one per round trip.
///
/// The answer is bounded whatever the request holds: at most
/// [`MAX_VIOLATIONS`] are named (the rest only counted), and a field path or
/// description echoed from the request is clipped. An answer travels in
/// HTTP/2 trailers, and one larger than a proxy's header limit would break
/// the connection it shares with other callers' calls.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldViolations {
    violations: Vec<(String, String)>,
    /// Violations past [`MAX_VIOLATIONS`], counted but not named.
    unnamed: usize,
}

/// The most field violations one answer names.
pub const MAX_VIOLATIONS: usize = 20;
/// The longest field path an answer echoes, in bytes.
pub const MAX_FIELD_BYTES: usize = 96;
/// The longest violation description an answer carries, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 192;
/// The longest status message an answer carries, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 512;

/// `text` cut to at most `max` bytes on a character boundary, marked with
/// `…` when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl FieldViolations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (a proto field path, e.g. `member.id_number`) is bad.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.violations.len() >= MAX_VIOLATIONS {
            self.unnamed += 1;
            return;
        }
        self.violations.push((
            clip(&field.into(), MAX_FIELD_BYTES),
            clip(&description.into(), MAX_DESCRIPTION_BYTES),
        ));
    }

    /// Records a violation when `bad` holds.
    pub fn check(&mut self, bad: bool, field: &str, description: &str) {
        if bad {
            self.add(field, description);
        }
    }

    /// Records a problem with the request's idempotency key, if it has one.
    pub fn check_request_id(&mut self, request_id: &str) {
        if let Some(problem) = crate::idempotency::request_id_problem(request_id) {
            self.add("request_id", problem);
        }
    }

    /// Adds every violation of `other` with its field prefixed, e.g. `rows[3].`.
    pub fn extend_prefixed(&mut self, prefix: &str, other: FieldViolations) {
        for (field, description) in other.violations {
            self.add(format!("{prefix}{field}"), description);
        }
        self.unnamed += other.unnamed;
    }

    pub fn is_empty(&self) -> bool {
        self.violations.is_empty() && self.unnamed == 0
    }

    /// The named violations as `(field, description)` pairs.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.violations
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.violations
            .iter()
            .map(|(field, description)| (field.as_str(), description.as_str()))
    }
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

impl FieldViolations {
    /// `field: description; …` — the status message of `INVALID_ARGUMENT`.
    pub fn summary(&self) -> String {
        let mut summary = self
            .violations
            .iter()
            .map(|(field, description)| format!("{field}: {description}"))
            .collect::<Vec<_>>()
            .join("; ");
        if self.unnamed > 0 {
            summary.push_str(&format!("; and {} more", self.unnamed));
        }
        summary
    }

    /// `Ok(())` when nothing was recorded, else [`Error::Invalid`].
    pub fn finish(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(self))
        }
    }

    /// The end of a `TryFrom` that parses a request into a command: the
    /// command built by `build` when no field was bad, else every violation.
    pub fn then<T>(self, build: impl FnOnce() -> T) -> Result<T, FieldViolations> {
        if self.is_empty() {
            Ok(build())
        } else {
            Err(self)
        }
    }

    /// Adds every violation of `other` as it is.
    pub fn merge(&mut self, other: FieldViolations) {
        for (field, description) in other.violations {
            self.add(field, description);
        }
        self.unnamed += other.unnamed;
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::Invalid(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn an_answer_names_a_bounded_number_of_clipped_violations() {
        let mut violations = FieldViolations::new();
        violations.add(
            "update_mask",
            format!("{} cannot be changed here", "x".repeat(20_000)),
        );
        for n in 0..100 {
            violations.add(format!("update_mask.paths[{n}]"), "unknown path");
        }
        let status = Error::Invalid(violations).into_status("ledger");
        let named = field_violations(&status);
        assert_eq!(named.len(), MAX_VIOLATIONS);
        assert!(
            named[0].1.len() <= MAX_DESCRIPTION_BYTES,
            "{}",
            named[0].1.len()
        );
        assert!(status.message().len() <= MAX_MESSAGE_BYTES);
        assert!(
            status.details().len() < 8 * 1024,
            "{}",
            status.details().len()
        );
    }

    #[test]
    fn clipping_keeps_characters_whole() {
        assert_eq!(clip("困难党员", 8), "困…");
        assert_eq!(clip("short", 8), "short");
    }
}
