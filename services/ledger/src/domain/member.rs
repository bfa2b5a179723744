//! 困难党员 — a member on the register, with family (家庭成员) and the
//! sensitive facts that are sealed at rest: what a valid member is.

use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::domain::id_number::IdNumber;

/// 性别, as written on the forms; stored as `male` / `female`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn to_proto(self) -> pb::Gender {
        match self {
            Sex::Male => pb::Gender::Male,
            Sex::Female => pb::Gender::Female,
        }
    }

    /// 男 / 女, for the forms.
    pub fn chinese(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// 在职 / 退休 / 下岗 / 其他 — stored as the number the API gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[repr(i32)]
pub enum Employment {
    InPost = 1,
    Retired = 2,
    LaidOff = 3,
    Other = 4,
}

impl Employment {
    /// `None` for an unknown or unspecified status.
    pub fn from_proto(status: i32) -> Option<Self> {
        match pb::EmploymentStatus::try_from(status).ok()? {
            pb::EmploymentStatus::InPost => Some(Employment::InPost),
            pb::EmploymentStatus::Retired => Some(Employment::Retired),
            pb::EmploymentStatus::LaidOff => Some(Employment::LaidOff),
            pb::EmploymentStatus::Other => Some(Employment::Other),
            pb::EmploymentStatus::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> pb::EmploymentStatus {
        match self {
            Employment::InPost => pb::EmploymentStatus::InPost,
            Employment::Retired => pb::EmploymentStatus::Retired,
            Employment::LaidOff => pb::EmploymentStatus::LaidOff,
            Employment::Other => pb::EmploymentStatus::Other,
        }
    }

    /// 在职 / 退休 / 下岗 / 其他, for the forms.
    pub fn chinese(self) -> &'static str {
        match self {
            Employment::InPost => "在职",
            Employment::Retired => "退休",
            Employment::LaidOff => "下岗",
            Employment::Other => "其他",
        }
    }
}

/// A family member's facts that anyone who may read the member may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyPublic {
    pub relation: String,
    pub name: String,
    pub age: i32,
    pub occupation: String,
    pub able_to_work: bool,
}

/// A family member's sensitive facts (income, health), sealed at rest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyPrivate {
    pub annual_income_fen: i64,
    pub health: String,
}

/// Everything about a member that is sealed at rest: ID number, phone, health,
/// income, bank account, and the family's incomes and health.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFacts {
    pub id_number: String,
    pub phone: String,
    pub health_status: String,
    pub disability: String,
    pub own_annual_income_fen: i64,
    pub income_source: String,
    pub bank_name: String,
    pub bank_account: String,
    pub family: Vec<FamilyPrivate>,
}

impl std::fmt::Debug for SealedFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedFacts(..)")
    }
}

impl SealedFacts {
    pub fn sensitive_proto(&self) -> pb::SensitiveInfo {
        pb::SensitiveInfo {
            health_status: self.health_status.clone(),
            disability: self.disability.clone(),
            own_annual_income: Some(money(self.own_annual_income_fen)),
            income_source: self.income_source.clone(),
            bank_name: self.bank_name.clone(),
            bank_account: self.bank_account.clone(),
        }
    }
}

pub fn money(fen: i64) -> relief_proto::common::v1::Money {
    relief_proto::common::v1::Money { fen }
}

/// A member that passed every check, ready to be stored.
#[derive(Debug, Clone)]
pub struct MemberDraft {
    pub branch_id: i64,
    pub name: String,
    pub sex: Sex,
    pub birth_date: Date,
    pub id_number: IdNumber,
    pub party_join_date: Date,
    pub work_unit: String,
    pub employment: Employment,
    pub address: String,
    pub receives_dibao: bool,
    pub receives_special_care: bool,
    pub family: Vec<FamilyPublic>,
    pub sealed: SealedFacts,
}

/// Upper bound of any yearly income: a guard against typing yuan as fen
/// twice over, not a policy (100 million yuan).
pub const MAX_INCOME_FEN: i64 = 10_000_000_000;

/// Checks a one-line text field of a member (the runtime's text rule: no
/// control characters, at most `max_chars` characters), required or not.
pub fn check_text(
    violations: &mut FieldViolations,
    field: &str,
    value: &str,
    required: bool,
    max_chars: usize,
) {
    if required {
        violations.check_required_line(field, value, max_chars, "required");
    } else {
        violations.check_line(field, value, max_chars);
    }
}

