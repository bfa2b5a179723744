//! A relay's principal publishes and does nothing else; nobody but a
//! service's own principal publishes.

use super::*;
use relief_tests::notify::principal_token;
use tonic::Code;

#[tokio::test]
async fn a_relay_principal_can_do_nothing_but_publish() {
    let town = Town::new().await;
    let relay = relief_tests::notify::relay_token("workflow");
    let mut notify = town.notify(&relay).await;
    let codes = vec![
        notify
            .list_inbox(pb::ListInboxRequest::default())
            .await
            .map(|_| ()),
        notify
            .mark_read(pb::MarkReadRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                all: true,
                ..Default::default()
            })
            .await
            .map(|_| ()),
        notify
            .list_delivery_attempts(pb::ListDeliveryAttemptsRequest::default())
            .await
            .map(|_| ()),
        notify
            .get_template(pb::GetTemplateRequest {
                event_kind: 1,
                channel: 1,
            })
            .await
            .map(|_| ()),
        notify
            .list_templates(pb::ListTemplatesRequest::default())
            .await
            .map(|_| ()),
        notify
            .preview_template(pb::PreviewTemplateRequest {
                event_kind: 1,
                channel: 1,
                ..Default::default()
            })
            .await
            .map(|_| ()),
        notify
            .get_contact_preferences(pb::GetContactPreferencesRequest::default())
            .await
            .map(|_| ()),
        notify
            .verify_audit_chain(relief_proto::common::v1::VerifyAuditChainRequest::default())
            .await
            .map(|_| ()),
    ];
    for (i, answer) in codes.into_iter().enumerate() {
        assert_eq!(
            answer.expect_err("refused").code(),
            Code::PermissionDenied,
            "call {i}"
        );
    }
    // And elsewhere: the ledger refuses it too.
    let mut ledger = LedgerServiceClient::with_interceptor(
        channel(town.ledger.addr).await,
        Bearer(relay.clone()),
    );
    assert_eq!(
        ledger
            .get_org(ledger::GetOrgRequest { org_id: 1 })
            .await
            .expect_err("a relay reads no organisation")
            .code(),
        Code::PermissionDenied
    );
    let published = notify
        .publish_event(event(
            pb::EventKind::DecisionMade,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await
        .expect("a relay publishes")
        .into_inner();
    assert_eq!(published.recipient_count, 1);
}

#[tokio::test]
async fn no_user_publishes_whatever_their_roles_and_nothing_is_told() {
    let town = Town::new().await;
    let request = event(
        pb::EventKind::DecisionMade,
        &town.branch_a,
        &[pb::RecipientRole::BranchStaff],
    );
    for token in [town.admin.clone(), town.who("department").token.clone()] {
        let refused = town
            .notify(&token)
            .await
            .publish_event(request.clone())
            .await
            .expect_err("users do not publish");
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    // A service principal holding roles but not the relay's is refused too.
    let department_principal = principal_token(
        "funds",
        vec![RoleBinding {
            role: Role::Department,
            org_path: "/1/".into(),
        }],
    );
    let refused = town
        .notify(&department_principal)
        .await
        .publish_event(request.clone())
        .await
        .expect_err("the department role publishes nothing");
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(town.inbox("staff_a").await.notifications.is_empty());
}
