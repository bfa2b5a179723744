//! A whole yearly campaign through the gateway, as the department, four
//! units and their branches live it — one on time, one branch directly
//! under the committee, one returned and resubmitted, one late — and what
//! the register holds afterwards; and the dashboard at a controlled clock.

use relief_proto::common::v1::VerificationOutcome;
use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1::{self as pb, CampaignUnitState};
use relief_runtime::auth::Role;

use super::campaign::{
    CampaignWorld, YEAR, accept, meeting_and_notice, ready, signed, submit, verify,
};
use super::{rid, to_notice_started};

async fn collect(world: &CampaignWorld, unit: &pb::CampaignUnit, path: &str, role: Role) {
    let current = world.read_unit(&unit.campaign_unit_id).await;
    world
        .as_role(role, path)
        .await
        .record_form_collection(pb::RecordFormCollectionRequest {
            request_id: rid(),
            campaign_unit_id: unit.campaign_unit_id.clone(),
            etag: current.etag.clone(),
            collected_by_name: "李明".into(),
            collect_time: None,
        })
        .await
        .expect("the unit collects its form");
}

/// This campaign's verification of the year on the row, if any.
fn verification_of<'a>(
    record: &'a ledger::HardshipRecord,
    campaign: &pb::Campaign,
) -> Vec<&'a ledger::Verification> {
    record
        .verifications
        .iter()
        .filter(|v| v.year == YEAR && v.campaign_id == campaign.campaign_id)
        .collect()
}

