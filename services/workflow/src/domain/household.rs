//! 家庭情况 — the household facts an applicant declares (approval form,
//! measures §五.2). Income and health are sensitive (SPEC §9): sealed at
//! rest as this struct, shown whole only to a caller who may read sensitive
//! data and gives a reason, masked for everyone else.

use relief_proto::common::v1::Money;
use relief_proto::workflow::v1 as pb;
use relief_runtime::error::FieldViolations;
use serde::{Deserialize, Serialize};

/// At most this many household members on one application.
const MAX_MEMBERS: usize = 20;
/// Shown instead of a sensitive text for callers who may not read it.
pub const MASKED: &str = "***";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    pub size: i32,
    pub annual_income_fen: i64,
    pub member_monthly_income_fen: i64,
    pub income_source: String,
    pub low_income_guarantee: bool,
    pub special_care: bool,
    pub other_channel_relief: bool,
    pub other_channel_description: String,
    pub other_channel_amount_fen: i64,
    pub members: Vec<Relative>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relative {
    pub relation: String,
    pub name: String,
    pub age: i32,
    pub occupation: String,
    pub annual_income_fen: i64,
    pub health: String,
    pub able_to_work: bool,
}

fn fen(money: &Option<Money>) -> i64 {
    money.as_ref().map_or(0, |m| m.fen)
}

fn money(fen: i64) -> Option<Money> {
    Some(Money { fen })
}

impl Household {
    /// Parses the declared facts under `field` (e.g. `application.household`),
    /// naming every bad one.
    pub fn parse(
        facts: &pb::HouseholdFacts,
        field: &str,
        violations: &mut FieldViolations,
    ) -> Self {
        let at = |name: &str| format!("{field}.{name}");
        violations.check(
            !(1..=50).contains(&facts.household_size),
            &at("household_size"),
            "between 1 and 50",
        );
        for (name, value) in [
            (
                "annual_household_income",
                fen(&facts.annual_household_income),
            ),
            ("member_monthly_income", fen(&facts.member_monthly_income)),
            (
                "other_channel_relief_amount",
                fen(&facts.other_channel_relief_amount),
            ),
        ] {
            violations.check(value < 0, &at(name), "must not be negative");
        }
        violations.check_line(&at("income_source"), &facts.income_source, 100);
        violations.check_line(
            &at("other_channel_relief_description"),
            &facts.other_channel_relief_description,
            200,
        );
        violations.check(
            facts.members.len() > MAX_MEMBERS,
            &at("members"),
            "at most 20 household members",
        );
        for (i, relative) in facts.members.iter().enumerate().take(MAX_MEMBERS) {
            let at = |name: &str| format!("{field}.members[{i}].{name}");
            violations.check_required_line(
                &at("relation"),
                &relative.relation,
                20,
                "required, e.g. 配偶",
            );
            violations.check_required_line(&at("name"), &relative.name, 50, "required");
            violations.check(
                !(0..=150).contains(&relative.age),
                &at("age"),
                "between 0 and 150",
            );
            violations.check_line(&at("occupation"), &relative.occupation, 50);
            violations.check(
                fen(&relative.annual_income) < 0,
                &at("annual_income"),
                "must not be negative",
            );
            violations.check_line(&at("health"), &relative.health, 200);
        }
        Household {
            size: facts.household_size,
            annual_income_fen: fen(&facts.annual_household_income),
            member_monthly_income_fen: fen(&facts.member_monthly_income),
            income_source: facts.income_source.trim().to_owned(),
            low_income_guarantee: facts.receives_low_income_guarantee,
            special_care: facts.receives_special_care,
            other_channel_relief: facts.other_channel_relief_this_year,
            other_channel_description: facts.other_channel_relief_description.trim().to_owned(),
            other_channel_amount_fen: fen(&facts.other_channel_relief_amount),
            members: facts
                .members
                .iter()
                .take(MAX_MEMBERS)
                .map(|r| Relative {
                    relation: r.relation.trim().to_owned(),
                    name: r.name.trim().to_owned(),
                    age: r.age,
                    occupation: r.occupation.trim().to_owned(),
                    annual_income_fen: fen(&r.annual_income),
                    health: r.health.trim().to_owned(),
                    able_to_work: r.able_to_work,
                })
                .collect(),
        }
    }

    /// 人均月收入 — yearly household income per head per month, in fen.
    pub fn monthly_per_capita_fen(&self) -> i64 {
        if self.size <= 0 {
            0
        } else {
            self.annual_income_fen / i64::from(self.size) / 12
        }
    }

    /// The facts as the API shows them: whole when `reveal`, otherwise with
    /// income and health masked (figures zero, texts `***`) — the shape and
    /// the size stay, so a clerk sees that they were declared.
    pub fn to_proto(&self, reveal: bool) -> pb::HouseholdFacts {
        let amount = |fen: i64| if reveal { money(fen) } else { None };
        let text = |value: &str| {
            if reveal || value.is_empty() {
                value.to_owned()
            } else {
                MASKED.to_owned()
            }
        };
        pb::HouseholdFacts {
            household_size: self.size,
            annual_household_income: amount(self.annual_income_fen),
            monthly_per_capita_income: amount(self.monthly_per_capita_fen()),
            member_monthly_income: amount(self.member_monthly_income_fen),
            income_source: text(&self.income_source),
            receives_low_income_guarantee: self.low_income_guarantee,
            receives_special_care: self.special_care,
            other_channel_relief_this_year: self.other_channel_relief,
            other_channel_relief_description: self.other_channel_description.clone(),
            other_channel_relief_amount: money(self.other_channel_amount_fen),
            members: self
                .members
                .iter()
                .map(|r| pb::HouseholdMember {
                    relation: r.relation.clone(),
                    name: r.name.clone(),
                    age: r.age,
                    occupation: r.occupation.clone(),
                    annual_income: amount(r.annual_income_fen),
                    health: text(&r.health),
                    able_to_work: r.able_to_work,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> pb::HouseholdFacts {
        pb::HouseholdFacts {
            household_size: 3,
            annual_household_income: money(3_600_000),
            members: vec![pb::HouseholdMember {
                relation: "配偶".into(),
                name: "王芳".into(),
                age: 58,
                health: "糖尿病".into(),
                annual_income: money(1_200_000),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn per_capita_income_is_computed_and_masked_for_those_who_may_not_read_it() {
        let mut violations = FieldViolations::new();
        let household = Household::parse(&declared(), "household", &mut violations);
        assert!(violations.is_empty());
        assert_eq!(household.monthly_per_capita_fen(), 100_000);
        let masked = household.to_proto(false);
        assert_eq!(masked.members[0].health, MASKED);
        assert_eq!(masked.annual_household_income, None);
        assert_eq!(masked.members[0].annual_income, None);
        let whole = household.to_proto(true);
        assert_eq!(whole.members[0].health, "糖尿病");
    }

    #[test]
    fn every_bad_fact_is_named() {
        let mut facts = declared();
        facts.household_size = 0;
        facts.members[0].relation.clear();
        facts.members[0].age = -1;
        let mut violations = FieldViolations::new();
        Household::parse(&facts, "application.household", &mut violations);
        let fields: Vec<String> = violations
            .into_pairs()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "application.household.household_size",
                "application.household.members[0].relation",
                "application.household.members[0].age",
            ]
        );
    }
}
