//! 站内信 through the gateway: newest first with the unread count, marked
//! read by its owner alone; operations may read anyone's.

use super::*;
use tonic::Code;

#[tokio::test]
async fn the_inbox_through_the_gateway_counts_unread_and_marks_read() {
    let town = Town::new().await;
    let first = town
        .publish(event(
            pb::EventKind::NoticeStarted,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let second = town
        .publish(event(
            pb::EventKind::NoticeEnded,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let staff = town.who("staff_a").token.clone();
    let mut inbox = town.notify_via_gateway(&staff).await;
    let listed = inbox
        .list_inbox(pb::ListInboxRequest::default())
        .await
        .expect("through the gateway")
        .into_inner();
    assert_eq!(listed.unread_count, 2);
    let ids: Vec<&str> = listed
        .notifications
        .iter()
        .map(|n| n.event_id.as_str())
        .collect();
    assert_eq!(
        ids,
        [second.event_id.as_str(), first.event_id.as_str()],
        "newest first"
    );
    let newest = &listed.notifications[0];
    assert_eq!(newest.title, "公示结束：张三");
    assert_eq!(newest.body, "预算科党支部关于张三的救助公示已结束。");
    assert_eq!(newest.link, "/applications/1");
    assert!(!newest.read);

    let marked = inbox
        .mark_read(pb::MarkReadRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            notification_ids: vec![newest.notification_id.clone()],
            all: false,
        })
        .await
        .expect("marking one")
        .into_inner();
    assert_eq!((marked.marked_count, marked.unread_count), (1, 1));
    let unread = inbox
        .list_inbox(pb::ListInboxRequest {
            unread_only: true,
            ..Default::default()
        })
        .await
        .expect("unread only")
        .into_inner();
    assert_eq!(unread.notifications.len(), 1);
    assert_eq!(unread.notifications[0].event_id, first.event_id);

    // Someone else's message is not theirs to mark.
    let refused = town
        .notify(&town.who("staff_b").token)
        .await
        .mark_read(pb::MarkReadRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            notification_ids: vec![unread.notifications[0].notification_id.clone()],
            all: false,
        })
        .await
        .expect_err("another's message");
    assert_eq!(refused.code(), Code::NotFound);
    let all = inbox
        .mark_read(pb::MarkReadRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            all: true,
            ..Default::default()
        })
        .await
        .expect("marking all")
        .into_inner();
    assert_eq!((all.marked_count, all.unread_count), (1, 0));
}

#[tokio::test]
async fn only_operations_reads_another_users_inbox() {
    let town = Town::new().await;
    let published = town
        .publish(event(
            pb::EventKind::DecisionMade,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let staff_a = town.who("staff_a").user.user_id.clone();
    let asking = |token: String| {
        let town = &town;
        let staff_a = staff_a.clone();
        async move {
            town.notify(&token)
                .await
                .list_inbox(pb::ListInboxRequest {
                    recipient_user_id: staff_a,
                    ..Default::default()
                })
                .await
        }
    };
    let seen = asking(town.who("operations").token.clone())
        .await
        .expect("operations reads it")
        .into_inner();
    assert_eq!(seen.notifications[0].event_id, published.event_id);
    for key in ["staff_b", "finance"] {
        let refused = asking(town.who(key).token.clone()).await.expect_err(key);
        assert_eq!(refused.code(), Code::PermissionDenied, "{key}");
    }
}
