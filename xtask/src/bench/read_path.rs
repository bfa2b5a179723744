//! The read path against its baselines, in one run: `GetMember` at the ledger against a bare
//! tonic+sqlx server reading the same rows, and through the gateway (gRPC) against a bare tonic
//! hop in front of that server; JSON through the gateway is reported beside them. Every
//! configuration is driven by the same load generator ([`super::load`]) in short rounds where
//! each one runs right before or after its baseline, in alternating order, and each ratio is the
//! median of its rounds' ratios, so that another process busy on the machine for a while weighs
//! on both sides of a ratio alike.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use prost::Message;
use tokio::process::{Child, Command};

use super::bare::{GET_MEMBER, GetMemberRequest};
use super::cpu::Watched;
use super::load::{Outcome, Protocol, Spec};
use super::targets::Seeded;

/// Requests in flight at once: over 2 HTTP/2 connections for gRPC, one per connection for JSON.
const CONCURRENCY: usize = 32;
const CONNECTIONS: usize = 2;
/// Rounds of every configuration: one round's ratio on this shared machine swings by ±0.15,
/// and the median of nine moves far less than that of five.
const ROUNDS: usize = 9;
const WARMUP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_millis(1_500);
/// A bound on any one run, far above what two cores serve in its time.
const MAX_REQUESTS: u64 = 1_000_000;
/// The services' `database.max_connections`, given to the bare server too.
const POOL_SIZE: u32 = 10;
/// Both ratios must reach this.
pub const TARGET_RATIO: f64 = 0.85;

const LEDGER: &str = "127.0.0.1:50051";
const GATEWAY_GRPC: &str = "127.0.0.1:50050";
const GATEWAY_HTTP: &str = "127.0.0.1:8080";

/// One configuration's median figures over the rounds.
pub struct Figures {
    pub what: &'static str,
    pub per_second: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub answer_bytes: u64,
    /// CPU time per request in each process that took part (the load generator last).
    pub cpu_us_per_request: Vec<(String, f64)>,
}

impl Figures {
    /// CPU time per request in all the processes together.
    pub fn cpu_us_total(&self) -> f64 {
        self.cpu_us_per_request.iter().map(|(_, us)| us).sum()
    }
}

/// The processes of the project under measurement.
pub struct Serving {
    pub ledger: u32,
    pub gateway: u32,
    /// The PostgreSQL server (its backends are its children).
    pub postgres: u32,
}

pub struct Comparison {
    /// Bare server, ledger direct, bare hop, gateway gRPC, gateway JSON.
    pub figures: Vec<Figures>,
    /// Ledger direct ÷ bare server.
    pub direct_ratio: f64,
    /// Gateway (gRPC) ÷ bare hop.
    pub gateway_ratio: f64,
    /// Gateway (JSON) ÷ bare hop: reported, not a target.
    pub json_ratio: f64,
}

#[derive(Clone, Copy)]
enum Config {
    Bare,
    Direct,
    Hop,
    Gateway,
    Json,
}

const CONFIGS: [Config; 5] = [
    Config::Bare,
    Config::Direct,
    Config::Hop,
    Config::Gateway,
    Config::Json,
];

impl Config {
    fn what(self) -> &'static str {
        match self {
            Config::Bare => "bare tonic+sqlx server",
            Config::Direct => "ledger GetMember, direct",
            Config::Hop => "bare tonic hop → bare server",
            Config::Gateway => "gateway (gRPC) → ledger",
            Config::Json => "gateway (JSON over HTTP/1.1) → ledger",
        }
    }
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A baseline process of the release build, killed when dropped.
async fn spawn_peer(xtask: &Path, args: &[String], log: &Path) -> anyhow::Result<Child> {
    let log = std::fs::File::create(log)?;
    Command::new(xtask)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", xtask.display()))
}

async fn wait_listening(address: SocketAddr, child: &mut Child) -> anyhow::Result<()> {
    for _ in 0..300 {
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("a baseline at {address} exited with {status}");
        }
        if tokio::net::TcpStream::connect(address).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("a baseline did not listen on {address} within 30 s")
}

