//! Parallel requests never overdraw; parallel replays act once.

use super::*;

#[tokio::test]
async fn parallel_requests_never_overdraw_and_replays_act_once() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.service.schema).await;
    let mut finance = funds.finance().await;
    // The fund covers exactly 10 allocations of 500 yuan.
    top_up(&mut finance, 10 * 50_000).await;

    let mut tasks = Vec::new();
    for i in 0..40 {
        let mut client = funds.department().await;
        tasks.push(tokio::spawn(async move {
            allocate(
                &mut client,
                allocation(&format!("app-{i}"), &format!("m-{i}"), branch(12), 50_000),
            )
            .await
        }));
    }
    let mut allocations = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(allocation) => allocations.push(allocation),
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert_eq!(allocations.len(), 10, "exactly what the fund covers");
    let fund_balance: i64 = sqlx::query_scalar(
        "SELECT total_in - total_out FROM accounts WHERE kind = 'committee_relief_fund'",
    )
    .fetch_one(&pool)
    .await
    .expect("fund");
    assert_eq!(fund_balance, 0);
    check_books(&pool).await;

    // Many payments of one allocation under different request ids: one.
    let target = allocations[0].clone();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = funds.client(Role::BranchStaff, "/1/4/12/").await;
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            client
                .record_disbursement(disbursement_request(&rid(), &target))
                .await
                .map(Response::into_inner)
        }));
    }
    let mut paid = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => paid += 1,
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert_eq!(paid, 1, "one payment per allocation");

    // Many replays of one request id: one act, one identical answer.
    let replayed = allocations[1].clone();
    let request = disbursement_request(&rid(), &replayed);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = funds.client(Role::BranchStaff, "/1/4/12/").await;
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            client
                .record_disbursement(request)
                .await
                .map(Response::into_inner)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(answer) => answers.push(answer),
            // A replay arriving while the first is still running is told so.
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    assert!(!answers.is_empty());
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "every replay answers the same"
    );
    let payments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM disbursements WHERE allocation_id = $1::uuid")
            .bind(&replayed.allocation_id)
            .fetch_one(&pool)
            .await
            .expect("payments");
    assert_eq!(payments, 1);
    check_books(&pool).await;
}
