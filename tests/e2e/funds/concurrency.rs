//! Parallel requests never overdraw; parallel replays act once; a change
//! asked for on a stale read is refused and changes nothing.

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

    // Many payments of one allocation under different request ids: one. The
    // others read the allocation before it was paid: their etag is stale.
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
            Err(status) => assert_eq!(status.code(), Code::Aborted, "{status:?}"),
        }
    }
    assert_eq!(paid, 1, "one payment per allocation");
    // Read again, the allocation is paid: another payment is refused by the rule.
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;
    let current = reread_allocation(&mut branch_staff, &target).await;
    let status = branch_staff
        .record_disbursement(disbursement_request(&rid(), &current))
        .await
        .expect_err("already paid");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");

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

/// What a refused change must leave as it was.
async fn snapshot(pool: &sqlx::PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "postings",
        "disbursements",
        "receipts",
        "event_outbox",
        "idempotency_keys",
        "audit_chain",
    ] {
        counts.push(count(pool, table).await);
    }
    let versions: i64 = sqlx::query_scalar(
        "SELECT ((SELECT COALESCE(sum(version), 0) FROM allocations)
            + (SELECT COALESCE(sum(version), 0) FROM disbursements))::bigint",
    )
    .fetch_one(pool)
    .await
    .expect("versions");
    counts.push(versions);
    counts
}

#[tokio::test]
async fn a_change_on_a_stale_read_is_aborted_and_changes_nothing() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.service.schema).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;
    top_up(&mut finance, 100_000).await;
    let read_at_allocation = allocate(
        &mut department,
        allocation("app-stale", "m-stale", branch(12), 50_000),
    )
    .await
    .expect("allocation");

    // Paid, and the payment reversed: the allocation may be paid again, but
    // not on the read made before all that.
    let first_payment = pay(&mut branch_staff, &read_at_allocation).await;
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

    let before = snapshot(&pool).await;
    let stale_payment = disbursement_request(&rid(), &read_at_allocation);
    let status = branch_staff
        .record_disbursement(stale_payment.clone())
        .await
        .expect_err("stale allocation etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    // The reversed payment's etag is stale too, and so is the allocation's
    // for reversing the allocation itself.
    let status = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: read_at_allocation.posting_id.clone(),
            reason: "拨付对象有误".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: paid.etag.clone(),
        })
        .await
        .expect_err("stale allocation etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    // The payment was reversed since the branch read it: its receipt is
    // refused as stale (read again, the payment shows it was reversed).
    let stale_receipt = pb::RecordReceiptRequest {
        request_id: rid(),
        disbursement_id: first_payment.disbursement_id.clone(),
        signer_name: read_at_allocation.member_name.clone(),
        signed_date: Some(today()),
        scan_sha256: SCAN.into(),
        sealed: false,
        etag: first_payment.etag.clone(),
    };
    let status = branch_staff
        .record_receipt(stale_receipt.clone())
        .await
        .expect_err("stale disbursement etag");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    let reversed = reread_disbursement(&mut finance, &first_payment).await;
    let status = branch_staff
        .record_receipt(pb::RecordReceiptRequest {
            etag: reversed.etag.clone(),
            ..stale_receipt
        })
        .await
        .expect_err("a reversed payment takes no receipt");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    // Without an etag the field is named.
    let mut unstamped = stale_payment.clone();
    unstamped.allocation_etag = String::new();
    let status = branch_staff
        .record_disbursement(unstamped)
        .await
        .expect_err("no etag");
    assert_eq!(violated_fields(&status), ["allocation_etag"]);
    let status = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: read_at_allocation.posting_id.clone(),
            reason: "拨付对象有误".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: String::new(),
        })
        .await
        .expect_err("no etag");
    assert_eq!(violated_fields(&status), ["etag"]);
    assert_eq!(
        snapshot(&pool).await,
        before,
        "refused changes leave no trace"
    );
    let unchanged = reread_allocation(&mut finance, &read_at_allocation).await;
    assert_eq!(unchanged, current);

    // On a fresh read the same request id goes through: nothing was kept of it.
    let mut fresh_payment = stale_payment.clone();
    fresh_payment.allocation_etag = current.etag.clone();
    let payment = branch_staff
        .record_disbursement(fresh_payment)
        .await
        .expect("payment on a fresh read")
        .into_inner();

    let receipt = branch_staff
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: payment.disbursement_id.clone(),
            signer_name: read_at_allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: SCAN.into(),
            sealed: false,
            etag: payment.etag.clone(),
        })
        .await;
    assert!(receipt.is_ok(), "{receipt:?}");
    let receipted = reread_disbursement(&mut finance, &payment).await;
    assert_ne!(receipted.etag, payment.etag, "the receipt is a change");
    check_books(&pool).await;
}
