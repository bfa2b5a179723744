//! 邮件捕获 — a minimal, real SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, QUIT) that keeps every message it
//! accepts: in memory for tests, and as `.eml` files in a directory for a
//! developer running `cargo xtask up`. It can be told to refuse the next N
//! messages (a 4xx or 5xx answer to DATA's end), to test retries.
//!
//! It is one place used by both the tests (`relief_tests`) and `xtask`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The largest message accepted (the EHLO answer announces it).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// One message as it arrived: the envelope and the raw data (CRLF lines,
/// dot-unstuffed, without the final dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caught {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

/// How the catcher behaves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Write each message to this directory as `<n>.eml`.
    pub dir: Option<PathBuf>,
    /// Refuse this many messages first, each with `refusal`.
    pub refuse_first: usize,
    /// The refusal's reply, e.g. `451 4.3.0 try again later`; `451` when
    /// empty.
    pub refusal: String,
}

#[derive(Default)]
struct State {
    caught: Vec<Caught>,
    refused: usize,
    refuse_left: usize,
    refusal: String,
    dir: Option<PathBuf>,
}

/// A running catcher; dropping it stops listening.
pub struct MailCatcher {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    arrived: Arc<Notify>,
    task: JoinHandle<()>,
}

impl MailCatcher {
    /// Listens on `addr` (port 0: any free port).
    pub async fn start(addr: SocketAddr, options: Options) -> anyhow::Result<Self> {
        if let Some(dir) = &options.dir {
            tokio::fs::create_dir_all(dir).await?;
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            refuse_left: options.refuse_first,
            refusal: if options.refusal.is_empty() {
                "451 4.3.0 try again later".to_owned()
            } else {
                options.refusal
            },
            dir: options.dir,
            ..State::default()
        }));
        let arrived = Arc::new(Notify::new());
        let task = tokio::spawn(accept(listener, state.clone(), arrived.clone()));
        Ok(MailCatcher {
            addr,
            state,
            arrived,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every message accepted so far.
    pub fn caught(&self) -> Vec<Caught> {
        self.lock().caught.clone()
    }

    /// How many messages were refused so far.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// Refuses the next `count` messages with `reply` (e.g. `554 5.7.1 no`).
    pub fn refuse_next(&self, count: usize, reply: &str) {
        let mut state = self.lock();
        state.refuse_left = count;
        state.refusal = reply.to_owned();
    }

    /// Waits until at least `count` messages were accepted, or `timeout`.
    pub async fn wait_for(&self, count: usize, timeout: std::time::Duration) -> Vec<Caught> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            let caught = self.caught();
            if caught.len() >= count {
                return caught;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.caught();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, state: Arc<Mutex<State>>, arrived: Arc<Notify>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (state, arrived) = (state.clone(), arrived.clone());
        tokio::spawn(async move {
            // A client that goes away mid-session leaves nothing behind.
            let _ = session(stream, &state, &arrived).await;
        });
    }
}

/// What the client has said so far in the current transaction.
#[derive(Default)]
struct Envelope {
    greeted: bool,
    from: Option<String>,
    to: Vec<String>,
}

async fn session(stream: TcpStream, state: &Mutex<State>, arrived: &Notify) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 relief-mailcatcher ESMTP ready\r\n")
        .await?;
    let mut envelope = Envelope::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => {
                envelope = Envelope {
                    greeted: true,
                    ..Envelope::default()
                };
                format!(
                    "250-relief-mailcatcher\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE_BYTES}"
                )
            }
            "HELO" => {
                envelope = Envelope {
                    greeted: true,
                    ..Envelope::default()
                };
                "250 relief-mailcatcher".to_owned()
            }
            "MAIL" if !envelope.greeted => "503 5.5.1 say EHLO first".to_owned(),
            "MAIL" => match address(command, "FROM:") {
                Some(from) => {
                    envelope.from = Some(from);
                    envelope.to.clear();
                    "250 2.1.0 ok".to_owned()
                }
                None => "501 5.5.4 MAIL FROM:<address>".to_owned(),
            },
            "RCPT" if envelope.from.is_none() => "503 5.5.1 MAIL first".to_owned(),
            "RCPT" => match address(command, "TO:") {
                Some(to) if !to.is_empty() => {
                    envelope.to.push(to);
                    "250 2.1.5 ok".to_owned()
                }
                _ => "501 5.5.4 RCPT TO:<address>".to_owned(),
            },
            "DATA" if envelope.to.is_empty() => "503 5.5.1 RCPT first".to_owned(),
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut lines).await? else {
                    write.write_all(b"552 5.3.4 message too big\r\n").await?;
                    envelope.from = None;
                    envelope.to.clear();
                    continue;
                };
                let caught = Caught {
                    from: envelope.from.take().unwrap_or_default(),
                    to: std::mem::take(&mut envelope.to),
                    data,
                };
                let reply = keep(state, caught).await;
                arrived.notify_waiters();
                reply
            }
            "RSET" => {
                envelope.from = None;
                envelope.to.clear();
                "250 2.0.0 ok".to_owned()
            }
            "NOOP" => "250 2.0.0 ok".to_owned(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented".to_owned(),
        };
        write.write_all(reply.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
    }
}

