//! Running the system: the throwaway database, the service processes with
//! their logs prefixed, health checks, and an orderly stop.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::postgres::Postgres;
use crate::{target_dir, workspace_root};

/// A service process of the system: its name, binary and gRPC port.
pub struct ServiceSpec {
    pub name: &'static str,
    pub package: &'static str,
    pub port: u16,
    pub grpc_service: &'static str,
}

/// Every service the system has; `up` starts those whose crate exists.
pub const SERVICES: [ServiceSpec; 5] = [
    ServiceSpec {
        name: "ledger",
        package: "relief-ledger",
        port: 50051,
        grpc_service: "relief.ledger.v1.LedgerService",
    },
    ServiceSpec {
        name: "workflow",
        package: "relief-workflow",
        port: 50052,
        grpc_service: "relief.workflow.v1.ApplicationService",
    },
    ServiceSpec {
        name: "funds",
        package: "relief-funds",
        port: 50053,
        grpc_service: "relief.funds.v1.FundsService",
    },
    ServiceSpec {
        name: "notify",
        package: "relief-notify",
        port: 50054,
        grpc_service: "relief.notify.v1.NotificationService",
    },
    ServiceSpec {
        name: "gateway",
        package: "relief-gateway",
        port: 50050,
        grpc_service: "relief.gateway.v1.IdentityService",
    },
];

pub fn present_services() -> Vec<&'static ServiceSpec> {
    SERVICES
        .iter()
        .filter(|spec| {
            workspace_root()
                .join("services")
                .join(spec.name)
                .join("src/main.rs")
                .is_file()
        })
        .collect()
}

async fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .await
        .context("running cargo")?;
    if !status.success() {
        bail!("cargo {} failed", args.join(" "));
    }
    Ok(())
}

