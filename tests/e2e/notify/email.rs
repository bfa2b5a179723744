//! E-mail reaches a real SMTP server in Chinese, subject and body decoded.

use super::*;
use relief_tests::notify::decode_mail;

#[tokio::test]
async fn an_event_arrives_as_chinese_mail_at_the_smtp_server() {
    let town = Town::new().await;
    let published = town
        .publish(event(
            pb::EventKind::FundsAllocated,
            &town.unit,
            &[pb::RecipientRole::Finance],
        ))
        .await;
    // The unit's finance, and the bootstrap administrator (finance on the
    // whole tree, without an e-mail address: skipped).
    assert_eq!((published.recipient_count, published.duplicate), (2, false));
    let caught = town.mail.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(
        caught.len(),
        1,
        "one mail for the one finance user with an address"
    );
    assert_eq!(caught[0].to, vec!["qian@example.cn".to_owned()]);
    let mail = decode_mail(&caught[0]);
    assert_eq!(mail.subject, "救助资金已拨付");
    assert_eq!(
        mail.body,
        "2026年度救助资金¥3,000.00已拨付至市财政局机关党委，请及时发放并收取本人签字回执。"
    );
    assert!(mail.to.contains("qian@example.cn"), "{mail:?}");
}
