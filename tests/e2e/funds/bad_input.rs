//! Bad input names the field and writes nothing.

use super::*;

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.service.schema).await;
    let mut finance = funds.finance().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;
    top_up(&mut finance, 100_000).await;
    let postings_before = count(&pool, "postings").await;
    let keys_before = count(&pool, "idempotency_keys").await;
    let events_before = count(&pool, "event_outbox").await;

    for (amount, what) in [
        (0, "zero"),
        (-500, "negative"),
        (i64::MAX, "absurd"),
        (100_000_000_001, "absurd"),
    ] {
        let status = finance
            .top_up_budget(pb::TopUpBudgetRequest {
                request_id: rid(),
                year: year(),
                amount: money(amount),
                reason: "x".into(),
            })
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}");
        assert_eq!(violated_fields(&status), ["amount"], "{what}");
        let status = allocate(&mut finance, allocation(&rid(), "m-1", branch(12), amount))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}");
        assert_eq!(violated_fields(&status), ["allocation.amount"], "{what}");
    }
    for wrong_year in [0, 1999, year() + 2, 9999] {
        let status = finance
            .top_up_budget(pb::TopUpBudgetRequest {
                request_id: rid(),
                year: wrong_year,
                amount: money(100),
                reason: "x".into(),
            })
            .await
            .expect_err("wrong year");
        assert_eq!(violated_fields(&status), ["year"], "{wrong_year}");
        let mut alloc = allocation(&rid(), "m-1", branch(12), 100);
        alloc.year = wrong_year;
        let status = allocate(&mut finance, alloc).await.expect_err("wrong year");
        assert_eq!(
            violated_fields(&status),
            ["allocation.year"],
            "{wrong_year}"
        );
    }
    // Everything wrong at once: every field named.
    let status = allocate(
        &mut finance,
        pb::Allocation {
            org: Some(common::OrgRef {
                org_id: 12,
                path: "/2/12/".into(),
                name: "x".into(),
            }),
            amount: money(-1),
            special_case: true,
            ..Default::default()
        },
    )
    .await
    .expect_err("all wrong");
    let fields: HashSet<String> = violated_fields(&status).into_iter().collect();
    for field in [
        "allocation.application_id",
        "allocation.decision.decision_id",
        "allocation.member_id",
        "allocation.org.path",
        "allocation.year",
        "allocation.relief_type",
        "allocation.hardship_category",
        "allocation.amount",
        "allocation.special_case_reason",
    ] {
        assert!(fields.contains(field), "{field} missing from {fields:?}");
    }
    // Unknown things.
    let status = branch_staff
        .record_disbursement(disbursement_request(
            &rid(),
            &pb::Allocation {
                allocation_id: rid(),
                etag: "1".into(),
                amount: money(100),
                ..Default::default()
            },
        ))
        .await
        .expect_err("unknown allocation");
    assert_eq!(violated_fields(&status), ["disbursement.allocation_id"]);
    let status = finance
        .list_postings(pb::ListPostingsRequest {
            account_id: rid(),
            ..Default::default()
        })
        .await
        .expect_err("unknown account");
    assert_eq!(violated_fields(&status), ["account_id"]);
    let status = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: rid(),
            reason: "x".into(),
            authorised_by: "y".into(),
            authorisation_reference: String::new(),
            etag: String::new(),
        })
        .await
        .expect_err("unknown posting");
    assert_eq!(violated_fields(&status), ["posting_id"]);
    let status = finance
        .get_account(pb::GetAccountRequest {
            account_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("bad id");
    assert_eq!(violated_fields(&status), ["account_id"]);
    let status = finance
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: String::new(),
            year: year(),
            amount: money(100),
            reason: "x".into(),
        })
        .await
        .expect_err("no request id");
    assert_eq!(violated_fields(&status), ["request_id"]);
    // A disbursement of another amount than allocated, after a good allocation.
    let alloc = allocate(
        &mut finance,
        allocation("app-ok", "m-ok", branch(12), 5_000),
    )
    .await
    .expect("good allocation");
    let postings_mid = count(&pool, "postings").await;
    let keys_mid = count(&pool, "idempotency_keys").await;
    let mut request = disbursement_request(&rid(), &alloc);
    if let Some(d) = request.disbursement.as_mut() {
        d.amount = money(5_001);
    }
    let status = branch_staff
        .record_disbursement(request)
        .await
        .expect_err("more than allocated");
    assert_eq!(violated_fields(&status), ["disbursement.amount"]);

    assert_eq!(
        postings_before + 1,
        postings_mid,
        "only the good allocation posted"
    );
    assert_eq!(
        keys_before + 1,
        keys_mid,
        "refused requests leave no request_id behind"
    );
    assert_eq!(count(&pool, "postings").await, postings_mid);
    assert_eq!(count(&pool, "idempotency_keys").await, keys_mid);
    assert_eq!(count(&pool, "event_outbox").await, events_before + 1);
    check_books(&pool).await;
}
