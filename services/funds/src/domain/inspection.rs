//! 专项检查 — the special inspection of a year and an organisation subtree
//! (measures §5.3): totals by hardship category, relief type and unit, and
//! the findings — allocations not paid past a limit, payments without a
//! receipt past a limit, more than one relief to a member in the year,
//! allocations above the standard, and reversals. Pure: the store gathers
//! the facts, this decides what they show.

use std::collections::{BTreeMap, HashMap};

use relief_proto::common::v1::OrgRef;
use relief_proto::funds::v1 as pb;
use time::{Date, OffsetDateTime};

use super::account::PostingKind;
use super::allocation::AllocationState;
use super::category::{HardshipCategory, ReliefType};
use super::money::Money;
use super::year::days_between;

/// One allocation of the inspected year and subtree, reversed ones included.
#[derive(Debug, Clone)]
pub struct AllocationFact {
    pub allocation_id: String,
    pub member_id: String,
    pub member_name: String,
    pub org: OrgRef,
    pub relief_type: ReliefType,
    pub category: HardshipCategory,
    pub amount: Money,
    /// The standard recorded when it was allocated (zero: none then).
    pub standard_at_allocation: Money,
    pub special_case: bool,
    pub state: AllocationState,
    pub allocated_date: Date,
    /// The live (not reversed) payment, if any.
    pub payment: Option<PaymentFact>,
}

#[derive(Debug, Clone)]
pub struct PaymentFact {
    pub disbursement_id: String,
    pub paid_date: Date,
    pub amount: Money,
    pub receipted: bool,
}

/// A reversal posting of the year and subtree.
#[derive(Debug, Clone)]
pub struct ReversalFact {
    pub posting_id: String,
    pub reversal_of: String,
    pub reversed_kind: PostingKind,
    pub amount: Money,
    pub reason: String,
    pub authorised_by: String,
    pub posted_at: OffsetDateTime,
}

/// The inspection's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub unpaid_after_days: i32,
    pub receipt_missing_after_days: i32,
    pub as_of: Date,
}

/// The default limit of both findings, in days.
pub const DEFAULT_LIMIT_DAYS: i32 = 30;

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    count: i32,
    allocated: Money,
    paid: Money,
    receipted: Money,
}

impl Sums {
    fn add(&mut self, fact: &AllocationFact) {
        self.count += 1;
        self.allocated = self.allocated.saturating_add(fact.amount);
        if let Some(payment) = &fact.payment {
            self.paid = self.paid.saturating_add(payment.amount);
            if payment.receipted {
                self.receipted = self.receipted.saturating_add(payment.amount);
            }
        }
    }

    fn to_proto(self) -> Option<pb::InspectionTotals> {
        Some(pb::InspectionTotals {
            allocation_count: self.count,
            allocated: self.allocated.to_proto(),
            paid: self.paid.to_proto(),
            receipted: self.receipted.to_proto(),
        })
    }
}

