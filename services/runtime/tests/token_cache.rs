//! A token verified once is remembered, but only for as long as it would pass a full check:
//! after it expires it is refused, and a token that differs in any character is checked anew.

use std::time::Duration;

use relief_runtime::auth::{Role, RoleBinding, TokenSigner, TokenVerifier};
use relief_runtime::config::{AuthSettings, TrustedKey};

const DEV_KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/dev-keys");

fn key(name: &str) -> String {
    std::fs::read_to_string(format!("{DEV_KEYS}/{name}")).expect("a development key")
}

#[test]
fn a_remembered_token_is_refused_once_it_expires() {
    let verifier = TokenVerifier::new(&AuthSettings {
        trusted_keys: vec![TrustedKey {
            kid: "gateway-dev".into(),
            issuer: "relief-gateway".into(),
            public_key_pem: key("gateway.pub.pem"),
            allowed_roles: Vec::new(),
        }],
        service_signing_key: None,
        principal: Default::default(),
        audience: "relief-ledger".into(),
        clock_skew_seconds: 0,
    })
    .expect("verifier");
    let signer = TokenSigner::from_pem(
        "gateway-dev",
        "relief-gateway",
        "relief-ledger",
        &key("gateway.key.pem"),
    )
    .expect("signer");
    let roles = vec![RoleBinding {
        role: Role::Auditor,
        org_path: "/1/".into(),
    }];
    let token = signer
        .sign("u-1", "User", None, roles, Duration::from_secs(1))
        .expect("token");

    let caller = verifier.verify(&token).expect("a fresh token");
    assert_eq!(caller.user_id, "u-1");
    let again = verifier.verify(&token).expect("the same token again");
    assert_eq!(again.user_id, "u-1");
    assert_eq!(again.roles, caller.roles);

    // One character changed in the middle of the signature: not the token that was verified.
    let mut forged = token.clone().into_bytes();
    let at = forged.len() - 20;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    assert!(
        verifier.verify(&forged).is_err(),
        "a forged token is refused"
    );

    std::thread::sleep(Duration::from_millis(2_100));
    assert_eq!(
        verifier.verify(&token).err().as_deref(),
        Some("token expired"),
        "remembered, and refused all the same once expired"
    );
}
