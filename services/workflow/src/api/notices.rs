//! 公示 — the public notice and its objections (measures §四.2): the unit
//! reads the notice and objects; the branch resolves each objection. An open
//! objection holds the notice; upheld, the application is refused; dismissed,
//! the notice goes on and ends by itself ([`passing`], the sweep).
//!
//! "The unit" is everyone bound on the branch or above it, whatever the
//! role ([`in_unit`]): the notice is public there and nowhere else, so a
//! caller outside learns nothing of it (NOT_FOUND).

mod passing;

use relief_proto::workflow::v1::{self as pb, DayKind, ObjectionState, PublicNoticeState};
use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};
use relief_runtime::ids;
use relief_runtime::masking::mask_phone;
use relief_runtime::rpc::{Done, Work};
use relief_runtime::scope::subtree_patterns;
use relief_runtime::time::timestamp;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{WorkflowApi, access, flow};
use crate::domain::notice::{
    NewObjection, NoticeQuery, NoticeRead, OBJECTION_NOT_OPEN, Resolution, check_objection_window,
    in_unit, require_running,
};
use crate::domain::state::Act;
use crate::store::{NoticeListing, NoticeRow, ObjectionRow, Store};

/// The notice as `caller` sees it: the objector's contact whole only for
/// those who handle objections (BranchReview on the branch), and who entered
/// an objection only for them and the one who did — an objector who gave no
/// name stays anonymous to the rest of the unit.
fn notice_message(
    caller: &Caller,
    row: &NoticeRow,
    objections: &[ObjectionRow],
) -> pb::PublicNotice {
    let handles = caller.may(Permission::BranchReview, &row.org_path);
    let objections: Vec<pb::Objection> = objections
        .iter()
        .filter(|o| o.public_notice_id == row.public_notice_id)
        .map(|o| objection_message(caller, handles, o))
        .collect();
    let open = objections
        .iter()
        .filter(|o| o.state == ObjectionState::Open as i32)
        .count();
    pb::PublicNotice {
        public_notice_id: row.public_notice_id.to_string(),
        application_id: row.application_id.to_string(),
        org: Some(relief_proto::common::v1::OrgRef {
            org_id: row.org_id,
            path: row.org_path.clone(),
            name: row.org_name.clone(),
        }),
        notice_text: row.notice_text.clone(),
        days: row.days,
        day_kind: if row.day_kind == 0 {
            DayKind::Calendar as i32
        } else {
            row.day_kind
        },
        start_time: Some(timestamp(row.starts_at)),
        end_time: Some(timestamp(row.ends_at)),
        ended_time: row.ended_at.map(timestamp),
        state: row.state,
        objections,
        open_objection_count: i32::try_from(open).unwrap_or(i32::MAX),
    }
}

fn objection_message(caller: &Caller, handles: bool, row: &ObjectionRow) -> pb::Objection {
    let own = row.raised_by_id == caller.user_id;
    pb::Objection {
        objection_id: row.objection_id.to_string(),
        public_notice_id: row.public_notice_id.to_string(),
        content: row.content.clone(),
        objector_name: row.objector_name.clone(),
        objector_contact: if handles || own {
            row.objector_contact.clone()
        } else {
            mask_phone(&row.objector_contact)
        },
        raised_by: if handles || own {
            ids::actor(&row.raised_by_id, &row.raised_by_name)
        } else {
            None
        },
        raise_time: Some(timestamp(row.raised_at)),
        state: row.state,
        resolution_note: row.resolution_note.clone(),
        resolved_by: ids::actor(&row.resolved_by_id, &row.resolved_by_name),
        resolve_time: row.resolved_at.map(timestamp),
    }
}

/// NOT_FOUND unless the caller is in the notice's unit.
fn visible(caller: &Caller, row: &NoticeRow) -> Result<()> {
    if in_unit(&caller.roles, &row.org_path) {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "public notice {}",
            row.public_notice_id
        )))
    }
}

