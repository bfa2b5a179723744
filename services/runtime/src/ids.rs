//! Identifiers and etags as requests carry them: parsed once, each bad one
//! recorded as a field violation so the caller learns every bad field at once.

use relief_proto::common::v1::Actor;
use uuid::Uuid;

use crate::error::FieldViolations;

/// A required UUID field; `None` (with the violation recorded) when it is not one.
pub fn uuid(value: &str, field: &str, violations: &mut FieldViolations) -> Option<Uuid> {
    match Uuid::parse_str(value) {
        Ok(id) => Some(id),
        Err(_) if value.is_empty() => {
            violations.add(field, "required");
            None
        }
        Err(_) => {
            violations.add(field, "must be a UUID");
            None
        }
    }
}

/// A required etag: the version the caller last read (a positive integer).
pub fn etag(value: &str, field: &str, violations: &mut FieldViolations) -> Option<i64> {
    let version = value.parse::<i64>().ok().filter(|version| *version > 0);
    if version.is_none() {
        violations.add(field, "required: the etag from the last read");
    }
    version
}

/// The etag of a resource at `version`.
pub fn etag_of(version: i64) -> String {
    version.to_string()
}

/// A positive organisation id, or 0 for "not given".
pub fn optional_org_id(value: i64, field: &str, violations: &mut FieldViolations) -> Option<i64> {
    if value < 0 {
        violations.add(field, "must be a positive organisation id");
    }
    (value > 0).then_some(value)
}

/// The audit view of a stored actor; `None` where nobody acted yet.
pub fn actor(user_id: &str, display_name: &str) -> Option<Actor> {
    (!user_id.is_empty()).then(|| Actor {
        user_id: user_id.to_owned(),
        display_name: display_name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_id_is_named() {
        let mut violations = FieldViolations::new();
        assert!(uuid("", "member_id", &mut violations).is_none());
        assert!(uuid("x", "record_id", &mut violations).is_none());
        assert!(etag("0", "etag", &mut violations).is_none());
        assert_eq!(etag("3", "etag", &mut violations), Some(3));
        let fields: Vec<_> = violations
            .iter()
            .map(|(field, _)| field.to_owned())
            .collect();
        assert_eq!(fields, ["member_id", "record_id", "etag"]);
        assert!(actor("", "").is_none());
    }
}
