//! Failed logins lock a login name for the address they came from only, and
//! a locked name answers exactly like an unknown one (code, message,
//! details), so a stranger can neither lock a user out nor learn who exists.

use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_tests::{GatewayOptions, channel};
use serde_json::{Value, json};
use tonic::Code;

use super::{Door, STAFF_PASSWORD};

/// An attacker's address, as the proxy in front of the gateway reports it
/// (the test client is on loopback, which the gateway treats as a proxy).
const ATTACKER: &str = "203.0.113.7";

/// A JSON login from `address`: status and body.
async fn login_from(door: &Door, address: &str, name: &str, password: &str) -> (u16, Value) {
    let response = door
        .http
        .post(
            door.gateway
                .url("/v1/relief.gateway.v1.IdentityService/Login"),
        )
        .header("x-forwarded-for", address)
        .json(&json!({ "loginName": name, "password": password }))
        .send()
        .await
        .expect("login over HTTP");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The door (locking after 3 failures) with staff.a locked for `ATTACKER`.
async fn locked_for_the_attacker() -> Door {
    let door = Door::new(GatewayOptions::default()).await;
    for _ in 0..3 {
        let (status, _) = login_from(&door, ATTACKER, "staff.a", "guess-123456").await;
        assert_eq!(status, 401);
    }
    door
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_user_out_from_another() {
    let door = locked_for_the_attacker().await;
    let (status, body) = login_from(&door, "198.51.100.20", "staff.a", STAFF_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    IdentityServiceClient::new(channel(door.gateway.addr).await)
        .login(pb::LoginRequest {
            request_id: String::new(),
            login_name: "staff.a".into(),
            password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("over gRPC from the user's own address");
}

#[tokio::test]
async fn the_locked_address_is_refused_even_the_right_password() {
    let door = locked_for_the_attacker().await;
    let (status, body) = login_from(&door, ATTACKER, "staff.a", STAFF_PASSWORD).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn a_locked_name_answers_exactly_like_an_unknown_name() {
    let door = locked_for_the_attacker().await;
    let locked = login_from(&door, ATTACKER, "staff.a", STAFF_PASSWORD).await;
    let unknown = login_from(&door, ATTACKER, "nobody.here", STAFF_PASSWORD).await;
    let wrong = login_from(&door, "198.51.100.20", "staff.a", "guess-654321").await;
    assert_eq!(locked, unknown);
    assert_eq!(locked, wrong);
}

#[tokio::test]
async fn a_locked_name_answers_like_an_unknown_name_over_grpc_too() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let login = |name: &str, password: &str| pb::LoginRequest {
        request_id: String::new(),
        login_name: name.to_owned(),
        password: password.to_owned(),
    };
    for _ in 0..3 {
        anonymous
            .login(login("staff.a", "guess-123456"))
            .await
            .expect_err("wrong");
    }
    let locked = anonymous
        .login(login("staff.a", STAFF_PASSWORD))
        .await
        .expect_err("locked");
    let unknown = anonymous
        .login(login("nobody.here", STAFF_PASSWORD))
        .await
        .expect_err("unknown");
    assert_eq!(locked.code(), Code::Unauthenticated);
    assert_eq!(
        (locked.code(), locked.message(), locked.details()),
        (unknown.code(), unknown.message(), unknown.details())
    );
}
