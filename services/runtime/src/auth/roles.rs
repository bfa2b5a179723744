//! The roles of SPEC §1, the permissions they grant, and a role bound to an
//! organisation node.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The roles of SPEC §1. The wire names are those of `relief.gateway.v1.Role`
/// in lower snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 困难党员 — applies, sees their own application, signs the receipt.
    Member,
    /// 党支部专人 / 支部书记 — keeps the branch's register and cases.
    BranchStaff,
    /// 上级党组织 — second review; submits the unit's yearly summary.
    SuperiorOrg,
    /// 工委组织部 — the organisation department: runs everything.
    Department,
    /// 工委会议 — the committee meeting: decides.
    Committee,
    /// 财务 — budget, allocations, vouchers.
    Finance,
    /// 专项检查 — read-only everything, audit trail, inspections.
    Auditor,
    /// 运维 — runs the system; sees no personal data.
    Operations,
    /// A service's outbox relay (never a user's): publishes events to the
    /// notification service, nothing else.
    Relay,
    /// The notification service's own principal (never a user's): reads
    /// organisations, and the users it must tell with their role bindings
    /// and contact details.
    Notifier,
    /// A service reading what it does not own (never a user's): the funds
    /// service reads members and organisations (ledger) and the decided
    /// cases its allocations cite (workflow), masked, and changes nothing.
    Reader,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Member,
        Role::BranchStaff,
        Role::SuperiorOrg,
        Role::Department,
        Role::Committee,
        Role::Finance,
        Role::Auditor,
        Role::Operations,
    ];

    /// Roles only a service's own principal holds: no user is bound to
    /// them (the gateway's bindings name the roles of [`Role::ALL`] only).
    pub const PRINCIPALS: [Role; 3] = [Role::Relay, Role::Notifier, Role::Reader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::BranchStaff => "branch_staff",
            Role::SuperiorOrg => "superior_org",
            Role::Department => "department",
            Role::Committee => "committee",
            Role::Finance => "finance",
            Role::Auditor => "auditor",
            Role::Operations => "operations",
            Role::Relay => "relay",
            Role::Notifier => "notifier",
            Role::Reader => "reader",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .chain(Role::PRINCIPALS)
            .find(|role| role.as_str() == name)
    }

    /// What the role may do, wherever it is bound.
    pub fn grants(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Member => matches!(
                permission,
                ApplicationSubmitOwn | ApplicationReadOwn | InboxRead
            ),
            Role::BranchStaff => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | MemberWrite
                    | SensitiveRead
                    | RecordRead
                    | RecordWrite
                    | Verify
                    | ExportForms
                    | ApplicationSubmit
                    | ApplicationRead
                    | BranchReview
                    | ObjectionRaise
                    | CampaignSubmit
                    | FundsRead
                    | DisbursementRecord
                    | InboxRead
            ),
            Role::SuperiorOrg => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | Verify
                    | ExportForms
                    | ApplicationRead
                    | SuperiorReview
                    | ObjectionRaise
                    | CampaignSubmit
                    | FundsRead
                    | DisbursementRecord
                    | InboxRead
                    // Held so it still appoints operations users in its
                    // subtree (a grant confers nothing the granter lacks);
                    // the notification service asks for it over the whole
                    // tree only, which a superior organisation never covers.
                    | NotifyOperate
                    | IdentityAdmin
            ),
            Role::Department => !matches!(
                permission,
                ApplicationSubmitOwn
                    | ApplicationReadOwn
                    | CommitteeDecide
                    | FundsManage
                    | NotifyPublish
                    | RecipientsRead
            ),
            Role::Committee => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | ExportForms
                    | ApplicationRead
                    | CommitteeDecide
                    | FundsRead
                    | Inspect
                    | InboxRead
            ),
            Role::Finance => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | RecordRead
                    | ApplicationRead
                    | FundsManage
                    | FundsRead
                    | Inspect
                    | ExportForms
                    | InboxRead
            ),
            Role::Auditor => matches!(
                permission,
                OrgRead
                    | MemberRead
                    | SensitiveRead
                    | RecordRead
                    | ExportForms
                    | AuditRead
                    | ApplicationRead
                    | FundsRead
                    | Inspect
                    | InboxRead
            ),
            Role::Operations => matches!(permission, OrgRead | InboxRead | NotifyOperate),
            Role::Relay => matches!(permission, NotifyPublish),
            Role::Notifier => matches!(permission, OrgRead | RecipientsRead),
            Role::Reader => matches!(permission, OrgRead | MemberRead | ApplicationRead),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller may do; every RPC checks one against a resource's org path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    OrgRead,
    /// Create and rename organisation nodes.
    OrgManage,
    /// Members and family, masked.
    MemberRead,
    MemberWrite,
    /// Unmasked ID numbers, health, income (each read recorded).
    SensitiveRead,
    RecordRead,
    RecordWrite,
    /// 认定 — recognise a register row.
    RecordRecognise,
    /// Yearly verification of register rows.
    Verify,
    ExportForms,
    AuditRead,
    ApplicationSubmit,
    ApplicationRead,
    /// A member's own application only.
    ApplicationSubmitOwn,
    ApplicationReadOwn,
    BranchReview,
    ObjectionRaise,
    SuperiorReview,
    CommitteePropose,
    CommitteeDecide,
    CampaignManage,
    CampaignSubmit,
    FundsManage,
    /// 拨付 — allocate relief after a committee decision, set the relief
    /// standards and reverse allocations: the department's share of the funds
    /// work (finance does the same under `FundsManage`).
    FundsAllocate,
    FundsRead,
    DisbursementRecord,
    Inspect,
    /// Publish an event to the notification service (a relay's).
    NotifyPublish,
    InboxRead,
    /// Read any user's inbox and the delivery log (operations).
    NotifyOperate,
    /// Change and preview the notification templates (the department's).
    TemplateManage,
    /// Read users' role bindings and unmasked contact details, to route
    /// notifications (the notification service's principal only).
    RecipientsRead,
    IdentityAdmin,
}

impl Permission {
    /// Every permission, for tables that must cover them all.
    pub const ALL: [Permission; 33] = [
        Permission::OrgRead,
        Permission::OrgManage,
        Permission::MemberRead,
        Permission::MemberWrite,
        Permission::SensitiveRead,
        Permission::RecordRead,
        Permission::RecordWrite,
        Permission::RecordRecognise,
        Permission::Verify,
        Permission::ExportForms,
        Permission::AuditRead,
        Permission::ApplicationSubmit,
        Permission::ApplicationRead,
        Permission::ApplicationSubmitOwn,
        Permission::ApplicationReadOwn,
        Permission::BranchReview,
        Permission::ObjectionRaise,
        Permission::SuperiorReview,
        Permission::CommitteePropose,
        Permission::CommitteeDecide,
        Permission::CampaignManage,
        Permission::CampaignSubmit,
        Permission::FundsManage,
        Permission::FundsAllocate,
        Permission::FundsRead,
        Permission::DisbursementRecord,
        Permission::Inspect,
        Permission::NotifyPublish,
        Permission::InboxRead,
        Permission::NotifyOperate,
        Permission::TemplateManage,
        Permission::RecipientsRead,
        Permission::IdentityAdmin,
    ];
}

/// One role on one organisation node, as carried in a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBinding {
    pub role: Role,
    /// Materialised path of the node, e.g. `/1/4/`; the grant covers its subtree.
    pub org_path: String,
}
