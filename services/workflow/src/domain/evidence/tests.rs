//! The checks of an upload, each with a file that passes and one that fails.

use super::*;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

fn diagnosis() -> pb::EvidenceUpload {
    pb::EvidenceUpload {
        application_id: Uuid::new_v4().to_string(),
        kind: EvidenceKind::HospitalDiagnosis as i32,
        file_name: "诊断证明.PDF".into(),
        content_type: "application/pdf".into(),
        description: "县人民医院 2026-10-12".into(),
        hospital_name: "某某县人民医院".into(),
        hospital_level: HospitalLevel::County as i32,
        ..Default::default()
    }
}

fn upload(metadata: pb::EvidenceUpload, data: &[u8]) -> Upload {
    Upload {
        request_id: "r-1".into(),
        metadata: Some(metadata),
        data: data.to_vec(),
    }
}

fn fields(violations: &FieldViolations) -> Vec<&str> {
    violations.iter().map(|(field, _)| field).collect()
}

#[test]
fn a_diagnosis_in_a_pdf_is_accepted_with_its_hash_whatever_the_hospital_level() {
    let file = EvidenceFile::try_from(upload(diagnosis(), PDF)).expect("valid");
    assert_eq!(file.sha256, hex::encode(Sha256::digest(PDF)));
    assert_eq!(file.meta.file_type, FileType::Pdf);
    let mut township = diagnosis();
    township.hospital_level = HospitalLevel::BelowCounty as i32;
    let file = EvidenceFile::try_from(upload(township, PDF)).expect("stored all the same");
    assert_eq!(file.meta.hospital_level, HospitalLevel::BelowCounty);
}

#[test]
fn every_bad_metadata_field_is_named_at_once() {
    let bad = pb::EvidenceUpload {
        application_id: "x".into(),
        kind: 99,
        file_name: "../etc/passwd".into(),
        content_type: "text/html".into(),
        expected_sha256: "abc".into(),
        hospital_name: "某医院".into(),
        ..Default::default()
    };
    let mut violations = FieldViolations::new();
    assert_eq!(EvidenceMeta::parse(&bad, &mut violations), None);
    assert_eq!(
        fields(&violations),
        [
            "metadata.application_id",
            "metadata.kind",
            "metadata.content_type",
            "metadata.file_name",
            "metadata.expected_sha256",
            "metadata.hospital_name",
        ]
    );
}

#[test]
fn a_diagnosis_names_its_hospital_and_a_receipt_does_not() {
    let mut violations = FieldViolations::new();
    let mut bare = diagnosis();
    bare.hospital_name = " ".into();
    bare.hospital_level = 0;
    assert_eq!(EvidenceMeta::parse(&bare, &mut violations), None);
    assert_eq!(
        fields(&violations),
        ["metadata.hospital_name", "metadata.hospital_level"]
    );
    let mut receipt = diagnosis();
    receipt.kind = EvidenceKind::PaymentReceipts as i32;
    let mut violations = FieldViolations::new();
    assert_eq!(EvidenceMeta::parse(&receipt, &mut violations), None);
    assert_eq!(
        fields(&violations),
        ["metadata.hospital_name", "metadata.hospital_level"]
    );
}

#[test]
fn the_name_fits_the_type() {
    let mut photo = diagnosis();
    photo.content_type = "image/jpeg".into();
    photo.file_name = "诊断证明.pdf".into();
    let mut violations = FieldViolations::new();
    assert_eq!(EvidenceMeta::parse(&photo, &mut violations), None);
    assert_eq!(fields(&violations), ["metadata.file_name"]);
    photo.file_name = "IMG_0001.JPEG".into();
    let mut violations = FieldViolations::new();
    assert!(EvidenceMeta::parse(&photo, &mut violations).is_some());
}

#[test]
fn content_that_is_not_the_declared_type_is_refused_naming_the_type() {
    let mut png = diagnosis();
    png.content_type = "image/png".into();
    png.file_name = "诊断证明.png".into();
    let refused = EvidenceFile::try_from(upload(png, PDF)).expect_err("a PDF named PNG");
    assert_eq!(fields(&refused), ["metadata.content_type"]);
    let refused = EvidenceFile::try_from(upload(diagnosis(), b"<script>alert(1)</script>"))
        .expect_err("no proof type at all");
    assert_eq!(fields(&refused), ["metadata.content_type"]);
}

#[test]
fn a_hash_the_client_expects_must_be_the_contents() {
    let mut expecting = diagnosis();
    expecting.expected_sha256 = hex::encode(Sha256::digest(PDF)).to_uppercase();
    assert!(EvidenceFile::try_from(upload(expecting.clone(), PDF)).is_ok());
    expecting.expected_sha256 = "0".repeat(64);
    let refused = EvidenceFile::try_from(upload(expecting, PDF)).expect_err("mismatch");
    assert_eq!(fields(&refused), ["metadata.expected_sha256"]);
}

#[test]
fn no_bytes_or_no_metadata_is_named() {
    let refused = EvidenceFile::try_from(upload(diagnosis(), b"")).expect_err("empty");
    assert_eq!(fields(&refused), ["data"]);
    let refused = EvidenceFile::try_from(Upload {
        metadata: None,
        ..upload(diagnosis(), PDF)
    })
    .expect_err("no metadata");
    assert_eq!(fields(&refused), ["metadata"]);
}

#[test]
fn the_limits_hold_while_receiving() {
    let mut received = Received::default();
    let mib = vec![0_u8; MAX_CHUNK_BYTES];
    for _ in 0..20 {
        received.push(&mib).expect("within 20 MiB");
    }
    let refused = received.push(b"x").expect_err("one byte too many");
    assert_eq!(fields(&refused), ["data"]);
    let refused = Received::default()
        .push(&vec![0_u8; MAX_CHUNK_BYTES + 1])
        .expect_err("a chunk too large");
    assert_eq!(fields(&refused), ["data"]);
    assert_eq!(received.into_bytes().len(), MAX_FILE_BYTES);
}
