//! The notification service (通知), driven like its callers drive it: the
//! services' relays publish events, people read their inboxes through the
//! gateway, mail arrives at a real SMTP server and SMS at a local provider,
//! and operations read every attempt.

mod bad_input;
mod delivery;
mod duplicates;
mod email;
mod inbox;
mod interrupted;
mod preferences;
mod relay;
mod reminders;
mod restart;
mod routing;
mod sms;
mod story;
mod templates;

use std::collections::HashMap;
use std::time::Duration;

use relief_mailcatcher::MailCatcher;
use relief_proto::common::v1::OrgRef;
use relief_proto::gateway::v1 as identity;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as ledger;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::notification_service_client::NotificationServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use relief_tests::notify::{
    SmsProvider, free_port, mail_catcher, notify_settings, relay_token, spawn_notify,
};
use relief_tests::{
    ADMIN_LOGIN, ADMIN_PASSWORD, Bearer, GatewayOptions, Spawned, channel, spawn_gateway,
    spawn_ledger_for_peers, token_for, unique_schema,
};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

pub type Notify = NotificationServiceClient<InterceptedService<Channel, Bearer>>;

/// A person of the town: their identity user and a token of theirs.
#[derive(Clone)]
pub struct Person {
    pub user: identity::User,
    pub token: String,
}

/// A ledger with a unit (a superior organisation) and two branches under it,
/// a gateway with people bound across them, the notification service (its
/// port reserved, so the gateway forwards to it), an SMTP catcher and an SMS
/// provider.
pub struct Town {
    pub ledger: Spawned,
    pub gateway: Spawned,
    pub notify: Spawned,
    pub mail: MailCatcher,
    pub sms: SmsProvider,
    pub admin: String,
    pub unit: ledger::Org,
    pub branch_a: ledger::Org,
    pub branch_b: ledger::Org,
    /// Branch staff of A (e-mail and mobile), of B, the unit's finance and
    /// superior organisation, the department at the committee, operations.
    pub people: HashMap<&'static str, Person>,
}

impl Town {
    /// A town whose SMTP server refuses the first `refuse` messages.
    pub async fn new() -> Town {
        Town::with_mail(mail_catcher(0, "").await).await
    }

