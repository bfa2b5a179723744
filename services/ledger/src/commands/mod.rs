//! What each request asks for, parsed: every request becomes a command (a
//! write) or a query (a read) through `TryFrom`, which names every bad field
//! at once. Rules come from [`crate::domain`]; nothing here does I/O.

pub mod members;
pub mod orgs;
pub mod records;
pub mod relief;
pub mod reports;

use relief_runtime::error::FieldViolations;
pub use relief_runtime::pagination::Page;
use relief_runtime::text::MAX_REASON;

/// The paths of an update mask.
pub fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Vec<String> {
    mask.map(|mask| mask.paths.clone()).unwrap_or_default()
}

/// A reveal of sealed data: `Some(reason)` when asked for, with the reason
/// required (it is recorded with the read): one line, at most
/// [`MAX_REASON`] characters.
pub fn reveal_reason(
    reveal: bool,
    reason: &str,
    violations: &mut FieldViolations,
) -> Option<String> {
    // Checked even when no reveal is asked for: nothing unchecked is kept.
    violations.check_line("reveal_reason", reason, MAX_REASON);
    if !reveal {
        return None;
    }
    if reason.trim().is_empty() {
        violations.add(
            "reveal_reason",
            "required when reveal_sensitive is set: why the data is needed",
        );
    }
    Some(reason.trim().to_owned())
}
