//! 工委审批 — the department's proposal and the committee's decision (being built).

use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::committee_service_server::CommitteeService;
use tonic::{Request, Response, Status};

use super::WorkflowApi;

#[tonic::async_trait]
impl CommitteeService for WorkflowApi {
    async fn create_committee_proposal(
        &self,
        _request: Request<pb::CreateCommitteeProposalRequest>,
    ) -> Result<Response<pb::CommitteeProposal>, Status> {
        Err(Status::unimplemented(
            "CreateCommitteeProposal is being built",
        ))
    }

    async fn record_committee_decision(
        &self,
        _request: Request<pb::RecordCommitteeDecisionRequest>,
    ) -> Result<Response<pb::CommitteeDecision>, Status> {
        Err(Status::unimplemented(
            "RecordCommitteeDecision is being built",
        ))
    }
}
