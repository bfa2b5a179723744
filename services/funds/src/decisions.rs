//! 工委会议决定 — the committee decision an allocation cites, and the seam
//! where it will be checked with the workflow service, which owns decisions.
//!
//! Today no workflow service runs, so [`CitedOnly`] takes the citation
//! (decision id, meeting number and date) as the allocator gives it: the
//! allocation records it, the audit entry keeps it, and the inspection shows
//! it. When the workflow service exists, a [`DecisionCheck`] that asks it
//! (e.g. `ApplicationService/GetDecision` as the funds service's principal)
//! and refuses an allocation whose decision is unknown, undecided, of
//! another application or member, or of another amount, replaces it in
//! [`crate::Application::build`] — nothing else changes. (The other way the
//! issue allows, accepting allocations only from the workflow's principal,
//! is a role binding plus the same seam.)

use futures::future::BoxFuture;
use relief_runtime::error::Result;

use crate::domain::commands::AllocationOrder;
use crate::register::RegisteredMember;

/// Confirms that the committee decided what an allocation carries out.
pub trait DecisionCheck: Send + Sync {
    /// `Ok` when the decision cited by `order` stands for `member`; a
    /// refusal (FAILED_PRECONDITION with its reason) otherwise.
    fn confirm<'a>(
        &'a self,
        order: &'a AllocationOrder,
        member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>>;
}

/// Until the workflow service exists: the citation is recorded as given.
pub struct CitedOnly;

impl DecisionCheck for CitedOnly {
    fn confirm<'a>(
        &'a self,
        _order: &'a AllocationOrder,
        _member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}
