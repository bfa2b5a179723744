//! The funds service (救助资金), driven like its users drive it: finance sets
//! the budget, the department allocates, the branch pays and records the
//! signed receipt, the auditor inspects — and the ledger never loses or
//! duplicates a fen, under retries, duplicates, concurrency and outages.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};
use futures::StreamExt;
use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;
use relief_proto::funds::v1::funds_service_client::FundsServiceClient;
use relief_proto::notify::v1 as notify;
use relief_proto::notify::v1::notification_service_server::{
    NotificationService, NotificationServiceServer,
};
use relief_runtime::auth::{Role, TokenVerifier};
use relief_runtime::config::{AuthSettings, TrustedKey};
use relief_tests::{AUDIENCE, Bearer, channel, raw_pool, runtime_settings, token, unique_schema};
use secrecy::SecretString;
use tokio::sync::oneshot;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

type Client = FundsServiceClient<InterceptedService<Channel, Bearer>>;

const FUNDS_PRIVATE_KEY: &str = include_str!("../../deploy/dev-keys/funds.key.pem");
const FUNDS_PUBLIC_KEY: &str = include_str!("../../deploy/dev-keys/funds.pub.pem");
const SCAN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A running funds service; dropping it stops it (and its relay).
struct Funds {
    addr: SocketAddr,
    schema: String,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Funds {
    async fn start(schema: &str, configure: impl FnOnce(&mut relief_funds::Settings)) -> Funds {
        let mut settings = relief_funds::Settings {
            runtime: runtime_settings(schema),
            funds: relief_funds::FundsSettings::default(),
        };
        settings.runtime.database.max_connections = 20;
        configure(&mut settings);
        let app = relief_funds::Application::build(settings)
            .await
            .expect("building the funds service");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Funds {
            addr,
            schema: schema.to_owned(),
            stop: Some(stop),
            done: Some(done),
        }
    }

    async fn spawn() -> Funds {
        Funds::start(&unique_schema("funds"), |_| {}).await
    }

    /// Stops the service and waits until it has stopped (the relay with it).
    async fn kill(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), done).await;
        }
    }

    async fn client(&self, role: Role, path: &str) -> Client {
        FundsServiceClient::with_interceptor(channel(self.addr).await, Bearer(token(role, path)))
    }

    async fn finance(&self) -> Client {
        self.client(Role::Finance, "/1/").await
    }

    async fn department(&self) -> Client {
        self.client(Role::Department, "/1/").await
    }

    async fn auditor(&self) -> Client {
        self.client(Role::Auditor, "/1/").await
    }
}

