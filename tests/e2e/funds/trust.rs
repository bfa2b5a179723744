//! The funds service believes the ledger, not its caller: the member, their
//! name and branch and the paying organisation's path and name are the
//! ledger's; a member or organisation the ledger does not have is refused;
//! a member id is a UUID, one member however it is written.

use super::errors::reason;
use super::*;

/// A funded year and the member `m-1`, registered in branch 12.
async fn funded_with_member() -> (Funds, String) {
    let funds = funded_year(1_000_000).await;
    let member_id = funds.register.member("m-1", 12).await.member_id;
    (funds, member_id)
}

#[tokio::test]
async fn an_allocation_to_a_member_the_ledger_does_not_register_is_refused() {
    let funds = funded_year(1_000_000).await;
    let pool = funds.pool().await;
    let before = snapshot(&pool).await;
    let status = allocate(
        &mut funds.department().await,
        allocation("app-ghost", &rid(), branch(12), 30_000),
    )
    .await
    .expect_err("nobody by that id");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "MEMBER_NOT_REGISTERED");
    assert_eq!(snapshot(&pool).await, before, "nothing written");
}

#[tokio::test]
async fn an_allocation_to_an_organisation_the_ledger_does_not_have_is_refused() {
    let (funds, member_id) = funded_with_member().await;
    let nowhere = common::OrgRef {
        org_id: 990_001,
        path: "/1/990001/".into(),
        name: "不存在的党支部".into(),
    };
    let status = allocate(
        &mut funds.department().await,
        allocation("app-nowhere", &member_id, nowhere, 30_000),
    )
    .await
    .expect_err("no such organisation");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "ORG_NOT_REGISTERED");
}

#[tokio::test]
async fn an_allocation_paid_by_an_organisation_the_member_is_not_in_is_refused() {
    let (funds, member_id) = funded_with_member().await;
    let status = allocate(
        &mut funds.department().await,
        allocation("app-elsewhere", &member_id, branch(7), 30_000),
    )
    .await
    .expect_err("branch 7 does not pay a member of branch 12");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "MEMBER_NOT_IN_ORG");
}

#[tokio::test]
async fn the_member_name_and_organisation_sent_are_replaced_by_the_ledgers() {
    let (funds, member_id) = funded_with_member().await;
    let mut forged = allocation(
        "app-forged",
        &member_id,
        common::OrgRef {
            org_id: 12,
            path: "/1/990001/12/".into(),
            name: "冒名党支部".into(),
        },
        30_000,
    );
    forged.member_name = "冒名顶替".into();
    let made = allocate(&mut funds.department().await, forged)
        .await
        .expect("the ledger's member, paid by the ledger's branch 12");
    assert_eq!(made.member_name, "党员m-1");
    assert_eq!(made.org, Some(branch(12)));
}

#[tokio::test]
async fn the_receipt_is_signed_with_the_ledgers_name_not_the_one_sent() {
    let (funds, member_id) = funded_with_member().await;
    let mut forged = allocation("app-signer", &member_id, branch(12), 30_000);
    forged.member_name = "冒名顶替".into();
    let made = allocate(&mut funds.department().await, forged)
        .await
        .expect("allocated");
    let payment = pay(&mut funds.branch_staff().await, &made).await;
    let status = funds
        .branch_clerk()
        .await
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: payment.disbursement_id.clone(),
            signer_name: "冒名顶替".into(),
            signed_date: Some(today()),
            scan_sha256: scan(),
            sealed: false,
            etag: payment.etag.clone(),
        })
        .await
        .expect_err("signed by the name the caller made up");
    assert_eq!(violated_fields(&status), ["signer_name"]);
    receipt(&mut funds.branch_clerk().await, &made, &payment).await;
}

