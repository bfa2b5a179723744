//! 《生活困难党员救助审批表》 — the approval form (being built).

use relief_proto::workflow::v1 as pb;
use tonic::{Request, Response, Status};

use super::{FileStream, WorkflowApi};

impl WorkflowApi {
    pub(super) async fn approval_form_export(
        &self,
        _request: Request<pb::ExportApprovalFormRequest>,
    ) -> Result<Response<FileStream>, Status> {
        Err(Status::unimplemented("ExportApprovalForm is being built"))
    }
}
