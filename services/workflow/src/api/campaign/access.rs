//! Who may do what in a campaign (SPEC §1, §5): the department opens,
//! issues, accepts and returns; branches verify their own rows and record
//! their meeting and notice; the unit — its superior organisation, or a
//! branch directly under the committee — collects and submits; whoever reads
//! the register reads the campaign, each unit its own. Every check is made
//! on the unit's or row's path before anything else (a stale etag tells an
//! outsider nothing); a unit or row the caller may not see is NOT_FOUND.

use relief_runtime::auth::{Caller, Permission, in_subtree};
use relief_runtime::error::{Error, Result};

use crate::store::{CampaignRowRow, UnitRow};

/// Refused because the one who submitted would accept (SPEC §9).
pub const SAME_PERSON: &str = "SEPARATION_OF_DUTIES";

/// The department's acts: CampaignManage at the committee.
pub fn manage(caller: &Caller, committee_path: &str) -> Result<()> {
    caller.authorize(Permission::CampaignManage, committee_path)?;
    Ok(())
}

/// Whether the caller reads the register over the unit or inside it (a
/// branch of the unit sees the unit's progress and its own rows).
pub fn sees_unit(caller: &Caller, unit_path: &str) -> bool {
    caller.roles.iter().any(|binding| {
        binding.role.grants(Permission::RecordRead)
            && (in_subtree(unit_path, &binding.org_path)
                || in_subtree(&binding.org_path, unit_path))
    })
}

/// The caller may read `unit`; NOT_FOUND otherwise.
pub fn read_unit(caller: &Caller, unit: &UnitRow) -> Result<()> {
    if sees_unit(caller, &unit.unit_path) {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "campaign unit {}",
            unit.campaign_unit_id
        )))
    }
}

/// The caller may read `row` (its branch lies in the caller's subtree).
pub fn sees_row(caller: &Caller, row: &CampaignRowRow) -> bool {
    caller.may(Permission::RecordRead, &row.branch_path)
}

/// The branch's own acts on its rows, meeting and notice: Verify on the
/// branch (the unit's superior organisation holds it too, over its subtree).
pub fn branch(caller: &Caller, unit: &UnitRow, branch_path: &str) -> Result<()> {
    read_unit(caller, unit)?;
    caller.authorize(Permission::Verify, branch_path)?;
    Ok(())
}

/// The unit's own acts (collect, submit): CampaignSubmit on the unit's node
/// — its superior organisation, or the branch that is the unit.
pub fn unit(caller: &Caller, unit: &UnitRow) -> Result<()> {
    read_unit(caller, unit)?;
    caller.authorize(Permission::CampaignSubmit, &unit.unit_path)?;
    Ok(())
}

/// Whoever submitted the summary does not accept or return it.
pub fn not_the_submitter(caller: &Caller, unit: &UnitRow) -> Result<()> {
    if !unit.submitted_by_id.is_empty() && unit.submitted_by_id == caller.user_id {
        return Err(Error::refused(
            SAME_PERSON,
            "the one who submitted the summary does not also accept or return it",
        ));
    }
    Ok(())
}
