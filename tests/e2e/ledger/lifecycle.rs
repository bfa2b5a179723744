//! A stopping service tells load balancers first: NOT_SERVING during the
//! drain, calls in flight finish, then the process ends.

use std::time::{Duration, Instant};

use relief_tests::Spawned;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// How long the ledger of these tests drains when asked to stop.
const DRAIN: Duration = Duration::from_millis(1500);

/// A ledger that drains for `DRAIN` when asked to stop, and a health client
/// of it.
async fn draining_ledger() -> (Spawned, HealthClient<Channel>) {
    let ledger = relief_tests::spawn_ledger_draining(DRAIN.as_millis() as u64).await;
    let health = HealthClient::new(relief_tests::channel(ledger.addr).await);
    (ledger, health)
}

fn check() -> HealthCheckRequest {
    HealthCheckRequest {
        service: "relief.ledger.v1.LedgerService".into(),
    }
}

#[tokio::test]
async fn a_running_service_reports_serving() {
    let (_ledger, mut health) = draining_ledger().await;
    let status = health
        .check(check())
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);
}

#[tokio::test]
async fn a_stopping_service_reports_not_serving_while_it_drains() {
    let (ledger, mut health) = draining_ledger().await;
    let started = Instant::now();
    let stopped = tokio::spawn(ledger.stop_and_wait());
    let mut saw_not_serving = false;
    while started.elapsed() < Duration::from_millis(1200) {
        if let Ok(response) = health.check(check()).await
            && response.into_inner().status == ServingStatus::NotServing as i32
        {
            saw_not_serving = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        saw_not_serving,
        "health must say NOT_SERVING during the drain"
    );
    drop(health);
    let _ = tokio::time::timeout(Duration::from_secs(10), stopped).await;
}

#[tokio::test]
async fn a_stopping_service_ends_cleanly_only_after_its_drain() {
    let (ledger, health) = draining_ledger().await;
    let started = Instant::now();
    let stopped = tokio::spawn(ledger.stop_and_wait());
    drop(health);
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the service ends after draining")
        .expect("task")
        .expect("a clean stop");
    assert!(started.elapsed() >= DRAIN, "it drained first");
}
