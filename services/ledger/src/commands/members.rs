//! Requests about members: registration, reads, listing and changes.

use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::time::{from_proto, today};
use time::Date;
use uuid::Uuid;

use super::{Page, mask_paths, reveal_reason};
use crate::domain::id_number::IdNumber;
use crate::domain::member::{
    Employment, FamilyPrivate, FamilyPublic, MemberDraft, Sensitive, check_text, valid_phone,
    validate_family, validate_new_member, validate_sensitive,
};
use relief_runtime::text::{MAX_LINE, MAX_REASON};

/// CreateMember: a member to register.
#[derive(Debug)]
pub struct NewMember(pub MemberDraft);

impl TryFrom<pb::CreateMemberRequest> for NewMember {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateMemberRequest) -> Result<Self, FieldViolations> {
        let Some(member) = request.member else {
            let mut violations = FieldViolations::new();
            violations.add("member", "required");
            return Err(violations);
        };
        validate_new_member(&member, today()).map(NewMember)
    }
}

/// GetMember: one member, masked, or revealed for a recorded reason.
#[derive(Debug)]
pub struct MemberRead {
    pub member_id: Uuid,
    pub reveal: Option<String>,
}

impl TryFrom<pb::GetMemberRequest> for MemberRead {
    type Error = FieldViolations;

    fn try_from(request: pb::GetMemberRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let member_id = ids::uuid(&request.member_id, "member_id", &mut violations);
        let reveal = reveal_reason(
            request.reveal_sensitive,
            &request.reveal_reason,
            &mut violations,
        );
        match member_id {
            Some(member_id) => violations.then(|| MemberRead { member_id, reveal }),
            None => Err(violations),
        }
    }
}

/// FindMemberByIdNumber.
#[derive(Debug)]
pub struct ByIdNumber(pub IdNumber);

impl TryFrom<pb::FindMemberByIdNumberRequest> for ByIdNumber {
    type Error = FieldViolations;

    fn try_from(request: pb::FindMemberByIdNumberRequest) -> Result<Self, FieldViolations> {
        IdNumber::parse(&request.id_number, today())
            .map(ByIdNumber)
            .map_err(|err| {
                let mut violations = FieldViolations::new();
                violations.add("id_number", err.to_string());
                violations
            })
    }
}

/// ListMembers: by name, in the caller's subtree or a part of it.
#[derive(Debug)]
pub struct MemberListing {
    pub org_id: Option<i64>,
    pub name_prefix: String,
    /// After the last member of the page before, by id: its token carries
    /// no name.
    pub page: Page<Uuid>,
}

impl TryFrom<pb::ListMembersRequest> for MemberListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListMembersRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListMembers", &request, &mut violations);
        violations.check_line("name_prefix", &request.name_prefix, MAX_LINE);
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        violations.then(|| MemberListing {
            org_id,
            name_prefix: request.name_prefix.trim().to_owned(),
            page,
        })
    }
}

/// The paths `UpdateMember` accepts.
const MEMBER_MASK_PATHS: [&str; 10] = [
    "name",
    "party_join_date",
    "work_unit",
    "employment_status",
    "phone",
    "address",
    "family_members",
    "sensitive",
    "receives_dibao",
    "receives_special_care",
];

/// UpdateMember: the fields named by the mask, each checked; `None` leaves
/// a field as it is. (No `Debug`: it holds sealed values.)
pub struct MemberChange {
    pub member_id: Uuid,
    pub version: i64,
    pub reason: String,
    pub name: Option<String>,
    pub party_join_date: Option<Date>,
    pub work_unit: Option<String>,
    pub employment: Option<Employment>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub family: Option<(Vec<FamilyPublic>, Vec<FamilyPrivate>)>,
    pub sensitive: Option<Sensitive>,
    pub receives_dibao: Option<bool>,
    pub receives_special_care: Option<bool>,
}

impl MemberChange {
    /// The sealed parts this change touches: their values never enter the
    /// history, but that they changed does.
    pub fn sealed_changed(&self) -> Vec<&'static str> {
        [
            ("sensitive", self.sensitive.is_some()),
            ("phone", self.phone.is_some()),
            ("family_members", self.family.is_some()),
        ]
        .into_iter()
        .filter_map(|(path, touched)| touched.then_some(path))
        .collect()
    }
}

impl TryFrom<pb::UpdateMemberRequest> for MemberChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateMemberRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let member = request.member.unwrap_or_default();
        let paths = mask_paths(request.update_mask.as_ref());
        if paths.is_empty() {
            violations.add("update_mask", "required: the fields to change");
        }
        for path in &paths {
            if !MEMBER_MASK_PATHS.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        violations.check_required_line(
            "reason",
            &request.reason,
            MAX_REASON,
            "required: why the member's information changes",
        );
        let member_id = ids::uuid(&member.member_id, "member.member_id", &mut violations);
        let version = ids::etag(&member.etag, "member.etag", &mut violations);
        let has = |name: &str| paths.iter().any(|path| path == name);

        let name = has("name").then(|| {
            check_text(&mut violations, "member.name", &member.name, true, 50);
            member.name.trim().to_owned()
        });
        let party_join_date = if has("party_join_date") {
            let date = from_proto(member.party_join_date.as_ref()).filter(|date| *date <= today());
            if date.is_none() {
                violations.add(
                    "member.party_join_date",
                    "a real date, not in the future, at 18 or older",
                );
            }
            date
        } else {
            None
        };
        let work_unit = has("work_unit").then(|| {
            check_text(
                &mut violations,
                "member.work_unit",
                &member.work_unit,
                true,
                100,
            );
            member.work_unit.trim().to_owned()
        });
        let employment = if has("employment_status") {
            let employment = Employment::from_proto(member.employment_status);
            if employment.is_none() {
                violations.add(
                    "member.employment_status",
                    "required: in post, retired, laid off or other",
                );
            }
            employment
        } else {
            None
        };
        let phone = has("phone").then(|| {
            if !member.phone.is_empty() && !valid_phone(&member.phone) {
                violations.add(
                    "member.phone",
                    "not a mobile (11 digits) or landline number",
                );
            }
            member.phone.trim().to_owned()
        });
        let address = has("address").then(|| {
            check_text(
                &mut violations,
                "member.address",
                &member.address,
                false,
                200,
            );
            member.address.trim().to_owned()
        });
        let family = has("family_members").then(|| {
            validate_family(
                &mut violations,
                "member.family_members",
                &member.family_members,
            )
        });
        let sensitive = has("sensitive").then(|| {
            validate_sensitive(
                &mut violations,
                "member.sensitive",
                &member.sensitive.clone().unwrap_or_default(),
            )
        });
        let receives_dibao = has("receives_dibao").then_some(member.receives_dibao);
        let receives_special_care =
            has("receives_special_care").then_some(member.receives_special_care);
        match (member_id, version) {
            (Some(member_id), Some(version)) => violations.then(|| MemberChange {
                member_id,
                version,
                reason: request.reason.trim().to_owned(),
                name,
                party_join_date,
                work_unit,
                employment,
                phone,
                address,
                family,
                sensitive,
                receives_dibao,
                receives_special_care,
            }),
            _ => Err(violations),
        }
    }
}
