//! Separation of duties and the receipts' own evidence: who pays does not
//! record the receipt nor reverse the payment, nobody reverses their own
//! posting or authorises their own reversal, budget postings are finance's
//! to reverse; a receipt's scan is on one receipt only; vouchers are listed
//! in number order, their times in the same order, however receipts race.

use super::errors::reason;
use super::inspection::download;
use super::*;

/// Another finance user than `Funds::finance`.
async fn second_finance(funds: &Funds) -> Client {
    FundsServiceClient::with_interceptor(
        channel(funds.service.addr).await,
        Bearer(token_for(
            "second-finance-officer",
            vec![RoleBinding {
                role: Role::Finance,
                org_path: "/1/".into(),
            }],
        )),
    )
}

fn reversal(posting_id: &str, etag: &str, authorised_by: &str) -> pb::ReversePostingRequest {
    pb::ReversePostingRequest {
        request_id: rid(),
        posting_id: posting_id.into(),
        reason: "更正".into(),
        authorised_by: authorised_by.into(),
        authorisation_reference: "工委会议2026年第5次".into(),
        etag: etag.into(),
    }
}

fn assert_separated(status: &Status) {
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(status), "SEPARATION_OF_DUTIES");
}

/// The budget posting of the year's top-up.
async fn budget_posting(funds: &Funds) -> pb::Posting {
    let postings = funds
        .auditor()
        .await
        .list_postings(pb::ListPostingsRequest {
            kind: pb::PostingKind::Budget as i32,
            ..Default::default()
        })
        .await
        .expect("postings")
        .into_inner()
        .postings;
    postings.into_iter().next().expect("the top-up's posting")
}

#[tokio::test]
async fn the_department_may_not_reverse_a_budget_posting() {
    let funds = funded_year(100_000).await;
    let posting = budget_posting(&funds).await;
    let status = funds
        .department()
        .await
        .reverse_posting(reversal(&posting.posting_id, "", "财务负责人"))
        .await
        .expect_err("the department does not set the budget, nor undo it");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
}

#[tokio::test]
async fn finance_reverses_a_budget_posting_another_finance_officer_made() {
    let funds = funded_year(100_000).await;
    let posting = budget_posting(&funds).await;
    let reversed = second_finance(&funds)
        .await
        .reverse_posting(reversal(&posting.posting_id, "", "财务负责人"))
        .await
        .expect("finance reverses the budget posting")
        .into_inner();
    assert_eq!(reversed.reversal_of, posting.posting_id);
}

#[tokio::test]
async fn who_recorded_a_payment_may_not_record_its_receipt() {
    let funds = funded_year(100_000).await;
    let PaidCase {
        allocation,
        payment,
    } = paid_case(&funds, 30_000).await;
    let status = funds
        .branch_staff()
        .await
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: payment.disbursement_id.clone(),
            signer_name: allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: scan(),
            sealed: false,
            etag: payment.etag.clone(),
        })
        .await
        .expect_err("the payer checks their own payment");
    assert_separated(&status);
}

#[tokio::test]
async fn who_recorded_a_payment_may_not_reverse_it() {
    let funds = funded_year(100_000).await;
    let mut department = funds.department().await;
    let alloc = allocated_case(&funds, 30_000).await;
    // The department may pay too; then it may not undo its own payment.
    let payment = pay(&mut department, &alloc).await;
    let status = department
        .reverse_posting(reversal(&payment.posting_id, &payment.etag, "财务负责人"))
        .await
        .expect_err("the payer undoes their own payment");
    assert_separated(&status);
}

#[tokio::test]
async fn who_made_an_allocation_may_not_reverse_it() {
    let funds = funded_year(100_000).await;
    let alloc = allocated_case(&funds, 30_000).await;
    let status = funds
        .department()
        .await
        .reverse_posting(reversal(&alloc.posting_id, &alloc.etag, "财务负责人"))
        .await
        .expect_err("the allocator undoes their own allocation");
    assert_separated(&status);
}

#[tokio::test]
async fn a_reversal_authorised_by_the_person_reversing_is_refused() {
    let funds = funded_year(100_000).await;
    let alloc = allocated_case(&funds, 30_000).await;
    let mut finance = funds.finance().await;
    let me = format!("财务科 {}", token_display_name(Role::Finance, "/1/"));
    let status = finance
        .reverse_posting(reversal(&alloc.posting_id, &alloc.etag, &me))
        .await
        .expect_err("authorised by the person reversing");
    assert_separated(&status);
    finance
        .reverse_posting(reversal(
            &alloc.posting_id,
            &alloc.etag,
            "财务负责人 王主任",
        ))
        .await
        .expect("authorised by someone else");
}

