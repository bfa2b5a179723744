//! The local SMTP catcher as a process: `relief-mailcatcher [port] [dir]
//! [host]` listens on `host` (127.0.0.1 unless given; 0.0.0.0 in a dev
//! cluster) and writes each message it catches to `dir` as an `.eml` file
//! (see the library).

use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = match args.next() {
        Some(port) => port.parse()?,
        None => 2525,
    };
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/mail".to_owned()));
    let host: std::net::IpAddr = match args.next() {
        Some(host) => host.parse()?,
        None => [127, 0, 0, 1].into(),
    };
    let catcher = relief_mailcatcher::MailCatcher::start(
        (host, port).into(),
        relief_mailcatcher::Options {
            dir: Some(dir.clone()),
            ..Default::default()
        },
    )
    .await?;
    println!(
        "mailcatcher: SMTP on {}, caught mail written to {}",
        catcher.addr(),
        dir.display()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        stopped = tokio::signal::ctrl_c() => stopped?,
        _ = term.recv() => {}
    }
    Ok(())
}
