//! Files refused for what they are, the replayed upload, the audited
//! download, and the callers kept out.

use super::*;
use crate::workflow::to_notice;

#[tokio::test]
async fn a_file_that_is_not_what_it_says_or_too_large_is_refused_and_nothing_is_stored() {
    let workflow = Workflow::start().await;
    let (mut member, draft) = draft(
        &workflow,
        "ev-2",
        12,
        common::HardshipCategory::MajorIllness,
    )
    .await;
    let pretending = upload(
        &mut member,
        proof(&draft, Kind::PaymentReceipts, "收据.png", "image/png"),
        PDF,
    )
    .await
    .expect_err("a PDF said to be a PNG");
    assert_eq!(pretending.code(), Code::InvalidArgument);
    assert_eq!(fields(&pretending), ["metadata.content_type"]);
    let script = upload(
        &mut member,
        proof(&draft, Kind::PaymentReceipts, "收据.pdf", "application/pdf"),
        b"<html><script>",
    )
    .await
    .expect_err("no proof type at all");
    assert_eq!(fields(&script), ["metadata.content_type"]);
    let bare = upload(
        &mut member,
        diagnosis(&draft, "", HospitalLevel::Unspecified),
        PDF,
    )
    .await
    .expect_err("a diagnosis names its hospital");
    assert_eq!(
        fields(&bare),
        ["metadata.hospital_name", "metadata.hospital_level"]
    );
    let mut damaged = diagnosis(&draft, "某某市第一人民医院", HospitalLevel::City);
    damaged.expected_sha256 = "0".repeat(64);
    let damaged = upload(&mut member, damaged, PDF)
        .await
        .expect_err("another hash");
    assert_eq!(fields(&damaged), ["metadata.expected_sha256"]);

    let mut huge = PDF.to_vec();
    huge.resize(20 * MIB + 1, b' ');
    let too_large = upload(
        &mut member,
        diagnosis(&draft, "某某市第一人民医院", HospitalLevel::City),
        &huge,
    )
    .await
    .expect_err("over 20 MiB");
    assert_eq!(too_large.code(), Code::InvalidArgument);
    assert_eq!(fields(&too_large), ["data"]);
    let big_chunk = upload_in(
        &mut member,
        &rid(),
        diagnosis(&draft, "某某市第一人民医院", HospitalLevel::City),
        &huge[..MIB + 1],
        MIB + 1,
    )
    .await
    .expect_err("a message over 1 MiB");
    assert_eq!(fields(&big_chunk), ["data"]);

    assert!(
        listed(&mut member, &draft)
            .await
            .expect("listing")
            .is_empty(),
        "nothing stored"
    );
    let read = get(&mut member, &draft).await;
    assert_eq!(
        (read.etag, read.evidence_count),
        (draft.etag, 0),
        "nothing changed"
    );
}

