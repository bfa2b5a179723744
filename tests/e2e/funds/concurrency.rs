//! Parallel requests never overdraw; parallel replays act once; a change
//! asked for on a stale read is refused and changes nothing.

use super::*;

/// What the fund of these stories holds: exactly 10 allocations of 500 yuan.
const TEN_RELIEFS: i64 = 10 * 50_000;

#[tokio::test]
async fn parallel_allocations_never_overdraw_the_fund() {
    let funds = funded_year(TEN_RELIEFS).await;
    let pool = funds.pool().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let mut client = funds.department().await;
        let alloc = funds
            .allocation(&format!("app-{i}"), &format!("m-{i}"), branch(12), 50_000)
            .await;
        tasks.push(tokio::spawn(
            async move { allocate(&mut client, alloc).await },
        ));
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
}

#[tokio::test]
async fn parallel_payments_of_one_allocation_pay_it_once() {
    let funds = funded_year(TEN_RELIEFS).await;
    let pool = funds.pool().await;
    let target = allocated_case(&funds, 50_000).await;
    // Many payments under different request ids: one. The others read the
    // allocation before it was paid: their etag is stale.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = funds.branch_staff().await;
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
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    assert_eq!(paid, 1, "one payment per allocation");
    check_books(&pool).await;
}

#[tokio::test]
async fn a_paid_allocation_read_again_is_refused_a_second_payment() {
    let funds = funded_year(TEN_RELIEFS).await;
    let case = paid_case(&funds, 50_000).await;
    // Read again, the allocation is paid: another payment is refused by the rule.
    let mut branch_staff = funds.branch_staff().await;
    let current = reread_allocation(&mut branch_staff, &case.allocation).await;
    let status = branch_staff
        .record_disbursement(disbursement_request(&rid(), &current))
        .await
        .expect_err("already paid");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
}

#[tokio::test]
async fn parallel_replays_of_one_payment_act_once_and_answer_alike() {
    let funds = funded_year(TEN_RELIEFS).await;
    let pool = funds.pool().await;
    let replayed = allocated_case(&funds, 50_000).await;
    // Many replays of one request id: one act, one identical answer.
    let request = disbursement_request(&rid(), &replayed);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let mut client = funds.branch_staff().await;
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

/// An allocation read when it was allocated, then paid, and the payment
/// reversed: it may be paid again, but not on the reads made before all that.
struct ReadBeforeAReversal {
    funds: Funds,
    pool: sqlx::PgPool,
    /// The allocation as the branch read it when it was allocated.
    read_at_allocation: pb::Allocation,
    /// The allocation as read once it was paid.
    paid: pb::Allocation,
    /// The payment, as paid (since reversed).
    first_payment: pb::Disbursement,
    /// The allocation as it is now: allocated again.
    current: pb::Allocation,
}

async fn read_before_a_reversal() -> ReadBeforeAReversal {
    let funds = funded_year(100_000).await;
    let pool = funds.pool().await;
    let mut finance = funds.finance().await;
    let read_at_allocation = allocate(
        &mut funds.department().await,
        funds
            .allocation("app-stale", "m-stale", branch(12), 50_000)
            .await,
    )
    .await
    .expect("allocation");
    let first_payment = pay(&mut funds.branch_staff().await, &read_at_allocation).await;
    let paid = reread_allocation(&mut finance, &read_at_allocation).await;
    assert_ne!(paid.etag, read_at_allocation.etag, "paying is a change");
    let reversal = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: first_payment.posting_id.clone(),
            reason: "发放对象有误".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: first_payment.etag.clone(),
        })
        .await;
    assert!(reversal.is_ok(), "{reversal:?}");
    let current = reread_allocation(&mut finance, &read_at_allocation).await;
    assert_eq!(current.state, pb::AllocationState::Allocated as i32);
    ReadBeforeAReversal {
        funds,
        pool,
        read_at_allocation,
        paid,
        first_payment,
        current,
    }
}

impl ReadBeforeAReversal {
    /// The allocation's reversal, on the allocation's `etag`.
    fn reverse_allocation(&self, etag: &str) -> pb::ReversePostingRequest {
        pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: self.read_at_allocation.posting_id.clone(),
            reason: "拨付对象有误".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: etag.to_owned(),
        }
    }

    /// The member's receipt of the reversed payment, on the payment's `etag`.
    fn receipt_of_the_reversed_payment(&self, etag: &str) -> pb::RecordReceiptRequest {
        pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: self.first_payment.disbursement_id.clone(),
            signer_name: self.read_at_allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: scan(),
            sealed: false,
            etag: etag.to_owned(),
        }
    }

    /// Refused changes leave no trace, and the allocation is as it was.
    async fn assert_unchanged(&self, before: &[i64]) {
        assert_eq!(
            snapshot(&self.pool).await,
            before,
            "refused changes leave no trace"
        );
        let unchanged =
            reread_allocation(&mut self.funds.finance().await, &self.read_at_allocation).await;
        assert_eq!(unchanged, self.current);
    }
}

