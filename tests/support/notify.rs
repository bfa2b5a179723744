//! The notification service under test, and what it talks to: the SMTP
//! catcher (the same one `cargo xtask up` runs), a local SMS provider (an
//! HTTP server recording each JSON request), and relays' tokens.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use relief_mailcatcher::{Caught, MailCatcher, Options};
use relief_runtime::auth::{Role, RoleBinding, TokenSigner};
use relief_runtime::config::TrustedKey;
use secrecy::SecretString;

use crate::{
    AUDIENCE, DEV_FUNDS_PRIVATE_KEY, DEV_FUNDS_PUBLIC_KEY, DEV_WORKFLOW_PRIVATE_KEY,
    DEV_WORKFLOW_PUBLIC_KEY, ROOT, Spawned, runtime_settings,
};

pub const DEV_NOTIFY_PUBLIC_KEY: &str = include_str!("../../deploy/dev-keys/notify.pub.pem");
pub const DEV_NOTIFY_PRIVATE_KEY: &str = include_str!("../../deploy/dev-keys/notify.key.pem");

/// How the notification service's own key is trusted by the gateway and
/// the ledger: for the notifier role only.
pub fn notify_trusted_key() -> TrustedKey {
    TrustedKey {
        kid: "notify".into(),
        issuer: "notify".into(),
        public_key_pem: DEV_NOTIFY_PUBLIC_KEY.into(),
        allowed_roles: vec!["notifier".into()],
    }
}

/// The keys the notification service trusts besides the gateway's: the
/// relays of funds and workflow.
pub fn relay_trusted_keys() -> Vec<TrustedKey> {
    [
        ("funds", DEV_FUNDS_PUBLIC_KEY),
        ("workflow", DEV_WORKFLOW_PUBLIC_KEY),
    ]
    .into_iter()
    .map(|(name, pem)| TrustedKey {
        kid: name.into(),
        issuer: name.into(),
        public_key_pem: pem.into(),
        allowed_roles: vec!["relay".into(), "department".into(), "reader".into()],
    })
    .collect()
}

/// A service principal's token (`service:<name>`, signed with its dev key)
/// holding only the relay role: what its outbox relay publishes with.
pub fn relay_token(service: &str) -> String {
    principal_token(
        service,
        vec![RoleBinding {
            role: Role::Relay,
            org_path: ROOT.into(),
        }],
    )
}

/// A service principal's token with any roles.
pub fn principal_token(service: &str, roles: Vec<RoleBinding>) -> String {
    let pem = match service {
        "funds" => DEV_FUNDS_PRIVATE_KEY,
        "workflow" => DEV_WORKFLOW_PRIVATE_KEY,
        "notify" => DEV_NOTIFY_PRIVATE_KEY,
        other => panic!("no development key for {other}"),
    };
    TokenSigner::from_pem(service, service, AUDIENCE, pem)
        .expect("dev key")
        .sign(
            &format!("service:{service}"),
            service,
            None,
            roles,
            Duration::from_secs(600),
        )
        .expect("signing")
}

/// A free local port (for a service that must be known before it starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// Settings of a notification service on `schema`, reading organisations
/// from `ledger` and people from the gateway at `gateway`, sending mail to
/// `smtp` and SMS to `sms`, retrying fast.
pub fn notify_settings(
    schema: &str,
    ledger: SocketAddr,
    gateway: SocketAddr,
    smtp: SocketAddr,
    sms: &str,
) -> relief_notify::Settings {
    let mut runtime = runtime_settings(schema);
    runtime.auth.trusted_keys.extend(relay_trusted_keys());
    runtime.auth.service_signing_key = Some(SecretString::from(DEV_NOTIFY_PRIVATE_KEY));
    runtime.auth.principal.kid = "notify".into();
    runtime.auth.principal.issuer = "notify".into();
    runtime.auth.principal.roles = vec![RoleBinding {
        role: Role::Notifier,
        org_path: ROOT.into(),
    }];
    runtime.peers.insert("ledger", &format!("http://{ledger}"));
    runtime
        .peers
        .insert("gateway", &format!("http://{gateway}"));
    runtime.peers.timeout_ms = 5_000;
    let mut notify = relief_notify::NotifySettings::default();
    notify.smtp.host = smtp.ip().to_string();
    notify.smtp.port = smtp.port();
    notify.smtp.timeout_ms = 3_000;
    notify.sms.endpoint = sms.to_owned();
    notify.sms.api_key = SecretString::from("test-sms-key");
    notify.delivery.poll_interval_ms = 100;
    notify.delivery.initial_backoff_ms = 100;
    notify.delivery.max_backoff_ms = 400;
    notify.delivery.max_attempts = 4;
    notify.delivery.sending_lease_ms = 1_500;
    relief_notify::Settings { runtime, notify }
}

