//! `cargo xtask bench`: the performance targets of the ledger and the gateway, measured against a
//! release build on a throwaway database. Targets are stated here, measured,
//! and reported; a missed target makes the command fail.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use relief_proto::common::v1::{Money, OrgRef};
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use tonic::Request;
use tonic::transport::Channel;

use crate::postgres::Postgres;
use crate::services::{SERVICES, spawn_binary, wait_healthy};

/// Members registered for the measurement (a large city's register is a few thousand).
const MEMBERS: usize = 3_000;
const BRANCHES: usize = 60;

struct Target {
    what: &'static str,
    limit: Duration,
}

const TARGETS: [Target; 5] = [
    Target {
        what: "CreateMember + CreateRecord, p95 per member (8 concurrent clients)",
        limit: Duration::from_millis(150),
    },
    Target {
        what: "ListRecords of one superior organisation's subtree, page of 50, p95",
        limit: Duration::from_millis(50),
    },
    Target {
        what: "GetStatistics over the whole register, p95",
        limit: Duration::from_millis(100),
    },
    Target {
        what: "ExportRegister of the whole register (.xlsx, masked), once",
        limit: Duration::from_secs(5),
    },
    Target {
        what: "ListRecords through the gateway as JSON over HTTP, page of 50, p95",
        limit: Duration::from_millis(60),
    },
];

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or_default()
}

fn authorized<T>(token: &str, message: T) -> anyhow::Result<Request<T>> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

fn id_number(n: usize) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 1950 + (n / 336) % 40;
    let seq = n % 1000;
    crate::demo::with_check_digit(&format!("410802{year:04}{month:02}{day:02}{seq:03}"))
}

