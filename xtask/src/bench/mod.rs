//! `cargo xtask bench`: the performance targets of the ledger and the gateway, measured against a
//! release build on a throwaway database. Targets are stated here, measured,
//! and reported; a missed target makes the command fail.
//!
//! Two kinds of target: latencies of writes, listings and exports ([`targets`]), and the read
//! path as a ratio to bare tonic baselines measured in the same run ([`read_path`]). The
//! baselines ([`bare`]) and the load generator ([`load`]) run as processes of this program's
//! release build (`xtask bench-bare | bench-hop | bench-load`), so that the services, the
//! baselines and the load are all optimised code.

mod bare;
mod cpu;
mod load;
mod read_path;
mod targets;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::postgres::Postgres;
use crate::services::{SERVICES, spawn_logging_to, wait_healthy};

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

/// The processes of the release build that `run` starts: `xtask bench-bare | bench-hop |
/// bench-load …`.
pub async fn peer(command: &str, args: &[String]) -> anyhow::Result<ExitCode> {
    match command {
        "bench-bare" => bare::serve_bare(args).await?,
        "bench-hop" => bare::serve_hop(args).await?,
        "bench-load" => load::main(args).await?,
        _ => anyhow::bail!("unknown command {command}"),
    }
    Ok(ExitCode::SUCCESS)
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
                "-p",
                "xtask",
            ])
            .current_dir(crate::workspace_root())
            .status()
            .await?;
    anyhow::ensure!(
        status.success(),
        "building the ledger, the gateway and the bench's own release build failed"
    );
    let run_dir = crate::target_dir().join("xtask");
    let pg = Postgres::start(&run_dir)?;
    let config = run_dir.join(format!("bench-{}.yaml", std::process::id()));
    // The benchmark measures the services, not the rate limiter; they log as they do by
    // default (JSON at info), into files.
    let local = crate::services::local_config(&pg.url())?
        .replacen(
            "gateway:\n",
            "gateway:\n  rate_limit: {per_user_per_second: 1000000, per_user_burst: 1000000, \
             per_address_per_second: 1000000, per_address_burst: 1000000}\n",
            1,
        )
        .replacen("log_format: pretty", "log_format: json", 1);
    std::fs::write(&config, local)?;
    let logs = run_dir.join("bench-logs");
    std::fs::create_dir_all(&logs)?;
    let mut running = Vec::new();
    let started = async {
        for name in ["ledger", "gateway"] {
            let spec = SERVICES
                .iter()
                .find(|spec| spec.name == name)
                .context("service table")?;
            let binary = crate::target_dir().join("release").join(spec.package);
            let log = logs.join(format!("{name}.log"));
            running.push(spawn_logging_to(spec, binary, &config, &log)?);
            if let Some(service) = running.last_mut() {
                wait_healthy(service).await?;
            }
        }
        anyhow::Ok(())
    }
    .await;
    let result = match started {
        Ok(()) => measure(&run_dir, &pg, &running).await,
        Err(err) => Err(err),
    };
    crate::services::stop(running).await;
    let _ = std::fs::remove_file(&config);
    drop(pg);
    let (results, read) = result?;

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
    println!("\nThe read path, GetMember, against bare tonic baselines (median of the rounds):");
    for figures in &read.figures {
        println!(
            "       {:<40} {:>8.0} requests/s   p50 {:>6.2} ms   p99 {:>6.2} ms   answer {} bytes",
            figures.what,
            figures.per_second,
            figures.p50_us as f64 / 1000.0,
            figures.p99_us as f64 / 1000.0,
            figures.answer_bytes
        );
    }
    println!("\nCPU time per request, process by process (median of the rounds):");
    for figures in &read.figures {
        let each: Vec<String> = figures
            .cpu_us_per_request
            .iter()
            .map(|(what, us)| format!("{what} {us:.0}"))
            .collect();
        println!(
            "       {:<40} {:>6.0} µs in all: {}",
            figures.what,
            figures.cpu_us_total(),
            each.join(", ")
        );
    }
    let cpu = |config: usize| {
        read.figures
            .get(config)
            .map_or(0.0, read_path::Figures::cpu_us_total)
    };
    let cpu_ratio = |baseline: usize, project: usize| cpu(baseline) / cpu(project).max(1.0);
    println!(
        "       CPU ratios (baseline's CPU per request ÷ the project's): ledger direct {:.2}, \
         gateway (gRPC) {:.2}, gateway (JSON) {:.2}",
        cpu_ratio(0, 1),
        cpu_ratio(2, 3),
        cpu_ratio(2, 4)
    );
    println!();
    for (what, ratio, target) in [
        (
            "ledger direct ÷ bare tonic+sqlx server",
            read.direct_ratio,
            Some(read_path::TARGET_RATIO),
        ),
        (
            "gateway (gRPC) ÷ bare tonic hop",
            read.gateway_ratio,
            Some(read_path::TARGET_RATIO),
        ),
        (
            "gateway (JSON) ÷ bare tonic hop (gRPC)",
            read.json_ratio,
            None,
        ),
    ] {
        match target {
            Some(target) => {
                let ok = ratio >= target;
                missed += usize::from(!ok);
                println!(
                    "  {} {:<78} {:>9.2}    (target ≥ {target})",
                    if ok { "PASS" } else { "MISS" },
                    what,
                    ratio
                );
            }
            None => println!("  info {what:<78} {ratio:>9.2}"),
        }
    }
    Ok(if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn measure(
    run_dir: &std::path::Path,
    pg: &Postgres,
    running: &[crate::services::Running],
) -> anyhow::Result<(Vec<Duration>, read_path::Comparison)> {
    let pid = |name: &str| {
        running
            .iter()
            .find(|service| service.spec.name == name)
            .and_then(crate::services::Running::pid)
            .with_context(|| format!("the {name} is not running"))
    };
    let serving = read_path::Serving {
        ledger: pid("ledger")?,
        gateway: pid("gateway")?,
        postgres: pg.server_pid()?,
    };
    let (durations, seeded) = targets::measure(50051).await?;
    let read = read_path::compare(
        &read_path::release_xtask(),
        run_dir,
        &pg.url(),
        &seeded,
        &serving,
    )
    .await?;
    Ok((durations, read))
}
