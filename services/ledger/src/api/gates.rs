//! Who may call each ledger RPC at all (see [`relief_runtime::auth::Gates`]):
//! the permission its handler checks on the resource's subtree, asked first
//! of the caller's roles wherever bound.

use relief_runtime::auth::Gate::{AnyOf, ServicePrincipal};
use relief_runtime::auth::Gates;
use relief_runtime::auth::Permission::*;

pub static GATES: Gates = Gates {
    service: "relief.ledger.v1.LedgerService",
    methods: &[
        ("CreateOrg", AnyOf(&[OrgManage])),
        ("GetOrg", AnyOf(&[OrgRead])),
        ("ListOrgs", AnyOf(&[OrgRead])),
        ("UpdateOrg", AnyOf(&[OrgManage])),
        ("CreateMember", AnyOf(&[MemberWrite])),
        ("GetMember", AnyOf(&[MemberRead])),
        ("FindMemberByIdNumber", AnyOf(&[MemberRead])),
        ("ListMembers", AnyOf(&[MemberRead])),
        ("UpdateMember", AnyOf(&[MemberWrite])),
        ("CreateRecord", AnyOf(&[RecordWrite])),
        ("GetRecord", AnyOf(&[RecordRead])),
        ("ListRecords", AnyOf(&[RecordRead])),
        ("UpdateRecord", AnyOf(&[RecordWrite])),
        ("RemoveRecord", AnyOf(&[RecordWrite])),
        ("RecogniseRecord", AnyOf(&[RecordRecognise])),
        ("RecordVerification", AnyOf(&[Verify])),
        // The workflow writes the relief a member received when the signed
        // receipt comes in; no user, whatever their roles.
        (
            "RecordReliefReceived",
            ServicePrincipal(super::records::RELIEF_RECORDER),
        ),
        ("ListHistory", AnyOf(&[RecordRead])),
        ("GetStatistics", AnyOf(&[RecordRead])),
        ("ImportMembers", AnyOf(&[MemberWrite])),
        ("ExportRegister", AnyOf(&[ExportForms])),
        ("ExportNewMembersForm", AnyOf(&[ExportForms])),
        ("ListSensitiveReads", AnyOf(&[AuditRead])),
        ("VerifyAuditChain", AnyOf(&[AuditRead])),
        ("ListAuditEntries", AnyOf(&[AuditRead])),
    ],
};

#[cfg(test)]
mod tests {
    #[test]
    fn every_ledger_rpc_has_a_gate() {
        assert_eq!(super::GATES.mismatches(), Vec::<String>::new());
    }
}
