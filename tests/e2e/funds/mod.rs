//! The funds service (救助资金), driven like its users drive it: finance sets
//! the budget, the department allocates, the branch pays and records the
//! signed receipt, the auditor inspects — and the ledger never loses or
//! duplicates a fen, under retries, duplicates, concurrency and outages.

mod bad_input;
mod concurrency;
mod duties;
mod errors;
mod forms;
mod inspection;
mod migration;
mod outbox;
mod properties;
mod story;
mod text_fields;
mod trust;

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
use relief_runtime::auth::{Role, RoleBinding, TokenVerifier};
use relief_runtime::config::{AuthSettings, TrustedKey};
use relief_tests::{
    AUDIENCE, Bearer, Spawned, channel, funds_reads_ledger, raw_pool, spawn_funds, token,
    token_for, unique_schema,
};
use secrecy::SecretString;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};

type Client = FundsServiceClient<InterceptedService<Channel, Bearer>>;

const FUNDS_PRIVATE_KEY: &str = include_str!("../../../deploy/dev-keys/funds.key.pem");
const FUNDS_PUBLIC_KEY: &str = include_str!("../../../deploy/dev-keys/funds.pub.pem");

/// A hex SHA-256 no other receipt has: every receipt is its own scan.
fn scan() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A running funds service (spawned like every other), the ledger it reads
/// members and organisations from, and the clients its tests call it with;
/// dropping it stops both (and its relay).
struct Funds {
    service: Spawned,
    register: crate::register::Register,
}

impl Funds {
    async fn start(schema: &str, configure: impl FnOnce(&mut relief_funds::Settings)) -> Funds {
        let register = crate::register::Register::start().await;
        let service = spawn_funds(schema, |settings| {
            funds_reads_ledger(settings, &register.service);
            configure(settings);
        })
        .await;
        Funds { service, register }
    }

    /// The allocation of `application` to the member labelled `member`
    /// (registered in the ledger in `org` on first use), paid by `org`.
    async fn allocation(
        &self,
        application: &str,
        member: &str,
        org: common::OrgRef,
        amount: i64,
    ) -> pb::Allocation {
        let registered = self.register.member(member, org.org_id).await;
        allocation(application, &registered.member_id, org, amount)
    }

    /// The ledger's id of the member labelled `member`.
    async fn member_id(&self, member: &str) -> String {
        self.register.member_id(member).await
    }

    async fn spawn() -> Funds {
        Funds::start(&unique_schema("funds"), |_| {}).await
    }

    /// Stops the service and waits until it has stopped (the relay with it).
    async fn kill(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.service.stop_and_wait()).await;
    }

    async fn client(&self, role: Role, path: &str) -> Client {
        FundsServiceClient::with_interceptor(
            channel(self.service.addr).await,
            Bearer(token(role, path)),
        )
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

    /// Staff of branch 12, where the cases of these stories are paid.
    async fn branch_staff(&self) -> Client {
        self.client(Role::BranchStaff, "/1/4/12/").await
    }

    /// Another staff member of branch 12: the one who records the receipts
    /// of the payments `branch_staff` records (separation of duties).
    async fn branch_clerk(&self) -> Client {
        let clerk = token_for(
            "clerk-of-branch-12",
            vec![RoleBinding {
                role: Role::BranchStaff,
                org_path: "/1/4/12/".into(),
            }],
        );
        FundsServiceClient::with_interceptor(channel(self.service.addr).await, Bearer(clerk))
    }

    /// A pool on the service's schema, to read its books behind its back.
    async fn pool(&self) -> sqlx::PgPool {
        raw_pool(&self.service.schema).await
    }
}

/// A fresh funds service whose year finance has topped up with `fen`.
async fn funded_year(fen: i64) -> Funds {
    let funds = Funds::spawn().await;
    top_up(&mut funds.finance().await, fen).await;
    funds
}

/// The case the stories follow: the committee decided application `app-1` of
/// member `m-1` in branch 12, and the department allocates `fen` for it.
async fn allocated_case(funds: &Funds, fen: i64) -> pb::Allocation {
    allocate(
        &mut funds.department().await,
        funds.allocation("app-1", "m-1", branch(12), fen).await,
    )
    .await
    .expect("allocating the case")
}

/// An allocated case the branch has paid out in cash.
struct PaidCase {
    /// The allocation as it was allocated (before the payment changed it).
    allocation: pb::Allocation,
    payment: pb::Disbursement,
}

async fn paid_case(funds: &Funds, fen: i64) -> PaidCase {
    let allocation = allocated_case(funds, fen).await;
    let payment = pay(&mut funds.branch_staff().await, &allocation).await;
    PaidCase {
        allocation,
        payment,
    }
}

/// A paid case whose member's signed receipt is recorded: a voucher.
struct VoucheredCase {
    /// The allocation as it was allocated.
    allocation: pb::Allocation,
    /// The payment as it was paid (before the receipt changed it).
    payment: pb::Disbursement,
}

async fn vouchered_case(funds: &Funds, fen: i64) -> VoucheredCase {
    let PaidCase {
        allocation,
        payment,
    } = paid_case(funds, fen).await;
    receipt(&mut funds.branch_clerk().await, &allocation, &payment).await;
    VoucheredCase {
        allocation,
        payment,
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

/// Branches 12 and 13 under the superior organisation 4; branch 7 directly
/// under the committee (the ledger's tree of [`register`]).
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

/// The allocation of `application` to the member `member_id`, paid by `org`
/// (only its id counts: the ledger's path and name are taken).
fn allocation(
    application: &str,
    member_id: &str,
    org: common::OrgRef,
    amount: i64,
) -> pb::Allocation {
    pb::Allocation {
        application_id: application.into(),
        decision: Some(pb::DecisionRef {
            decision_id: format!("decision-{application}"),
            meeting_number: format!("{}年第3次", year()),
            meeting_date: Some(today()),
        }),
        member_id: member_id.into(),
        org: Some(org),
        year: year(),
        relief_type: common::ReliefType::SpringFestivalVisit as i32,
        hardship_category: common::HardshipCategory::MajorIllness as i32,
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
        allocation_etag: allocation.etag.clone(),
    }
}

/// The allocation as it is now (its etag changes with every change of state).
async fn reread_allocation(client: &mut Client, allocation: &pb::Allocation) -> pb::Allocation {
    client
        .get_allocation(pb::GetAllocationRequest {
            allocation_id: allocation.allocation_id.clone(),
        })
        .await
        .expect("get allocation")
        .into_inner()
}

/// The disbursement as it is now.
async fn reread_disbursement(
    client: &mut Client,
    disbursement: &pb::Disbursement,
) -> pb::Disbursement {
    client
        .get_disbursement(pb::GetDisbursementRequest {
            disbursement_id: disbursement.disbursement_id.clone(),
        })
        .await
        .expect("get disbursement")
        .into_inner()
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
            scan_sha256: scan(),
            sealed: false,
            etag: disbursement.etag.clone(),
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

/// What a refused request must leave as it was: every row a change writes
/// (postings, payments, receipts, events, request ids, audit entries) and
/// the versions of allocations and payments.
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

async fn count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}
