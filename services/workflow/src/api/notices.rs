//! 公示 — the public notice and its objections (being built).

use relief_proto::workflow::v1 as pb;
use tonic::{Request, Response, Status};

use super::WorkflowApi;

impl WorkflowApi {
    pub(super) async fn notice_get(
        &self,
        _request: Request<pb::GetPublicNoticeRequest>,
    ) -> Result<Response<pb::PublicNotice>, Status> {
        Err(Status::unimplemented("GetPublicNotice is being built"))
    }

    pub(super) async fn notice_list(
        &self,
        _request: Request<pb::ListPublicNoticesRequest>,
    ) -> Result<Response<pb::ListPublicNoticesResponse>, Status> {
        Err(Status::unimplemented("ListPublicNotices is being built"))
    }

    pub(super) async fn objection_raise(
        &self,
        _request: Request<pb::RaiseObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        Err(Status::unimplemented("RaiseObjection is being built"))
    }

    pub(super) async fn objection_resolve(
        &self,
        _request: Request<pb::ResolveObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        Err(Status::unimplemented("ResolveObjection is being built"))
    }
}
