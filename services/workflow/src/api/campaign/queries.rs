//! What the campaign's reads carry — GetCampaign, ListCampaigns,
//! GetCampaignUnit, ListCampaignUnits, GetCampaignProgress,
//! ListVerificationRows and the exports — parsed with every bad field named.
//! Their fields are read by the acts beside this module.

use relief_proto::workflow::v1::{self as pb, CampaignState, CampaignUnitState};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use uuid::Uuid;

use crate::domain::campaign_requests::check_year;

/// One resource by id (GetCampaign, GetCampaignUnit, ExportSummaryForm).
pub struct ById(pub Uuid);

fn by_id(value: &str, field: &str) -> Result<ById, FieldViolations> {
    let mut violations = FieldViolations::new();
    let id = ids::uuid(value, field, &mut violations);
    violations.then(|| ById(id.unwrap_or_default()))
}

impl TryFrom<pb::GetCampaignRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_id, "campaign_id")
    }
}

impl TryFrom<pb::GetCampaignUnitRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignUnitRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_unit_id, "campaign_unit_id")
    }
}

impl TryFrom<pb::ExportCampaignOverviewRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::ExportCampaignOverviewRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_id, "campaign_id")
    }
}

impl TryFrom<pb::ExportSummaryFormRequest> for ById {
    type Error = FieldViolations;
    fn try_from(r: pb::ExportSummaryFormRequest) -> Result<Self, FieldViolations> {
        by_id(&r.campaign_unit_id, "campaign_unit_id")
    }
}

/// ListCampaigns.
pub struct CampaignQuery {
    pub year: Option<i32>,
    pub state: Option<i32>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListCampaignsRequest> for CampaignQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListCampaignsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListCampaigns", &r, &mut violations);
        if r.year != 0 {
            check_year(r.year, "year", &mut violations);
        }
        violations.check(
            CampaignState::try_from(r.state).is_err(),
            "state",
            "unknown state",
        );
        violations.then(|| CampaignQuery {
            year: (r.year != 0).then_some(r.year),
            state: (r.state != 0).then_some(r.state),
            page,
        })
    }
}

/// ListCampaignUnits.
pub struct UnitQuery {
    pub campaign_id: Uuid,
    pub org_id: Option<i64>,
    pub state: Option<i32>,
    pub late_only: bool,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListCampaignUnitsRequest> for UnitQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListCampaignUnitsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListCampaignUnits", &r, &mut violations);
        let campaign_id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        violations.check(
            CampaignUnitState::try_from(r.state).is_err(),
            "state",
            "unknown state",
        );
        violations.then(|| UnitQuery {
            campaign_id: campaign_id.unwrap_or_default(),
            org_id,
            state: (r.state != 0).then_some(r.state),
            late_only: r.late_only,
            page,
        })
    }
}

/// GetCampaignProgress.
pub struct ProgressQuery {
    pub campaign_id: Uuid,
    pub org_id: Option<i64>,
}

impl TryFrom<pb::GetCampaignProgressRequest> for ProgressQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::GetCampaignProgressRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let campaign_id = ids::uuid(&r.campaign_id, "campaign_id", &mut violations);
        let org_id = ids::optional_org_id(r.org_id, "org_id", &mut violations);
        violations.then(|| ProgressQuery {
            campaign_id: campaign_id.unwrap_or_default(),
            org_id,
        })
    }
}

/// ListVerificationRows.
pub struct RowQuery {
    pub unit_id: Uuid,
    pub branch_org_id: Option<i64>,
    pub unverified_only: bool,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListVerificationRowsRequest> for RowQuery {
    type Error = FieldViolations;
    fn try_from(r: pb::ListVerificationRowsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListVerificationRows", &r, &mut violations);
        let unit_id = ids::uuid(&r.campaign_unit_id, "campaign_unit_id", &mut violations);
        let branch_org_id = ids::optional_org_id(r.branch_org_id, "branch_org_id", &mut violations);
        violations.then(|| RowQuery {
            unit_id: unit_id.unwrap_or_default(),
            branch_org_id,
            unverified_only: r.unverified_only,
            page,
        })
    }
}
