//! 资金拨付与发放 — funds milestones from the funds service (being built).

use relief_proto::workflow::v1 as pb;
use tonic::{Request, Response, Status};

use super::WorkflowApi;

impl WorkflowApi {
    pub(super) async fn funds_progress(
        &self,
        _request: Request<pb::RecordFundsProgressRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        Err(Status::unimplemented("RecordFundsProgress is being built"))
    }
}
