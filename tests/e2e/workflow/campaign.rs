//! The yearly verification campaign (年度核查, issue 11), as its users drive
//! it: the department opens it and issues the 汇总表, each branch verifies
//! its rows and holds its meeting and notice, the unit submits, the
//! department accepts or returns. Here: the world the stories share and the
//! steps they repeat; the stories are in `campaign_story.rs`,
//! `campaign_rules.rs` and `campaign_form.rs`.
//!
//! Time is controlled as the notice stories control it: the deadlines are
//! set relative to today, and [`CampaignWorld::days_pass`] moves everything
//! the campaign recorded back by whole days behind the service's back.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::campaign_service_client::CampaignServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use relief_tests::{
    Bearer, GatewayOptions, Spawned, channel, raw_pool, spawn_gateway, token, token_for,
};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{Workflow, clean_checklist, rid};
use crate::ledger::{Client as LedgerClient, client as ledger_client, create_org, record_request};

pub(crate) type Campaigns = CampaignServiceClient<InterceptedService<Channel, Bearer>>;

/// The campaign's year: the register rows of the stories came on in 2025.
pub(crate) const YEAR: i32 = 2026;

/// A unit of the stories: its node, and the branch its rows are in.
#[derive(Clone)]
pub(crate) struct Unit {
    pub(crate) org: ledger::Org,
    pub(crate) branch: ledger::Org,
}

pub(crate) struct CampaignWorld {
    pub(crate) workflow: Workflow,
    _gateway: Option<Spawned>,
}

/// A date `days` days from today (negative: ago), Beijing time.
pub(crate) fn day(days: i64) -> Option<common::Date> {
    Some(relief_runtime::time::to_proto(
        relief_runtime::time::today() + time::Duration::days(days),
    ))
}

impl CampaignWorld {
    /// The ledger with the stories' tree (unit 4 with branches 12 and 13;
    /// branch 7 directly under the committee) and the workflow.
    pub(crate) async fn start() -> CampaignWorld {
        CampaignWorld {
            workflow: Workflow::start().await,
            _gateway: None,
        }
    }

    /// As [`CampaignWorld::start`], every call through the gateway.
    pub(crate) async fn behind_gateway() -> CampaignWorld {
        let mut workflow = Workflow::start().await;
        let gateway = spawn_gateway(
            &workflow.register.service,
            GatewayOptions {
                peers: vec![("workflow".to_owned(), workflow.service.addr)],
                ..GatewayOptions::default()
            },
        )
        .await;
        workflow.front = gateway.addr;
        CampaignWorld {
            workflow,
            _gateway: Some(gateway),
        }
    }

    pub(crate) async fn campaigns(&self, bearer: String) -> Campaigns {
        CampaignServiceClient::with_interceptor(channel(self.workflow.front).await, Bearer(bearer))
    }

    pub(crate) async fn as_role(&self, role: Role, path: &str) -> Campaigns {
        self.campaigns(token(role, path)).await
    }

    /// The organisation department (opens, issues, returns).
    pub(crate) async fn department(&self) -> Campaigns {
        self.as_role(Role::Department, "/1/").await
    }

    /// Another clerk of the department (accepts what a colleague did not
    /// submit).
    pub(crate) async fn department_colleague(&self) -> Campaigns {
        self.campaigns(token_for(
            "department-colleague",
            vec![RoleBinding {
                role: Role::Department,
                org_path: "/1/".into(),
            }],
        ))
        .await
    }

    /// The ledger, as the department reads it directly.
    pub(crate) async fn ledger(&self) -> LedgerClient {
        ledger_client(
            &self.workflow.register.service,
            &token(Role::Department, "/1/"),
        )
        .await
    }

    /// Unit 4 (市财政局机关党委) with its branch 12.
    pub(crate) fn unit_4(&self) -> Unit {
        let org = |org_id: i64, path: &str| ledger::Org {
            org_id,
            path: path.into(),
            ..Default::default()
        };
        Unit {
            org: org(4, "/1/4/"),
            branch: org(12, "/1/4/12/"),
        }
    }

    /// Branch 7, directly under the committee: its own unit.
    pub(crate) fn unit_7(&self) -> Unit {
        let branch = ledger::Org {
            org_id: 7,
            path: "/1/7/".into(),
            ..Default::default()
        };
        Unit {
            org: branch.clone(),
            branch,
        }
    }

    /// A new superior organisation under the committee, with one branch.
    pub(crate) async fn new_unit(&self, name: &str) -> Unit {
        let mut ledger = self.ledger().await;
        let org = create_org(
            &mut ledger,
            1,
            ledger::OrgKind::Superior,
            &format!("{name}机关党委"),
        )
        .await;
        let branch = create_org(
            &mut ledger,
            org.org_id,
            ledger::OrgKind::Branch,
            &format!("{name}第一党支部"),
        )
        .await;
        Unit { org, branch }
    }

