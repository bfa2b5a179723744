//! The ledger service (台账), as its users drive it.

mod access;
mod errors;
mod exports;
mod forms;
mod history;
mod import_export;
mod lifecycle;
mod masking;
mod members;
mod new_members_form;
mod paging;
mod relief;
mod text_fields;

use relief_proto::common::v1 as common;
use relief_proto::common::v1::{Date, Money, OrgRef};
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::Role;
use relief_runtime::auth::{RoleBinding, TokenSigner};
use relief_runtime::config::TrustedKey;
use relief_tests::{AUDIENCE, Bearer, ROOT, Spawned, channel, spawn_ledger_with, token};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub type Client = LedgerServiceClient<InterceptedService<Channel, Bearer>>;

/// A ledger with a small tree: a superior organisation with branches A and
/// B, and branch D directly under the committee.
pub struct World {
    pub ledger: Spawned,
    pub superior: pb::Org,
    pub branch_a: pb::Org,
    pub branch_b: pb::Org,
    pub branch_direct: pb::Org,
}

const DEV_WORKFLOW_PUBLIC_KEY: &str = include_str!("../../../deploy/dev-keys/workflow.pub.pem");
const DEV_WORKFLOW_PRIVATE_KEY: &str = include_str!("../../../deploy/dev-keys/workflow.key.pem");

/// A token of a service's own principal (`service:<name>`, the department on
/// the whole tree, as deployments configure it) signed with its dev key.
pub fn service_token(name: &str, private_key_pem: &str) -> String {
    TokenSigner::from_pem(name, name, AUDIENCE, private_key_pem)
        .expect("a development key")
        .sign(
            &format!("service:{name}"),
            name,
            None,
            vec![RoleBinding {
                role: Role::Department,
                org_path: ROOT.to_owned(),
            }],
            std::time::Duration::from_secs(600),
        )
        .expect("signing a service token")
}

impl World {
    pub async fn new() -> World {
        // Besides users' tokens, the ledger trusts the workflow's and the
        // funds' own principals as every deployment does (department only).
        let ledger = spawn_ledger_with(|settings| {
            for (name, key) in [
                ("workflow", DEV_WORKFLOW_PUBLIC_KEY),
                ("funds", relief_tests::DEV_FUNDS_PUBLIC_KEY),
            ] {
                settings.runtime.auth.trusted_keys.push(TrustedKey {
                    kid: name.into(),
                    issuer: name.into(),
                    public_key_pem: key.into(),
                    allowed_roles: vec!["department".into()],
                });
            }
        })
        .await;
        let mut dept = client(&ledger, &token(Role::Department, "/1/")).await;
        let superior = create_org(&mut dept, 1, pb::OrgKind::Superior, "市财政局机关党委").await;
        let branch_a = create_org(
            &mut dept,
            superior.org_id,
            pb::OrgKind::Branch,
            "预算科党支部",
        )
        .await;
        let branch_b = create_org(
            &mut dept,
            superior.org_id,
            pb::OrgKind::Branch,
            "国库科党支部",
        )
        .await;
        let branch_direct =
            create_org(&mut dept, 1, pb::OrgKind::Branch, "市政府办公室党支部").await;
        World {
            ledger,
            superior,
            branch_a,
            branch_b,
            branch_direct,
        }
    }

    pub async fn as_role(&self, role: Role, org: &pb::Org) -> Client {
        client(&self.ledger, &token(role, &org.path)).await
    }

    pub async fn department(&self) -> Client {
        client(&self.ledger, &token(Role::Department, "/1/")).await
    }

    /// A user with `role` on the whole tree.
    pub async fn department_as(&self, role: Role) -> Client {
        client(&self.ledger, &token(role, ROOT)).await
    }

    /// The workflow service's own principal.
    pub async fn workflow(&self) -> Client {
        client(
            &self.ledger,
            &service_token("workflow", DEV_WORKFLOW_PRIVATE_KEY),
        )
        .await
    }

    /// The funds service's own principal.
    pub async fn funds(&self) -> Client {
        client(
            &self.ledger,
            &service_token("funds", relief_tests::DEV_FUNDS_PRIVATE_KEY),
        )
        .await
    }

    pub async fn auditor(&self) -> Client {
        client(&self.ledger, &token(Role::Auditor, "/1/")).await
    }
}

pub async fn client(ledger: &Spawned, token: &str) -> Client {
    LedgerServiceClient::with_interceptor(channel(ledger.addr).await, Bearer(token.to_owned()))
}

pub async fn create_org(
    client: &mut Client,
    parent_id: i64,
    kind: pb::OrgKind,
    name: &str,
) -> pb::Org {
    client
        .create_org(pb::CreateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            parent_id,
            kind: kind as i32,
            name: name.to_owned(),
            unit_name: "焦作市财政局".to_owned(),
        })
        .await
        .expect("creating an organisation")
        .into_inner()
}

/// A valid resident ID number for a birth date `yyyymmdd` and a sequence.
pub fn id_number(birth: &str, sequence: u32) -> String {
    let first17 = format!("410802{birth}{sequence:03}");
    let check = relief_ledger::domain::id_number::check_char(&first17).expect("digits");
    format!("{first17}{check}")
}

/// A complete, valid member of `branch`.
pub fn member(branch: &pb::Org, name: &str, id_number: &str) -> pb::Member {
    pb::Member {
        branch: Some(OrgRef {
            org_id: branch.org_id,
            ..Default::default()
        }),
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        party_join_date: Some(Date {
            year: 1990,
            month: 7,
            day: 1,
        }),
        work_unit: "焦作市财政局".to_owned(),
        employment_status: pb::EmploymentStatus::Retired as i32,
        phone: "13903911234".to_owned(),
        address: "焦作市解放区民主路1号".to_owned(),
        family_members: vec![pb::FamilyMember {
            relation: "配偶".to_owned(),
            name: "配偶".to_owned(),
            age: 62,
            occupation: "无业".to_owned(),
            annual_income: Some(Money { fen: 120_000 }),
            health: "高血压".to_owned(),
            able_to_work: false,
        }],
        sensitive: Some(pb::SensitiveInfo {
            health_status: "尿毒症".to_owned(),
            own_annual_income: Some(Money { fen: 3_600_000 }),
            income_source: "退休金".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub async fn create_member(
    client: &mut Client,
    branch: &pb::Org,
    name: &str,
    id: &str,
) -> pb::Member {
    client
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(member(branch, name, id)),
        })
        .await
        .expect("registering a member")
        .into_inner()
}

pub fn record_request(
    member_id: &str,
    category: common::HardshipCategory,
    income_fen: i64,
) -> pb::CreateRecordRequest {
    pb::CreateRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        member_id: member_id.to_owned(),
        category: category as i32,
        cause: "本人患尿毒症".to_owned(),
        description: "长期透析，家庭负担重".to_owned(),
        household_size: 3,
        annual_household_income: Some(Money { fen: income_fen }),
        since: Some(Date {
            year: 2025,
            month: 11,
            day: 20,
        }),
        source_kind: pb::RecordSourceKind::Manual as i32,
        source_ref: String::new(),
    }
}

/// The fields an `INVALID_ARGUMENT` names.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "expected INVALID_ARGUMENT, got {status:?}"
    );
    relief_runtime::error::field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// Every member the department sees.
pub async fn all_members(world: &World) -> Vec<pb::Member> {
    world
        .department()
        .await
        .list_members(pb::ListMembersRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("listing members")
        .into_inner()
        .members
}
