//! Requests about the organisation tree.

use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::text::MAX_REASON;

use super::{Page, mask_paths};
use crate::domain::org::{OrgKind, check_names};

/// CreateOrg: a node under `parent_id`.
#[derive(Debug)]
pub struct NewOrg {
    pub parent_id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub unit_name: String,
}

impl TryFrom<pb::CreateOrgRequest> for NewOrg {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateOrgRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check(
            request.parent_id <= 0,
            "parent_id",
            "required: the node to create under",
        );
        let kind = OrgKind::creatable(request.kind);
        if kind.is_none() {
            violations.add("kind", "must be SUPERIOR or BRANCH");
        }
        check_names(
            &mut violations,
            "",
            Some(&request.name),
            Some(&request.unit_name),
        );
        match kind {
            Some(kind) => violations.then(|| NewOrg {
                parent_id: request.parent_id,
                kind,
                name: request.name.trim().to_owned(),
                unit_name: request.unit_name.trim().to_owned(),
            }),
            None => Err(violations),
        }
    }
}

/// GetOrg.
#[derive(Debug)]
pub struct OrgId(pub i64);

impl TryFrom<pb::GetOrgRequest> for OrgId {
    type Error = FieldViolations;

    fn try_from(request: pb::GetOrgRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check(
            request.org_id <= 0,
            "org_id",
            "required: a positive organisation id",
        );
        violations.then(|| OrgId(request.org_id))
    }
}

/// ListOrgs: the children of a node (or of the caller's own top nodes), or
/// a whole subtree.
#[derive(Debug)]
pub struct OrgListing {
    pub parent_id: Option<i64>,
    pub whole_subtree: bool,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListOrgsRequest> for OrgListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListOrgsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListOrgs", &request, &mut violations);
        let parent_id = ids::optional_org_id(request.parent_id, "parent_id", &mut violations);
        violations.then(|| OrgListing {
            parent_id,
            whole_subtree: request.whole_subtree,
            page,
        })
    }
}

/// UpdateOrg: a rename (name and/or unit name; paths never change).
#[derive(Debug)]
pub struct OrgRename {
    pub org_id: i64,
    pub version: i64,
    pub name: Option<String>,
    pub unit_name: Option<String>,
    /// The mask's paths, as the history names them.
    pub changed: Vec<String>,
    pub reason: String,
}

impl TryFrom<pb::UpdateOrgRequest> for OrgRename {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateOrgRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let org = request.org.unwrap_or_default();
        violations.check(org.org_id <= 0, "org.org_id", "required");
        let paths = mask_paths(request.update_mask.as_ref());
        if paths.is_empty() {
            violations.add("update_mask", "required: name and/or unit_name");
        }
        for path in &paths {
            if path != "name" && path != "unit_name" {
                violations.add(
                    "update_mask",
                    format!("{path} cannot be changed; only name and unit_name"),
                );
            }
        }
        let version = ids::etag(&org.etag, "org.etag", &mut violations);
        violations.check_line("reason", &request.reason, MAX_REASON);
        let has = |name: &str| paths.iter().any(|path| path == name);
        let name = has("name").then(|| org.name.trim().to_owned());
        let unit_name = has("unit_name").then(|| org.unit_name.trim().to_owned());
        check_names(
            &mut violations,
            "org.",
            name.as_deref(),
            unit_name.as_deref(),
        );
        match version {
            Some(version) => violations.then(|| OrgRename {
                org_id: org.org_id,
                version,
                name,
                unit_name,
                changed: paths,
                reason: request.reason.trim().to_owned(),
            }),
            None => Err(violations),
        }
    }
}
