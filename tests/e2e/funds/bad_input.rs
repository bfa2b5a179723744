//! Bad input names the field and writes nothing.

use super::*;

/// A funded year, watched: what it held before a request, to show the
/// request wrote nothing.
struct WatchedYear {
    funds: Funds,
    pool: sqlx::PgPool,
    before: Vec<i64>,
}

async fn watched_year() -> WatchedYear {
    let funds = funded_year(100_000).await;
    let pool = funds.pool().await;
    let before = snapshot(&pool).await;
    WatchedYear {
        funds,
        pool,
        before,
    }
}

impl WatchedYear {
    /// Every trace a change leaves is as it was, and the books balance.
    async fn assert_nothing_written(&self) {
        assert_eq!(
            snapshot(&self.pool).await,
            self.before,
            "a refused request writes nothing"
        );
        check_books(&self.pool).await;
    }
}

const BAD_AMOUNTS: [(i64, &str); 4] = [
    (0, "zero"),
    (-500, "negative"),
    (i64::MAX, "absurd"),
    (100_000_000_001, "absurd"),
];

fn bad_years() -> [i32; 4] {
    [0, 1999, year() + 2, 9999]
}

#[tokio::test]
async fn a_top_up_of_a_zero_negative_or_absurd_amount_names_the_amount() {
    let watched = watched_year().await;
    let mut finance = watched.funds.finance().await;
    for (amount, what) in BAD_AMOUNTS {
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
    }
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn an_allocation_of_a_zero_negative_or_absurd_amount_names_its_amount() {
    let watched = watched_year().await;
    let mut finance = watched.funds.finance().await;
    for (amount, what) in BAD_AMOUNTS {
        let status = allocate(&mut finance, allocation(&rid(), &rid(), branch(12), amount))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}");
        assert_eq!(violated_fields(&status), ["allocation.amount"], "{what}");
    }
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn a_top_up_for_a_year_out_of_range_names_the_year() {
    let watched = watched_year().await;
    let mut finance = watched.funds.finance().await;
    for wrong_year in bad_years() {
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
    }
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn an_allocation_for_a_year_out_of_range_names_its_year() {
    let watched = watched_year().await;
    let mut finance = watched.funds.finance().await;
    for wrong_year in bad_years() {
        let mut alloc = allocation(&rid(), &rid(), branch(12), 100);
        alloc.year = wrong_year;
        let status = allocate(&mut finance, alloc).await.expect_err("wrong year");
        assert_eq!(
            violated_fields(&status),
            ["allocation.year"],
            "{wrong_year}"
        );
    }
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn an_allocation_with_everything_wrong_names_every_field() {
    let watched = watched_year().await;
    let status = allocate(
        &mut watched.funds.finance().await,
        pb::Allocation {
            org: Some(common::OrgRef {
                org_id: -12,
                ..Default::default()
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
        "allocation.org.org_id",
        "allocation.year",
        "allocation.relief_type",
        "allocation.hardship_category",
        "allocation.amount",
        "allocation.special_case_reason",
    ] {
        assert!(fields.contains(field), "{field} missing from {fields:?}");
    }
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn paying_an_unknown_allocation_names_the_allocation() {
    let watched = watched_year().await;
    let status = watched
        .funds
        .branch_staff()
        .await
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
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn the_postings_of_an_unknown_account_name_the_account() {
    let watched = watched_year().await;
    let status = watched
        .funds
        .finance()
        .await
        .list_postings(pb::ListPostingsRequest {
            account_id: rid(),
            ..Default::default()
        })
        .await
        .expect_err("unknown account");
    assert_eq!(violated_fields(&status), ["account_id"]);
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn reversing_an_unknown_posting_names_the_posting() {
    let watched = watched_year().await;
    let status = watched
        .funds
        .finance()
        .await
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
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn an_account_id_that_is_not_a_uuid_is_named() {
    let watched = watched_year().await;
    let status = watched
        .funds
        .finance()
        .await
        .get_account(pb::GetAccountRequest {
            account_id: "not-a-uuid".into(),
        })
        .await
        .expect_err("bad id");
    assert_eq!(violated_fields(&status), ["account_id"]);
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn a_write_without_a_request_id_names_the_request_id() {
    let watched = watched_year().await;
    let status = watched
        .funds
        .finance()
        .await
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: String::new(),
            year: year(),
            amount: money(100),
            reason: "x".into(),
        })
        .await
        .expect_err("no request id");
    assert_eq!(violated_fields(&status), ["request_id"]);
    watched.assert_nothing_written().await;
}

#[tokio::test]
async fn a_payment_of_more_than_allocated_names_the_amount_and_only_the_allocation_is_kept() {
    let funds = funded_year(100_000).await;
    let pool = funds.pool().await;
    let mut finance = funds.finance().await;
    let postings_before = count(&pool, "postings").await;
    let keys_before = count(&pool, "idempotency_keys").await;
    let events_before = count(&pool, "event_outbox").await;
    let alloc = allocate(
        &mut finance,
        funds.allocation("app-ok", "m-ok", branch(12), 5_000).await,
    )
    .await
    .expect("good allocation");
    let postings_mid = count(&pool, "postings").await;
    let keys_mid = count(&pool, "idempotency_keys").await;
    let mid = snapshot(&pool).await;
    let mut request = disbursement_request(&rid(), &alloc);
    if let Some(d) = request.disbursement.as_mut() {
        d.amount = money(5_001);
    }
    let status = funds
        .branch_staff()
        .await
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
    assert_eq!(snapshot(&pool).await, mid, "the refusal wrote nothing");
    check_books(&pool).await;
}