/// Starts the notification service with `settings`.
pub async fn spawn_notify(settings: relief_notify::Settings) -> Spawned {
    let schema = settings.runtime.database.schema.clone();
    let app = relief_notify::Application::build(settings)
        .await
        .expect("building the notification service");
    Spawned::run(&schema, app.local_addr(), None, |stop| app.run_until(stop))
}

/// A fresh SMTP catcher on a free port, refusing the first `refuse` messages
/// with `reply`.
pub async fn mail_catcher(refuse: usize, reply: &str) -> MailCatcher {
    MailCatcher::start(
        ([127, 0, 0, 1], 0).into(),
        Options {
            refuse_first: refuse,
            refusal: reply.to_owned(),
            ..Options::default()
        },
    )
    .await
    .expect("starting the SMTP catcher")
}

/// One SMS request as the provider received it.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    pub authorization: String,
    pub body: serde_json::Value,
}

/// A local SMS provider: records every JSON POST to `/sms` and answers 200
/// with a message id.
#[derive(Clone)]
pub struct SmsProvider {
    pub url: String,
    received: Arc<Mutex<Vec<SmsRequest>>>,
}

impl SmsProvider {
    pub async fn start() -> SmsProvider {
        let received: Arc<Mutex<Vec<SmsRequest>>> = Arc::default();
        let kept = received.clone();
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let kept = kept.clone();
                    async move {
                        let body = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                        let authorization = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        let mut kept = kept.lock().expect("lock");
                        kept.push(SmsRequest {
                            authorization,
                            body,
                        });
                        format!("{{\"message_id\":\"sms-{}\"}}", kept.len())
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the SMS provider");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        SmsProvider {
            url: format!("http://{addr}/sms"),
            received,
        }
    }

    pub fn received(&self) -> Vec<SmsRequest> {
        self.received.lock().expect("lock").clone()
    }

    /// Waits until `count` requests arrived, or `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<SmsRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.received().len() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }
}

/// A caught message's decoded subject (RFC 2047 encoded words) and body
/// (base64), and its `To:` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub fn decode_mail(caught: &Caught) -> Mail {
    let text = String::from_utf8_lossy(&caught.data).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    // Unfold continuation lines.
    let head = head.replace("\n ", " ").replace("\n\t", " ");
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let subject = decode_words(&header("Subject"));
    let base64 = header("Content-Transfer-Encoding").eq_ignore_ascii_case("base64");
    let body = if base64 {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("a base64 body"),
        )
        .expect("a UTF-8 body")
    } else {
        body.to_owned()
    };
    Mail {
        to: header("To"),
        subject,
        body,
    }
}

/// Decodes `=?utf-8?b?…?=` words (adjacent ones joined, as RFC 2047 says).
fn decode_words(value: &str) -> String {
    let mut bytes = Vec::new();
    let mut plain = String::new();
    for word in value.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        if lower.starts_with("=?utf-8?b?") && lower.ends_with("?=") {
            let encoded = &word[10..word.len() - 2];
            bytes.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .expect("a base64 encoded word"),
            );
        } else {
            if !plain.is_empty() || !bytes.is_empty() {
                plain.push_str(&String::from_utf8_lossy(&std::mem::take(&mut bytes)));
                plain.push(' ');
            }
            plain.push_str(word);
        }
    }
    plain.push_str(&String::from_utf8_lossy(&bytes));
    plain
}