impl Drop for Funds {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn year() -> i32 {
    relief_runtime::time::today().year()
}

fn today() -> common::Date {
    relief_runtime::time::to_proto(relief_runtime::time::today())
}

fn money(fen: i64) -> Option<common::Money> {
    Some(common::Money { fen })
}

fn fen(money: &Option<common::Money>) -> i64 {
    money.as_ref().map_or(0, |m| m.fen)
}

fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Branch 12 under the superior organisation 4; branch 7 directly under the
/// committee.
fn branch(id: i64) -> common::OrgRef {
    match id {
        12 => common::OrgRef {
            org_id: 12,
            path: "/1/4/12/".into(),
            name: "预算科党支部".into(),
        },
        7 => common::OrgRef {
            org_id: 7,
            path: "/1/7/".into(),
            name: "市政府办公室党支部".into(),
        },
        other => common::OrgRef {
            org_id: other,
            path: format!("/1/4/{other}/"),
            name: format!("第{other}党支部"),
        },
    }
}

fn allocation(application: &str, member: &str, org: common::OrgRef, amount: i64) -> pb::Allocation {
    pb::Allocation {
        application_id: application.into(),
        decision: Some(pb::DecisionRef {
            decision_id: format!("decision-{application}"),
            meeting_number: format!("{}年第3次", year()),
            meeting_date: Some(today()),
        }),
        member_id: member.into(),
        member_name: format!("党员{member}"),
        org: Some(org),
        year: year(),
        relief_type: pb::ReliefType::SpringFestivalVisit as i32,
        hardship_category: pb::HardshipCategory::MajorIllness as i32,
        amount: money(amount),
        ..Default::default()
    }
}

async fn top_up(client: &mut Client, fen_amount: i64) -> pb::BudgetSummary {
    client
        .top_up_budget(pb::TopUpBudgetRequest {
            request_id: rid(),
            year: year(),
            amount: money(fen_amount),
            reason: "党委会议决定".into(),
        })
        .await
        .expect("top up")
        .into_inner()
}

async fn allocate(client: &mut Client, alloc: pb::Allocation) -> Result<pb::Allocation, Status> {
    client
        .create_allocation(pb::CreateAllocationRequest {
            request_id: rid(),
            allocation: Some(alloc),
        })
        .await
        .map(Response::into_inner)
}

fn disbursement_request(
    request_id: &str,
    allocation: &pb::Allocation,
) -> pb::RecordDisbursementRequest {
    pb::RecordDisbursementRequest {
        request_id: request_id.into(),
        disbursement: Some(pb::Disbursement {
            allocation_id: allocation.allocation_id.clone(),
            method: pb::DisbursementMethod::Cash as i32,
            paid_date: Some(today()),
            paid_by: "王经办".into(),
            amount: allocation.amount,
            ..Default::default()
        }),
    }
}

async fn pay(client: &mut Client, allocation: &pb::Allocation) -> pb::Disbursement {
    client
        .record_disbursement(disbursement_request(&rid(), allocation))
        .await
        .expect("disbursement")
        .into_inner()
}

async fn receipt(
    client: &mut Client,
    allocation: &pb::Allocation,
    disbursement: &pb::Disbursement,
) -> pb::Receipt {
    client
        .record_receipt(pb::RecordReceiptRequest {
            request_id: rid(),
            disbursement_id: disbursement.disbursement_id.clone(),
            signer_name: allocation.member_name.clone(),
            signed_date: Some(today()),
            scan_sha256: SCAN.into(),
            sealed: false,
        })
        .await
        .expect("receipt")
        .into_inner()
}

fn violated_fields(status: &Status) -> Vec<String> {
    relief_runtime::error::field_violations(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

/// The ledger's invariants, read behind the service's back.
async fn check_books(pool: &sqlx::PgPool) {
    let (sum, total_in, total_out): (i64, i64, i64) = sqlx::query_as(
        "SELECT COALESCE(sum(total_in - total_out), 0)::bigint, COALESCE(sum(total_in), 0)::bigint,
            COALESCE(sum(total_out), 0)::bigint FROM accounts",
    )
    .fetch_one(pool)
    .await
    .expect("sums");
    assert_eq!(sum, 0, "Σ debits = Σ credits over all accounts");
    let posted: i64 = sqlx::query_scalar("SELECT COALESCE(sum(amount), 0)::bigint FROM postings")
        .fetch_one(pool)
        .await
        .expect("postings");
    assert_eq!(total_in, posted, "every posting is in exactly one account");
    assert_eq!(
        total_out, posted,
        "every posting is out of exactly one account"
    );
    let negative: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts WHERE CASE WHEN kind = 'party_dues_income' THEN total_out - total_in
            ELSE total_in - total_out END < 0",
    )
    .fetch_one(pool)
    .await
    .expect("balances");
    assert_eq!(negative, 0, "no balance is negative");
    // The running totals agree with the postings.
    let drift: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts a WHERE a.total_in <> (SELECT COALESCE(sum(amount), 0) FROM postings WHERE debit_account_id = a.account_id)
            OR a.total_out <> (SELECT COALESCE(sum(amount), 0) FROM postings WHERE credit_account_id = a.account_id)",
    )
    .fetch_one(pool)
    .await
    .expect("drift");
    assert_eq!(drift, 0, "account totals equal their postings");
    let doubled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT application_id FROM allocations WHERE state <> 'reversed'
            GROUP BY application_id HAVING count(*) > 1) d",
    )
    .fetch_one(pool)
    .await
    .expect("allocations");
    assert_eq!(doubled, 0, "one allocation per application");
    let overpaid: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM allocations a WHERE a.paid > a.amount
            OR a.paid <> (SELECT COALESCE(sum(amount), 0) FROM disbursements d WHERE d.allocation_id = a.allocation_id AND NOT d.reversed)",
    )
    .fetch_one(pool)
    .await
    .expect("paid");
    assert_eq!(
        overpaid, 0,
        "disbursed ≤ allocated, and paid equals the live payments"
    );
}

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn the_whole_story_books_a_voucher_and_replays_identically() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.schema).await;
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
    let refused = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: postings[1].posting_id.clone(),
            reason: "错发".into(),
            authorised_by: "财务负责人".into(),
            authorisation_reference: String::new(),
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

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.schema).await;
    let mut finance = funds.finance().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;
    top_up(&mut finance, 100_000).await;
    let postings_before = count(&pool, "postings").await;
    let keys_before = count(&pool, "idempotency_keys").await;
    let events_before = count(&pool, "outbox").await;

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
    assert_eq!(count(&pool, "outbox").await, events_before + 1);
    check_books(&pool).await;
}