impl WorkflowApi {
    pub(super) async fn notice_get(
        &self,
        request: Request<pb::GetPublicNoticeRequest>,
    ) -> Result<Response<pb::PublicNotice>, Status> {
        self.rpc
            .read(request, |caller, query: NoticeRead| {
                self.read_notice(caller, query)
            })
            .await
    }

    pub(super) async fn notice_list(
        &self,
        request: Request<pb::ListPublicNoticesRequest>,
    ) -> Result<Response<pb::ListPublicNoticesResponse>, Status> {
        self.rpc
            .read(request, |caller, query: NoticeQuery| {
                self.list_notices(caller, query)
            })
            .await
    }

    pub(super) async fn objection_raise(
        &self,
        request: Request<pb::RaiseObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        self.rpc
            .write(
                "RaiseObjection",
                request,
                |caller, command: NewObjection, work| self.raise(caller, command, work),
            )
            .await
    }

    pub(super) async fn objection_resolve(
        &self,
        request: Request<pb::ResolveObjectionRequest>,
    ) -> Result<Response<pb::Objection>, Status> {
        self.rpc
            .write(
                "ResolveObjection",
                request,
                |caller, command: Resolution, work| self.resolve(caller, command, work),
            )
            .await
    }

    async fn read_notice(&self, caller: Caller, query: NoticeRead) -> Result<pb::PublicNotice> {
        let mut conn = self.store.pool().acquire().await?;
        let row = Store::notice(&mut conn, query.public_notice_id).await?;
        visible(&caller, &row)?;
        let objections = Store::objections(&mut conn, &[row.public_notice_id]).await?;
        Ok(notice_message(&caller, &row, &objections))
    }

    async fn list_notices(
        &self,
        caller: Caller,
        query: NoticeQuery,
    ) -> Result<pb::ListPublicNoticesResponse> {
        // Every binding is a subtree the caller is in the unit of; the
        // organisation asked for narrows it in SQL (its id is in the path).
        let roots: Vec<String> = caller.roles.iter().map(|b| b.org_path.clone()).collect();
        let mut rows = self
            .store
            .notices(&NoticeListing {
                patterns: subtree_patterns(&roots),
                org_id: query.org_id,
                state: query.state,
                application_id: query.application_id,
                after: query.page.after,
                limit: query.page.fetch(),
            })
            .await?;
        let next_page_token = query.page.next(&mut rows, |row| row.public_notice_id);
        let ids: Vec<Uuid> = rows.iter().map(|row| row.public_notice_id).collect();
        let mut conn = self.store.pool().acquire().await?;
        let objections = Store::objections(&mut conn, &ids).await?;
        Ok(pb::ListPublicNoticesResponse {
            public_notices: rows
                .iter()
                .map(|row| notice_message(&caller, row, &objections))
                .collect(),
            next_page_token,
        })
    }

    /// 异议: anyone in the unit, while the notice is shown. It holds the
    /// notice until resolved; the application records the step.
    async fn raise(
        &self,
        caller: Caller,
        command: NewObjection,
        mut work: Work,
    ) -> Result<Done<pb::Objection>> {
        let seen = Store::notice(work.tx(), command.public_notice_id).await?;
        visible(&caller, &seen)?;
        // Application first, then its notice: the order every act locks in.
        let mut app = Store::lock_application(work.tx(), seen.application_id).await?;
        let notice = Store::lock_notice(work.tx(), seen.public_notice_id).await?;
        require_running(notice.state)?;
        let now = OffsetDateTime::now_utc();
        check_objection_window(now, notice.starts_at, notice.ends_at)?;
        let row = ObjectionRow {
            objection_id: Uuid::new_v4(),
            public_notice_id: notice.public_notice_id,
            content: command.content,
            objector_name: command.objector_name,
            objector_contact: command.objector_contact,
            raised_by_id: caller.user_id.clone(),
            raised_by_name: caller.display_name.clone(),
            raised_at: now,
            state: ObjectionState::Open as i32,
            resolution_note: String::new(),
            resolved_by_id: String::new(),
            resolved_by_name: String::new(),
            resolved_at: None,
        };
        Store::insert_objection(work.tx(), &row).await?;
        // The step names the objection, not its words or its author: the
        // applicant reads the history.
        let comment = format!(
            "公示期间收到异议（{}），公示在异议处理完毕前不结束",
            row.objection_id
        );
        flow::note(&mut work, &mut app, "objection.raised", &comment, now).await?;
        Store::save_application(work.tx(), &app).await?;
        let handles = caller.may(Permission::BranchReview, &notice.org_path);
        Ok(work.done(objection_message(&caller, handles, &row)))
    }

