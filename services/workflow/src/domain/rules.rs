//! 救助规则 — the year rules a proposal and a decision are checked against
//! (measures §三 last paragraph, §五.1), without I/O: the caller gathers the
//! facts (the year's standards from funds, the member's other decisions, the
//! Spring Festival from [`crate::calendar`]) and gets one [`Check`] per rule.
//!
//! A rule that fails is VIOLATED, or SPECIAL_CASE when the committee is asked
//! to treat the case as special (特殊情况, with a reason) and the measures
//! allow it for that rule. Other-channel relief allows no special case: the
//! measures say a one-time relief is "not carried out" then, and offer the
//! Spring Festival visit instead.

use relief_proto::common::v1::{HardshipCategory, ReliefType};
use relief_proto::workflow::v1::{ReliefRule, RuleCheckOutcome};
use time::Date;
use uuid::Uuid;

/// Refused because a rule is violated and no special case was recorded.
pub const RULE_VIOLATED: &str = "RELIEF_RULE_VIOLATED";

/// What is proposed or decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub relief_type: ReliefType,
    /// The category the amount is based on.
    pub category: HardshipCategory,
    pub amount_fen: i64,
    /// 特殊情况, with a reason (the parser requires one).
    pub special_case: bool,
}

/// Another approved relief of the same member in the same year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub decision_id: Uuid,
    pub relief_type: ReliefType,
    pub meeting_date: Date,
}

/// What the rules look at besides the ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub year: i32,
    /// Every category the application meets (its own and the others).
    pub categories_met: Vec<HardshipCategory>,
    /// The year's standards for the asked relief type, by category (funds);
    /// a category without one is absent.
    pub standards: Vec<(HardshipCategory, i64)>,
    /// 已接受其他途径救助 — the household declared relief from other channels
    /// this year.
    pub other_channel_relief: bool,
    pub earlier_in_year: Vec<Earlier>,
    /// The day of the decision (the meeting), or today for a proposal.
    pub decided_on: Date,
    /// The Spring Festival of the relief year.
    pub spring_festival: Date,
    /// The case is marked urgent (急办): decided whenever needed.
    pub urgent: bool,
}

/// The result of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub rule: ReliefRule,
    pub outcome: RuleCheckOutcome,
    pub detail: String,
}

impl Check {
    /// As stored in `proposals.rule_checks`: `[rule, outcome, detail]`.
    pub fn triple(&self) -> (i32, i32, String) {
        (self.rule as i32, self.outcome as i32, self.detail.clone())
    }
}

/// `123.45 元`.
pub fn yuan(fen: i64) -> String {
    format!("{}.{:02} 元", fen / 100, (fen % 100).abs())
}

pub fn category_name(category: HardshipCategory) -> &'static str {
    match category {
        HardshipCategory::MinimumLivingGuarantee => "享受城乡最低生活保障",
        HardshipCategory::MajorDisaster => "遭受重灾",
        HardshipCategory::MajorAccident => "突发性事故",
        HardshipCategory::MajorIllness => "重大疾病",
        HardshipCategory::Other => "其他困难",
        HardshipCategory::Unspecified => "未指定",
    }
}

pub fn relief_type_name(relief_type: ReliefType) -> &'static str {
    match relief_type {
        ReliefType::OneTimeRelief => "一次性困难救助",
        ReliefType::SpringFestivalVisit => "春节走访慰问",
        ReliefType::Unspecified => "未指定",
    }
}

/// The rule's name in the measures' words, for errors.
pub fn rule_name(rule: ReliefRule) -> &'static str {
    match rule {
        ReliefRule::OnceAYear => "年度内不重复救助慰问",
        ReliefRule::HighestCategoryOnly => "只给予最高帮扶额类的救助",
        ReliefRule::OtherChannelRelief => "已接受其他途径救助的不予一次性救助",
        ReliefRule::WithinStandard => "不超过救助标准",
        ReliefRule::BeforeSpringFestival => "春节前研究发放",
        ReliefRule::Unspecified => "未指定",
    }
}

/// A failed rule: SPECIAL_CASE when asked for and allowed, else VIOLATED.
fn failed(rule: ReliefRule, ask: &Ask, overridable: bool, detail: String) -> Check {
    let (outcome, detail) = if ask.special_case && overridable {
        (
            RuleCheckOutcome::SpecialCase,
            format!("{detail}；按特殊情况提请工委会议研究"),
        )
    } else {
        (RuleCheckOutcome::Violated, detail)
    };
    Check {
        rule,
        outcome,
        detail,
    }
}

fn passed(rule: ReliefRule, detail: String) -> Check {
    Check {
        rule,
        outcome: RuleCheckOutcome::Passed,
        detail,
    }
}

fn standard(facts: &Facts, category: HardshipCategory) -> Option<i64> {
    facts
        .standards
        .iter()
        .find(|(c, _)| *c == category)
        .map(|(_, fen)| *fen)
}

/// Every rule, in the proto's order.
pub fn check(ask: &Ask, facts: &Facts) -> Vec<Check> {
    vec![
        once_a_year(ask, facts),
        highest_category_only(ask, facts),
        other_channel_relief(ask, facts),
        within_standard(ask, facts),
        before_spring_festival(ask, facts),
    ]
}

