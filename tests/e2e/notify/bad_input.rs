//! Bad input is refused naming every field, and changes nothing.

use super::*;
use relief_runtime::error::field_violations;
use tonic::Code;

#[tokio::test]
async fn a_bad_event_names_every_bad_field_and_tells_nobody() {
    let town = Town::new().await;
    let mut request = event(pb::EventKind::Unspecified, &town.branch_a, &[]);
    request.event_id = "not-a-uuid".into();
    request.org = None;
    request.parameters.insert("diagnosis".into(), "肺癌".into());
    request.source = String::new();
    let refused = town
        .notify(&relief_tests::notify::relay_token("funds"))
        .await
        .publish_event(request)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    let fields: Vec<String> = field_violations(&refused)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        [
            "event_id",
            "kind",
            "org.org_id",
            "recipient_user_ids",
            "parameters[diagnosis]",
            "source"
        ]
    );
    assert!(town.inbox("staff_a").await.notifications.is_empty());
}

#[tokio::test]
async fn an_organisation_the_ledger_does_not_know_is_refused() {
    let town = Town::new().await;
    let mut request = event(
        pb::EventKind::DecisionMade,
        &town.branch_a,
        &[pb::RecipientRole::BranchStaff],
    );
    request.org = Some(OrgRef {
        org_id: 9_999,
        ..Default::default()
    });
    let refused = town
        .notify(&relief_tests::notify::relay_token("funds"))
        .await
        .publish_event(request)
        .await
        .expect_err("refused");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&refused)[0].0, "org.org_id");
}
