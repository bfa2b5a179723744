//! The gRPC surface of identity (`relief.gateway.v1.IdentityService`). Each
//! handler names the command its request parses into and the work to do;
//! the runtime's pipeline (`relief_runtime::rpc`) does the rest. Sessions
//! ([`sessions`]: login, token exchange, refresh, logout, who am I) are open
//! to callers without a token and keep their own transactions; users
//! ([`users`]) and role bindings ([`bindings`]) are reads and idempotent writes.

mod bindings;
mod convert;
pub mod gates;
mod sessions;
mod users;

pub use sessions::SessionPolicy;

use std::sync::Arc;
use std::time::Duration;

use relief_proto::common::v1 as common;
use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_server::IdentityService;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::{Caller, TokenSigner};
use relief_runtime::client::{CallAs, PeerInterceptor};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::Rpc;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use crate::domain::bindings::{BindingListing, Grant, Revocation};
use crate::domain::sessions::{Credentials, ExternalToken, Farewell, Renewal, WhoAmI};
use crate::domain::users::{
    Enablement, NewUser, PasswordChange, UserChange, UserListing, UserQuery,
};
use crate::ended::EndedSessions;
use crate::oidc::OidcVerifier;
use crate::store::Store;

use self::bindings::Bindings;
use self::sessions::{Sessions, address};
use self::users::Users;

#[derive(Clone)]
pub struct IdentityApi {
    rpc: Rpc,
    sessions: Sessions,
    users: Users,
    bindings: Bindings,
}

impl IdentityApi {
    pub fn new(
        rpc: Rpc,
        signer: Arc<TokenSigner>,
        policy: SessionPolicy,
        ledger: Option<Channel>,
        peer_timeout: Duration,
        oidc: Option<Arc<OidcVerifier>>,
        ended: Arc<EndedSessions>,
    ) -> Self {
        let store = Store::new(rpc.pool().clone());
        let orgs = Orgs {
            ledger,
            peer_timeout,
        };
        let committee = rpc.committee().clone();
        IdentityApi {
            sessions: Sessions::new(store.clone(), signer, policy, oidc, ended.clone()),
            users: Users::new(store.clone(), orgs.clone(), committee.clone(), ended),
            bindings: Bindings::new(store, orgs, committee),
            rpc,
        }
    }

    /// Creates the first administrator when no user exists yet.
    pub async fn bootstrap_admin(&self, login_name: &str, password: &str) -> anyhow::Result<()> {
        self.users.bootstrap_admin(login_name, password).await
    }
}

/// The organisations roles are granted on, as the ledger knows them.
#[derive(Clone)]
struct Orgs {
    ledger: Option<Channel>,
    peer_timeout: Duration,
}

impl Orgs {
    /// The organisation `org_id` (named by `field` in the request), asked
    /// with the caller's own authority, so they must be able to see it.
    async fn get(&self, caller: &Caller, org_id: i64, field: &str) -> Result<common::OrgRef> {
        let channel = self.ledger.clone().ok_or_else(|| {
            Error::refused(
                "LEDGER_NOT_CONFIGURED",
                "the ledger service is not configured (peers.ledger)",
            )
        })?;
        let mut ledger = LedgerServiceClient::with_interceptor(
            channel,
            PeerInterceptor::new(CallAs::Caller(caller.clone()), self.peer_timeout),
        );
        let org = ledger
            .get_org(relief_proto::ledger::v1::GetOrgRequest { org_id })
            .await
            .map_err(|status| match status.code() {
                tonic::Code::NotFound => Error::invalid(field, "no such organisation"),
                _ => Error::from(status),
            })?
            .into_inner();
        Ok(common::OrgRef {
            org_id: org.org_id,
            path: org.path,
            name: org.name,
        })
    }
}

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let from = address(&request);
        self.rpc
            .open(request, |_, credentials: Credentials| {
                self.sessions.login(credentials, from)
            })
            .await
    }

    async fn exchange_token(
        &self,
        request: Request<pb::ExchangeTokenRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let from = address(&request);
        self.rpc
            .open(request, |_, token: ExternalToken| {
                self.sessions.exchange(token, from)
            })
            .await
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::RefreshResponse>, Status> {
        let from = address(&request);
        self.rpc
            .open(request, |_, renewal: Renewal| {
                self.sessions.refresh(renewal, from)
            })
            .await
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let from = address(&request);
        self.rpc
            .open(request, |caller, farewell: Farewell| {
                self.sessions.logout(caller, farewell, from)
            })
            .await
    }

    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::WhoAmIResponse>, Status> {
        self.rpc
            .read(request, |caller, _: WhoAmI| self.sessions.who_am_i(caller))
            .await
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .write("CreateUser", request, |caller, user: NewUser, work| {
                self.users.create(caller, user, work)
            })
            .await
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .read(request, |caller, query: UserQuery| {
                self.users.get(caller, query)
            })
            .await
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        self.rpc
            .read(request, |caller, listing: UserListing| {
                self.users.list(caller, listing)
            })
            .await
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .write("UpdateUser", request, |caller, change: UserChange, work| {
                self.users.update(caller, change, work)
            })
            .await
    }

    async fn set_password(
        &self,
        request: Request<pb::SetPasswordRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .write(
                "SetPassword",
                request,
                |caller, change: PasswordChange, work| {
                    self.users.set_password(caller, change, work)
                },
            )
            .await
    }

    async fn disable_user(
        &self,
        request: Request<pb::DisableUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .write(
                "DisableUser",
                request,
                |caller, change: Enablement, work| self.users.set_enabled(caller, change, work),
            )
            .await
    }

    async fn enable_user(
        &self,
        request: Request<pb::EnableUserRequest>,
    ) -> Result<Response<pb::User>, Status> {
        self.rpc
            .write("EnableUser", request, |caller, change: Enablement, work| {
                self.users.set_enabled(caller, change, work)
            })
            .await
    }

    async fn create_role_binding(
        &self,
        request: Request<pb::CreateRoleBindingRequest>,
    ) -> Result<Response<pb::RoleBinding>, Status> {
        self.rpc
            .write(
                "CreateRoleBinding",
                request,
                |caller, grant: Grant, work| self.bindings.grant(caller, grant, work),
            )
            .await
    }

    async fn delete_role_binding(
        &self,
        request: Request<pb::DeleteRoleBindingRequest>,
    ) -> Result<Response<()>, Status> {
        self.rpc
            .write(
                "DeleteRoleBinding",
                request,
                |caller, revocation: Revocation, work| {
                    self.bindings.revoke(caller, revocation, work)
                },
            )
            .await
    }

    async fn list_role_bindings(
        &self,
        request: Request<pb::ListRoleBindingsRequest>,
    ) -> Result<Response<pb::ListRoleBindingsResponse>, Status> {
        self.rpc
            .read(request, |caller, listing: BindingListing| {
                self.bindings.list(caller, listing)
            })
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
