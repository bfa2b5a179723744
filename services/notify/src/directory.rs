//! 通讯录 — whom to tell, asked of the services that own it, as the
//! notification service's own principal (role `notifier`: OrgRead and
//! RecipientsRead, nothing else): organisations from the ledger (`GetOrg`),
//! role holders and contact details from the gateway's identity service
//! (`ListRoleBindings` with ancestors, `GetUser`). Never from the caller.

use std::sync::Arc;

use relief_proto::common::v1::OrgRef;
use relief_proto::gateway::v1 as identity;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_proto::notify::v1::RecipientRole;
use relief_runtime::auth::ServicePrincipal;
use relief_runtime::client::{ServiceChannel, service_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::error::{Error, Result};
use tonic::Status;

use crate::domain::routing::covers;

/// The gateway's peer name (its identity service).
pub const GATEWAY: &str = "gateway";
/// The ledger's peer name.
pub const LEDGER: &str = "ledger";

/// A user as the identity service has them, with the contact details the
/// notification service uses (unmasked: it sends to them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    pub enabled: bool,
}

/// The owners of organisations and identities, as this service's principal.
#[derive(Clone)]
pub struct Directory {
    identity: Option<IdentityServiceClient<ServiceChannel>>,
    ledger: Option<LedgerServiceClient<ServiceChannel>>,
}

impl Directory {
    pub fn new(
        peers: &PeerSettings,
        principal: Option<&Arc<ServicePrincipal>>,
    ) -> anyhow::Result<Self> {
        let identity = service_channel(peers, GATEWAY, principal)?.map(IdentityServiceClient::new);
        let ledger = service_channel(peers, LEDGER, principal)?.map(LedgerServiceClient::new);
        if identity.is_none() {
            tracing::warn!(
                "peers.gateway or auth.service_signing_key is not configured: events are refused UNAVAILABLE (no recipients can be found)"
            );
        }
        Ok(Directory { identity, ledger })
    }

    /// The organisation as the ledger has it.
    pub async fn org(&self, org_id: i64) -> Result<OrgRef> {
        let mut ledger = self.ledger.clone().ok_or_else(|| unavailable(LEDGER))?;
        let org = ledger
            .get_org(ledger::GetOrgRequest { org_id })
            .await
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => {
                    Error::invalid("org.org_id", "no such organisation in the ledger")
                }
                _ => Error::from(status),
            })?
            .into_inner();
        Ok(OrgRef {
            org_id: org.org_id,
            path: org.path,
            name: org.name,
        })
    }

    /// Everyone holding `role` with a binding at the node `org` or above it.
    pub async fn role_holders(&self, role: RecipientRole, org: &OrgRef) -> Result<Vec<String>> {
        let mut identity = self.identity.clone().ok_or_else(|| unavailable(GATEWAY))?;
        let mut holders = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = identity
                .list_role_bindings(identity::ListRoleBindingsRequest {
                    org_id: org.org_id,
                    // The same numbers on both sides (notify.proto says so).
                    role: role as i32,
                    include_ancestors: true,
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..Default::default()
                })
                .await
                .map_err(Error::from)?
                .into_inner();
            holders.extend(
                page.role_bindings
                    .into_iter()
                    .filter(|binding| {
                        binding.role == role as i32
                            && binding
                                .org
                                .as_ref()
                                .is_some_and(|at| covers(&at.path, &org.path))
                    })
                    .map(|binding| binding.user_id),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        holders.sort();
        holders.dedup();
        Ok(holders)
    }

    /// The user, or `None` when the identity service knows no such user.
    pub async fn person(&self, user_id: &str) -> Result<Option<Person>> {
        let mut identity = self.identity.clone().ok_or_else(|| unavailable(GATEWAY))?;
        match identity
            .get_user(identity::GetUserRequest {
                user_id: user_id.to_owned(),
            })
            .await
        {
            Ok(user) => {
                let user = user.into_inner();
                Ok(Some(Person {
                    user_id: user.user_id,
                    display_name: user.display_name,
                    email: user.email,
                    mobile: user.mobile,
                    enabled: user.enabled,
                }))
            }
            Err(status)
                if matches!(
                    status.code(),
                    tonic::Code::NotFound | tonic::Code::InvalidArgument
                ) =>
            {
                Ok(None)
            }
            Err(status) => Err(Error::from(status)),
        }
    }
}

fn unavailable(peer: &str) -> Error {
    Error::Upstream(Box::new(Status::unavailable(format!(
        "the notification service cannot reach the {peer} service (peers.{peer} or its signing key is not configured)"
    ))))
}