#[tokio::test]
async fn a_payment_on_a_read_from_before_a_reversal_is_aborted_and_changes_nothing() {
    let stale = read_before_a_reversal().await;
    let before = snapshot(&stale.pool).await;
    let status = stale
        .funds
        .branch_staff()
        .await
        .record_disbursement(disbursement_request(&rid(), &stale.read_at_allocation))
        .await
        .expect_err("stale allocation etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    stale.assert_unchanged(&before).await;
}

#[tokio::test]
async fn reversing_an_allocation_on_a_stale_read_is_aborted_and_changes_nothing() {
    let stale = read_before_a_reversal().await;
    let before = snapshot(&stale.pool).await;
    let status = stale
        .funds
        .finance()
        .await
        .reverse_posting(stale.reverse_allocation(&stale.paid.etag))
        .await
        .expect_err("stale allocation etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    stale.assert_unchanged(&before).await;
}

#[tokio::test]
async fn a_receipt_on_a_stale_read_of_its_payment_is_aborted_and_changes_nothing() {
    let stale = read_before_a_reversal().await;
    let before = snapshot(&stale.pool).await;
    // The payment was reversed since the branch read it (the receipt is
    // recorded by someone other than who paid).
    let status = stale
        .funds
        .branch_clerk()
        .await
        .record_receipt(stale.receipt_of_the_reversed_payment(&stale.first_payment.etag))
        .await
        .expect_err("stale disbursement etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    stale.assert_unchanged(&before).await;
}

#[tokio::test]
async fn a_reversed_payment_takes_no_receipt_even_on_a_fresh_read() {
    let stale = read_before_a_reversal().await;
    // The receipt is recorded by someone other than who paid.
    let mut clerk = stale.funds.branch_clerk().await;
    let before = snapshot(&stale.pool).await;
    let stale_receipt = stale.receipt_of_the_reversed_payment(&stale.first_payment.etag);
    let status = clerk
        .record_receipt(stale_receipt.clone())
        .await
        .expect_err("stale disbursement etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    // Read again, the payment shows it was reversed; the same receipt on
    // the fresh read is refused by the rule.
    let reversed =
        reread_disbursement(&mut stale.funds.finance().await, &stale.first_payment).await;
    let status = clerk
        .record_receipt(pb::RecordReceiptRequest {
            etag: reversed.etag.clone(),
            ..stale_receipt
        })
        .await
        .expect_err("a reversed payment takes no receipt");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    stale.assert_unchanged(&before).await;
}

#[tokio::test]
async fn a_change_without_an_etag_names_the_etag() {
    let stale = read_before_a_reversal().await;
    let before = snapshot(&stale.pool).await;
    let mut unstamped = disbursement_request(&rid(), &stale.read_at_allocation);
    unstamped.allocation_etag = String::new();
    let status = stale
        .funds
        .branch_staff()
        .await
        .record_disbursement(unstamped)
        .await
        .expect_err("no etag");
    assert_eq!(violated_fields(&status), ["allocation_etag"]);
    let status = stale
        .funds
        .finance()
        .await
        .reverse_posting(stale.reverse_allocation(""))
        .await
        .expect_err("no etag");
    assert_eq!(violated_fields(&status), ["etag"]);
    stale.assert_unchanged(&before).await;
}

#[tokio::test]
async fn a_stale_payment_refused_keeps_nothing_of_its_request_id() {
    let stale = read_before_a_reversal().await;
    let mut branch_staff = stale.funds.branch_staff().await;
    let mut finance = stale.funds.finance().await;
    let stale_payment = disbursement_request(&rid(), &stale.read_at_allocation);
    let status = branch_staff
        .record_disbursement(stale_payment.clone())
        .await
        .expect_err("stale allocation etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");

    // On a fresh read the same request id goes through: nothing was kept of it.
    let mut fresh_payment = stale_payment.clone();
    fresh_payment.allocation_etag = stale.current.etag.clone();
    let payment = branch_staff
        .record_disbursement(fresh_payment)
        .await
        .expect("payment on a fresh read")
        .into_inner();

    let receipt = stale
        .funds
        .branch_clerk()
        .await
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: payment.disbursement_id.clone(),
            signer_name: stale.read_at_allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: scan(),
            sealed: false,
            etag: payment.etag.clone(),
        })
        .await;
    assert!(receipt.is_ok(), "{receipt:?}");
    let receipted = reread_disbursement(&mut finance, &payment).await;
    assert_ne!(receipted.etag, payment.etag, "the receipt is a change");
    check_books(&stale.pool).await;
}
