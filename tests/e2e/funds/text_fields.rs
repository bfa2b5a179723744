//! Free text sent to the funds service: a control character is refused
//! naming its field before the database sees it, and nothing is written.

use super::*;

#[tokio::test]
async fn a_nul_in_an_allocations_meeting_number_is_refused_naming_it() {
    let funds = funded_year(100_000).await;
    let pool = funds.pool().await;
    let before = snapshot(&pool).await;
    let mut finance = funds.finance().await;
    let mut order = allocation(&rid(), &rid(), branch(12), 1_000);
    if let Some(decision) = order.decision.as_mut() {
        decision.meeting_number = "2026年第3次\0".into();
    }
    let status = allocate(&mut finance, order).await.expect_err("NUL");
    assert_eq!(
        violated_fields(&status),
        ["allocation.decision.meeting_number"]
    );
    assert_eq!(snapshot(&pool).await, before, "nothing written");
}

#[tokio::test]
async fn a_control_character_in_a_budget_reason_is_refused_naming_reason() {
    let funds = funded_year(100_000).await;
    let pool = funds.pool().await;
    let before = snapshot(&pool).await;
    let status = funds
        .finance()
        .await
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(5_000),
            reason: "党费\u{7}追加".into(),
        })
        .await
        .expect_err("BEL");
    assert_eq!(violated_fields(&status), ["reason"]);
    assert_eq!(snapshot(&pool).await, before, "nothing written");
}
