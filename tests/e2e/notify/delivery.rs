//! Refusals are retried with backoff, each on record; a server that never
//! accepts leaves the message dead after the limit, with its last error.

use super::*;

/// The e-mail attempts of the one recipient with an address (the unit's
/// finance; the administrator, finance on the whole tree, has none).
fn only_email_of(attempts: &[pb::DeliveryAttempt]) -> Vec<&pb::DeliveryAttempt> {
    attempts
        .iter()
        .filter(|a| {
            a.channel == pb::Channel::Email as i32 && a.status != pb::DeliveryStatus::Skipped as i32
        })
        .collect()
}

#[tokio::test]
async fn a_server_refusing_twice_then_accepting_gets_one_message_and_two_failures_on_record() {
    let town = Town::with_mail(mail_catcher(2, "451 4.3.0 mailbox busy").await).await;
    let published = town
        .publish(event(
            pb::EventKind::ReceiptMissing,
            &town.unit,
            &[pb::RecipientRole::Finance],
        ))
        .await;
    let attempts = town
        .attempts_until(&published.event_id, |a| {
            only_email_of(a)
                .iter()
                .any(|a| a.status == pb::DeliveryStatus::Succeeded as i32)
        })
        .await;
    let email = only_email_of(&attempts);
    let statuses: Vec<i32> = email.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        [
            pb::DeliveryStatus::FailedRetrying as i32,
            pb::DeliveryStatus::FailedRetrying as i32,
            pb::DeliveryStatus::Succeeded as i32
        ]
    );
    assert_eq!(
        email.iter().map(|a| a.attempt_number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(email[0].error.contains("451"), "{:?}", email[0]);
    assert!(email[0].next_attempt_time.is_some());
    assert_eq!(email[2].destination, "q***@example.cn");
    assert_eq!(town.mail.refused(), 2);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(town.mail.caught().len(), 1);
}

#[tokio::test]
async fn a_server_that_never_accepts_leaves_the_message_dead_after_the_limit() {
    let town = Town::with_mail(mail_catcher(usize::MAX, "421 4.7.0 try later").await).await;
    let published = town
        .publish(event(
            pb::EventKind::ReceiptMissing,
            &town.unit,
            &[pb::RecipientRole::Finance],
        ))
        .await;
    let attempts = town
        .attempts_until(&published.event_id, |a| {
            only_email_of(a)
                .iter()
                .any(|a| a.status == pb::DeliveryStatus::FailedPermanently as i32)
        })
        .await;
    let email = only_email_of(&attempts);
    assert_eq!(email.len(), 4, "the configured limit: {email:?}");
    let last = email.last().expect("the last attempt");
    assert_eq!(last.status, pb::DeliveryStatus::FailedPermanently as i32);
    assert!(last.error.contains("421"), "{last:?}");
    assert!(last.next_attempt_time.is_none());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        town.attempts(&published.event_id).await.len(),
        attempts.len(),
        "nothing after the last"
    );
    assert!(town.mail.caught().is_empty());
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let town = Town::with_mail(mail_catcher(1, "550 5.1.1 no such user").await).await;
    let published = town
        .publish(event(
            pb::EventKind::ReceiptMissing,
            &town.unit,
            &[pb::RecipientRole::Finance],
        ))
        .await;
    town.attempts_until(&published.event_id, |a| !only_email_of(a).is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let attempts = town.attempts(&published.event_id).await;
    let email = only_email_of(&attempts);
    assert_eq!(email.len(), 1, "{attempts:?}");
    assert_eq!(
        email[0].status,
        pb::DeliveryStatus::FailedPermanently as i32
    );
    assert!(email[0].error.contains("550"));
}
