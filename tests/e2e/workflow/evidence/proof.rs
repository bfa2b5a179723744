//! The proof each category needs before the case leaves the branch.

use super::*;

#[tokio::test]
async fn an_illness_leaves_the_branch_with_a_county_diagnosis_and_the_receipts_only() {
    let workflow = Workflow::start().await;
    let (mut member, draft) = draft(
        &workflow,
        "ev-1",
        12,
        common::HardshipCategory::MajorIllness,
    )
    .await;
    let township = upload(
        &mut member,
        diagnosis(&draft, "某某镇卫生院", HospitalLevel::BelowCounty),
        PDF,
    )
    .await
    .expect("a township diagnosis is kept");
    assert_eq!(township.hospital_level, HospitalLevel::BelowCounty as i32);
    assert_eq!(township.sha256, PDF_SHA256, "computed by the service");
    assert_eq!(township.size_bytes, PDF.len() as i64);
    let mut staff = workflow.branch_staff().await;
    upload(
        &mut staff,
        proof(&draft, Kind::PaymentReceipts, "缴费凭证.jpg", "image/jpeg"),
        JPEG,
    )
    .await
    .expect("branch staff add the receipts on the member's behalf");
    let read = get(&mut member, &draft).await;
    assert_eq!(read.evidence_count, 2);
    assert_eq!(
        read.missing_evidence_kinds,
        [Kind::HospitalDiagnosis as i32],
        "a diagnosis below county level does not count"
    );
    assert_ne!(read.etag, draft.etag, "every upload is a new version");
    let refused = submit(&mut member, &read)
        .await
        .expect_err("no county diagnosis yet");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    let county = upload(
        &mut member,
        diagnosis(&draft, "某某县人民医院", HospitalLevel::County),
        PDF,
    )
    .await
    .expect("a county diagnosis");
    assert_eq!(county.hospital_name, "某某县人民医院");
    let read = get(&mut member, &draft).await;
    assert!(
        read.missing_evidence_kinds.is_empty(),
        "{:?}",
        read.missing_evidence_kinds
    );
    let submitted = submit(&mut member, &read)
        .await
        .expect("all proof is there");
    assert_eq!(submitted.state, pb::ApplicationState::Submitted as i32);
    upload(
        &mut member,
        proof(&draft, Kind::Other, "补充说明.png", "image/png"),
        PNG,
    )
    .await
    .expect("more proof while the branch has it");

    let steps = member
        .list_application_steps(pb::ListApplicationStepsRequest {
            application_id: draft.application_id.clone(),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .steps;
    let uploads: Vec<&pb::ApplicationStep> = steps
        .iter()
        .filter(|s| s.action == "evidence.uploaded")
        .collect();
    assert_eq!(uploads.len(), 4);
    assert!(
        uploads[0].comment.contains("县级以下"),
        "{}",
        uploads[0].comment
    );
    assert!(uploads[0].comment.contains(PDF_SHA256));
}

#[tokio::test]
async fn low_income_and_disaster_cases_need_their_own_certificates() {
    let workflow = Workflow::start().await;
    let (mut member, low_income) = draft(
        &workflow,
        "ev-7",
        12,
        common::HardshipCategory::MinimumLivingGuarantee,
    )
    .await;
    assert_eq!(
        low_income.missing_evidence_kinds,
        [Kind::LowIncomeCertificate as i32]
    );
    upload(
        &mut member,
        proof(
            &low_income,
            Kind::PoliceFireCertificate,
            "证明.pdf",
            "application/pdf",
        ),
        PDF,
    )
    .await
    .expect("stored");
    let read = get(&mut member, &low_income).await;
    assert_eq!(
        read.missing_evidence_kinds,
        [Kind::LowIncomeCertificate as i32],
        "not the proof 低保 needs"
    );
    submit(&mut member, &read).await.expect_err("no 低保证");
    upload(
        &mut member,
        proof(
            &low_income,
            Kind::LowIncomeCertificate,
            "低保证.png",
            "image/png",
        ),
        PNG,
    )
    .await
    .expect("the certificate");
    let read = get(&mut member, &low_income).await;
    assert!(read.missing_evidence_kinds.is_empty());
    submit(&mut member, &read)
        .await
        .expect("submitted with its proof");

    let (mut member, fire) = draft(
        &workflow,
        "ev-8",
        12,
        common::HardshipCategory::MajorDisaster,
    )
    .await;
    assert_eq!(
        fire.missing_evidence_kinds,
        [Kind::PoliceFireCertificate as i32]
    );
    let refused = submit(&mut member, &fire)
        .await
        .expect_err("no certificate");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    upload(
        &mut member,
        proof(
            &fire,
            Kind::PoliceFireCertificate,
            "火灾证明.HEIC",
            "image/heic",
        ),
        HEIC,
    )
    .await
    .expect("a phone photo of the fire department's certificate");
    let read = get(&mut member, &fire).await;
    submit(&mut member, &read)
        .await
        .expect("submitted with its proof");
}
