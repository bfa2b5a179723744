//! The ledger the funds and workflow services take members and organisations from, as
//! the stories need it: the superior organisation 4 with branches 12 and 13
//! below it, and branch 7 directly under the committee — each made through
//! the ledger's API, its id sequence set first so the node gets the id the
//! stories name — and members registered through the API on first use, by
//! a label (`m-1`), as `党员<label>` in the branch they are paid in.

use std::collections::HashMap;

use relief_proto::ledger::v1 as ledger;
use relief_runtime::auth::Role;
use relief_tests::{Spawned, raw_pool, spawn_ledger_for_peers, token};
use tokio::sync::Mutex;

use crate::ledger::{Client as LedgerClient, client, create_member, create_org, id_number};

/// A running ledger with the stories' tree, and the members registered so
/// far by label.
pub(crate) struct Register {
    pub(crate) service: Spawned,
    members: Mutex<HashMap<String, ledger::Member>>,
}

impl Register {
    pub(crate) async fn start() -> Register {
        let service = spawn_ledger_for_peers().await;
        let pool = raw_pool(&service.schema).await;
        let mut department = client(&service, &token(Role::Department, "/1/")).await;
        for (org_id, parent_id, kind, name) in [
            (4, 1, ledger::OrgKind::Superior, "市财政局机关党委"),
            (7, 1, ledger::OrgKind::Branch, "市政府办公室党支部"),
            (12, 4, ledger::OrgKind::Branch, "预算科党支部"),
            (13, 4, ledger::OrgKind::Branch, "第13党支部"),
        ] {
            sqlx::query("SELECT setval('orgs_org_id_seq', $1)")
                .bind(org_id - 1)
                .execute(&pool)
                .await
                .expect("setting the ledger's org id sequence");
            let org = create_org(&mut department, parent_id, kind, name).await;
            assert_eq!(org.org_id, org_id, "the stories' tree");
        }
        Register {
            service,
            members: Mutex::new(HashMap::new()),
        }
    }

    /// The department's client of the ledger.
    pub(crate) async fn department(&self) -> LedgerClient {
        client(&self.service, &token(Role::Department, "/1/")).await
    }

    /// The member labelled `label`, registered in branch `branch_id` on
    /// first use.
    pub(crate) async fn member(&self, label: &str, branch_id: i64) -> ledger::Member {
        let mut members = self.members.lock().await;
        if let Some(member) = members.get(label) {
            return member.clone();
        }
        let sequence = u32::try_from(members.len() + 1).expect("few members");
        let branch = ledger::Org {
            org_id: branch_id,
            ..Default::default()
        };
        let member = create_member(
            &mut self.department().await,
            &branch,
            &format!("党员{label}"),
            &id_number("19580312", sequence),
        )
        .await;
        members.insert(label.to_owned(), member.clone());
        member
    }

    /// The id of the member labelled `label` (registered already).
    pub(crate) async fn member_id(&self, label: &str) -> String {
        self.members
            .lock()
            .await
            .get(label)
            .unwrap_or_else(|| panic!("member {label} is not registered"))
            .member_id
            .clone()
    }
}
