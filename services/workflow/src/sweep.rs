//! The workflow's timers: one periodic task beside the server that, every
//! round, does what has come due by the clock —
//!
//! - 公示计时: passes every public notice whose time is up and that no open
//!   objection holds;
//! - 核查提醒: writes the campaign's deadline reminders that are due;
//! - 办理时限: writes the reminders of cases whose time in a state is
//!   running out or has run out;
//! - 春节提醒: announces the Spring Festival window once it opens.
//!
//! Every timer is a row (a notice's `ends_at`, a deadline, a reminder
//! already sent), so a restart, or a round cut short, loses nothing: the
//! next round finds what is due. Replicas may sweep together — each act
//! claims its row under a lock or records itself once, so none happens
//! twice. The pace is `workflow.notice_sweep_interval_ms`.

use std::time::Duration;

use crate::api::WorkflowApi;

/// The shortest pause between rounds, whatever the setting says.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

pub struct Sweep {
    api: WorkflowApi,
    every: Duration,
}

impl Sweep {
    /// Sweeps every `interval_ms` (`workflow.notice_sweep_interval_ms`).
    pub fn new(api: WorkflowApi, interval_ms: u64) -> Self {
        Sweep {
            api,
            every: Duration::from_millis(interval_ms).max(MIN_INTERVAL),
        }
    }

    /// Sweeps at once and then every interval, until the task is aborted (a
    /// round cut short rolls back what it had not committed). A timer that
    /// fails is logged and tried again next round; it holds up no other.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.api.pass_due_notices().await {
                tracing::warn!(error = %err, "public notice sweep failed");
            }
            if let Err(err) = self.api.send_campaign_reminders().await {
                tracing::warn!(error = %err, "campaign reminder sweep failed");
            }
            if let Err(err) = self.api.send_state_reminders().await {
                tracing::warn!(error = %err, "state deadline reminder sweep failed");
            }
            if let Err(err) = self.api.announce_festival_window().await {
                tracing::warn!(error = %err, "Spring Festival reminder failed");
            }
        }
    }
}
