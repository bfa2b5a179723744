//! 金额 — money as whole fen (分) in an `i64` newtype: never floating point,
//! every sum checked, shown as yuan with two decimals.

use std::fmt;

use relief_proto::common::v1 as common;

/// An amount of money in fen. Arithmetic is checked: an overflow is an error,
/// never a wrap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Why an amount given by a caller is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Zero or below.
    NotPositive,
    /// Beyond the ceiling of that kind of amount.
    Absurd(Money),
}

impl AmountError {
    pub fn describe(self) -> String {
        match self {
            AmountError::NotPositive => "must be a positive number of fen".to_owned(),
            AmountError::Absurd(ceiling) => {
                format!("at most {ceiling} ({} fen); is this a typo?", ceiling.fen())
            }
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(0);
    /// The largest yearly budget or top-up taken: 1 billion yuan. More is a typo.
    pub const MAX_BUDGET: Money = Money(100_000_000_000);
    /// The largest relief to one member: 1 million yuan. More is a typo.
    pub const MAX_RELIEF: Money = Money(100_000_000);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// The amount of an optional proto field (unset is zero).
    pub fn from_proto(money: Option<&common::Money>) -> Self {
        Money(money.map_or(0, |money| money.fen))
    }

    pub fn to_proto(self) -> Option<common::Money> {
        Some(common::Money { fen: self.0 })
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Adds, saturating: for totals of amounts that are each bounded far
    /// below `i64::MAX`, where saturation cannot happen in practice.
    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// A caller's amount that must be positive and at most `ceiling`.
    pub fn check_positive(self, ceiling: Money) -> Result<Money, AmountError> {
        if self.0 <= 0 {
            Err(AmountError::NotPositive)
        } else if self > ceiling {
            Err(AmountError::Absurd(ceiling))
        } else {
            Ok(self)
        }
    }

    /// Yuan as a number for a spreadsheet cell (display only: every stored
    /// amount and every sum stays integer fen).
    pub fn yuan_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Money::saturating_add)
    }
}

/// `1,234.56元`, `-0.05元`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::with_capacity(yuan.len() + yuan.len() / 3);
        for (i, digit) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}{grouped}.{:02}元", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shows_yuan() {
        assert_eq!(Money::from_fen(123_456).to_string(), "1,234.56元");
        assert_eq!(Money::from_fen(5).to_string(), "0.05元");
        assert_eq!(Money::from_fen(-100_000_000).to_string(), "-1,000,000.00元");
        assert_eq!(Money::from_fen(100).to_string(), "1.00元");
    }

    #[test]
    fn refuses_zero_negative_and_absurd() {
        assert_eq!(
            Money::ZERO.check_positive(Money::MAX_RELIEF),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Money::from_fen(-1).check_positive(Money::MAX_RELIEF),
            Err(AmountError::NotPositive)
        );
        assert_eq!(
            Money::from_fen(i64::MAX).check_positive(Money::MAX_RELIEF),
            Err(AmountError::Absurd(Money::MAX_RELIEF))
        );
        assert!(Money::MAX_RELIEF.check_positive(Money::MAX_RELIEF).is_ok());
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000_i64..1_000_000_000_000, b in -1_000_000_000_000_i64..1_000_000_000_000) {
            let (a, b) = (Money::from_fen(a), Money::from_fen(b));
            prop_assert_eq!(a.checked_add(b).and_then(|sum| sum.checked_sub(b)), Some(a));
        }

        #[test]
        fn overflow_is_refused_not_wrapped(a in 1_i64..i64::MAX) {
            prop_assert_eq!(Money::from_fen(i64::MAX).checked_add(Money::from_fen(a)), None);
        }

        #[test]
        fn display_round_trips(fen in -10_000_000_000_i64..10_000_000_000) {
            let text = Money::from_fen(fen).to_string().replace([',', '元'], "");
            let (yuan, cents) = text.split_once('.').unwrap_or((&text, "0"));
            let negative = yuan.starts_with('-');
            let yuan: i64 = yuan.trim_start_matches('-').parse().unwrap_or(-1);
            let cents: i64 = cents.parse().unwrap_or(-1);
            let back = (yuan * 100 + cents) * if negative { -1 } else { 1 };
            prop_assert_eq!(back, fen);
        }
    }
}
