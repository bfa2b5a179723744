//! One message per recipient and channel, however often an event comes.

use super::*;

#[tokio::test]
async fn the_same_event_published_three_times_makes_one_message_per_recipient_and_channel() {
    let town = Town::new().await;
    let first = event(
        pb::EventKind::NoticeStarted,
        &town.branch_a,
        &[
            pb::RecipientRole::BranchStaff,
            pb::RecipientRole::SuperiorOrg,
        ],
    );
    let once = town.publish(first.clone()).await;
    assert_eq!((once.duplicate, once.recipient_count), (false, 2));
    // The same request again is answered as the first time, and a new
    // request with the same event id is a duplicate.
    let replayed = town.publish(first.clone()).await;
    assert_eq!(replayed, once);
    let again = town
        .publish(pb::PublishEventRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            ..first.clone()
        })
        .await;
    assert!(again.duplicate);
    assert_eq!(again.recipient_count, 2);

    // staff A: e-mail and SMS; the superior: SMS only (no e-mail: skipped).
    let mails = town.mail.wait_for(1, Duration::from_secs(15)).await;
    let texts = town.sms.wait_for(2, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(town.mail.caught().len(), 1, "{mails:?}");
    assert_eq!(town.sms.received().len(), 2, "{texts:?}");
    for key in ["staff_a", "superior"] {
        let inbox = town.inbox(key).await;
        assert_eq!(inbox.notifications.len(), 1, "{key}");
        assert_eq!(inbox.unread_count, 1, "{key}");
    }
    let attempts = town.attempts(&first.event_id).await;
    let skipped: Vec<_> = attempts
        .iter()
        .filter(|a| a.status == pb::DeliveryStatus::Skipped as i32)
        .collect();
    assert_eq!(skipped.len(), 1, "{attempts:?}");
    assert_eq!(
        skipped[0].recipient_user_id,
        town.who("superior").user.user_id
    );
    assert_eq!(skipped[0].error, "the recipient has no e-mail address");
}