#[tokio::test]
async fn a_replayed_upload_stores_once_and_the_download_is_the_file_and_is_audited() {
    let workflow = Workflow::start().await;
    let (mut member, draft) = draft(
        &workflow,
        "ev-3",
        12,
        common::HardshipCategory::MajorIllness,
    )
    .await;
    let mut big = PDF.to_vec();
    big.resize(2_500_000, b' ');
    let mut metadata = diagnosis(&draft, "某某省人民医院", HospitalLevel::ProvinceOrAbove);
    metadata.expected_sha256 = BIG_PDF_SHA256.into();
    let request_id = rid();
    let first = upload_in(&mut member, &request_id, metadata.clone(), &big, MIB)
        .await
        .expect("stored");
    let again = upload_in(&mut member, &request_id, metadata.clone(), &big, 300_000)
        .await
        .expect("a retry, chunked otherwise, is answered the same");
    assert_eq!(again, first);
    // Without the hash, so that the id's binding refuses it, not the hash.
    metadata.expected_sha256.clear();
    let other_file = upload_in(&mut member, &request_id, metadata, &big[..MIB], MIB)
        .await
        .expect_err("the same id for another file");
    assert_eq!(other_file.code(), Code::AlreadyExists);
    assert_eq!(
        listed(&mut member, &draft).await.expect("listing"),
        std::slice::from_ref(&first)
    );

    let unexplained = member
        .download_evidence(pb::DownloadEvidenceRequest {
            evidence_id: first.evidence_id.clone(),
            reason: " ".into(),
        })
        .await
        .expect_err("a read says why");
    assert_eq!(fields(&unexplained), ["reason"]);
    let mut staff = workflow.branch_staff().await;
    let mut chunks = staff
        .download_evidence(pb::DownloadEvidenceRequest {
            evidence_id: first.evidence_id.clone(),
            reason: "初审核对疾病证明".into(),
        })
        .await
        .expect("the branch reads it")
        .into_inner();
    let head = chunks.next().await.expect("a first chunk").expect("chunk");
    assert_eq!(
        (head.file_name.as_str(), head.content_type.as_str()),
        ("诊断证明.pdf", "application/pdf")
    );
    let mut bytes = head.data;
    let mut count = 1;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.expect("chunk");
        assert!(chunk.data.len() <= MIB && chunk.file_name.is_empty());
        bytes.extend(chunk.data);
        count += 1;
    }
    assert_eq!(count, 3);
    assert!(bytes == big, "the same bytes back");
    assert_eq!(first.sha256, BIG_PDF_SHA256);

    let mut auditor = AuditServiceClient::with_interceptor(
        channel(workflow.service.addr).await,
        Bearer(token(Role::Auditor, "/1/")),
    );
    let entries = auditor
        .list_audit_entries(ListAuditEntriesRequest {
            resource: format!("applications/{}", draft.application_id),
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_inner()
        .entries;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "application.created",
            "evidence.uploaded",
            "evidence.downloaded"
        ]
    );
    assert!(
        entries[2].change_json.contains("初审核对疾病证明"),
        "{}",
        entries[2].change_json
    );
}

#[tokio::test]
async fn another_branch_neither_sees_nor_adds_proof_and_a_noticed_case_takes_none() {
    let workflow = Workflow::start().await;
    let (mut member, draft) = draft(
        &workflow,
        "ev-4",
        12,
        common::HardshipCategory::MajorIllness,
    )
    .await;
    let stored = upload(
        &mut member,
        diagnosis(&draft, "某某县人民医院", HospitalLevel::County),
        PDF,
    )
    .await
    .expect("stored");
    let mut staff13 = workflow.as_role(Role::BranchStaff, "/1/4/13/").await;
    let listing = listed(&mut staff13, &draft).await.expect_err("not theirs");
    assert_eq!(listing.code(), Code::NotFound);
    let reading = staff13
        .download_evidence(pb::DownloadEvidenceRequest {
            evidence_id: stored.evidence_id.clone(),
            reason: "查看".into(),
        })
        .await
        .expect_err("not theirs");
    assert_eq!(reading.code(), Code::NotFound);
    assert!(
        !reading.message().contains(&draft.application_id),
        "{}",
        reading.message()
    );
    let adding = upload(
        &mut staff13,
        proof(&draft, Kind::PaymentReceipts, "收据.jpg", "image/jpeg"),
        JPEG,
    )
    .await
    .expect_err("not theirs");
    assert_eq!(adding.code(), Code::NotFound);
    let (_, mut neighbour) = workflow.member("ev-5", 12).await;
    assert_eq!(
        listed(&mut neighbour, &draft)
            .await
            .expect_err("not theirs")
            .code(),
        Code::NotFound
    );
    assert_eq!(listed(&mut member, &draft).await.expect("own").len(), 1);

    let noticed = to_notice(&workflow, "ev-6", 12, "/1/4/12/").await;
    let late = upload(
        &mut workflow.branch_staff().await,
        proof(&noticed, Kind::Other, "补充.pdf", "application/pdf"),
        PDF,
    )
    .await
    .expect_err("the notice runs on what the branch saw");
    assert_eq!(late.code(), Code::FailedPrecondition);
}
