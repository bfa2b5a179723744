//! Killed (SIGKILL) with messages pending and started again: none lost,
//! none twice. The service runs as its own process here, the binary
//! `cargo xtask test` builds (RELIEF_NOTIFY_BIN).

use std::path::PathBuf;
use std::process::{Child, Command};

use super::*;
use relief_tests::notify::{DEV_NOTIFY_PRIVATE_KEY, relay_trusted_keys};
use relief_tests::{DEV_GATEWAY_PUBLIC_KEY, database_url};

fn binary() -> PathBuf {
    let path = std::env::var("RELIEF_NOTIFY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug/relief-notify")
        });
    assert!(
        path.is_file(),
        "{} is missing: run the tests with `cargo xtask test` (it builds the binary)",
        path.display()
    );
    path
}

/// The service's whole configuration, as the file `RELIEF_CONFIG` names
/// (JSON is YAML).
fn config(town: &Town, schema: &str, port: u16, smtp_port: u16) -> serde_json::Value {
    let mut trusted = vec![serde_json::json!({
        "kid": "gateway-dev", "issuer": "relief-gateway", "public_key_pem": DEV_GATEWAY_PUBLIC_KEY,
    })];
    for key in relay_trusted_keys() {
        trusted.push(serde_json::json!({
            "kid": key.kid, "issuer": key.issuer, "public_key_pem": key.public_key_pem,
            "allowed_roles": key.allowed_roles,
        }));
    }
    serde_json::json!({
        "grpc": { "host": "127.0.0.1", "port": port },
        "database": { "url": database_url(), "schema": schema, "max_connections": 5 },
        "auth": {
            "trusted_keys": trusted,
            "service_signing_key": DEV_NOTIFY_PRIVATE_KEY,
        },
        "telemetry": { "level": "warn", "log_format": "pretty", "otlp_endpoint": "" },
        "limits": { "drain_ms": 0 },
        "peers": {
            "ledger": format!("http://{}", town.ledger.addr),
            "gateway": format!("http://{}", town.gateway.addr),
        },
        "notify": {
            "smtp": { "host": "127.0.0.1", "port": smtp_port, "tls": "none",
                      "from": "市直机关工委通知 <notify@relief.invalid>", "timeout_ms": 3000 },
            "sms": { "endpoint": "", "sign_name": "市直机关工委", "timeout_ms": 3000 },
            "delivery": { "poll_interval_ms": 100, "batch_size": 20, "max_attempts": 50,
                          "initial_backoff_ms": 100, "max_backoff_ms": 300, "sending_lease_ms": 1500 },
        },
    })
}

fn start(config_path: &std::path::Path, dir: &std::path::Path) -> Child {
    Command::new(binary())
        .current_dir(dir)
        .env("RELIEF_CONFIG", config_path)
        .env("RELIEF_ENV", "none")
        .spawn()
        .expect("starting relief-notify")
}

async fn healthy(port: u16) -> Notify {
    for _ in 0..100 {
        if let Ok(channel) =
            tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
                .expect("address")
                .connect()
                .await
        {
            return NotificationServiceClient::with_interceptor(
                channel,
                Bearer(relief_tests::notify::relay_token("funds")),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("relief-notify did not start");
}

#[tokio::test]
async fn killed_with_messages_pending_and_restarted_none_is_lost_or_sent_twice() {
    let town = Town::new().await;
    // The process's SMTP server refuses until the restart.
    let mail = mail_catcher(usize::MAX, "451 4.3.0 not yet").await;
    let schema = unique_schema("notify");
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("relief-notify-{schema}"));
    std::fs::create_dir_all(&dir).expect("a directory");
    let config_path = dir.join("notify.yaml");
    std::fs::write(
        &config_path,
        config(&town, &schema, port, mail.addr().port()).to_string(),
    )
    .expect("writing the configuration");
    let mut process = start(&config_path, &dir);
    let mut notify = healthy(port).await;
    let mut request = event(
        pb::EventKind::CampaignOpened,
        &town.unit,
        &[pb::RecipientRole::Finance, pb::RecipientRole::SuperiorOrg],
    );
    request.recipient_user_ids = vec![
        town.who("staff_a").user.user_id.clone(),
        town.who("department").user.user_id.clone(),
    ];
    let published = notify
        .publish_event(request)
        .await
        .expect("published")
        .into_inner();
    // finance, staff A and the department have e-mail; the superior and the
    // administrator (finance on the whole tree) have none.
    assert_eq!(published.recipient_count, 5);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while mail.refused() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "nothing was tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    process.kill().expect("SIGKILL");
    process.wait().expect("reaped");
    mail.refuse_next(0, "");

    let mut restarted = start(&config_path, &dir);
    healthy(port).await;
    let caught = mail.wait_for(3, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let caught_now = mail.caught();
    restarted.kill().expect("SIGKILL");
    let _ = restarted.wait();
    assert_eq!(
        caught.len(),
        3,
        "every pending message sent after the restart"
    );
    assert_eq!(caught_now.len(), 3, "and none twice");
    let mut to: Vec<String> = caught_now.iter().flat_map(|c| c.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        ["qian@example.cn", "wangfang@example.cn", "zhou@example.cn"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
