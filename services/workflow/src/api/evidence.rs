//! 证明材料 (measures §四.1) — an application's proof files: uploaded as a
//! stream, listed, and downloaded for a stated reason (they may hold health
//! data, so every download is in the audit chain).
//!
//! An upload is authorised on the application before a byte is read, and the
//! limits (1 MiB a message, 20 MiB a file) hold while the bytes arrive: past
//! them it ends at once as INVALID_ARGUMENT naming `data` — the file is what
//! is wrong and a retry of the same file fails the same way, which
//! RESOURCE_EXHAUSTED (a quota, retry later) would not say. The gathered
//! upload is then one write of the pipeline, so its `request_id` is claimed
//! and bound to every byte like any other write.
//!
//! Proof is added while the case is with the applicant or the branch (DRAFT,
//! RETURNED_FOR_MATERIAL, SUBMITTED, BRANCH_REVIEW), by the applicant or the
//! branch's staff. Reviewers above the branch add none: the notice and every
//! later level judge what the branch judged, and a level that wants more
//! returns the case for material, where the applicant adds it.

use futures::StreamExt;
use relief_proto::workflow::v1::upload_evidence_request::Content;
use relief_proto::workflow::v1::{self as pb, EvidenceKind, HospitalLevel};
use relief_runtime::auth::Caller;
use relief_runtime::error::{Error, FieldViolations, Result};
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use relief_runtime::rpc::{Done, Work};
use relief_runtime::time::timestamp;
use serde_json::json;
use time::OffsetDateTime;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use super::{FileStream, WorkflowApi, access, flow};
use crate::domain::evidence::{EvidenceFile, EvidenceMeta, Received, Upload};
use crate::domain::evidence_rules;
use crate::domain::state::{self, State, WRONG_STATE};
use crate::store::{COUNTY_LEVEL_OR_ABOVE, EvidenceListing, EvidenceRow, Store};

/// The states in which proof may be added (see the module's note).
const OPEN_FOR_PROOF: [State; 4] = [
    State::Draft,
    State::ReturnedForMaterial,
    State::Submitted,
    State::BranchReview,
];

/// ListEvidence, parsed.
pub struct EvidenceQuery {
    application_id: Uuid,
    kind: Option<i32>,
    page: Page<Uuid>,
}

impl TryFrom<pb::ListEvidenceRequest> for EvidenceQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListEvidenceRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListEvidence", &r, &mut violations);
        let application_id = ids::uuid(&r.application_id, "application_id", &mut violations);
        violations.check(
            EvidenceKind::try_from(r.kind).is_err(),
            "kind",
            "unknown value",
        );
        violations.then(|| EvidenceQuery {
            application_id: application_id.unwrap_or_default(),
            kind: (r.kind != 0).then_some(r.kind),
            page,
        })
    }
}

/// DownloadEvidence, parsed: which file, and why it is read.
pub struct EvidenceRead {
    evidence_id: Uuid,
    reason: String,
}

impl TryFrom<pb::DownloadEvidenceRequest> for EvidenceRead {
    type Error = FieldViolations;
    fn try_from(r: pb::DownloadEvidenceRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let evidence_id = ids::uuid(&r.evidence_id, "evidence_id", &mut violations);
        violations.check_required_line(
            "reason",
            &r.reason,
            500,
            "required: why the file is read (it may hold health data)",
        );
        violations.then(|| EvidenceRead {
            evidence_id: evidence_id.unwrap_or_default(),
            reason: r.reason.trim().to_owned(),
        })
    }
}

impl WorkflowApi {
    pub(super) async fn evidence_upload(
        &self,
        request: Request<Streaming<pb::UploadEvidenceRequest>>,
    ) -> Result<Response<pb::Evidence>, Status> {
        let caller = self.rpc.caller(&request)?;
        let upload = self.receive(&caller, request.into_inner()).await?;
        self.rpc
            .write_message(
                "UploadEvidence",
                caller,
                upload,
                |caller, file: EvidenceFile, work| self.store_evidence(caller, file, work),
            )
            .await
            .map(Response::new)
            .map_err(|err| self.rpc.status(err))
    }

