//! 证明材料 — proof files of an application (being built).

use relief_proto::workflow::v1 as pb;
use tonic::{Request, Response, Status, Streaming};

use super::{FileStream, WorkflowApi};

impl WorkflowApi {
    pub(super) async fn evidence_upload(
        &self,
        _request: Request<Streaming<pb::UploadEvidenceRequest>>,
    ) -> Result<Response<pb::Evidence>, Status> {
        Err(Status::unimplemented("UploadEvidence is being built"))
    }

    pub(super) async fn evidence_list(
        &self,
        _request: Request<pb::ListEvidenceRequest>,
    ) -> Result<Response<pb::ListEvidenceResponse>, Status> {
        Err(Status::unimplemented("ListEvidence is being built"))
    }

    pub(super) async fn evidence_download(
        &self,
        _request: Request<pb::DownloadEvidenceRequest>,
    ) -> Result<Response<FileStream>, Status> {
        Err(Status::unimplemented("DownloadEvidence is being built"))
    }
}
