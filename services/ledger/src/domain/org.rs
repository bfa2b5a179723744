//! The organisation tree (SPEC §2): committee → superior organisations (may
//! nest) → branches, addressed by materialised paths of ids (`/1/4/12/`).
//! The committee's id, path and name come from configuration
//! (`RuntimeSettings.committee`), never from a constant.

use relief_proto::ledger::v1 as pb;

/// 组织类型 — what a node is; stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum OrgKind {
    Committee,
    Superior,
    Branch,
}

impl OrgKind {
    /// The kinds a caller may create (the committee exists from the start).
    pub fn creatable(kind: i32) -> Option<Self> {
        match pb::OrgKind::try_from(kind) {
            Ok(pb::OrgKind::Superior) => Some(OrgKind::Superior),
            Ok(pb::OrgKind::Branch) => Some(OrgKind::Branch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Committee => "committee",
            OrgKind::Superior => "superior",
            OrgKind::Branch => "branch",
        }
    }

    /// Whether a node of this kind may hang under `parent`: branches are
    /// leaves, and nothing hangs under them.
    pub fn may_hang_under(self, parent: OrgKind) -> bool {
        !matches!(self, OrgKind::Committee) && !matches!(parent, OrgKind::Branch)
    }
}

impl From<OrgKind> for pb::OrgKind {
    fn from(kind: OrgKind) -> Self {
        match kind {
            OrgKind::Committee => pb::OrgKind::Committee,
            OrgKind::Superior => pb::OrgKind::Superior,
            OrgKind::Branch => pb::OrgKind::Branch,
        }
    }
}

/// Depth of a path: the committee is 1, its children 2, …
pub fn depth(path: &str) -> usize {
    path.split('/').filter(|part| !part.is_empty()).count()
}

/// A branch hanging directly under the committee skips the superior review.
pub fn directly_under_committee(kind: OrgKind, path: &str, committee_path: &str) -> bool {
    kind == OrgKind::Branch
        && path.starts_with(committee_path)
        && depth(path) == depth(committee_path) + 1
}

/// Checks a node's names; `prefix` is the field path of the node (`org.`).
pub fn check_names(
    violations: &mut relief_runtime::error::FieldViolations,
    prefix: &str,
    name: Option<&str>,
    unit_name: Option<&str>,
) {
    use relief_runtime::text::MAX_TITLE;
    if let Some(name) = name {
        violations.check_required_line(&format!("{prefix}name"), name, MAX_TITLE, "required");
    }
    if let Some(unit_name) = unit_name {
        violations.check_line(&format!("{prefix}unit_name"), unit_name, MAX_TITLE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_rules() {
        assert!(OrgKind::Branch.may_hang_under(OrgKind::Committee));
        assert!(OrgKind::Superior.may_hang_under(OrgKind::Superior));
        assert!(!OrgKind::Branch.may_hang_under(OrgKind::Branch));
        assert!(!OrgKind::Committee.may_hang_under(OrgKind::Superior));
        assert_eq!(depth("/1/4/12/"), 3);
        assert!(directly_under_committee(OrgKind::Branch, "/7/9/", "/7/"));
        assert!(!directly_under_committee(
            OrgKind::Branch,
            "/7/9/12/",
            "/7/"
        ));
        assert!(!directly_under_committee(OrgKind::Superior, "/7/9/", "/7/"));
    }
}
