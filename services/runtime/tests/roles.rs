//! The access matrix, written out: what each role of SPEC §1 may do. Every
//! (role, permission) pair is checked against `Role::grants`, so a change to
//! anyone's rights shows up here as a change to this table.

use relief_runtime::auth::Permission::{self, *};
use relief_runtime::auth::Role;

/// Each role and exactly the permissions it grants.
const MATRIX: [(Role, &[Permission]); 8] = [
    // 困难党员: applies, sees their own application, reads their inbox.
    (
        Role::Member,
        &[ApplicationSubmitOwn, ApplicationReadOwn, InboxRead],
    ),
    // 党支部专人: keeps the branch's register and cases, pays and records receipts.
    (
        Role::BranchStaff,
        &[
            OrgRead,
            MemberRead,
            MemberWrite,
            SensitiveRead,
            RecordRead,
            RecordWrite,
            Verify,
            ExportForms,
            ApplicationSubmit,
            ApplicationRead,
            BranchReview,
            ObjectionRaise,
            CampaignSubmit,
            FundsRead,
            DisbursementRecord,
            InboxRead,
        ],
    ),
    // 上级党组织: second review, submits the unit's summary, administers its users.
    (
        Role::SuperiorOrg,
        &[
            OrgRead,
            MemberRead,
            RecordRead,
            Verify,
            ExportForms,
            ApplicationRead,
            SuperiorReview,
            ObjectionRaise,
            CampaignSubmit,
            FundsRead,
            DisbursementRecord,
            InboxRead,
            NotifyOperate,
            IdentityAdmin,
        ],
    ),
    // 工委组织部: everything but a member's own acts, the committee's decision
    // and the budget (finance's).
    (
        Role::Department,
        &[
            OrgRead,
            OrgManage,
            MemberRead,
            MemberWrite,
            SensitiveRead,
            RecordRead,
            RecordWrite,
            RecordRecognise,
            Verify,
            ExportForms,
            AuditRead,
            ApplicationSubmit,
            ApplicationRead,
            BranchReview,
            ObjectionRaise,
            SuperiorReview,
            CommitteePropose,
            CampaignManage,
            CampaignSubmit,
            FundsAllocate,
            FundsRead,
            DisbursementRecord,
            Inspect,
            InboxRead,
            NotifyOperate,
            TemplateManage,
            IdentityAdmin,
        ],
    ),
    // 工委会议: decides.
    (
        Role::Committee,
        &[
            OrgRead,
            MemberRead,
            RecordRead,
            ExportForms,
            ApplicationRead,
            CommitteeDecide,
            FundsRead,
            Inspect,
            InboxRead,
        ],
    ),
    // 财务: budget, allocations, vouchers.
    (
        Role::Finance,
        &[
            OrgRead,
            MemberRead,
            RecordRead,
            ApplicationRead,
            FundsManage,
            FundsRead,
            Inspect,
            ExportForms,
            InboxRead,
        ],
    ),
    // 专项检查: reads everything, the audit trail, inspections.
    (
        Role::Auditor,
        &[
            OrgRead,
            MemberRead,
            SensitiveRead,
            RecordRead,
            ExportForms,
            AuditRead,
            ApplicationRead,
            FundsRead,
            Inspect,
            InboxRead,
        ],
    ),
    // 运维: runs the system and sees no personal data.
    (Role::Operations, &[OrgRead, InboxRead, NotifyOperate]),
];

/// The roles of service principals, never bound to a user.
const PRINCIPAL_MATRIX: [(Role, &[Permission]); 3] = [
    // An outbox relay: publishing events, nothing else.
    (Role::Relay, &[NotifyPublish]),
    // The notification service: organisations, and whom to tell where.
    (Role::Notifier, &[OrgRead, RecipientsRead]),
    // A service reading what it does not own: members, organisations, cases.
    (Role::Reader, &[OrgRead, MemberRead, ApplicationRead]),
];

#[test]
fn every_role_grants_exactly_its_row_of_the_matrix() {
    assert_eq!(
        MATRIX.iter().map(|(role, _)| *role).collect::<Vec<_>>(),
        Role::ALL,
        "the matrix covers every role once, in order"
    );
    assert_eq!(
        PRINCIPAL_MATRIX
            .iter()
            .map(|(role, _)| *role)
            .collect::<Vec<_>>(),
        Role::PRINCIPALS,
        "the principals' matrix covers every principal role once, in order"
    );
    let mut wrong = Vec::new();
    for (role, granted) in MATRIX.into_iter().chain(PRINCIPAL_MATRIX) {
        for permission in Permission::ALL {
            let expected = granted.contains(&permission);
            if role.grants(permission) != expected {
                wrong.push(format!(
                    "{role} {} {permission:?}",
                    if expected { "lacks" } else { "wrongly has" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "access matrix differs: {wrong:#?}");
}

#[test]
fn the_acts_kept_apart_are_never_held_by_one_role() {
    // Separation of duties (SPEC §9): whoever decides never pays or books.
    for role in Role::ALL {
        assert!(
            !(role.grants(CommitteeDecide) && role.grants(FundsManage)),
            "{role} both decides and manages funds"
        );
        assert!(
            !(role.grants(CommitteeDecide) && role.grants(DisbursementRecord)),
            "{role} both decides and pays"
        );
    }
}
