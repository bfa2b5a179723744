//! SMS requests reach the provider's HTTP API with the expected JSON.

use super::*;

#[tokio::test]
async fn an_event_arrives_at_the_sms_provider_as_json_with_the_key() {
    let town = Town::new().await;
    let published = town
        .publish(event(
            pb::EventKind::ApplicationToReview,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let received = town.sms.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(received.len(), 1, "one SMS for branch A's staff");
    let sms = &received[0];
    assert_eq!(sms.authorization, "Bearer test-sms-key");
    assert_eq!(sms.body["phone"], "13800000001");
    assert_eq!(sms.body["sign_name"], "市直机关工委");
    assert_eq!(sms.body["template_code"], "SMS_RELIEF_01");
    assert_eq!(sms.body["template_param"]["member_name"], "张三");
    assert_eq!(sms.body["template_param"]["recipient_name"], "王芳");
    assert_eq!(
        sms.body["content"],
        "预算科党支部有一件困难党员救助申请待您审核（申请人：张三）。请于2026-12-10前办理。"
    );
    let attempts = town
        .attempts_until(&published.event_id, |a| {
            a.iter().any(|a| a.channel == pb::Channel::Sms as i32)
        })
        .await;
    let sent = attempts
        .iter()
        .find(|a| a.channel == pb::Channel::Sms as i32)
        .expect("the SMS attempt");
    assert_eq!(sent.status, pb::DeliveryStatus::Succeeded as i32);
    assert_eq!(sent.destination, "138****0001");
    assert_eq!(sent.provider_message_id, "sms-1");
}
