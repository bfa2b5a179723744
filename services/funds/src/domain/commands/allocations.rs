//! 拨付 — an allocation after a committee decision, and reading them.

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use time::Date;
use uuid::Uuid;

use super::{
    Page, check_amount, check_optional_text, check_org, check_text, check_year, org_filter,
};
use crate::domain::allocation::AllocationState;
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::money::Money;

/// 拨付 — what the committee decided for one member: the amount, from the
/// year's fund to the member's grassroots organisation.
#[derive(Debug, Clone)]
pub struct AllocationOrder {
    pub application_id: String,
    pub decision_id: String,
    pub meeting_number: String,
    pub meeting_date: Option<Date>,
    pub member_id: String,
    pub member_name: String,
    pub org: OrgRef,
    pub year: i32,
    pub relief_type: ReliefType,
    pub category: HardshipCategory,
    pub amount: Money,
    pub special_case: bool,
    pub special_case_reason: String,
}

impl AllocationOrder {
    /// Parses a request; the organisation must be below the committee at
    /// `committee_path`.
    pub fn parse(
        request: pb::CreateAllocationRequest,
        committee_path: &str,
    ) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        if request.allocation.is_none() {
            v.add("allocation", "required");
        }
        let given = request.allocation.unwrap_or_default();
        check_text(
            &given.application_id,
            "allocation.application_id",
            128,
            &mut v,
        );
        let decision = given.decision.unwrap_or_default();
        check_text(
            &decision.decision_id,
            "allocation.decision.decision_id",
            128,
            &mut v,
        );
        check_text(
            &decision.meeting_number,
            "allocation.decision.meeting_number",
            100,
            &mut v,
        );
        let meeting_date = if relief_runtime::time::is_unset(decision.meeting_date.as_ref()) {
            None
        } else {
            let date = relief_runtime::time::from_proto(decision.meeting_date.as_ref());
            match date {
                None => v.add("allocation.decision.meeting_date", "not a calendar date"),
                Some(date) if date > relief_runtime::time::today() => v.add(
                    "allocation.decision.meeting_date",
                    "must not be in the future",
                ),
                Some(_) => {}
            }
            date
        };
        check_text(&given.member_id, "allocation.member_id", 128, &mut v);
        check_text(&given.member_name, "allocation.member_name", 64, &mut v);
        check_org(given.org.as_ref(), committee_path, "allocation.org", &mut v);
        check_year(given.year, "allocation.year", &mut v);
        let relief_type = ReliefType::from_i32(given.relief_type);
        if relief_type.is_none() {
            v.add(
                "allocation.relief_type",
                "required: one-time relief or Spring Festival visit",
            );
        }
        let category = HardshipCategory::from_i32(given.hardship_category);
        if category.is_none() {
            v.add(
                "allocation.hardship_category",
                "required: one of the categories of measures §2.1",
            );
        }
        let amount = check_amount(
            given.amount.as_ref(),
            Money::MAX_RELIEF,
            "allocation.amount",
            &mut v,
        );
        if given.special_case {
            check_text(
                &given.special_case_reason,
                "allocation.special_case_reason",
                1000,
                &mut v,
            );
        } else {
            check_optional_text(
                &given.special_case_reason,
                "allocation.special_case_reason",
                1000,
                &mut v,
            );
        }
        let (Some(org), Some(relief_type), Some(category), true) =
            (given.org, relief_type, category, v.is_empty())
        else {
            return Err(v);
        };
        Ok(AllocationOrder {
            application_id: given.application_id,
            decision_id: decision.decision_id,
            meeting_number: decision.meeting_number,
            meeting_date,
            member_id: given.member_id,
            member_name: given.member_name,
            org,
            year: given.year,
            relief_type,
            category,
            amount,
            special_case: given.special_case,
            special_case_reason: given.special_case_reason,
        })
    }

    /// The posting's reason, as the committee's books word it.
    pub fn posting_reason(&self) -> String {
        format!(
            "拨付 {} {}（{}，{}）",
            self.member_name,
            self.relief_type.chinese(),
            self.category.chinese(),
            self.meeting_number
        )
    }
}

/// One allocation.
#[derive(Debug, Clone, Copy)]
pub struct GetAllocation {
    pub allocation_id: Uuid,
}

impl TryFrom<pb::GetAllocationRequest> for GetAllocation {
    type Error = FieldViolations;

    fn try_from(request: pb::GetAllocationRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let allocation_id = ids::uuid(&request.allocation_id, "allocation_id", &mut v);
        v.then(|| GetAllocation {
            allocation_id: allocation_id.unwrap_or_default(),
        })
    }
}

/// Allocations, newest first, in the subtrees the caller may read.
#[derive(Debug, Clone)]
pub struct AllocationListing {
    pub state: Option<AllocationState>,
    pub relief_type: Option<ReliefType>,
    pub year: i32,
    pub member_id: String,
    pub application_id: String,
    pub org_id: Option<i64>,
    /// `page.after` is the `seq` the previous page ended at (newest first).
    pub page: Page,
}

impl TryFrom<pb::ListAllocationsRequest> for AllocationListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListAllocationsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let state = match pb::AllocationState::try_from(request.state) {
            Ok(state) => AllocationState::from_proto(state),
            Err(_) => {
                v.add("state", "not an allocation state");
                None
            }
        };
        let relief_type = ReliefType::from_i32(request.relief_type);
        if request.relief_type != 0 && relief_type.is_none() {
            v.add("relief_type", "not a relief type");
        }
        let org_id = org_filter(request.org_id, &mut v);
        let page = Page::parse("ListAllocations", &request, &mut v);
        v.then(|| AllocationListing {
            state,
            relief_type,
            year: request.year,
            member_id: request.member_id,
            application_id: request.application_id,
            org_id,
            page,
        })
    }
}
