//! What the application reads carry — GetApplication, ListApplications,
//! ListApplicationSteps — parsed with every bad field named. Their fields are
//! read by the acts in [`super::applications`].

use relief_proto::workflow::v1::{self as pb, ApplicationState};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use uuid::Uuid;

use crate::store::ApplicationListing;

/// GetApplication: which one, and whether to show the household whole.
pub struct ApplicationRead {
    pub(super) application_id: Uuid,
    pub(super) reveal: Option<String>,
}

impl TryFrom<pb::GetApplicationRequest> for ApplicationRead {
    type Error = FieldViolations;
    fn try_from(r: pb::GetApplicationRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let application_id = ids::uuid(&r.application_id, "application_id", &mut violations);
        violations.check_line("reveal_reason", &r.reveal_reason, 500);
        violations.check(
            r.reveal_sensitive && r.reveal_reason.trim().is_empty(),
            "reveal_reason",
            "required with reveal_sensitive: why the household facts are needed",
        );
        violations.then(|| ApplicationRead {
            application_id: application_id.unwrap_or_default(),
            reveal: r
                .reveal_sensitive
                .then(|| r.reveal_reason.trim().to_owned()),
        })
    }
}

/// ListApplications, parsed.
pub struct ApplicationQuery {
    pub(super) org_id: Option<i64>,
    pub(super) listing: ApplicationListing,
    pub(super) page: Page<i64>,
}

impl TryFrom<pb::ListApplicationsRequest> for ApplicationQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListApplicationsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListApplications", &r, &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        let member_id = if r.member_id.is_empty() {
            None
        } else {
            ids::uuid(&r.member_id, "member_id", &mut violations)
        };
        for (i, state) in r.states.iter().enumerate() {
            violations.check(
                !matches!(ApplicationState::try_from(*state), Ok(s) if s != ApplicationState::Unspecified),
                &format!("states[{i}]"),
                "unknown state",
            );
        }
        violations.check(
            r.year != 0 && !(2000..=2100).contains(&r.year),
            "year",
            "a four-digit year, or 0 for any",
        );
        let known = |value: i32, ok: bool, field: &str, violations: &mut FieldViolations| {
            violations.check(!ok, field, "unknown value");
            (value != 0).then_some(value)
        };
        let hardship_category = known(
            r.hardship_category,
            relief_proto::common::v1::HardshipCategory::try_from(r.hardship_category).is_ok(),
            "hardship_category",
            &mut violations,
        );
        let relief_type = known(
            r.requested_relief_type,
            relief_proto::common::v1::ReliefType::try_from(r.requested_relief_type).is_ok(),
            "requested_relief_type",
            &mut violations,
        );
        violations.then(|| ApplicationQuery {
            org_id,
            listing: ApplicationListing {
                member_id,
                states: r.states.clone(),
                year: (r.year != 0).then_some(r.year),
                hardship_category,
                relief_type,
                overdue_only: r.overdue_only,
                after_seq: page.after,
                limit: page.fetch(),
                ..Default::default()
            },
            page,
        })
    }
}

/// ListApplicationSteps, parsed.
pub struct StepQuery {
    pub(super) application_id: Uuid,
    pub(super) page: Page<i64>,
}

impl TryFrom<pb::ListApplicationStepsRequest> for StepQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListApplicationStepsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListApplicationSteps", &r, &mut violations);
        let application_id = ids::uuid(&r.application_id, "application_id", &mut violations);
        violations.then(|| StepQuery {
            application_id: application_id.unwrap_or_default(),
            page,
        })
    }
}
