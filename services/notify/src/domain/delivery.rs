//! 投递 — what happens to a message after an attempt: delivered, tried
//! again after a backoff with jitter, or given up with the last error; and
//! how an address is shown in the delivery log (masked).

use std::time::Duration;

use relief_proto::notify::v1::{Channel, DeliveryStatus};

/// How a channel answered one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accepted by the SMTP server or the SMS provider, with its message id.
    Accepted(String),
    /// Refused for now (4xx, a timeout, a connection refused): worth trying
    /// again.
    Transient(String),
    /// Refused for good (5xx, a bad address): never tried again.
    Permanent(String),
}

/// The retry policy (`notify.delivery.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub max_attempts: i32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

/// What the attempt numbered `attempt` (from 1) leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Delivered { provider_message_id: String },
    RetryAfter { wait: Duration, error: String },
    GiveUp { error: String },
}

impl Next {
    pub fn status(&self) -> DeliveryStatus {
        match self {
            Next::Delivered { .. } => DeliveryStatus::Succeeded,
            Next::RetryAfter { .. } => DeliveryStatus::FailedRetrying,
            Next::GiveUp { .. } => DeliveryStatus::FailedPermanently,
        }
    }
}

/// Decides after attempt number `attempt` answered `answer`.
pub fn after_attempt(policy: Policy, attempt: i32, answer: Answer) -> Next {
    match answer {
        Answer::Accepted(id) => Next::Delivered {
            provider_message_id: id,
        },
        Answer::Permanent(error) => Next::GiveUp { error },
        Answer::Transient(error) if attempt >= policy.max_attempts => Next::GiveUp {
            error: format!("{error} (gave up after {attempt} attempts)"),
        },
        Answer::Transient(error) => Next::RetryAfter {
            // The first retry waits the initial backoff, then it doubles.
            wait: relief_runtime::outbox::backoff(
                policy.initial_backoff_ms,
                policy.max_backoff_ms,
                attempt - 1,
            ),
            error,
        },
    }
}

/// The address as the delivery log shows it: `z***@example.cn`,
/// `138****5678`.
pub fn mask_destination(channel: Channel, destination: &str) -> String {
    match channel {
        Channel::Email => match destination.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        },
        Channel::Sms => relief_runtime::masking::mask_phone(destination),
        Channel::Inbox | Channel::Unspecified => destination.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const POLICY: Policy = Policy {
        max_attempts: 3,
        initial_backoff_ms: 1_000,
        max_backoff_ms: 60_000,
    };

    #[test]
    fn transient_failures_retry_until_the_limit_then_give_up() {
        assert!(matches!(
            after_attempt(POLICY, 1, Answer::Transient("451".into())),
            Next::RetryAfter { wait, .. } if wait <= Duration::from_secs(1) && wait >= Duration::from_millis(800)
        ));
        let last = after_attempt(POLICY, 3, Answer::Transient("451 busy".into()));
        assert_eq!(last.status(), DeliveryStatus::FailedPermanently);
        assert!(matches!(last, Next::GiveUp { error } if error.starts_with("451 busy")));
        assert_eq!(
            after_attempt(POLICY, 1, Answer::Permanent("550".into())).status(),
            DeliveryStatus::FailedPermanently
        );
        assert_eq!(
            after_attempt(POLICY, 2, Answer::Accepted("id".into())),
            Next::Delivered {
                provider_message_id: "id".into()
            }
        );
    }

    #[test]
    fn destinations_are_masked() {
        assert_eq!(
            mask_destination(Channel::Email, "zhangsan@example.cn"),
            "z***@example.cn"
        );
        assert_eq!(mask_destination(Channel::Sms, "13812345678"), "138****5678");
        assert_eq!(mask_destination(Channel::Email, "nonsense"), "***");
    }

    proptest! {
        #[test]
        fn backoff_grows_and_stays_under_the_cap(attempt in 1i32..40) {
            let policy = Policy { max_attempts: 100, ..POLICY };
            match after_attempt(policy, attempt, Answer::Transient("x".into())) {
                Next::RetryAfter { wait, .. } => prop_assert!(wait <= Duration::from_millis(60_000)),
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn a_masked_email_never_shows_more_than_its_first_letter(local in "[a-z]{2,12}") {
            let masked = mask_destination(Channel::Email, &format!("{local}@x.cn"));
            prop_assert_eq!(masked, format!("{}***@x.cn", &local[..1]));
        }
    }
}
