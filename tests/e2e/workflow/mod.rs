//! The workflow service (救助申请流程), driven like its users drive it: a
//! member applies, branch staff review, the unit sees the notice, superior
//! levels and the committee decide — over the real ledger, which owns the
//! members and organisations.

mod announcements;
mod applications;
mod calendar;
mod campaign;
mod campaign_form;
mod campaign_reminders;
mod campaign_rules;
mod campaign_story;
mod committee;
mod deadline_reminders;
mod evidence;
mod forms;
mod funds;
mod model;
mod notices;
mod stack;

use relief_proto::common::v1 as common;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use relief_tests::{Bearer, Spawned, channel, signer, spawn_workflow, token, token_for};
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::register::Register;

pub(crate) type Applications = ApplicationServiceClient<InterceptedService<Channel, Bearer>>;

/// A running workflow service and the ledger it reads (the stories' tree:
/// superior organisation 4 with branches 12 and 13, branch 7 directly under
/// the committee).
pub(crate) struct Workflow {
    pub(crate) service: Spawned,
    pub(crate) register: Register,
    /// Where clients call: the workflow itself, or a gateway in front of
    /// every service (the stories told through the gateway).
    pub(crate) front: std::net::SocketAddr,
}

impl Workflow {
    pub(crate) async fn start() -> Workflow {
        Workflow::start_with(|_| {}).await
    }

    pub(crate) async fn start_with(
        configure: impl FnOnce(&mut relief_workflow::Settings),
    ) -> Workflow {
        let register = Register::start().await;
        let service = spawn_workflow(&register.service, configure).await;
        let front = service.addr;
        Workflow {
            service,
            register,
            front,
        }
    }

    pub(crate) async fn applications(&self, bearer: String) -> Applications {
        ApplicationServiceClient::with_interceptor(channel(self.front).await, Bearer(bearer))
    }

    /// A caller with one role on one node.
    pub(crate) async fn as_role(&self, role: Role, path: &str) -> Applications {
        self.applications(token(role, path)).await
    }

    /// Staff of branch 12 (two colleagues: one enters, another reviews).
    pub(crate) async fn branch_staff(&self) -> Applications {
        self.as_role(Role::BranchStaff, "/1/4/12/").await
    }

    pub(crate) async fn branch_colleague(&self, branch_path: &str) -> Applications {
        self.applications(token_for(
            &format!("colleague-{}", branch_path.replace('/', "_")),
            vec![RoleBinding {
                role: Role::BranchStaff,
                org_path: branch_path.into(),
            }],
        ))
        .await
    }

    /// The member labelled `label` (registered in `branch_id` on first
    /// use), signed in with the member role on their branch.
    pub(crate) async fn member(&self, label: &str, branch_id: i64) -> (String, Applications) {
        let member = self.register.member(label, branch_id).await;
        let path = member
            .branch
            .as_ref()
            .map(|b| b.path.clone())
            .unwrap_or_default();
        let bearer = signer()
            .sign(
                &format!("member-{label}"),
                &member.name,
                Some(member.member_id.as_str()),
                vec![RoleBinding {
                    role: Role::Member,
                    org_path: path,
                }],
                Duration::from_secs(600),
            )
            .expect("a member's token");
        (member.member_id, self.applications(bearer).await)
    }
}

/// A workflow on `town`'s ledger whose outbox relay publishes to `town`'s notification
/// service, holding the relay role as every deployment configures it, and polling often.
pub(crate) async fn publishing_to(town: &crate::notify::Town) -> Spawned {
    let notify_addr = town.notify.addr;
    spawn_workflow(&town.ledger, |settings| {
        let runtime = &mut settings.runtime;
        runtime
            .peers
            .insert("notify", &format!("http://{notify_addr}"));
        runtime.auth.principal.roles.push(RoleBinding {
            role: Role::Relay,
            org_path: "/1/".into(),
        });
        runtime.outbox = relief_runtime::outbox::RelaySettings {
            poll_interval_ms: 100,
            initial_backoff_ms: 100,
            max_backoff_ms: 400,
            batch_size: 50,
        };
    })
    .await
}

/// `client` (branch staff) takes up the case handed in: the case, BRANCH_REVIEW.
pub(crate) async fn taken_up(client: &mut Applications, case: &pb::Application) -> pb::Application {
    client
        .start_branch_review(pb::StartBranchReviewRequest {
            request_id: rid(),
            application_id: case.application_id.clone(),
            etag: case.etag.clone(),
            comment: String::new(),
        })
        .await
        .expect("taken up")
        .into_inner()
}