/// The address of `MAIL FROM:<a>` / `RCPT TO:<a>` (parameters after it
/// ignored); `None` when the keyword is missing.
fn address(command: &str, keyword: &str) -> Option<String> {
    let (_, rest) = command.split_once(' ')?;
    let rest = rest.trim_start();
    if rest.len() < keyword.len() || !rest[..keyword.len()].eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    let inner = rest
        .strip_prefix('<')
        .and_then(|rest| rest.split_once('>'))
        .map(|(inner, _)| inner)
        .unwrap_or_else(|| rest.split_whitespace().next().unwrap_or(""));
    Some(inner.to_owned())
}

/// The message up to the line holding a single dot, dot-unstuffed; `None`
/// when it grows past [`MAX_MESSAGE_BYTES`] (the rest is read and dropped).
async fn read_data(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut too_big = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_big).then_some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + unstuffed.len() > MAX_MESSAGE_BYTES {
            too_big = true;
        }
        if !too_big {
            data.extend_from_slice(unstuffed);
        }
    }
}

/// Keeps or refuses one message, and answers DATA's end.
async fn keep(state: &Mutex<State>, caught: Caught) -> String {
    let write_to = {
        let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
        if state.refuse_left > 0 {
            state.refuse_left -= 1;
            state.refused += 1;
            return state.refusal.clone();
        }
        state.caught.push(caught.clone());
        state
            .dir
            .clone()
            .map(|dir| dir.join(format!("{:05}.eml", state.caught.len())))
    };
    if let Some(path) = write_to {
        if let Err(err) = tokio::fs::write(&path, &caught.data).await {
            eprintln!("mailcatcher: cannot write {}: {err}", path.display());
        } else {
            eprintln!(
                "mailcatcher: {} → {} ({})",
                caught.from,
                caught.to.join(", "),
                path.display()
            );
        }
    }
    format!("250 2.0.0 ok: queued as {}", caught_id(&caught))
}

/// A message id for the reply: its size and a short hash.
fn caught_id(caught: &Caught) -> String {
    let hash = caught
        .data
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn talk(addr: SocketAddr, script: &[&str]) -> String {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        for line in script {
            stream.write_all(line.as_bytes()).await.expect("write");
        }
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[test]
    fn addresses_are_read_with_or_without_brackets() {
        assert_eq!(
            address("MAIL FROM:<a@b.cn> SIZE=10", "FROM:"),
            Some("a@b.cn".into())
        );
        assert_eq!(address("rcpt to: c@d.cn", "TO:"), Some("c@d.cn".into()));
        assert_eq!(address("MAIL TO:<a@b.cn>", "FROM:"), None);
    }

    #[tokio::test]
    async fn a_message_is_caught_dot_unstuffed() {
        let catcher = MailCatcher::start(([127, 0, 0, 1], 0).into(), Options::default())
            .await
            .expect("start");
        let answer = talk(
            catcher.addr(),
            &[
                "EHLO test\r\n",
                "MAIL FROM:<a@b.cn>\r\n",
                "RCPT TO:<c@d.cn>\r\n",
                "DATA\r\n",
                "Subject: hi\r\n\r\n..leading dot\r\nbody\r\n.\r\n",
                "QUIT\r\n",
            ],
        )
        .await;
        assert!(answer.contains("250 2.0.0 ok: queued"), "{answer}");
        let caught = catcher.caught();
        assert_eq!(caught.len(), 1);
        assert_eq!(caught[0].to, vec!["c@d.cn".to_owned()]);
        assert_eq!(
            caught[0].data,
            b"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n".to_vec()
        );
    }

    #[tokio::test]
    async fn refusals_come_first_then_messages_are_kept() {
        let catcher = MailCatcher::start(
            ([127, 0, 0, 1], 0).into(),
            Options {
                refuse_first: 1,
                refusal: "554 5.7.1 not today".into(),
                ..Options::default()
            },
        )
        .await
        .expect("start");
        let message = [
            "HELO test\r\n",
            "MAIL FROM:<a@b.cn>\r\n",
            "RCPT TO:<c@d.cn>\r\n",
            "DATA\r\n",
            "x\r\n.\r\n",
            "RSET\r\n",
            "NOOP\r\n",
            "QUIT\r\n",
        ];
        let first = talk(catcher.addr(), &message).await;
        assert!(first.contains("554 5.7.1 not today"), "{first}");
        let second = talk(catcher.addr(), &message).await;
        assert!(second.contains("250 2.0.0 ok: queued"), "{second}");
        assert_eq!((catcher.refused(), catcher.caught().len()), (1, 1));
    }

    #[tokio::test]
    async fn commands_out_of_order_are_refused() {
        let catcher = MailCatcher::start(([127, 0, 0, 1], 0).into(), Options::default())
            .await
            .expect("start");
        let answer = talk(
            catcher.addr(),
            &[
                "MAIL FROM:<a@b.cn>\r\n",
                "EHLO x\r\n",
                "DATA\r\n",
                "QUIT\r\n",
            ],
        )
        .await;
        assert!(answer.contains("503 5.5.1 say EHLO first"), "{answer}");
        assert!(answer.contains("503 5.5.1 RCPT first"), "{answer}");
        assert!(catcher.caught().is_empty());
    }
}
