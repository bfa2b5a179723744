//! The department's campaign: opening it with its deadlines, changing and
//! closing it, and issuing each unit its 《困难党员备案统计汇总表》 — the
//! unit's active register rows as the ledger has them at that moment.

use std::collections::BTreeMap;

use relief_proto::ledger::v1 as ledger;
use relief_proto::workflow::v1::{self as pb, CampaignState, CampaignUnitState};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::rpc::{Done, Work};
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::super::WorkflowApi;
use super::queries::{ById, CampaignQuery};
use super::{access, convert};
use crate::domain::campaign::CAMPAIGN_CLOSED;
use crate::domain::campaign_requests::{CampaignChange, Issue, NewCampaign, Versioned};
use crate::store::{CampaignRow, CampaignRowRow, Store, UnitRow};

/// The id of the unit a path lies in: the node right under the committee.
fn unit_of(path: &str, committee_path: &str) -> Option<i64> {
    path.strip_prefix(committee_path)?
        .split('/')
        .find(|part| !part.is_empty())?
        .parse()
        .ok()
}

impl WorkflowApi {
    /// A campaign still open, locked, at the caller's version.
    async fn open_campaign_locked(work: &mut Work, campaign_id: Uuid) -> Result<CampaignRow> {
        let row = Store::lock_campaign(work.tx(), campaign_id).await?;
        if row.state != CampaignState::Open as i32 {
            return Err(Error::refused(CAMPAIGN_CLOSED, "the campaign is closed"));
        }
        Ok(row)
    }

    pub(super) async fn campaign_open(
        &self,
        caller: Caller,
        command: NewCampaign,
        mut work: Work,
    ) -> Result<Done<pb::Campaign>> {
        access::manage(&caller, &self.rpc.committee().path)?;
        let row = CampaignRow {
            campaign_id: Uuid::new_v4(),
            seq: 0,
            year: command.year,
            title: command.title,
            collect_by: command.collect_by,
            submit_by: command.submit_by,
            state: CampaignState::Open as i32,
            opened_by_id: caller.user_id.clone(),
            opened_by_name: caller.display_name.clone(),
            opened_at: OffsetDateTime::now_utc(),
            closed_at: None,
            version: 1,
        };
        Store::insert_campaign(work.tx(), &row).await?;
        work.audit(
            "campaign.opened",
            &format!("campaigns/{}", row.campaign_id),
            &json!({
                "year": row.year,
                "title": row.title,
                "collect_by": row.collect_by.to_string(),
                "submit_by": row.submit_by.to_string(),
            }),
        )
        .await?;
        Ok(work.done(convert::campaign(&row)))
    }

    pub(super) async fn campaign_get(&self, caller: Caller, query: ById) -> Result<pb::Campaign> {
        caller.scopes(Permission::RecordRead)?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(convert::campaign(
            &Store::campaign_in(&mut conn, query.0).await?,
        ))
    }

    pub(super) async fn campaign_list(
        &self,
        caller: Caller,
        query: CampaignQuery,
    ) -> Result<pb::ListCampaignsResponse> {
        caller.scopes(Permission::RecordRead)?;
        let mut rows: Vec<CampaignRow> = self
            .store
            .campaigns(query.year, query.state)
            .await?
            .into_iter()
            .skip_while(|row| query.page.after.is_some_and(|after| row.seq != after))
            .skip(usize::from(query.page.after.is_some()))
            .collect();
        rows.truncate(usize::try_from(query.page.fetch()).unwrap_or(usize::MAX));
        let next_page_token = query.page.next(&mut rows, |row| row.seq);
        Ok(pb::ListCampaignsResponse {
            campaigns: rows.iter().map(convert::campaign).collect(),
            next_page_token,
        })
    }

    pub(super) async fn campaign_update(
        &self,
        caller: Caller,
        command: CampaignChange,
        mut work: Work,
    ) -> Result<Done<pb::Campaign>> {
        access::manage(&caller, &self.rpc.committee().path)?;
        let mut row = Self::open_campaign_locked(&mut work, command.campaign_id).await?;
        let before = convert::campaign(&row);
        if let Some(title) = command.title {
            row.title = title;
        }
        row.collect_by = command.collect_by.unwrap_or(row.collect_by);
        row.submit_by = command.submit_by.unwrap_or(row.submit_by);
        if row.submit_by < row.collect_by {
            return Err(Error::invalid(
                "campaign.submit_by_date",
                "is before collect_by_date",
            ));
        }
        row.version = Store::save_campaign(work.tx(), &row, command.version).await?;
        work.audit(
            "campaign.updated",
            &format!("campaigns/{}", row.campaign_id),
            &json!({
                "reason": command.reason,
                "before": { "title": before.title, "collect_by": before.collect_by_date.map(|d| (d.year, d.month, d.day)), "submit_by": before.submit_by_date.map(|d| (d.year, d.month, d.day)) },
                "after": { "title": row.title, "collect_by": row.collect_by.to_string(), "submit_by": row.submit_by.to_string() },
            }),
        )
        .await?;
        Ok(work.done(convert::campaign(&row)))
    }

    pub(super) async fn campaign_close(
        &self,
        caller: Caller,
        command: Versioned,
        mut work: Work,
    ) -> Result<Done<pb::Campaign>> {
        access::manage(&caller, &self.rpc.committee().path)?;
        let mut row = Self::open_campaign_locked(&mut work, command.id).await?;
        row.state = CampaignState::Closed as i32;
        row.closed_at = Some(OffsetDateTime::now_utc());
        row.version = Store::save_campaign(work.tx(), &row, command.version).await?;
        work.audit(
            "campaign.closed",
            &format!("campaigns/{}", row.campaign_id),
            &json!({ "comment": command.comment }),
        )
        .await?;
        Ok(work.done(convert::campaign(&row)))
    }