/// The report's totals and findings (id, subtree, limits and stamp are the
/// caller's to fill).
pub fn inspect(
    allocations: &[AllocationFact],
    standards: &HashMap<(ReliefType, HardshipCategory), Money>,
    reversals: &[ReversalFact],
    limits: Limits,
) -> pb::InspectionReport {
    let live: Vec<&AllocationFact> = allocations
        .iter()
        .filter(|fact| fact.state.is_live())
        .collect();

    let mut total = Sums::default();
    let mut by_category: BTreeMap<HardshipCategory, Sums> = BTreeMap::new();
    let mut by_type: BTreeMap<ReliefType, Sums> = BTreeMap::new();
    let mut by_unit: BTreeMap<(String, i64), (OrgRef, Sums)> = BTreeMap::new();
    for fact in &live {
        total.add(fact);
        by_category.entry(fact.category).or_default().add(fact);
        by_type.entry(fact.relief_type).or_default().add(fact);
        by_unit
            .entry((fact.org.path.clone(), fact.org.org_id))
            .or_insert_with(|| (fact.org.clone(), Sums::default()))
            .1
            .add(fact);
    }

    let mut unpaid_allocations = Vec::new();
    let mut receipts_missing = Vec::new();
    let mut above_standard = Vec::new();
    for fact in &live {
        match &fact.payment {
            None => {
                let days = days_between(fact.allocated_date, limits.as_of);
                if days > i64::from(limits.unpaid_after_days) {
                    unpaid_allocations.push(pb::UnpaidAllocation {
                        allocation_id: fact.allocation_id.clone(),
                        member_id: fact.member_id.clone(),
                        member_name: fact.member_name.clone(),
                        unit: Some(fact.org.clone()),
                        amount: fact.amount.to_proto(),
                        allocated_date: Some(relief_runtime::time::to_proto(fact.allocated_date)),
                        days_outstanding: clamp_days(days),
                    });
                }
            }
            Some(payment) if !payment.receipted => {
                let days = days_between(payment.paid_date, limits.as_of);
                if days > i64::from(limits.receipt_missing_after_days) {
                    receipts_missing.push(pb::MissingReceipt {
                        disbursement_id: payment.disbursement_id.clone(),
                        allocation_id: fact.allocation_id.clone(),
                        member_id: fact.member_id.clone(),
                        member_name: fact.member_name.clone(),
                        unit: Some(fact.org.clone()),
                        amount: payment.amount.to_proto(),
                        paid_date: Some(relief_runtime::time::to_proto(payment.paid_date)),
                        days_outstanding: clamp_days(days),
                    });
                }
            }
            Some(_) => {}
        }
        let standard = if fact.standard_at_allocation.is_positive() {
            Some(fact.standard_at_allocation)
        } else {
            standards.get(&(fact.relief_type, fact.category)).copied()
        };
        if let Some(standard) = standard
            && fact.amount > standard
        {
            above_standard.push(pb::AboveStandard {
                allocation_id: fact.allocation_id.clone(),
                member_id: fact.member_id.clone(),
                member_name: fact.member_name.clone(),
                unit: Some(fact.org.clone()),
                relief_type: fact.relief_type.to_i32(),
                hardship_category: fact.category.to_i32(),
                amount: fact.amount.to_proto(),
                standard_amount: standard.to_proto(),
                special_case: fact.special_case,
            });
        }
    }

    // 重复救助: more than one live allocation to one member in the year. The
    // first one needs no special case; every later one does.
    let mut per_member: BTreeMap<&str, Vec<&AllocationFact>> = BTreeMap::new();
    for fact in &live {
        per_member.entry(&fact.member_id).or_default().push(fact);
    }
    let repeat_payments = per_member
        .into_values()
        .filter(|facts| facts.len() > 1)
        .map(|facts| pb::RepeatPayment {
            member_id: facts[0].member_id.clone(),
            member_name: facts[0].member_name.clone(),
            unit: Some(facts[0].org.clone()),
            allocation_ids: facts.iter().map(|f| f.allocation_id.clone()).collect(),
            total: facts.iter().map(|f| f.amount).sum::<Money>().to_proto(),
            special_case_recorded: facts.iter().skip(1).all(|f| f.special_case),
        })
        .collect();

    let reversals = reversals
        .iter()
        .map(|fact| pb::ReversalItem {
            posting_id: fact.posting_id.clone(),
            reversal_of: fact.reversal_of.clone(),
            reversed_kind: fact.reversed_kind.to_proto() as i32,
            amount: fact.amount.to_proto(),
            reason: fact.reason.clone(),
            authorised_by: fact.authorised_by.clone(),
            post_time: Some(relief_runtime::time::timestamp(fact.posted_at)),
        })
        .collect();

    pb::InspectionReport {
        totals: total.to_proto(),
        by_category: by_category
            .into_iter()
            .map(|(category, sums)| pb::CategoryTotal {
                hardship_category: category.to_i32(),
                totals: sums.to_proto(),
            })
            .collect(),
        by_relief_type: by_type
            .into_iter()
            .map(|(relief_type, sums)| pb::ReliefTypeTotal {
                relief_type: relief_type.to_i32(),
                totals: sums.to_proto(),
            })
            .collect(),
        by_unit: by_unit
            .into_values()
            .map(|(unit, sums)| pb::UnitTotal {
                unit: Some(unit),
                totals: sums.to_proto(),
            })
            .collect(),
        unpaid_allocations,
        receipts_missing,
        repeat_payments,
        above_standard,
        reversals,
        ..Default::default()
    }
}