/// Runs the whole test suite against a throwaway database.
pub async fn test(extra: &[String]) -> anyhow::Result<ExitCode> {
    // The notification service's restart test kills and restarts the real
    // binary (SIGKILL), so it is built before the tests run.
    cargo(&[
        "build",
        "--quiet",
        "-p",
        "relief-notify",
        "--bin",
        "relief-notify",
    ])
    .await?;
    let pg = Postgres::start(&target_dir().join("xtask"))?;
    eprintln!("xtask: PostgreSQL for the tests at {}", pg.url());
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut child = Command::new(cargo)
        .args(["test", "--workspace"])
        .args(extra)
        .current_dir(workspace_root())
        .env("RELIEF_TEST_DATABASE_URL", pg.url())
        .env(
            "RELIEF_NOTIFY_BIN",
            target_dir().join("debug").join("relief-notify"),
        )
        .kill_on_drop(true)
        .spawn()
        .context("starting cargo test")?;
    let status = tokio::select! {
        status = child.wait() => status?,
        _ = tokio::signal::ctrl_c() => {
            let _ = child.kill().await;
            bail!("interrupted");
        }
    };
    drop(pg);
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn random_key(bytes: usize) -> String {
    let mut key = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn dev_key(name: &str) -> anyhow::Result<String> {
    let path = workspace_root().join("deploy/dev-keys").join(name);
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The configuration file every service of a local run reads (RELIEF_CONFIG).
pub fn local_config(database_url: &str) -> anyhow::Result<String> {
    let indent = |pem: String| {
        pem.trim()
            .lines()
            .map(|line| format!("        {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut trusted = format!(
        "    - kid: gateway-dev\n      issuer: relief-gateway\n      public_key_pem: |\n{}\n",
        indent(dev_key("gateway.pub.pem")?)
    );
    // Each service's own principal, limited to the roles its work needs:
    // the notification service reads whom to tell (notifier); funds reads
    // (reader), the workflow reads and writes (department), both publish
    // events (relay).
    for spec in SERVICES.iter().filter(|spec| spec.name != "gateway") {
        if let Ok(pem) = dev_key(&format!("{}.pub.pem", spec.name)) {
            let roles = if spec.name == "notify" {
                "[notifier]"
            } else {
                "[department, reader, relay]"
            };
            trusted.push_str(&format!(
                "    - kid: {name}\n      issuer: {name}\n      allowed_roles: {roles}\n      public_key_pem: |\n{}\n",
                indent(pem),
                name = spec.name
            ));
        }
    }
    // Only services that run are peers: the gateway exposes exactly those.
    let mut peers = String::new();
    for spec in present_services()
        .into_iter()
        .filter(|spec| spec.name != "gateway")
    {
        peers.push_str(&format!(
            "  {}: http://127.0.0.1:{}\n",
            spec.name, spec.port
        ));
    }
    Ok(format!(
        "# Written by `cargo xtask up` for this run only (development keys).\n\
database:\n  url: {database_url}\n\
auth:\n  trusted_keys:\n{trusted}\
telemetry:\n  log_format: pretty\n\
gateway:\n  cors_allowed_origins: [\"http://127.0.0.1:3000\", \"http://localhost:3000\"]\n\
peers:\n{peers}\
ledger:\n  pii_encryption_key: {}\n  pii_hash_key: {}\n\
workflow:\n  household_encryption_key: {}\n",
        random_key(32),
        random_key(32),
        random_key(32),
    ))
}

/// A running service process.
pub struct Running {
    pub spec: &'static ServiceSpec,
    child: Child,
}

impl Running {
    /// The process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

/// The command that starts a service binary with the local run's configuration.
fn service_command(
    spec: &'static ServiceSpec,
    binary: &std::path::Path,
    config: &std::path::Path,
) -> anyhow::Result<Command> {
    // A service of an earlier run that was killed before it could stop its
    // children still listens on the fixed port, and the health check would find
    // it healthy: the demo or the bench would then talk to the old one.
    if std::net::TcpListener::bind(("127.0.0.1", spec.port)).is_err() {
        bail!(
            "port {} is in use: a {} left running by an earlier `cargo xtask` (or another \
             program) holds it; stop it first (e.g. `ss -ltnp 'sport = :{}'` shows who)",
            spec.port,
            spec.name,
            spec.port
        );
    }
    let mut command = Command::new(binary);
    if spec.name == "gateway" {
        // The gateway signs users' tokens with the key every service trusts.
        command
            .env("RELIEF__GATEWAY__SIGNING_KEY", dev_key("gateway.key.pem")?)
            .env("RELIEF__GATEWAY__SIGNING_KID", "gateway-dev")
            .env(
                "RELIEF__GATEWAY__BOOTSTRAP_ADMIN__PASSWORD",
                crate::demo::ADMIN_PASSWORD,
            );
    } else if let Ok(key) = dev_key(&format!("{}.key.pem", spec.name)) {
        command.env("RELIEF__AUTH__SERVICE_SIGNING_KEY", key);
    }
    if spec.name == "notify" {
        // Whom to tell comes from the gateway's identity service (a peer of
        // notify alone: the gateway serves that package itself), and mail
        // goes to the local catcher.
        command
            .env("RELIEF__PEERS__GATEWAY", "http://127.0.0.1:50050")
            .env("RELIEF__NOTIFY__SMTP__PORT", MAIL_CATCHER_PORT.to_string());
    }
    command
        .current_dir(workspace_root())
        .env("RELIEF_CONFIG", config)
        .env("RELIEF__GRPC__PORT", spec.port.to_string())
        .env("RELIEF__DATABASE__SCHEMA", spec.name)
        .kill_on_drop(true);
    Ok(command)
}

/// Starts a service binary with its configured log level, its log lines written to `log`
/// (benchmarks: the service logs as in production, and nobody reads it live).
pub fn spawn_logging_to(
    spec: &'static ServiceSpec,
    binary: PathBuf,
    config: &std::path::Path,
    log: &std::path::Path,
) -> anyhow::Result<Running> {
    let file = std::fs::File::create(log)?;
    let child = service_command(spec, &binary, config)?
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    Ok(Running { spec, child })
}

/// Starts a service binary with its log lines prefixed by its name (or
/// silenced, for benchmarks).
pub async fn spawn_binary(
    spec: &'static ServiceSpec,
    binary: PathBuf,
    config: &std::path::Path,
    quiet: bool,
) -> anyhow::Result<Running> {
    let mut child = service_command(spec, &binary, config)?
        .env(
            "RELIEF__TELEMETRY__LEVEL",
            if quiet { "warn" } else { "info" },
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let name = spec.name;
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("[{name:>8}] {line}");
            }
        });
    }
    Ok(Running { spec, child })
}

/// Waits until the service answers SERVING on grpc.health.v1, or fails.
pub async fn wait_healthy(running: &mut Running) -> anyhow::Result<()> {
    let address = format!("http://127.0.0.1:{}", running.spec.port);
    for _ in 0..120 {
        if let Some(status) = running.child.try_wait()? {
            bail!(
                "{} exited with {status} before it was healthy",
                running.spec.name
            );
        }
        if let Ok(channel) = tonic::transport::Endpoint::from_shared(address.clone())?
            .connect()
            .await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest {
                service: running.spec.grpc_service.to_owned(),
            };
            if let Ok(response) = health.check(request).await
                && response.into_inner().status
                    == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!(
        "{} did not become healthy within a minute",
        running.spec.name
    )
}

pub async fn stop(mut running: Vec<Running>) {
    for service in &running {
        if let Some(pid) = service.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }
    for service in &mut running {
        if tokio::time::timeout(Duration::from_secs(10), service.child.wait())
            .await
            .is_err()
        {
            let _ = service.child.kill().await;
        }
    }
}

async fn terminated() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}

/// Where `up`'s SMTP catcher listens (the notification service's default).
pub const MAIL_CATCHER_PORT: u16 = 2525;

/// Builds and runs the whole system with demo data until Ctrl-C or SIGTERM.
pub async fn up() -> anyhow::Result<ExitCode> {
    let specs = present_services();
    let mut build_args = vec!["build", "--quiet"];
    for spec in &specs {
        build_args.extend(["-p", spec.package]);
    }
    eprintln!(
        "xtask: building {}",
        specs.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
    );
    cargo(&build_args).await?;

    let run_dir = target_dir().join("xtask");
    let pg = Postgres::start(&run_dir)?;
    // Every e-mail the notification service sends lands here, as .eml files.
    let mail_dir = run_dir.join("mail");
    let mail = relief_mailcatcher::MailCatcher::start(
        ([127, 0, 0, 1], MAIL_CATCHER_PORT).into(),
        relief_mailcatcher::Options {
            dir: Some(mail_dir.clone()),
            ..Default::default()
        },
    )
    .await
    .with_context(|| format!("starting the SMTP catcher on port {MAIL_CATCHER_PORT}"))?;
    let config_path = run_dir.join(format!("up-{}.yaml", std::process::id()));
    std::fs::write(&config_path, local_config(&pg.url())?)?;

    let mut running = Vec::new();
    for spec in &specs {
        let binary = target_dir().join("debug").join(spec.package);
        running.push(spawn_binary(spec, binary, &config_path, false).await?);
    }
    let outcome = async {
        for service in &mut running {
            wait_healthy(service).await?;
        }
        let ports: HashMap<&str, u16> = specs.iter().map(|spec| (spec.name, spec.port)).collect();
        let logins = crate::demo::load(&ports)
            .await
            .context("loading demo data")?;
        println!();
        println!("Relief Ledger is up.");
        for spec in &specs {
            println!(
                "  {:<9} gRPC  http://127.0.0.1:{}  ({})",
                spec.name, spec.port, spec.grpc_service
            );
        }
        if specs.iter().any(|spec| spec.name == "gateway") {
            println!("  gateway   HTTP  http://127.0.0.1:8080  (JSON, gRPC-Web, /openapi.json, downloads)");
        }
        println!("  database  {}", pg.url());
        println!(
            "  mail      smtp://{}  (caught, never sent: {}/*.eml)",
            mail.addr(),
            mail_dir.display()
        );
        println!();
        println!("{logins}");
        println!("Stop with Ctrl-C: every service stops and the database is removed.");
        anyhow::Ok(())
    }
    .await;
    if let Err(err) = outcome {
        stop(running).await;
        let _ = std::fs::remove_file(&config_path);
        return Err(err);
    }
    terminated().await;
    eprintln!("xtask: stopping");
    stop(running).await;
    let _ = std::fs::remove_file(&config_path);
    drop(pg);
    Ok(ExitCode::SUCCESS)
}
