//! A throwaway PostgreSQL cluster: found (or installed) binaries, a fresh
//! data directory, a free loopback port, and everything removed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    /// Runs the server as this user when we are root (PostgreSQL refuses root).
    run_as: Option<String>,
    pub port: u16,
}

impl Postgres {
    /// `postgres://relief@127.0.0.1:<port>/postgres`
    pub fn url(&self) -> String {
        format!("postgres://relief@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's process id (its backends are its children), from `postmaster.pid`.
    pub fn server_pid(&self) -> anyhow::Result<u32> {
        let file = self.dir.join("data").join("postmaster.pid");
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        text.lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .with_context(|| format!("no process id in {}", file.display()))
    }

    /// Starts a new cluster under `parent`.
    pub fn start(parent: &Path) -> anyhow::Result<Self> {
        let bin = find_or_install()?;
        let run_as = if is_root() {
            Some(server_user()?)
        } else {
            None
        };
        std::fs::create_dir_all(parent)?;
        let dir = parent.join(format!("pg-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(dir.join("socket"))?;
        if let Some(user) = &run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(&dir))?;
            // The server user must be able to reach the directory.
            make_traversable(&dir)?;
        }
        let port = free_port()?;
        let pg = Postgres {
            bin,
            dir,
            run_as,
            port,
        };
        pg.tool("initdb")
            .args([
                "-U",
                "relief",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(pg.dir.join("data"))
            .stdout(Stdio::null())
            .status()
            .context("running initdb")?
            .success()
            .then_some(())
            .context("initdb failed")?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
            pg.dir.join("socket").display()
        );
        pg.tool("pg_ctl")
            .args(["-w", "-t", "60", "-D"])
            .arg(pg.dir.join("data"))
            .arg("-l")
            .arg(pg.dir.join("server.log"))
            .args(["-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .context("running pg_ctl start")?
            .success()
            .then_some(())
            .with_context(|| {
                format!(
                    "PostgreSQL did not start; see {}",
                    pg.dir.join("server.log").display()
                )
            })?;
        Ok(pg)
    }

    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-w", "-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The unprivileged user to run the server as: `postgres` (the Debian package
/// creates it), else one we create.
fn server_user() -> anyhow::Result<String> {
    for user in ["postgres", "relief-pg"] {
        if Command::new("id")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success()
        {
            return Ok(user.to_owned());
        }
    }
    run(Command::new("useradd").args(["--system", "--no-create-home", "relief-pg"]))?;
    Ok("relief-pg".to_owned())
}

fn make_traversable(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut current = dir.parent();
    while let Some(path) = current {
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o001 == 0 {
            bail!(
                "{} is not traversable by the database user; run from a checkout whose parent folders are (chmod o+x)",
                path.display()
            );
        }
        current = path.parent();
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

/// PostgreSQL server binaries: on PATH, under /usr/lib/postgresql/*/bin, or
/// installed from Debian's `postgresql` package when we are root with apt.
fn find_or_install() -> anyhow::Result<PathBuf> {
    if let Some(found) = find() {
        return Ok(found);
    }
    let apt = Path::new("/usr/bin/apt-get").exists();
    if is_root() && apt {
        eprintln!(
            "xtask: PostgreSQL server binaries not found; installing Debian's postgresql package"
        );
        run(Command::new("apt-get").args(["update", "-q"]))?;
        run(Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "postgresql",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
        if let Some(found) = find() {
            return Ok(found);
        }
    }
    bail!(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin.\n\
         Install them, e.g. `sudo apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql` (macOS), and run again."
    )
}

fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_server(&dir) {
                // Resolve symlinks so sibling binaries (postgres) are found too.
                let real = std::fs::canonicalize(dir.join("initdb")).ok()?;
                return real.parent().map(Path::to_path_buf);
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|dir| has_server(dir))
        .collect();
    versions.sort();
    versions.pop()
}