    /// Puts the member labelled `label` on the register in `branch_id`
    /// (a row since 2025).
    pub(crate) async fn on_register(&self, label: &str, branch_id: i64) -> ledger::HardshipRecord {
        let member = self.workflow.register.member(label, branch_id).await;
        self.ledger()
            .await
            .create_record(record_request(
                &member.member_id,
                common::HardshipCategory::MajorIllness,
                3_000_000,
            ))
            .await
            .expect("a row on the register")
            .into_inner()
    }

    /// The register row as the ledger has it now.
    pub(crate) async fn record(&self, record_id: &str) -> ledger::HardshipRecord {
        self.ledger()
            .await
            .get_record(ledger::GetRecordRequest {
                record_id: record_id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("the register row")
            .into_inner()
    }

    /// The department opens the year's campaign: forms collected within
    /// `collect_in` days, summaries submitted within `submit_in`.
    pub(crate) async fn open(&self, collect_in: i64, submit_in: i64) -> pb::Campaign {
        self.department()
            .await
            .open_campaign(pb::OpenCampaignRequest {
                request_id: rid(),
                campaign: Some(pb::Campaign {
                    year: YEAR,
                    title: format!("{YEAR}年度困难党员台账更新"),
                    collect_by_date: day(collect_in),
                    submit_by_date: day(submit_in),
                    ..Default::default()
                }),
            })
            .await
            .expect("the department opens the campaign")
            .into_inner()
    }

    /// The department issues every unit with rows its 汇总表.
    pub(crate) async fn issue(&self, campaign: &pb::Campaign) -> Vec<pb::CampaignUnit> {
        self.department()
            .await
            .issue_summary_forms(pb::IssueSummaryFormsRequest {
                request_id: rid(),
                campaign_id: campaign.campaign_id.clone(),
                unit_org_ids: Vec::new(),
            })
            .await
            .expect("forms issued")
            .into_inner()
            .units
    }

    /// The campaign unit of `unit` among `units`.
    pub(crate) fn unit_of(units: &[pb::CampaignUnit], unit: &Unit) -> pb::CampaignUnit {
        units
            .iter()
            .find(|u| u.unit.as_ref().is_some_and(|o| o.org_id == unit.org.org_id))
            .cloned()
            .unwrap_or_else(|| panic!("no form issued to {}", unit.org.org_id))
    }

    /// The unit as the department reads it now.
    pub(crate) async fn read_unit(&self, campaign_unit_id: &str) -> pb::CampaignUnit {
        self.department()
            .await
            .get_campaign_unit(pb::GetCampaignUnitRequest {
                campaign_unit_id: campaign_unit_id.to_owned(),
            })
            .await
            .expect("the unit")
            .into_inner()
    }

    /// Every row of the unit's form.
    pub(crate) async fn rows(&self, campaign_unit_id: &str) -> Vec<pb::VerificationRow> {
        self.department()
            .await
            .list_verification_rows(pb::ListVerificationRowsRequest {
                campaign_unit_id: campaign_unit_id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("the rows")
            .into_inner()
            .rows
    }

    /// Days go by: whatever the campaign recorded moves `days` back.
    pub(crate) async fn days_pass(&self, days: i32) {
        let pool = raw_pool(&self.workflow.service.schema).await;
        for statement in [
            "UPDATE campaigns SET collect_by = collect_by - $1, submit_by = submit_by - $1",
            "UPDATE campaign_units SET issued_at = issued_at - make_interval(days => $1),
                 collected_at = collected_at - make_interval(days => $1),
                 submitted_at = submitted_at - make_interval(days => $1)",
        ] {
            sqlx::query(statement)
                .bind(days)
                .execute(&pool)
                .await
                .expect("days pass");
        }
    }
}

/// The branch's findings on `row` with `outcome`: the six grounds checked,
/// an adjustment to a household of 2, a removal with its reason.
pub(crate) fn findings(
    row: &pb::VerificationRow,
    outcome: common::VerificationOutcome,
) -> pb::RecordRowVerificationRequest {
    use common::VerificationOutcome::*;
    pb::RecordRowVerificationRequest {
        request_id: rid(),
        row: Some(pb::VerificationRow {
            row_id: row.row_id.clone(),
            etag: row.etag.clone(),
            outcome: outcome as i32,
            findings: match outcome {
                Remove => "本人已康复返岗，家庭收入恢复正常".into(),
                Adjust => "子女毕业离家，家庭人口减少".into(),
                _ => "仍在透析治疗，家庭收入未变，困难情况属实".into(),
            },
            exclusion_checks: clean_checklist(),
            adjust_household_size: if outcome == Adjust { 2 } else { 0 },
            removal_reason: if outcome == Remove {
                "困难情形已消除".into()
            } else {
                String::new()
            },
            ..Default::default()
        }),
    }
}

/// The branch (staff of `branch`) verifies each row of its own with the
/// outcome `outcome_of` gives its member's name.
pub(crate) async fn verify(
    world: &CampaignWorld,
    unit: &pb::CampaignUnit,
    branch: &ledger::Org,
    outcome_of: impl Fn(&str) -> common::VerificationOutcome,
) {
    let mut staff = world.as_role(Role::BranchStaff, &branch.path).await;
    for row in world.rows(&unit.campaign_unit_id).await {
        if row.branch.as_ref().map(|b| b.org_id) != Some(branch.org_id) {
            continue;
        }
        staff
            .record_row_verification(findings(&row, outcome_of(&row.member_name)))
            .await
            .expect("the branch verifies its row");
    }
}

/// The branch's general meeting 10 days ago and its notice from 9 to 2
/// days ago, no objection.
pub(crate) async fn meeting_and_notice(
    world: &CampaignWorld,
    campaign_unit_id: &str,
    branch: &ledger::Org,
) -> pb::CampaignUnit {
    let mut staff = world.as_role(Role::BranchStaff, &branch.path).await;
    let unit = world.read_unit(campaign_unit_id).await;
    let met = staff
        .record_branch_meeting(pb::RecordBranchMeetingRequest {
            request_id: rid(),
            campaign_unit_id: campaign_unit_id.to_owned(),
            etag: unit.etag.clone(),
            branch_org_id: branch.org_id,
            meeting_date: day(-10),
            attendance: 23,
            resolution: "经支部大会讨论，同意核查结果".into(),
        })
        .await
        .expect("the branch meeting")
        .into_inner();
    staff
        .record_campaign_notice_result(pb::RecordCampaignNoticeResultRequest {
            request_id: rid(),
            campaign_unit_id: campaign_unit_id.to_owned(),
            etag: met.etag.clone(),
            branch_org_id: branch.org_id,
            start_date: day(-9),
            end_date: day(-2),
            outcome: pb::CampaignNoticeOutcome::NoObjection as i32,
            note: String::new(),
        })
        .await
        .expect("the notice result")
        .into_inner()
}

/// The signed, sealed submission.
pub(crate) fn signed(unit: &pb::CampaignUnit) -> pb::SubmitUnitSummaryRequest {
    pb::SubmitUnitSummaryRequest {
        request_id: rid(),
        campaign_unit_id: unit.campaign_unit_id.clone(),
        etag: unit.etag.clone(),
        submission: Some(pb::UnitSubmission {
            signer_name: "王建华".into(),
            signer_title: "党委书记".into(),
            signed_date: day(0),
            sealed: true,
            scan_sha256: "ab".repeat(32),
            ..Default::default()
        }),
        new_members: Vec::new(),
    }
}

/// The unit (its superior organisation, or the branch that is the unit)
/// submits its summary as it stands now.
pub(crate) async fn submit(
    world: &CampaignWorld,
    unit: &Unit,
    campaign_unit_id: &str,
) -> pb::CampaignUnit {
    let role = if unit.org.org_id == unit.branch.org_id {
        Role::BranchStaff
    } else {
        Role::SuperiorOrg
    };
    let current = world.read_unit(campaign_unit_id).await;
    world
        .as_role(role, &unit.org.path)
        .await
        .submit_unit_summary(signed(&current))
        .await
        .expect("the unit submits")
        .into_inner()
}

/// The department (a colleague of whoever might have submitted) accepts.
pub(crate) async fn accept(world: &CampaignWorld, campaign_unit_id: &str) -> pb::CampaignUnit {
    let current = world.read_unit(campaign_unit_id).await;
    world
        .department_colleague()
        .await
        .accept_unit_summary(pb::AcceptUnitSummaryRequest {
            request_id: rid(),
            campaign_unit_id: campaign_unit_id.to_owned(),
            etag: current.etag.clone(),
            comment: "材料齐全，同意".into(),
        })
        .await
        .expect("the department accepts")
        .into_inner()
}

/// A unit with every row continuing, its meeting and notice held:
/// ready to submit.
pub(crate) async fn ready(world: &CampaignWorld, unit: &Unit, campaign_unit_id: &str) {
    let issued = world.read_unit(campaign_unit_id).await;
    verify(world, &issued, &unit.branch, |_| {
        common::VerificationOutcome::Continue
    })
    .await;
    meeting_and_notice(world, campaign_unit_id, &unit.branch).await;
}
