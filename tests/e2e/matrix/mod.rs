//! The authorisation matrix (issue 8, last paragraph): every RPC of every
//! implemented service × every role × a target in the caller's own branch, a
//! sibling branch and another unit's branch, as one table-driven test.
//!
//! Each row ([`rows::Row`]) says what its method needs — an oracle written
//! from SPEC §1–§2 with `Role::grants`, not read from the services — and where
//! the thing it acts on lies. A cell is allowed iff the caller's role grants
//! what the row needs and (the row is not scoped, or the target lies in the
//! caller's subtree). Allowed: any answer but `PERMISSION_DENIED`,
//! `UNAUTHENTICATED` or a breakdown (the requests are harmless: a stale etag,
//! a duplicate, a repeat, so an allowed write is refused after it is
//! authorised). Denied: `PERMISSION_DENIED`, or `NOT_FOUND` where a row says
//! the service hides what is outside the caller's subtree. Every cell runs;
//! the test fails once, with a table of every mismatch.
//!
//! [`completeness`]: a method without a row, or a row without a method, fails.

mod call;
mod campaign_rows;
mod completeness;
mod fixture;
mod funds_rows;
mod identity_rows;
mod ledger_rows;
mod notify_rows;
mod report;
mod review_rows;
mod rows;
mod workflow_rows;

use std::time::Instant;

use futures::StreamExt;
use relief_runtime::auth::Role;
use relief_tests::ROOT;
use tonic::Code;

use call::{Outcome, Streaming, call};
use completeness::Methods;
use fixture::{Fixture, user_token};
use report::{Report, answers_when_allowed};
use rows::{
    APPLICATIONS, AUDIT, Build, CALENDAR, CAMPAIGNS, COMMITTEE, CampaignAct, FUNDS, IDENTITY,
    LEDGER, Level, NOTIFY, Need, Row, Scope, Target,
};

/// Every row of the matrix.
fn all_rows() -> Vec<Row> {
    let mut rows = ledger_rows::rows();
    rows.extend(funds_rows::rows());
    rows.extend(identity_rows::rows());
    rows.extend(workflow_rows::rows());
    rows.extend(campaign_rows::rows());
    rows.extend(notify_rows::rows());
    rows
}

/// Calls in flight at once: below every service's concurrency limit.
const CONCURRENT_CALLS: usize = 12;

/// A caller: one role bound at one node.
struct Caller {
    role: Role,
    /// Where it is bound, for the report: A, U or /1/.
    place: &'static str,
    path: String,
    token: String,
}

impl Caller {
    fn new(role: Role, place: &'static str, path: &str) -> Caller {
        Caller {
            role,
            place,
            path: path.to_owned(),
            token: user_token(role, path),
        }
    }

    fn label(&self) -> String {
        format!("{}@{}", self.role, self.place)
    }
}

/// Every role at branch A; the superior organisation at its unit U; the
/// roles whose work is tree-wide at the committee as well.
fn callers(fixture: &Fixture) -> Vec<Caller> {
    let branch_a = &fixture.at(Target::Own).org.path;
    let mut callers: Vec<Caller> = Role::ALL
        .into_iter()
        .map(|role| Caller::new(role, "A", branch_a))
        .collect();
    callers.push(Caller::new(Role::SuperiorOrg, "U", &fixture.unit_u.path));
    for role in [
        Role::Department,
        Role::Committee,
        Role::Finance,
        Role::Auditor,
        Role::Operations,
    ] {
        callers.push(Caller::new(role, "/1/", ROOT));
    }
    callers
}

/// The path of the node above `path` (`/1/4/12/` → `/1/4/`).
fn parent(path: &str) -> &str {
    let inner = path.trim_end_matches('/');
    inner.rfind('/').map_or(path, |at| &path[..=at])
}

/// What a cell must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Denied(Code),
}

