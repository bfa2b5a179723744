//! CPU time per request, process by process: what the read path costs each process that serves
//! it (and the load generator), read from `/proc` at the start and end of a run's measuring
//! window. On a shared machine throughput swings with whatever else runs; the CPU a request
//! takes in each process does not, and it says where a ratio's difference lies.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// A process whose CPU time the run divides by its requests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Watched {
    pub what: String,
    pub pid: u32,
    /// Counts its child processes too: a PostgreSQL server's backends are its children.
    pub with_children: bool,
}

/// Linux reports process times in clock ticks of `USER_HZ`, which is 100 on every architecture
/// (it is part of the user-space ABI, whatever the kernel's own tick rate).
const MICROS_PER_TICK: u64 = 10_000;

/// User and system time of `pid` and of its children, if asked, in microseconds.
fn cpu_micros(watched: &Watched) -> u64 {
    let mut ticks = times(watched.pid).map_or(0, |(_, ticks)| ticks);
    if watched.with_children
        && let Ok(entries) = std::fs::read_dir("/proc")
    {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if let Some((parent, child_ticks)) = times(pid)
                && parent == watched.pid
            {
                ticks += child_ticks;
            }
        }
    }
    ticks * MICROS_PER_TICK
}

/// The parent pid and the user + system ticks of `pid`, from `/proc/<pid>/stat`.
fn times(pid: u32) -> Option<(u32, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces; the fields after it are plain.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state, ppid, …; utime and stime are the 14th and 15th fields of the line.
    let parent = fields.get(1)?.parse().ok()?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some((parent, user + system))
}

/// The load generator's own process.
fn this_process() -> Watched {
    Watched {
        what: "load generator".to_owned(),
        pid: std::process::id(),
        with_children: false,
    }
}

/// Samples `watched` (and this process) at `from` and at `to`; answers each one's CPU time in
/// between, in microseconds, under its name.
pub async fn between(from: Instant, to: Instant, watched: Vec<Watched>) -> Vec<(String, u64)> {
    let watched: Vec<Watched> = watched.into_iter().chain([this_process()]).collect();
    tokio::time::sleep_until(from.into()).await;
    let before: Vec<u64> = watched.iter().map(cpu_micros).collect();
    tokio::time::sleep_until(to.into()).await;
    watched
        .iter()
        .zip(before)
        .map(|(process, before)| {
            (
                process.what.clone(),
                cpu_micros(process).saturating_sub(before),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_cpu_time_and_parent() {
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed().as_millis() < 50 {
            x = x.wrapping_add(1);
        }
        assert!(x > 0);
        let (parent, ticks) = times(std::process::id()).expect("own /proc entry");
        assert!(parent > 0);
        assert!(ticks > 0, "50 ms of spinning shows in the process's times");
    }
}
