//! The organisation tree: add a node, read, list, rename.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};

use super::{LedgerApi, convert, record_change};
use crate::commands::orgs::{NewOrg, OrgId, OrgListing, OrgRename};
use crate::store::{Change, Store};

/// Nothing hangs under a branch (党支部).
const BRANCH_IS_LEAF: &str = "BRANCH_IS_LEAF";

impl LedgerApi {
    pub(super) async fn add_org(
        &self,
        caller: Caller,
        command: NewOrg,
        mut work: Work,
    ) -> Result<Done<pb::Org>> {
        let parent = Store::org_in(work.tx(), command.parent_id)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!("parent organisation {}", command.parent_id))
            })?;
        caller.authorize(Permission::OrgManage, &parent.path)?;
        if !command.kind.may_hang_under(parent.kind) {
            return Err(Error::refused(
                BRANCH_IS_LEAF,
                "parent_id: nothing can be created under a branch",
            ));
        }
        let org = Store::insert_org(
            work.tx(),
            &parent,
            command.kind,
            &command.name,
            &command.unit_name,
        )
        .await?;
        record_change(
            &mut work,
            Change {
                action: "org.created",
                resource: &format!("orgs/{}", org.org_id),
                reason: "",
                changed_fields: vec!["name".into(), "unit_name".into(), "kind".into()],
                before: None,
                after: Some(serde_json::json!({
                    "name": org.name,
                    "unit_name": org.unit_name,
                    "kind": org.kind.as_str(),
                    "path": org.path,
                })),
            },
        )
        .await?;
        Ok(work.done(convert::org(&org, self.committee_path())))
    }

    pub(super) async fn org(&self, caller: Caller, OrgId(org_id): OrgId) -> Result<pb::Org> {
        let org = self
            .store
            .org(org_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("organisation {org_id}")))?;
        caller.authorize(Permission::OrgRead, &org.path)?;
        Ok(convert::org(&org, self.committee_path()))
    }

    pub(super) async fn orgs(
        &self,
        caller: Caller,
        query: OrgListing,
    ) -> Result<pb::ListOrgsResponse> {
        let roots = self
            .roots(&caller, Permission::OrgRead, query.parent_id)
            .await?;
        let after = query.page.after.unwrap_or(0);
        // Without a parent, the listing starts at the caller's own top nodes.
        let mut orgs = if query.parent_id.is_none() && !query.whole_subtree {
            self.store
                .orgs_by_paths(&roots, after, query.page.fetch())
                .await?
        } else {
            self.store
                .list_orgs(&roots, query.whole_subtree, after, query.page.fetch())
                .await?
        };
        let next_page_token = query.page.next(&mut orgs, |org| org.org_id);
        Ok(pb::ListOrgsResponse {
            orgs: orgs
                .iter()
                .map(|org| convert::org(org, self.committee_path()))
                .collect(),
            next_page_token,
        })
    }

    pub(super) async fn rename_org(
        &self,
        caller: Caller,
        command: OrgRename,
        mut work: Work,
    ) -> Result<Done<pb::Org>> {
        let current = Store::org_in(work.tx(), command.org_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("organisation {}", command.org_id)))?;
        caller.authorize(Permission::OrgManage, &current.path)?;
        let name = command.name.as_deref().unwrap_or(&current.name);
        let unit_name = command.unit_name.as_deref().unwrap_or(&current.unit_name);
        let updated =
            Store::update_org(work.tx(), current.org_id, command.version, name, unit_name)
                .await?
                .ok_or_else(|| Error::EtagMismatch(format!("organisation {}", current.org_id)))?;
        record_change(
            &mut work,
            Change {
                action: "org.renamed",
                resource: &format!("orgs/{}", current.org_id),
                reason: &command.reason,
                changed_fields: command.changed,
                before: Some(
                    serde_json::json!({ "name": current.name, "unit_name": current.unit_name }),
                ),
                after: Some(
                    serde_json::json!({ "name": updated.name, "unit_name": updated.unit_name }),
                ),
            },
        )
        .await?;
        Ok(work.done(convert::org(&updated, self.committee_path())))
    }
}