    /// 下发 — one unit per superior organisation or branch directly under
    /// the committee, with one row per active register record below it.
    pub(super) async fn forms_issue(
        &self,
        caller: Caller,
        command: Issue,
        mut work: Work,
    ) -> Result<Done<pb::IssueSummaryFormsResponse>> {
        let committee = self.rpc.committee().path.clone();
        access::manage(&caller, &committee)?;
        let campaign = Self::open_campaign_locked(&mut work, command.campaign_id).await?;
        let mut by_unit: BTreeMap<i64, Vec<ledger::HardshipRecord>> = BTreeMap::new();
        for org_id in &command.unit_org_ids {
            by_unit.insert(*org_id, Vec::new());
        }
        for record in self.register.active_records(0).await? {
            let path = record
                .branch
                .as_ref()
                .map(|b| b.path.clone())
                .unwrap_or_default();
            let Some(unit) = unit_of(&path, &committee) else {
                continue;
            };
            if command.unit_org_ids.is_empty() || by_unit.contains_key(&unit) {
                by_unit.entry(unit).or_default().push(record);
            }
        }
        let now = OffsetDateTime::now_utc();
        let mut units = Vec::new();
        for (i, (org_id, mut records)) in by_unit.into_iter().enumerate() {
            let org = self.register.org(org_id).await?;
            if org.path != format!("{committee}{org_id}/") {
                return Err(Error::invalid(
                    format!("unit_org_ids[{i}]"),
                    format!(
                        "{} is not directly under the committee: a unit is a superior organisation or a branch under the committee",
                        org.name
                    ),
                ));
            }
            let (unit, created) = Store::insert_unit(
                work.tx(),
                &UnitRow {
                    campaign_unit_id: Uuid::new_v4(),
                    seq: 0,
                    campaign_id: campaign.campaign_id,
                    unit_org_id: org.org_id,
                    unit_name: org.name.clone(),
                    unit_path: org.path.clone(),
                    state: CampaignUnitState::Issued as i32,
                    issued_at: now,
                    collected_at: None,
                    collected_by_name: String::new(),
                    submission: None,
                    submitted_by_id: String::new(),
                    submitted_at: None,
                    new_members: Json(Vec::new()),
                    returns: Json(Vec::new()),
                    accepted: None,
                    accepted_at: None,
                    version: 1,
                },
            )
            .await?;
            if created {
                records.sort_by(|a, b| {
                    let path =
                        |r: &ledger::HardshipRecord| r.branch.as_ref().map(|b| b.path.clone());
                    path(a)
                        .cmp(&path(b))
                        .then_with(|| a.member_name.cmp(&b.member_name))
                });
                for record in &records {
                    self.issue_row(&mut work, &unit, record).await?;
                }
                if records.is_empty() {
                    let mut empty = unit.clone();
                    empty.state = CampaignUnitState::NoticeCompleted as i32;
                    Store::save_unit(work.tx(), &empty, unit.version).await?;
                }
                work.audit(
                    "campaign.form_issued",
                    &format!("campaign-units/{}", unit.campaign_unit_id),
                    &json!({ "campaign_id": campaign.campaign_id, "unit": unit.unit_path, "rows": records.len() }),
                )
                .await?;
                self.announce_opened(&mut work, &campaign, &unit).await?;
            }
            let unit = Store::unit_in(work.tx(), unit.campaign_unit_id).await?;
            units.push(self.unit_answer(work.tx(), &campaign, &unit).await?);
        }
        Ok(work.done(pb::IssueSummaryFormsResponse { units }))
    }

    async fn issue_row(
        &self,
        work: &mut Work,
        unit: &UnitRow,
        record: &ledger::HardshipRecord,
    ) -> Result<()> {
        let branch = record.branch.clone().unwrap_or_default();
        let uuid = |value: &str| {
            Uuid::parse_str(value)
                .map_err(|err| Error::internal("reading the ledger's record ids", err))
        };
        Store::insert_campaign_row(
            work.tx(),
            &CampaignRowRow {
                row_id: Uuid::new_v4(),
                seq: 0,
                campaign_unit_id: unit.campaign_unit_id,
                campaign_id: unit.campaign_id,
                member_id: uuid(&record.member_id)?,
                record_id: uuid(&record.record_id)?,
                member_name: record.member_name.clone(),
                branch_id: branch.org_id,
                branch_name: branch.name,
                branch_path: branch.path,
                hardship_category: record.category,
                register_summary: record.cause.clone(),
                outcome: 0,
                findings: String::new(),
                exclusion_checks: Json(Vec::new()),
                adjust_category: 0,
                adjust_household_size: 0,
                adjust_income_sealed: None,
                removal_reason: String::new(),
                verified_by_id: String::new(),
                verified_by_name: String::new(),
                verified_at: None,
                resolved_by_meeting: false,
                applied_at: None,
                version: 1,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_path_lies_in_the_unit_right_under_the_committee() {
        assert_eq!(super::unit_of("/1/4/12/", "/1/"), Some(4));
        assert_eq!(super::unit_of("/1/7/", "/1/"), Some(7));
        assert_eq!(super::unit_of("/1/4/20/21/", "/1/"), Some(4));
        assert_eq!(super::unit_of("/2/4/", "/1/"), None);
        assert_eq!(super::unit_of("/1/", "/1/"), None);
    }
}
