//! What the campaign refuses, one rule a story: a unit submits only every
//! row verified and its meeting and notice recorded; an acceptance applied
//! twice writes nothing twice; whoever submitted does not accept; a branch
//! verifies only its own rows; and the register itself refuses a removal of
//! a recognised row outside a campaign or case, and a verification for a
//! year before the row came on.

use relief_proto::common::v1::{self as common, VerificationOutcome};
use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::{Role, RoleBinding};
use relief_tests::{raw_pool, token, token_for};
use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::campaign::{CampaignWorld, accept, day, findings, ready, signed, submit, verify};
use super::rid;
use crate::ledger::client as ledger_client;

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// Branch 7 (its own unit) with rows for `labels`, its form issued.
async fn branch_7_issued(world: &CampaignWorld, labels: &[&str]) -> pb::CampaignUnit {
    for label in labels {
        world.on_register(label, 7).await;
    }
    let campaign = world.open(5, 10).await;
    CampaignWorld::unit_of(&world.issue(&campaign).await, &world.unit_7())
}

#[tokio::test]
async fn a_unit_with_a_row_not_verified_cannot_submit() {
    let world = CampaignWorld::start().await;
    let unit = branch_7_issued(&world, &["u-1", "u-2"]).await;
    let mut staff = world.as_role(Role::BranchStaff, "/1/7/").await;
    let first = world.rows(&unit.campaign_unit_id).await.remove(0);
    staff
        .record_row_verification(findings(&first, VerificationOutcome::Continue))
        .await
        .expect("one row verified");
    let current = world.read_unit(&unit.campaign_unit_id).await;
    let refused = staff
        .submit_unit_summary(signed(&current))
        .await
        .expect_err("a row is not verified");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ROWS_UNVERIFIED");
    assert_eq!(
        world.read_unit(&unit.campaign_unit_id).await.etag,
        current.etag
    );
}

#[tokio::test]
async fn a_unit_cannot_submit_before_its_branch_meeting_and_notice_are_recorded() {
    let world = CampaignWorld::start().await;
    let unit = branch_7_issued(&world, &["n-1"]).await;
    verify(&world, &unit, &world.unit_7().branch, |_| {
        VerificationOutcome::Continue
    })
    .await;
    let mut staff = world.as_role(Role::BranchStaff, "/1/7/").await;
    let verified = world.read_unit(&unit.campaign_unit_id).await;
    let refused = staff
        .submit_unit_summary(signed(&verified))
        .await
        .expect_err("no meeting yet");
    assert_eq!(reason(&refused), "MEETING_REQUIRED");
    let met = staff
        .record_branch_meeting(pb::RecordBranchMeetingRequest {
            request_id: rid(),
            campaign_unit_id: unit.campaign_unit_id.clone(),
            etag: verified.etag.clone(),
            branch_org_id: 7,
            meeting_date: day(-3),
            attendance: 15,
            resolution: "同意".into(),
        })
        .await
        .expect("the meeting")
        .into_inner();
    assert_eq!(met.state, CampaignUnitState::MeetingsHeld as i32);
    let refused = staff
        .submit_unit_summary(signed(&met))
        .await
        .expect_err("no notice yet");
    assert_eq!(reason(&refused), "NOTICE_REQUIRED");
    assert_eq!(world.read_unit(&unit.campaign_unit_id).await.etag, met.etag);
}

