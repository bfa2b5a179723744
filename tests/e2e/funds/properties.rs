//! Property: random sequences of requests, with retries and duplicates, keep the books.

use super::*;

// ---------------------------------------------------------------------------
// Property: random sequences of requests, with retries and duplicates, keep
// the books balanced.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    TopUp(i64),
    SetBudget(i64),
    Allocate {
        application: u8,
        member: u8,
        amount: i64,
        special: bool,
    },
    Pay(u8),
    Receipt(u8),
    ReverseAllocation(u8),
    ReversePayment(u8),
    /// Send the n-th earlier request again, unchanged.
    Retry(u8),
    /// Send the n-th earlier request's id with other content.
    Duplicate(u8),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (1_i64..200_000).prop_map(Step::TopUp),
        (0_i64..400_000).prop_map(Step::SetBudget),
        (0_u8..6, 0_u8..4, 1_i64..120_000, any::<bool>()).prop_map(
            |(application, member, amount, special)| {
                Step::Allocate {
                    application,
                    member,
                    amount,
                    special,
                }
            }
        ),
        any::<u8>().prop_map(Step::Pay),
        any::<u8>().prop_map(Step::Receipt),
        any::<u8>().prop_map(Step::ReverseAllocation),
        any::<u8>().prop_map(Step::ReversePayment),
        any::<u8>().prop_map(Step::Retry),
        any::<u8>().prop_map(Step::Duplicate),
    ]
}

/// A request sent, kept to be retried or duplicated.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
enum Sent {
    TopUp(pb::TopUpBudgetRequest, Result<pb::BudgetSummary, Code>),
    Allocate(pb::CreateAllocationRequest, Result<pb::Allocation, Code>),
    Pay(
        pb::RecordDisbursementRequest,
        Result<pb::Disbursement, Code>,
    ),
}

