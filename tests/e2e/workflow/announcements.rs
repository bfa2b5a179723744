//! A case's steps reach the people who must act on them: the workflow's relay publishes each
//! step to the real notification service, which routes it through the gateway's users.

use std::time::Duration;

use relief_proto::common::v1 as common;
use relief_proto::gateway::v1 as identity;
use relief_proto::notify::v1 as notify;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use relief_runtime::time::{BEIJING, from_timestamp};
use relief_tests::{Bearer, channel, signer, token_for};

use super::{application, approval, handed_in, rid, taken_up};
use crate::notify::{Person, Town};

/// The message of `kind` in `who`'s inbox, once the relay has carried it there.
pub(super) async fn told(
    town: &Town,
    who: &str,
    kind: notify::EventKind,
) -> Option<notify::Notification> {
    for _ in 0..60 {
        let inbox = town.inbox(who).await;
        if let Some(found) = inbox
            .notifications
            .into_iter()
            .find(|n| n.event_kind == kind as i32)
        {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn a_members_application_reaches_their_branch_staff_and_no_other_branch() {
    let mut town = Town::new().await;
    let workflow = super::publishing_to(&town).await;
    let mut ledger =
        crate::ledger::client(&town.ledger, &relief_tests::token(Role::Department, "/1/")).await;
    let member = crate::ledger::create_member(
        &mut ledger,
        &town.branch_a,
        "刘党员",
        &crate::ledger::id_number("19560101", 7),
    )
    .await;
    // The member signs in as a user of the gateway's, linked to their register entry.
    let user = town
        .identity(&town.admin)
        .await
        .create_user(identity::CreateUserRequest {
            request_id: rid(),
            user: Some(identity::User {
                login_name: format!("liu.{}", &rid()[..6]),
                display_name: "刘党员".to_owned(),
                email: "liu@example.cn".to_owned(),
                member_id: Some(member.member_id.clone()),
                ..Default::default()
            }),
            initial_password: "Initial-password-2026".to_owned(),
        })
        .await
        .expect("the member's user")
        .into_inner();
    let user = Person {
        token: token_for(
            &user.user_id,
            vec![RoleBinding {
                role: Role::Member,
                org_path: town.branch_a.path.clone(),
            }],
        ),
        user,
    };
    let bearer = signer()
        .sign(
            &user.user.user_id,
            "刘党员",
            Some(member.member_id.as_str()),
            vec![RoleBinding {
                role: Role::Member,
                org_path: town.branch_a.path.clone(),
            }],
            Duration::from_secs(600),
        )
        .expect("a member's token");
    town.people.insert("member_a", user);
    let mut applicant =
        ApplicationServiceClient::with_interceptor(channel(workflow.addr).await, Bearer(bearer));
    let submitted = handed_in(
        &mut applicant,
        application(
            &member.member_id,
            town.branch_a.org_id,
            common::HardshipCategory::Other,
        ),
    )
    .await;

    let to_review = told(&town, "staff_a", notify::EventKind::ApplicationToReview)
        .await
        .expect("the branch's staff is told to review");
    assert_eq!(to_review.title, "待审核：刘党员的救助申请");
    assert!(
        to_review.body.contains("预算科党支部"),
        "{}",
        to_review.body
    );
    assert_eq!(
        to_review.link,
        format!("/applications/{}", submitted.application_id)
    );
    assert!(
        town.inbox("staff_b").await.notifications.is_empty(),
        "the sibling branch hears nothing"
    );
    assert!(
        town.inbox("member_a").await.notifications.is_empty(),
        "handing in is the applicant's own act: nothing to tell them"
    );

    // The branch approves: the notice starts, and now the applicant hears of their case.
    let mut staff = ApplicationServiceClient::with_interceptor(
        channel(workflow.addr).await,
        Bearer(relief_tests::token(Role::BranchStaff, &town.branch_a.path)),
    );
    let started = taken_up(&mut staff, &submitted).await;
    let noticed = staff
        .submit_branch_review(pb::SubmitBranchReviewRequest {
            request_id: rid(),
            application_id: started.application_id.clone(),
            etag: started.etag.clone(),
            review: Some(approval()),
            ..Default::default()
        })
        .await
        .expect("approved by the branch")
        .into_inner();
    // The notice runs to 24:00 Beijing time of its last day: that day is the one told.
    let last_day = from_timestamp(noticed.state_deadline_time.as_ref())
        .map(|ends| (ends - time::Duration::SECOND).to_offset(BEIJING).date())
        .expect("the notice's end is the state's deadline");
    for who in ["member_a", "staff_a"] {
        let notice = told(&town, who, notify::EventKind::NoticeStarted)
            .await
            .unwrap_or_else(|| panic!("{who} is told the notice started"));
        assert_eq!(notice.title, "公示开始：刘党员");
        assert!(notice.body.contains("预算科党支部"), "{}", notice.body);
        assert!(
            notice.body.contains(&format!("至{last_day}结束")),
            "the notice's last day is told: {}",
            notice.body
        );
    }
    assert!(
        town.inbox("staff_b").await.notifications.is_empty(),
        "the sibling branch hears nothing of it"
    );
}
