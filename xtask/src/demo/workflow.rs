//! The demo cases: relief applications in several states, made through the
//! gateway by the demo users as they would make them — a member's draft, a
//! case waiting for its branch, one under public notice, one whose notice
//! has run out (the workflow's sweep ends it and passes it to the committee,
//! its branch being directly under it), one refused and one withdrawn.

use std::collections::HashMap;

use anyhow::Context;
use relief_proto::common::v1::{self as common, Money, OrgRef};
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use tonic::transport::Channel;

use super::Client;

type Applications = Client<ApplicationServiceClient<Channel>>;

/// A demo member: id, name, and the index of their branch in the demo tree.
pub(super) struct DemoMember {
    pub(super) member_id: String,
    pub(super) branch_id: i64,
}

/// The relief year the demo applies for: the coming Spring Festival's
/// (after March the next year's).
fn relief_year() -> i32 {
    let today = relief_runtime::time::today();
    if u8::from(today.month()) >= 3 {
        today.year() + 1
    } else {
        today.year()
    }
}

fn application(member: &DemoMember, description: &str) -> pb::Application {
    pb::Application {
        member_id: member.member_id.clone(),
        branch: Some(OrgRef {
            org_id: member.branch_id,
            ..Default::default()
        }),
        year: relief_year(),
        hardship_category: common::HardshipCategory::Other as i32,
        requested_relief_type: common::ReliefType::SpringFestivalVisit as i32,
        description: description.to_owned(),
        household: Some(pb::HouseholdFacts {
            household_size: 3,
            annual_household_income: Some(Money { fen: 3_000_000 }),
            income_source: "退休金".to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Applications {
    async fn create(
        &mut self,
        member: &DemoMember,
        description: &str,
    ) -> anyhow::Result<pb::Application> {
        let request_id = self.request_id();
        let request = self.request(pb::CreateApplicationRequest {
            request_id,
            application: Some(application(member, description)),
        })?;
        Ok(self.inner.create_application(request).await?.into_inner())
    }

    async fn submit(&mut self, app: pb::Application) -> anyhow::Result<pb::Application> {
        let request_id = self.request_id();
        let request = self.request(pb::SubmitApplicationRequest {
            request_id,
            application_id: app.application_id,
            etag: app.etag,
            comment: "已提交纸质申请表".to_owned(),
        })?;
        Ok(self.inner.submit_application(request).await?.into_inner())
    }

    async fn start_review(&mut self, app: pb::Application) -> anyhow::Result<pb::Application> {
        let request_id = self.request_id();
        let request = self.request(pb::StartBranchReviewRequest {
            request_id,
            application_id: app.application_id,
            etag: app.etag,
            comment: "支部受理".to_owned(),
        })?;
        Ok(self.inner.start_branch_review(request).await?.into_inner())
    }

    /// The branch's review; an approval's notice starts `days_ago` days back.
    async fn review(
        &mut self,
        app: pb::Application,
        decision: pb::ReviewDecision,
        days_ago: i64,
    ) -> anyhow::Result<pb::Application> {
        let request_id = self.request_id();
        let start = time::OffsetDateTime::now_utc() - time::Duration::days(days_ago);
        let request = self.request(pb::SubmitBranchReviewRequest {
            request_id,
            application_id: app.application_id,
            etag: app.etag,
            review: Some(pb::BranchReview {
                findings: "经入户走访核实，家庭困难情况属实".to_owned(),
                exclusion_checks: (1..=6)
                    .map(|ground| pb::ExclusionCheck {
                        ground,
                        checked: true,
                        applies: false,
                        note: "经支部核实，不存在该情形".to_owned(),
                    })
                    .collect(),
                decision: decision as i32,
                decision_reason: if decision == pb::ReviewDecision::Refuse {
                    "家庭人均收入高于当地困难标准".to_owned()
                } else {
                    String::new()
                },
                ..Default::default()
            }),
            notice_start_time: Some(relief_runtime::time::timestamp(start)),
            notice_text: String::new(),
        })?;
        Ok(self.inner.submit_branch_review(request).await?.into_inner())
    }

    async fn withdraw(&mut self, app: pb::Application) -> anyhow::Result<pb::Application> {
        let request_id = self.request_id();
        let request = self.request(pb::WithdrawApplicationRequest {
            request_id,
            application_id: app.application_id,
            etag: app.etag,
            reason: "困难已缓解，本人申请撤回".to_owned(),
        })?;
        Ok(self.inner.withdraw_application(request).await?.into_inner())
    }
}

/// Loads the demo cases. `tokens` are the demo users' access tokens by
/// login name (and the administrator's as `admin`); `members` the demo
/// members in the order of the demo list.
pub(super) async fn load_cases(
    gateway: Channel,
    tokens: &HashMap<String, String>,
    members: &[DemoMember],
) -> anyhow::Result<()> {
    let client = |login: &str, counter: u32| -> anyhow::Result<Applications> {
        Ok(Client {
            inner: ApplicationServiceClient::new(gateway.clone()),
            token: tokens
                .get(login)
                .cloned()
                .with_context(|| format!("no token for {login}"))?,
            counter,
        })
    };
    let mut member = client("member", 2000)?;
    let mut admin = client("admin", 2100)?;
    let mut branch_staff = client("branch_staff", 2200)?;
    let mut department = client("department", 2300)?;

    // 张建国, the member login: a draft of his own.
    member
        .create(&members[0], "本人退休后患慢性病，药费负担较重")
        .await?;
    // His branch colleague's case, entered by the office for him, under notice.
    let case = admin
        .create(&members[1], "配偶长期卧病，家庭收入微薄")
        .await?;
    let case = admin.submit(case).await?;
    let case = branch_staff.start_review(case).await?;
    branch_staff
        .review(case, pb::ReviewDecision::Approve, 0)
        .await?;
    // Waiting for the 国库科 branch to take it up.
    let case = admin.create(&members[2], "子女就学，家庭开支困难").await?;
    admin.submit(case).await?;
    // A branch directly under the committee: its notice started 8 days ago,
    // so the sweep ends it and the case goes straight to the committee.
    let case = admin.create(&members[10], "家中房屋受暴雨损毁").await?;
    let case = admin.submit(case).await?;
    let case = department.start_review(case).await?;
    department
        .review(case, pb::ReviewDecision::Approve, 8)
        .await?;
    // Refused by its branch, with the reason.
    let case = admin.create(&members[11], "收入下降").await?;
    let case = admin.submit(case).await?;
    let case = department.start_review(case).await?;
    department
        .review(case, pb::ReviewDecision::Refuse, 0)
        .await?;
    // Withdrawn by the applicant's side.
    let case = admin.create(&members[3], "临时困难").await?;
    admin.withdraw(case).await?;
    Ok(())
}