pub async fn run() -> anyhow::Result<ExitCode> {
    let status =
        tokio::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "relief-ledger",
                "-p",
                "relief-gateway",
            ])
            .current_dir(crate::workspace_root())
            .status()
            .await?;
    anyhow::ensure!(
        status.success(),
        "building the ledger and the gateway failed"
    );
    let run_dir = crate::target_dir().join("xtask");
    let pg = Postgres::start(&run_dir)?;
    let config = run_dir.join(format!("bench-{}.yaml", std::process::id()));
    // The benchmark measures latency, not the rate limiter.
    let local = crate::services::local_config(&pg.url())?.replacen(
        "gateway:\n",
        "gateway:\n  rate_limit: {per_user_per_second: 1000000, per_user_burst: 1000000, \
         per_address_per_second: 1000000, per_address_burst: 1000000}\n",
        1,
    );
    std::fs::write(&config, local)?;
    let mut running = Vec::new();
    for name in ["ledger", "gateway"] {
        let spec = SERVICES
            .iter()
            .find(|spec| spec.name == name)
            .context("service table")?;
        let binary = crate::target_dir().join("release").join(spec.package);
        let mut service = spawn_binary(spec, binary, &config, true).await?;
        wait_healthy(&mut service).await?;
        running.push(service);
    }
    let result = measure(50051).await;
    crate::services::stop(running).await;
    let _ = std::fs::remove_file(&config);
    drop(pg);
    let results = result?;

    println!(
        "\nLedger and gateway benchmarks ({MEMBERS} members in {BRANCHES} branches, release build, this machine):"
    );
    let mut missed = 0;
    for (target, measured) in TARGETS.iter().zip(results) {
        let ok = measured <= target.limit;
        missed += usize::from(!ok);
        println!(
            "  {} {:<78} {:>9.1} ms (target ≤ {} ms)",
            if ok { "PASS" } else { "MISS" },
            target.what,
            measured.as_secs_f64() * 1000.0,
            target.limit.as_millis()
        );
    }
    Ok(if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn measure(port: u16) -> anyhow::Result<Vec<Duration>> {
    let signer = crate::demo::dev_signer()?;
    let token = signer.sign(
        "bench",
        "bench",
        None,
        vec![RoleBinding {
            role: Role::Department,
            org_path: "/1/".into(),
        }],
        Duration::from_secs(3600),
    )?;
    let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))?
        .connect()
        .await?;
    let mut client = LedgerServiceClient::new(channel.clone());

    let mut superiors = Vec::new();
    for s in 0..6 {
        let request = authorized(
            &token,
            pb::CreateOrgRequest {
                request_id: format!("bench-sup-{s}"),
                parent_id: 1,
                kind: pb::OrgKind::Superior as i32,
                name: format!("单位{s}机关党委"),
                unit_name: format!("单位{s}"),
            },
        )?;
        superiors.push(client.create_org(request).await?.into_inner());
    }
    let mut branches = Vec::new();
    for b in 0..BRANCHES {
        let parent = &superiors[b % superiors.len()];
        let request = authorized(
            &token,
            pb::CreateOrgRequest {
                request_id: format!("bench-branch-{b}"),
                parent_id: parent.org_id,
                kind: pb::OrgKind::Branch as i32,
                name: format!("第{b}党支部"),
                unit_name: parent.unit_name.clone(),
            },
        )?;
        branches.push(client.create_org(request).await?.into_inner().org_id);
    }

    // Registration: 8 concurrent clients.
    let mut workers = Vec::new();
    for worker in 0..8 {
        let mut client = LedgerServiceClient::new(channel.clone());
        let token = token.clone();
        let branches = branches.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for n in (worker..MEMBERS).step_by(8) {
                let started = Instant::now();
                let member = pb::Member {
                    branch: Some(OrgRef {
                        org_id: branches[n % branches.len()],
                        ..Default::default()
                    }),
                    name: format!("成员{n:05}"),
                    id_number: id_number(n),
                    party_join_date: Some(relief_proto::common::v1::Date {
                        year: 2010,
                        month: 7,
                        day: 1,
                    }),
                    work_unit: "单位".into(),
                    employment_status: pb::EmploymentStatus::InPost as i32,
                    ..Default::default()
                };
                let created = client
                    .create_member(authorized(
                        &token,
                        pb::CreateMemberRequest {
                            request_id: format!("bench-m-{n}"),
                            member: Some(member),
                        },
                    )?)
                    .await?
                    .into_inner();
                client
                    .create_record(authorized(
                        &token,
                        pb::CreateRecordRequest {
                            request_id: format!("bench-r-{n}"),
                            member_id: created.member_id,
                            category: 1 + (n % 5) as i32,
                            cause: "基准测试".into(),
                            household_size: 1 + (n % 5) as i32,
                            annual_household_income: Some(Money { fen: 3_000_000 }),
                            ..Default::default()
                        },
                    )?)
                    .await?;
                samples.push(started.elapsed());
            }
            anyhow::Ok(samples)
        }));
    }
    let mut register = Vec::new();
    for worker in workers {
        register.extend(worker.await.context("a registration worker panicked")??);
    }

    let mut list = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        let request = authorized(
            &token,
            pb::ListRecordsRequest {
                org_id: superiors[i % superiors.len()].org_id,
                page_size: 50,
                ..Default::default()
            },
        )?;
        client.list_records(request).await?;
        list.push(started.elapsed());
    }
    let mut statistics = Vec::new();
    for _ in 0..100 {
        let started = Instant::now();
        client
            .get_statistics(authorized(&token, pb::GetStatisticsRequest::default())?)
            .await?;
        statistics.push(started.elapsed());
    }
    let started = Instant::now();
    let mut stream = client
        .export_register(authorized(&token, pb::ExportRegisterRequest::default())?)
        .await?
        .into_inner();
    let mut bytes = 0;
    while let Some(chunk) = stream.message().await? {
        bytes += chunk.data.len();
    }
    let export = started.elapsed();
    anyhow::ensure!(bytes > 0, "the export was empty");

    // The same listing as a web frontend makes it: JSON through the gateway,
    // logged in as the bootstrap administrator.
    let http = reqwest::Client::new();
    let login: serde_json::Value = http
        .post("http://127.0.0.1:8080/v1/relief.gateway.v1.IdentityService/Login")
        .json(&serde_json::json!({ "loginName": crate::demo::ADMIN_LOGIN, "password": crate::demo::ADMIN_PASSWORD }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let web_token = login["tokens"]["accessToken"]
        .as_str()
        .context("no access token")?
        .to_owned();
    let mut json_list = Vec::new();
    for i in 0..200 {
        let started = Instant::now();
        let response = http
            .post("http://127.0.0.1:8080/v1/relief.ledger.v1.LedgerService/ListRecords")
            .bearer_auth(&web_token)
            .json(&serde_json::json!({ "orgId": superiors[i % superiors.len()].org_id.to_string(), "pageSize": 50 }))
            .send()
            .await?
            .error_for_status()?;
        let body = response.bytes().await?;
        anyhow::ensure!(!body.is_empty(), "an empty answer");
        json_list.push(started.elapsed());
    }

    Ok(vec![
        percentile(&mut register, 0.95),
        percentile(&mut list, 0.95),
        percentile(&mut statistics, 0.95),
        export,
        percentile(&mut json_list, 0.95),
    ])
}
