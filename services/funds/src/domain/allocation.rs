//! 拨付 — an allocation of relief to a unit's grassroots organisation for one
//! member after a committee decision, and how it goes on: paid (发放), then
//! receipted (签字回执 → 入帐凭证), or reversed (冲销) while still unpaid.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::Error;
use uuid::Uuid;

use super::Unknown;
use super::money::Money;
use super::refusal::{self, Refusal};

/// Where an allocation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllocationState {
    /// 已拨付 — at the organisation, not yet paid.
    Allocated,
    /// 已发放 — paid; the signed receipt is missing.
    Disbursed,
    /// 已入帐 — receipted; a voucher.
    Receipted,
    /// 已冲销 — reversed; the money is back in the fund.
    Reversed,
}

impl AllocationState {
    pub const ALL: [AllocationState; 4] = [
        AllocationState::Allocated,
        AllocationState::Disbursed,
        AllocationState::Receipted,
        AllocationState::Reversed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AllocationState::Allocated => "allocated",
            AllocationState::Disbursed => "disbursed",
            AllocationState::Receipted => "receipted",
            AllocationState::Reversed => "reversed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        AllocationState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    pub fn to_proto(self) -> pb::AllocationState {
        match self {
            AllocationState::Allocated => pb::AllocationState::Allocated,
            AllocationState::Disbursed => pb::AllocationState::Disbursed,
            AllocationState::Receipted => pb::AllocationState::Receipted,
            AllocationState::Reversed => pb::AllocationState::Reversed,
        }
    }

    pub fn from_proto(state: pb::AllocationState) -> Option<Self> {
        match state {
            pb::AllocationState::Unspecified => None,
            pb::AllocationState::Allocated => Some(AllocationState::Allocated),
            pb::AllocationState::Disbursed => Some(AllocationState::Disbursed),
            pb::AllocationState::Receipted => Some(AllocationState::Receipted),
            pb::AllocationState::Reversed => Some(AllocationState::Reversed),
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            AllocationState::Allocated => "已拨付",
            AllocationState::Disbursed => "已发放",
            AllocationState::Receipted => "已入帐",
            AllocationState::Reversed => "已冲销",
        }
    }

    /// Whether it counts (everything but a reversed allocation).
    pub fn is_live(self) -> bool {
        self != AllocationState::Reversed
    }

    /// The state after paying: only an allocated one can be paid.
    pub fn disburse(self) -> Result<AllocationState, Refusal> {
        let reason = match self {
            AllocationState::Allocated => return Ok(AllocationState::Disbursed),
            AllocationState::Reversed => refusal::ALLOCATION_REVERSED,
            AllocationState::Disbursed | AllocationState::Receipted => refusal::ALREADY_PAID,
        };
        Err(Refusal::new(
            reason,
            format!(
                "the allocation is {} ({}); only an allocation not yet paid can be paid",
                self.chinese(),
                self.as_str()
            ),
        ))
    }

    /// The state after the receipt: only a paid one gets a receipt.
    pub fn receipt(self) -> Result<AllocationState, Refusal> {
        let reason = match self {
            AllocationState::Disbursed => return Ok(AllocationState::Receipted),
            AllocationState::Allocated => refusal::NOT_PAID,
            AllocationState::Receipted => refusal::RECEIPT_EXISTS,
            AllocationState::Reversed => refusal::ALLOCATION_REVERSED,
        };
        Err(Refusal::new(
            reason,
            format!(
                "the allocation is {} ({}); a receipt is recorded for a payment without one",
                self.chinese(),
                self.as_str()
            ),
        ))
    }
}

/// As stored (`allocated`, `disbursed`, …).
impl TryFrom<String> for AllocationState {
    type Error = Unknown;

    fn try_from(text: String) -> Result<Self, Unknown> {
        AllocationState::parse(&text).ok_or(Unknown {
            what: "allocation state",
            value: text,
        })
    }
}

/// What the allocation's request asks, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct AllocationAsk {
    pub amount: Money,
    /// The year's standard for the type × category, if one is set.
    pub standard: Option<Money>,
    pub special_case: bool,
    /// Live allocations the member already has in the year.
    pub earlier_in_year: usize,
    /// The fund's unallocated balance.
    pub fund_balance: Money,
}

