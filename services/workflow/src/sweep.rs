//! 公示计时 — the durable timer of the public notices: a periodic task beside
//! the server that passes every notice whose time is up and that no open
//! objection holds. The timer is the notice row itself (its `ends_at`), so a
//! restart, or a round cut short, loses nothing: the next round finds what
//! is due. Replicas may sweep together — each notice is claimed with
//! `SKIP LOCKED` under its application's lock, so none passes twice.

use std::time::Duration;

use crate::api::WorkflowApi;

/// The shortest pause between rounds, whatever the setting says.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

pub struct NoticeSweep {
    api: WorkflowApi,
    every: Duration,
}

impl NoticeSweep {
    /// Sweeps every `interval_ms` (`workflow.notice_sweep_interval_ms`).
    pub fn new(api: WorkflowApi, interval_ms: u64) -> Self {
        NoticeSweep {
            api,
            every: Duration::from_millis(interval_ms).max(MIN_INTERVAL),
        }
    }

    /// Sweeps at once and then every interval, until the task is aborted (a
    /// round cut short rolls back what it had not committed).
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.api.pass_due_notices().await {
                tracing::warn!(error = %err, "public notice sweep failed");
            }
        }
    }
}

/// 核查提醒 — the durable timer of the campaign's deadline reminders: each
/// round writes the reminders that are due and not yet sent (the sent ones
/// are rows, so a restart or a second replica sends none twice). It runs at
/// the notice sweep's pace (`workflow.notice_sweep_interval_ms`); the lead
/// time is the department's `deadline_warning_days`.
pub struct CampaignSweep {
    api: WorkflowApi,
    every: Duration,
}

impl CampaignSweep {
    pub fn new(api: WorkflowApi, interval_ms: u64) -> Self {
        CampaignSweep {
            api,
            every: Duration::from_millis(interval_ms).max(MIN_INTERVAL),
        }
    }

    /// Sweeps at once and then every interval, until the task is aborted.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = self.api.send_campaign_reminders().await {
                tracing::warn!(error = %err, "campaign reminder sweep failed");
            }
        }
    }
}
