//! 救助申请 (measures §四.1): making, reading, listing and changing an
//! application, handing it to the branch, withdrawing it, returning it for
//! more material, and its step history.

use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::ids;
use relief_runtime::rpc::{Done, Work};
use relief_runtime::scope::{listing_roots, subtree_patterns};
use relief_runtime::time::timestamp;
use serde_json::json;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::convert::{self, household_aad};
use super::queries::{ApplicationQuery, ApplicationRead, StepQuery};
use super::{WorkflowApi, access, flow};
use crate::domain::application::{ApplicationChange, Claim, NewApplication};
use crate::domain::evidence_rules::{self, EVIDENCE_MISSING};
use crate::domain::review::{ReturnOrder, Step, Withdrawal};
use crate::domain::state::{Act, State};
use crate::register::NOT_THE_MEMBERS_BRANCH;
use crate::store::{ApplicationRow, Store};

impl WorkflowApi {
    /// The application as the API shows it, read on the write's transaction.
    pub(super) async fn answer(
        &self,
        work: &mut Work,
        row: &ApplicationRow,
    ) -> Result<pb::Application> {
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        convert::application(row, &around, &self.sealer, false)
    }

    /// Saves the changed row (its version one up) and answers with the
    /// application as it now stands: how every act on a case ends.
    pub(super) async fn saved(
        &self,
        mut work: Work,
        mut row: ApplicationRow,
    ) -> Result<Done<pb::Application>> {
        row.version = Store::save_application(work.tx(), &row).await?;
        let answer = self.answer(&mut work, &row).await?;
        Ok(work.done(answer))
    }