/// Why an allocation is refused although its fields are valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationRefused {
    /// 每份申请至多一次拨付 — the application has a live allocation.
    ApplicationAllocated { existing: Uuid },
    /// No budget, so no fund, for the year.
    BudgetNotSet { year: i32 },
    /// 年度内不重复救助 — the member had relief this year (measures §3).
    RepeatInYear { earlier: usize },
    /// 超标准 — above the year's standard.
    AboveStandard { amount: Money, standard: Money },
    /// The fund's balance does not cover it.
    FundShort { balance: Money, amount: Money },
}

impl AllocationRefused {
    /// The stable reason (`ErrorInfo.reason`).
    pub fn reason(&self) -> &'static str {
        match self {
            AllocationRefused::ApplicationAllocated { .. } => refusal::ALLOCATION_EXISTS,
            AllocationRefused::BudgetNotSet { .. } => refusal::BUDGET_NOT_SET,
            AllocationRefused::RepeatInYear { .. } => refusal::ONCE_A_YEAR,
            AllocationRefused::AboveStandard { .. } => refusal::ABOVE_STANDARD,
            AllocationRefused::FundShort { .. } => refusal::FUND_SHORTFALL,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            AllocationRefused::ApplicationAllocated { existing } => format!(
                "the application already has allocation {existing}; one allocation per application"
            ),
            AllocationRefused::BudgetNotSet { year } => {
                format!("the {year} budget is not set; set it before allocating")
            }
            AllocationRefused::RepeatInYear { earlier } => format!(
                "the member already has {earlier} allocation(s) this year; no repeated relief in a year (measures §3) unless the committee records a special case (special_case with special_case_reason)"
            ),
            AllocationRefused::AboveStandard { amount, standard } => format!(
                "{amount} is above the year's standard of {standard}; that needs the committee's special case (special_case with special_case_reason)"
            ),
            AllocationRefused::FundShort { balance, amount } => format!(
                "the year's fund holds {balance}, short of {amount}; top up the budget first"
            ),
        }
    }
}

/// A one-per-application refusal is a uniqueness rule (`ALREADY_EXISTS`); the
/// others are the state of the funds (`FAILED_PRECONDITION`).
impl From<AllocationRefused> for Error {
    fn from(refused: AllocationRefused) -> Self {
        match refused {
            AllocationRefused::ApplicationAllocated { .. } => {
                Error::exists(refused.reason(), refused.describe())
            }
            _ => Error::refused(refused.reason(), refused.describe()),
        }
    }
}

/// What the rules of a new allocation look at, as stored when it is asked
/// for (read under the member's and year's lock).
#[derive(Debug, Clone, Copy)]
pub struct AllocationSituation {
    /// The application's live allocation, if it has one.
    pub existing: Option<Uuid>,
    /// Live allocations the member already has in the year.
    pub earlier_in_year: usize,
    /// The year's standard for the type × category, if one is set.
    pub standard: Option<Money>,
    /// The year's fund (its account and unallocated balance), once budgeted.
    pub fund: Option<(Uuid, Money)>,
}

impl AllocationSituation {
    /// Whether `amount` may be allocated (a `special_case` recorded by the
    /// committee or not): the fund's account to allocate from, or why not.
    pub fn admit(
        &self,
        year: i32,
        amount: Money,
        special_case: bool,
    ) -> Result<Uuid, AllocationRefused> {
        if let Some(existing) = self.existing {
            return Err(AllocationRefused::ApplicationAllocated { existing });
        }
        let Some((fund, fund_balance)) = self.fund else {
            return Err(AllocationRefused::BudgetNotSet { year });
        };
        check_allocation(&AllocationAsk {
            amount,
            standard: self.standard,
            special_case,
            earlier_in_year: self.earlier_in_year,
            fund_balance,
        })?;
        Ok(fund)
    }
}

