//! Nothing is deleted: every change is kept with who, when, what and why,
//! and the audit chain shows any tampering.

use relief_proto::common::v1 as common;
use relief_proto::common::v1::{Money, VerifyAuditChainRequest};
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{World, create_member, id_number, record_request, violated_fields};

#[tokio::test]
async fn a_record_keeps_its_whole_history_and_stale_etags_are_refused() {
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
    assert_eq!(record.status, pb::RecordStatus::Active as i32);
    assert!(!record.recognised);

    let adjust = |etag: &str, size: i32| pb::UpdateRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record: Some(pb::HardshipRecord {
            record_id: record.record_id.clone(),
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
    };
    let adjusted = staff
        .update_record(adjust(&record.etag, 2))
        .await
        .expect("adjust")
        .into_inner();
    assert_eq!(adjusted.household_size, 2);
    let stale = staff
        .update_record(adjust(&record.etag, 1))
        .await
        .expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);

    let revealed = staff
        .get_record(pb::GetRecordRequest {
            record_id: record.record_id.clone(),
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

    let verified = staff
        .record_verification(pb::RecordVerificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: record.record_id.clone(),
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
        .into_inner();
    assert_eq!(verified.status, pb::RecordStatus::Removed as i32);
    assert_eq!(verified.verifications.len(), 1);
    assert!(verified.until.is_some());

    // A removed record stays on the list, marked.
    let removed = staff
        .list_records(pb::ListRecordsRequest {
            status: pb::RecordStatus::Removed as i32,
            ..Default::default()
        })
        .await
        .expect("list removed")
        .into_inner()
        .records;
    assert_eq!(removed.len(), 1);

    let history = staff
        .list_history(pb::ListHistoryRequest {
            resource: format!("records/{}", record.record_id),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    let actions: Vec<&str> = history.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
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
    assert!(
        !adjusted_entry.after_json.contains("2400000"),
        "income never enters the history in clear"
    );
    assert!(history.iter().all(|entry| {
        entry
            .stamp
            .as_ref()
            .and_then(|s| s.actor.as_ref())
            .is_some()
    }));

    // A second verification of the same year is refused; a removed record cannot be verified again.
    let status = staff
        .record_verification(pb::RecordVerificationRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: record.record_id.clone(),
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
