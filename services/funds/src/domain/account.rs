//! 账户与分录 — the double-entry accounts. Money flows party-dues income →
//! the year's committee relief fund → an organisation's relief account → a
//! member's payout account, and back only by reversal. Every posting takes an
//! amount from one account (credit) and gives it to another (debit), so the
//! signed balances of all accounts always sum to zero.

use relief_proto::funds::v1 as pb;

use super::Unknown;
use super::money::Money;
use super::refusal::{self, Refusal};

/// 账户类别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// 工委党费救助资金 — the committee's fund of one year.
    CommitteeReliefFund,
    /// 基层党组织救助资金 — holds allocated money until it is paid out.
    OrgReliefAccount,
    /// 党员领取 — everything paid to one member.
    MemberPayout,
    /// 党费收入 — where a year's budget comes from.
    PartyDuesIncome,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [
        AccountKind::CommitteeReliefFund,
        AccountKind::OrgReliefAccount,
        AccountKind::MemberPayout,
        AccountKind::PartyDuesIncome,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::CommitteeReliefFund => "committee_relief_fund",
            AccountKind::OrgReliefAccount => "org_relief_account",
            AccountKind::MemberPayout => "member_payout",
            AccountKind::PartyDuesIncome => "party_dues_income",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        AccountKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn to_proto(self) -> pb::AccountKind {
        match self {
            AccountKind::CommitteeReliefFund => pb::AccountKind::CommitteeReliefFund,
            AccountKind::OrgReliefAccount => pb::AccountKind::OrgReliefAccount,
            AccountKind::MemberPayout => pb::AccountKind::MemberPayout,
            AccountKind::PartyDuesIncome => pb::AccountKind::PartyDuesIncome,
        }
    }

    pub fn from_proto(kind: pb::AccountKind) -> Option<Self> {
        match kind {
            pb::AccountKind::Unspecified => None,
            pb::AccountKind::CommitteeReliefFund => Some(AccountKind::CommitteeReliefFund),
            pb::AccountKind::OrgReliefAccount => Some(AccountKind::OrgReliefAccount),
            pb::AccountKind::MemberPayout => Some(AccountKind::MemberPayout),
            pb::AccountKind::PartyDuesIncome => Some(AccountKind::PartyDuesIncome),
        }
    }

    /// Income is a source: its balance is what it has given. Every other
    /// account holds what it has received and not given on.
    pub fn is_source(self) -> bool {
        self == AccountKind::PartyDuesIncome
    }

    /// The balance on the account's normal side, from its running totals.
    pub fn balance(self, total_in: Money, total_out: Money) -> Option<Money> {
        if self.is_source() {
            total_out.checked_sub(total_in)
        } else {
            total_in.checked_sub(total_out)
        }
    }

    /// The signed contribution of the account to the ledger's zero sum
    /// (debits positive, credits negative).
    pub fn signed(total_in: Money, total_out: Money) -> Option<Money> {
        total_in.checked_sub(total_out)
    }

    /// Account names as the committee writes them.
    pub fn display_name(self, year: i32, org_name: &str, member_name: &str) -> String {
        match self {
            AccountKind::CommitteeReliefFund => format!("{year}年度党费救助资金"),
            AccountKind::PartyDuesIncome => format!("{year}年度党费收入"),
            AccountKind::OrgReliefAccount => format!("{org_name}救助资金"),
            AccountKind::MemberPayout => format!("{member_name}（党员领取）"),
        }
    }
}

/// As stored (`committee_relief_fund`, …).
impl TryFrom<String> for AccountKind {
    type Error = Unknown;

    fn try_from(text: String) -> Result<Self, Unknown> {
        AccountKind::parse(&text).ok_or(Unknown {
            what: "account kind",
            value: text,
        })
    }
}

/// An account's running totals, as locked for a posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub kind: AccountKind,
    pub total_in: Money,
    pub total_out: Money,
}

