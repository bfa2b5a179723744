//! The year rules, each with a case that passes and one that does not.

use super::*;
use HardshipCategory::*;
use RuleCheckOutcome::*;
use time::macros::date;

fn ask() -> Ask {
    Ask {
        relief_type: ReliefType::OneTimeRelief,
        category: MajorIllness,
        amount_fen: 200_000,
        special_case: false,
    }
}

fn facts() -> Facts {
    Facts {
        year: 2027,
        categories_met: vec![MajorIllness],
        standards: vec![(MajorIllness, 300_000), (MinimumLivingGuarantee, 100_000)],
        other_channel_relief: false,
        earlier_in_year: Vec::new(),
        decided_on: date!(2026 - 12 - 01),
        spring_festival: date!(2027 - 02 - 06),
        urgent: false,
    }
}

fn outcome(ask: &Ask, facts: &Facts, rule: ReliefRule) -> RuleCheckOutcome {
    check(ask, facts)
        .into_iter()
        .find(|c| c.rule == rule)
        .map(|c| c.outcome)
        .expect("every rule is checked")
}

#[test]
fn a_plain_case_passes_every_rule_in_order() {
    let checks = check(&ask(), &facts());
    let rules: Vec<i32> = checks.iter().map(|c| c.rule as i32).collect();
    assert_eq!(rules, vec![1, 2, 3, 4, 5]);
    assert!(checks.iter().all(|c| c.outcome == Passed), "{checks:?}");
    assert!(first_violated(&checks).is_none());
}

#[test]
fn several_categories_only_the_highest_standard() {
    let mut facts = facts();
    facts.categories_met = vec![MinimumLivingGuarantee, MajorIllness];
    let mut ask = ask();
    ask.category = MinimumLivingGuarantee;
    ask.amount_fen = 300_000;
    // Within the highest (illness, 3000), though above the category's own.
    assert_eq!(
        outcome(&ask, &facts, ReliefRule::HighestCategoryOnly),
        Passed
    );
    assert_eq!(outcome(&ask, &facts, ReliefRule::WithinStandard), Violated);
    ask.amount_fen = 300_001;
    assert_eq!(
        outcome(&ask, &facts, ReliefRule::HighestCategoryOnly),
        Violated
    );
    ask.special_case = true;
    assert_eq!(
        outcome(&ask, &facts, ReliefRule::HighestCategoryOnly),
        SpecialCase
    );
    // A category the application does not meet is no basis, special or not.
    ask.category = MajorDisaster;
    assert_eq!(
        outcome(&ask, &facts, ReliefRule::HighestCategoryOnly),
        Violated
    );
}

#[test]
fn other_channel_relief_allows_the_visit_only_even_as_a_special_case() {
    let mut facts = facts();
    facts.other_channel_relief = true;
    let mut ask = ask();
    ask.special_case = true;
    let checks = check(&ask, &facts);
    let violated = first_violated(&checks).expect("one-time relief refused");
    assert_eq!(violated.rule, ReliefRule::OtherChannelRelief);
    assert!(
        violated.detail.contains("春节走访慰问"),
        "{}",
        violated.detail
    );
    ask.relief_type = ReliefType::SpringFestivalVisit;
    assert_eq!(
        outcome(&ask, &facts, ReliefRule::OtherChannelRelief),
        Passed
    );
}

#[test]
fn a_second_relief_in_the_year_only_as_a_special_case() {
    let mut facts = facts();
    facts.earlier_in_year = vec![Earlier {
        decision_id: Uuid::from_u128(9),
        relief_type: ReliefType::SpringFestivalVisit,
        meeting_date: date!(2026 - 11 - 20),
    }];
    let mut ask = ask();
    let checks = check(&ask, &facts);
    let violated = first_violated(&checks).expect("a repeat");
    assert_eq!(violated.rule, ReliefRule::OnceAYear);
    assert!(violated.detail.contains("2026-11-20 春节走访慰问"));
    ask.special_case = true;
    assert_eq!(outcome(&ask, &facts, ReliefRule::OnceAYear), SpecialCase);
}

#[test]
fn within_the_standard_and_none_set() {
    let mut ask = ask();
    ask.amount_fen = 300_000;
    assert_eq!(outcome(&ask, &facts(), ReliefRule::WithinStandard), Passed);
    ask.amount_fen = 300_001;
    assert_eq!(
        outcome(&ask, &facts(), ReliefRule::WithinStandard),
        Violated
    );
    let mut unset = facts();
    unset.standards.clear();
    ask.amount_fen = 1;
    let check = check(&ask, &unset)
        .into_iter()
        .find(|c| c.rule == ReliefRule::WithinStandard)
        .expect("checked");
    assert_eq!(check.outcome, Violated);
    assert!(check.detail.contains("尚未设定"), "{}", check.detail);
}

#[test]
fn before_the_spring_festival_unless_urgent_or_special() {
    let mut facts = facts();
    facts.decided_on = date!(2027 - 02 - 05);
    assert_eq!(
        outcome(&ask(), &facts, ReliefRule::BeforeSpringFestival),
        Passed
    );
    facts.decided_on = date!(2027 - 02 - 06);
    assert_eq!(
        outcome(&ask(), &facts, ReliefRule::BeforeSpringFestival),
        Violated
    );
    let mut special = ask();
    special.special_case = true;
    assert_eq!(
        outcome(&special, &facts, ReliefRule::BeforeSpringFestival),
        SpecialCase
    );
    facts.urgent = true;
    assert_eq!(
        outcome(&ask(), &facts, ReliefRule::BeforeSpringFestival),
        Passed
    );
}

#[test]
fn stored_as_triples_and_yuan_shown_with_two_decimals() {
    let check = &check(&ask(), &facts())[3];
    let (rule, outcome, detail) = check.triple();
    assert_eq!((rule, outcome), (4, 1));
    assert!(detail.contains("2000.00 元"), "{detail}");
    assert!(detail.contains("3000.00 元"), "{detail}");
}