/// The first rule that stops an approval, if any.
pub fn first_violated(checks: &[Check]) -> Option<&Check> {
    checks
        .iter()
        .find(|c| c.outcome == RuleCheckOutcome::Violated)
}

/// (c) 除特殊情况外，年度内对同一党员不进行重复救助慰问.
fn once_a_year(ask: &Ask, facts: &Facts) -> Check {
    let rule = ReliefRule::OnceAYear;
    match facts.earlier_in_year.first() {
        None => passed(rule, format!("{}年度内未曾救助慰问", facts.year)),
        Some(earlier) => failed(
            rule,
            ask,
            true,
            format!(
                "本年度已于 {} {}（决定 {}）",
                earlier.meeting_date,
                relief_type_name(earlier.relief_type),
                earlier.decision_id
            ),
        ),
    }
}

/// (a) 年度内同时符合多种条件的，只给予最高帮扶额类的救助: the amount is
/// based on one category met and is at most the highest standard of those.
fn highest_category_only(ask: &Ask, facts: &Facts) -> Check {
    let rule = ReliefRule::HighestCategoryOnly;
    if !facts.categories_met.contains(&ask.category) {
        // Not overridable: a special case changes amounts, not the facts.
        return failed(
            rule,
            ask,
            false,
            format!(
                "所依据的困难类别（{}）不在申请所符合的类别之中",
                category_name(ask.category)
            ),
        );
    }
    if facts.categories_met.len() < 2 {
        return passed(
            rule,
            format!("只符合一类困难情形（{}）", category_name(ask.category)),
        );
    }
    let highest = facts
        .categories_met
        .iter()
        .filter_map(|c| standard(facts, *c).map(|fen| (*c, fen)))
        .max_by_key(|(_, fen)| *fen);
    match highest {
        Some((category, fen)) if ask.amount_fen <= fen => passed(
            rule,
            format!(
                "符合 {} 类，按最高一类（{}，标准 {}）只救助一次",
                facts.categories_met.len(),
                category_name(category),
                yuan(fen)
            ),
        ),
        Some((category, fen)) => failed(
            rule,
            ask,
            true,
            format!(
                "金额 {} 超过所符合类别中最高一类（{}）的标准 {}",
                yuan(ask.amount_fen),
                category_name(category),
                yuan(fen)
            ),
        ),
        None => failed(
            rule,
            ask,
            true,
            format!("{}年度所符合的类别均未设定救助标准", facts.year),
        ),
    }
}

/// (b) 年度内已接受其他途径救助的，不执行一次性救助，可以走访慰问.
fn other_channel_relief(ask: &Ask, facts: &Facts) -> Check {
    let rule = ReliefRule::OtherChannelRelief;
    match (facts.other_channel_relief, ask.relief_type) {
        (false, _) => passed(rule, "本年度未接受其他途径救助".to_owned()),
        (true, ReliefType::OneTimeRelief) => failed(
            rule,
            ask,
            false,
            "本年度已接受其他途径救助，不予一次性困难救助；可按春节走访慰问办理".to_owned(),
        ),
        (true, _) => passed(
            rule,
            "本年度已接受其他途径救助，春节走访慰问仍可进行".to_owned(),
        ),
    }
}

/// (d) the amount is within the year's standard of the type and category.
fn within_standard(ask: &Ask, facts: &Facts) -> Check {
    let rule = ReliefRule::WithinStandard;
    let kind = relief_type_name(ask.relief_type);
    let category = category_name(ask.category);
    match standard(facts, ask.category) {
        Some(fen) if ask.amount_fen <= fen => passed(
            rule,
            format!(
                "金额 {} 未超过{}年度{}（{}）标准 {}",
                yuan(ask.amount_fen),
                facts.year,
                kind,
                category,
                yuan(fen)
            ),
        ),
        Some(fen) => failed(
            rule,
            ask,
            true,
            format!(
                "金额 {} 超过{}年度{}（{}）标准 {}",
                yuan(ask.amount_fen),
                facts.year,
                kind,
                category,
                yuan(fen)
            ),
        ),
        None => failed(
            rule,
            ask,
            true,
            format!("{}年度{}（{}）尚未设定救助标准", facts.year, kind, category),
        ),
    }
}

/// (e) 救助慰问资金原则上每年春节前研究发放；特殊情况可随时.
fn before_spring_festival(ask: &Ask, facts: &Facts) -> Check {
    let rule = ReliefRule::BeforeSpringFestival;
    if facts.decided_on < facts.spring_festival {
        return passed(
            rule,
            format!(
                "{} 研究，在{}年春节（{}）之前",
                facts.decided_on, facts.year, facts.spring_festival
            ),
        );
    }
    if facts.urgent {
        return passed(
            rule,
            format!(
                "急办：{}年春节（{}）之后随时研究",
                facts.year, facts.spring_festival
            ),
        );
    }
    failed(
        rule,
        ask,
        true,
        format!(
            "{} 研究，已过{}年春节（{}）",
            facts.decided_on, facts.year, facts.spring_festival
        ),
    )
}

#[cfg(test)]
mod tests;