/// The display name the test tokens give a user of `role` at `path`.
fn token_display_name(role: Role, path: &str) -> String {
    format!("测试用户 user-{}-{}", role, path.replace('/', "_"))
}

#[tokio::test]
async fn a_receipt_scan_already_on_another_receipt_is_refused() {
    let funds = funded_year(100_000).await;
    let mut department = funds.department().await;
    let mut staff = funds.branch_staff().await;
    let mut clerk = funds.branch_clerk().await;
    let first = funds.allocation("app-1", "m-1", branch(12), 30_000).await;
    let first = allocate(&mut department, first).await.expect("first");
    let second = funds.allocation("app-2", "m-2", branch(12), 30_000).await;
    let second = allocate(&mut department, second).await.expect("second");
    let first_payment = pay(&mut staff, &first).await;
    let second_payment = pay(&mut staff, &second).await;
    let used = receipt(&mut clerk, &first, &first_payment).await;
    for written in [used.scan_sha256.clone(), used.scan_sha256.to_uppercase()] {
        let status = clerk
            .record_receipt(pb::RecordReceiptRequest {
                request_id: rid(),
                disbursement_id: second_payment.disbursement_id.clone(),
                signer_name: second.member_name.clone(),
                signed_date: Some(today()),
                scan_sha256: written,
                sealed: false,
                etag: second_payment.etag.clone(),
            })
            .await
            .expect_err("the first receipt's scan again");
        assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
        assert_eq!(reason(&status), "RECEIPT_SCAN_REUSED");
    }
    receipt(&mut clerk, &second, &second_payment).await;
}

/// `n` payments receipted all at once; the disbursements as they are then.
async fn receipts_racing(funds: &Funds, n: usize) -> Vec<pb::Disbursement> {
    let mut department = funds.department().await;
    let mut staff = funds.branch_staff().await;
    let mut cases = Vec::new();
    for i in 0..n {
        let alloc = funds
            .allocation(&format!("app-{i}"), &format!("m-{i}"), branch(12), 1_000)
            .await;
        let alloc = allocate(&mut department, alloc).await.expect("allocated");
        let payment = pay(&mut staff, &alloc).await;
        cases.push((alloc, payment));
    }
    let mut tasks = Vec::new();
    for (alloc, payment) in cases {
        let mut clerk = funds.branch_clerk().await;
        tasks.push(tokio::spawn(async move {
            receipt(&mut clerk, &alloc, &payment).await;
        }));
    }
    for task in tasks {
        task.await.expect("receipt task");
    }
    funds
        .auditor()
        .await
        .list_disbursements(pb::ListDisbursementsRequest {
            page_size: 500,
            ..Default::default()
        })
        .await
        .expect("payments")
        .into_inner()
        .disbursements
}

fn voucher_seq(number: &str) -> u32 {
    number
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("JZ-<year>-<n>")
}

#[tokio::test]
async fn vouchers_of_racing_receipts_are_exported_in_number_order() {
    let funds = funded_year(1_000_000).await;
    receipts_racing(&funds, 24).await;
    let (_, bytes) = download(
        funds
            .auditor()
            .await
            .export_vouchers(pb::ExportVouchersRequest {
                year: year(),
                ..Default::default()
            })
            .await
            .expect("vouchers")
            .into_inner(),
    )
    .await;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx");
    let sheet = book.worksheet_range("入帐凭证清单").expect("sheet");
    let numbers: Vec<u32> = (4..4 + 24)
        .map(|row| match sheet.get_value((row, 0)) {
            Some(Data::String(number)) => voucher_seq(number),
            other => panic!("row {row}: {other:?}"),
        })
        .collect();
    assert_eq!(numbers, (1..=24).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_later_voucher_number_never_carries_an_earlier_receipt_time() {
    let funds = funded_year(1_000_000).await;
    let mut receipts: Vec<pb::Receipt> = receipts_racing(&funds, 24)
        .await
        .into_iter()
        .filter_map(|payment| payment.receipt)
        .collect();
    assert_eq!(receipts.len(), 24);
    receipts.sort_by_key(|r| voucher_seq(&r.voucher_number));
    let times: Vec<(i64, i32)> = receipts
        .iter()
        .map(|r| {
            let t = r.record_time.expect("record_time");
            (t.seconds, t.nanos)
        })
        .collect();
    assert!(
        times.windows(2).all(|pair| pair[0] <= pair[1]),
        "receipt times out of number order: {times:?}"
    );
}