/// Runs one load in its own process of the release build.
async fn load(xtask: &Path, run_dir: &Path, spec: &Spec) -> anyhow::Result<Outcome> {
    let file = run_dir.join(format!("bench-load-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(spec)?)?;
    let output = Command::new(xtask)
        .arg("bench-load")
        .arg(&file)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await?;
    let _ = std::fs::remove_file(&file);
    anyhow::ensure!(
        output.status.success(),
        "the load generator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome: Outcome = serde_json::from_slice(&output.stdout)
        .with_context(|| String::from_utf8_lossy(&output.stdout).into_owned())?;
    if outcome.errors > 0 {
        anyhow::bail!(
            "{} of the requests to {}{} failed, first: {}",
            outcome.errors,
            spec.address,
            spec.path,
            outcome.first_error.as_deref().unwrap_or("?")
        );
    }
    anyhow::ensure!(outcome.requests > 0, "no request completed");
    Ok(outcome)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn median_u64(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Each process's median CPU time per request over the runs (every run watches the same
/// processes, in the same order).
fn median_cpu(runs: &[Outcome]) -> Vec<(String, f64)> {
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    first
        .cpu_us_per_request
        .iter()
        .enumerate()
        .map(|(index, (what, _))| {
            let mut values: Vec<f64> = runs
                .iter()
                .filter_map(|run| run.cpu_us_per_request.get(index).map(|(_, us)| *us))
                .collect();
            (what.clone(), median(&mut values))
        })
        .collect()
}

/// Measures every configuration against the services already running (ledger on 50051,
/// gateway on 50050 and 8080) and the baselines it starts on the ledger's schema.
pub async fn compare(
    xtask: &Path,
    run_dir: &Path,
    database_url: &str,
    seeded: &Seeded,
    serving: &Serving,
) -> anyhow::Result<Comparison> {
    let logs = run_dir.join("bench-logs");
    std::fs::create_dir_all(&logs)?;
    let bare_address = free_port()?;
    let mut bare = spawn_peer(
        xtask,
        &[
            "bench-bare".into(),
            bare_address.to_string(),
            database_url.into(),
            "ledger".into(),
            POOL_SIZE.to_string(),
        ],
        &logs.join("bare.log"),
    )
    .await?;
    wait_listening(bare_address, &mut bare).await?;
    let hop_address = free_port()?;
    let mut hop = spawn_peer(
        xtask,
        &[
            "bench-hop".into(),
            hop_address.to_string(),
            format!("http://{bare_address}"),
        ],
        &logs.join("hop.log"),
    )
    .await?;
    wait_listening(hop_address, &mut hop).await?;

    let grpc_bodies: Vec<Vec<u8>> = seeded
        .member_ids
        .iter()
        .map(|id| {
            GetMemberRequest {
                member_id: id.clone(),
            }
            .encode_to_vec()
        })
        .collect();
    let json_bodies: Vec<Vec<u8>> = seeded
        .member_ids
        .iter()
        .map(|id| {
            serde_json::json!({ "memberId": id })
                .to_string()
                .into_bytes()
        })
        .collect();
    let process = |what: &str, pid: Option<u32>| -> anyhow::Result<Watched> {
        Ok(Watched {
            what: what.to_owned(),
            pid: pid.with_context(|| format!("the {what} has no process id"))?,
            with_children: false,
        })
    };
    let postgres = Watched {
        what: "postgres".to_owned(),
        pid: serving.postgres,
        with_children: true,
    };
    let bare_server = process("bare server", bare.id())?;
    let bare_hop = process("bare hop", hop.id())?;
    let ledger = process("ledger", Some(serving.ledger))?;
    let gateway = process("gateway", Some(serving.gateway))?;
    let spec = |config: Config| -> anyhow::Result<Spec> {
        let (protocol, address, path) = match config {
            Config::Bare => (Protocol::Grpc, bare_address, GET_MEMBER.to_owned()),
            Config::Direct => (Protocol::Grpc, LEDGER.parse()?, GET_MEMBER.to_owned()),
            Config::Hop => (Protocol::Grpc, hop_address, GET_MEMBER.to_owned()),
            Config::Gateway => (Protocol::Grpc, GATEWAY_GRPC.parse()?, GET_MEMBER.to_owned()),
            Config::Json => (
                Protocol::Json,
                GATEWAY_HTTP.parse()?,
                format!("/v1{GET_MEMBER}"),
            ),
        };
        Ok(Spec {
            protocol,
            address,
            path,
            // The baselines ignore it; it is sent to them all the same, so every request
            // is the same size.
            token: seeded.token.clone(),
            bodies: if protocol == Protocol::Json {
                json_bodies.clone()
            } else {
                grpc_bodies.clone()
            },
            connections: CONNECTIONS,
            concurrency: CONCURRENCY,
            warmup_ms: WARMUP.as_millis() as u64,
            measure_ms: MEASURE.as_millis() as u64,
            max_requests: MAX_REQUESTS,
            watched: match config {
                Config::Bare => vec![bare_server.clone()],
                Config::Direct => vec![ledger.clone()],
                Config::Hop => vec![bare_hop.clone(), bare_server.clone()],
                Config::Gateway | Config::Json => vec![gateway.clone(), ledger.clone()],
            }
            .into_iter()
            .chain([postgres.clone()])
            .collect(),
        })
    };

    let mut outcomes: Vec<Vec<Outcome>> = CONFIGS.iter().map(|_| Vec::new()).collect();
    let (mut direct, mut gateway, mut json) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Indexes into CONFIGS: each project configuration next to its baseline, the
        // baseline first in one round and second in the next.
        let order = if round % 2 == 0 {
            [0, 1, 4, 2, 3]
        } else {
            [1, 0, 3, 2, 4]
        };
        let mut this_round: Vec<Option<f64>> = vec![None; CONFIGS.len()];
        for index in order {
            let outcome = load(xtask, run_dir, &spec(CONFIGS[index])?).await?;
            eprintln!(
                "bench: round {} {:<40} {:>8.0}/s",
                round + 1,
                CONFIGS[index].what(),
                outcome.per_second
            );
            this_round[index] = Some(outcome.per_second);
            outcomes[index].push(outcome);
        }
        let rate = |index: usize| this_round[index].unwrap_or_default();
        direct.push(rate(1) / rate(0));
        gateway.push(rate(3) / rate(2));
        json.push(rate(4) / rate(2));
    }
    drop(hop);
    drop(bare);

    let figures = CONFIGS
        .iter()
        .zip(outcomes)
        .map(|(config, runs)| Figures {
            what: config.what(),
            per_second: median(&mut runs.iter().map(|o| o.per_second).collect::<Vec<_>>()),
            p50_us: median_u64(&mut runs.iter().map(|o| o.p50_us).collect::<Vec<_>>()),
            p99_us: median_u64(&mut runs.iter().map(|o| o.p99_us).collect::<Vec<_>>()),
            answer_bytes: median_u64(&mut runs.iter().map(|o| o.answer_bytes).collect::<Vec<_>>()),
            cpu_us_per_request: median_cpu(&runs),
        })
        .collect();
    Ok(Comparison {
        figures,
        direct_ratio: median(&mut direct),
        gateway_ratio: median(&mut gateway),
        json_ratio: median(&mut json),
    })
}

/// The release build of this program, which runs the baselines and the load.
pub fn release_xtask() -> PathBuf {
    crate::target_dir().join("release").join("xtask")
}
