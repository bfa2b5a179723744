//! What a row of the matrix says: the method, what it needs (the oracle,
//! written from SPEC §1–§2 and issue 8, not read from the services), where
//! the thing it acts on lies, and how to build a request aimed at a target.

use futures::future::BoxFuture;
use relief_runtime::auth::{Permission, Role};
use tonic::Code;

use super::call::Outcome;
use super::fixture::Fixture;

pub const LEDGER: &str = "relief.ledger.v1.LedgerService";
pub const FUNDS: &str = "relief.funds.v1.FundsService";
pub const IDENTITY: &str = "relief.gateway.v1.IdentityService";
pub const APPLICATIONS: &str = "relief.workflow.v1.ApplicationService";
pub const COMMITTEE: &str = "relief.workflow.v1.CommitteeService";
pub const CALENDAR: &str = "relief.workflow.v1.CalendarService";
pub const AUDIT: &str = "relief.workflow.v1.AuditService";
pub const CAMPAIGNS: &str = "relief.workflow.v1.CampaignService";
pub const NOTIFY: &str = "relief.notify.v1.NotificationService";

/// What a caller must hold to be allowed at all.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Nobody is refused for who they are (logging in, refreshing).
    Open,
    /// Any caller with a valid token (who am I, logging out).
    SignedIn,
    /// One of these permissions.
    AnyOf(&'static [Permission]),
    /// Every one of these permissions (a read that also reveals).
    AllOf(&'static [Permission]),
    /// Administering identities with every permission this role confers
    /// (issue 8 item 6: no grant confers, and no takeover of an account
    /// yields, a permission the administrator lacks).
    Confers(Role),
    /// Only the own principal of the service of this name (one service
    /// writing into another on its own account): no user role, wherever bound.
    /// (The name says which service, for the reader of the row: every caller
    /// of the matrix is a user, so none is it.)
    ServicePrincipal(#[allow(dead_code)] &'static str),
    /// A relief case's (issue 10): one of `any` over the case's branch, or
    /// one of `own` as the case's applicant. No caller of the matrix is the
    /// applicant of the fixture's cases, so a caller holding only `own` is
    /// refused as out of scope everywhere (`NOT_FOUND` where the case is
    /// hidden: it learns nothing of a case not its own).
    Case {
        any: &'static [Permission],
        own: &'static [Permission],
    },
    /// Whoever is bound on the target's branch or above, in any role but
    /// these (the public notice is public inside the unit, SPEC §4.3):
    /// scoped, though no permission names it.
    InUnit(&'static [Role]),
}

impl Need {
    /// Whether `role` holds what is needed, wherever bound.
    pub fn held_by(self, role: Role) -> bool {
        match self {
            Need::Open | Need::SignedIn => true,
            Need::InUnit(except) => !except.contains(&role),
            Need::Case { any, own } => any.iter().chain(own).any(|p| role.grants(*p)),
            Need::ServicePrincipal(_) => false,
            Need::AnyOf(permissions) => permissions.iter().any(|p| role.grants(*p)),
            Need::AllOf(permissions) => permissions.iter().all(|p| role.grants(*p)),
            Need::Confers(conferred) => {
                role.grants(Permission::IdentityAdmin)
                    && Permission::ALL
                        .into_iter()
                        .filter(|p| conferred.grants(*p))
                        .all(|p| role.grants(p))
            }
        }
    }

    /// Whether `role` holds what is needed only as an applicant (see
    /// [`Need::Case`]): never enough for a caller of the matrix.
    pub fn only_as_applicant(self, role: Role) -> bool {
        match self {
            Need::Case { any, .. } => !any.iter().any(|p| role.grants(*p)),
            _ => false,
        }
    }
}

/// Where the thing a method acts on lies in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In the target's subtree (its branch): the caller's binding must cover it.
    Target,
    /// It belongs to the committee — the year's budget, the standards it
    /// sets, a service's whole audit trail: only a binding at the root covers it.
    Committee,
    /// Not bound to any node: holding the permission anywhere suffices.
    Anywhere,
    /// An act of a level above the target's branch on a case in it (a
    /// superior review, a committee proposal): the caller's binding must
    /// cover that level, and a caller whose subtree does not hold the case
    /// (a hidden row) is not told it exists.
    Above(Level),
    /// The yearly campaign's unit the target's branch lies in (issue 11):
    /// seen by whoever is bound over the unit or inside it (a branch sees
    /// its unit's progress); acted on as the [`CampaignAct`] says.
    Campaign(CampaignAct),
}

/// Who acts on a campaign unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignAct {
    /// Whoever sees the unit.
    Read,
    /// The target's branch (its meeting, its notice): a binding covering it.
    Branch,
    /// The unit itself (collect, submit): a binding covering the unit.
    Unit,
}

/// A level of review above a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The branch's superior organisation (the fixture's U or V).
    Superior,
    /// The committee, the root.
    Committee,
}

