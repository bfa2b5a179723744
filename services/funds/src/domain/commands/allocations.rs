//! 拨付 — an allocation after a committee decision, and reading them.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use time::Date;
use uuid::Uuid;

use super::{
    Page, check_amount, check_optional_text, check_text, check_year, member_filter, org_filter,
};
use crate::domain::allocation::AllocationState;
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::money::Money;

/// 拨付 — what the committee decided for one member: the amount, from the
/// year's fund to the member's grassroots organisation.
///
/// The member and the organisation are named by id only: their names and
/// paths are the ledger's, looked up when the allocation is made (see
/// [`crate::register`]). `member_name` and the organisation's `path` and
/// `name` in the request are output only and ignored (AIP-203).
#[derive(Debug, Clone)]
pub struct AllocationOrder {
    pub application_id: String,
    pub decision_id: String,
    pub meeting_number: String,
    pub meeting_date: Option<Date>,
    /// The member, compared as a UUID (however the caller wrote it).
    pub member_id: Uuid,
    /// The organisation that receives and pays it: the member's branch or a
    /// node above it, below the committee. `None`: the member's branch.
    pub org_id: Option<i64>,
    pub year: i32,
    pub relief_type: ReliefType,
    pub category: HardshipCategory,
    pub amount: Money,
    pub special_case: bool,
    pub special_case_reason: String,
}

impl AllocationOrder {
    /// Parses a request; the organisation, if named, must not be the
    /// committee (`committee_id`), which holds the fund rather than pays.
    pub fn parse(
        request: pb::CreateAllocationRequest,
        committee_id: i64,
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
        let member_id = ids::uuid(&given.member_id, "allocation.member_id", &mut v);
        let org_id = match given.org.as_ref().map_or(0, |org| org.org_id) {
            0 => None,
            id if id < 0 => {
                v.add(
                    "allocation.org.org_id",
                    "must be a positive organisation id (or 0: the member's branch)",
                );
                None
            }
            id if id == committee_id => {
                v.add(
                    "allocation.org.org_id",
                    "must be below the committee: the committee holds the fund, a unit's organisation pays",
                );
                None
            }
            id => Some(id),
        };
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
        let (Some(member_id), Some(relief_type), Some(category), true) =
            (member_id, relief_type, category, v.is_empty())
        else {
            return Err(v);
        };
        Ok(AllocationOrder {
            application_id: given.application_id,
            decision_id: decision.decision_id,
            meeting_number: decision.meeting_number,
            meeting_date,
            member_id,
            org_id,
            year: given.year,
            relief_type,
            category,
            amount,
            special_case: given.special_case,
            special_case_reason: given.special_case_reason,
        })
    }

    /// The posting's reason, as the committee's books word it, for the
    /// member registered as `member_name`.
    pub fn posting_reason(&self, member_name: &str) -> String {
        format!(
            "拨付 {} {}（{}，{}）",
            member_name,
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
        let member_id = member_filter(&request.member_id, &mut v);
        let page = Page::parse("ListAllocations", &request, &mut v);
        check_optional_text(&request.application_id, "application_id", 128, &mut v);
        v.then(|| AllocationListing {
            state,
            relief_type,
            year: request.year,
            member_id,
            application_id: request.application_id,
            org_id,
            page,
        })
    }
}
