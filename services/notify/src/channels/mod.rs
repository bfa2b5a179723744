//! 渠道 — the outside channels a message leaves by: e-mail over SMTP
//! ([`email`]) and SMS through the provider's HTTP JSON API ([`sms`]). Each
//! answers an attempt as accepted, refused for now, or refused for good.

pub mod email;
pub mod sms;

use relief_proto::notify::v1::Channel;

use crate::domain::delivery::Answer;
use crate::store::DueDelivery;

/// Both outside channels, as configured.
pub struct Channels {
    pub email: email::Mailer,
    pub sms: sms::SmsProvider,
}

impl Channels {
    /// One attempt to send `message` on its channel.
    pub async fn send(&self, message: &DueDelivery) -> Answer {
        match Channel::try_from(message.channel) {
            Ok(Channel::Email) => self.email.send(message).await,
            Ok(Channel::Sms) => self.sms.send(message).await,
            _ => Answer::Permanent(format!(
                "channel {} is not sent from outside",
                message.channel
            )),
        }
    }
}
