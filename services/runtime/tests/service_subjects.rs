//! A service principal's subject (`service:<name>`) is taken only from the
//! key of the service it names: neither the gateway's key nor another
//! service's can sign a token that passes for it.

use std::time::Duration;

use relief_runtime::auth::{Role, RoleBinding, TokenSigner, TokenVerifier};
use relief_runtime::config::{AuthSettings, TrustedKey};

const DEV_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/dev-keys");

fn key(name: &str) -> String {
    std::fs::read_to_string(format!("{DEV_KEYS}/{name}")).expect("a development key")
}

fn trusted(kid: &str, issuer: &str, file: &str) -> TrustedKey {
    TrustedKey {
        kid: kid.into(),
        issuer: issuer.into(),
        public_key_pem: key(file),
        allowed_roles: Vec::new(),
    }
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(&AuthSettings {
        trusted_keys: vec![
            trusted("gateway-dev", "relief-gateway", "gateway.pub.pem"),
            trusted("workflow", "workflow", "workflow.pub.pem"),
            trusted("funds", "funds", "funds.pub.pem"),
        ],
        service_signing_key: None,
        principal: Default::default(),
        audience: "relief-ledger".into(),
        clock_skew_seconds: 0,
    })
    .expect("verifier")
}

fn token(kid: &str, issuer: &str, file: &str, subject: &str) -> String {
    TokenSigner::from_pem(kid, issuer, "relief-ledger", &key(file))
        .expect("signer")
        .sign(
            subject,
            subject,
            None,
            vec![RoleBinding {
                role: Role::Department,
                org_path: "/1/".into(),
            }],
            Duration::from_secs(60),
        )
        .expect("token")
}

#[test]
fn a_service_principal_is_taken_from_its_own_key() {
    let caller = verifier()
        .verify(&token(
            "workflow",
            "workflow",
            "workflow.key.pem",
            "service:workflow",
        ))
        .expect("the workflow's own token");
    assert_eq!(caller.service_principal(), Some("workflow"));
}

#[test]
fn no_other_key_may_sign_for_a_service_principal() {
    let verifier = verifier();
    for (kid, issuer, file) in [
        ("gateway-dev", "relief-gateway", "gateway.key.pem"),
        ("funds", "funds", "funds.key.pem"),
    ] {
        let refused = verifier
            .verify(&token(kid, issuer, file, "service:workflow"))
            .expect_err(kid);
        assert!(refused.contains("service principal workflow"), "{refused}");
    }
}

#[test]
fn a_user_is_no_service_principal() {
    let caller = verifier()
        .verify(&token(
            "gateway-dev",
            "relief-gateway",
            "gateway.key.pem",
            "u-1",
        ))
        .expect("a user's token");
    assert_eq!(caller.service_principal(), None);
}