async fn run_steps(steps: Vec<Step>) {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.service.schema).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/").await;
    // Who records receipts is not who paid (separation of duties).
    let mut receipt_clerk = funds.branch_clerk().await;
    let mut sent: Vec<Sent> = Vec::new();
    let mut allocations: Vec<pb::Allocation> = Vec::new();
    let mut payments: HashMap<String, pb::Disbursement> = HashMap::new();

    for step in steps {
        match step {
            Step::TopUp(amount) => {
                let request = pb::TopUpBudgetRequest {
                    request_id: rid(),
                    year: year(),
                    amount: money(amount),
                    reason: "追加".into(),
                };
                let answer = finance
                    .top_up_budget(request.clone())
                    .await
                    .map(Response::into_inner);
                assert!(answer.is_ok(), "{answer:?}");
                sent.push(Sent::TopUp(request, answer.map_err(|s| s.code())));
            }
            Step::SetBudget(amount) => {
                let answer = finance
                    .set_budget(pb::SetBudgetRequest {
                        request_id: rid(),
                        year: year(),
                        amount: money(amount),
                        reason: "调整".into(),
                    })
                    .await;
                if let Err(status) = &answer {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                }
            }
            Step::Allocate {
                application,
                member,
                amount,
                special,
            } => {
                let mut alloc = funds
                    .allocation(
                        &format!("app-{application}"),
                        &format!("m-{member}"),
                        branch(12),
                        amount,
                    )
                    .await;
                alloc.special_case = special;
                alloc.special_case_reason = if special {
                    "特殊情况".into()
                } else {
                    String::new()
                };
                let request = pb::CreateAllocationRequest {
                    request_id: rid(),
                    allocation: Some(alloc),
                };
                let answer = department
                    .create_allocation(request.clone())
                    .await
                    .map(Response::into_inner);
                match &answer {
                    Ok(allocation) => allocations.push(allocation.clone()),
                    Err(status) => assert!(
                        matches!(
                            status.code(),
                            Code::FailedPrecondition | Code::AlreadyExists
                        ),
                        "{status:?}"
                    ),
                }
                sent.push(Sent::Allocate(request, answer.map_err(|s| s.code())));
            }
            Step::Pay(n) => {
                let Some(target) = pick(&allocations, n) else {
                    continue;
                };
                // Paid on a fresh read: a stale etag is refused before any rule.
                let target = reread_allocation(&mut finance, &target).await;
                let request = disbursement_request(&rid(), &target);
                let answer = branch_staff
                    .record_disbursement(request.clone())
                    .await
                    .map(Response::into_inner);
                match &answer {
                    Ok(payment) => {
                        payments.insert(target.allocation_id.clone(), payment.clone());
                    }
                    Err(status) => {
                        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}")
                    }
                }
                sent.push(Sent::Pay(request, answer.map_err(|s| s.code())));
            }
            Step::Receipt(n) => {
                let Some(target) = pick(&allocations, n) else {
                    continue;
                };
                let Some(payment) = payments.get(&target.allocation_id) else {
                    continue;
                };
                let payment = reread_disbursement(&mut finance, payment).await;
                let answer = receipt_clerk
                    .record_receipt(pb::RecordReceiptRequest {
                        request_id: rid(),
                        disbursement_id: payment.disbursement_id.clone(),
                        signer_name: target.member_name.clone(),
                        signed_date: Some(today()),
                        scan_sha256: scan(),
                        sealed: false,
                        etag: payment.etag,
                    })
                    .await;
                if let Err(status) = &answer {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                }
            }
            Step::ReverseAllocation(n) | Step::ReversePayment(n) => {
                let Some(target) = pick(&allocations, n) else {
                    continue;
                };
                let (posting_id, etag) = match step {
                    Step::ReverseAllocation(_) => (
                        target.posting_id.clone(),
                        reread_allocation(&mut finance, &target).await.etag,
                    ),
                    _ => match payments.get(&target.allocation_id) {
                        Some(payment) => (
                            payment.posting_id.clone(),
                            reread_disbursement(&mut finance, payment).await.etag,
                        ),
                        None => continue,
                    },
                };
                let answer = finance
                    .reverse_posting(pb::ReversePostingRequest {
                        request_id: rid(),
                        posting_id,
                        reason: "更正".into(),
                        authorised_by: "财务负责人".into(),
                        authorisation_reference: String::new(),
                        etag,
                    })
                    .await;
                if let Err(status) = &answer {
                    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                }
            }
            Step::Retry(n) => {
                let Some(earlier) = pick(&sent, n) else {
                    continue;
                };
                // A retry answers exactly what the first call answered, when
                // that succeeded; a refused first call is simply re-evaluated.
                match earlier {
                    Sent::TopUp(request, Ok(first)) => {
                        let again = finance
                            .top_up_budget(request)
                            .await
                            .expect("retry")
                            .into_inner();
                        assert_eq!(again, first);
                    }
                    Sent::Allocate(request, Ok(first)) => {
                        let again = department
                            .create_allocation(request)
                            .await
                            .expect("retry")
                            .into_inner();
                        assert_eq!(again, first);
                    }
                    Sent::Pay(request, Ok(first)) => {
                        let again = branch_staff
                            .record_disbursement(request)
                            .await
                            .expect("retry")
                            .into_inner();
                        assert_eq!(again, first);
                    }
                    Sent::Allocate(request, Err(_)) => {
                        let _ = department.create_allocation(request).await;
                    }
                    Sent::Pay(request, Err(_)) => {
                        let _ = branch_staff.record_disbursement(request).await;
                    }
                    Sent::TopUp(_, Err(_)) => {}
                }
            }
            Step::Duplicate(n) => {
                let Some(earlier) = pick(&sent, n) else {
                    continue;
                };
                let status = match earlier {
                    Sent::TopUp(mut request, Ok(_)) => {
                        request.amount = money(fen(&request.amount) + 1);
                        finance.top_up_budget(request).await.expect_err("changed")
                    }
                    Sent::Allocate(mut request, Ok(_)) => {
                        if let Some(a) = request.allocation.as_mut() {
                            a.amount = money(fen(&a.amount) + 1);
                        }
                        department
                            .create_allocation(request)
                            .await
                            .expect_err("changed")
                    }
                    Sent::Pay(mut request, Ok(_)) => {
                        if let Some(d) = request.disbursement.as_mut() {
                            d.paid_by = "另一人".into();
                        }
                        branch_staff
                            .record_disbursement(request)
                            .await
                            .expect_err("changed")
                    }
                    _ => continue,
                };
                assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
            }
        }
        check_books(&pool).await;
    }
}

fn pick<T: Clone>(items: &[T], n: u8) -> Option<T> {
    if items.is_empty() {
        None
    } else {
        items.get(usize::from(n) % items.len()).cloned()
    }
}

#[test]
fn random_sequences_with_retries_and_duplicates_keep_the_books() {
    use proptest::test_runner::{Config, TestRunner};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cases = std::env::var("RELIEF_FUNDS_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new(Config {
        cases,
        // Each case starts a service on a fresh schema; shrinking would
        // start hundreds. A failure prints its steps instead.
        max_shrink_iters: 0,
        ..Config::default()
    });
    let strategy = proptest::collection::vec(step(), 10..40);
    runner
        .run(&strategy, |steps| {
            runtime.block_on(run_steps(steps));
            Ok(())
        })
        .expect("the books stay balanced");
}