    /// Reads the metadata, authorises the caller on the application, then
    /// gathers the bytes within the limits.
    async fn receive(
        &self,
        caller: &Caller,
        mut stream: Streaming<pb::UploadEvidenceRequest>,
    ) -> Result<Upload, Status> {
        let refuse = |err: Error| self.rpc.status(err);
        let first = stream.next().await.transpose()?.unwrap_or_default();
        let mut violations = FieldViolations::new();
        violations.check_request_id(&first.request_id);
        let metadata = match first.content {
            Some(Content::Metadata(metadata)) => Some(metadata),
            _ => {
                violations.add(
                    "metadata",
                    "required in the first message, before the bytes",
                );
                None
            }
        };
        let meta = metadata
            .as_ref()
            .and_then(|metadata| EvidenceMeta::parse(metadata, &mut violations));
        let (Some(meta), true) = (meta, violations.is_empty()) else {
            return Err(refuse(Error::Invalid(violations)));
        };
        let application = self
            .store
            .application(meta.application_id)
            .await
            .map_err(refuse)?
            .ok_or_else(|| {
                refuse(Error::not_found(format!(
                    "application {}",
                    meta.application_id
                )))
            })?;
        access::applicant(caller, &application).map_err(refuse)?;
        let mut received = Received::default();
        while let Some(message) = stream.next().await.transpose()? {
            match message.content {
                Some(Content::Data(chunk)) => received
                    .push(&chunk)
                    .map_err(|bad| refuse(Error::Invalid(bad)))?,
                Some(Content::Metadata(_)) => {
                    return Err(refuse(Error::invalid(
                        "metadata",
                        "only in the first message; the others carry the bytes",
                    )));
                }
                None => {}
            }
        }
        Ok(Upload {
            request_id: first.request_id,
            metadata,
            data: received.into_bytes(),
        })
    }

    /// Stores the file on the locked application, with a step and an audit
    /// entry, and a new version (so every etag read before is stale).
    async fn store_evidence(
        &self,
        caller: Caller,
        file: EvidenceFile,
        mut work: Work,
    ) -> Result<Done<pb::Evidence>> {
        let meta = &file.meta;
        let mut application = Store::lock_application(work.tx(), meta.application_id).await?;
        access::applicant(&caller, &application)?;
        let current = state::from_stored(application.state)?;
        if !OPEN_FOR_PROOF.contains(&current) {
            return Err(Error::refused(
                WRONG_STATE,
                format!(
                    "proof is added while the application is with the applicant or the branch; this one is {} — a reviewer who needs more returns it for material",
                    state::name(current)
                ),
            ));
        }
        // The database keeps microseconds: the answer shows what a listing will.
        let now = OffsetDateTime::now_utc();
        let now = now
            .replace_nanosecond(now.nanosecond() / 1000 * 1000)
            .unwrap_or(now);
        let actor = work.actor().clone();
        let row = EvidenceRow {
            evidence_id: Uuid::new_v4(),
            application_id: meta.application_id,
            kind: meta.kind as i32,
            file_name: meta.file_name.clone(),
            content_type: meta.file_type.mime().to_owned(),
            sha256: file.sha256.clone(),
            size_bytes: i64::try_from(file.content.len()).unwrap_or(i64::MAX),
            description: meta.description.clone(),
            hospital_name: meta.hospital_name.clone(),
            hospital_level: meta.hospital_level as i32,
            uploaded_by_id: actor.user_id,
            uploaded_by_name: actor.display_name,
            uploaded_at: now,
        };
        Store::insert_evidence(work.tx(), &row, &file.content).await?;
        flow::note(
            &mut work,
            &mut application,
            "evidence.uploaded",
            &step_comment(&row),
            now,
        )
        .await?;
        application.version = Store::save_application(work.tx(), &application).await?;
        Ok(work.done(evidence(&row)))
    }

    pub(super) async fn evidence_list(
        &self,
        request: Request<pb::ListEvidenceRequest>,
    ) -> Result<Response<pb::ListEvidenceResponse>, Status> {
        self.rpc
            .read(request, |caller, query: EvidenceQuery| {
                self.list_evidence(caller, query)
            })
            .await
    }