/// The rules of measures §3 and §4.5 for a new allocation: once a year and at
/// most the standard unless the committee recorded a special case, and never
/// more than the fund holds.
pub fn check_allocation(ask: &AllocationAsk) -> Result<(), AllocationRefused> {
    if ask.earlier_in_year > 0 && !ask.special_case {
        return Err(AllocationRefused::RepeatInYear {
            earlier: ask.earlier_in_year,
        });
    }
    if let Some(standard) = ask.standard
        && ask.amount > standard
        && !ask.special_case
    {
        return Err(AllocationRefused::AboveStandard {
            amount: ask.amount,
            standard,
        });
    }
    if ask.amount > ask.fund_balance {
        return Err(AllocationRefused::FundShort {
            balance: ask.fund_balance,
            amount: ask.amount,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask() -> AllocationAsk {
        AllocationAsk {
            amount: Money::from_fen(50_000),
            standard: Some(Money::from_fen(50_000)),
            special_case: false,
            earlier_in_year: 0,
            fund_balance: Money::from_fen(100_000),
        }
    }

    #[test]
    fn within_the_rules() {
        assert_eq!(check_allocation(&ask()), Ok(()));
        assert_eq!(
            check_allocation(&AllocationAsk {
                standard: None,
                ..ask()
            }),
            Ok(())
        );
    }

    #[test]
    fn once_a_year_unless_special() {
        let repeat = AllocationAsk {
            earlier_in_year: 1,
            ..ask()
        };
        assert_eq!(
            check_allocation(&repeat),
            Err(AllocationRefused::RepeatInYear { earlier: 1 })
        );
        assert_eq!(
            check_allocation(&AllocationAsk {
                special_case: true,
                ..repeat
            }),
            Ok(())
        );
    }

    #[test]
    fn above_standard_unless_special() {
        let above = AllocationAsk {
            amount: Money::from_fen(50_001),
            ..ask()
        };
        assert!(matches!(
            check_allocation(&above),
            Err(AllocationRefused::AboveStandard { .. })
        ));
        assert_eq!(
            check_allocation(&AllocationAsk {
                special_case: true,
                ..above
            }),
            Ok(())
        );
    }

    #[test]
    fn never_more_than_the_fund_even_when_special() {
        let short = AllocationAsk {
            amount: Money::from_fen(100_001),
            special_case: true,
            ..ask()
        };
        assert!(matches!(
            check_allocation(&short),
            Err(AllocationRefused::FundShort { .. })
        ));
    }

    #[test]
    fn admitted_from_the_fund_or_refused_with_its_reason() {
        let fund = Uuid::from_u128(7);
        let situation = AllocationSituation {
            existing: None,
            earlier_in_year: 0,
            standard: None,
            fund: Some((fund, Money::from_fen(10_000))),
        };
        let admit = |situation: AllocationSituation, fen| {
            situation
                .admit(2026, Money::from_fen(fen), false)
                .map_err(|refused| refused.reason())
        };
        assert_eq!(admit(situation, 10_000), Ok(fund));
        assert_eq!(admit(situation, 10_001), Err(refusal::FUND_SHORTFALL));
        let unbudgeted = AllocationSituation {
            fund: None,
            ..situation
        };
        assert_eq!(admit(unbudgeted, 1), Err(refusal::BUDGET_NOT_SET));
        let allocated = AllocationSituation {
            existing: Some(Uuid::from_u128(1)),
            earlier_in_year: 1,
            ..situation
        };
        assert_eq!(admit(allocated, 1), Err(refusal::ALLOCATION_EXISTS));
        let repeat = AllocationSituation {
            earlier_in_year: 1,
            ..situation
        };
        assert_eq!(admit(repeat, 1), Err(refusal::ONCE_A_YEAR));
    }

    #[test]
    fn states_move_forward_only() {
        use AllocationState::*;
        assert_eq!(Allocated.disburse(), Ok(Disbursed));
        assert!(Disbursed.disburse().is_err());
        assert!(Receipted.disburse().is_err());
        assert!(Reversed.disburse().is_err());
        assert_eq!(Disbursed.receipt(), Ok(Receipted));
        assert!(Allocated.receipt().is_err());
        assert!(Receipted.receipt().is_err());
        for state in AllocationState::ALL {
            assert_eq!(AllocationState::parse(state.as_str()), Some(state));
            assert_eq!(AllocationState::from_proto(state.to_proto()), Some(state));
        }
    }
}