    /// The application `application_id` if the caller may read it;
    /// `NOT_FOUND` otherwise, whether or not it exists.
    pub(super) async fn readable(
        &self,
        caller: &Caller,
        application_id: Uuid,
    ) -> Result<ApplicationRow> {
        let row = self
            .store
            .application(application_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("application {application_id}")))?;
        access::read(caller, &row)?;
        Ok(row)
    }

    /// Locks the application for a write with the caller's etag; the act
    /// authorises the caller, then checks the etag ([`flow::check_etag`]),
    /// and saving checks it again.
    pub(super) async fn lock(
        work: &mut Work,
        application_id: Uuid,
        version: i64,
    ) -> Result<ApplicationRow> {
        let mut row = Store::lock_application(work.tx(), application_id).await?;
        row.expected_version = Some(version);
        Ok(row)
    }

    pub(super) async fn create(
        &self,
        caller: Caller,
        command: NewApplication,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let own = caller.member_id.as_deref() == Some(command.member_id.to_string().as_str());
        let permission = if own {
            Permission::ApplicationSubmitOwn
        } else {
            Permission::ApplicationSubmit
        };
        // A caller who may submit nowhere learns nothing of the member.
        caller.scopes(permission)?;
        let member = self.register.member(command.member_id).await?;
        caller.authorize(permission, &member.branch.path)?;
        if member.branch.org_id != command.branch_id {
            return Err(Error::refused(
                NOT_THE_MEMBERS_BRANCH,
                format!(
                    "{} belongs to {} (organisation {}); an application is made to the member's own branch",
                    member.name, member.branch.name, member.branch.org_id
                ),
            ));
        }
        let levels = self
            .register
            .review_levels(&member.branch.path, &self.rpc.committee().path)
            .await?;
        let now = OffsetDateTime::now_utc();
        let application_id = Uuid::new_v4();
        let claim = command.claim;
        let mut row = ApplicationRow {
            application_id,
            seq: 0,
            member_id: command.member_id,
            member_name: member.name.clone(),
            branch_id: member.branch.org_id,
            branch_name: member.branch.name.clone(),
            branch_path: member.branch.path.clone(),
            review_levels: Json(levels),
            review_level: 0,
            year: command.year,
            hardship_category: claim.hardship_category as i32,
            other_categories: claim.other_categories.iter().map(|c| *c as i32).collect(),
            affected_person: claim.affected_person as i32,
            affected_relation: claim.affected_relation.clone(),
            requested_relief_type: claim.requested_relief_type as i32,
            description: claim.description.clone(),
            household_sealed: Vec::new(),
            entered_on_behalf: !own,
            created_by_id: caller.user_id.clone(),
            created_by_name: caller.display_name.clone(),
            state: State::Draft as i32,
            state_entered_at: now,
            state_deadline: None,
            returned_from_state: 0,
            return_note: String::new(),
            requested_evidence: Vec::new(),
            urgent: false,
            branch_review: None,
            superior_review: None,
            register_record_id: String::new(),
            allocation_id: String::new(),
            disbursement_id: String::new(),
            voucher_number: String::new(),
            close_reason: String::new(),
            closed_at: None,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            version: 1,
            expected_version: None,
        };
        row.household_sealed = self.sealer.seal(&household_aad(&row), &claim.household)?;
        Store::insert_application(work.tx(), &row).await?;
        let actor = work.actor().clone();
        let state = State::Draft as i32;
        Store::append_step(
            work.tx(),
            application_id,
            "created",
            state,
            state,
            &actor,
            now,
            "",
        )
        .await?;
        work.audit(
            "application.created",
            &format!("applications/{application_id}"),
            &json!({
                "member_id": row.member_id,
                "branch": row.branch_path,
                "year": row.year,
                "hardship_category": row.hardship_category,
                "requested_relief_type": row.requested_relief_type,
                "entered_on_behalf": row.entered_on_behalf,
            }),
        )
        .await?;
        let answer = self.answer(&mut work, &row).await?;
        Ok(work.done(answer))
    }

    pub(super) async fn get(
        &self,
        caller: Caller,
        query: ApplicationRead,
    ) -> Result<pb::Application> {
        let row = self.readable(&caller, query.application_id).await?;
        let mut tx = self.store.pool().begin().await?;
        if let Some(reason) = &query.reveal {
            caller.authorize(Permission::SensitiveRead, &row.branch_path)?;
            // Every unmasked read is recorded (SPEC §9), in the audit chain.
            relief_runtime::audit::append(
                &mut tx,
                &caller.actor(),
                "application.household_revealed",
                &format!("applications/{}", row.application_id),
                &json!({ "reason": reason }),
            )
            .await?;
        }
        let around = Store::surroundings(&mut tx, row.application_id).await?;
        tx.commit().await?;
        convert::application(&row, &around, &self.sealer, query.reveal.is_some())
    }

    pub(super) async fn list(
        &self,
        caller: Caller,
        mut query: ApplicationQuery,
    ) -> Result<pb::ListApplicationsResponse> {
        let path = match query.org_id {
            Some(org_id) => Some(self.register.org(org_id).await?.path),
            None => None,
        };
        let roots = if caller.holds(Permission::ApplicationRead) {
            listing_roots(&caller, Permission::ApplicationRead, path.as_deref())?
        } else {
            // A member sees their own applications only.
            let own = caller
                .member_id
                .as_deref()
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or_else(|| {
                    Error::PermissionDenied("ApplicationReadOwn needs a member".into())
                })?;
            if query.listing.member_id.is_some_and(|asked| asked != own) {
                return Err(Error::PermissionDenied(
                    "a member lists their own applications only".into(),
                ));
            }
            query.listing.member_id = Some(own);
            listing_roots(&caller, Permission::ApplicationReadOwn, path.as_deref())?
        };
        query.listing.patterns = subtree_patterns(&roots);
        let mut rows = self.store.applications(&query.listing).await?;
        let next_page_token = query.page.next(&mut rows, |row| row.seq);
        let mut conn = self.store.pool().acquire().await?;
        let mut applications = Vec::with_capacity(rows.len());
        for row in &rows {
            let around = Store::surroundings(&mut conn, row.application_id).await?;
            applications.push(convert::application(row, &around, &self.sealer, false)?);
        }
        Ok(pb::ListApplicationsResponse {
            applications,
            next_page_token,
        })
    }

    pub(super) async fn update(
        &self,
        caller: Caller,
        change: ApplicationChange,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row = Self::lock(&mut work, change.application_id, change.version).await?;
        access::applicant(&caller, &row)?;
        flow::check_etag(&row)?;
        let state = crate::domain::state::from_stored(row.state)?;
        if !matches!(state, State::Draft | State::ReturnedForMaterial) {
            return Err(Error::refused(
                crate::domain::state::WRONG_STATE,
                format!(
                    "only a draft or a returned application can be changed; this one is {}",
                    crate::domain::state::name(state)
                ),
            ));
        }
        let household = self
            .sealer
            .open(&household_aad(&row), &row.household_sealed)?;
        let mut claim = Claim {
            hardship_category: relief_proto::common::v1::HardshipCategory::try_from(
                row.hardship_category,
            )
            .unwrap_or_default(),
            other_categories: row
                .other_categories
                .iter()
                .filter_map(|c| relief_proto::common::v1::HardshipCategory::try_from(*c).ok())
                .collect(),
            affected_person: pb::AffectedPerson::try_from(row.affected_person).unwrap_or_default(),
            affected_relation: row.affected_relation.clone(),
            requested_relief_type: relief_proto::common::v1::ReliefType::try_from(
                row.requested_relief_type,
            )
            .unwrap_or_default(),
            description: row.description.clone(),
            household,
        };
        claim.apply(&change);
        row.hardship_category = claim.hardship_category as i32;
        row.other_categories = claim.other_categories.iter().map(|c| *c as i32).collect();
        row.affected_person = claim.affected_person as i32;
        row.affected_relation = claim.affected_relation.clone();
        row.requested_relief_type = claim.requested_relief_type as i32;
        row.description = claim.description.clone();
        row.household_sealed = self.sealer.seal(&household_aad(&row), &claim.household)?;
        let now = OffsetDateTime::now_utc();
        flow::note(
            &mut work,
            &mut row,
            "updated",
            &change.paths.join(", "),
            now,
        )
        .await?;
        self.saved(work, row).await
    }

    pub(super) async fn submit(
        &self,
        caller: Caller,
        step: Step,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row = Self::lock(&mut work, step.application_id, step.version).await?;
        access::applicant(&caller, &row)?;
        flow::check_etag(&row)?;
        let around = Store::surroundings(work.tx(), row.application_id).await?;
        let category = relief_proto::common::v1::HardshipCategory::try_from(row.hardship_category)
            .unwrap_or_default();
        let missing = evidence_rules::missing(category, &around.accepted_kinds);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|k| evidence_rules::name(*k)).collect();
            return Err(Error::refused(
                EVIDENCE_MISSING,
                format!(
                    "the required proof is missing (measures §四.1): {}; upload it first",
                    names.join("、")
                ),
            ));
        }
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        flow::advance(
            &mut work,
            &mut row,
            Act::Submit,
            &step.comment,
            &settings,
            now,
        )
        .await?;
        row.submitted_at.get_or_insert(now);
        self.saved(work, row).await
    }

    pub(super) async fn withdraw(
        &self,
        caller: Caller,
        Withdrawal(step): Withdrawal,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row = Self::lock(&mut work, step.application_id, step.version).await?;
        access::applicant(&caller, &row)?;
        flow::check_etag(&row)?;
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        flow::advance(
            &mut work,
            &mut row,
            Act::Withdraw,
            &step.comment,
            &settings,
            now,
        )
        .await?;
        Store::cancel_running_notice(work.tx(), row.application_id, now).await?;
        let actor = work.actor().clone();
        Store::close_open_objections(
            work.tx(),
            row.application_id,
            "申请已撤回，公示取消，本异议不再审查",
            &actor,
            now,
        )
        .await?;
        self.saved(work, row).await
    }

    pub(super) async fn return_for_material_act(
        &self,
        caller: Caller,
        order: ReturnOrder,
        mut work: Work,
    ) -> Result<Done<pb::Application>> {
        let mut row = Self::lock(&mut work, order.step.application_id, order.step.version).await?;
        let from = crate::domain::state::from_stored(row.state)?;
        match from {
            State::BranchReview => access::reviewer(
                &caller,
                &row,
                Permission::BranchReview,
                &row.branch_path.clone(),
            )?,
            State::SuperiorReview => {
                let level = row
                    .current_level()
                    .map(|l| l.path.clone())
                    .unwrap_or_default();
                access::reviewer(&caller, &row, Permission::SuperiorReview, &level)?
            }
            _ => access::reviewer(
                &caller,
                &row,
                Permission::CommitteePropose,
                &self.rpc.committee().path.clone(),
            )?,
        }
        flow::check_etag(&row)?;
        let settings = Store::flow_settings(work.tx()).await?;
        let now = OffsetDateTime::now_utc();
        flow::advance(
            &mut work,
            &mut row,
            Act::Return,
            &order.step.comment,
            &settings,
            now,
        )
        .await?;
        row.requested_evidence = order.kinds.clone();
        self.saved(work, row).await
    }

    pub(super) async fn steps(
        &self,
        caller: Caller,
        query: StepQuery,
    ) -> Result<pb::ListApplicationStepsResponse> {
        self.readable(&caller, query.application_id).await?;
        let after = query.page.after.unwrap_or(0);
        let mut steps = self
            .store
            .steps(
                query.application_id,
                i32::try_from(after).unwrap_or(i32::MAX),
                query.page.fetch(),
            )
            .await?;
        let next_page_token = query.page.next(&mut steps, |s| i64::from(s.seq));
        Ok(pb::ListApplicationStepsResponse {
            steps: steps
                .into_iter()
                .map(|s| pb::ApplicationStep {
                    seq: s.seq,
                    action: s.action,
                    from_state: s.from_state,
                    to_state: s.to_state,
                    actor: ids::actor(&s.actor_id, &s.actor_name),
                    step_time: Some(timestamp(s.at)),
                    comment: s.comment,
                })
                .collect(),
            next_page_token,
        })
    }
}
