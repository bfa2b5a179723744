//! 提醒 — what the campaign tells the notification service, through the
//! outbox (destination `notify`, a `PublishEventRequest` each): a unit's form
//! issued (CAMPAIGN_OPENED, to the unit's staff); a deadline approaching
//! (the department's `deadline_warning_days` ahead) and a deadline missed —
//! to the unit's staff, the missed one escalated to the department above it.
//!
//! The deadline reminders come from a durable sweep ([`crate::sweep`]):
//! each is recorded in `campaign_reminders` (unit, deadline, kind) in the
//! transaction that writes it to the outbox, so a restart, a second
//! replica or a round cut short sends none twice.

use relief_proto::common::v1::OrgRef;
use relief_proto::notify::v1 as notify;
use relief_runtime::error::Result;
use relief_runtime::rpc::Work;
use relief_runtime::time::{timestamp, today};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::super::{WorkflowApi, system_actor};
use crate::courier::NOTIFY;
use crate::domain::campaign::standing;
use crate::store::{CampaignRow, Store, UnitRow};

/// Which deadline a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    Collect,
    Submit,
}

impl Deadline {
    fn words(self) -> &'static str {
        match self {
            Deadline::Collect => "领取汇总表",
            Deadline::Submit => "报送汇总表",
        }
    }
}

/// An event for the unit's staff (and whoever else `escalate` names).
fn event(
    kind: notify::EventKind,
    campaign: &CampaignRow,
    unit: &UnitRow,
    unit_is_branch: bool,
    deadline: Date,
    what: &str,
    escalate: Option<i64>,
) -> notify::PublishEventRequest {
    let event_id = Uuid::new_v4().to_string();
    // The unit acts through its superior organisation, or is a branch.
    let staff = if unit_is_branch {
        notify::RecipientRole::BranchStaff
    } else {
        notify::RecipientRole::SuperiorOrg
    };
    let mut recipient_roles = vec![notify::RoleRecipients {
        role: staff as i32,
        org_id: 0,
    }];
    if let Some(committee) = escalate {
        recipient_roles.push(notify::RoleRecipients {
            role: notify::RecipientRole::Department as i32,
            org_id: committee,
        });
    }
    notify::PublishEventRequest {
        request_id: event_id.clone(),
        event_id,
        kind: kind as i32,
        org: Some(OrgRef {
            org_id: unit.unit_org_id,
            path: unit.unit_path.clone(),
            name: unit.unit_name.clone(),
        }),
        recipient_roles,
        parameters: [
            ("year".to_owned(), campaign.year.to_string()),
            ("deadline".to_owned(), deadline.to_string()),
            ("org_name".to_owned(), unit.unit_name.clone()),
            ("step".to_owned(), what.to_owned()),
        ]
        .into_iter()
        .collect(),
        link: format!("/campaign-units/{}", unit.campaign_unit_id),
        occur_time: Some(timestamp(OffsetDateTime::now_utc())),
        source: "workflow".to_owned(),
        ..Default::default()
    }
}

impl WorkflowApi {
    /// Whether the unit is a branch: its form's rows lie in its own node.
    async fn unit_is_branch(work: &mut Work, unit: &UnitRow) -> Result<bool> {
        let rows = Store::rows_of(work.tx(), unit.campaign_unit_id).await?;
        Ok(rows.iter().any(|row| row.branch_path == unit.unit_path))
    }

    /// CAMPAIGN_OPENED to the unit just issued its form.
    pub(super) async fn announce_opened(
        &self,
        work: &mut Work,
        campaign: &CampaignRow,
        unit: &UnitRow,
    ) -> Result<()> {
        let is_branch = Self::unit_is_branch(work, unit).await?;
        let request = event(
            notify::EventKind::CampaignOpened,
            campaign,
            unit,
            is_branch,
            campaign.submit_by,
            Deadline::Submit.words(),
            None,
        );
        let event_id = Uuid::parse_str(&request.event_id).unwrap_or_default();
        work.emit(event_id, "campaign.opened", &request, &[NOTIFY])
            .await
    }

