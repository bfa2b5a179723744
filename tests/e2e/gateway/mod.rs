//! The gateway, as web frontends and outside clients use it: log in, then call
//! every service through JSON over HTTP, gRPC and gRPC-Web.

mod administration;
mod bad_input;
mod edge;
mod escalation;
mod forced_change;
mod lockout;
mod mobiles;
mod oidc;
mod oversized;
mod paging;
mod peers;
mod reflection;
mod revocation;
mod sessions;
mod text_fields;

use prost::Message;
use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_tests::{
    ADMIN_LOGIN, ADMIN_PASSWORD, Bearer, GatewayOptions, Spawned, channel, spawn_gateway,
    spawn_ledger,
};
use serde_json::{Value, json};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub const STAFF_PASSWORD: &str = "Branch-staff-2026";

pub type Identity = IdentityServiceClient<InterceptedService<Channel, Bearer>>;
pub type Ledger = LedgerServiceClient<InterceptedService<Channel, Bearer>>;

/// A ledger behind a gateway, with a superior organisation, branches A and B,
/// and a branch staff user for each branch.
pub struct Door {
    /// Kept so the ledger runs as long as the door.
    pub _ledger: Spawned,
    pub gateway: Spawned,
    pub http: reqwest::Client,
    pub admin_token: String,
    pub branch_a: ledger::Org,
    pub branch_b: ledger::Org,
    pub staff_a: pb::User,
}

impl Door {
    pub async fn new(options: GatewayOptions) -> Door {
        let ledger = spawn_ledger().await;
        let gateway = spawn_gateway(&ledger, options).await;
        let http = reqwest::Client::new();
        let admin_token = login_json(&http, &gateway, ADMIN_LOGIN, ADMIN_PASSWORD).await["tokens"]
            ["accessToken"]
            .as_str()
            .expect("admin token")
            .to_owned();
        let mut admin_ledger = ledger_client(&gateway, &admin_token).await;
        let org = |parent_id: i64, kind: ledger::OrgKind, name: &str| ledger::CreateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            parent_id,
            kind: kind as i32,
            name: name.to_owned(),
            unit_name: "焦作市财政局".to_owned(),
        };
        let superior = admin_ledger
            .create_org(org(1, ledger::OrgKind::Superior, "市财政局机关党委"))
            .await
            .expect("superior through the gateway")
            .into_inner();
        let branch_a = admin_ledger
            .create_org(org(
                superior.org_id,
                ledger::OrgKind::Branch,
                "预算科党支部",
            ))
            .await
            .expect("branch A")
            .into_inner();
        let branch_b = admin_ledger
            .create_org(org(
                superior.org_id,
                ledger::OrgKind::Branch,
                "国库科党支部",
            ))
            .await
            .expect("branch B")
            .into_inner();
        let mut door = Door {
            _ledger: ledger,
            gateway,
            http,
            admin_token,
            branch_a,
            branch_b,
            staff_a: pb::User::default(),
        };
        let branch_a = door.branch_a.clone();
        door.staff_a = door.user("staff.a", pb::Role::BranchStaff, &branch_a).await;
        door
    }

    pub async fn identity(&self, token: &str) -> Identity {
        IdentityServiceClient::with_interceptor(
            channel(self.gateway.addr).await,
            Bearer(token.to_owned()),
        )
    }

    /// Creates a user with `role` on `org` (as the administrator), ready to
    /// work: the administrator then sets the password without the forced
    /// change every new user gets.
    pub async fn user(&self, login: &str, role: pb::Role, org: &ledger::Org) -> pb::User {
        let user = self.new_user(login, role, org).await;
        self.identity(&self.admin_token)
            .await
            .set_password(pb::SetPasswordRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                user_id: user.user_id.clone(),
                current_password: String::new(),
                new_password: STAFF_PASSWORD.to_owned(),
                require_change: false,
            })
            .await
            .expect("setting the password without forced change")
            .into_inner()
    }

    /// Creates a user with `role` on `org` (as the administrator), who must
    /// change the initial password (`STAFF_PASSWORD`) before anything else.
    pub async fn new_user(&self, login: &str, role: pb::Role, org: &ledger::Org) -> pb::User {
        let mut admin = self.identity(&self.admin_token).await;
        let user = admin
            .create_user(pb::CreateUserRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                user: Some(pb::User {
                    login_name: login.to_owned(),
                    display_name: format!("{} 专干", org.name),
                    ..Default::default()
                }),
                initial_password: STAFF_PASSWORD.to_owned(),
            })
            .await
            .expect("creating a user")
            .into_inner();
        admin
            .create_role_binding(pb::CreateRoleBindingRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                role_binding: Some(pb::RoleBinding {
                    user_id: user.user_id.clone(),
                    role: role as i32,
                    org: Some(relief_proto::common::v1::OrgRef {
                        org_id: org.org_id,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                reason: "负责本支部困难党员台账".to_owned(),
            })
            .await
            .expect("granting the role");
        user
    }

    /// Logs in over gRPC and returns the access token.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let mut identity = IdentityServiceClient::new(channel(self.gateway.addr).await);
        identity
            .login(pb::LoginRequest {
                request_id: String::new(),
                login_name: login.to_owned(),
                password: password.to_owned(),
            })
            .await
            .expect("login")
            .into_inner()
            .tokens
            .expect("tokens")
            .access_token
    }

    /// POSTs JSON to `/v1/{method}` with a token; answers status and body.
    pub async fn post(&self, method: &str, token: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.gateway.url(&format!("/v1/{method}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("HTTP call");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

pub async fn ledger_client(gateway: &Spawned, token: &str) -> Ledger {
    LedgerServiceClient::with_interceptor(channel(gateway.addr).await, Bearer(token.to_owned()))
}

pub async fn login_json(
    http: &reqwest::Client,
    gateway: &Spawned,
    login: &str,
    password: &str,
) -> Value {
    let response = http
        .post(gateway.url("/v1/relief.gateway.v1.IdentityService/Login"))
        .json(&json!({ "loginName": login, "password": password }))
        .send()
        .await
        .expect("login over HTTP");
    assert_eq!(response.status(), 200, "login {login}");
    response.json().await.expect("login JSON")
}

/// One gRPC-Web call: the grpc-status and, on success, the answer's bytes.
pub async fn grpc_web(
    http: &reqwest::Client,
    gateway: &Spawned,
    path: &str,
    token: &str,
    request: &impl Message,
) -> (String, Option<Vec<u8>>) {
    let payload = request.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend((payload.len() as u32).to_be_bytes());
    frame.extend(payload);
    let response = http
        .post(gateway.url(path))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .bearer_auth(token)
        .body(frame)
        .send()
        .await
        .expect("gRPC-Web call");
    assert_eq!(response.status(), 200);
    let header_status = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let body = response.bytes().await.expect("body").to_vec();
    let mut message = None;
    let mut status = header_status;
    let mut at = 0;
    while at + 5 <= body.len() {
        let flag = body[at];
        let length =
            u32::from_be_bytes([body[at + 1], body[at + 2], body[at + 3], body[at + 4]]) as usize;
        let data = &body[at + 5..at + 5 + length];
        if flag & 0x80 == 0 {
            message = Some(data.to_vec());
        } else {
            let trailers = String::from_utf8_lossy(data);
            for line in trailers.split("\r\n") {
                if let Some(value) = line.strip_prefix("grpc-status:") {
                    status = Some(value.trim().to_owned());
                }
            }
        }
        at += 5 + length;
    }
    (status.unwrap_or_default(), message)
}
