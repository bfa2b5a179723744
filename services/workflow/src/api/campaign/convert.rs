//! The campaign's stored rows as the API shows them. A unit's days left and
//! late are evaluated at the service's clock (today, Beijing time). The
//! adjusted income is never shown: it is sealed at rest and goes only to
//! the register.

use relief_proto::common::v1::{self as common, Actor, ChangeStamp, OrgRef};
use relief_proto::workflow::v1 as pb;
use relief_runtime::ids::etag_of;
use relief_runtime::time::{timestamp, to_proto};
use time::{Date, OffsetDateTime};

use crate::domain::campaign::{DeadlineStanding, RowFact, UnitFacts, beijing_day, standing};
use crate::domain::review::Check;
use crate::store::{
    CampaignNoticeRow, CampaignRow, CampaignRowRow, MeetingRow, RowCounts, Stamp, UnitRow,
};

fn actor(user_id: &str, display_name: &str) -> Option<Actor> {
    relief_runtime::ids::actor(user_id, display_name)
}

fn stamp(user_id: &str, display_name: &str, at: OffsetDateTime, reason: &str) -> ChangeStamp {
    ChangeStamp {
        actor: actor(user_id, display_name),
        change_time: Some(timestamp(at)),
        reason: reason.to_owned(),
    }
}

fn stored_stamp(s: &Stamp) -> ChangeStamp {
    ChangeStamp {
        actor: actor(&s.user_id, &s.display_name),
        change_time: s.at.map(timestamp),
        reason: s.comment.clone(),
    }
}

fn org(org_id: i64, path: &str, name: &str) -> OrgRef {
    OrgRef {
        org_id,
        path: path.to_owned(),
        name: name.to_owned(),
    }
}

pub fn campaign(row: &CampaignRow) -> pb::Campaign {
    pb::Campaign {
        campaign_id: row.campaign_id.to_string(),
        year: row.year,
        title: row.title.clone(),
        collect_by_date: Some(to_proto(row.collect_by)),
        submit_by_date: Some(to_proto(row.submit_by)),
        state: row.state,
        opened: Some(stamp(
            &row.opened_by_id,
            &row.opened_by_name,
            row.opened_at,
            "",
        )),
        close_time: row.closed_at.map(timestamp),
        etag: etag_of(row.version),
    }
}

/// What a unit has recorded, for its state and whether it may submit.
pub fn facts(
    rows: &[CampaignRowRow],
    meetings: &[MeetingRow],
    notices: &[CampaignNoticeRow],
) -> UnitFacts {
    UnitFacts {
        rows: rows
            .iter()
            .map(|row| RowFact {
                branch_id: row.branch_id,
                outcome: common::VerificationOutcome::try_from(row.outcome).unwrap_or_default(),
                resolved: row.resolved_by_meeting,
            })
            .collect(),
        meetings: meetings.iter().map(|m| m.branch_id).collect(),
        notices: notices.iter().map(|n| n.branch_id).collect(),
    }
}

/// Where a unit stands against the campaign's two deadlines, `today`.
pub fn standings(
    campaign: &CampaignRow,
    unit: &UnitRow,
    today: Date,
) -> (DeadlineStanding, DeadlineStanding) {
    (
        // A unit that submitted had its form, collection recorded or not.
        standing(
            campaign.collect_by,
            unit.collected_at.or(unit.submitted_at).map(beijing_day),
            today,
        ),
        standing(
            campaign.submit_by,
            unit.submitted_at.map(beijing_day),
            today,
        ),
    )
}

/// Everything one unit's answer is made of.
pub struct UnitView<'a> {
    pub campaign: &'a CampaignRow,
    pub unit: &'a UnitRow,
    pub counts: RowCounts,
    pub meetings: &'a [MeetingRow],
    pub notices: &'a [CampaignNoticeRow],
    pub today: Date,
}

