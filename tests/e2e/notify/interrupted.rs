//! The one window for a repeat: a process that died between handing a
//! message over and recording the answer leaves it SENDING; after the lease
//! it is taken again, the cut-off attempt on record, and sent once.

use super::*;

#[tokio::test]
async fn a_message_left_sending_by_a_dead_process_is_sent_again_once_with_the_cut_off_attempt_on_record()
 {
    let town = Town::with_mail(mail_catcher(usize::MAX, "451 4.3.0 not yet").await).await;
    let published = town
        .publish(event(
            pb::EventKind::ReceiptMissing,
            &town.unit,
            &[pb::RecipientRole::Finance],
        ))
        .await;
    let finance = town.who("finance").user.user_id.clone();
    town.attempts_until(&published.event_id, |a| {
        a.iter()
            .any(|a| a.status == pb::DeliveryStatus::FailedRetrying as i32)
    })
    .await;
    // What a worker that died mid-send leaves behind: the row claimed
    // (SENDING, its attempt counted) long ago, no outcome recorded. Made only
    // while the row waits for its retry: a live worker's send in flight
    // would be a second, real one.
    let pool = relief_tests::raw_pool(&town.notify.schema).await;
    let mut left = 0;
    for _ in 0..200 {
        left = sqlx::query(
            "UPDATE deliveries SET state = 'SENDING', attempts = attempts + 1,
                    sending_since = now() - interval '1 hour'
             WHERE event_id = $1::uuid AND recipient_user_id = $2 AND channel = 2
               AND state = 'PENDING'",
        )
        .bind(&published.event_id)
        .bind(&finance)
        .execute(&pool)
        .await
        .expect("leaving the row as a dead worker would")
        .rows_affected();
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(left, 1, "the row waited for its retry at some point");
    town.mail.refuse_next(0, "");

    let caught = town.mail.wait_for(1, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(caught.len(), 1);
    assert_eq!(town.mail.caught().len(), 1, "sent once");
    let attempts = town
        .attempts_until(&published.event_id, |a| {
            a.iter()
                .any(|a| a.status == pb::DeliveryStatus::Succeeded as i32)
        })
        .await;
    assert!(
        attempts.iter().any(|a| a.recipient_user_id == finance
            && a.status == pb::DeliveryStatus::FailedRetrying as i32
            && a.error.starts_with("interrupted")),
        "{attempts:#?}"
    );
}
