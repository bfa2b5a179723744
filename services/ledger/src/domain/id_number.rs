//! 公民身份号码 — the resident ID number (GB 11643-1999): six digits of region,
//! eight of birth date, three of sequence (odd for men), one check character.

use time::{Date, Month};

use crate::domain::member::Sex;

/// A resident ID number that passed every check.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber {
    digits: String,
    birth_date: Date,
    sex: Sex,
}

/// Why a string is not a resident ID number; the text is what the user reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("must be 18 characters: 17 digits and a digit or X")]
    Length,
    #[error("must be 17 digits followed by a digit or X")]
    Characters,
    #[error("region code {0} is not a province of China")]
    Region(String),
    #[error("birth date {0} is not a real date")]
    ImpossibleDate(String),
    #[error("birth date {0} is in the future")]
    FutureDate(String),
    #[error("birth date {0} is before 1900")]
    AncientDate(String),
    #[error("check character is {found}, but the number requires {expected}")]
    CheckDigit { found: char, expected: char },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/// Province-level codes (first two digits) of GB/T 2260.
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// The check character GB 11643 requires for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (ch, weight) in first17.chars().zip(WEIGHTS) {
        sum += ch.to_digit(10)? * weight;
    }
    Some(CHECK_CHARS[(sum % 11) as usize])
}