fn count(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

pub fn unit(view: &UnitView<'_>) -> pb::CampaignUnit {
    let u = view.unit;
    let (collect, submit) = standings(view.campaign, u, view.today);
    pb::CampaignUnit {
        campaign_unit_id: u.campaign_unit_id.to_string(),
        campaign_id: u.campaign_id.to_string(),
        unit: Some(org(u.unit_org_id, &u.unit_path, &u.unit_name)),
        state: u.state,
        issue_time: Some(timestamp(u.issued_at)),
        collect_time: u.collected_at.map(timestamp),
        row_count: count(view.counts.rows),
        verified_count: count(view.counts.verified),
        continue_count: count(view.counts.continued),
        adjust_count: count(view.counts.adjusted),
        remove_count: count(view.counts.removed),
        branch_meetings: view
            .meetings
            .iter()
            .map(|m| pb::BranchMeeting {
                branch: Some(org(m.branch_id, &m.branch_path, &m.branch_name)),
                meeting_date: Some(to_proto(m.meeting_date)),
                attendance: m.attendance,
                resolution: m.resolution.clone(),
                recorded: Some(stamp(
                    &m.recorded_by_id,
                    &m.recorded_by_name,
                    m.recorded_at,
                    "",
                )),
            })
            .collect(),
        notice_results: view
            .notices
            .iter()
            .map(|n| pb::CampaignNoticeResult {
                branch: Some(org(n.branch_id, &n.branch_path, &n.branch_name)),
                start_date: Some(to_proto(n.start_date)),
                end_date: Some(to_proto(n.end_date)),
                outcome: n.outcome,
                note: n.note.clone(),
                recorded: Some(stamp(
                    &n.recorded_by_id,
                    &n.recorded_by_name,
                    n.recorded_at,
                    "",
                )),
            })
            .collect(),
        submission: u.submission.as_ref().map(|s| pb::UnitSubmission {
            signer_name: s.signer_name.clone(),
            signer_title: s.signer_title.clone(),
            signed_date: s.signed_date.map(to_proto),
            sealed: s.sealed,
            scan_sha256: s.scan_sha256.clone(),
            submitted_by: actor(&s.submitted_by.user_id, &s.submitted_by.display_name),
            submit_time: s.submitted_by.at.map(timestamp),
        }),
        collect_late: collect.late(),
        submit_late: submit.late(),
        etag: etag_of(u.version),
        collected_by_name: u.collected_by_name.clone(),
        collect_days_left: collect.days_left,
        collect_days_late: collect.days_late,
        submit_days_left: submit.days_left,
        submit_days_late: submit.days_late,
        new_members: u
            .new_members
            .iter()
            .map(|m| pb::NewMemberEntry {
                application_id: m.application_id.to_string(),
                member_name: m.member_name.clone(),
                branch: Some(org(m.branch_id, &m.branch_path, &m.branch_name)),
                record_id: m.record_id.clone(),
                paper_received: m.paper_received,
            })
            .collect(),
        returns: u
            .returns
            .iter()
            .map(|r| pb::UnitReturn {
                reason: r.reason.clone(),
                row_ids: r.row_ids.iter().map(ToString::to_string).collect(),
                returned: Some(stored_stamp(&r.returned)),
            })
            .collect(),
        accepted: u.accepted.as_ref().map(|s| stored_stamp(s)),
    }
}

fn checks(checks: &[Check]) -> Vec<pb::ExclusionCheck> {
    checks
        .iter()
        .map(|c| pb::ExclusionCheck {
            ground: c.ground,
            checked: c.checked,
            applies: c.applies,
            note: c.note.clone(),
        })
        .collect()
}

pub fn row(r: &CampaignRowRow) -> pb::VerificationRow {
    pb::VerificationRow {
        row_id: r.row_id.to_string(),
        campaign_id: r.campaign_id.to_string(),
        campaign_unit_id: r.campaign_unit_id.to_string(),
        member_id: r.member_id.to_string(),
        record_id: r.record_id.to_string(),
        member_name: r.member_name.clone(),
        branch: Some(org(r.branch_id, &r.branch_path, &r.branch_name)),
        hardship_category: r.hardship_category,
        register_summary: r.register_summary.clone(),
        outcome: r.outcome,
        findings: r.findings.clone(),
        adjust_category: r.adjust_category,
        adjust_household_size: r.adjust_household_size,
        // Sealed at rest; it goes to the register, never into an answer.
        adjust_annual_household_income: None,
        removal_reason: r.removal_reason.clone(),
        verified: r
            .verified_at
            .map(|at| stamp(&r.verified_by_id, &r.verified_by_name, at, "")),
        resolved_by_meeting: r.resolved_by_meeting,
        etag: etag_of(r.version),
        exclusion_checks: checks(&r.exclusion_checks),
    }
}