impl Expect {
    fn of(row: &Row, caller: &Caller, target_path: &str) -> Expect {
        let role = caller.role;
        let in_subtree = target_path.starts_with(&caller.path);
        let unit = parent(target_path);
        let sees_unit = unit.starts_with(&caller.path) || caller.path.starts_with(unit);
        let covered = match (row.need, row.scope) {
            (Need::Open | Need::SignedIn, _) | (_, Scope::Anywhere) => true,
            (_, Scope::Committee | Scope::Above(Level::Committee)) => caller.path == ROOT,
            (_, Scope::Target) => in_subtree,
            (_, Scope::Above(Level::Superior)) => unit.starts_with(&caller.path),
            (_, Scope::Campaign(CampaignAct::Read)) => sees_unit,
            (_, Scope::Campaign(CampaignAct::Branch)) => in_subtree,
            (_, Scope::Campaign(CampaignAct::Unit)) => unit.starts_with(&caller.path),
        };
        // What lets a caller in at all: the row's need, or the method's
        // wider gate (a case's read).
        let gate = row.gate.unwrap_or(row.need);
        if !row.need.held_by(role) && !gate.held_by(role) {
            return Expect::Denied(Code::PermissionDenied);
        }
        // A hidden case: who may not read it is told nothing of it, before
        // anything else.
        let sees = match row.scope {
            Scope::Campaign(_) => sees_unit,
            _ => in_subtree && !gate.only_as_applicant(role),
        };
        if row.out_of_scope == Code::NotFound && row.scope.per_target() && !sees {
            return Expect::Denied(Code::NotFound);
        }
        if !row.need.held_by(role) {
            return Expect::Denied(Code::PermissionDenied);
        }
        if covered && !row.need.only_as_applicant(role) {
            Expect::Allowed
        } else if matches!(row.scope, Scope::Above(_) | Scope::Campaign(_)) {
            // It sees the case (the unit); it does not act at that level.
            Expect::Denied(Code::PermissionDenied)
        } else {
            Expect::Denied(row.out_of_scope)
        }
    }

    pub fn met_by(self, outcome: &Outcome) -> bool {
        match self {
            Expect::Allowed => !matches!(
                outcome.code,
                Code::PermissionDenied
                    | Code::Unauthenticated
                    | Code::Internal
                    | Code::Unknown
                    | Code::Unavailable
                    | Code::Unimplemented
                    | Code::DeadlineExceeded
            ),
            Expect::Denied(code) => outcome.code == code,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Expect::Allowed => "allowed".to_owned(),
            Expect::Denied(code) => format!("{code:?}"),
        }
    }
}

/// One call of the matrix and what it came to.
struct Cell {
    pub row: usize,
    pub caller: String,
    pub target: &'static str,
    pub expected: Expect,
    pub got: Outcome,
}

#[test]
fn every_method_of_every_implemented_service_has_a_row() {
    let gaps = completeness::gaps(&all_rows());
    assert!(
        gaps.is_empty(),
        "the authorisation matrix is incomplete:\n  {}",
        gaps.join("\n  ")
    );
}