/// Why a posting cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostingRefused {
    /// The giving account's balance does not cover the amount.
    Shortfall { balance: Money, amount: Money },
    /// The totals would overflow `i64` (never with real amounts).
    Overflow,
}

impl PostingRefused {
    /// The refusal, in the words of what the posting was for: `short` names
    /// the rule a shortfall breaks and says it.
    pub fn refusal(self, short: impl FnOnce(Money, Money) -> (&'static str, String)) -> Refusal {
        match self {
            PostingRefused::Shortfall { balance, amount } => {
                let (reason, message) = short(balance, amount);
                Refusal::new(reason, message)
            }
            PostingRefused::Overflow => {
                Refusal::new(refusal::AMOUNT_OUT_OF_RANGE, "the amount is out of range")
            }
        }
    }
}

impl Totals {
    pub fn balance(&self) -> Money {
        self.kind
            .balance(self.total_in, self.total_out)
            .unwrap_or(Money::ZERO)
    }

    /// The totals after `amount` leaves the account (it is the credit side),
    /// or why the balance does not allow it.
    pub fn give(&self, amount: Money) -> Result<Totals, PostingRefused> {
        let total_out = self
            .total_out
            .checked_add(amount)
            .ok_or(PostingRefused::Overflow)?;
        let after = Totals { total_out, ..*self };
        match self.kind.balance(after.total_in, after.total_out) {
            Some(balance) if balance >= Money::ZERO => Ok(after),
            Some(_) if self.kind.is_source() => Ok(after),
            Some(_) => Err(PostingRefused::Shortfall {
                balance: self.balance(),
                amount,
            }),
            None => Err(PostingRefused::Overflow),
        }
    }

    /// The totals after `amount` enters the account (it is the debit side).
    /// Money returning to income lowers what income has given, which must not
    /// go below zero.
    pub fn receive(&self, amount: Money) -> Result<Totals, PostingRefused> {
        let total_in = self
            .total_in
            .checked_add(amount)
            .ok_or(PostingRefused::Overflow)?;
        let after = Totals { total_in, ..*self };
        match self.kind.balance(after.total_in, after.total_out) {
            Some(balance) if balance >= Money::ZERO => Ok(after),
            Some(_) => Err(PostingRefused::Shortfall {
                balance: self.balance(),
                amount,
            }),
            None => Err(PostingRefused::Overflow),
        }
    }
}

/// What a posting records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostingKind {
    /// 预算.
    Budget,
    /// 拨付.
    Allocation,
    /// 发放.
    Disbursement,
    /// 冲销.
    Reversal,
}

impl PostingKind {
    pub const ALL: [PostingKind; 4] = [
        PostingKind::Budget,
        PostingKind::Allocation,
        PostingKind::Disbursement,
        PostingKind::Reversal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostingKind::Budget => "budget",
            PostingKind::Allocation => "allocation",
            PostingKind::Disbursement => "disbursement",
            PostingKind::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        PostingKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn to_proto(self) -> pb::PostingKind {
        match self {
            PostingKind::Budget => pb::PostingKind::Budget,
            PostingKind::Allocation => pb::PostingKind::Allocation,
            PostingKind::Disbursement => pb::PostingKind::Disbursement,
            PostingKind::Reversal => pb::PostingKind::Reversal,
        }
    }

    pub fn from_proto(kind: pb::PostingKind) -> Option<Self> {
        match kind {
            pb::PostingKind::Unspecified => None,
            pb::PostingKind::Budget => Some(PostingKind::Budget),
            pb::PostingKind::Allocation => Some(PostingKind::Allocation),
            pb::PostingKind::Disbursement => Some(PostingKind::Disbursement),
            pb::PostingKind::Reversal => Some(PostingKind::Reversal),
        }
    }

    /// 预算 / 拨付 / 发放 / 冲销.
    pub fn chinese(self) -> &'static str {
        match self {
            PostingKind::Budget => "预算",
            PostingKind::Allocation => "拨付",
            PostingKind::Disbursement => "发放",
            PostingKind::Reversal => "冲销",
        }
    }
}

