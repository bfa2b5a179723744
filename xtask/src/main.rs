//! `cargo xtask up | test | bench`: the commands a new user types.
//!
//! - `up`: a throwaway PostgreSQL, every service as its own process, demo
//!   data, and the addresses and logins printed; Ctrl-C stops and removes it all.
//! - `test`: a throwaway PostgreSQL and the whole test suite against it.
//! - `bench`: the performance targets, measured against real services.

/// The services' allocator, so that the read-path baselines, which run from this program, use
/// it too: a ratio then compares the project's work with the bare servers', not two allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bench;
mod demo;
mod postgres;
mod services;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <up | test [cargo test args…] | bench>";

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("xtask: cannot start a runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match args.first().map(String::as_str) {
            Some("up") => services::up().await,
            Some("test") => services::test(&args[1..]).await,
            Some("bench") => bench::run().await,
            // The bench's own processes (baselines, load), started by `bench`.
            Some(command) if command.starts_with("bench-") => {
                bench::peer(command, &args[1..]).await
            }
            _ => {
                eprintln!("{USAGE}");
                Ok(ExitCode::from(2))
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}
