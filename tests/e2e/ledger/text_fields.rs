//! Free text in requests: every field has a documented maximum and holds no
//! control characters; either is refused with a field violation naming the
//! field, before anything is stored or logged.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;

use super::{Client, World, create_member, id_number, record_request, violated_fields};

/// A member of branch A with a record, and the department and branch staff.
struct Case {
    world: World,
    dept: Client,
    staff: Client,
    member: pb::Member,
    record: pb::HardshipRecord,
}

async fn case() -> Case {
    let world = World::new().await;
    let mut dept = world.department().await;
    let staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let member = create_member(
        &mut dept,
        &world.branch_a,
        "张建国",
        &id_number("19580312", 101),
    )
    .await;
    let record = dept
        .create_record(record_request(
            &member.member_id,
            common::HardshipCategory::MajorIllness,
            3_600_000,
        ))
        .await
        .expect("record")
        .into_inner();
    Case {
        world,
        dept,
        staff,
        member,
        record,
    }
}

impl Case {
    fn reveal(&self, reason: &str) -> pb::GetMemberRequest {
        pb::GetMemberRequest {
            member_id: self.member.member_id.clone(),
            reveal_sensitive: true,
            reveal_reason: reason.to_owned(),
        }
    }

    fn verification(&self, findings: &str) -> pb::RecordVerificationRequest {
        pb::RecordVerificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: self.record.record_id.clone(),
            etag: self.record.etag.clone(),
            verification: Some(pb::Verification {
                year: 2026,
                outcome: common::VerificationOutcome::Continue as i32,
                findings: findings.to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn recognition(&self, comment: &str) -> pb::RecogniseRecordRequest {
        pb::RecogniseRecordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: self.record.record_id.clone(),
            etag: self.record.etag.clone(),
            comment: comment.to_owned(),
        }
    }

    async fn sensitive_reads(&self) -> Vec<pb::SensitiveRead> {
        self.world
            .auditor()
            .await
            .list_sensitive_reads(pb::ListSensitiveReadsRequest::default())
            .await
            .expect("the log of reads")
            .into_inner()
            .reads
    }
}

#[tokio::test]
async fn a_nul_in_a_reveal_reason_is_refused_naming_reveal_reason() {
    let mut case = case().await;
    let status = case
        .staff
        .get_member(case.reveal("核实\0申请"))
        .await
        .expect_err("NUL");
    assert_eq!(violated_fields(&status), vec!["reveal_reason"]);
    assert!(case.sensitive_reads().await.is_empty());
}

#[tokio::test]
async fn a_20000_character_reveal_reason_is_refused_and_no_read_is_logged() {
    let mut case = case().await;
    let status = case
        .staff
        .get_member(case.reveal(&"查".repeat(20_000)))
        .await
        .expect_err("too long");
    assert_eq!(violated_fields(&status), vec!["reveal_reason"]);
    assert!(case.sensitive_reads().await.is_empty());
    // 500 characters are fine.
    case.staff
        .get_member(case.reveal(&"查".repeat(500)))
        .await
        .expect("at the maximum");
}

#[tokio::test]
async fn a_nul_in_verification_findings_is_refused_naming_the_findings() {
    let mut case = case().await;
    let status = case
        .staff
        .record_verification(case.verification("仍在透析\0"))
        .await
        .expect_err("NUL");
    assert_eq!(violated_fields(&status), vec!["verification.findings"]);
}

#[tokio::test]
async fn findings_may_run_over_several_lines_with_tabs() {
    let mut case = case().await;
    let verified = case
        .staff
        .record_verification(case.verification("一、仍在透析；\n二、\t家庭收入未变。"))
        .await
        .expect("multi-line findings")
        .into_inner();
    assert!(verified.verifications[0].findings.contains('\n'));
}

#[tokio::test]
async fn an_escape_sequence_in_findings_is_refused_naming_the_findings() {
    let mut case = case().await;
    let status = case
        .staff
        .record_verification(case.verification("\u{1b}[2J清屏"))
        .await
        .expect_err("ESC");
    assert_eq!(violated_fields(&status), vec!["verification.findings"]);
}

#[tokio::test]
async fn a_20000_character_recognition_comment_is_refused_naming_the_comment() {
    let mut case = case().await;
    let status = case
        .dept
        .recognise_record(case.recognition(&"同意".repeat(10_000)))
        .await
        .expect_err("too long");
    assert_eq!(violated_fields(&status), vec!["comment"]);
    let record = case
        .dept
        .get_record(pb::GetRecordRequest {
            record_id: case.record.record_id.clone(),
            ..Default::default()
        })
        .await
        .expect("record")
        .into_inner();
    assert!(!record.recognised, "nothing was stored");
}

#[tokio::test]
async fn a_nul_in_a_sensitive_read_filter_is_refused_naming_resource() {
    let case = case().await;
    let status = case
        .world
        .auditor()
        .await
        .list_sensitive_reads(pb::ListSensitiveReadsRequest {
            resource: "members/\0".into(),
            ..Default::default()
        })
        .await
        .expect_err("NUL");
    assert_eq!(violated_fields(&status), vec!["resource"]);
}

#[tokio::test]
async fn a_nul_in_a_name_prefix_is_refused_naming_name_prefix() {
    let mut case = case().await;
    let status = case
        .dept
        .list_members(pb::ListMembersRequest {
            name_prefix: "张\0".into(),
            ..Default::default()
        })
        .await
        .expect_err("NUL");
    assert_eq!(violated_fields(&status), vec!["name_prefix"]);
    let status = case
        .dept
        .list_records(pb::ListRecordsRequest {
            name_prefix: "x".repeat(201),
            ..Default::default()
        })
        .await
        .expect_err("too long");
    assert_eq!(violated_fields(&status), vec!["name_prefix"]);
}

#[tokio::test]
async fn an_overlong_change_reason_is_refused_naming_reason() {
    let mut case = case().await;
    let status = case
        .dept
        .remove_record(pb::RemoveRecordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: case.record.record_id.clone(),
            etag: case.record.etag.clone(),
            reason: "康复".repeat(300),
            until: None,
        })
        .await
        .expect_err("too long");
    assert_eq!(violated_fields(&status), vec!["reason"]);
}

#[tokio::test]
async fn a_line_break_in_a_members_name_is_refused_naming_the_name() {
    let case = case().await;
    let mut dept = case.dept;
    let status = dept
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(super::member(
                &case.world.branch_b,
                "李\n秀英",
                &id_number("19620705", 202),
            )),
        })
        .await
        .expect_err("line break");
    assert_eq!(violated_fields(&status), vec!["member.name"]);
}
