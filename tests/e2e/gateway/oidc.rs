//! Signing in with an external OpenID Connect provider: its token, checked
//! against its published keys, is exchanged for the gateway's own, and the
//! roles are the ones bound here.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use relief_proto::gateway::v1 as pb;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_tests::{GatewayOptions, channel};
use serde_json::json;
use tonic::Code;
use tonic::transport::Channel;

use super::{Door, ledger_client};

const PROVIDER_KEY: &str = include_str!("../../fixtures/oidc-provider.key.pem");
const IMPOSTOR_KEY: &str = include_str!("../../fixtures/oidc-impostor.key.pem");
const ISSUER: &str = "https://sso.example.gov.cn/realms/jiaozuo";
const AUDIENCE: &str = "relief-ledger-web";

/// A provider publishing one key at `/jwks`, on a port of its own.
async fn provider() -> String {
    let key = EncodingKey::from_ed_pem(PROVIDER_KEY.as_bytes()).expect("provider key");
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA).expect("a JWK");
    jwk.common.key_id = Some("provider-1".into());
    let set = serde_json::to_string(&JwkSet { keys: vec![jwk] }).expect("JWKS");
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || async move { set.clone() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/jwks")
}

fn external_token(key_pem: &str, kid: &str, issuer: &str, login: &str, expires_in: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.into());
    let claims = json!({
        "iss": issuer, "aud": AUDIENCE, "sub": "f3b1c2d4", "iat": now, "exp": now + expires_in,
        "preferred_username": login,
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_ed_pem(key_pem.as_bytes()).expect("key"),
    )
    .expect("signing")
}

/// A door whose gateway trusts the provider, and a client without a token.
async fn door_trusting_the_provider() -> (Door, IdentityServiceClient<Channel>) {
    let jwks_url = provider().await;
    let door = Door::new(GatewayOptions {
        oidc: Some((ISSUER.into(), AUDIENCE.into(), jwks_url)),
        ..GatewayOptions::default()
    })
    .await;
    let anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    (door, anonymous)
}

fn exchange(token: String) -> pb::ExchangeTokenRequest {
    pb::ExchangeTokenRequest {
        request_id: String::new(),
        external_token: token,
    }
}

/// The provider's token for staff.a, exchanged.
async fn staff_a_signed_in(anonymous: &mut IdentityServiceClient<Channel>) -> pb::LoginResponse {
    anonymous
        .exchange_token(exchange(external_token(
            PROVIDER_KEY,
            "provider-1",
            ISSUER,
            "staff.a",
            300,
        )))
        .await
        .expect("exchange")
        .into_inner()
}

#[tokio::test]
async fn an_external_token_is_exchanged_for_the_local_user_with_the_roles_bound_here() {
    let (_door, mut anonymous) = door_trusting_the_provider().await;
    let signed_in = staff_a_signed_in(&mut anonymous).await;
    assert_eq!(
        signed_in.user.as_ref().map(|u| u.login_name.as_str()),
        Some("staff.a")
    );
    assert_eq!(signed_in.role_bindings.len(), 1, "the roles bound here");
}

#[tokio::test]
async fn the_gateways_token_from_an_exchange_works_on_the_ledger() {
    let (door, mut anonymous) = door_trusting_the_provider().await;
    let access = staff_a_signed_in(&mut anonymous)
        .await
        .tokens
        .expect("tokens")
        .access_token;
    ledger_client(&door.gateway, &access)
        .await
        .list_members(relief_proto::ledger::v1::ListMembersRequest::default())
        .await
        .expect("the gateway's token works on the ledger");
}

#[tokio::test]
async fn a_token_the_provider_did_not_issue_for_a_user_here_is_refused() {
    let (_door, mut anonymous) = door_trusting_the_provider().await;
    for (what, token) in [
        (
            "another key under the provider's kid",
            external_token(IMPOSTOR_KEY, "provider-1", ISSUER, "staff.a", 300),
        ),
        (
            "an unknown kid",
            external_token(PROVIDER_KEY, "provider-2", ISSUER, "staff.a", 300),
        ),
        (
            "another issuer",
            external_token(
                PROVIDER_KEY,
                "provider-1",
                "https://evil.example",
                "staff.a",
                300,
            ),
        ),
        (
            "an expired token",
            external_token(PROVIDER_KEY, "provider-1", ISSUER, "staff.a", -120),
        ),
        (
            "nobody here",
            external_token(PROVIDER_KEY, "provider-1", ISSUER, "nobody", 300),
        ),
    ] {
        let status = anonymous
            .exchange_token(exchange(token))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
    }
}

#[tokio::test]
async fn an_hmac_token_signed_with_something_public_is_never_accepted() {
    let (_door, mut anonymous) = door_trusting_the_provider().await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("provider-1".into());
    let forged = jsonwebtoken::encode(
        &header,
        &json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": 4_000_000_000u64, "preferred_username": "admin" }),
        &EncodingKey::from_secret(b"public"),
    )
    .expect("forging");
    let status = anonymous
        .exchange_token(exchange(forged))
        .await
        .expect_err("HS256");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("HS256"), "{status:?}");
}

#[tokio::test]
async fn without_a_provider_the_exchange_is_refused() {
    let door = Door::new(GatewayOptions::default()).await;
    let mut anonymous = IdentityServiceClient::new(channel(door.gateway.addr).await);
    let status = anonymous
        .exchange_token(pb::ExchangeTokenRequest {
            request_id: String::new(),
            external_token: external_token(PROVIDER_KEY, "provider-1", ISSUER, "staff.a", 300),
        })
        .await
        .expect_err("no provider");
    assert_eq!(status.code(), Code::FailedPrecondition);
}