#[tokio::test]
async fn parallel_requests_never_overdraw_and_replays_act_once() {
    let funds = Funds::spawn().await;
    let pool = raw_pool(&funds.schema).await;
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

#[tokio::test]
async fn inspection_finds_each_planted_anomaly_and_nothing_else() {
    let funds = Funds::spawn().await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/").await;
    top_up(&mut finance, 10_000_000).await;
    finance
        .put_relief_standard(pb::PutReliefStandardRequest {
            request_id: rid(),
            standard: Some(pb::ReliefStandard {
                year: year(),
                relief_type: pb::ReliefType::SpringFestivalVisit as i32,
                hardship_category: pb::HardshipCategory::MajorIllness as i32,
                amount: money(50_000),
                note: "工委会议确定".into(),
                ..Default::default()
            }),
            reason: "年度标准".into(),
        })
        .await
        .expect("standard");

    let settler = branch_staff.clone();
    let settle = |alloc: pb::Allocation| {
        let mut branch_staff = settler.clone();
        async move {
            let paid = pay(&mut branch_staff, &alloc).await;
            receipt(&mut branch_staff, &alloc, &paid).await;
        }
    };
    // Clean: paid, receipted, at the standard.
    let clean = allocate(
        &mut department,
        allocation("clean", "m-clean", branch(12), 50_000),
    )
    .await
    .expect("clean");
    settle(clean.clone()).await;
    // Planted: unpaid.
    let unpaid = allocate(
        &mut department,
        allocation("unpaid", "m-unpaid", branch(12), 50_000),
    )
    .await
    .expect("unpaid");
    // Planted: paid without receipt.
    let unreceipted = allocate(
        &mut department,
        allocation("noreceipt", "m-noreceipt", branch(13), 40_000),
    )
    .await
    .expect("noreceipt");
    let unreceipted_payment = pay(&mut branch_staff, &unreceipted).await;
    // Planted: above the standard (special case), settled.
    let mut above = allocation("above", "m-above", branch(12), 80_000);
    above.special_case = true;
    above.special_case_reason = "重大疾病，工委会议特批".into();
    let above = allocate(&mut department, above).await.expect("above");
    settle(above.clone()).await;
    // Planted: a repeat for one member (special case), both settled.
    let first = allocate(
        &mut department,
        allocation("repeat-1", "m-repeat", branch(13), 30_000),
    )
    .await
    .expect("r1");
    let mut second = allocation("repeat-2", "m-repeat", branch(13), 20_000);
    second.special_case = true;
    second.special_case_reason = "年内再次遭灾".into();
    second.relief_type = pb::ReliefType::OneTimeRelief as i32;
    let second = allocate(&mut department, second).await.expect("r2");
    settle(first.clone()).await;
    settle(second.clone()).await;
    // Planted: a reversal of a mistaken allocation.
    let mistaken = allocate(
        &mut department,
        allocation("mistake", "m-mistake", branch(12), 10_000),
    )
    .await
    .expect("m");
    let reversal = finance
        .reverse_posting(pb::ReversePostingRequest {
            request_id: rid(),
            posting_id: mistaken.posting_id.clone(),
            reason: "拨付对象有误".into(),
            authorised_by: "财务负责人 张会计".into(),
            authorisation_reference: "工委会议2026年第5次".into(),
        })
        .await
        .expect("reversal")
        .into_inner();
    // Elsewhere (not in the inspected subtree): unpaid, must not show.
    allocate(
        &mut department,
        allocation("elsewhere", "m-elsewhere", branch(7), 10_000),
    )
    .await
    .expect("elsewhere");

    let as_of =
        relief_runtime::time::to_proto(relief_runtime::time::today() + time::Duration::days(45));
    let mut auditor = funds.auditor().await;
    let mut superior = funds.client(Role::Auditor, "/1/4/").await;
    let report = superior
        .run_inspection(pb::RunInspectionRequest {
            request_id: rid(),
            year: year(),
            org_id: 0,
            unpaid_after_days: 30,
            receipt_missing_after_days: 30,
            as_of_date: Some(as_of),
        })
        .await
        .expect("inspection")
        .into_inner();
    let ids = |items: Vec<&str>| {
        items
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
    };
    assert_eq!(
        ids(report
            .unpaid_allocations
            .iter()
            .map(|u| u.allocation_id.as_str())
            .collect()),
        vec![unpaid.allocation_id.clone()]
    );
    assert_eq!(report.unpaid_allocations[0].days_outstanding, 45);
    assert_eq!(
        ids(report
            .receipts_missing
            .iter()
            .map(|m| m.disbursement_id.as_str())
            .collect()),
        vec![unreceipted_payment.disbursement_id.clone()]
    );
    assert_eq!(
        ids(report
            .above_standard
            .iter()
            .map(|a| a.allocation_id.as_str())
            .collect()),
        vec![above.allocation_id.clone()]
    );
    assert!(report.above_standard[0].special_case);
    assert_eq!(report.repeat_payments.len(), 1);
    assert_eq!(report.repeat_payments[0].member_id, "m-repeat");
    assert_eq!(
        report.repeat_payments[0].allocation_ids,
        [first.allocation_id.clone(), second.allocation_id.clone()]
    );
    assert!(report.repeat_payments[0].special_case_recorded);
    assert_eq!(fen(&report.repeat_payments[0].total), 50_000);
    assert_eq!(
        ids(report
            .reversals
            .iter()
            .map(|r| r.posting_id.as_str())
            .collect()),
        vec![reversal.posting_id.clone()]
    );
    assert_eq!(
        report.reversals[0].reversed_kind,
        pb::PostingKind::Allocation as i32
    );
    let totals = report.totals.unwrap_or_default();
    assert_eq!(totals.allocation_count, 6, "six live allocations in /1/4/");
    assert_eq!(
        fen(&totals.allocated),
        50_000 + 50_000 + 40_000 + 80_000 + 30_000 + 20_000
    );
    assert_eq!(
        fen(&totals.paid),
        50_000 + 40_000 + 80_000 + 30_000 + 20_000
    );
    assert_eq!(fen(&totals.receipted), 50_000 + 80_000 + 30_000 + 20_000);
    assert_eq!(report.by_unit.len(), 2);
    assert_eq!(report.by_relief_type.len(), 2);

    // The stored report reads back, and as a real workbook with Chinese headings.
    let stored = auditor
        .get_inspection_report(pb::GetInspectionReportRequest {
            report_id: report.report_id.clone(),
        })
        .await
        .expect("stored")
        .into_inner();
    assert_eq!(stored, report);
    let (name, bytes) = download(
        auditor
            .export_inspection(pb::ExportInspectionRequest {
                report_id: report.report_id.clone(),
            })
            .await
            .expect("export")
            .into_inner(),
    )
    .await;
    assert!(
        name.ends_with(".xlsx") && name.contains("专项检查"),
        "{name}"
    );
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx");
    assert_eq!(
        book.sheet_names(),
        [
            "检查汇总",
            "拨付未发放",
            "发放无回执",
            "重复救助",
            "超标准",
            "冲销"
        ]
    );
    let unpaid_sheet = book.worksheet_range("拨付未发放").expect("sheet");
    assert_eq!(
        unpaid_sheet.get_value((1, 0)),
        Some(&Data::String("拨付编号".into()))
    );
    assert_eq!(
        unpaid_sheet.get_value((2, 0)),
        Some(&Data::String(unpaid.allocation_id.clone()))
    );
    assert_eq!(unpaid_sheet.get_value((2, 3)), Some(&Data::Float(500.0)));
    assert_eq!(unpaid_sheet.get_value((3, 0)), None, "nothing else");
    let above_sheet = book.worksheet_range("超标准").expect("sheet");
    assert_eq!(above_sheet.get_value((2, 4)), Some(&Data::Float(800.0)));
    assert_eq!(above_sheet.get_value((2, 5)), Some(&Data::Float(500.0)));

    let (name, bytes) = download(
        auditor
            .export_vouchers(pb::ExportVouchersRequest {
                year: year(),
                ..Default::default()
            })
            .await
            .expect("vouchers")
            .into_inner(),
    )
    .await;
    assert!(name.contains("入帐凭证"), "{name}");
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real xlsx");
    let sheet = book.worksheet_range("入帐凭证清单").expect("sheet");
    assert_eq!(
        sheet.get_value((3, 0)),
        Some(&Data::String("凭证号".into()))
    );
    let numbers: Vec<String> = (4..8)
        .filter_map(|row| match sheet.get_value((row, 0)) {
            Some(Data::String(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        numbers,
        (1..=4)
            .map(|n| format!("JZ-{}-{n:04}", year()))
            .collect::<Vec<_>>(),
        "four vouchers, numbered without gaps"
    );
    assert_eq!(
        sheet.get_value((8, 6)),
        Some(&Data::Float(1_800.0)),
        "the total"
    );
}

async fn download(mut stream: tonic::Streaming<common::FileChunk>) -> (String, Vec<u8>) {
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        if name.is_empty() {
            name = chunk.file_name;
        }
        bytes.extend(chunk.data);
    }
    (name, bytes)
}

/// A stand-in notification service: checks the caller is the funds service's
/// own principal, and records the event ids it accepted. In `hang` mode it
/// never answers (a receiver stuck mid-delivery).
#[derive(Clone)]
struct FakeNotify {
    accepted: Arc<Mutex<Vec<String>>>,
    calls: Arc<Mutex<usize>>,
    hang: Arc<Mutex<bool>>,
    verifier: Arc<TokenVerifier>,
}

impl FakeNotify {
    fn new() -> Self {
        let verifier = TokenVerifier::new(&AuthSettings {
            trusted_keys: vec![TrustedKey {
                kid: "funds".into(),
                issuer: "funds".into(),
                public_key_pem: FUNDS_PUBLIC_KEY.into(),
                allowed_roles: vec!["department".into()],
            }],
            service_signing_key: None,
            audience: AUDIENCE.into(),
            clock_skew_seconds: 0,
        })
        .expect("verifier");
        FakeNotify {
            accepted: Arc::default(),
            calls: Arc::default(),
            hang: Arc::default(),
            verifier: Arc::new(verifier),
        }
    }

    async fn serve(&self, addr: SocketAddr) {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("binding the receiver");
        let service = NotificationServiceServer::new(self.clone());
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
    }
}

#[tonic::async_trait]
impl NotificationService for FakeNotify {
    async fn publish_event(
        &self,
        request: Request<notify::PublishEventRequest>,
    ) -> Result<Response<notify::PublishEventResponse>, Status> {
        let bearer = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| Status::unauthenticated("no token"))?;
        let caller = self
            .verifier
            .verify(bearer)
            .map_err(Status::unauthenticated)?;
        if caller.user_id != "service:funds" {
            return Err(Status::permission_denied("service principals only"));
        }
        *self.calls.lock().expect("lock") += 1;
        let hang = *self.hang.lock().expect("lock");
        if hang {
            std::future::pending::<()>().await;
        }
        let event = request.into_inner();
        let mut accepted = self.accepted.lock().expect("lock");
        let duplicate = accepted.contains(&event.event_id);
        accepted.push(event.event_id.clone());
        Ok(Response::new(notify::PublishEventResponse {
            event_id: event.event_id,
            duplicate,
            recipient_count: 1,
            deliveries_scheduled: 1,
        }))
    }

    async fn list_inbox(
        &self,
        _: Request<notify::ListInboxRequest>,
    ) -> Result<Response<notify::ListInboxResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn mark_read(
        &self,
        _: Request<notify::MarkReadRequest>,
    ) -> Result<Response<notify::MarkReadResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_delivery_attempts(
        &self,
        _: Request<notify::ListDeliveryAttemptsRequest>,
    ) -> Result<Response<notify::ListDeliveryAttemptsResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn get_template(
        &self,
        _: Request<notify::GetTemplateRequest>,
    ) -> Result<Response<notify::Template>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_templates(
        &self,
        _: Request<notify::ListTemplatesRequest>,
    ) -> Result<Response<notify::ListTemplatesResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn update_template(
        &self,
        _: Request<notify::UpdateTemplateRequest>,
    ) -> Result<Response<notify::Template>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn preview_template(
        &self,
        _: Request<notify::PreviewTemplateRequest>,
    ) -> Result<Response<notify::PreviewTemplateResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn get_contact_preferences(
        &self,
        _: Request<notify::GetContactPreferencesRequest>,
    ) -> Result<Response<notify::ContactPreferences>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn update_contact_preferences(
        &self,
        _: Request<notify::UpdateContactPreferencesRequest>,
    ) -> Result<Response<notify::ContactPreferences>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn verify_audit_chain(
        &self,
        _: Request<common::VerifyAuditChainRequest>,
    ) -> Result<Response<common::VerifyAuditChainResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
    async fn list_audit_entries(
        &self,
        _: Request<common::ListAuditEntriesRequest>,
    ) -> Result<Response<common::ListAuditEntriesResponse>, Status> {
        Err(Status::unimplemented("fake"))
    }
}

async fn pending_notify(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE delivered_at IS NULL), COALESCE(min(attempts) FILTER (WHERE delivered_at IS NULL), 0)::bigint
         FROM outbox_deliveries WHERE destination = 'notify'",
    )
    .fetch_one(pool)
    .await
    .expect("pending")
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test]
async fn outbox_events_survive_a_dead_receiver_and_a_killed_relay() {
    // An address where nothing listens yet.
    let receiver_addr = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr")
    };
    let schema = unique_schema("funds");
    let configure = move |settings: &mut relief_funds::Settings| {
        settings.runtime.peers.notify = format!("http://{receiver_addr}");
        settings.runtime.peers.timeout_ms = 60_000;
        settings.runtime.auth.service_signing_key = Some(SecretString::from(FUNDS_PRIVATE_KEY));
        settings.funds.relay.poll_interval_ms = 50;
        settings.funds.relay.initial_backoff_ms = 50;
        settings.funds.relay.max_backoff_ms = 200;
    };
    let funds = Funds::start(&schema, configure).await;
    let pool = raw_pool(&schema).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    top_up(&mut finance, 1_000_000).await;
    let alloc = allocate(
        &mut department,
        allocation("app-relay", "m-relay", branch(12), 30_000),
    )
    .await
    .expect("allocation");
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/12/").await;
    pay(&mut branch_staff, &alloc).await;

    // The events were written with the changes, and the receiver is down:
    // they stay, retried, never marked delivered.
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT o.event_id::text FROM outbox o JOIN outbox_deliveries d USING (event_id)
         WHERE d.destination = 'notify' ORDER BY o.seq",
    )
    .fetch_all(&pool)
    .await
    .expect("events");
    assert_eq!(
        events.len(),
        2,
        "allocation and payment tell the notification service"
    );
    assert_eq!(
        count(&pool, "outbox").await,
        3,
        "budget, allocation, payment"
    );
    eventually("the relay has failed several times", async || {
        pending_notify(&pool).await.1 >= 3
    })
    .await;
    assert_eq!(pending_notify(&pool).await.0, 2);
    let error: String = sqlx::query_scalar(
        "SELECT last_error FROM outbox_deliveries WHERE destination = 'notify' LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("error");
    assert!(!error.is_empty());

    // The receiver comes back but hangs mid-delivery; the service is killed.
    let receiver = FakeNotify::new();
    *receiver.hang.lock().expect("lock") = true;
    receiver.serve(receiver_addr).await;
    eventually("the relay is mid-delivery", async || {
        *receiver.calls.lock().expect("lock") > 0
    })
    .await;
    funds.kill().await;
    assert_eq!(
        pending_notify(&pool).await.0,
        2,
        "nothing lost, nothing marked delivered"
    );
    assert!(receiver.accepted.lock().expect("lock").is_empty());

    // The receiver answers again; the service restarts and delivers everything.
    *receiver.hang.lock().expect("lock") = false;
    let funds = Funds::start(&schema, configure).await;
    eventually("every event is delivered", async || {
        pending_notify(&pool).await.0 == 0
    })
    .await;
    let accepted: HashSet<String> = receiver
        .accepted
        .lock()
        .expect("lock")
        .iter()
        .cloned()
        .collect();
    assert_eq!(accepted, events.iter().cloned().collect::<HashSet<_>>());
    funds.kill().await;
}

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
    let pool = raw_pool(&funds.schema).await;
    let mut finance = funds.finance().await;
    let mut department = funds.department().await;
    let mut branch_staff = funds.client(Role::BranchStaff, "/1/4/").await;
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
                let mut alloc = allocation(
                    &format!("app-{application}"),
                    &format!("m-{member}"),
                    branch(12),
                    amount,
                );
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
                let answer = branch_staff
                    .record_receipt(pb::RecordReceiptRequest {
                        request_id: rid(),
                        disbursement_id: payment.disbursement_id.clone(),
                        signer_name: target.member_name.clone(),
                        signed_date: Some(today()),
                        scan_sha256: SCAN.into(),
                        sealed: false,
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
                let posting_id = match step {
                    Step::ReverseAllocation(_) => target.posting_id.clone(),
                    _ => match payments.get(&target.allocation_id) {
                        Some(payment) => payment.posting_id.clone(),
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