/// Mobile (11 digits starting with 1) or landline (optional area code, 7–8 digits).
pub fn valid_phone(phone: &str) -> bool {
    let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if phone.len() == 11 && phone.starts_with('1') && digits_only(phone) {
        return true;
    }
    let (area, local) = phone.split_once('-').unwrap_or(("", phone));
    let area_ok = area.is_empty()
        || (area.starts_with('0') && (3..=4).contains(&area.len()) && digits_only(area));
    let local_ok = (7..=8).contains(&local.len()) && digits_only(local);
    // A landline written without its dash: area code and number run together.
    let joined_ok = area.is_empty()
        && phone.starts_with('0')
        && (10..=12).contains(&phone.len())
        && digits_only(phone);
    (area_ok && local_ok) || joined_ok
}

fn check_income(violations: &mut FieldViolations, field: &str, fen: i64) {
    if fen < 0 {
        violations.add(field, "must not be negative");
    } else if fen > MAX_INCOME_FEN {
        violations.add(
            field,
            "implausibly large (more than 100,000,000 yuan); amounts are in fen",
        );
    }
}

/// Checks the family list; `prefix` is e.g. `member.family_members`.
pub fn validate_family(
    violations: &mut FieldViolations,
    prefix: &str,
    family: &[pb::FamilyMember],
) -> (Vec<FamilyPublic>, Vec<FamilyPrivate>) {
    if family.len() > 30 {
        violations.add(prefix, "at most 30 family members");
    }
    let mut public = Vec::with_capacity(family.len());
    let mut private = Vec::with_capacity(family.len());
    for (i, person) in family.iter().enumerate() {
        let field = |name: &str| format!("{prefix}[{i}].{name}");
        check_text(violations, &field("relation"), &person.relation, true, 20);
        check_text(violations, &field("name"), &person.name, false, 50);
        check_text(
            violations,
            &field("occupation"),
            &person.occupation,
            false,
            50,
        );
        check_text(violations, &field("health"), &person.health, false, 200);
        if !(0..=150).contains(&person.age) {
            violations.add(field("age"), "must be between 0 and 150");
        }
        let income = person.annual_income.as_ref().map_or(0, |money| money.fen);
        check_income(violations, &field("annual_income.fen"), income);
        public.push(FamilyPublic {
            relation: person.relation.trim().to_owned(),
            name: person.name.trim().to_owned(),
            age: person.age,
            occupation: person.occupation.trim().to_owned(),
            able_to_work: person.able_to_work,
        });
        private.push(FamilyPrivate {
            annual_income_fen: income,
            health: person.health.trim().to_owned(),
        });
    }
    (public, private)
}

/// The member's own sensitive facts (health, income, bank), as checked.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive {
    pub health_status: String,
    pub disability: String,
    pub own_annual_income_fen: i64,
    pub income_source: String,
    pub bank_name: String,
    pub bank_account: String,
}

impl SealedFacts {
    /// Replaces the member's own sensitive facts (ID number, phone and
    /// family stay).
    pub fn set_sensitive(&mut self, sensitive: Sensitive) {
        self.health_status = sensitive.health_status;
        self.disability = sensitive.disability;
        self.own_annual_income_fen = sensitive.own_annual_income_fen;
        self.income_source = sensitive.income_source;
        self.bank_name = sensitive.bank_name;
        self.bank_account = sensitive.bank_account;
    }
}

/// Whether someone born on `birth` was 18 or older (by year) when joining.
pub fn joined_as_adult(birth: Date, joined: Date) -> bool {
    joined.year() - birth.year() >= 18
}

/// Checks the sensitive block; `prefix` is e.g. `member.sensitive`.
pub fn validate_sensitive(
    violations: &mut FieldViolations,
    prefix: &str,
    sensitive: &pb::SensitiveInfo,
) -> Sensitive {
    let field = |name: &str| format!("{prefix}.{name}");
    check_text(
        violations,
        &field("health_status"),
        &sensitive.health_status,
        false,
        200,
    );
    check_text(
        violations,
        &field("disability"),
        &sensitive.disability,
        false,
        200,
    );
    check_text(
        violations,
        &field("income_source"),
        &sensitive.income_source,
        false,
        100,
    );
    check_text(
        violations,
        &field("bank_name"),
        &sensitive.bank_name,
        false,
        100,
    );
    check_text(
        violations,
        &field("bank_account"),
        &sensitive.bank_account,
        false,
        40,
    );
    if !sensitive.bank_account.is_empty()
        && !sensitive.bank_account.chars().all(|c| c.is_ascii_digit())
    {
        violations.add(field("bank_account"), "digits only");
    }
    let income = sensitive
        .own_annual_income
        .as_ref()
        .map_or(0, |money| money.fen);
    check_income(violations, &field("own_annual_income.fen"), income);
    Sensitive {
        health_status: sensitive.health_status.trim().to_owned(),
        disability: sensitive.disability.trim().to_owned(),
        own_annual_income_fen: income,
        income_source: sensitive.income_source.trim().to_owned(),
        bank_name: sensitive.bank_name.trim().to_owned(),
        bank_account: sensitive.bank_account.trim().to_owned(),
    }
}

