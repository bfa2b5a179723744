//! The organisation tree (SPEC §2): committee → superior organisations (may
//! nest) → branches, addressed by materialised paths of ids (`/1/4/12/`).

/// 组织类型 — what a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Committee,
    Superior,
    Branch,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Committee => "committee",
            OrgKind::Superior => "superior",
            OrgKind::Branch => "branch",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "committee" => Some(OrgKind::Committee),
            "superior" => Some(OrgKind::Superior),
            "branch" => Some(OrgKind::Branch),
            _ => None,
        }
    }

    /// Whether a node of this kind may hang under `parent`: branches are
    /// leaves, and nothing hangs under them.
    pub fn may_hang_under(self, parent: OrgKind) -> bool {
        !matches!(self, OrgKind::Committee) && !matches!(parent, OrgKind::Branch)
    }
}

/// The path of the committee root; ids start at 1 with it.
pub const ROOT_PATH: &str = relief_runtime::auth::COMMITTEE_PATH;

/// Depth of a path: the committee is 1, its children 2, …
pub fn depth(path: &str) -> usize {
    path.split('/').filter(|part| !part.is_empty()).count()
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
    }
}