/// The notifications in `workflow`'s outbox (destination `notify`) with the kind each was
/// written under, oldest first.
pub(crate) async fn notifications(
    workflow: &Spawned,
) -> Vec<(String, relief_proto::notify::v1::PublishEventRequest)> {
    use prost::Message;
    let pool = relief_tests::raw_pool(&workflow.schema).await;
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT o.kind, o.payload FROM event_outbox o
         JOIN event_deliveries d USING (event_id)
         WHERE d.destination = 'notify' ORDER BY o.created_at, o.kind",
    )
    .fetch_all(&pool)
    .await
    .expect("the outbox");
    rows.into_iter()
        .map(|(kind, payload)| {
            let request = relief_proto::notify::v1::PublishEventRequest::decode(payload.as_slice())
                .expect("a notification");
            (kind, request)
        })
        .collect()
}

/// `client` enters `application` and hands it in to its branch: the case, SUBMITTED.
pub(crate) async fn handed_in(
    client: &mut Applications,
    application: pb::Application,
) -> pb::Application {
    let draft = client
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application),
        })
        .await
        .expect("the application is entered")
        .into_inner();
    client
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: draft.application_id,
            etag: draft.etag,
            comment: String::new(),
        })
        .await
        .expect("handed to the branch")
        .into_inner()
}

/// A new request id.
pub(crate) fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A complete application of `member_id` to branch `branch_id` for 2027.
pub(crate) fn application(
    member_id: &str,
    branch_id: i64,
    category: common::HardshipCategory,
) -> pb::Application {
    pb::Application {
        member_id: member_id.to_owned(),
        branch: Some(common::OrgRef {
            org_id: branch_id,
            ..Default::default()
        }),
        year: 2027,
        hardship_category: category as i32,
        affected_person: if matches!(
            category,
            common::HardshipCategory::MajorIllness
                | common::HardshipCategory::MajorDisaster
                | common::HardshipCategory::MajorAccident
        ) {
            pb::AffectedPerson::Member as i32
        } else {
            0
        },
        requested_relief_type: common::ReliefType::SpringFestivalVisit as i32,
        description: "家中老人常年卧病，收入微薄".to_owned(),
        household: Some(pb::HouseholdFacts {
            household_size: 3,
            annual_household_income: Some(common::Money { fen: 3_600_000 }),
            members: vec![pb::HouseholdMember {
                relation: "配偶".into(),
                name: "王芳".into(),
                age: 58,
                health: "慢性病".into(),
                annual_income: Some(common::Money { fen: 1_200_000 }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The six grounds, each checked, none applying.
pub(crate) fn clean_checklist() -> Vec<pb::ExclusionCheck> {
    (1..=6)
        .map(|ground| pb::ExclusionCheck {
            ground,
            checked: true,
            applies: false,
            note: "经支部走访核实，不存在该情形".into(),
        })
        .collect()
}

/// The branch's approving review.
pub(crate) fn approval() -> pb::BranchReview {
    pb::BranchReview {
        findings: "经入户核实，家庭困难情况属实".into(),
        exclusion_checks: clean_checklist(),
        decision: pb::ReviewDecision::Approve as i32,
        ..Default::default()
    }
}

/// Takes an application of category OTHER (no proof required) from a draft
/// to the running public notice: the member applies, staff take it up, a
/// colleague approves. Returns the application in PUBLIC_NOTICE.
pub(crate) async fn to_notice(
    workflow: &Workflow,
    label: &str,
    branch_id: i64,
    branch_path: &str,
) -> pb::Application {
    to_notice_started(workflow, label, branch_id, branch_path, None).await
}

/// As [`to_notice`], the notice starting `days_ago` days ago (when given):
/// its end is computed from its start, so 8 days ago makes a 7-day notice
/// whose time is up already — no real waiting.
pub(crate) async fn to_notice_started(
    workflow: &Workflow,
    label: &str,
    branch_id: i64,
    branch_path: &str,
    days_ago: Option<i64>,
) -> pb::Application {
    let (member_id, mut member) = workflow.member(label, branch_id).await;
    let submitted = handed_in(
        &mut member,
        application(&member_id, branch_id, common::HardshipCategory::Other),
    )
    .await;
    let mut staff = workflow.as_role(Role::BranchStaff, branch_path).await;
    let started = taken_up(&mut staff, &submitted).await;
    staff
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag.clone(),
            review: Some(approval()),
            notice_start_time: days_ago.map(|days| {
                relief_runtime::time::timestamp(
                    time::OffsetDateTime::now_utc() - time::Duration::days(days),
                )
            }),
            ..Default::default()
        })
        .await
        .expect("approved by the branch")
        .into_inner()
}
