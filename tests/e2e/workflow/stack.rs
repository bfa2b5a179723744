//! The workflow with the funds service beside it, as the committee and the
//! money need them: each trusts the other's own principal (the department
//! role, as the deploy overlays do), the workflow asks funds for the year's
//! standards and the allocations (peers.funds), funds checks decisions with
//! the workflow and reports its milestones back (peers.workflow). Funds
//! listens on a port reserved up front, so it can be started late, stopped
//! and started again while the workflow keeps calling the same address.

use std::time::Duration;

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as funds;
use relief_proto::funds::v1::funds_service_client::FundsServiceClient;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::committee_service_client::CommitteeServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use relief_runtime::config::TrustedKey;
use relief_runtime::outbox::RelaySettings;
use relief_tests::{
    Bearer, DEV_FUNDS_PUBLIC_KEY, DEV_WORKFLOW_PUBLIC_KEY, GatewayOptions, Spawned, channel,
    funds_reads_ledger, spawn_funds, spawn_gateway, token, token_for, unique_schema,
};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{Applications, Workflow, application, approval, handed_in, rid, taken_up};

pub(crate) type Committee = CommitteeServiceClient<InterceptedService<Channel, Bearer>>;
pub(crate) type Funds = FundsServiceClient<InterceptedService<Channel, Bearer>>;

/// The relief year of the stories: its Spring Festival (2027-02-06) is
/// ahead, so deciding now is in time.
pub(crate) const YEAR: i32 = 2027;

/// Outbox pacing for tests: a retry within a fifth of a second.
fn quick_outbox() -> RelaySettings {
    RelaySettings {
        poll_interval_ms: 100,
        initial_backoff_ms: 100,
        max_backoff_ms: 400,
        batch_size: 50,
    }
}

fn trusted(name: &str, pem: &str) -> TrustedKey {
    TrustedKey {
        kid: name.into(),
        issuer: name.into(),
        public_key_pem: pem.into(),
        // The workflow's principal acts as the department, funds' as a
        // reader; both publish as relays.
        allowed_roles: vec!["department".into(), "reader".into(), "relay".into()],
    }
}

pub(crate) struct Stack {
    pub(crate) workflow: Workflow,
    pub(crate) funds: Option<Spawned>,
    funds_schema: String,
    funds_port: u16,
    budgeted: bool,
    gateway: Option<Spawned>,
}

impl Stack {
    /// Ledger, workflow and — when `funds_up` — funds, with the year's budget
    /// and standards set once funds runs ([`Stack::start_funds`]).
    pub(crate) async fn start(funds_up: bool) -> Stack {
        let funds_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port for funds")
            .port();
        let workflow = Workflow::start_with(|settings| {
            let runtime = &mut settings.runtime;
            runtime
                .peers
                .insert("funds", &format!("http://127.0.0.1:{funds_port}"));
            runtime
                .auth
                .trusted_keys
                .push(trusted("funds", DEV_FUNDS_PUBLIC_KEY));
            runtime.outbox = quick_outbox();
        })
        .await;
        let mut stack = Stack {
            workflow,
            funds: None,
            funds_schema: unique_schema("funds"),
            funds_port,
            budgeted: false,
            gateway: None,
        };
        if funds_up {
            stack.start_funds().await;
        }
        stack
    }

    /// Starts funds (on its schema and port, kept across restarts); the
    /// first time, finance budgets the years and the department sets the
    /// standards.
    pub(crate) async fn start_funds(&mut self) {
        let (ledger, workflow) = (&self.workflow.register.service, self.workflow.service.addr);
        let port = self.funds_port;
        let service = spawn_funds(&self.funds_schema, |settings| {
            funds_reads_ledger(settings, ledger);
            let runtime = &mut settings.runtime;
            runtime.grpc.port = port;
            runtime
                .peers
                .insert("workflow", &format!("http://{workflow}"));
            runtime
                .auth
                .trusted_keys
                .push(trusted("workflow", DEV_WORKFLOW_PUBLIC_KEY));
            runtime.outbox = quick_outbox();
            settings.funds.accept_cited_decisions = false;
        })
        .await;
        self.funds = Some(service);
        if !self.budgeted {
            self.budget_and_standards().await;
            self.budgeted = true;
        }
    }