#[test]
fn a_method_without_a_row_and_a_row_without_a_method_are_both_named() {
    let mut rows: Vec<Row> = all_rows()
        .into_iter()
        .filter(|row| row.method != "GetDisbursement")
        .collect();
    let mut stray = rows[0].clone();
    stray.method = "GetMembr";
    rows.push(stray);
    let gaps = completeness::gaps(&rows);
    assert!(
        gaps.iter()
            .any(|gap| gap == "relief.funds.v1.FundsService/GetDisbursement has no row in the authorisation matrix"),
        "{gaps:?}"
    );
    assert!(
        gaps.iter()
            .any(|gap| gap.contains("LedgerService/GetMembr names no method")),
        "{gaps:?}"
    );
    assert_eq!(gaps.len(), 2, "{gaps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rpc_by_every_role_on_own_sibling_and_other_subtrees() {
    let started = Instant::now();
    let rows = all_rows();
    let gaps = completeness::gaps(&rows);
    let methods = completeness::methods_by_service();
    let fixture = Fixture::new().await;
    let set_up = started.elapsed();
    let callers = callers(&fixture);

    // Every cell with its expectation; the denied ones run first, on objects
    // no allowed write has touched yet (a revoked binding, a reversed posting).
    let mut plan = Vec::new();
    for caller in &callers {
        for (index, row) in rows.iter().enumerate() {
            let targets: &[Target] = if row.scope.per_target() {
                &Target::ALL
            } else {
                &[Target::Own]
            };
            for &target in targets {
                let expected = Expect::of(row, caller, &fixture.at(target).org.path);
                plan.push((index, caller, target, expected));
            }
        }
    }
    let (allowed, denied): (Vec<_>, Vec<_>) = plan
        .into_iter()
        .partition(|(_, _, _, expected)| *expected == Expect::Allowed);
    let mut cells = run_all(&fixture, &rows, &methods, denied).await;
    cells.extend(run_all(&fixture, &rows, &methods, allowed).await);

    let report = Report::new(&rows, &cells);
    println!(
        "authorisation matrix: {} rows × {} callers = {} cells ({} allowed, {} denied) in {:.1?} (fixture {:.1?})",
        rows.len(),
        callers.len(),
        cells.len(),
        cells
            .iter()
            .filter(|c| c.expected == Expect::Allowed)
            .count(),
        cells
            .iter()
            .filter(|c| c.expected != Expect::Allowed)
            .count(),
        started.elapsed(),
        set_up,
    );
    print!("{}", answers_when_allowed(&rows, &cells));
    print!("{}", report.known);
    assert!(
        gaps.is_empty() && report.failing.is_empty(),
        "{}{}",
        if gaps.is_empty() {
            String::new()
        } else {
            format!("the matrix is incomplete:\n  {}\n", gaps.join("\n  "))
        },
        report.failing
    );
}

/// Runs `plan`'s cells, a bounded number at a time.
async fn run_all(
    fixture: &Fixture,
    rows: &[Row],
    methods: &Methods,
    plan: Vec<(usize, &Caller, Target, Expect)>,
) -> Vec<Cell> {
    futures::stream::iter(plan)
        .map(|(index, caller, target, expected)| async move {
            let row = &rows[index];
            let full = row.full_method();
            let streaming = methods
                .get(row.service)
                .and_then(|service| service.get(&full))
                .copied();
            let got = match streaming {
                Some(streaming) => run(fixture, row, caller, target, streaming).await,
                None => Outcome {
                    code: Code::Unimplemented,
                    detail: "no such method in the descriptors".into(),
                },
            };
            Cell {
                row: index,
                caller: caller.label(),
                target: if row.scope.per_target() {
                    target.label()
                } else {
                    "—"
                },
                expected,
                got,
            }
        })
        .buffer_unordered(CONCURRENT_CALLS)
        .collect()
        .await
}

/// Builds the cell's request, calls, and reads an OK answer if the row says how.
async fn run(
    fixture: &Fixture,
    row: &Row,
    caller: &Caller,
    target: Target,
    streaming: Streaming,
) -> Outcome {
    let message = match row.build {
        Build::Now(build) => build(fixture, target),
        Build::Later(build) => build(fixture, target).await,
    };
    let channel = match row.service {
        LEDGER => fixture.ledger_channel.clone(),
        FUNDS => fixture.funds_channel.clone(),
        IDENTITY => fixture.gateway_channel.clone(),
        NOTIFY => fixture.notify_channel.clone(),
        APPLICATIONS | COMMITTEE | CALENDAR | CAMPAIGNS | AUDIT => fixture.workflow_channel.clone(),
        other => {
            return Outcome {
                code: Code::Unimplemented,
                detail: format!("no channel for {other}"),
            };
        }
    };
    let (outcome, answer) = call(
        channel,
        &row.full_method(),
        streaming,
        Some(&caller.token),
        message,
    )
    .await;
    match (outcome.code, row.answer) {
        (Code::Ok, Some(read)) => read(&answer),
        _ => outcome,
    }
}
