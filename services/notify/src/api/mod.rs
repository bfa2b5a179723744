//! The gRPC surface of the notification service. Every RPC goes through the
//! runtime's pipeline (`relief_runtime::rpc`): the request is parsed into a
//! command of [`crate::domain::commands`] (every bad field named); the act
//! here authorises the caller, asks the domain, and has the store make the
//! change — with its audit entry — in the pipeline's transaction.

mod convert;
mod events;
pub mod gates;
mod inbox;
mod preferences;
mod templates;

use relief_proto::common::v1 as common;
use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::notification_service_server::NotificationService;
use relief_runtime::rpc::Rpc;
use tonic::{Request, Response, Status};

use crate::directory::Directory;
use crate::store::Store;

/// The notification service's RPCs, each through the pipeline.
pub struct NotifyApi {
    rpc: Rpc,
    notify: Notify,
}

impl NotifyApi {
    pub fn new(rpc: Rpc, store: Store, directory: Directory) -> Self {
        let committee = rpc.committee().clone();
        NotifyApi {
            rpc,
            notify: Notify {
                store,
                directory,
                committee,
            },
        }
    }
}

/// What the acts share: the store, the directory of organisations and
/// people, and the committee (root of the tree: templates and the delivery
/// log are the whole tree's).
pub(crate) struct Notify {
    store: Store,
    directory: Directory,
    committee: common::OrgRef,
}

#[tonic::async_trait]
impl NotificationService for NotifyApi {
    async fn publish_event(
        &self,
        request: Request<pb::PublishEventRequest>,
    ) -> Result<Response<pb::PublishEventResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .write("PublishEvent", request, |caller, event, work| {
                notify.publish(caller, event, work)
            })
            .await
    }

    async fn list_inbox(
        &self,
        request: Request<pb::ListInboxRequest>,
    ) -> Result<Response<pb::ListInboxResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, query| notify.list_inbox(caller, query))
            .await
    }

    async fn mark_read(
        &self,
        request: Request<pb::MarkReadRequest>,
    ) -> Result<Response<pb::MarkReadResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .write("MarkRead", request, |caller, command, work| {
                notify.mark_read(caller, command, work)
            })
            .await
    }

    async fn list_delivery_attempts(
        &self,
        request: Request<pb::ListDeliveryAttemptsRequest>,
    ) -> Result<Response<pb::ListDeliveryAttemptsResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, query| notify.list_attempts(caller, query))
            .await
    }

    async fn get_template(
        &self,
        request: Request<pb::GetTemplateRequest>,
    ) -> Result<Response<pb::Template>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, key| notify.get_template(caller, key))
            .await
    }

    async fn list_templates(
        &self,
        request: Request<pb::ListTemplatesRequest>,
    ) -> Result<Response<pb::ListTemplatesResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, query| {
                notify.list_templates(caller, query)
            })
            .await
    }

    async fn update_template(
        &self,
        request: Request<pb::UpdateTemplateRequest>,
    ) -> Result<Response<pb::Template>, Status> {
        let notify = &self.notify;
        self.rpc
            .write("UpdateTemplate", request, |caller, change, work| {
                notify.update_template(caller, change, work)
            })
            .await
    }

    async fn preview_template(
        &self,
        request: Request<pb::PreviewTemplateRequest>,
    ) -> Result<Response<pb::PreviewTemplateResponse>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, preview| notify.preview(caller, preview))
            .await
    }

    async fn get_contact_preferences(
        &self,
        request: Request<pb::GetContactPreferencesRequest>,
    ) -> Result<Response<pb::ContactPreferences>, Status> {
        let notify = &self.notify;
        self.rpc
            .read(request, |caller, query| {
                notify.get_preferences(caller, query)
            })
            .await
    }

    async fn update_contact_preferences(
        &self,
        request: Request<pb::UpdateContactPreferencesRequest>,
    ) -> Result<Response<pb::ContactPreferences>, Status> {
        let notify = &self.notify;
        self.rpc
            .write(
                "UpdateContactPreferences",
                request,
                |caller, change, work| notify.update_preferences(caller, change, work),
            )
            .await
    }

    async fn verify_audit_chain(
        &self,
        request: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        relief_runtime::audit::verify_chain(&self.rpc, request).await
    }

    async fn list_audit_entries(
        &self,
        request: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        relief_runtime::audit::list_entries(&self.rpc, request).await
    }
}