    /// Resolves an open objection: branch reviewers of the notice's branch,
    /// never the one who raised it nor the applicant.
    async fn resolve(
        &self,
        caller: Caller,
        command: Resolution,
        mut work: Work,
    ) -> Result<Done<pb::Objection>> {
        let seen = Store::objection(work.tx(), command.objection_id).await?;
        let seen_notice = Store::notice(work.tx(), seen.public_notice_id).await?;
        if !in_unit(&caller.roles, &seen_notice.org_path) {
            // Nothing of another unit's notice is told, not even that it exists.
            return Err(Error::not_found(format!(
                "objection {}",
                command.objection_id
            )));
        }
        caller.authorize(Permission::BranchReview, &seen_notice.org_path)?;
        let mut app = Store::lock_application(work.tx(), seen_notice.application_id).await?;
        let notice = Store::lock_notice(work.tx(), seen_notice.public_notice_id).await?;
        // Read again under the application's lock, which every change of an
        // objection holds.
        let mut row = Store::objection(work.tx(), command.objection_id).await?;
        access::not_the_same_person(
            &caller,
            &app,
            &[(row.raised_by_id.as_str(), "raised the objection")],
        )?;
        require_running(notice.state)?;
        if row.state != ObjectionState::Open as i32 {
            return Err(Error::refused(
                OBJECTION_NOT_OPEN,
                format!("objection {} is resolved already", row.objection_id),
            ));
        }
        let now = OffsetDateTime::now_utc();
        // Its time was up and this objection alone held it: dismissed, it
        // passes now rather than at the sweep's next round — the register
        // asked first, before this act writes anything.
        let frees_due_notice = !command.upheld
            && notice.ends_at <= now
            && Store::open_objections(work.tx(), notice.public_notice_id).await? == 1;
        let record_id = if frees_due_notice {
            self.register_before_passing(&app, &notice, now).await?
        } else {
            None
        };
        row.state = if command.upheld {
            ObjectionState::Upheld
        } else {
            ObjectionState::Dismissed
        } as i32;
        row.resolution_note = command.note.clone();
        row.resolved_by_id = caller.user_id.clone();
        row.resolved_by_name = caller.display_name.clone();
        row.resolved_at = Some(now);
        Store::save_resolution(work.tx(), &row).await?;
        let settings = Store::flow_settings(work.tx()).await?;
        if command.upheld {
            flow::advance(
                &mut work,
                &mut app,
                Act::ObjectionUpheld,
                &command.note,
                &settings,
                now,
            )
            .await?;
            app.close_reason = format!("公示期间异议成立：{}", command.note);
            // The case is refused: any other objection has nothing left to decide.
            let actor = work.actor().clone();
            Store::close_open_objections(
                work.tx(),
                app.application_id,
                "另一异议成立，公示终止，本异议不再审查",
                &actor,
                now,
            )
            .await?;
            Store::end_notice(
                work.tx(),
                notice.public_notice_id,
                PublicNoticeState::Failed,
                now,
            )
            .await?;
        } else {
            flow::note(
                &mut work,
                &mut app,
                "objection.dismissed",
                &command.note,
                now,
            )
            .await?;
            if let Some(record_id) = record_id {
                self.passed(
                    &mut work,
                    &mut app,
                    &notice,
                    record_id,
                    now,
                    "公示期满，异议不成立",
                )
                .await?;
            }
        }
        Store::save_application(work.tx(), &app).await?;
        let handles = caller.may(Permission::BranchReview, &notice.org_path);
        Ok(work.done(objection_message(&caller, handles, &row)))
    }
}
