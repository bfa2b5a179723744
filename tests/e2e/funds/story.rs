//! The whole story: budget, allocation, payment, receipt, voucher — replayed identically.

use super::*;

#[tokio::test]
async fn the_whole_story_books_a_voucher_and_replays_identically() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.service.schema).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;

    let set = pb::SetBudgetRequest {
        request_id: rid(),
        year: year(),
        amount: money(1_000_000),
        reason: "党委会议决定".into(),
    };
    let first = finance
        .set_budget(set.clone())
        .await
        .expect("set")
        .into_inner();
    assert_eq!(fen(&first.budgeted), 1_000_000);
    assert_eq!(fen(&first.balance), 1_000_000);
    let replay = finance
        .set_budget(set.clone())
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replay, first, "a replay answers the first answer");
    let changed = finance
        .set_budget(pb::SetBudgetRequest {
            amount: money(2_000_000),
            ..set.clone()
        })
        .await
        .expect_err("same request_id, other amount");
    assert_eq!(changed.code(), Code::AlreadyExists);
    assert_eq!(
        count(&pool, "postings").await,
        1,
        "the budget was posted once"
    );

    // The department allocates; a replay returns the identical allocation.
    let request = pb::CreateAllocationRequest {
        request_id: rid(),
        allocation: Some(allocation("app-1", "m-1", branch(12), 80_000)),
    };
    let alloc = department
        .create_allocation(request.clone())
        .await
        .expect("allocation")
        .into_inner();
    assert_eq!(alloc.state, pb::AllocationState::Allocated as i32);
    let again = department
        .create_allocation(request.clone())
        .await
        .expect("replayed allocation")
        .into_inner();
    assert_eq!(again, alloc);
    let mut other = request.clone();
    if let Some(a) = other.allocation.as_mut() {
        a.amount = money(90_000);
    }
    let refused = department
        .create_allocation(other)
        .await
        .expect_err("changed params");
    assert_eq!(refused.code(), Code::AlreadyExists);
    // A second allocation for the same application, under a new request id.
    let second = allocate(
        &mut department,
        allocation("app-1", "m-1", branch(12), 80_000),
    )
    .await
    .expect_err("one allocation per application");
    assert_eq!(second.code(), Code::AlreadyExists);
    // A second relief for the member in the year needs a special case.
    let repeat = allocate(
        &mut department,
        allocation("app-2", "m-1", branch(12), 10_000),
    )
    .await
    .expect_err("once a year");
    assert_eq!(repeat.code(), Code::FailedPrecondition);

    // The branch pays and records the receipt; the allocation becomes a voucher.
    let paid = pay(&mut branch_staff, &alloc).await;
    assert_eq!(paid.days_without_receipt, 0);
    let missing = branch_staff
        .list_disbursements(pb::ListDisbursementsRequest {
            receipt_missing_only: true,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(missing.disbursements.len(), 1);
    let wrong_signer = branch_staff
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: paid.disbursement_id.clone(),
            signer_name: "别人".into(),
            signed_date: Some(today()),
            scan_sha256: SCAN.into(),
            sealed: false,
            etag: paid.etag.clone(),
        })
        .await
        .expect_err("only the member signs");
    assert_eq!(violated_fields(&wrong_signer), ["signer_name"]);
    let voucher = receipt(&mut branch_staff, &alloc, &paid).await;
    assert_eq!(voucher.voucher_number, format!("JZ-{}-0001", year()));
    let booked = branch_staff
        .get_allocation(pb::GetAllocationRequest {
            allocation_id: alloc.allocation_id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(booked.state, pb::AllocationState::Receipted as i32);
    assert_eq!(booked.voucher_number, voucher.voucher_number);

    // A branch elsewhere sees none of it; a finance reader sees the summary.
    let mut stranger = funds.client(Role::BranchStaff, "/1/7/").await;
    let denied = stranger
        .get_allocation(pb::GetAllocationRequest {
            allocation_id: alloc.allocation_id.clone(),
        })
        .await
        .expect_err("other subtree");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let denied = branch_staff
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(1),
            reason: "x".into(),
        })
        .await
        .expect_err("branches do not budget");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let summary = finance
        .get_budget_summary(pb::GetBudgetSummaryRequest { year: year() })
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(fen(&summary.budgeted), 1_000_000);
    assert_eq!(fen(&summary.balance), 920_000);
    assert_eq!(fen(&summary.paid), 80_000);
    assert_eq!(fen(&summary.receipted), 80_000);
    assert_eq!(fen(&summary.committed), 0);

    // A voucher is not reversed; the budget cannot drop below what is spent.
    let postings = finance
        .list_postings(pb::ListPostingsRequest {
            allocation_id: alloc.allocation_id.clone(),
            ..Default::default()
        })
        .await
        .expect("postings")
        .into_inner()
        .postings;
    assert_eq!(postings.len(), 2);
    let receipted = finance
        .get_disbursement(pb::GetDisbursementRequest {
            disbursement_id: paid.disbursement_id.clone(),
        })
        .await
        .expect("the paid disbursement")
        .into_inner();
    assert_ne!(receipted.etag, paid.etag, "the receipt is a change");
    let refused = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: postings[1].posting_id.clone(),
            reason: "错发".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
            etag: receipted.etag.clone(),
        })
        .await
        .expect_err("voucher");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    let refused = finance
        .set_budget(pb::SetBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(10_000),
            reason: "调减".into(),
        })
        .await
        .expect_err("cannot take back what is allocated");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    let chain = funds
        .auditor()
        .await
        .verify_audit_chain(common::VerifyAuditChainRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(chain.intact);
    assert!(chain.entries_checked >= 4);
    // Postings are immutable, even behind the service's back.
    let edited = sqlx::query("UPDATE postings SET amount = amount + 1")
        .execute(&pool)
        .await;
    assert!(edited.is_err(), "the trigger refuses edits of postings");
    check_books(&pool).await;
}