#[tokio::test]
async fn a_whole_campaign_leaves_every_row_verified_adjusted_or_removed_on_the_register() {
    let world = CampaignWorld::behind_gateway().await;
    let (a, b) = (world.unit_4(), world.unit_7());
    let (c, d) = (
        world.new_unit("市教育局").await,
        world.new_unit("市卫健委").await,
    );
    let branch_13 = ledger::Org {
        org_id: 13,
        path: "/1/4/13/".into(),
        ..Default::default()
    };
    let a_stays = world.on_register("a-stays", 12).await;
    let a_smaller = world.on_register("a-smaller", 12).await;
    let a_recovered = world.on_register("a-recovered", 13).await;
    // The department recognised this row: only the campaign (or a case)
    // takes it off the register.
    world
        .ledger()
        .await
        .recognise_record(ledger::RecogniseRecordRequest {
            request_id: rid(),
            record_id: a_recovered.record_id.clone(),
            etag: a_recovered.etag.clone(),
            comment: "符合条件，予以认定".into(),
        })
        .await
        .expect("recognised");
    let b_row = world.on_register("b", 7).await;
    let c_row = world.on_register("c", c.branch.org_id).await;
    let d_row = world.on_register("d", d.branch.org_id).await;

    let campaign = world.open(5, 10).await;
    let units = world.issue(&campaign).await;
    assert_eq!(units.len(), 4, "one form per unit with rows");
    let (ua, ub, uc, ud) = (
        CampaignWorld::unit_of(&units, &a),
        CampaignWorld::unit_of(&units, &b),
        CampaignWorld::unit_of(&units, &c),
        CampaignWorld::unit_of(&units, &d),
    );
    assert_eq!((ua.row_count, ub.row_count), (3, 1));

    // Unit 4, on time: two branches, three outcomes.
    collect(&world, &ua, &a.org.path, Role::SuperiorOrg).await;
    verify(&world, &ua, &a.branch, |name| {
        if name.ends_with("a-smaller") {
            VerificationOutcome::Adjust
        } else {
            VerificationOutcome::Continue
        }
    })
    .await;
    verify(&world, &ua, &branch_13, |_| VerificationOutcome::Remove).await;
    meeting_and_notice(&world, &ua.campaign_unit_id, &a.branch).await;
    meeting_and_notice(&world, &ua.campaign_unit_id, &branch_13).await;
    submit(&world, &a, &ua.campaign_unit_id).await;
    let accepted = accept(&world, &ua.campaign_unit_id).await;
    assert_eq!(accepted.state, CampaignUnitState::Accepted as i32);
    assert!(!accepted.submit_late);

    // Branch 7, directly under the committee, submits for itself.
    collect(&world, &ub, &b.org.path, Role::BranchStaff).await;
    ready(&world, &b, &ub.campaign_unit_id).await;
    submit(&world, &b, &ub.campaign_unit_id).await;
    accept(&world, &ub.campaign_unit_id).await;

    // 市教育局: returned for its row, verified again and resubmitted.
    collect(&world, &uc, &c.org.path, Role::SuperiorOrg).await;
    ready(&world, &c, &uc.campaign_unit_id).await;
    let submitted = submit(&world, &c, &uc.campaign_unit_id).await;
    let row = world.rows(&uc.campaign_unit_id).await.remove(0);
    let returned = world
        .department()
        .await
        .return_unit_summary(pb::ReturnUnitSummaryRequest {
            request_id: rid(),
            campaign_unit_id: uc.campaign_unit_id.clone(),
            etag: submitted.etag.clone(),
            reason: "家庭人口已变化，请重新核查".into(),
            row_ids: vec![row.row_id.clone()],
        })
        .await
        .expect("the department returns the summary")
        .into_inner();
    assert_eq!(returned.state, CampaignUnitState::Returned as i32);
    assert_eq!(returned.returns[0].reason, "家庭人口已变化，请重新核查");
    let told = super::campaign_reminders::outbox(&world).await;
    let (_, notice) = told
        .iter()
        .find(|(kind, _)| kind == "campaign.returned")
        .expect("the return is told to the unit");
    assert_eq!(
        notice.kind,
        relief_proto::notify::v1::EventKind::CampaignSubmissionReturned as i32
    );
    assert_eq!(notice.org.as_ref().map(|o| o.org_id), Some(c.org.org_id));
    assert_eq!(notice.parameters["reason"], "家庭人口已变化，请重新核查");
    verify(&world, &returned, &c.branch, |_| {
        VerificationOutcome::Adjust
    })
    .await;
    meeting_and_notice(&world, &uc.campaign_unit_id, &c.branch).await;
    submit(&world, &c, &uc.campaign_unit_id).await;
    accept(&world, &uc.campaign_unit_id).await;

    // 市卫健委 lets the deadlines pass, then does it all late.
    world.days_pass(15).await;
    collect(&world, &ud, &d.org.path, Role::SuperiorOrg).await;
    ready(&world, &d, &ud.campaign_unit_id).await;
    let late = submit(&world, &d, &ud.campaign_unit_id).await;
    assert!(late.submit_late && late.collect_late);
    assert_eq!((late.submit_days_late, late.collect_days_late), (5, 10));
    accept(&world, &ud.campaign_unit_id).await;

    // The register: a verification of the year on every row.
    for record in [&a_stays, &a_smaller, &a_recovered, &b_row, &c_row, &d_row] {
        let now = world.record(&record.record_id).await;
        assert_eq!(
            verification_of(&now, &campaign).len(),
            1,
            "{} verified once for {YEAR}",
            now.member_name
        );
    }
    let smaller = world.record(&a_smaller.record_id).await;
    assert_eq!(smaller.household_size, 2, "the adjustment is written");
    assert_eq!(
        world.record(&c_row.record_id).await.household_size,
        2,
        "the returned unit's corrected outcome is the one applied"
    );
    let recovered = world.record(&a_recovered.record_id).await;
    assert_eq!(recovered.status, ledger::RecordStatus::Removed as i32);
    assert!(
        recovered.removal_reason.contains("困难情形已消除"),
        "{}",
        recovered.removal_reason
    );
    let stays = world.record(&a_stays.record_id).await;
    assert_eq!(stays.status, ledger::RecordStatus::Active as i32);
    let verified = verification_of(&stays, &campaign)[0];
    assert_eq!(verified.branch_meeting_date, super::campaign::day(-10));
    assert_eq!(verified.notice_result, "公示无异议");

    // …and its history says who removed the row and why.
    let history = world
        .ledger()
        .await
        .list_history(ledger::ListHistoryRequest {
            resource: format!("records/{}", a_recovered.record_id),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    let removal = history
        .iter()
        .find(|entry| entry.action == "record.verified.remove")
        .expect("the removal is in the row's history");
    let stamp = removal.stamp.clone().unwrap_or_default();
    assert_eq!(
        stamp.actor.map(|a| a.user_id).unwrap_or_default(),
        "service:workflow"
    );
    assert!(stamp.reason.contains("困难情形已消除"));
}

#[tokio::test]
async fn the_dashboard_counts_progress_and_lists_the_late_at_the_services_clock() {
    let world = CampaignWorld::start().await;
    let (on_time, late) = (world.unit_4(), world.new_unit("市审计局").await);
    world.on_register("p-1", 12).await;
    world.on_register("p-2", 12).await;
    world.on_register("p-3", late.branch.org_id).await;
    let campaign = world.open(5, 10).await;
    let units = world.issue(&campaign).await;
    let (u_on_time, u_late) = (
        CampaignWorld::unit_of(&units, &on_time),
        CampaignWorld::unit_of(&units, &late),
    );
    collect(&world, &u_on_time, &on_time.org.path, Role::SuperiorOrg).await;
    ready(&world, &on_time, &u_on_time.campaign_unit_id).await;
    submit(&world, &on_time, &u_on_time.campaign_unit_id).await;

    let before = world.read_unit(&u_late.campaign_unit_id).await;
    assert_eq!((before.collect_days_left, before.submit_days_left), (5, 10));
    assert!(!before.submit_late);

    world.days_pass(13).await;
    let mut department = world.department().await;
    let progress = department
        .get_campaign_progress(pb::GetCampaignProgressRequest {
            campaign_id: campaign.campaign_id.clone(),
            org_id: 0,
        })
        .await
        .expect("progress")
        .into_inner();
    assert_eq!(
        (
            progress.units_issued,
            progress.units_collected,
            progress.units_submitted
        ),
        (2, 1, 1)
    );
    assert_eq!(
        (progress.units_collect_late, progress.units_submit_late),
        (1, 1)
    );
    assert_eq!(
        (
            progress.rows_total,
            progress.rows_unverified,
            progress.rows_continue
        ),
        (3, 1, 2)
    );
    let late_ids: Vec<i64> = progress.late_units.iter().map(|o| o.org_id).collect();
    assert_eq!(late_ids, vec![late.org.org_id]);

    let listed = department
        .list_campaign_units(pb::ListCampaignUnitsRequest {
            campaign_id: campaign.campaign_id.clone(),
            late_only: true,
            ..Default::default()
        })
        .await
        .expect("the late units")
        .into_inner()
        .units;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].collect_days_late, listed[0].submit_days_late),
        (8, 3)
    );
    let punctual = world.read_unit(&u_on_time.campaign_unit_id).await;
    assert!(!punctual.submit_late && punctual.submit_days_late == 0);

    // Each unit sees its own progress, not the others'.
    let own = world
        .as_role(Role::SuperiorOrg, &late.org.path)
        .await
        .get_campaign_progress(pb::GetCampaignProgressRequest {
            campaign_id: campaign.campaign_id.clone(),
            org_id: 0,
        })
        .await
        .expect("the unit's own progress")
        .into_inner();
    assert_eq!((own.units_issued, own.rows_total), (1, 1));
}