/// How many entries the row's history has.
async fn history(world: &CampaignWorld, record_id: &str) -> usize {
    world
        .ledger()
        .await
        .list_history(ledger::ListHistoryRequest {
            resource: format!("records/{record_id}"),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries
        .len()
}

#[tokio::test]
async fn accepting_again_after_a_lost_commit_writes_nothing_twice_on_the_register() {
    let world = CampaignWorld::start().await;
    let unit = branch_7_issued(&world, &["t-1"]).await;
    let row = world.rows(&unit.campaign_unit_id).await.remove(0);
    ready(&world, &world.unit_7(), &unit.campaign_unit_id).await;
    submit(&world, &world.unit_7(), &unit.campaign_unit_id).await;
    accept(&world, &unit.campaign_unit_id).await;
    let once = world.record(&row.record_id).await;
    let entries = history(&world, &row.record_id).await;

    // The acceptance's own commit is lost after the ledger answered: the
    // unit is SUBMITTED again, and the department accepts again.
    let pool = raw_pool(&world.workflow.service.schema).await;
    sqlx::query("UPDATE campaign_units SET state = 5, accepted = NULL, accepted_at = NULL")
        .execute(&pool)
        .await
        .expect("the lost commit");
    accept(&world, &unit.campaign_unit_id).await;

    let twice = world.record(&row.record_id).await;
    assert_eq!(twice.etag, once.etag, "the row did not change again");
    assert_eq!(twice.verifications.len(), 1);
    assert_eq!(history(&world, &row.record_id).await, entries);
}

#[tokio::test]
async fn whoever_submitted_the_summary_does_not_accept_it() {
    let world = CampaignWorld::start().await;
    let unit = branch_7_issued(&world, &["s-1"]).await;
    ready(&world, &world.unit_7(), &unit.campaign_unit_id).await;
    let mut both = world
        .campaigns(token_for(
            "clerk-with-two-hats",
            vec![
                RoleBinding {
                    role: Role::BranchStaff,
                    org_path: "/1/7/".into(),
                },
                RoleBinding {
                    role: Role::Department,
                    org_path: "/1/".into(),
                },
            ],
        ))
        .await;
    let current = world.read_unit(&unit.campaign_unit_id).await;
    let submitted = both
        .submit_unit_summary(signed(&current))
        .await
        .expect("submitted")
        .into_inner();
    let refused = both
        .accept_unit_summary(pb::AcceptUnitSummaryRequest {
            request_id: rid(),
            campaign_unit_id: unit.campaign_unit_id.clone(),
            etag: submitted.etag.clone(),
            comment: String::new(),
        })
        .await
        .expect_err("accepting one's own submission");
    assert_eq!(reason(&refused), "SEPARATION_OF_DUTIES");
}

#[tokio::test]
async fn a_branch_does_not_see_or_verify_another_branchs_rows() {
    let world = CampaignWorld::start().await;
    world.on_register("o-1", 12).await;
    let campaign = world.open(5, 10).await;
    let unit = CampaignWorld::unit_of(&world.issue(&campaign).await, &world.unit_4());
    let row = world.rows(&unit.campaign_unit_id).await.remove(0);
    let mut other = world.as_role(Role::BranchStaff, "/1/4/13/").await;
    let listed = other
        .list_verification_rows(pb::ListVerificationRowsRequest {
            campaign_unit_id: unit.campaign_unit_id.clone(),
            ..Default::default()
        })
        .await
        .expect("branch 13 lists its own rows")
        .into_inner()
        .rows;
    assert!(listed.is_empty());
    let refused = other
        .record_row_verification(findings(&row, VerificationOutcome::Remove))
        .await
        .expect_err("another branch's row");
    assert_eq!(refused.code(), Code::NotFound);
}

#[tokio::test]
async fn the_register_refuses_to_remove_a_recognised_row_outside_a_campaign_or_case() {
    let world = CampaignWorld::start().await;
    let record = world.on_register("r-1", 12).await;
    let mut department = world.ledger().await;
    let recognised = department
        .recognise_record(ledger::RecogniseRecordRequest {
            request_id: rid(),
            record_id: record.record_id.clone(),
            etag: record.etag.clone(),
            comment: "符合条件，予以认定".into(),
        })
        .await
        .expect("recognised")
        .into_inner();
    let mut clerk = ledger_client(
        &world.workflow.register.service,
        &token(Role::BranchStaff, "/1/4/12/"),
    )
    .await;
    let refused = clerk
        .remove_record(ledger::RemoveRecordRequest {
            request_id: rid(),
            record_id: record.record_id.clone(),
            etag: recognised.etag.clone(),
            reason: "本人已康复".into(),
            until: None,
        })
        .await
        .expect_err("a clerk alone removing a recognised row");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "RECOGNISED_ROW_NEEDS_CAMPAIGN");
    let by_verification = clerk
        .record_verification(ledger::RecordVerificationRequest {
            request_id: rid(),
            record_id: record.record_id.clone(),
            etag: recognised.etag.clone(),
            verification: Some(ledger::Verification {
                year: 2026,
                outcome: VerificationOutcome::Remove as i32,
                findings: "本人已康复".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("nor by a verification of its own");
    assert_eq!(reason(&by_verification), "RECOGNISED_ROW_NEEDS_CAMPAIGN");
    let still = world.record(&record.record_id).await;
    assert_eq!(still.status, ledger::RecordStatus::Active as i32);
}

#[tokio::test]
async fn the_register_refuses_a_verification_for_a_year_before_the_row_came_on() {
    let world = CampaignWorld::start().await;
    // The stories' rows came on the register on 2025-11-20.
    let record = world.on_register("y-1", 12).await;
    let refused = world
        .ledger()
        .await
        .record_verification(ledger::RecordVerificationRequest {
            request_id: rid(),
            record_id: record.record_id.clone(),
            etag: record.etag.clone(),
            verification: Some(ledger::Verification {
                year: 2024,
                outcome: common::VerificationOutcome::Continue as i32,
                findings: "仍然困难".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("a year before the row");
    assert_eq!(reason(&refused), "YEAR_BEFORE_RECORD");
}