fn clamp_days(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn org(id: i64) -> OrgRef {
        OrgRef {
            org_id: id,
            path: format!("/1/{id}/"),
            name: format!("单位{id}"),
        }
    }

    fn fact(id: &str, member: &str, amount: i64, state: AllocationState) -> AllocationFact {
        AllocationFact {
            allocation_id: id.to_owned(),
            member_id: member.to_owned(),
            member_name: member.to_owned(),
            org: org(4),
            relief_type: ReliefType::SpringFestivalVisit,
            category: HardshipCategory::MajorIllness,
            amount: Money::from_fen(amount),
            standard_at_allocation: Money::ZERO,
            special_case: false,
            state,
            allocated_date: date!(2026 - 01 - 05),
            payment: match state {
                AllocationState::Disbursed | AllocationState::Receipted => Some(PaymentFact {
                    disbursement_id: format!("d-{id}"),
                    paid_date: date!(2026 - 01 - 10),
                    amount: Money::from_fen(amount),
                    receipted: state == AllocationState::Receipted,
                }),
                _ => None,
            },
        }
    }

    fn limits() -> Limits {
        Limits {
            unpaid_after_days: 30,
            receipt_missing_after_days: 30,
            as_of: date!(2026 - 03 - 01),
        }
    }

    #[test]
    fn a_clean_year_has_no_findings() {
        let facts = [
            fact("a", "m1", 50_000, AllocationState::Receipted),
            fact("b", "m2", 50_000, AllocationState::Receipted),
        ];
        let standards = HashMap::from([(
            (
                ReliefType::SpringFestivalVisit,
                HardshipCategory::MajorIllness,
            ),
            Money::from_fen(50_000),
        )]);
        let report = inspect(&facts, &standards, &[], limits());
        assert!(report.unpaid_allocations.is_empty());
        assert!(report.receipts_missing.is_empty());
        assert!(report.repeat_payments.is_empty());
        assert!(report.above_standard.is_empty());
        let totals = report.totals.unwrap_or_default();
        assert_eq!(totals.allocation_count, 2);
        assert_eq!(totals.receipted.map(|m| m.fen), Some(100_000));
    }

    #[test]
    fn each_finding_once() {
        let mut above = fact("above", "m3", 80_000, AllocationState::Receipted);
        above.special_case = true;
        let mut second = fact("second", "m4", 10_000, AllocationState::Receipted);
        second.special_case = true;
        let facts = [
            fact("unpaid", "m1", 50_000, AllocationState::Allocated),
            fact("noreceipt", "m2", 50_000, AllocationState::Disbursed),
            above,
            fact("first", "m4", 10_000, AllocationState::Receipted),
            second,
            fact("gone", "m5", 10_000, AllocationState::Reversed),
            fact("gone2", "m1", 10_000, AllocationState::Reversed),
        ];
        let standards = HashMap::from([(
            (
                ReliefType::SpringFestivalVisit,
                HardshipCategory::MajorIllness,
            ),
            Money::from_fen(50_000),
        )]);
        let report = inspect(&facts, &standards, &[], limits());
        let ids = |items: Vec<String>| items;
        assert_eq!(
            ids(report
                .unpaid_allocations
                .iter()
                .map(|u| u.allocation_id.clone())
                .collect()),
            ["unpaid"]
        );
        assert_eq!(report.unpaid_allocations[0].days_outstanding, 55);
        assert_eq!(
            ids(report
                .receipts_missing
                .iter()
                .map(|u| u.allocation_id.clone())
                .collect()),
            ["noreceipt"]
        );
        assert_eq!(
            ids(report
                .above_standard
                .iter()
                .map(|u| u.allocation_id.clone())
                .collect()),
            ["above"]
        );
        assert_eq!(report.repeat_payments.len(), 1);
        assert_eq!(report.repeat_payments[0].member_id, "m4");
        assert!(report.repeat_payments[0].special_case_recorded);
        assert_eq!(report.totals.unwrap_or_default().allocation_count, 5);
    }

    #[test]
    fn limits_are_strict() {
        let facts = [fact("unpaid", "m1", 50_000, AllocationState::Allocated)];
        let just = Limits {
            as_of: date!(2026 - 02 - 04),
            ..limits()
        };
        assert!(
            inspect(&facts, &HashMap::new(), &[], just)
                .unpaid_allocations
                .is_empty()
        );
        let past = Limits {
            as_of: date!(2026 - 02 - 05),
            ..limits()
        };
        assert_eq!(
            inspect(&facts, &HashMap::new(), &[], past)
                .unpaid_allocations
                .len(),
            1
        );
    }
}