    async fn list_evidence(
        &self,
        caller: Caller,
        query: EvidenceQuery,
    ) -> Result<pb::ListEvidenceResponse> {
        let application = self
            .store
            .application(query.application_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("application {}", query.application_id)))?;
        access::read(&caller, &application)?;
        let mut rows = self
            .store
            .evidence(&EvidenceListing {
                application_id: query.application_id,
                kind: query.kind,
                after: query.page.after,
                limit: query.page.fetch(),
            })
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.evidence_id);
        Ok(pb::ListEvidenceResponse {
            evidence: rows.iter().map(evidence).collect(),
            next_page_token,
        })
    }

    pub(super) async fn evidence_download(
        &self,
        request: Request<pb::DownloadEvidenceRequest>,
    ) -> Result<Response<FileStream>, Status> {
        let caller = self.rpc.caller(&request)?;
        let query = EvidenceRead::try_from(request.into_inner())
            .map_err(|violations| self.rpc.status(Error::Invalid(violations)))?;
        self.download(caller, query)
            .await
            .map(Response::new)
            .map_err(|err| self.rpc.status(err))
    }

    /// The file, once its reader is authorised and the read is in the audit
    /// chain: nothing is sent unless it was recorded.
    async fn download(&self, caller: Caller, query: EvidenceRead) -> Result<FileStream> {
        // A caller who may not read the application learns nothing of the
        // file, not even which application it belongs to.
        let hidden = || Error::not_found(format!("evidence {}", query.evidence_id));
        let row = self
            .store
            .evidence_file(query.evidence_id)
            .await?
            .ok_or_else(hidden)?;
        let application = self
            .store
            .application(row.application_id)
            .await?
            .ok_or_else(hidden)?;
        access::read(&caller, &application).map_err(|_| hidden())?;
        let content = self.store.evidence_content(row.evidence_id).await?;
        let mut tx = self.store.pool().begin().await?;
        relief_runtime::audit::append(
            &mut tx,
            &caller.actor(),
            "evidence.downloaded",
            &format!("applications/{}", row.application_id),
            &json!({
                "evidence_id": row.evidence_id,
                "kind": row.kind,
                "sha256": row.sha256,
                "reason": query.reason,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(relief_runtime::files::file_stream(
            row.file_name,
            row.content_type,
            content,
        ))
    }
}

/// A stored file as the API shows it.
fn evidence(row: &EvidenceRow) -> pb::Evidence {
    pb::Evidence {
        evidence_id: row.evidence_id.to_string(),
        application_id: row.application_id.to_string(),
        kind: row.kind,
        file_name: row.file_name.clone(),
        content_type: row.content_type.clone(),
        sha256: row.sha256.clone(),
        size_bytes: row.size_bytes,
        description: row.description.clone(),
        uploaded_by: ids::actor(&row.uploaded_by_id, &row.uploaded_by_name),
        upload_time: Some(timestamp(row.uploaded_at)),
        hospital_name: row.hospital_name.clone(),
        hospital_level: row.hospital_level,
    }
}

/// The step's comment, for the clerks reading the history: what was added,
/// its hash, and whether a diagnosis counts as the required proof.
fn step_comment(row: &EvidenceRow) -> String {
    let kind = EvidenceKind::try_from(row.kind).unwrap_or_default();
    // The rules' name of a diagnosis says "county level or above", which
    // this one may not be.
    let name = match kind {
        EvidenceKind::HospitalDiagnosis => "疾病证明",
        other => evidence_rules::name(other),
    };
    let mut comment = format!(
        "{name}「{}」（{} 字节，SHA-256 {}）",
        row.file_name, row.size_bytes, row.sha256
    );
    if kind == EvidenceKind::HospitalDiagnosis {
        comment.push_str(&format!(
            "，{}（{}）",
            row.hospital_name,
            hospital_level_name(row.hospital_level)
        ));
        if row.hospital_level < COUNTY_LEVEL_OR_ABOVE {
            comment.push_str("：县级以下医院的诊断不计入所需证明");
        }
    }
    comment
}

/// The Chinese name of a hospital level.
fn hospital_level_name(level: i32) -> &'static str {
    match HospitalLevel::try_from(level).unwrap_or_default() {
        HospitalLevel::BelowCounty => "县级以下",
        HospitalLevel::County => "县级",
        HospitalLevel::City => "市级",
        HospitalLevel::ProvinceOrAbove => "省级及以上",
        HospitalLevel::Unspecified => "未指定",
    }
}
