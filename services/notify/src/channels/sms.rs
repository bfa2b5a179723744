//! 短信 — SMS through the provider's HTTP JSON API: one POST per message
//! with the provider-approved template code, its parameters and the
//! rendered text, authorised by the configured key.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::delivery::Answer;
use crate::store::DueDelivery;

/// `notify.sms.*`.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    /// e.g. `https://sms.example.cn/v1/messages`; empty: none configured.
    pub endpoint: String,
    #[serde(default = "no_key")]
    pub api_key: SecretString,
    /// 短信签名, e.g. 市直机关工委.
    pub sign_name: String,
    pub timeout_ms: u64,
}

fn no_key() -> SecretString {
    SecretString::from(String::new())
}

impl Default for SmsSettings {
    fn default() -> Self {
        SmsSettings {
            endpoint: String::new(),
            api_key: no_key(),
            sign_name: "市直机关工委".into(),
            timeout_ms: 10_000,
        }
    }
}

pub struct SmsProvider {
    client: reqwest::Client,
    settings: SmsSettings,
}

impl SmsProvider {
    pub fn new(settings: &SmsSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms))
            .build()?;
        Ok(SmsProvider {
            client,
            settings: settings.clone(),
        })
    }

    /// One attempt: 2xx accepted (the provider's `message_id`, if it gives
    /// one), 429/5xx and network trouble for now, other 4xx for good.
    pub async fn send(&self, message: &DueDelivery) -> Answer {
        if self.settings.endpoint.is_empty() {
            return Answer::Transient("no SMS provider configured (notify.sms.endpoint)".into());
        }
        let request = serde_json::json!({
            "phone": message.destination,
            "sign_name": self.settings.sign_name,
            "template_code": message.sms_template_code,
            "template_param": message.parameters,
            "content": message.body,
            "out_id": message.delivery_id.to_string(),
        });
        let response = self
            .client
            .post(&self.settings.endpoint)
            .bearer_auth(self.settings.api_key.expose_secret())
            .json(&request)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(err) => return Answer::Transient(format!("SMS provider unreachable: {err}")),
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let text: String = text.chars().take(300).collect();
        if status.is_success() {
            let id = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|body| {
                    body.get("message_id")
                        .and_then(|id| id.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            Answer::Accepted(id)
        } else if status.as_u16() == 429 || status.is_server_error() {
            Answer::Transient(format!("SMS provider HTTP {status}: {text}"))
        } else {
            Answer::Permanent(format!("SMS provider HTTP {status}: {text}"))
        }
    }
}
