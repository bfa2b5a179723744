//! Reminders of due dates: published ahead, kept in the database, told once
//! when due (not before).

use super::*;

#[tokio::test]
async fn a_reminder_waits_for_its_time_then_is_told_once() {
    let town = Town::new().await;
    let due = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
    let mut request = event(
        pb::EventKind::CampaignDeadlineApproaching,
        &town.branch_a,
        &[pb::RecipientRole::BranchStaff],
    );
    request.deliver_time = Some(relief_runtime::time::timestamp(due));
    let published = town.publish(request).await;
    assert_eq!(published.deliveries_scheduled, 2, "e-mail and SMS, later");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        town.inbox("staff_a").await.notifications.is_empty(),
        "not shown before its time"
    );
    assert!(
        town.mail.caught().is_empty() && town.sms.received().is_empty(),
        "not sent before its time"
    );
    let caught = town.mail.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(caught.len(), 1);
    assert!(time::OffsetDateTime::now_utc() >= due);
    assert_eq!(town.sms.wait_for(1, Duration::from_secs(10)).await.len(), 1);
    let inbox = town.inbox("staff_a").await;
    assert_eq!(inbox.notifications.len(), 1);
    assert_eq!(inbox.notifications[0].title, "核查截止时间将到");
}
