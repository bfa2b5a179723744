//! 电子邮件 — e-mail over SMTP with lettre: a UTF-8 Chinese subject
//! (RFC 2047) and a plain-text body in base64, one connection per message
//! (no pool: a message is accepted or not before the next is tried).

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::delivery::Answer;
use crate::store::DueDelivery;

/// `notify.smtp.*`.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` (required) or `tls` (implicit, e.g. port 465).
    pub tls: String,
    #[serde(default)]
    pub username: String,
    #[serde(default = "no_password")]
    pub password: SecretString,
    /// The sender, e.g. `市直机关工委通知 <notify@example.cn>`.
    pub from: String,
    pub timeout_ms: u64,
}

fn no_password() -> SecretString {
    SecretString::from(String::new())
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: 2525,
            tls: "none".into(),
            username: String::new(),
            password: no_password(),
            from: "市直机关工委通知 <notify@relief.invalid>".into(),
            timeout_ms: 10_000,
        }
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let tls = match settings.tls.as_str() {
            "none" => Tls::None,
            "starttls" => Tls::Required(TlsParameters::new(settings.host.clone())?),
            "tls" => Tls::Wrapper(TlsParameters::new(settings.host.clone())?),
            other => anyhow::bail!("notify.smtp.tls must be none, starttls or tls, not {other:?}"),
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(Duration::from_millis(settings.timeout_ms)));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_owned(),
            ));
        }
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|err| anyhow::anyhow!("notify.smtp.from is not a mailbox: {err}"))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// One attempt: accepted with the server's reply as the message id, or
    /// refused (4xx and connection trouble for now, 5xx for good).
    pub async fn send(&self, message: &DueDelivery) -> Answer {
        let to: Mailbox = match message.destination.parse() {
            Ok(to) => to,
            Err(err) => return Answer::Permanent(format!("not an e-mail address: {err}")),
        };
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .header(ContentTransferEncoding::Base64)
                    .body(message.body.clone()),
            );
        let email = match email {
            Ok(email) => email,
            Err(err) => return Answer::Permanent(format!("the message cannot be built: {err}")),
        };
        match self.transport.send(email).await {
            Ok(response) => Answer::Accepted(
                response
                    .first_line()
                    .map(|line| line.chars().take(200).collect())
                    .unwrap_or_default(),
            ),
            Err(err) if err.is_permanent() => Answer::Permanent(describe(&err)),
            Err(err) => Answer::Transient(describe(&err)),
        }
    }
}

fn describe(err: &lettre::transport::smtp::Error) -> String {
    let text = match err.status() {
        Some(code) => format!("SMTP {code}: {err}"),
        None => format!("SMTP: {err}"),
    };
    text.chars().take(500).collect()
}