impl Scope {
    /// Whether a row of this scope is aimed at each target, or at one.
    pub fn per_target(self) -> bool {
        matches!(self, Scope::Target | Scope::Above(_) | Scope::Campaign(_))
    }
}

/// The branch a request is aimed at, seen from a caller bound at branch A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Branch A itself.
    Own,
    /// Branch A', A's sibling under the same unit U.
    Sibling,
    /// Branch B, under another unit V.
    Other,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Own, Target::Sibling, Target::Other];

    pub fn label(self) -> &'static str {
        match self {
            Target::Own => "own A",
            Target::Sibling => "sibling A'",
            Target::Other => "other B",
        }
    }
}

/// How a row builds its request (encoded) for a target.
#[derive(Clone, Copy)]
pub enum Build {
    Now(fn(&Fixture, Target) -> Vec<u8>),
    /// For requests that need a fresh secret first (a refresh token).
    Later(for<'a> fn(&'a Fixture, Target) -> BoxFuture<'a, Vec<u8>>),
}

/// One row: one method (or one variant of it, e.g. a read that reveals).
#[derive(Clone)]
pub struct Row {
    pub service: &'static str,
    pub method: &'static str,
    /// Empty, or what distinguishes this row from the method's main row.
    pub variant: &'static str,
    pub need: Need,
    pub scope: Scope,
    /// The answer to a caller who holds the permission but not over the
    /// target: `PERMISSION_DENIED`, or `NOT_FOUND` where the service
    /// deliberately hides that the object exists.
    pub out_of_scope: Code,
    pub build: Build,
    /// Reads an OK answer for a refusal it carries inside (an import answers
    /// OK with each row's refusal).
    pub answer: Option<fn(&[u8]) -> Outcome>,
    /// A mismatch known to be a hole in the service today: printed, not failed.
    pub known_hole: Option<&'static str>,
    /// What the method lets in at all, where this variant needs less of a
    /// caller (a return for material at one level of several): a caller it
    /// lets in who may not see the hidden case learns nothing of it
    /// (`NOT_FOUND`) before learning it may not act at this level.
    pub gate: Option<Need>,
}

impl Row {
    pub fn new(
        service: &'static str,
        method: &'static str,
        need: Need,
        scope: Scope,
        build: fn(&Fixture, Target) -> Vec<u8>,
    ) -> Row {
        Row {
            service,
            method,
            variant: "",
            need,
            scope,
            out_of_scope: Code::PermissionDenied,
            build: Build::Now(build),
            answer: None,
            known_hole: None,
            gate: None,
        }
    }

    pub fn later(
        service: &'static str,
        method: &'static str,
        need: Need,
        scope: Scope,
        build: for<'a> fn(&'a Fixture, Target) -> BoxFuture<'a, Vec<u8>>,
    ) -> Row {
        Row {
            build: Build::Later(build),
            ..Row::new(service, method, need, scope, |_, _| Vec::new())
        }
    }

    /// Outside the caller's subtree the object answers `NOT_FOUND`.
    pub fn hidden(mut self) -> Row {
        self.out_of_scope = Code::NotFound;
        self
    }

    pub fn variant(mut self, variant: &'static str) -> Row {
        self.variant = variant;
        self
    }

    pub fn answer(mut self, answer: fn(&[u8]) -> Outcome) -> Row {
        self.answer = Some(answer);
        self
    }

    /// The method's gate, wider than this variant's need (see [`Row::gate`]).
    pub fn gate(mut self, gate: Need) -> Row {
        self.gate = Some(gate);
        self
    }

    #[allow(dead_code)]
    pub fn known_hole(mut self, why: &'static str) -> Row {
        self.known_hole = Some(why);
        self
    }

    /// `package.Service/Method`.
    pub fn full_method(&self) -> String {
        format!("{}/{}", self.service, self.method)
    }

    /// The method, and the variant if any, for the report.
    pub fn label(&self) -> String {
        if self.variant.is_empty() {
            self.method.to_owned()
        } else {
            format!("{} ({})", self.method, self.variant)
        }
    }
}

/// Encodes a request.
pub fn msg<M: prost::Message>(message: M) -> Vec<u8> {
    message.encode_to_vec()
}

/// A fresh idempotency key: a write's retry is never what a cell tests.
pub fn rid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An etag no object has: a write aimed with it is authorised first and
/// then refused as stale (`ABORTED`), so an allowed cell changes nothing.
pub const STALE_ETAG: &str = "999999";
