//! 接收设置: a user picks their channels and address; the next message
//! follows them, and what they turned off is recorded as skipped.

use super::*;
use tonic::Code;

#[tokio::test]
async fn a_user_who_keeps_only_e_mail_at_their_own_address_gets_it_there_and_the_sms_is_skipped() {
    let town = Town::new().await;
    let staff = town.who("staff_a").clone();
    let mut notify = town.notify(&staff.token).await;
    let before = notify
        .get_contact_preferences(pb::GetContactPreferencesRequest::default())
        .await
        .expect("one's own")
        .into_inner();
    assert_eq!(before.email, "wangfang@example.cn", "the identity record's");
    assert_eq!(before.mobile, "13800000001");
    assert_eq!(before.etag, "0", "nothing chosen yet");
    let change = |etag: String| pb::UpdateContactPreferencesRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        preferences: Some(pb::ContactPreferences {
            email: "wf.home@example.org".into(),
            enabled_channels: vec![pb::Channel::Email as i32],
            etag,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["email".into(), "enabled_channels".into()],
        }),
    };
    let after = notify
        .update_contact_preferences(change(before.etag.clone()))
        .await
        .expect("changed")
        .into_inner();
    assert_eq!(after.email, "wf.home@example.org");
    assert_eq!(
        after.enabled_channels,
        [pb::Channel::Inbox as i32, pb::Channel::Email as i32]
    );
    let stale = notify
        .update_contact_preferences(change(before.etag))
        .await
        .expect_err("a stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    // Nobody changes another's.
    let mut theirs = change(after.etag.clone());
    if let Some(p) = theirs.preferences.as_mut() {
        p.user_id = town.who("staff_b").user.user_id.clone();
    }
    let refused = notify
        .update_contact_preferences(theirs)
        .await
        .expect_err("another's preferences");
    assert_eq!(refused.code(), Code::PermissionDenied);

    let published = town
        .publish(event(
            pb::EventKind::ObjectionRaised,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let caught = town.mail.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(caught.len(), 1);
    assert_eq!(caught[0].to, vec!["wf.home@example.org".to_owned()]);
    let attempts = town
        .attempts_until(&published.event_id, |a| a.len() >= 2)
        .await;
    let sms = attempts
        .iter()
        .find(|a| a.channel == pb::Channel::Sms as i32)
        .expect("the SMS on record");
    assert_eq!(sms.status, pb::DeliveryStatus::Skipped as i32);
    assert_eq!(sms.error, "the recipient turned this channel off");
    assert!(town.sms.received().is_empty());
}
