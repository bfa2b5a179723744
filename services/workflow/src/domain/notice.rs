//! 公示与异议 (measures §四.2) — the rules of a public notice and its
//! objections, without I/O: the requests as commands, who counts as "in the
//! unit", when an objection may still be raised, and what an objector's
//! contact looks like to whom.

use relief_proto::workflow::v1::{self as pb, ObjectionResolution, PublicNoticeState};
use relief_runtime::auth::{RoleBinding, in_subtree};
use relief_runtime::error::{Error, FieldViolations, Result};
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use time::OffsetDateTime;
use uuid::Uuid;

/// Refused because the notice is not running (it passed, failed or was
/// cancelled): nothing can be objected to or resolved on it any more.
pub const NOTICE_NOT_RUNNING: &str = "PUBLIC_NOTICE_NOT_RUNNING";
/// Refused because the objection is raised outside the notice's days.
pub const OUTSIDE_NOTICE_PERIOD: &str = "OUTSIDE_NOTICE_PERIOD";
/// Refused because the objection was resolved already.
pub const OBJECTION_NOT_OPEN: &str = "OBJECTION_NOT_OPEN";

/// Longest objection or resolution note (several lines allowed).
const MAX_NOTE: usize = 2000;
/// Longest objector name (one line).
const MAX_NAME: usize = 100;
/// Longest objector contact (one line: a phone number or an address).
const MAX_CONTACT: usize = 100;

/// Whether a caller bound by `roles` is "in the unit" of a notice shown at `org_path`: any
/// role bound on the branch or on an organisation above it. The notice is
/// public inside the unit (measures §四.2), so the role does not matter —
/// a member sees it as the department does — but it is not public outside.
pub fn in_unit(roles: &[RoleBinding], org_path: &str) -> bool {
    roles
        .iter()
        .any(|binding| in_subtree(org_path, &binding.org_path))
}

/// An objection is raised during the notice's days only: before its start
/// nobody has seen it, after its end the time to object is over (the notice
/// then waits only for the objections already raised).
pub fn check_objection_window(
    now: OffsetDateTime,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
) -> Result<()> {
    if now < starts_at {
        return Err(Error::refused(
            OUTSIDE_NOTICE_PERIOD,
            "the public notice has not started yet; objections are raised while it is shown",
        ));
    }
    if now >= ends_at {
        return Err(Error::refused(
            OUTSIDE_NOTICE_PERIOD,
            "the public notice's days are over; objections are raised while it is shown",
        ));
    }
    Ok(())
}

/// `FAILED_PRECONDITION` unless the notice is running.
pub fn require_running(state: i32) -> Result<()> {
    if state == PublicNoticeState::Running as i32 {
        Ok(())
    } else {
        let name = PublicNoticeState::try_from(state)
            .map(|s| s.as_str_name().trim_start_matches("PUBLIC_NOTICE_STATE_"))
            .unwrap_or("UNKNOWN");
        Err(Error::refused(
            NOTICE_NOT_RUNNING,
            format!("the public notice has ended ({name}); its objections can no longer change"),
        ))
    }
}

/// GetPublicNotice, parsed.
pub struct NoticeRead {
    pub public_notice_id: Uuid,
}

impl TryFrom<pb::GetPublicNoticeRequest> for NoticeRead {
    type Error = FieldViolations;
    fn try_from(r: pb::GetPublicNoticeRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&r.public_notice_id, "public_notice_id", &mut violations);
        violations.then(|| NoticeRead {
            public_notice_id: id.unwrap_or_default(),
        })
    }
}

/// ListPublicNotices, parsed: filters (`None`: any) and a page, newest first
/// (the key is the last notice of the page before).
pub struct NoticeQuery {
    pub org_id: Option<i64>,
    pub state: Option<i32>,
    pub application_id: Option<Uuid>,
    pub page: Page<Uuid>,
}

impl TryFrom<pb::ListPublicNoticesRequest> for NoticeQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListPublicNoticesRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListPublicNotices", &r, &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        violations.check(
            PublicNoticeState::try_from(r.state).is_err(),
            "state",
            "unknown state",
        );
        let application_id = if r.application_id.is_empty() {
            None
        } else {
            ids::uuid(&r.application_id, "application_id", &mut violations)
        };
        violations.then(|| NoticeQuery {
            org_id,
            state: (r.state != 0).then_some(r.state),
            application_id,
            page,
        })
    }
}

/// RaiseObjection, parsed: what is objected to, and who the objector says
/// they are (both optional: an objection may be anonymous, 匿名).
pub struct NewObjection {
    pub public_notice_id: Uuid,
    pub content: String,
    pub objector_name: String,
    pub objector_contact: String,
}

impl TryFrom<pb::RaiseObjectionRequest> for NewObjection {
    type Error = FieldViolations;
    fn try_from(r: pb::RaiseObjectionRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&r.public_notice_id, "public_notice_id", &mut violations);
        violations.check_text("content", &r.content, MAX_NOTE);
        violations.check(
            r.content.trim().is_empty(),
            "content",
            "required: what is objected to",
        );
        violations.check_line("objector_name", &r.objector_name, MAX_NAME);
        violations.check_line("objector_contact", &r.objector_contact, MAX_CONTACT);
        violations.then(|| NewObjection {
            public_notice_id: id.unwrap_or_default(),
            content: r.content.trim().to_owned(),
            objector_name: r.objector_name.trim().to_owned(),
            objector_contact: r.objector_contact.trim().to_owned(),
        })
    }
}