    /// CAMPAIGN_SUBMISSION_RETURNED to the unit whose summary the department
    /// returned, with the reason.
    pub(super) async fn announce_returned(
        work: &mut Work,
        campaign: &CampaignRow,
        unit: &UnitRow,
        reason: &str,
    ) -> Result<()> {
        let is_branch = Self::unit_is_branch(work, unit).await?;
        let mut request = event(
            notify::EventKind::CampaignSubmissionReturned,
            campaign,
            unit,
            is_branch,
            campaign.submit_by,
            Deadline::Submit.words(),
            None,
        );
        request
            .parameters
            .insert("reason".to_owned(), reason.to_owned());
        let event_id = Uuid::parse_str(&request.event_id).unwrap_or_default();
        work.emit(event_id, "campaign.returned", &request, &[NOTIFY])
            .await
    }

    /// One round of the reminders: every unit of an open campaign not yet
    /// submitted, against each deadline it has not met. Answers how many
    /// reminders were written.
    pub async fn send_campaign_reminders(&self) -> Result<usize> {
        let mut conn = self.store.pool().acquire().await?;
        let lead = i64::from(
            Store::flow_settings(&mut conn)
                .await?
                .deadline_warning_days
                .max(0),
        );
        let units = self.store.units_awaited().await?;
        let today = today();
        let mut sent = 0;
        for unit in &units {
            let campaign = Store::campaign_in(&mut conn, unit.campaign_id).await?;
            let pending = [
                (
                    Deadline::Collect,
                    campaign.collect_by,
                    unit.collected_at.is_none(),
                ),
                (
                    Deadline::Submit,
                    campaign.submit_by,
                    unit.submitted_at.is_none(),
                ),
            ];
            for (which, deadline, open) in pending {
                if !open {
                    continue;
                }
                let at = standing(deadline, None, today);
                let kind = if at.late() {
                    Some("missed")
                } else if i64::from(at.days_left) <= lead {
                    Some("approaching")
                } else {
                    None
                };
                let Some(kind) = kind else { continue };
                match self.remind(&campaign, unit, which, deadline, kind).await {
                    Ok(true) => sent += 1,
                    Ok(false) => {}
                    Err(err) => tracing::warn!(
                        campaign_unit_id = %unit.campaign_unit_id,
                        error = %err,
                        "a campaign reminder was not written; tried again next round"
                    ),
                }
            }
        }
        Ok(sent)
    }

    /// Writes one reminder unless it was written before; answers whether
    /// it was written now.
    async fn remind(
        &self,
        campaign: &CampaignRow,
        unit: &UnitRow,
        which: Deadline,
        deadline: Date,
        kind: &str,
    ) -> Result<bool> {
        let key = format!(
            "campaign-reminder-{}-{deadline}-{kind}",
            unit.campaign_unit_id
        );
        let mut work = Work::unattended(self.rpc.pool(), key, system_actor("核查提醒")).await?;
        if !Store::remember_reminder(work.tx(), unit.campaign_unit_id, deadline, kind).await? {
            return Ok(false);
        }
        let is_branch = Self::unit_is_branch(&mut work, unit).await?;
        let (event_kind, escalate) = if kind == "missed" {
            (
                notify::EventKind::CampaignDeadlineMissed,
                Some(self.rpc.committee().org_id),
            )
        } else {
            (notify::EventKind::CampaignDeadlineApproaching, None)
        };
        let request = event(
            event_kind,
            campaign,
            unit,
            is_branch,
            deadline,
            which.words(),
            escalate,
        );
        let event_id = Uuid::parse_str(&request.event_id).unwrap_or_default();
        work.emit(
            event_id,
            &format!("campaign.deadline_{kind}"),
            &request,
            &[NOTIFY],
        )
        .await?;
        work.commit().await?;
        Ok(true)
    }
}
