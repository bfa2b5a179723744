//! The latency targets of writes, listings, statistics and the export, measured on a register
//! the bench fills first; the members it registers are then read by the read-path comparison.

use std::time::{Duration, Instant};

use anyhow::Context;
use relief_proto::common::v1::{Money, OrgRef};
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::{Role, RoleBinding};
use tonic::Request;
use tonic::transport::Channel;

use super::{BRANCHES, MEMBERS};

/// What the read path is measured with: a department token on the whole tree, and the
/// members registered.
pub struct Seeded {
    pub token: String,
    pub member_ids: Vec<String>,
}

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

/// Fills the register through the ledger at `port` and measures the targets in the order of
/// [`super::TARGETS`].
pub async fn measure(port: u16) -> anyhow::Result<(Vec<Duration>, Seeded)> {
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
            let mut ids = Vec::new();
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
                            member_id: created.member_id.clone(),
                            category: 1 + (n % 5) as i32,
                            cause: "基准测试".into(),
                            household_size: 1 + (n % 5) as i32,
                            annual_household_income: Some(Money { fen: 3_000_000 }),
                            ..Default::default()
                        },
                    )?)
                    .await?;
                samples.push(started.elapsed());
                ids.push(created.member_id);
            }
            anyhow::Ok((samples, ids))
        }));
    }
    let mut register = Vec::new();
    let mut member_ids = Vec::new();
    for worker in workers {
        let (samples, ids) = worker.await.context("a registration worker panicked")??;
        register.extend(samples);
        member_ids.extend(ids);
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

    let durations = vec![
        percentile(&mut register, 0.95),
        percentile(&mut list, 0.95),
        percentile(&mut statistics, 0.95),
        export,
        percentile(&mut json_list, 0.95),
    ];
    Ok((durations, Seeded { token, member_ids }))
}