/// ResolveObjection, parsed.
pub struct Resolution {
    pub objection_id: Uuid,
    pub upheld: bool,
    pub note: String,
}

impl TryFrom<pb::ResolveObjectionRequest> for Resolution {
    type Error = FieldViolations;
    fn try_from(r: pb::ResolveObjectionRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let id = ids::uuid(&r.objection_id, "objection_id", &mut violations);
        let resolution = ObjectionResolution::try_from(r.resolution).unwrap_or_default();
        violations.check(
            resolution == ObjectionResolution::Unspecified,
            "resolution",
            "required: UPHELD or DISMISSED",
        );
        violations.check_text("resolution_note", &r.resolution_note, MAX_NOTE);
        violations.check(
            r.resolution_note.trim().is_empty(),
            "resolution_note",
            "required: how the objection was looked into and why it is upheld or dismissed",
        );
        violations.then(|| Resolution {
            objection_id: id.unwrap_or_default(),
            upheld: resolution == ObjectionResolution::Upheld,
            note: r.resolution_note.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_runtime::auth::Role;
    use time::Duration;

    fn caller(bindings: &[(Role, &str)]) -> Vec<RoleBinding> {
        bindings
            .iter()
            .map(|(role, path)| RoleBinding {
                role: *role,
                org_path: (*path).to_owned(),
            })
            .collect()
    }

    #[test]
    fn the_unit_is_the_branch_and_everything_above_it() {
        let path = "/1/4/12/";
        assert!(in_unit(&caller(&[(Role::Member, "/1/4/12/")]), path));
        assert!(in_unit(&caller(&[(Role::SuperiorOrg, "/1/4/")]), path));
        assert!(in_unit(&caller(&[(Role::Auditor, "/1/")]), path));
        assert!(!in_unit(&caller(&[(Role::BranchStaff, "/1/4/13/")]), path));
        assert!(!in_unit(&caller(&[(Role::Member, "/1/7/")]), path));
        assert!(!in_unit(&caller(&[]), path));
    }

    #[test]
    fn objections_only_while_the_notice_is_shown() {
        let start = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
        let end = start + Duration::days(7);
        assert!(check_objection_window(start, start, end).is_ok());
        assert!(check_objection_window(end - Duration::seconds(1), start, end).is_ok());
        for at in [start - Duration::seconds(1), end, end + Duration::days(1)] {
            let refused = check_objection_window(at, start, end).expect_err("outside");
            assert_eq!(refused.reason(), OUTSIDE_NOTICE_PERIOD);
        }
    }

    #[test]
    fn only_a_running_notice_takes_objections() {
        assert!(require_running(PublicNoticeState::Running as i32).is_ok());
        for state in [
            PublicNoticeState::Passed,
            PublicNoticeState::Failed,
            PublicNoticeState::Cancelled,
        ] {
            let refused = require_running(state as i32).expect_err("ended");
            assert_eq!(refused.reason(), NOTICE_NOT_RUNNING);
        }
    }

    #[test]
    fn a_notice_starts_at_most_thirty_days_from_the_approval() {
        use crate::domain::review::BranchOpinion;
        let fields = |days_ago: i64| -> Vec<String> {
            let start = OffsetDateTime::now_utc() - Duration::days(days_ago);
            BranchOpinion::try_from(pb::SubmitBranchReviewRequest {
                notice_start_time: Some(relief_runtime::time::timestamp(start)),
                ..Default::default()
            })
            .err()
            .map(|v| v.iter().map(|(f, _)| f.to_owned()).collect())
            .unwrap_or_default()
        };
        let start = "notice_start_time".to_owned();
        assert!(!fields(8).contains(&start), "a paper notice posted before");
        assert!(!fields(-29).contains(&start), "a notice scheduled ahead");
        assert!(fields(31).contains(&start));
        assert!(fields(-31).contains(&start));
    }

    #[test]
    fn every_bad_field_of_a_resolution_is_named() {
        let violations = Resolution::try_from(pb::ResolveObjectionRequest {
            request_id: "r".into(),
            objection_id: "nope".into(),
            resolution: 0,
            resolution_note: "  ".into(),
        })
        .err()
        .expect("invalid");
        let fields: Vec<String> = violations.iter().map(|(f, _)| f.to_owned()).collect();
        assert_eq!(
            fields,
            ["objection_id", "resolution", "resolution_note"].map(String::from)
        );
    }

    #[test]
    fn an_objection_needs_content_and_one_line_names() {
        let violations = NewObjection::try_from(pb::RaiseObjectionRequest {
            request_id: "r".into(),
            public_notice_id: String::new(),
            content: String::new(),
            objector_name: "张\n三".into(),
            objector_contact: "x".repeat(101),
        })
        .err()
        .expect("invalid");
        let fields: Vec<String> = violations.iter().map(|(f, _)| f.to_owned()).collect();
        assert_eq!(
            fields,
            [
                "public_notice_id",
                "content",
                "objector_name",
                "objector_contact"
            ]
            .map(String::from)
        );
        let Ok(anonymous) = NewObjection::try_from(pb::RaiseObjectionRequest {
            request_id: "r".into(),
            public_notice_id: Uuid::new_v4().to_string(),
            content: " 其家庭另有商铺出租收入 ".into(),
            ..Default::default()
        }) else {
            panic!("an anonymous objection is valid");
        };
        assert_eq!(anonymous.content, "其家庭另有商铺出租收入");
        assert!(anonymous.objector_name.is_empty());
    }
}
