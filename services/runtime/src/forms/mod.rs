//! What every printed form shares, whichever service writes it: amounts in
//! Chinese capitals (大写) as finance writes them on vouchers and receipts,
//! times in Beijing time — the clerk's, not the server's — and (feature
//! `xlsx`) the A4 sheet they print on.

#[cfg(feature = "xlsx")]
mod a4;

#[cfg(feature = "xlsx")]
pub use a4::{Orientation, PAGE_NUMBERS, a4_sheet};
use time::{OffsetDateTime, UtcOffset};

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// The places inside a group of four digits, highest first.
const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];
/// The groups of four digits, lowest first: 元, 万, 亿, 万亿.
const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];

/// An amount in fen written in capitals, as on a voucher: 3000.00 →
/// 叁仟元整, 1205.50 → 壹仟贰佰零伍元伍角, 10.07 → 壹拾元零柒分.
///
/// Zeros are read once where they fall between digits (1001 → 壹仟零壹);
/// a whole amount ends in 整; an amount under one yuan has no 元.
pub fn amount_in_capitals(fen: i64) -> String {
    let sign = if fen < 0 { "负" } else { "" };
    let fen = fen.unsigned_abs();
    let (yuan, jiao, cents) = (fen / 100, (fen / 10) % 10, fen % 10);
    let mut text = String::from(sign);
    if yuan > 0 {
        text.push_str(&whole_yuan(yuan));
        text.push('元');
    }
    match (jiao, cents) {
        (0, 0) if yuan == 0 => text.push_str("零元整"),
        (0, 0) => text.push('整'),
        (0, cents) => {
            if yuan > 0 {
                text.push('零');
            }
            text.push(DIGITS[cents as usize]);
            text.push('分');
        }
        (jiao, cents) => {
            text.push(DIGITS[jiao as usize]);
            text.push('角');
            if cents > 0 {
                text.push(DIGITS[cents as usize]);
                text.push('分');
            }
        }
    }
    text
}

/// A positive whole number of yuan in capitals, without the 元.
fn whole_yuan(yuan: u64) -> String {
    let mut groups = Vec::new();
    let mut rest = yuan;
    while rest > 0 {
        groups.push((rest % 10_000) as usize);
        rest /= 10_000;
    }
    let mut text = String::new();
    // A zero waits to be written until a non-zero digit follows it.
    let mut zero_pending = false;
    for (index, group) in groups.iter().enumerate().rev() {
        if *group == 0 {
            zero_pending = !text.is_empty();
            continue;
        }
        let digits = [group / 1000, group / 100 % 10, group / 10 % 10, group % 10];
        for (place, digit) in digits.into_iter().enumerate() {
            if digit == 0 {
                zero_pending |= !text.is_empty();
                continue;
            }
            if zero_pending {
                text.push('零');
                zero_pending = false;
            }
            text.push(DIGITS[digit]);
            text.push_str(PLACES[place]);
        }
        text.push_str(GROUPS[index.min(GROUPS.len() - 1)]);
    }
    text
}

/// Beijing time (UTC+8; China keeps no daylight saving).
pub const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// An instant as forms print it: `2026-11-28 06:54` in Beijing time.
pub fn beijing_minute(at: OffsetDateTime) -> String {
    let local = at.to_offset(BEIJING);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        u8::from(local.month()),
        local.day(),
        local.hour(),
        local.minute()
    )
}

/// The calendar date of an instant in Beijing time, `2026-11-28`.
pub fn beijing_date(at: OffsetDateTime) -> String {
    at.to_offset(BEIJING).date().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_finance_writes_them() {
        for (fen, capitals) in [
            (300_000, "叁仟元整"),
            (120_550, "壹仟贰佰零伍元伍角"),
            (1_007, "壹拾元零柒分"),
            (100_100, "壹仟零壹元整"),
            (1_000_000_000, "壹仟万元整"),
            (10_000_100, "壹拾万零壹元整"),
            (10_001_000_000, "壹亿零壹万元整"),
            (150_000, "壹仟伍佰元整"),
            (50, "伍角"),
            (5, "伍分"),
            (0, "零元整"),
            (123_456, "壹仟贰佰叁拾肆元伍角陆分"),
            (-80_000, "负捌佰元整"),
        ] {
            assert_eq!(amount_in_capitals(fen), capitals, "{fen} fen");
        }
    }

    #[test]
    fn forms_print_beijing_time() {
        let utc = time::macros::datetime!(2026-11-27 22:54:10 UTC);
        assert_eq!(beijing_minute(utc), "2026-11-28 06:54");
        assert_eq!(beijing_date(utc), "2026-11-28");
    }
}
