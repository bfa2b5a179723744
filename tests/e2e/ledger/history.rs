//! Nothing is deleted: every change is kept with who, when, what and why,
//! and the audit chain shows any tampering.

use relief_proto::common::v1 as common;
use relief_proto::common::v1::{Money, VerifyAuditChainRequest};
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Client, World, create_member, id_number, record_request, violated_fields};

/// A member of branch A with a hardship record (a household of 3 with
/// 36,000 yuan a year), and the branch's staff who keep it.
struct RecordedCase {
    staff: Client,
    record: pb::HardshipRecord,
    /// Kept so the ledger runs as long as the case.
    _world: World,
}

async fn recorded_case() -> RecordedCase {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let member = create_member(
        &mut staff,
        &world.branch_a,
        "张建国",
        &id_number("19580312", 31),
    )
    .await;
    let record = staff
        .create_record(record_request(
            &member.member_id,
            common::HardshipCategory::MajorIllness,
            3_600_000,
        ))
        .await
        .expect("record")
        .into_inner();
    RecordedCase {
        staff,
        record,
        _world: world,
    }
}

impl RecordedCase {
    /// The household shrank to `size` with 24,000 yuan a year, on `etag`.
    fn adjustment(&self, etag: &str, size: i32) -> pb::UpdateRecordRequest {
        pb::UpdateRecordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record: Some(pb::HardshipRecord {
                record_id: self.record.record_id.clone(),
                etag: etag.to_owned(),
                household_size: size,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec![
                    "household_size".into(),
                    "income.annual_household_income".into(),
                ],
            }),
            annual_household_income: Some(Money { fen: 2_400_000 }),
            reason: "子女毕业离家".into(),
        }
    }

    /// The record adjusted to a household of 2.
    async fn adjusted(&mut self) -> pb::HardshipRecord {
        let adjustment = self.adjustment(&self.record.etag, 2);
        self.staff
            .update_record(adjustment)
            .await
            .expect("adjust")
            .into_inner()
    }

    /// The record adjusted, then removed by the year's verification.
    async fn removed(&mut self) -> pb::HardshipRecord {
        let adjusted = self.adjusted().await;
        self.staff
            .record_verification(pb::RecordVerificationRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                record_id: self.record.record_id.clone(),
                etag: adjusted.etag.clone(),
                verification: Some(pb::Verification {
                    year: 2026,
                    outcome: common::VerificationOutcome::Remove as i32,
                    findings: "本人已康复并返岗，家庭收入恢复".into(),
                    notice_result: "公示无异议".into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .expect("verification")
            .into_inner()
    }

    async fn history(&mut self) -> Vec<pb::HistoryEntry> {
        self.staff
            .list_history(pb::ListHistoryRequest {
                resource: format!("records/{}", self.record.record_id),
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries
    }
}

fn actions(history: &[pb::HistoryEntry]) -> Vec<&str> {
    history.iter().map(|entry| entry.action.as_str()).collect()
}

#[tokio::test]
async fn a_new_record_is_active_and_not_yet_recognised() {
    let case = recorded_case().await;
    assert_eq!(case.record.status, pb::RecordStatus::Active as i32);
    assert!(!case.record.recognised);
}

#[tokio::test]
async fn an_adjustment_on_a_stale_etag_is_refused_and_leaves_no_history() {
    let mut case = recorded_case().await;
    let adjusted = case.adjusted().await;
    assert_eq!(adjusted.household_size, 2);
    let stale = case
        .staff
        .update_record(case.adjustment(&case.record.etag, 1))
        .await
        .expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(
        actions(&case.history().await),
        vec!["record.created", "record.adjusted"]
    );
}

#[tokio::test]
async fn an_adjusted_income_is_revealed_with_its_monthly_income_per_head() {
    let mut case = recorded_case().await;
    case.adjusted().await;
    let revealed = case
        .staff
        .get_record(pb::GetRecordRequest {
            record_id: case.record.record_id.clone(),
            reveal_sensitive: true,
            reveal_reason: "核对收入".into(),
        })
        .await
        .expect("reveal income")
        .into_inner();
    let income = revealed.income.expect("income revealed");
    assert_eq!(
        income.annual_household_income.map(|m| m.fen),
        Some(2_400_000)
    );
    assert_eq!(
        income.monthly_per_capita_income.map(|m| m.fen),
        Some(100_000)
    );
    assert_eq!(
        actions(&case.history().await),
        vec!["record.created", "record.adjusted"],
        "a reveal is a read, not a change"
    );
}

#[tokio::test]
async fn a_verification_that_removes_the_record_ends_it() {
    let mut case = recorded_case().await;
    let verified = case.removed().await;
    assert_eq!(verified.status, pb::RecordStatus::Removed as i32);
    assert_eq!(verified.verifications.len(), 1);
    assert!(verified.until.is_some());
}

#[tokio::test]
async fn a_removed_record_stays_on_the_list_marked() {
    let mut case = recorded_case().await;
    case.removed().await;
    let removed = case
        .staff
        .list_records(pb::ListRecordsRequest {
            status: pb::RecordStatus::Removed as i32,
            ..Default::default()
        })
        .await
        .expect("list removed")
        .into_inner()
        .records;
    assert_eq!(removed.len(), 1);
}

#[tokio::test]
async fn the_history_keeps_every_change_with_who_what_and_why() {
    let mut case = recorded_case().await;
    case.removed().await;
    let history = case.history().await;
    assert_eq!(
        actions(&history),
        vec![
            "record.created",
            "record.adjusted",
            "record.verified.remove"
        ]
    );
    let adjusted_entry = &history[1];
    assert_eq!(
        adjusted_entry.stamp.as_ref().map(|s| s.reason.as_str()),
        Some("子女毕业离家")
    );
    assert!(
        adjusted_entry
            .changed_fields
            .contains(&"household_size".to_owned())
    );
    assert!(adjusted_entry.changed_fields.contains(&"income".to_owned()));
    assert!(adjusted_entry.before_json.contains("\"household_size\":3"));
    assert!(history.iter().all(|entry| {
        entry
            .stamp
            .as_ref()
            .and_then(|s| s.actor.as_ref())
            .is_some()
    }));
}

#[tokio::test]
async fn income_never_enters_the_history_in_clear() {
    let mut case = recorded_case().await;
    case.removed().await;
    let history = case.history().await;
    let adjusted_entry = &history[1];
    assert_eq!(adjusted_entry.action, "record.adjusted");
    assert!(
        !adjusted_entry.after_json.contains("2400000"),
        "income never enters the history in clear"
    );
}

#[tokio::test]
async fn a_removed_record_cannot_be_verified_again_in_the_year() {
    let mut case = recorded_case().await;
    let verified = case.removed().await;
    let status = case
        .staff
        .record_verification(pb::RecordVerificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: case.record.record_id.clone(),
            etag: verified.etag.clone(),
            verification: Some(pb::Verification {
                year: 2026,
                outcome: common::VerificationOutcome::Continue as i32,
                findings: "再次核查".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("verifying a removed record");
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn verification_requires_written_findings_and_an_adjustment_must_adjust() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let member = create_member(
        &mut staff,
        &world.branch_a,
        "李秀英",
        &id_number("19620705", 32),
    )
    .await;
    let record = staff
        .create_record(record_request(
            &member.member_id,
            common::HardshipCategory::Other,
            1_000_000,
        ))
        .await
        .expect("record")
        .into_inner();
    let status = staff
        .record_verification(pb::RecordVerificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: record.record_id.clone(),
            etag: record.etag.clone(),
            verification: Some(pb::Verification {
                year: 2026,
                outcome: common::VerificationOutcome::Adjust as i32,
                findings: "  ".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("no findings, nothing adjusted");
    let fields = violated_fields(&status);
    assert!(
        fields.contains(&"verification.findings".to_owned()),
        "{fields:?}"
    );
    assert!(fields.contains(&"adjust_category".to_owned()), "{fields:?}");
}

#[tokio::test]
async fn the_audit_chain_verifies_and_names_the_first_entry_altered_behind_its_back() {
    let world = World::new().await;
    let mut dept = world.department().await;
    for n in 0..3 {
        create_member(
            &mut dept,
            &world.branch_a,
            &format!("成员{n}"),
            &id_number("19700101", 40 + n),
        )
        .await;
    }
    let mut auditor = world.auditor().await;
    let report = auditor
        .verify_audit_chain(VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(report.intact, "{report:?}");
    // Four organisations and three members.
    assert_eq!(report.entries_checked, 7);

    let entries = auditor
        .list_audit_entries(relief_proto::common::v1::ListAuditEntriesRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .expect("page")
        .into_inner();
    assert_eq!(entries.entries.len(), 2);
    assert!(!entries.next_page_token.is_empty());

    let pool = relief_tests::raw_pool(&world.ledger.schema).await;
    sqlx::query(
        "UPDATE audit_chain SET change_json = replace(change_json, '成员1', '成员X') WHERE seq = 6",
    )
    .execute(&pool)
    .await
    .expect("tampering");
    let report = auditor
        .verify_audit_chain(VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(!report.intact);
    assert_eq!(report.first_broken_seq, Some(6), "{report:?}");
    assert_eq!(report.entries_checked, 5);

    // Removing an entry is just as visible.
    sqlx::query(
        "UPDATE audit_chain SET change_json = replace(change_json, '成员X', '成员1') WHERE seq = 6",
    )
    .execute(&pool)
    .await
    .expect("restoring");
    sqlx::query("DELETE FROM audit_chain WHERE seq = 4")
        .execute(&pool)
        .await
        .expect("deleting");
    let report = auditor
        .verify_audit_chain(VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert_eq!(report.first_broken_seq, Some(4), "{report:?}");
}