    pub async fn with_mail(mail: MailCatcher) -> Town {
        let ledger = spawn_ledger_for_peers().await;
        let notify_port = free_port();
        let gateway = spawn_gateway(
            &ledger,
            GatewayOptions {
                peers: vec![("notify".into(), ([127, 0, 0, 1], notify_port).into())],
                ..GatewayOptions::default()
            },
        )
        .await;
        let sms = SmsProvider::start().await;
        let mut settings = notify_settings(
            &unique_schema("notify"),
            ledger.addr,
            gateway.addr,
            mail.addr(),
            &sms.url,
        );
        settings.runtime.grpc.port = notify_port;
        let notify = spawn_notify(settings).await;
        let admin = login(&gateway, ADMIN_LOGIN, ADMIN_PASSWORD).await;
        let mut orgs = LedgerServiceClient::with_interceptor(
            channel(gateway.addr).await,
            Bearer(admin.clone()),
        );
        let mut org = async |parent_id: i64, kind: ledger::OrgKind, name: &str| {
            orgs.create_org(ledger::CreateOrgRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                parent_id,
                kind: kind as i32,
                name: name.to_owned(),
                unit_name: "焦作市财政局".to_owned(),
            })
            .await
            .expect("creating an organisation")
            .into_inner()
        };
        let unit = org(1, ledger::OrgKind::Superior, "市财政局机关党委").await;
        let branch_a = org(unit.org_id, ledger::OrgKind::Branch, "预算科党支部").await;
        let branch_b = org(unit.org_id, ledger::OrgKind::Branch, "国库科党支部").await;
        let mut town = Town {
            ledger,
            gateway,
            notify,
            mail,
            sms,
            admin,
            unit: unit.clone(),
            branch_a: branch_a.clone(),
            branch_b: branch_b.clone(),
            people: HashMap::new(),
        };
        let committee = ledger::Org {
            org_id: 1,
            path: "/1/".into(),
            ..Default::default()
        };
        for (key, name, role, at, email, mobile) in [
            (
                "staff_a",
                "王芳",
                Role::BranchStaff,
                &branch_a,
                "wangfang@example.cn",
                "13800000001",
            ),
            (
                "staff_b",
                "赵强",
                Role::BranchStaff,
                &branch_b,
                "zhaoqiang@example.cn",
                "13800000002",
            ),
            (
                "finance",
                "钱会计",
                Role::Finance,
                &unit,
                "qian@example.cn",
                "",
            ),
            (
                "superior",
                "孙书记",
                Role::SuperiorOrg,
                &unit,
                "",
                "13800000004",
            ),
            (
                "department",
                "周部长",
                Role::Department,
                &committee,
                "zhou@example.cn",
                "13800000005",
            ),
            ("operations", "吴运维", Role::Operations, &committee, "", ""),
        ] {
            let person = town.person(key, name, role, at, email, mobile).await;
            town.people.insert(key, person);
        }
        town
    }

    pub fn who(&self, key: &str) -> &Person {
        &self.people[key]
    }

    /// A user bound as `role` on `org`, with a token of theirs.
    pub async fn person(
        &self,
        login: &str,
        name: &str,
        role: Role,
        org: &ledger::Org,
        email: &str,
        mobile: &str,
    ) -> Person {
        let mut admin = self.identity(&self.admin).await;
        let user = admin
            .create_user(identity::CreateUserRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                user: Some(identity::User {
                    login_name: format!(
                        "{login}.{}",
                        &uuid::Uuid::new_v4().simple().to_string()[..6]
                    ),
                    display_name: name.to_owned(),
                    email: email.to_owned(),
                    mobile: mobile.to_owned(),
                    ..Default::default()
                }),
                initial_password: "Initial-password-2026".to_owned(),
            })
            .await
            .expect("creating a user")
            .into_inner();
        admin
            .create_role_binding(identity::CreateRoleBindingRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                role_binding: Some(identity::RoleBinding {
                    user_id: user.user_id.clone(),
                    role: role_proto(role) as i32,
                    org: Some(OrgRef {
                        org_id: org.org_id,
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                reason: "测试".to_owned(),
            })
            .await
            .expect("binding the role")
            .into_inner();
        let token = token_for(
            &user.user_id,
            vec![RoleBinding {
                role,
                org_path: org.path.clone(),
            }],
        );
        Person { user, token }
    }

    pub async fn identity(
        &self,
        token: &str,
    ) -> IdentityServiceClient<InterceptedService<Channel, Bearer>> {
        IdentityServiceClient::with_interceptor(
            channel(self.gateway.addr).await,
            Bearer(token.to_owned()),
        )
    }

    /// The notification service called directly with `token`.
    pub async fn notify(&self, token: &str) -> Notify {
        NotificationServiceClient::with_interceptor(
            channel(self.notify.addr).await,
            Bearer(token.to_owned()),
        )
    }

    /// The notification service through the gateway's gRPC port.
    pub async fn notify_via_gateway(&self, token: &str) -> Notify {
        NotificationServiceClient::with_interceptor(
            channel(self.gateway.addr).await,
            Bearer(token.to_owned()),
        )
    }

    /// Publishes as the funds service's relay.
    pub async fn publish(&self, event: pb::PublishEventRequest) -> pb::PublishEventResponse {
        self.notify(&relay_token("funds"))
            .await
            .publish_event(event)
            .await
            .expect("publishing")
            .into_inner()
    }

    /// The unread messages of a person, as they see them.
    pub async fn inbox(&self, key: &str) -> pb::ListInboxResponse {
        self.notify(&self.who(key).token)
            .await
            .list_inbox(pb::ListInboxRequest::default())
            .await
            .expect("listing the inbox")
            .into_inner()
    }

    /// Every attempt of an event, as operations see them (oldest first).
    pub async fn attempts(&self, event_id: &str) -> Vec<pb::DeliveryAttempt> {
        let mut attempts = self
            .notify(&self.who("operations").token)
            .await
            .list_delivery_attempts(pb::ListDeliveryAttemptsRequest {
                event_id: event_id.to_owned(),
                page_size: 500,
                ..Default::default()
            })
            .await
            .expect("listing attempts")
            .into_inner()
            .attempts;
        attempts.reverse();
        attempts
    }

    /// Waits until `done` holds of the event's attempts, or 15 s.
    pub async fn attempts_until(
        &self,
        event_id: &str,
        done: impl Fn(&[pb::DeliveryAttempt]) -> bool,
    ) -> Vec<pb::DeliveryAttempt> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let attempts = self.attempts(event_id).await;
            if done(&attempts) || tokio::time::Instant::now() > deadline {
                return attempts;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An event of `kind` at `org` for `roles` there, with the usual parameters.
pub fn event(
    kind: pb::EventKind,
    org: &ledger::Org,
    roles: &[pb::RecipientRole],
) -> pb::PublishEventRequest {
    let event_id = uuid::Uuid::new_v4().to_string();
    pb::PublishEventRequest {
        request_id: event_id.clone(),
        event_id,
        kind: kind as i32,
        org: Some(OrgRef {
            org_id: org.org_id,
            ..Default::default()
        }),
        recipient_roles: roles
            .iter()
            .map(|role| pb::RoleRecipients {
                role: *role as i32,
                org_id: 0,
            })
            .collect(),
        parameters: [
            ("member_name", "张三"),
            ("org_name", org.name.as_str()),
            ("year", "2026"),
            ("amount", "¥3,000.00"),
            ("deadline", "2026-12-10"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        link: "/applications/1".into(),
        source: "funds".into(),
        ..Default::default()
    }
}

fn role_proto(role: Role) -> identity::Role {
    match role {
        Role::Member => identity::Role::Member,
        Role::BranchStaff => identity::Role::BranchStaff,
        Role::SuperiorOrg => identity::Role::SuperiorOrg,
        Role::Department => identity::Role::Department,
        Role::Committee => identity::Role::Committee,
        Role::Finance => identity::Role::Finance,
        Role::Auditor => identity::Role::Auditor,
        Role::Operations => identity::Role::Operations,
        Role::Relay | Role::Notifier | Role::Reader => identity::Role::Unspecified,
    }
}

/// Logs in through the gateway's gRPC port; the access token.
pub async fn login(gateway: &Spawned, login: &str, password: &str) -> String {
    IdentityServiceClient::new(channel(gateway.addr).await)
        .login(identity::LoginRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            login_name: login.to_owned(),
            password: password.to_owned(),
        })
        .await
        .expect("logging in")
        .into_inner()
        .tokens
        .expect("tokens")
        .access_token
}
