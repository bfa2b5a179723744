//! 证明材料 as the member and the branch handle it: the proof each category
//! needs before the case leaves the branch (a diagnosis only from a county
//! hospital or above), files that are not what they say or are too large,
//! the replayed upload, the audited download, and other branches kept out.

use futures::StreamExt;
use relief_proto::common::v1 as common;
use relief_proto::common::v1::ListAuditEntriesRequest;
use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::audit_service_client::AuditServiceClient;
use relief_proto::workflow::v1::upload_evidence_request::Content;
use relief_proto::workflow::v1::{EvidenceKind as Kind, HospitalLevel};
use relief_runtime::auth::Role;
use relief_runtime::error::field_violations;
use relief_tests::{Bearer, channel, token};
use tonic::{Code, Status};

use super::{Applications, Workflow, application, rid};

mod files;
mod proof;

const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
const PDF_SHA256: &str = "4e4c5515e8a2db5466c37aaaf79a7d6a49e632372778ff61fbd3174a3d5e9250";
/// `PDF` padded with spaces to 2 500 000 bytes: three chunks on the way back.
const BIG_PDF_SHA256: &str = "695598a8a04eee4336d29cc3a0323efb9e3355c3f9a39ad227cfe3568e847df8";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01";
const HEIC: &[u8] = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x08meta";
const MIB: usize = 1024 * 1024;

/// Proof of `kind` for `application`, as a file called `file_name`.
fn proof(
    application: &pb::Application,
    kind: Kind,
    file_name: &str,
    content_type: &str,
) -> pb::EvidenceUpload {
    pb::EvidenceUpload {
        application_id: application.application_id.clone(),
        kind: kind as i32,
        file_name: file_name.into(),
        content_type: content_type.into(),
        description: "复印件".into(),
        ..Default::default()
    }
}

/// A diagnosis (PDF) from a hospital of `level`.
fn diagnosis(
    application: &pb::Application,
    hospital: &str,
    level: HospitalLevel,
) -> pb::EvidenceUpload {
    pb::EvidenceUpload {
        hospital_name: hospital.into(),
        hospital_level: level as i32,
        ..proof(
            application,
            Kind::HospitalDiagnosis,
            "诊断证明.pdf",
            "application/pdf",
        )
    }
}

/// Uploads `bytes` in chunks of `chunk` bytes after the metadata.
async fn upload_in(
    client: &mut Applications,
    request_id: &str,
    metadata: pb::EvidenceUpload,
    bytes: &[u8],
    chunk: usize,
) -> Result<pb::Evidence, Status> {
    let mut messages = vec![pb::UploadEvidenceRequest {
        request_id: request_id.to_owned(),
        content: Some(Content::Metadata(metadata)),
    }];
    messages.extend(bytes.chunks(chunk).map(|data| pb::UploadEvidenceRequest {
        request_id: String::new(),
        content: Some(Content::Data(data.to_vec())),
    }));
    client
        .upload_evidence(tokio_stream::iter(messages))
        .await
        .map(tonic::Response::into_inner)
}

async fn upload(
    client: &mut Applications,
    metadata: pb::EvidenceUpload,
    bytes: &[u8],
) -> Result<pb::Evidence, Status> {
    upload_in(client, &rid(), metadata, bytes, MIB).await
}

async fn get(client: &mut Applications, application: &pb::Application) -> pb::Application {
    client
        .get_application(pb::GetApplicationRequest {
            application_id: application.application_id.clone(),
            ..Default::default()
        })
        .await
        .expect("read back")
        .into_inner()
}

async fn listed(
    client: &mut Applications,
    application: &pb::Application,
) -> Result<Vec<pb::Evidence>, Status> {
    client
        .list_evidence(pb::ListEvidenceRequest {
            application_id: application.application_id.clone(),
            ..Default::default()
        })
        .await
        .map(|answer| answer.into_inner().evidence)
}

async fn submit(
    client: &mut Applications,
    application: &pb::Application,
) -> Result<pb::Application, Status> {
    client
        .submit_application(pb::SubmitApplicationRequest {
            request_id: rid(),
            application_id: application.application_id.clone(),
            etag: application.etag.clone(),
            comment: String::new(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn fields(status: &Status) -> Vec<String> {
    field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// A draft of `category` by the member `label` of branch `branch_id`.
async fn draft(
    workflow: &Workflow,
    label: &str,
    branch_id: i64,
    category: common::HardshipCategory,
) -> (Applications, pb::Application) {
    let (member_id, mut member) = workflow.member(label, branch_id).await;
    let draft = member
        .create_application(pb::CreateApplicationRequest {
            request_id: rid(),
            application: Some(application(&member_id, branch_id, category)),
        })
        .await
        .expect("the member applies")
        .into_inner();
    (member, draft)
}