    /// Stops funds and waits until its port is free.
    pub(crate) async fn stop_funds(&mut self) {
        if let Some(service) = self.funds.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), service.stop_and_wait()).await;
        }
    }

    pub(crate) async fn funds(&self, role: Role, path: &str) -> Funds {
        self.funds_as(token(role, path)).await
    }

    /// Funds as `bearer` calls it: directly, or through the gateway when the
    /// stack has one in front.
    pub(crate) async fn funds_as(&self, bearer: String) -> Funds {
        let addr = match &self.gateway {
            Some(gateway) => gateway.addr,
            None => self.funds.as_ref().expect("funds runs").addr,
        };
        FundsServiceClient::with_interceptor(channel(addr).await, Bearer(bearer))
    }

    /// Puts a gateway in front of the ledger, the workflow and funds, and
    /// sends every later call of the stack's clients through it.
    pub(crate) async fn behind_gateway(&mut self) {
        let funds = std::net::SocketAddr::from(([127, 0, 0, 1], self.funds_port));
        let gateway = spawn_gateway(
            &self.workflow.register.service,
            GatewayOptions {
                peers: vec![
                    ("workflow".to_owned(), self.workflow.service.addr),
                    ("funds".to_owned(), funds),
                ],
                ..GatewayOptions::default()
            },
        )
        .await;
        self.workflow.front = gateway.addr;
        self.gateway = Some(gateway);
    }

    /// 2026 and 2027 budgeted; standards of 2026 and 2027: a visit 500 元
    /// (other hardship) or 800 元 (低保), one-time relief 2000 元.
    async fn budget_and_standards(&self) {
        let mut finance = self.funds(Role::Finance, "/1/").await;
        let mut department = self.funds(Role::Department, "/1/").await;
        for year in [YEAR - 1, YEAR] {
            finance
                .set_budget(funds::SetBudgetRequest {
                    request_id: rid(),
                    year,
                    amount: Some(common::Money { fen: 10_000_000 }),
                    reason: "党委会议决定".into(),
                })
                .await
                .expect("the year's budget");
            for (relief_type, category, fen) in [
                (
                    common::ReliefType::SpringFestivalVisit,
                    common::HardshipCategory::Other,
                    50_000,
                ),
                (
                    common::ReliefType::SpringFestivalVisit,
                    common::HardshipCategory::MinimumLivingGuarantee,
                    80_000,
                ),
                (
                    common::ReliefType::OneTimeRelief,
                    common::HardshipCategory::Other,
                    200_000,
                ),
            ] {
                department
                    .put_relief_standard(funds::PutReliefStandardRequest {
                        request_id: rid(),
                        standard: Some(funds::ReliefStandard {
                            year,
                            relief_type: relief_type as i32,
                            hardship_category: category as i32,
                            amount: Some(common::Money { fen }),
                            note: "工委会议确定".into(),
                            ..Default::default()
                        }),
                        reason: "年度救助标准".into(),
                    })
                    .await
                    .expect("a standard");
            }
        }
    }

    pub(crate) async fn committee_as(&self, bearer: String) -> Committee {
        CommitteeServiceClient::with_interceptor(channel(self.workflow.front).await, Bearer(bearer))
    }

    /// 组织部 — proposes.
    pub(crate) async fn department(&self) -> Committee {
        self.committee_as(token(Role::Department, "/1/")).await
    }

    /// 工委 — records the meeting's decisions.
    pub(crate) async fn committee(&self) -> Committee {
        self.committee_as(token(Role::Committee, "/1/")).await
    }

    /// Reads applications as the department.
    pub(crate) async fn reader(&self) -> Applications {
        self.workflow.as_role(Role::Department, "/1/").await
    }

    pub(crate) async fn get(&self, application_id: &str) -> pb::Application {
        self.reader()
            .await
            .get_application(pb::GetApplicationRequest {
                application_id: application_id.to_owned(),
                ..Default::default()
            })
            .await
            .expect("the application")
            .into_inner()
    }

    /// Waits (up to 30 s) until `application_id` is in `state`.
    pub(crate) async fn wait_for(
        &self,
        application_id: &str,
        state: pb::ApplicationState,
    ) -> pb::Application {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let app = self.get(application_id).await;
            if app.state == state as i32 {
                return app;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "application {application_id} is still {:?}, not {state:?}",
                pb::ApplicationState::try_from(app.state)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// An application of the member labelled `label` in branch 7 (directly
    /// under the committee), changed by `shape`, taken to COMMITTEE_REVIEW:
    /// applied, taken up and approved by the branch with a notice that
    /// started eight days ago, so the notice sweep ends it at once and the
    /// case skips the superior review.
    pub(crate) async fn to_committee(
        &self,
        label: &str,
        shape: impl FnOnce(&mut pb::Application),
    ) -> pb::Application {
        self.to_committee_marked(label, shape, false).await
    }

    /// As [`Stack::to_committee`], the branch marking the case urgent (急办)
    /// or not.
    pub(crate) async fn to_committee_marked(
        &self,
        label: &str,
        shape: impl FnOnce(&mut pb::Application),
        urgent: bool,
    ) -> pb::Application {
        let (member_id, mut member) = self.workflow.member(label, 7).await;
        let mut wanted = application(&member_id, 7, common::HardshipCategory::Other);
        wanted.year = YEAR;
        shape(&mut wanted);
        let submitted = handed_in(&mut member, wanted).await;
        let mut staff = self.workflow.as_role(Role::BranchStaff, "/1/7/").await;
        let started = taken_up(&mut staff, &submitted).await;
        let eight_days_ago = time::OffsetDateTime::now_utc() - time::Duration::days(8);
        staff
            .submit_branch_review(pb::SubmitBranchReviewRequest {
                request_id: rid(),
                application_id: started.application_id.clone(),
                etag: started.etag,
                review: Some(pb::BranchReview {
                    urgent,
                    ..approval()
                }),
                notice_start_time: Some(relief_runtime::time::timestamp(eight_days_ago)),
                ..Default::default()
            })
            .await
            .expect("approved by the branch");
        self.wait_for(
            &started.application_id,
            pb::ApplicationState::CommitteeReview,
        )
        .await
    }
}

/// A proposal of `relief_type`, `category` and `fen`.
pub(crate) fn proposal(
    app: &pb::Application,
    relief_type: common::ReliefType,
    category: common::HardshipCategory,
    fen: i64,
) -> pb::CreateCommitteeProposalRequest {
    pb::CreateCommitteeProposalRequest {
        request_id: rid(),
        application_id: app.application_id.clone(),
        etag: app.etag.clone(),
        proposal: Some(pb::CommitteeProposal {
            relief_type: relief_type as i32,
            hardship_category: category as i32,
            amount: Some(common::Money { fen }),
            opinion: "经研究，建议给予救助".into(),
            ..Default::default()
        }),
        validate_only: false,
    }
}

/// Today in Beijing, as the proto's date.
pub(crate) fn today() -> common::Date {
    relief_runtime::time::to_proto(relief_runtime::time::today())
}

/// An approval in meeting `number` today, with the proposal's terms.
pub(crate) fn approve(
    app: &pb::Application,
    number: &str,
    terms: &pb::CommitteeProposal,
) -> pb::RecordCommitteeDecisionRequest {
    pb::RecordCommitteeDecisionRequest {
        request_id: rid(),
        application_id: app.application_id.clone(),
        etag: app.etag.clone(),
        decision: Some(pb::CommitteeDecision {
            meeting_date: Some(today()),
            meeting_number: number.into(),
            outcome: pb::DecisionOutcome::Approved as i32,
            relief_type: terms.relief_type,
            hardship_category: terms.hardship_category,
            amount: terms.amount,
            minutes_excerpt: "会议同意救助".into(),
            ..Default::default()
        }),
        meeting_attendance: "张书记、李副书记、王委员".into(),
        meeting_minutes: String::new(),
    }
}

/// One who holds both the department's and the committee's role.
pub(crate) fn both_roles() -> String {
    token_for(
        "department-and-committee",
        vec![
            RoleBinding {
                role: Role::Department,
                org_path: "/1/".into(),
            },
            RoleBinding {
                role: Role::Committee,
                org_path: "/1/".into(),
            },
        ],
    )
}
