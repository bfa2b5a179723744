//! A stopping service tells load balancers first: NOT_SERVING during the
//! drain, calls in flight finish, then the process ends.

use std::time::{Duration, Instant};

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn a_stopping_service_reports_not_serving_while_it_drains_then_exits() {
    let ledger = relief_tests::spawn_ledger_draining(1500).await;
    let mut health = HealthClient::new(relief_tests::channel(ledger.addr).await);
    let check = || HealthCheckRequest {
        service: "relief.ledger.v1.LedgerService".into(),
    };
    let status = health
        .check(check())
        .await
        .expect("health")
        .into_inner()
        .status;
    assert_eq!(status, ServingStatus::Serving as i32);

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
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("the service ends after draining")
        .expect("task")
        .expect("a clean stop");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "it drained first"
    );
}
