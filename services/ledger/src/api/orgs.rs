//! Organisation tree RPCs.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::{PageToken, page_size};
use tonic::{Request, Status};

use super::{LedgerApi, parse_etag};
use crate::domain::org::OrgKind;
use crate::error::Error;
use crate::store::{Change, Store};

fn check_names(violations: &mut FieldViolations, prefix: &str, name: &str, unit_name: &str) {
    if name.trim().is_empty() {
        violations.add(format!("{prefix}name"), "required");
    } else if name.chars().count() > 100 {
        violations.add(format!("{prefix}name"), "at most 100 characters");
    }
    if unit_name.chars().count() > 100 {
        violations.add(format!("{prefix}unit_name"), "at most 100 characters");
    }
}

impl LedgerApi {
    pub(super) async fn create_org_impl(
        &self,
        request: Request<pb::CreateOrgRequest>,
    ) -> Result<pb::Org, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        violations.check(
            request.parent_id <= 0,
            "parent_id",
            "required: the node to create under",
        );
        let kind = match pb::OrgKind::try_from(request.kind) {
            Ok(pb::OrgKind::Superior) => Some(OrgKind::Superior),
            Ok(pb::OrgKind::Branch) => Some(OrgKind::Branch),
            _ => {
                violations.add("kind", "must be SUPERIOR or BRANCH");
                None
            }
        };
        check_names(&mut violations, "", &request.name, &request.unit_name);
        violations.into_result()?;
        let kind = kind.ok_or_else(|| invalid_field("kind", "must be SUPERIOR or BRANCH"))?;

        let parent = self.store.org(request.parent_id).await?.ok_or_else(|| {
            Status::from(Error::NotFound(format!(
                "parent organisation {}",
                request.parent_id
            )))
        })?;
        caller.authorize(Permission::OrgManage, &parent.path)?;
        if !kind.may_hang_under(parent.kind()) {
            return Err(Error::FailedPrecondition(
                "parent_id: nothing can be created under a branch".to_owned(),
            )
            .into());
        }

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(org) =
            idempotency::claim(&mut tx, "CreateOrg", &request.request_id, &request).await?
        {
            return Ok(org);
        }
        let org = Store::insert_org(
            &mut tx,
            &parent,
            kind,
            request.name.trim(),
            request.unit_name.trim(),
        )
        .await?;
        let response = org.to_proto();
        Store::log_change(
            &mut tx,
            Change {
                actor: &caller.actor(),
                action: "org.created",
                resource: &format!("orgs/{}", org.org_id),
                reason: "",
                changed_fields: vec!["name".into(), "unit_name".into(), "kind".into()],
                before: None,
                after: Some(serde_json::json!({ "name": org.name, "unit_name": org.unit_name, "kind": org.kind, "path": org.path })),
            },
        )
        .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }

    pub(super) async fn get_org_impl(
        &self,
        request: Request<pb::GetOrgRequest>,
    ) -> Result<pb::Org, Status> {
        let caller = caller(&request)?;
        let org_id = request.get_ref().org_id;
        if org_id <= 0 {
            return Err(invalid_field(
                "org_id",
                "required: a positive organisation id",
            ));
        }
        let org = self
            .store
            .org(org_id)
            .await?
            .ok_or_else(|| Status::from(Error::NotFound(format!("organisation {org_id}"))))?;
        caller.authorize(Permission::OrgRead, &org.path)?;
        Ok(org.to_proto())
    }

    pub(super) async fn list_orgs_impl(
        &self,
        request: Request<pb::ListOrgsRequest>,
    ) -> Result<pb::ListOrgsResponse, Status> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let limit = page_size(request.page_size, "page_size")?;
        let after = PageToken::decode(&request.page_token, "page_token")?
            .map_or(0, |token| token.after_int());
        let roots = self
            .listing_roots(caller, Permission::OrgRead, request.parent_id, "parent_id")
            .await?;
        // Without a parent, the listing starts at the caller's own top nodes.
        let mut orgs = if request.parent_id == 0 && !request.whole_subtree {
            self.store.orgs_by_paths(&roots, after, limit + 1).await?
        } else {
            self.store
                .list_orgs(&roots, request.whole_subtree, after, limit + 1)
                .await?
        };
        let next_page_token = if orgs.len() as i64 > limit {
            orgs.truncate(limit as usize);
            orgs.last()
                .map(|org| PageToken::int(org.org_id).encode())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(pb::ListOrgsResponse {
            orgs: orgs.iter().map(|org| org.to_proto()).collect(),
            next_page_token,
        })
    }

    pub(super) async fn update_org_impl(
        &self,
        request: Request<pb::UpdateOrgRequest>,
    ) -> Result<pb::Org, Status> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&request.request_id);
        let org = request.org.clone().unwrap_or_default();
        violations.check(org.org_id <= 0, "org.org_id", "required");
        let paths = request
            .update_mask
            .as_ref()
            .map(|mask| mask.paths.clone())
            .unwrap_or_default();
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
        let version = match parse_etag("org.etag", &org.etag) {
            Ok(version) => version,
            Err(status) => {
                violations.add("org.etag", status.message());
                0
            }
        };
        let current = if org.org_id > 0 {
            self.store.org(org.org_id).await?
        } else {
            None
        };
        let name = if paths.iter().any(|p| p == "name") {
            org.name.trim().to_owned()
        } else {
            current.as_ref().map(|c| c.name.clone()).unwrap_or_default()
        };
        let unit_name = if paths.iter().any(|p| p == "unit_name") {
            org.unit_name.trim().to_owned()
        } else {
            current
                .as_ref()
                .map(|c| c.unit_name.clone())
                .unwrap_or_default()
        };
        check_names(&mut violations, "org.", &name, &unit_name);
        violations.into_result()?;
        let current = current
            .ok_or_else(|| Status::from(Error::NotFound(format!("organisation {}", org.org_id))))?;
        caller.authorize(Permission::OrgManage, &current.path)?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(org) =
            idempotency::claim(&mut tx, "UpdateOrg", &request.request_id, &request).await?
        {
            return Ok(org);
        }
        let updated = Store::update_org(&mut tx, current.org_id, version, &name, &unit_name)
            .await?
            .ok_or_else(|| {
                Status::from(Error::EtagMismatch(format!(
                    "organisation {}",
                    current.org_id
                )))
            })?;
        let response = updated.to_proto();
        Store::log_change(
            &mut tx,
            Change {
                actor: &caller.actor(),
                action: "org.renamed",
                resource: &format!("orgs/{}", current.org_id),
                reason: &request.reason,
                changed_fields: paths,
                before: Some(
                    serde_json::json!({ "name": current.name, "unit_name": current.unit_name }),
                ),
                after: Some(
                    serde_json::json!({ "name": updated.name, "unit_name": updated.unit_name }),
                ),
            },
        )
        .await?;
        idempotency::finish(tx, &request.request_id, response).await
    }
}