/// As stored (`budget`, `allocation`, …).
impl TryFrom<String> for PostingKind {
    type Error = Unknown;

    fn try_from(text: String) -> Result<Self, Unknown> {
        PostingKind::parse(&text).ok_or(Unknown {
            what: "posting kind",
            value: text,
        })
    }
}

/// Setting a year's budget to `target` when `current` has been budgeted:
/// the posting to make, as (from income to fund?, amount); `None` when
/// nothing changes.
pub fn budget_change(current: Money, target: Money) -> Option<(bool, Money)> {
    match target.checked_sub(current) {
        Some(diff) if diff.is_positive() => Some((true, diff)),
        Some(diff) if diff < Money::ZERO => Some((false, Money::from_fen(-diff.fen()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn totals(kind: AccountKind, total_in: i64, total_out: i64) -> Totals {
        Totals {
            kind,
            total_in: Money::from_fen(total_in),
            total_out: Money::from_fen(total_out),
        }
    }

    #[test]
    fn a_fund_cannot_give_more_than_it_holds() {
        let fund = totals(AccountKind::CommitteeReliefFund, 1_000, 400);
        assert!(fund.give(Money::from_fen(600)).is_ok());
        assert_eq!(
            fund.give(Money::from_fen(601)),
            Err(PostingRefused::Shortfall {
                balance: Money::from_fen(600),
                amount: Money::from_fen(601)
            })
        );
    }

    #[test]
    fn income_gives_freely_but_takes_back_only_what_it_gave() {
        let income = totals(AccountKind::PartyDuesIncome, 0, 0);
        let gave = income.give(Money::from_fen(5_000)).ok();
        assert_eq!(gave.map(|t| t.balance()), Some(Money::from_fen(5_000)));
        let gave = totals(AccountKind::PartyDuesIncome, 0, 5_000);
        assert!(gave.receive(Money::from_fen(5_000)).is_ok());
        assert!(gave.receive(Money::from_fen(5_001)).is_err());
    }

    #[test]
    fn budget_changes() {
        assert_eq!(
            budget_change(Money::from_fen(100), Money::from_fen(300)),
            Some((true, Money::from_fen(200)))
        );
        assert_eq!(
            budget_change(Money::from_fen(300), Money::from_fen(100)),
            Some((false, Money::from_fen(200)))
        );
        assert_eq!(budget_change(Money::from_fen(7), Money::from_fen(7)), None);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in AccountKind::ALL {
            assert_eq!(AccountKind::parse(kind.as_str()), Some(kind));
            assert_eq!(AccountKind::from_proto(kind.to_proto()), Some(kind));
        }
        for kind in PostingKind::ALL {
            assert_eq!(PostingKind::parse(kind.as_str()), Some(kind));
            assert_eq!(PostingKind::from_proto(kind.to_proto()), Some(kind));
        }
    }

    proptest! {
        /// Any sequence of accepted postings between accounts keeps the signed
        /// sum at zero and every normal-side balance at or above zero.
        #[test]
        fn accepted_postings_conserve_and_never_overdraw(
            moves in proptest::collection::vec((0_usize..4, 0_usize..4, 1_i64..10_000), 0..200)
        ) {
            let mut accounts: Vec<Totals> = AccountKind::ALL
                .into_iter()
                .map(|kind| totals(kind, 0, 0))
                .collect();
            for (from, to, amount) in moves {
                if from == to {
                    continue;
                }
                let amount = Money::from_fen(amount);
                let (Ok(gave), Ok(got)) = (accounts[from].give(amount), accounts[to].receive(amount)) else {
                    continue;
                };
                accounts[from] = gave;
                accounts[to] = got;
                let sum: Money = accounts
                    .iter()
                    .filter_map(|t| AccountKind::signed(t.total_in, t.total_out))
                    .sum();
                prop_assert_eq!(sum, Money::ZERO);
                for account in &accounts {
                    prop_assert!(account.balance() >= Money::ZERO);
                }
            }
        }
    }
}
