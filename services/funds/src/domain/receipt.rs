//! 签字回执 — the member's signed (or sealed) receipt, which alone turns a
//! payment into an accounting voucher (入帐凭证, measures §4.5).

use relief_runtime::error::FieldViolations;
use time::Date;

/// What a receipt states, as given.
#[derive(Debug, Clone)]
pub struct ReceiptClaim<'a> {
    pub signer_name: &'a str,
    pub sealed: bool,
    pub scan_sha256: &'a str,
    pub signed_date: Option<Date>,
}

/// The field checks of a receipt that need no stored state.
pub fn check_fields(claim: &ReceiptClaim<'_>, today: Date, violations: &mut FieldViolations) {
    let signer = claim.signer_name.trim();
    if signer.is_empty() && !claim.sealed {
        violations.add(
            "signer_name",
            "the member's signature (signer_name) or seal (sealed) is required",
        );
    }
    violations.check_line("signer_name", claim.signer_name, 64);
    if !is_sha256_hex(claim.scan_sha256) {
        violations.add(
            "scan_sha256",
            "required: the hex SHA-256 (64 characters) of the scanned receipt",
        );
    }
    match claim.signed_date {
        None => violations.add("signed_date", "required: a valid calendar date"),
        Some(date) if date > today => violations.add("signed_date", "must not be in the future"),
        Some(_) => {}
    }
}

/// The checks against the payment: signed by the member (本人), not before
/// the payment.
pub fn check_against_payment(
    claim: &ReceiptClaim<'_>,
    member_name: &str,
    paid_date: Date,
    violations: &mut FieldViolations,
) {
    let signer = claim.signer_name.trim();
    if !signer.is_empty() && signer != member_name.trim() {
        violations.add(
            "signer_name",
            format!("the receipt must be signed by the member ({member_name}) in person (本人)"),
        );
    }
    if let Some(date) = claim.signed_date
        && date < paid_date
    {
        violations.add("signed_date", "must not be before the payment's paid_date");
    }
}

pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// 入帐凭证号: `JZ-2026-0042`.
pub fn voucher_number(year: i32, n: i32) -> String {
    format!("JZ-{year}-{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn fields(claim: &ReceiptClaim<'_>) -> Vec<String> {
        let mut violations = FieldViolations::new();
        check_fields(claim, date!(2026 - 11 - 27), &mut violations);
        check_against_payment(claim, "张三", date!(2026 - 11 - 01), &mut violations);
        violations
            .iter()
            .map(|(field, _)| field.to_owned())
            .collect()
    }

    #[test]
    fn a_good_receipt() {
        let claim = ReceiptClaim {
            signer_name: "张三",
            sealed: false,
            scan_sha256: HASH,
            signed_date: Some(date!(2026 - 11 - 02)),
        };
        assert!(fields(&claim).is_empty());
        let sealed_only = ReceiptClaim {
            signer_name: "",
            sealed: true,
            ..claim.clone()
        };
        assert!(fields(&sealed_only).is_empty());
    }

    #[test]
    fn bad_receipts_name_the_field() {
        let good = ReceiptClaim {
            signer_name: "张三",
            sealed: false,
            scan_sha256: HASH,
            signed_date: Some(date!(2026 - 11 - 02)),
        };
        let nobody = ReceiptClaim {
            signer_name: " ",
            ..good.clone()
        };
        assert_eq!(fields(&nobody), ["signer_name"]);
        let someone_else = ReceiptClaim {
            signer_name: "李四",
            ..good.clone()
        };
        assert_eq!(fields(&someone_else), ["signer_name"]);
        let no_scan = ReceiptClaim {
            scan_sha256: "abc",
            ..good.clone()
        };
        assert_eq!(fields(&no_scan), ["scan_sha256"]);
        let before_payment = ReceiptClaim {
            signed_date: Some(date!(2026 - 10 - 31)),
            ..good.clone()
        };
        assert_eq!(fields(&before_payment), ["signed_date"]);
        let future = ReceiptClaim {
            signed_date: Some(date!(2026 - 12 - 31)),
            ..good
        };
        assert_eq!(fields(&future), ["signed_date"]);
    }

    #[test]
    fn voucher_numbers() {
        assert_eq!(voucher_number(2026, 42), "JZ-2026-0042");
        assert_eq!(voucher_number(2026, 12345), "JZ-2026-12345");
    }
}
