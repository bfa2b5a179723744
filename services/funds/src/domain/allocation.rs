//! 拨付 — an allocation of relief to a unit's grassroots organisation for one
//! member after a committee decision, and how it goes on: paid (发放), then
//! receipted (签字回执 → 入帐凭证), or reversed (冲销) while still unpaid.

use relief_proto::common::v1 as common;
use relief_proto::funds::v1 as pb;

use super::money::Money;

/// 救助慰问方式 (measures §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReliefType {
    /// 一次性困难救助.
    OneTimeRelief,
    /// 春节走访慰问.
    SpringFestivalVisit,
}

impl ReliefType {
    pub const ALL: [ReliefType; 2] = [ReliefType::OneTimeRelief, ReliefType::SpringFestivalVisit];

    pub fn from_i32(value: i32) -> Option<Self> {
        match common::ReliefType::try_from(value).ok()? {
            common::ReliefType::Unspecified => None,
            common::ReliefType::OneTimeRelief => Some(ReliefType::OneTimeRelief),
            common::ReliefType::SpringFestivalVisit => Some(ReliefType::SpringFestivalVisit),
        }
    }

    pub fn to_i32(self) -> i32 {
        self.to_proto() as i32
    }

    pub fn to_proto(self) -> common::ReliefType {
        match self {
            ReliefType::OneTimeRelief => common::ReliefType::OneTimeRelief,
            ReliefType::SpringFestivalVisit => common::ReliefType::SpringFestivalVisit,
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            ReliefType::OneTimeRelief => "一次性困难救助",
            ReliefType::SpringFestivalVisit => "春节走访慰问",
        }
    }
}

/// 困难类别 (measures §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HardshipCategory {
    /// 低保.
    MinimumLivingGuarantee,
    /// 重大自然灾害.
    MajorDisaster,
    /// 重大意外事故.
    MajorAccident,
    /// 重大疾病.
    MajorIllness,
    /// 其他.
    Other,
}

impl HardshipCategory {
    pub const ALL: [HardshipCategory; 5] = [
        HardshipCategory::MinimumLivingGuarantee,
        HardshipCategory::MajorDisaster,
        HardshipCategory::MajorAccident,
        HardshipCategory::MajorIllness,
        HardshipCategory::Other,
    ];

    pub fn from_i32(value: i32) -> Option<Self> {
        match common::HardshipCategory::try_from(value).ok()? {
            common::HardshipCategory::Unspecified => None,
            common::HardshipCategory::MinimumLivingGuarantee => {
                Some(HardshipCategory::MinimumLivingGuarantee)
            }
            common::HardshipCategory::MajorDisaster => Some(HardshipCategory::MajorDisaster),
            common::HardshipCategory::MajorAccident => Some(HardshipCategory::MajorAccident),
            common::HardshipCategory::MajorIllness => Some(HardshipCategory::MajorIllness),
            common::HardshipCategory::Other => Some(HardshipCategory::Other),
        }
    }

    pub fn to_i32(self) -> i32 {
        self.to_proto() as i32
    }

    pub fn to_proto(self) -> common::HardshipCategory {
        match self {
            HardshipCategory::MinimumLivingGuarantee => {
                common::HardshipCategory::MinimumLivingGuarantee
            }
            HardshipCategory::MajorDisaster => common::HardshipCategory::MajorDisaster,
            HardshipCategory::MajorAccident => common::HardshipCategory::MajorAccident,
            HardshipCategory::MajorIllness => common::HardshipCategory::MajorIllness,
            HardshipCategory::Other => common::HardshipCategory::Other,
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            HardshipCategory::MinimumLivingGuarantee => "低保",
            HardshipCategory::MajorDisaster => "重大自然灾害",
            HardshipCategory::MajorAccident => "重大意外事故",
            HardshipCategory::MajorIllness => "重大疾病",
            HardshipCategory::Other => "其他",
        }
    }
}

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
    pub fn disburse(self) -> Result<AllocationState, String> {
        match self {
            AllocationState::Allocated => Ok(AllocationState::Disbursed),
            other => Err(format!(
                "the allocation is {} ({}); only an allocation not yet paid can be paid",
                other.chinese(),
                other.as_str()
            )),
        }
    }

    /// The state after the receipt: only a paid one gets a receipt.
    pub fn receipt(self) -> Result<AllocationState, String> {
        match self {
            AllocationState::Disbursed => Ok(AllocationState::Receipted),
            other => Err(format!(
                "the allocation is {} ({}); a receipt is recorded for a payment without one",
                other.chinese(),
                other.as_str()
            )),
        }
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
    /// 年度内不重复救助 — the member had relief this year (measures §3).
    RepeatInYear { earlier: usize },
    /// 超标准 — above the year's standard.
    AboveStandard { amount: Money, standard: Money },
    /// The fund's balance does not cover it.
    FundShort { balance: Money, amount: Money },
}

impl AllocationRefused {
    pub fn describe(&self) -> String {
        match self {
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
        for kind in ReliefType::ALL {
            assert_eq!(ReliefType::from_i32(kind.to_i32()), Some(kind));
        }
        for category in HardshipCategory::ALL {
            assert_eq!(
                HardshipCategory::from_i32(category.to_i32()),
                Some(category)
            );
        }
        assert_eq!(ReliefType::from_i32(0), None);
        assert_eq!(HardshipCategory::from_i32(9), None);
    }
}