/// Checks a member for registration. Field paths start with `member.`.
pub fn validate_new_member(
    member: &pb::Member,
    today: Date,
) -> Result<MemberDraft, FieldViolations> {
    let mut violations = FieldViolations::new();
    let branch_id = member.branch.as_ref().map_or(0, |branch| branch.org_id);
    if branch_id <= 0 {
        violations.add(
            "member.branch.org_id",
            "required: the branch the member belongs to",
        );
    }
    check_text(&mut violations, "member.name", &member.name, true, 50);
    check_text(
        &mut violations,
        "member.work_unit",
        &member.work_unit,
        true,
        100,
    );
    check_text(
        &mut violations,
        "member.address",
        &member.address,
        false,
        200,
    );

    let id_number = match IdNumber::parse(&member.id_number, today) {
        Ok(id) => Some(id),
        Err(err) => {
            violations.add("member.id_number", err.to_string());
            None
        }
    };
    if let Some(id) = &id_number {
        let gender = pb::Gender::try_from(member.gender).unwrap_or(pb::Gender::Unspecified);
        if gender != pb::Gender::Unspecified && gender != id.sex().to_proto() {
            violations.add("member.gender", "does not match the ID number (17th digit)");
        }
        if !relief_runtime::time::is_unset(member.birth_date.as_ref())
            && relief_runtime::time::from_proto(member.birth_date.as_ref()) != Some(id.birth_date())
        {
            violations.add(
                "member.birth_date",
                "does not match the birth date in the ID number",
            );
        }
    }
    let party_join_date = relief_runtime::time::from_proto(member.party_join_date.as_ref());
    match (party_join_date, &id_number) {
        (None, _) => violations.add("member.party_join_date", "required: a real date"),
        (Some(joined), _) if joined > today => {
            violations.add("member.party_join_date", "is in the future")
        }
        (Some(joined), Some(id)) if !joined_as_adult(id.birth_date(), joined) => violations.add(
            "member.party_join_date",
            "the member would have been under 18 when joining",
        ),
        _ => {}
    }
    let employment = Employment::from_proto(member.employment_status);
    if employment.is_none() {
        violations.add(
            "member.employment_status",
            "required: in post, retired, laid off or other",
        );
    }
    if !member.phone.is_empty() && !valid_phone(&member.phone) {
        violations.add(
            "member.phone",
            "not a mobile (11 digits) or landline number",
        );
    }
    let (family, family_private) = validate_family(
        &mut violations,
        "member.family_members",
        &member.family_members,
    );
    let mut sealed = SealedFacts {
        phone: member.phone.trim().to_owned(),
        family: family_private,
        ..SealedFacts::default()
    };
    if let Some(sensitive) = &member.sensitive {
        sealed.set_sensitive(validate_sensitive(
            &mut violations,
            "member.sensitive",
            sensitive,
        ));
    }

    match (
        id_number,
        party_join_date,
        employment,
        violations.is_empty(),
    ) {
        (Some(id_number), Some(party_join_date), Some(employment), true) => {
            sealed.id_number = id_number.as_str().to_owned();
            Ok(MemberDraft {
                branch_id,
                name: member.name.trim().to_owned(),
                sex: id_number.sex(),
                birth_date: id_number.birth_date(),
                id_number,
                party_join_date,
                work_unit: member.work_unit.trim().to_owned(),
                employment,
                address: member.address.trim().to_owned(),
                receives_dibao: member.receives_dibao,
                receives_special_care: member.receives_special_care,
                family,
                sealed,
            })
        }
        _ => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert!(valid_phone("13812345678"));
        assert!(valid_phone("3568222"));
        assert!(valid_phone("0391-3568222"));
        assert!(valid_phone("03913568222"));
        assert!(!valid_phone("1381234567"));
        assert!(!valid_phone("phone"));
    }
}