#[tokio::test]
async fn a_unit_submits_its_new_members_whose_notice_passed_with_the_summary() {
    let world = CampaignWorld::start().await;
    let unit = world.unit_7();
    world.on_register("nm-old", 7).await;
    let campaign = world.open(5, 10).await;
    let issued = CampaignWorld::unit_of(&world.issue(&campaign).await, &unit);
    // Two members apply in the campaign's period: one's notice has passed
    // (the member is on the register), the other's is still running.
    let passed = to_notice_started(&world.workflow, "nm-new", 7, "/1/7/", Some(8)).await;
    let pending = to_notice_started(&world.workflow, "nm-pending", 7, "/1/7/", None).await;
    let mut cases = world.workflow.as_role(Role::BranchStaff, "/1/7/").await;
    let mut record_id = String::new();
    for _ in 0..50 {
        record_id = cases
            .get_application(pb::GetApplicationRequest {
                application_id: passed.application_id.clone(),
                ..Default::default()
            })
            .await
            .expect("the case")
            .into_inner()
            .register_record_id;
        if !record_id.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!record_id.is_empty(), "the notice passed");
    ready(&world, &unit, &issued.campaign_unit_id).await;
    let mut staff = world.as_role(Role::BranchStaff, "/1/7/").await;
    let package = |current: &pb::CampaignUnit, application_id: &str| {
        let mut request = signed(current);
        request.new_members = vec![pb::NewMemberEntry {
            application_id: application_id.to_owned(),
            paper_received: true,
            ..Default::default()
        }];
        request
    };

    let current = world.read_unit(&issued.campaign_unit_id).await;
    let refused = staff
        .submit_unit_summary(package(&current, &pending.application_id))
        .await
        .expect_err("a member not yet on the register");
    assert_eq!(
        crate::ledger::violated_fields(&refused),
        vec!["new_members[0].application_id"]
    );
    let submitted = staff
        .submit_unit_summary(package(&current, &passed.application_id))
        .await
        .expect("submitted with the new member")
        .into_inner();
    let new = &submitted.new_members[0];
    assert_eq!(
        (
            new.member_name.as_str(),
            new.record_id.as_str(),
            new.paper_received
        ),
        ("党员nm-new", record_id.as_str(), true)
    );
    let progress = world
        .department()
        .await
        .get_campaign_progress(pb::GetCampaignProgressRequest {
            campaign_id: campaign.campaign_id.clone(),
            org_id: 0,
        })
        .await
        .expect("progress")
        .into_inner();
    assert_eq!(progress.rows_new, 1);
}
