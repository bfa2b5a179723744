//! What a refused request tells a program: a stable `ErrorInfo.reason` to
//! branch on, and for bad input every bad field at once.

use tonic_types::StatusExt;

use super::*;

/// The `ErrorInfo` every refusal carries: its reason, the domain, the service.
pub(super) fn reason(status: &Status) -> String {
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.domain, "relief-ledger", "{status:?}");
    assert_eq!(
        info.metadata.get("service").map(String::as_str),
        Some("funds"),
        "{status:?}"
    );
    info.reason
}

#[tokio::test]
async fn an_allocation_with_several_bad_fields_names_every_one_request_id_included() {
    let funds = Funds::spawn().await;
    let mut department = funds.department().await;
    let mut alloc = allocation("", &rid(), branch(12), -5);
    alloc.year = 1999;
    alloc.relief_type = 0;
    let status = department
        .create_allocation(pb::CreateAllocationRequest {
            request_id: String::new(),
            allocation: Some(alloc),
        })
        .await
        .expect_err("several bad fields");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(&status), "INVALID_FIELDS");
    let fields: HashSet<String> = violated_fields(&status).into_iter().collect();
    let expected: HashSet<String> = [
        "request_id",
        "allocation.application_id",
        "allocation.year",
        "allocation.relief_type",
        "allocation.amount",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(fields, expected);
}

#[tokio::test]
async fn a_second_relief_in_the_year_is_refused_as_once_a_year() {
    let funds = Funds::spawn().await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    top_up(&mut finance, 100_000).await;
    allocate(
        &mut department,
        funds
            .allocation("app-first", "m-once", branch(12), 30_000)
            .await,
    )
    .await
    .expect("first relief of the year");
    let status = allocate(
        &mut department,
        funds
            .allocation("app-second", "m-once", branch(12), 30_000)
            .await,
    )
    .await
    .expect_err("second relief of the year");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "ONCE_A_YEAR");
}

#[tokio::test]
async fn more_than_the_fund_holds_is_refused_as_a_fund_shortfall() {
    let funds = Funds::spawn().await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    top_up(&mut finance, 10_000).await;
    let status = allocate(
        &mut department,
        funds
            .allocation("app-short", "m-short", branch(12), 10_001)
            .await,
    )
    .await
    .expect_err("more than the fund holds");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "FUND_SHORTFALL");
}

#[tokio::test]
async fn a_second_allocation_of_one_application_is_refused_as_existing() {
    let funds = Funds::spawn().await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    top_up(&mut finance, 100_000).await;
    allocate(
        &mut department,
        funds
            .allocation("app-twice", "m-twice", branch(12), 30_000)
            .await,
    )
    .await
    .expect("the application's allocation");
    let status = allocate(
        &mut department,
        funds
            .allocation("app-twice", "m-other", branch(12), 30_000)
            .await,
    )
    .await
    .expect_err("a second allocation of the application");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert_eq!(reason(&status), "ALLOCATION_EXISTS");
}
