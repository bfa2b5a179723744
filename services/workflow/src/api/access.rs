//! Who may do what to an application (SPEC §1): applicants their own only
//! (the member role, bound to their branch); branch staff their branch;
//! superior organisations their subtree; the department and the committee
//! everything; auditors read. Every check is made on the application's
//! branch path, after the pipeline's gate and before anything else.

use relief_runtime::auth::{Caller, Permission};
use relief_runtime::error::{Error, Result};

use crate::store::ApplicationRow;

/// Refused because the one who did an act would approve it (SPEC §9).
pub const SAME_PERSON: &str = "SEPARATION_OF_DUTIES";

/// Whether the caller is the applicant of `app`, acting as a member.
fn is_own(caller: &Caller, app: &ApplicationRow, permission: Permission) -> bool {
    caller.member_id.as_deref() == Some(app.member_id.to_string().as_str())
        && caller.may(permission, &app.branch_path)
}

/// The caller may read `app`. A caller who may not learns nothing of it,
/// not even that it exists.
pub fn read(caller: &Caller, app: &ApplicationRow) -> Result<()> {
    if caller.may(Permission::ApplicationRead, &app.branch_path)
        || is_own(caller, app, Permission::ApplicationReadOwn)
    {
        Ok(())
    } else {
        Err(Error::not_found(format!(
            "application {}",
            app.application_id
        )))
    }
}

/// The caller may act for the applicant on `app` (update, submit, withdraw,
/// upload proof): the applicant themself, or branch staff of the branch.
pub fn applicant(caller: &Caller, app: &ApplicationRow) -> Result<()> {
    read(caller, app)?;
    if caller.may(Permission::ApplicationSubmit, &app.branch_path)
        || is_own(caller, app, Permission::ApplicationSubmitOwn)
    {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "only the applicant or the branch's staff may change application {}",
            app.application_id
        )))
    }
}

/// The caller holds `permission` over `path` (a review at a level), after
/// being allowed to read `app`.
pub fn reviewer(
    caller: &Caller,
    app: &ApplicationRow,
    permission: Permission,
    path: &str,
) -> Result<()> {
    read(caller, app)?;
    if caller.may(permission, path) {
        Ok(())
    } else {
        Err(Error::PermissionDenied(format!(
            "{permission:?} is not granted on {path} to this caller"
        )))
    }
}

/// Nobody reviews a case they applied for or entered, nor approves their own
/// earlier act on it (SPEC §9: whoever does an act never approves it).
pub fn not_the_same_person(
    caller: &Caller,
    app: &ApplicationRow,
    earlier: &[(&str, &str)],
) -> Result<()> {
    if caller.member_id.as_deref() == Some(app.member_id.to_string().as_str()) {
        return Err(Error::refused(
            SAME_PERSON,
            "an applicant never reviews their own application",
        ));
    }
    for (user_id, act) in earlier {
        if !user_id.is_empty() && *user_id == caller.user_id {
            return Err(Error::refused(
                SAME_PERSON,
                format!("the one who {act} does not also review it; another colleague must"),
            ));
        }
    }
    Ok(())
}