#[tokio::test]
async fn an_organisation_path_sent_never_moves_earlier_allocations_out_of_its_listing() {
    let funds = funded_year(1_000_000).await;
    let mut department = funds.department().await;
    let first = allocate(
        &mut department,
        funds.allocation("app-a", "m-a", branch(12), 30_000).await,
    )
    .await
    .expect("first");
    let mut moved = funds.allocation("app-b", "m-b", branch(12), 30_000).await;
    moved.org = Some(common::OrgRef {
        org_id: 12,
        path: "/1/990001/12/".into(),
        name: "改名".into(),
    });
    let second = allocate(&mut department, moved).await.expect("second");
    let listed = funds
        .auditor()
        .await
        .list_allocations(pb::ListAllocationsRequest {
            org_id: 12,
            ..Default::default()
        })
        .await
        .expect("listing of branch 12")
        .into_inner();
    let ids: HashSet<String> = listed
        .allocations
        .iter()
        .map(|a| a.allocation_id.clone())
        .collect();
    assert_eq!(
        ids,
        HashSet::from([first.allocation_id, second.allocation_id])
    );
    assert!(listed.allocations.iter().all(|a| a.org == Some(branch(12))));
}

#[tokio::test]
async fn without_an_organisation_the_members_branch_pays() {
    let (funds, member_id) = funded_with_member().await;
    let mut unnamed = allocation("app-branch", &member_id, branch(12), 30_000);
    unnamed.org = None;
    let made = allocate(&mut funds.department().await, unnamed)
        .await
        .expect("allocated to the member's branch");
    assert_eq!(made.org, Some(branch(12)));
}

#[tokio::test]
async fn an_organisation_above_the_members_branch_pays_under_the_ledgers_path() {
    let (funds, member_id) = funded_with_member().await;
    let superior = common::OrgRef {
        org_id: 4,
        path: "/9/4/".into(),
        name: "x".into(),
    };
    let made = allocate(
        &mut funds.department().await,
        allocation("app-superior", &member_id, superior, 30_000),
    )
    .await
    .expect("the superior organisation of branch 12 pays");
    assert_eq!(
        made.org,
        Some(common::OrgRef {
            org_id: 4,
            path: "/1/4/".into(),
            name: "市财政局机关党委".into(),
        })
    );
}

#[tokio::test]
async fn without_a_ledger_to_ask_the_service_allocates_nothing() {
    let service = spawn_funds(&unique_schema("funds"), |_| {}).await;
    let mut finance = FundsServiceClient::with_interceptor(
        channel(service.addr).await,
        Bearer(token(Role::Finance, "/1/")),
    );
    top_up(&mut finance, 100_000).await;
    let status = allocate(
        &mut finance,
        allocation("app-blind", &rid(), branch(12), 30_000),
    )
    .await
    .expect_err("nobody to ask who the member is");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
}

#[tokio::test]
async fn a_member_id_in_upper_case_is_the_same_member_for_the_once_a_year_rule() {
    let (funds, member_id) = funded_with_member().await;
    let mut department = funds.department().await;
    allocate(
        &mut department,
        allocation("app-once", &member_id, branch(12), 30_000),
    )
    .await
    .expect("the year's relief");
    let status = allocate(
        &mut department,
        allocation("app-again", &member_id.to_uppercase(), branch(12), 30_000),
    )
    .await
    .expect_err("the same member, written in upper case");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(reason(&status), "ONCE_A_YEAR");
}

#[tokio::test]
async fn a_member_id_that_is_not_a_uuid_is_refused_naming_the_field() {
    let (funds, member_id) = funded_with_member().await;
    let mut department = funds.department().await;
    for written in [
        format!(" {member_id}"),
        format!("{member_id} "),
        "no-such-member-1".to_owned(),
    ] {
        let status = allocate(
            &mut department,
            allocation(&rid(), &written, branch(12), 30_000),
        )
        .await
        .expect_err("not a UUID");
        assert_eq!(
            violated_fields(&status),
            ["allocation.member_id"],
            "{written:?}"
        );
    }
}

#[tokio::test]
async fn allocations_are_listed_by_member_however_the_id_is_written() {
    let (funds, member_id) = funded_with_member().await;
    allocate(
        &mut funds.department().await,
        allocation("app-listed", &member_id, branch(12), 30_000),
    )
    .await
    .expect("allocated");
    let listed = funds
        .auditor()
        .await
        .list_allocations(pb::ListAllocationsRequest {
            member_id: member_id.to_uppercase(),
            ..Default::default()
        })
        .await
        .expect("listing by member")
        .into_inner();
    assert_eq!(listed.allocations.len(), 1);
    assert_eq!(listed.allocations[0].member_id, member_id);
}
