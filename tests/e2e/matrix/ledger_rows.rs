//! The register's rows (relief.ledger.v1.LedgerService). What each needs, from
//! SPEC §1–§3: the department alone shapes the tree and recognises rows;
//! branch staff keep their branch's members and rows and see them unmasked;
//! the superior organisation, the committee, finance and the auditor read;
//! the yearly verification is the branch's and the superior's; forms are
//! exported by whoever reads; the audit trail and the log of unmasked reads
//! are the auditor's (and the department's), over the whole service.

use prost::Message;
use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Permission::*;
use tonic::Code;

use super::call::Outcome;
use super::fixture::{new_member, new_record};
use super::rows::{LEDGER, Need, Row, STALE_ETAG, Scope, Target, msg, rid};

fn today() -> Option<common::Date> {
    Some(relief_runtime::time::to_proto(relief_runtime::time::today()))
}

fn mask(path: &str) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: vec![path.to_owned()],
    })
}

pub fn rows() -> Vec<Row> {
    use Need::{AllOf, AnyOf};
    use Scope::{Committee, Target as In};
    vec![
        Row::new(LEDGER, "CreateOrg", AnyOf(&[OrgManage]), In, |f, t| {
            msg(pb::CreateOrgRequest {
                request_id: rid(),
                parent_id: f.at(t).org.org_id,
                kind: pb::OrgKind::Branch as i32,
                name: "矩阵新设党支部".into(),
                unit_name: "矩阵单位".into(),
            })
        }),
        Row::new(LEDGER, "GetOrg", AnyOf(&[OrgRead]), In, |f, t| {
            msg(pb::GetOrgRequest {
                org_id: f.at(t).org.org_id,
            })
        }),
        Row::new(LEDGER, "ListOrgs", AnyOf(&[OrgRead]), In, |f, t| {
            msg(pb::ListOrgsRequest {
                parent_id: f.at(t).org.org_id,
                whole_subtree: true,
                ..Default::default()
            })
        }),
        Row::new(LEDGER, "UpdateOrg", AnyOf(&[OrgManage]), In, |f, t| {
            msg(pb::UpdateOrgRequest {
                request_id: rid(),
                org: Some(pb::Org {
                    org_id: f.at(t).org.org_id,
                    name: "矩阵改名党支部".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                update_mask: mask("name"),
                reason: "矩阵测试".into(),
            })
        }),
        // The ID number is the branch member's: allowed, it is refused as
        // already registered; nothing is created.
        Row::new(LEDGER, "CreateMember", AnyOf(&[MemberWrite]), In, |f, t| {
            let branch = f.at(t);
            msg(pb::CreateMemberRequest {
                request_id: rid(),
                member: Some(new_member(&branch.org, "重复登记", &branch.id_number)),
            })
        }),
        Row::new(LEDGER, "GetMember", AnyOf(&[MemberRead]), In, |f, t| {
            msg(pb::GetMemberRequest {
                member_id: f.at(t).member.member_id.clone(),
                ..Default::default()
            })
        }),
        // SPEC §9: unmasked data only for roles that need it.
        Row::new(
            LEDGER,
            "GetMember",
            AllOf(&[MemberRead, SensitiveRead]),
            In,
            |f, t| {
                msg(pb::GetMemberRequest {
                    member_id: f.at(t).member.member_id.clone(),
                    reveal_sensitive: true,
                    reveal_reason: "核实困难情况".into(),
                })
            },
        )
        .variant("reveal"),
        // Outside the subtree the answer is that of an unknown number.
        Row::new(
            LEDGER,
            "FindMemberByIdNumber",
            AnyOf(&[MemberRead]),
            In,
            |f, t| {
                msg(pb::FindMemberByIdNumberRequest {
                    id_number: f.at(t).id_number.clone(),
                })
            },
        )
        .hidden(),
        Row::new(LEDGER, "ListMembers", AnyOf(&[MemberRead]), In, |f, t| {
            msg(pb::ListMembersRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(LEDGER, "UpdateMember", AnyOf(&[MemberWrite]), In, |f, t| {
            msg(pb::UpdateMemberRequest {
                request_id: rid(),
                member: Some(pb::Member {
                    member_id: f.at(t).member.member_id.clone(),
                    address: "矩阵路1号".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                update_mask: mask("address"),
                reason: "矩阵测试".into(),
            })
        }),
        Row::new(LEDGER, "CreateRecord", AnyOf(&[RecordWrite]), In, |f, t| {
            msg(new_record(&f.at(t).member.member_id))
        }),
        Row::new(LEDGER, "GetRecord", AnyOf(&[RecordRead]), In, |f, t| {
            msg(pb::GetRecordRequest {
                record_id: f.at(t).record.record_id.clone(),
                ..Default::default()
            })
        }),
        Row::new(
            LEDGER,
            "GetRecord",
            AllOf(&[RecordRead, SensitiveRead]),
            In,
            |f, t| {
                msg(pb::GetRecordRequest {
                    record_id: f.at(t).record.record_id.clone(),
                    reveal_sensitive: true,
                    reveal_reason: "核实家庭收入".into(),
                })
            },
        )
        .variant("reveal"),
        Row::new(LEDGER, "ListRecords", AnyOf(&[RecordRead]), In, |f, t| {
            msg(pb::ListRecordsRequest {
                org_id: f.at(t).org.org_id,
                ..Default::default()
            })
        }),
        Row::new(LEDGER, "UpdateRecord", AnyOf(&[RecordWrite]), In, |f, t| {
            msg(pb::UpdateRecordRequest {
                request_id: rid(),
                record: Some(pb::HardshipRecord {
                    record_id: f.at(t).record.record_id.clone(),
                    cause: "矩阵调整".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                update_mask: mask("cause"),
                reason: "矩阵测试".into(),
                ..Default::default()
            })
        }),
        Row::new(LEDGER, "RemoveRecord", AnyOf(&[RecordWrite]), In, |f, t| {
            msg(pb::RemoveRecordRequest {
                request_id: rid(),
                record_id: f.at(t).record.record_id.clone(),
                etag: STALE_ETAG.into(),
                reason: "矩阵测试".into(),
                until: None,
            })
        }),
        Row::new(
            LEDGER,
            "RecogniseRecord",
            AnyOf(&[RecordRecognise]),
            In,
            |f, t| {
                msg(pb::RecogniseRecordRequest {
                    request_id: rid(),
                    record_id: f.at(t).record.record_id.clone(),
                    etag: STALE_ETAG.into(),
                    comment: "矩阵测试".into(),
                })
            },
        ),
        Row::new(
            LEDGER,
            "RecordVerification",
            AnyOf(&[Verify]),
            In,
            |f, t| {
                msg(pb::RecordVerificationRequest {
                    request_id: rid(),
                    record_id: f.at(t).record.record_id.clone(),
                    etag: STALE_ETAG.into(),
                    verification: Some(pb::Verification {
                        year: f.year,
                        outcome: common::VerificationOutcome::Continue as i32,
                        findings: "仍然困难".into(),
                        branch_meeting_date: today(),
                        notice_start: today(),
                        notice_end: today(),
                        notice_result: "无异议".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            },
        ),
        // Issue 9: relief received is written by the workflow's own
        // principal alone; every user is refused, whatever their roles.
        Row::new(
            LEDGER,
            "RecordReliefReceived",
            Need::ServicePrincipal("workflow"),
            Scope::Anywhere,
            |f, t| {
                msg(pb::RecordReliefReceivedRequest {
                    request_id: rid(),
                    record_id: f.at(t).record.record_id.clone(),
                    year: f.year,
                    relief_type: common::ReliefType::SpringFestivalVisit as i32,
                    amount: Some(common::Money { fen: 50_000 }),
                    voucher_number: "矩阵-001".into(),
                    disbursement_id: rid(),
                    received_on: today(),
                })
            },
        ),
        Row::new(LEDGER, "ListHistory", AnyOf(&[RecordRead]), In, |f, t| {
            msg(pb::ListHistoryRequest {
                resource: format!("records/{}", f.at(t).record.record_id),
                ..Default::default()
            })
        }),
        Row::new(LEDGER, "GetStatistics", AnyOf(&[RecordRead]), In, |f, t| {
            msg(pb::GetStatisticsRequest {
                org_id: f.at(t).org.org_id,
                year: f.year,
            })
        }),
        // One row, the branch member again: allowed, it is refused as
        // already registered. Refused rows answer OK with the row's errors.
        Row::new(
            LEDGER,
            "ImportMembers",
            AnyOf(&[MemberWrite]),
            In,
            |f, t| {
                let branch = f.at(t);
                msg(pb::ImportRow {
                    row_number: 1,
                    request_id: rid(),
                    member: Some(new_member(&branch.org, "重复导入", &branch.id_number)),
                    record: None,
                })
            },
        )
        .answer(import_answer),
        Row::new(
            LEDGER,
            "ExportRegister",
            AnyOf(&[ExportForms]),
            In,
            |f, t| {
                msg(pb::ExportRegisterRequest {
                    org_id: f.at(t).org.org_id,
                    include_removed: true,
                    ..Default::default()
                })
            },
        ),
        // Issue 8 item 2: an unmasked form only for who may read sensitive data.
        Row::new(
            LEDGER,
            "ExportRegister",
            AllOf(&[ExportForms, SensitiveRead]),
            In,
            |f, t| {
                msg(pb::ExportRegisterRequest {
                    org_id: f.at(t).org.org_id,
                    include_removed: true,
                    reveal_sensitive: true,
                    reveal_reason: "年度核查".into(),
                })
            },
        )
        .variant("reveal"),
        Row::new(
            LEDGER,
            "ExportNewMembersForm",
            AnyOf(&[ExportForms]),
            In,
            |f, t| {
                msg(pb::ExportNewMembersFormRequest {
                    year: f.year,
                    org_id: f.at(t).org.org_id,
                    ..Default::default()
                })
            },
        ),
        Row::new(
            LEDGER,
            "ExportNewMembersForm",
            AllOf(&[ExportForms, SensitiveRead]),
            In,
            |f, t| {
                msg(pb::ExportNewMembersFormRequest {
                    year: f.year,
                    org_id: f.at(t).org.org_id,
                    reveal_sensitive: true,
                    reveal_reason: "年度备案".into(),
                })
            },
        )
        .variant("reveal"),
        Row::new(
            LEDGER,
            "ListSensitiveReads",
            AnyOf(&[AuditRead]),
            Committee,
            |f, _| {
                msg(pb::ListSensitiveReadsRequest {
                    resource: format!("members/{}", f.at(Target::Own).member.member_id),
                    ..Default::default()
                })
            },
        ),
        Row::new(
            LEDGER,
            "VerifyAuditChain",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::VerifyAuditChainRequest {}),
        ),
        Row::new(
            LEDGER,
            "ListAuditEntries",
            AnyOf(&[AuditRead]),
            Committee,
            |_, _| msg(common::ListAuditEntriesRequest::default()),
        ),
    ]
}

/// An import answers OK and refuses row by row: a row refused on its branch
/// (`member.branch.org_id`, the branch being real) is the import's
/// `PERMISSION_DENIED`; a row refused for anything else was allowed.
fn import_answer(answer: &[u8]) -> Outcome {
    let Ok(response) = pb::ImportMembersResponse::decode(answer) else {
        return Outcome {
            code: Code::Internal,
            detail: "the answer is no ImportMembersResponse".into(),
        };
    };
    let Some(row) = response.results.first() else {
        return Outcome {
            code: Code::Internal,
            detail: "no result for the row sent".into(),
        };
    };
    if row.ok {
        return Outcome::ok();
    }
    let errors = row
        .errors
        .iter()
        .map(|error| format!("{}: {}", error.field, error.description))
        .collect::<Vec<_>>()
        .join("; ");
    let on = |field: &str| row.errors.iter().any(|error| error.field == field);
    let code = if on("member.branch.org_id") {
        Code::PermissionDenied
    } else if on("member.id_number") {
        Code::AlreadyExists
    } else {
        Code::InvalidArgument
    };
    Outcome {
        code,
        detail: format!("row refused — {errors}"),
    }
}
