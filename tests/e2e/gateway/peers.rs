//! A service behind the gateway is configuration, not code: naming a peer
//! (`peers.funds: http://…`) makes every gRPC service of its package
//! (`relief.funds.v1`) reachable through the gateway, over gRPC and JSON.

use relief_proto::funds::v1 as funds;
use relief_proto::funds::v1::funds_service_client::FundsServiceClient;
use relief_runtime::auth::Role;
use relief_tests::{
    Bearer, GatewayOptions, channel, spawn_funds, spawn_gateway, spawn_ledger, token, unique_schema,
};
use tonic::Code;

#[tokio::test]
async fn a_peer_named_in_the_configuration_is_forwarded_to() {
    let ledger = spawn_ledger().await;
    let funds_service = spawn_funds(&unique_schema("funds"), |_| {}).await;
    let finance = token(Role::Finance, "/1/");

    // Without the peer the gateway knows no such service.
    let without = spawn_gateway(&ledger, GatewayOptions::default()).await;
    let mut client =
        FundsServiceClient::with_interceptor(channel(without.addr).await, Bearer(finance.clone()));
    let refused = client
        .list_allocations(funds::ListAllocationsRequest::default())
        .await
        .expect_err("no funds peer configured");
    assert_eq!(refused.code(), Code::Unimplemented, "{refused:?}");

    // The same gateway build, one more peer in its configuration. A
    // configuration that lists every service, the gateway itself included
    // (as `cargo xtask up` and Kubernetes configs may), still starts: the
    // gateway's own package is served, never forwarded.
    let with = spawn_gateway(
        &ledger,
        GatewayOptions {
            peers: vec![
                ("funds".to_owned(), funds_service.addr),
                ("gateway".to_owned(), ledger.addr),
            ],
            ..GatewayOptions::default()
        },
    )
    .await;
    let mut client =
        FundsServiceClient::with_interceptor(channel(with.addr).await, Bearer(finance.clone()));
    let listed = client
        .list_allocations(funds::ListAllocationsRequest::default())
        .await
        .expect("forwarded to the funds service")
        .into_inner();
    assert!(listed.allocations.is_empty());

    // The service's own authorisation still decides: a member may not list.
    let mut member = FundsServiceClient::with_interceptor(
        channel(with.addr).await,
        Bearer(token(Role::Member, "/1/")),
    );
    let denied = member
        .list_allocations(funds::ListAllocationsRequest::default())
        .await
        .expect_err("a member reads no allocations");
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");

    // JSON over HTTP reaches it too.
    let response = reqwest::Client::new()
        .post(with.url("/v1/relief.funds.v1.FundsService/ListAllocations"))
        .bearer_auth(&finance)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("HTTP call");
    assert_eq!(response.status(), 200);
}