impl IdNumber {
    /// Parses and checks a number as written; a lower-case `x` is accepted.
    /// `today` is the Beijing date the birth date must not be after.
    pub fn parse(input: &str, today: Date) -> Result<Self, IdNumberError> {
        let digits = input.trim().to_ascii_uppercase();
        if digits.chars().count() != 18 {
            return Err(IdNumberError::Length);
        }
        let (first17, last) = digits.split_at(17);
        let last = last.chars().next().ok_or(IdNumberError::Length)?;
        if !first17.chars().all(|c| c.is_ascii_digit()) || !(last.is_ascii_digit() || last == 'X') {
            return Err(IdNumberError::Characters);
        }
        if !PROVINCES.contains(&&digits[0..2]) {
            return Err(IdNumberError::Region(digits[0..6].to_owned()));
        }
        let written = &digits[6..14];
        let year: i32 = written[0..4]
            .parse()
            .map_err(|_| IdNumberError::Characters)?;
        let month: u8 = written[4..6]
            .parse()
            .map_err(|_| IdNumberError::Characters)?;
        let day: u8 = written[6..8]
            .parse()
            .map_err(|_| IdNumberError::Characters)?;
        let birth_date = Month::try_from(month)
            .ok()
            .and_then(|month| Date::from_calendar_date(year, month, day).ok())
            .ok_or_else(|| IdNumberError::ImpossibleDate(written.to_owned()))?;
        if birth_date > today {
            return Err(IdNumberError::FutureDate(written.to_owned()));
        }
        if year < 1900 {
            return Err(IdNumberError::AncientDate(written.to_owned()));
        }
        let expected = check_char(first17).ok_or(IdNumberError::Characters)?;
        if last != expected {
            return Err(IdNumberError::CheckDigit {
                found: last,
                expected,
            });
        }
        let sequence = digits[16..17]
            .parse::<u8>()
            .map_err(|_| IdNumberError::Characters)?;
        let sex = if sequence % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(IdNumber {
            digits,
            birth_date,
            sex,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.digits
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// The number as someone who may not see it reads it: see [`mask`].
    pub fn masked(&self) -> String {
        mask(&self.digits)
    }
}

/// How many leading characters (the region code) a masked number keeps.
const MASK_KEEP_FRONT: usize = 6;
/// How many trailing characters (the last sequence digit and the check
/// character) a masked number keeps.
const MASK_KEEP_BACK: usize = 2;

/// The one mask of a resident ID number, wherever it leaves the ledger
/// (answers, forms, history): the region code and the last two characters,
/// `410802**********3X`. The eight birth-date digits *and* the first two of
/// the sequence are hidden, so the mask is not undone by the birth date beside
/// it — and a masked answer shows only the birth year (see
/// `api::convert::member`) — nor by the check character, which leaves about
/// ten of the hidden combinations for each birth date. Applied to a number
/// masked under an older rule (`410802********123X`, which hid exactly the
/// birth date) it gives the same result, so stored masks can be brought up
/// to this rule.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= MASK_KEEP_FRONT + MASK_KEEP_BACK {
        return "*".repeat(chars.len());
    }
    let front: String = chars[..MASK_KEEP_FRONT].iter().collect();
    let back: String = chars[chars.len() - MASK_KEEP_BACK..].iter().collect();
    let hidden = chars.len() - MASK_KEEP_FRONT - MASK_KEEP_BACK;
    format!("{front}{}{back}", "*".repeat(hidden))
}

/// Never print the full number by accident (logs, panics, debug output).
impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 27);

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).expect("digits"))
    }

    #[test]
    fn accepts_the_standard_example() {
        // The worked example of GB 11643-1999.
        let id = IdNumber::parse("11010519491231002X", TODAY).expect("valid");
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.masked(), "110105**********2X");
    }

    #[test]
    fn accepts_lower_case_x() {
        assert!(IdNumber::parse("11010519491231002x", TODAY).is_ok());
    }

    #[test]
    fn refuses_each_kind_of_error() {
        assert_eq!(
            IdNumber::parse("1101051949123100", TODAY),
            Err(IdNumberError::Length)
        );
        assert_eq!(
            IdNumber::parse("11010519491231002Y", TODAY),
            Err(IdNumberError::Characters)
        );
        assert_eq!(
            IdNumber::parse("110105194912310021", TODAY),
            Err(IdNumberError::CheckDigit {
                found: '1',
                expected: 'X'
            })
        );
        let impossible = with_check("41080219790230123");
        assert!(matches!(
            IdNumber::parse(&impossible, TODAY),
            Err(IdNumberError::ImpossibleDate(_))
        ));
        let future = with_check("41080220300101123");
        assert!(matches!(
            IdNumber::parse(&future, TODAY),
            Err(IdNumberError::FutureDate(_))
        ));
        let region = with_check("99080219790101123");
        assert!(matches!(
            IdNumber::parse(&region, TODAY),
            Err(IdNumberError::Region(_))
        ));
    }

    #[test]
    fn the_mask_hides_the_birth_date_and_most_of_the_sequence() {
        let id = IdNumber::parse("11010519491231002X", TODAY).expect("valid");
        let masked = id.masked();
        assert_eq!(masked.chars().count(), 18);
        assert!(!masked.contains("19491231"));
        assert!(!masked.contains("002"), "the sequence shows: {masked}");
        // A mask made under the old rule is brought to the same result.
        assert_eq!(mask("110105********002X"), masked);
        assert_eq!(mask(&masked), masked);
    }

    proptest! {
        /// Any real birth date with the right check digit parses back to itself;
        /// changing the check digit always fails.
        #[test]
        fn check_digit_round_trip(days in 0i32..40_000, seq in 0u32..1000) {
            let birth = date!(1920 - 01 - 01) + time::Duration::days(i64::from(days));
            prop_assume!(birth <= TODAY);
            let first17 = format!("410802{:04}{:02}{:02}{:03}", birth.year(), u8::from(birth.month()), birth.day(), seq);
            let valid = with_check(&first17);
            let parsed = IdNumber::parse(&valid, TODAY).expect("valid by construction");
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.sex() == Sex::Male, (seq % 10) % 2 == 1);
            for wrong in CHECK_CHARS.iter().filter(|c| **c != valid.chars().last().unwrap_or(' ')) {
                let bad = format!("{first17}{wrong}");
                let is_check_digit_error = matches!(IdNumber::parse(&bad, TODAY), Err(IdNumberError::CheckDigit { .. }));
                prop_assert!(is_check_digit_error);
            }
        }
    }
}
